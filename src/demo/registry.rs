//! The archive side of the demo county: villages and communities, households in the
//! groups the published figures name (DOMAIN.md §1), incomes, monitoring cases, and the
//! baseline members removed since 2014.
//!
//! The groups (all archive groups together: 19,139 households / 49,494 people):
//!
//! | group | households / people | status |
//! |---|---|---|
//! | identified in 2019 | 39 / 92 | poor |
//! | exited in 2019 | 210 / 470 | exited 2019 |
//! | unstable after exit (monitored) | 160 / 430 | exited 2016-18, case open |
//! | identified 2015-2018 | 150 / 377 | poor or exited |
//! | still poor since 2014 | 400 / 1,100 | poor |
//! | relocated (housing) | 4,013 / 7,734 | exited 2016-18 |
//! | the rest | 14,167 / 39,291 | exited 2015-18 |
//!
//! Edge households (边缘户, monitored, not in the archive): 115 / 306, so monitored makes
//! 275 / 736. Members born after their household was identified enter the archive in
//! their birth year; the 2014 cohort's shortfall to 51,125 is made of members who left
//! since (elderly parents who died, children who married out or moved), imported as the
//! households' history with their removal date and reason.

use chrono::NaiveDate;
use rand::Rng;
use rand::seq::SliceRandom;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::registry::v1::*;

use super::names::{self, TOWNSHIPS};
use super::people::{Family, IdAllocator, Person, sizes};
use super::published as p;

/// Which part of the published figures a household stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Newly identified in 2019 (poor).
    Identified2019,
    /// Exited in 2019.
    Exited2019,
    /// Exited earlier, monitored as unstable.
    Unstable,
    /// Identified 2015-2018.
    Later,
    /// Poor since 2014.
    Poor2014,
    /// Relocated by the housing programme.
    Relocated,
    /// Exited 2015-2018, nothing else special.
    Rest,
    /// Edge household: monitored, outside the archive.
    Edge,
}

impl Group {
    /// Whether the group is in the archive (poor or exited).
    pub fn in_archive(self) -> bool {
        self != Group::Edge
    }
}

/// Households and people of each group, in generation order.
pub const GROUPS: [(Group, usize, i64); 8] = [
    (Group::Identified2019, 39, 92),
    (Group::Exited2019, 210, 470),
    (Group::Unstable, 160, 430),
    (Group::Later, 150, 377),
    (Group::Poor2014, 400, 1_100),
    (Group::Relocated, 4_013, 7_734),
    (Group::Rest, 14_167, 39_291),
    (Group::Edge, 115, 306),
];

/// One household as planned, with what the other services need to know of it.
#[derive(Debug, Clone)]
pub struct Home {
    /// Archive card number.
    pub id: String,
    /// Village or community code.
    pub village: String,
    /// Which figure it stands for.
    pub group: Group,
    /// Current members, head first.
    pub members: Vec<Person>,
    /// Identified year.
    pub identified_year: i32,
    /// Exit year, 0 if not exited.
    pub exited_year: i32,
    /// Per-capita income, 2018 and 2019, fen.
    pub income: [i64; 2],
}

/// The archive: villages, households, and the members who left since 2014.
#[derive(Debug, Clone)]
pub struct Archive {
    /// Every village and community.
    pub villages: Vec<Village>,
    /// Every household, archive and edge, in import order.
    pub homes: Vec<Home>,
    /// Baseline members who left since (household index, person, why, when): imported as
    /// the household's history.
    pub removed: Vec<(usize, Person, RemovalReason, NaiveDate)>,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn day_in(rng: &mut impl Rng, year: i32) -> NaiveDate {
    date(year, 1, 1) + chrono::Duration::days(rng.random_range(0..365))
}

fn villages(rng: &mut impl Rng, county: &str) -> Vec<Village> {
    let mut out = Vec::new();
    for t in TOWNSHIPS {
        let mut used = std::collections::HashSet::new();
        for n in 0..t.communities {
            let name = names::place(rng, &mut used);
            out.push(Village {
                village_code: format!("{county}{}{:03}", t.code, 1 + n),
                name: format!("{name}社区"),
                poor_village: false,
                collective_income_fen: 0,
                collective_income_year: 0,
            });
        }
        for n in 0..t.villages {
            let name = names::place(rng, &mut used);
            out.push(Village {
                village_code: format!("{county}{}{:03}", t.code, 200 + n),
                name: format!("{name}村"),
                poor_village: false,
                collective_income_fen: rng.random_range(500_000..8_000_000),
                collective_income_year: p::YEAR,
            });
        }
    }
    // 37 of the villages (村) were poor villages; each now earns at least 50,000 yuan.
    let mut village_idx: Vec<usize> = (0..out.len())
        .filter(|&i| {
            out[i].village_code.ends_with(|c: char| c.is_ascii_digit())
                && out[i].name.ends_with('村')
        })
        .collect();
    village_idx.shuffle(rng);
    for &i in village_idx.iter().take(p::POOR_VILLAGES as usize) {
        out[i].poor_village = true;
        out[i].collective_income_fen = p::POOR_VILLAGE_INCOME_FEN + rng.random_range(0..7_000_000);
    }
    out
}

fn incomes(rng: &mut impl Rng, group: Group) -> [i64; 2] {
    // Per-capita net income in fen; the 2019 poverty line is 321,800 fen.
    let (lo, hi) = match group {
        Group::Identified2019 | Group::Poor2014 => (180_000, 310_000),
        Group::Exited2019 => (420_000, 900_000),
        Group::Unstable | Group::Edge => (330_000, 460_000),
        Group::Later | Group::Relocated | Group::Rest => (520_000, 1_400_000),
    };
    let y2019 = rng.random_range(lo..hi);
    let y2018 = match group {
        Group::Exited2019 => rng.random_range(250_000..321_000),
        _ => y2019 * rng.random_range(85..105) / 100,
    };
    [y2018, y2019]
}

fn years(rng: &mut impl Rng, group: Group) -> (i32, i32) {
    match group {
        Group::Identified2019 => (2019, 0),
        Group::Exited2019 => (p::BASELINE_YEAR, 2019),
        Group::Unstable => (p::BASELINE_YEAR, rng.random_range(2016..=2018)),
        Group::Later => {
            let id = rng.random_range(2015..=2018);
            if rng.random_bool(0.7) {
                (id, rng.random_range(id..=2018))
            } else {
                (id, 0)
            }
        }
        Group::Poor2014 => (p::BASELINE_YEAR, 0),
        Group::Relocated => (p::BASELINE_YEAR, rng.random_range(2016..=2018)),
        Group::Rest => (p::BASELINE_YEAR, rng.random_range(2015..=2018)),
        Group::Edge => (2019, 0),
    }
}

/// Generates the archive of one county (`county`: 6-digit code) from `rng`, ages counted
/// at `today`. `scale` multiplies every group (1 = the published county; growth
/// benchmarks use more, and then the baseline removals are left out).
pub fn generate(
    rng: &mut impl Rng,
    ids: &mut IdAllocator,
    county: &str,
    today: NaiveDate,
    scale: u32,
) -> Archive {
    let villages = villages(rng, county);
    let mut homes = Vec::new();
    let mut n = 0u32;
    for (group, households, people) in GROUPS {
        let elderly = group == Group::Relocated;
        let k = scale.max(1);
        for size in sizes(rng, households * k as usize, people * i64::from(k)) {
            n += 1;
            let village = villages[rng.random_range(0..villages.len())]
                .village_code
                .clone();
            let (identified_year, exited_year) = years(rng, group);
            let members = Family {
                rng,
                ids,
                today,
                address: county,
                identified_year,
            }
            .household(size, elderly && size <= 2);
            homes.push(Home {
                id: format!("GC{}-{n:07}", &county[4..]),
                village,
                group,
                members,
                identified_year,
                exited_year,
                income: incomes(rng, group),
            });
        }
    }
    // The 2014 cohort's members removed since: enough to make the baseline 51,125.
    let cohort: i64 = homes
        .iter()
        .filter(|h| h.group.in_archive())
        .flat_map(|h| &h.members)
        .filter(|m| m.registered_year == p::BASELINE_YEAR)
        .count() as i64;
    let shortfall = if scale <= 1 {
        (p::BASELINE_PEOPLE - cohort).max(0) as usize
    } else {
        0
    };
    let mut rest: Vec<usize> = (0..homes.len())
        .filter(|&i| homes[i].group == Group::Rest)
        .collect();
    rest.shuffle(rng);
    let mut removed = Vec::new();
    for &i in rest.iter().take(shortfall) {
        let head_age = homes[i].members[0].age_on(today) as u32;
        let dies = rng.random_bool(0.6);
        let (relation, age, reason) = if dies {
            (
                Relation::Parent,
                (head_age + 25).clamp(75, 100),
                RemovalReason::Death,
            )
        } else if rng.random_bool(0.5) {
            (
                Relation::Child,
                rng.random_range(22..32),
                RemovalReason::MarriedOut,
            )
        } else {
            (
                Relation::Child,
                rng.random_range(22..32),
                RemovalReason::MovedAway,
            )
        };
        let surname: String = homes[i].members[0].name.chars().take(1).collect();
        let male = rng.random_bool(0.5);
        let mut person = Family {
            rng,
            ids,
            today,
            address: county,
            identified_year: p::BASELINE_YEAR,
        }
        .person(&surname, relation, age, male);
        person.registered_year = p::BASELINE_YEAR;
        let year = rng.random_range(2015..=2019);
        let on = day_in(rng, year);
        removed.push((i, person, reason, on));
    }
    Archive {
        villages,
        homes,
        removed,
    }
}

fn member_pb(m: &Person) -> Member {
    Member {
        resident_id: m.id.clone(),
        name: m.name.clone(),
        relation: m.relation as i32,
        health: m.health as i32,
        labour: m.labour as i32,
        registered_year: m.registered_year,
        removed_on: None,
        removal_reason: 0,
    }
}

fn causes(rng: &mut impl Rng, home: &Home) -> Vec<i32> {
    let mut out = Vec::new();
    if home.members.iter().any(|m| {
        matches!(
            m.health,
            HealthCondition::SeriousIllness | HealthCondition::ChronicIllness
        )
    }) {
        out.push(PovertyCause::Illness as i32);
    }
    if home
        .members
        .iter()
        .any(|m| m.health == HealthCondition::Disabled)
    {
        out.push(PovertyCause::Disability as i32);
    }
    if out.is_empty() {
        let pool = [
            PovertyCause::LackOfSkills,
            PovertyCause::LackOfFunds,
            PovertyCause::LackOfLabour,
            PovertyCause::Schooling,
            PovertyCause::Disaster,
            PovertyCause::LackOfLand,
            PovertyCause::PoorTransport,
        ];
        out.push(pool[rng.random_range(0..pool.len())] as i32);
    }
    out
}

/// The household as the registry imports it, with the member who left since 2014 (if
/// any) carried as history: removal date and reason.
pub fn household_pb(
    rng: &mut impl Rng,
    home: &Home,
    removed: Option<(&Person, RemovalReason, NaiveDate)>,
) -> Household {
    let mut members: Vec<Member> = home.members.iter().map(member_pb).collect();
    if let Some((x, reason, on)) = removed {
        let mut m = member_pb(x);
        m.removed_on = Some(date_to_pb(on));
        m.removal_reason = reason as i32;
        members.push(m);
    }
    let (status, monitoring) = match home.group {
        Group::Identified2019 | Group::Poor2014 => (ArchiveStatus::Poor, None),
        Group::Later if home.exited_year == 0 => (ArchiveStatus::Poor, None),
        Group::Unstable => (
            ArchiveStatus::Exited,
            Some(MonitoringCategory::UnstableExited),
        ),
        Group::Edge => (ArchiveStatus::MonitoredOnly, Some(MonitoringCategory::Edge)),
        _ => (ArchiveStatus::Exited, None),
    };
    let monitoring = monitoring.map(|category| {
        let identified = day_in(rng, p::YEAR).min(date(p::YEAR, 11, 30));
        let helped = identified + chrono::Duration::days(rng.random_range(5..25));
        Monitoring {
            category: category as i32,
            stage: MonitoringStage::HelpAssigned as i32,
            identified_on: Some(date_to_pb(identified)),
            stage_changed_on: Some(date_to_pb(helped)),
        }
    });
    let incomes = if home.group.in_archive() {
        vec![
            Income {
                year: p::YEAR - 1,
                per_capita_net_income_fen: home.income[0],
            },
            Income {
                year: p::YEAR,
                per_capita_net_income_fen: home.income[1],
            },
        ]
    } else {
        vec![Income {
            year: p::YEAR,
            per_capita_net_income_fen: home.income[1],
        }]
    };
    Household {
        household_id: home.id.clone(),
        village_code: home.village.clone(),
        members,
        causes: causes(rng, home),
        status: status as i32,
        identified_year: home.identified_year,
        exited_year: home.exited_year,
        monitoring,
        incomes,
        timeline: vec![],
        etag: String::new(),
    }
}

/// A date message.
pub fn pb_date(y: i32, m: u32, d: u32) -> Date {
    date_to_pb(date(y, m, d))
}
