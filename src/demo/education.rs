//! The Education Bureau's part of the demo county: every compulsory-age child of the
//! archive as a student, 1,088 of them in school elsewhere with a confirmed notification
//! letter, 97 taught at home (with visits this school year) and 5 in inclusive classes
//! (the survey's 102 children unable to attend for physical reasons), and 230 students
//! from other counties, each paid the living allowance.

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand::seq::SliceRandom;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::education::v1::*;
use xk_contracts::pb::registry::v1::HealthCondition;
use xk_education::domain::policy::Policy;
use xk_education::domain::scope::{age_at_cutoff, in_scope, school_year, stage_of_grade};
use xk_education::domain::subsidy::living_allowance;

use super::names;
use super::people::{IdAllocator, birth_for_age};
use super::published as p;
use super::registry::{Archive, pb_date};

/// Everything the Education Bureau's system sends.
#[derive(Debug, Clone, Default)]
pub struct EducationLoad {
    /// Students to import.
    pub students: Vec<Student>,
    /// One notification letter per student outside the county.
    pub letters: Vec<SendLetterRequest>,
    /// Home-teaching visits this school year.
    pub visits: Vec<RecordVisitRequest>,
    /// Living allowances for incoming students.
    pub subsidies: Vec<RecordSubsidyRequest>,
    /// The survey of children unable to attend.
    pub survey: Option<RecordSurveyRequest>,
}

/// Other counties of the province the incoming students come from (address codes).
const HOME_COUNTIES: [&str; 5] = ["420626", "420624", "420682", "420683", "420684"];

fn school(township: &str, grade: i32) -> String {
    if grade <= 6 {
        format!("{township}中心小学")
    } else {
        format!("{township}初级中学")
    }
}

/// Plans the bureau's records for `archive` (marks the 102 children unable to attend as
/// disabled in the archive, as the registry records them).
pub fn generate(
    rng: &mut impl Rng,
    ids: &mut IdAllocator,
    archive: &mut Archive,
    seed: u64,
    today: NaiveDate,
) -> EducationLoad {
    let policy: &Policy = xk_education::policy::built_in_on(today)
        .expect("the built-in policy book covers every day since its 2013 school year");
    let year = school_year(today, policy);
    // (home index, member index) of every compulsory-age child in the archive.
    let mut children: Vec<(usize, usize)> = Vec::new();
    for (h, home) in archive.homes.iter().enumerate() {
        if !home.group.in_archive() {
            continue;
        }
        for (m, person) in home.members.iter().enumerate() {
            if person.birth <= today && in_scope(person.birth, None, today, policy) {
                children.push((h, m));
            }
        }
    }
    children.shuffle(rng);
    let unable = p::UNABLE_PHYSICAL as usize;
    let outside_end = unable + p::OUTSIDE_STUDENTS as usize;
    let mut load = EducationLoad::default();
    let mut findings: std::collections::BTreeMap<String, SurveyFinding> = Default::default();
    for (k, &(h, m)) in children.iter().enumerate() {
        let home = &mut archive.homes[h];
        let person = &mut home.members[m];
        let age = age_at_cutoff(person.birth, today, policy);
        let grade = (age - 5).clamp(1, 9);
        let township = names::township_name(&home.village).unwrap_or("谷城县");
        let mut s = Student {
            resident_id: person.id.clone(),
            household_id: home.id.clone(),
            village_code: home.village.clone(),
            school: school(township, grade),
            grade,
            status: StudentStatus::InCounty as i32,
            boarding: grade > 6 && rng.random_bool(0.4),
            ..Default::default()
        };
        let f = findings
            .entry(home.village.clone())
            .or_insert_with(|| SurveyFinding {
                region_code: home.village.clone(),
                ..Default::default()
            });
        f.children_surveyed += 1;
        if k < unable {
            person.health = HealthCondition::Disabled;
            f.unable_to_attend_physical += 1;
            if k < p::PLACED_NEARBY as usize {
                s.status = StudentStatus::InclusiveClass as i32;
                f.placed_nearby += 1;
            } else {
                s.status = StudentStatus::HomeTeaching as i32;
                s.boarding = false;
                s.school.clear();
                f.taught_at_home += 1;
                for (v, days) in [(1, 3u64), (2, 10)] {
                    let on = (year.start + chrono::Duration::days(days as i64)).min(today);
                    load.visits.push(RecordVisitRequest {
                        request_id: format!("demo-{seed}-visit-{}-{v}", &person.id[..17]),
                        resident_id: person.id.clone(),
                        visit: Some(Visit {
                            date: Some(date_to_pb(on)),
                            teacher: format!("送教教师{:02}", k % 40),
                            hours: 3,
                        }),
                    });
                }
            }
        } else if k < outside_end {
            let province = rng.random_bool(1.0 / 7.0);
            s.status = if province {
                StudentStatus::OutsideProvince
            } else {
                StudentStatus::OutsideCounty
            } as i32;
            s.school = if province {
                "广东省深圳市宝安区新安学校".into()
            } else {
                "襄阳市第二十中学".into()
            };
            let n = k - unable + 1;
            let sent = NaiveDate::from_ymd_opt(p::YEAR, 9, 2).unwrap_or_default()
                + chrono::Duration::days(rng.random_range(0..20));
            let reply = sent + chrono::Duration::days(rng.random_range(3..28));
            load.letters.push(SendLetterRequest {
                request_id: format!("demo-{seed}-letter-{n:04}"),
                resident_id: person.id.clone(),
                letter: Some(Letter {
                    number: format!("GCJY-{}-{n:04}", p::YEAR),
                    resident_id: String::new(),
                    sent_on: Some(date_to_pb(sent)),
                    recipient: if province {
                        "深圳市宝安区教育局".into()
                    } else {
                        "襄阳市樊城区教育局".into()
                    },
                    reply_on: Some(date_to_pb(reply)),
                    proof_ref: String::new(),
                }),
            });
        }
        load.students.push(s);
    }
    // Students from other counties, living in villages here.
    let mut n = 0usize;
    while n < p::INCOMING_STUDENTS as usize {
        let age = rng.random_range(7..15);
        let birth = birth_for_age(rng, today, age);
        let address = HOME_COUNTIES[n % HOME_COUNTIES.len()];
        let male = rng.random_bool(0.5);
        let id = ids.next(rng, address, birth, male);
        let village = archive.villages[rng.random_range(0..archive.villages.len())]
            .village_code
            .clone();
        let grade = (age_at_cutoff(birth, today, policy) - 5).clamp(1, 9);
        if !in_scope(birth, Some(grade as u8), today, policy) {
            continue;
        }
        n += 1;
        let boarding = rng.random_bool(0.5);
        let township = names::township_name(&village).unwrap_or("谷城县");
        load.students.push(Student {
            resident_id: id.clone(),
            household_id: format!("IN{address}-{n:04}"),
            village_code: village,
            school: school(township, grade),
            grade,
            status: StudentStatus::InCounty as i32,
            incoming: true,
            boarding,
            ..Default::default()
        });
        let amount = stage_of_grade(grade as u8, policy)
            .map(|st| living_allowance(st, boarding, policy))
            .unwrap_or(0);
        load.subsidies.push(RecordSubsidyRequest {
            request_id: format!("demo-{seed}-subsidy-{n:04}"),
            resident_id: id,
            subsidy: Some(Subsidy {
                programme: SubsidyProgramme::LivingAllowance as i32,
                amount_fen: amount,
                paid_on: Some(date_to_pb(
                    (year.start + chrono::Duration::days(30)).min(today),
                )),
                days: 0,
                // One full year's allowance for this school year: within the yearly rule.
                school_year: year.start.year(),
            }),
        });
    }
    load.survey = Some(RecordSurveyRequest {
        request_id: format!("demo-{seed}-survey"),
        survey: Some(Survey {
            survey_id: format!("KZBX-{}", p::YEAR),
            name: format!("{}年控辍保学残疾儿童摸排", p::YEAR),
            conducted_on: Some(pb_date(p::YEAR, 10, 15)),
            findings: findings.into_values().collect(),
        }),
    });
    load
}
