//! The aggregator's pure rules, no I/O: deadline arithmetic, the retry rule, section
//! status, the exceptions of DOMAIN.md §8 derived from the services' counts, and snapshot
//! months. Everything here is unit-tested.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use tonic::{Code, Status};
use xk_contracts::pb::aggregator::v1::{
    CriterionResult, EducationSection, ExceptionCounts, ExitCriterion, HealthSection,
    HouseholdFile, HousingSection, RegistrySection, SectionState, SectionStatus, Summary,
    WaterSection,
};
use xk_contracts::pb::{education, health, housing, registry, water};

/// The share of the caller's budget kept back for combining the answers and sending the
/// reply: the upstream calls get the rest, so the summary is back before the caller gives
/// up even when every upstream call runs to its own deadline.
pub const MARGIN_PERCENT: u32 = 10;

/// The smallest margin kept back, whatever the budget: combining and replying is never
/// free, and a 10% margin of a short deadline would be too small to be useful.
pub const MIN_MARGIN: Duration = Duration::from_millis(25);

/// The shortest per-call budget worth sending: below it a call cannot complete, so it is
/// reported DEADLINE_EXCEEDED without being sent.
pub const MIN_CALL_BUDGET: Duration = Duration::from_millis(5);

/// Retries after the first attempt, only for UNAVAILABLE reads (brief: at most 2).
pub const MAX_RETRIES: u32 = 2;

/// The first retry's backoff; doubled for the second. Small, because the whole summary
/// must fit in the caller's deadline.
pub const BASE_BACKOFF: Duration = Duration::from_millis(20);

/// The budget of each upstream call: the caller's deadline (`grpc-timeout`) or the
/// configured default when it sent none, capped by the default too (a caller cannot make
/// the aggregator hold upstream calls open longer than the operator allows), minus the
/// margin. `None` when nothing useful is left.
pub fn call_budget(incoming: Option<Duration>, default: Duration) -> Option<Duration> {
    let total = incoming.map_or(default, |d| d.min(default));
    let margin = (total * MARGIN_PERCENT / 100).max(MIN_MARGIN);
    let budget = total.checked_sub(margin)?;
    (budget >= MIN_CALL_BUDGET).then_some(budget)
}

/// Whether a failed read is retried: only UNAVAILABLE (the request did not reach a
/// service that could answer), only while retries remain, and only if the backoff plus a
/// minimal call still fits in what is left of the budget. Returns the backoff to wait.
pub fn retry_after(code: Code, attempt: u32, remaining: Duration) -> Option<Duration> {
    if code != Code::Unavailable || attempt >= MAX_RETRIES {
        return None;
    }
    let backoff = BASE_BACKOFF * 2u32.pow(attempt);
    (remaining > backoff + MIN_CALL_BUDGET).then_some(backoff)
}

/// The status of a section whose service answered.
pub fn available() -> SectionStatus {
    SectionStatus {
        state: SectionState::Available as i32,
        code: 0,
        message: String::new(),
    }
}

/// The status of a section whose service failed: the code and message, prefixed with the
/// service's name so the reader knows which one.
pub fn unavailable(service: &str, status: &Status) -> SectionStatus {
    SectionStatus {
        state: SectionState::Unavailable as i32,
        code: status.code() as i32,
        message: format!("{service}: {}", status.message()),
    }
}

/// Whether a section status is available.
pub fn is_available(s: &Option<SectionStatus>) -> bool {
    s.as_ref()
        .is_some_and(|s| s.state == SectionState::Available as i32)
}

/// What the exceptions are derived from: each service's counts for one region, `None`
/// when that service is unavailable (then every exception depending on it is unknown).
/// A service that answered but has no group for the region counts as zero there.
#[derive(Debug, Default, Clone, Copy)]
pub struct RegionInputs<'a> {
    /// The registry's counts (archive people for the uninsured figure).
    pub registry: Option<&'a registry::v1::RegionCounts>,
    /// Education's counts.
    pub education: Option<&'a education::v1::RegionCounts>,
    /// Health's counts.
    pub health: Option<&'a health::v1::RegionHealth>,
    /// Housing's counts.
    pub housing: Option<&'a housing::v1::RegionCounts>,
    /// Water's counts.
    pub water: Option<&'a water::v1::WaterCounts>,
}

/// The exceptions of DOMAIN.md §8 for one region.
pub fn exceptions(region_code: &str, i: RegionInputs<'_>) -> ExceptionCounts {
    ExceptionCounts {
        region_code: region_code.to_string(),
        children_out_of_school_without_case: i.education.map(|e| e.not_guaranteed_without_case),
        uninsured_registered_people: match (i.registry, i.health) {
            (Some(r), Some(h)) => Some((r.archive_people - h.registered_poor_insured).max(0)),
            _ => None,
        },
        people_over_cap: i.health.map(|h| h.people_over_cap),
        relocated_not_moved_in_households: i
            .housing
            .map(|h| (h.relocated_households - h.moved_in_households).max(0)),
        relocated_without_employment_households: i
            .housing
            .map(|h| (h.with_labour_households - h.with_employment_households).max(0)),
        unsafe_water_households: i.water.map(|w| w.unsafe_households),
        unsafe_water_people: i.water.map(|w| w.unsafe_people),
    }
}

/// Every region code any available section reported a group for, in code order: the
/// exception groups cover the union, so a township known only to one service still shows.
pub fn group_codes<'a>(lists: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    lists
        .into_iter()
        .map(str::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A service's counts for `code` when the service is available: its group, or an all-zero
/// one when it has no data there (available with nothing is zero, not unknown).
pub fn pick<'a, T: Default>(
    available: bool,
    groups: &'a [T],
    code: &str,
    code_of: impl Fn(&T) -> &str,
    zero: &'a T,
) -> Option<&'a T> {
    if !available {
        return None;
    }
    Some(groups.iter().find(|g| code_of(g) == code).unwrap_or(zero))
}

/// The five services' SummarizeByRegion answers (or why each failed).
#[derive(Debug)]
pub struct Answers {
    /// Registry.
    pub registry: Result<registry::v1::SummarizeByRegionResponse, Status>,
    /// Education.
    pub education: Result<education::v1::SummarizeByRegionResponse, Status>,
    /// Health.
    pub health: Result<health::v1::SummarizeByRegionResponse, Status>,
    /// Housing.
    pub housing: Result<housing::v1::SummarizeByRegionResponse, Status>,
    /// Water.
    pub water: Result<water::v1::SummarizeByRegionResponse, Status>,
}

/// What a summary was asked for, echoed in it.
#[derive(Debug, Clone)]
pub struct SummaryKey {
    /// The validated region prefix.
    pub region_prefix: String,
    /// The `RegionLevel` of the groups.
    pub group_by: i32,
    /// The day judged at.
    pub as_of: NaiveDate,
    /// The in-year / coverage year; with `latest_year_with_data`, the latest one asked about.
    pub year: i32,
    /// Whether the year is the latest with health enrolments, not after `year`.
    pub latest_year_with_data: bool,
}

/// The year a summary's figures are of: the key's, or with `latest_year_with_data` the
/// coverage year health found. A health that failed, or one too old to know the field
/// (it answers 0), leaves the key's year; so does an answer after it, which health must
/// not give.
pub fn summary_year(
    key: &SummaryKey,
    health: &Result<health::v1::SummarizeByRegionResponse, Status>,
) -> i32 {
    match health {
        Ok(r) if key.latest_year_with_data && (2000..=key.year).contains(&r.coverage_year) => {
            r.coverage_year
        }
        _ => key.year,
    }
}

fn section<R, T, G>(
    service: &str,
    answer: Result<R, Status>,
    split: impl FnOnce(R) -> (Option<T>, Vec<G>),
) -> (SectionStatus, Option<T>, Vec<G>) {
    match answer {
        Ok(r) => {
            let (total, groups) = split(r);
            (available(), total, groups)
        }
        Err(s) => (unavailable(service, &s), None, Vec::new()),
    }
}

/// Combines the answers into one summary: a section per service (UNAVAILABLE with the
/// reason when it failed), the exceptions for the total and per group (unknown where a
/// source is missing), and whether everything answered.
pub fn combine(key: &SummaryKey, a: Answers) -> Summary {
    let (rs, rt, rg) = section("registry", a.registry, |r| (r.total, r.groups));
    let (es, et, eg) = section("education", a.education, |r| (r.total, r.groups));
    let mut institutions = None;
    let (hs, ht, hg) = section("health", a.health, |r| {
        institutions = r.institutions;
        (r.total, r.groups)
    });
    let (os, ot, og) = section("housing", a.housing, |r| (r.total, r.groups));
    let (ws, wt, wg) = section("water", a.water, |r| (r.total, r.groups));
    let ok = |s: &SectionStatus| s.state == SectionState::Available as i32;
    let (r_ok, e_ok, h_ok, o_ok, w_ok) = (ok(&rs), ok(&es), ok(&hs), ok(&os), ok(&ws));

    // Zero counts: an available service with no data for a region counts as zero there.
    let zr = registry::v1::RegionCounts::default();
    let ze = education::v1::RegionCounts::default();
    let zh = health::v1::RegionHealth::default();
    let zo = housing::v1::RegionCounts::default();
    let zw = water::v1::WaterCounts::default();
    let exceptions_total = exceptions(
        &key.region_prefix,
        RegionInputs {
            registry: r_ok.then(|| rt.as_ref().unwrap_or(&zr)),
            education: e_ok.then(|| et.as_ref().unwrap_or(&ze)),
            health: h_ok.then(|| ht.as_ref().unwrap_or(&zh)),
            housing: o_ok.then(|| ot.as_ref().unwrap_or(&zo)),
            water: w_ok.then(|| wt.as_ref().unwrap_or(&zw)),
        },
    );
    let codes = group_codes(
        rg.iter()
            .map(|g| g.region_code.as_str())
            .chain(eg.iter().map(|g| g.region_code.as_str()))
            .chain(hg.iter().map(|g| g.region_code.as_str()))
            .chain(og.iter().map(|g| g.region_code.as_str()))
            .chain(wg.iter().map(|g| g.region_code.as_str())),
    );
    let exceptions_groups = codes
        .iter()
        .map(|code| {
            exceptions(
                code,
                RegionInputs {
                    registry: pick(r_ok, &rg, code, |g| g.region_code.as_str(), &zr),
                    education: pick(e_ok, &eg, code, |g| g.region_code.as_str(), &ze),
                    health: pick(h_ok, &hg, code, |g| g.region_code.as_str(), &zh),
                    housing: pick(o_ok, &og, code, |g| g.region_code.as_str(), &zo),
                    water: pick(w_ok, &wg, code, |g| g.region_code.as_str(), &zw),
                },
            )
        })
        .collect();
    Summary {
        region_prefix: key.region_prefix.clone(),
        group_by: key.group_by,
        as_of: Some(xk_contracts::convert::date_to_pb(key.as_of)),
        year: key.year,
        complete: r_ok && e_ok && h_ok && o_ok && w_ok,
        registry: Some(RegistrySection {
            status: Some(rs),
            total: rt,
            groups: rg,
        }),
        education: Some(EducationSection {
            status: Some(es),
            total: et,
            groups: eg,
        }),
        health: Some(HealthSection {
            status: Some(hs),
            total: ht,
            groups: hg,
            institutions,
        }),
        housing: Some(HousingSection {
            status: Some(os),
            total: ot,
            groups: og,
        }),
        water: Some(WaterSection {
            status: Some(ws),
            total: wt,
            groups: wg,
        }),
        exceptions_total: Some(exceptions_total),
        exceptions_groups,
    }
}

fn criterion(name: &str, result: CriterionResult, detail: impl Into<String>) -> ExitCriterion {
    ExitCriterion {
        name: name.to_string(),
        result: result as i32,
        detail: detail.into(),
    }
}

fn unknown(name: &str, status: &Option<SectionStatus>) -> ExitCriterion {
    let why = status
        .as_ref()
        .map(|s| s.message.clone())
        .unwrap_or_default();
    criterion(
        name,
        CriterionResult::Unknown,
        format!("unavailable: {why}"),
    )
}

/// The exit criteria of a household from its file: per-capita income of `year` at or
/// above `poverty_line_fen`; every student guaranteed; every current member insured for
/// the year; relocated households moved in and no unrenovated C/D house; drinking water
/// 安全 or 基本安全. A section that is unavailable makes its criterion UNKNOWN (not met).
pub fn exit_criteria(file: &HouseholdFile, year: i32, poverty_line_fen: i64) -> Vec<ExitCriterion> {
    use CriterionResult::{Met, NotMet};
    let mut out = Vec::new();
    let reg = file.registry.clone().unwrap_or_default();
    out.push(if !is_available(&reg.status) {
        unknown("INCOME", &reg.status)
    } else {
        let income = reg
            .household
            .as_ref()
            .and_then(|h| h.incomes.iter().find(|i| i.year == year));
        match income {
            None => criterion("INCOME", NotMet, format!("no income recorded for {year}")),
            Some(i) if i.per_capita_net_income_fen >= poverty_line_fen => criterion(
                "INCOME",
                Met,
                format!(
                    "{} fen per person in {year}, line {poverty_line_fen}",
                    i.per_capita_net_income_fen
                ),
            ),
            Some(i) => criterion(
                "INCOME",
                NotMet,
                format!(
                    "{} fen per person in {year} is below the line of {poverty_line_fen}",
                    i.per_capita_net_income_fen
                ),
            ),
        }
    });
    let edu = file.education.clone().unwrap_or_default();
    out.push(if !is_available(&edu.status) {
        unknown("EDUCATION", &edu.status)
    } else {
        let not = edu
            .students
            .iter()
            .filter(|s| !s.student.as_ref().is_some_and(|s| s.guaranteed))
            .count();
        if not == 0 {
            criterion(
                "EDUCATION",
                Met,
                format!("{} student(s), all guaranteed", edu.students.len()),
            )
        } else {
            criterion(
                "EDUCATION",
                NotMet,
                format!("{not} student(s) not guaranteed"),
            )
        }
    });
    let hea = file.health.clone().unwrap_or_default();
    out.push(if !is_available(&hea.status) {
        unknown("HEALTH", &hea.status)
    } else {
        let not = hea.people.iter().filter(|p| !p.enrolled).count();
        if not == 0 {
            criterion(
                "HEALTH",
                Met,
                format!("{} member(s) insured for {year}", hea.people.len()),
            )
        } else {
            criterion(
                "HEALTH",
                NotMet,
                format!("{not} member(s) not insured for {year}"),
            )
        }
    });
    let hou = file.housing.clone().unwrap_or_default();
    out.push(if !is_available(&hou.status) {
        unknown("HOUSING", &hou.status)
    } else {
        let not_moved = hou.relocation.as_ref().is_some_and(|r| !r.moved_in);
        let dangerous = hou.appraisal.as_ref().is_some_and(|a| {
            let cd =
                a.grade == housing::v1::Grade::C as i32 || a.grade == housing::v1::Grade::D as i32;
            cd && a.renovation_completed_on.is_none()
        });
        match (not_moved, dangerous) {
            (false, false) => criterion("HOUSING", Met, "housing safe"),
            (true, _) => criterion("HOUSING", NotMet, "relocated but not moved in"),
            (false, true) => criterion("HOUSING", NotMet, "house graded C/D and not renovated"),
        }
    });
    let wat = file.water.clone().unwrap_or_default();
    out.push(if !is_available(&wat.status) {
        unknown("WATER", &wat.status)
    } else {
        let verdict = wat
            .water
            .as_ref()
            .and_then(|w| w.current.as_ref())
            .and_then(|a| a.grading.as_ref())
            .map(|g| g.verdict);
        match verdict {
            None => criterion("WATER", NotMet, "no water assessment"),
            Some(v)
                if v == water::v1::Verdict::Safe as i32
                    || v == water::v1::Verdict::BasicallySafe as i32 =>
            {
                criterion("WATER", Met, "safe or basically safe")
            }
            Some(_) => criterion("WATER", NotMet, "drinking water unsafe"),
        }
    });
    out
}

/// A snapshot month `YYYY-MM` parsed to its first day.
pub fn parse_month(s: &str) -> Result<NaiveDate, String> {
    let bad = || format!("must be YYYY-MM, got {s:?}");
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if !(2000..=2100).contains(&y) {
        return Err(format!("year must be 2000-2100, got {y}"));
    }
    NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| format!("month must be 01-12, got {m:02}"))
}

/// The day a month's snapshot is judged at: its last day, or `today` if the month has not
/// ended yet. A month entirely in the future is refused.
pub fn snapshot_as_of(first: NaiveDate, today: NaiveDate) -> Result<NaiveDate, String> {
    if first > today {
        return Err(format!(
            "month {} has not started yet (today is {today})",
            first.format("%Y-%m")
        ));
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(first);
    Ok(last.min(today))
}

/// The snapshot id of a month and prefix.
pub fn snapshot_id(month: &str, prefix: &str) -> String {
    format!("{month}/{prefix}")
}

/// Masks a household id for logs: first 4 characters and the length. Household ids are
/// not personal data, but an id plus a log line can identify a family; keep logs coarse.
pub fn mask_household(id: &str) -> String {
    let head: String = id.chars().take(4).collect();
    format!("{head}…({})", id.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_keeps_a_margin_and_respects_the_cap() {
        let d = Duration::from_secs(5);
        assert_eq!(
            call_budget(Some(Duration::from_secs(1)), d),
            Some(Duration::from_millis(900))
        );
        // A short deadline keeps the minimum margin.
        assert_eq!(
            call_budget(Some(Duration::from_millis(100)), d),
            Some(Duration::from_millis(75))
        );
        // No deadline: the default.
        assert_eq!(call_budget(None, d), Some(Duration::from_millis(4500)));
        // A longer deadline is capped by the default.
        assert_eq!(
            call_budget(Some(Duration::from_secs(60)), d),
            Some(Duration::from_millis(4500))
        );
        // Nothing useful left.
        assert_eq!(call_budget(Some(Duration::from_millis(20)), d), None);
        assert_eq!(call_budget(Some(Duration::from_millis(29)), d), None);
    }

    #[test]
    fn retries_only_unavailable_at_most_twice_within_the_budget() {
        let lots = Duration::from_secs(1);
        assert_eq!(retry_after(Code::Unavailable, 0, lots), Some(BASE_BACKOFF));
        assert_eq!(
            retry_after(Code::Unavailable, 1, lots),
            Some(BASE_BACKOFF * 2)
        );
        assert_eq!(retry_after(Code::Unavailable, 2, lots), None);
        for c in [
            Code::DeadlineExceeded,
            Code::Internal,
            Code::NotFound,
            Code::PermissionDenied,
            Code::ResourceExhausted,
        ] {
            assert_eq!(retry_after(c, 0, lots), None, "{c:?}");
        }
        assert_eq!(
            retry_after(Code::Unavailable, 0, Duration::from_millis(24)),
            None
        );
    }

    #[test]
    fn exceptions_follow_domain_8_and_unknown_is_not_zero() {
        let r = registry::v1::RegionCounts {
            archive_people: 10,
            ..Default::default()
        };
        let e = education::v1::RegionCounts {
            not_guaranteed: 3,
            not_guaranteed_without_case: 2,
            ..Default::default()
        };
        let h = health::v1::RegionHealth {
            registered_poor_insured: 8,
            people_over_cap: 1,
            ..Default::default()
        };
        let ho = housing::v1::RegionCounts {
            relocated_households: 5,
            moved_in_households: 4,
            with_labour_households: 5,
            with_employment_households: 3,
            ..Default::default()
        };
        let w = water::v1::WaterCounts {
            unsafe_households: 1,
            unsafe_people: 4,
            ..Default::default()
        };
        let all = exceptions(
            "420625",
            RegionInputs {
                registry: Some(&r),
                education: Some(&e),
                health: Some(&h),
                housing: Some(&ho),
                water: Some(&w),
            },
        );
        assert_eq!(all.children_out_of_school_without_case, Some(2));
        assert_eq!(all.uninsured_registered_people, Some(2));
        assert_eq!(all.people_over_cap, Some(1));
        assert_eq!(all.relocated_not_moved_in_households, Some(1));
        assert_eq!(all.relocated_without_employment_households, Some(2));
        assert_eq!(all.unsafe_water_households, Some(1));
        assert_eq!(all.unsafe_water_people, Some(4));

        // Health down: the uninsured and over-cap figures are unknown, the rest stand.
        let partial = exceptions(
            "420625",
            RegionInputs {
                registry: Some(&r),
                health: None,
                ..RegionInputs::default()
            },
        );
        assert_eq!(partial.uninsured_registered_people, None);
        assert_eq!(partial.people_over_cap, None);
        // More insured than archived (non-archive enrolments) never goes negative.
        let h2 = health::v1::RegionHealth {
            registered_poor_insured: 12,
            ..Default::default()
        };
        let over = exceptions(
            "x",
            RegionInputs {
                registry: Some(&r),
                health: Some(&h2),
                ..RegionInputs::default()
            },
        );
        assert_eq!(over.uninsured_registered_people, Some(0));
    }

    #[test]
    fn groups_are_the_sorted_union_and_missing_is_zero_when_available() {
        assert_eq!(
            group_codes(["420625101", "420625100", "420625101"]),
            vec!["420625100".to_string(), "420625101".to_string()]
        );
        let zero = water::v1::WaterCounts::default();
        let groups = vec![water::v1::WaterCounts {
            region_code: "A".into(),
            unsafe_households: 2,
            ..Default::default()
        }];
        fn code(w: &water::v1::WaterCounts) -> &str {
            w.region_code.as_str()
        }
        assert_eq!(
            pick(true, &groups, "A", code, &zero).map(|w| w.unsafe_households),
            Some(2)
        );
        assert_eq!(
            pick(true, &groups, "B", code, &zero).map(|w| w.unsafe_households),
            Some(0)
        );
        assert!(pick(false, &groups, "A", code, &zero).is_none());
    }

    #[test]
    fn months_parse_and_judge_at_their_last_day() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(parse_month("2019-12"), Ok(d(2019, 12, 1)));
        for bad in ["2019-13", "2019-1", "19-12", "2019/12", "", "1999-01"] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
        let today = d(2026, 11, 29);
        assert_eq!(snapshot_as_of(d(2019, 12, 1), today), Ok(d(2019, 12, 31)));
        assert_eq!(snapshot_as_of(d(2020, 2, 1), today), Ok(d(2020, 2, 29)));
        assert_eq!(snapshot_as_of(d(2026, 11, 1), today), Ok(today));
        assert!(snapshot_as_of(d(2026, 12, 1), today).is_err());
        assert_eq!(snapshot_id("2019-12", "420625"), "2019-12/420625");
    }

    #[test]
    fn statuses_name_the_service_and_code() {
        let s = unavailable("water", &Status::unavailable("connection refused"));
        assert_eq!(s.state, SectionState::Unavailable as i32);
        assert_eq!(s.code, Code::Unavailable as i32);
        assert!(s.message.starts_with("water: "));
        assert!(is_available(&Some(available())));
        assert!(!is_available(&Some(s)));
        assert!(!is_available(&None));
        assert_eq!(mask_household("HH000123"), "HH00…(8)");
    }

    #[test]
    fn the_summary_year_is_health_s_latest_only_when_asked_and_never_later() {
        let key = |latest| SummaryKey {
            region_prefix: "420625".into(),
            group_by: 2,
            as_of: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
            year: 2026,
            latest_year_with_data: latest,
        };
        let found = |y| {
            Ok(health::v1::SummarizeByRegionResponse {
                coverage_year: y,
                ..Default::default()
            })
        };
        assert_eq!(summary_year(&key(true), &found(2019)), 2019);
        assert_eq!(summary_year(&key(false), &found(2019)), 2026);
        // A health too old to know the field answers 0; a later year is not believed.
        assert_eq!(summary_year(&key(true), &found(0)), 2026);
        assert_eq!(summary_year(&key(true), &found(2027)), 2026);
        let down = Err(Status::unavailable("down"));
        assert_eq!(summary_year(&key(true), &down), 2026);
    }

    #[test]
    fn combine_marks_the_failed_section_and_serves_the_rest() {
        let key = SummaryKey {
            region_prefix: "420625".into(),
            group_by: 2,
            as_of: NaiveDate::from_ymd_opt(2019, 12, 31).unwrap(),
            year: 2019,
            latest_year_with_data: false,
        };
        let t1 = "420625100";
        let t2 = "420625101";
        let answers = Answers {
            registry: Ok(registry::v1::SummarizeByRegionResponse {
                groups: vec![registry::v1::RegionCounts {
                    region_code: t1.into(),
                    archive_people: 5,
                    ..Default::default()
                }],
                total: Some(registry::v1::RegionCounts {
                    region_code: "420625".into(),
                    archive_people: 5,
                    ..Default::default()
                }),
            }),
            education: Ok(Default::default()),
            health: Err(Status::deadline_exceeded("slow")),
            housing: Ok(Default::default()),
            water: Ok(water::v1::SummarizeByRegionResponse {
                groups: vec![water::v1::WaterCounts {
                    region_code: t2.into(),
                    unsafe_households: 1,
                    ..Default::default()
                }],
                total: Some(water::v1::WaterCounts {
                    unsafe_households: 1,
                    ..Default::default()
                }),
            }),
        };
        let s = combine(&key, answers);
        assert!(!s.complete);
        let h = s.health.unwrap().status.unwrap();
        assert_eq!(h.state, SectionState::Unavailable as i32);
        assert_eq!(h.code, Code::DeadlineExceeded as i32);
        assert!(is_available(&s.water.unwrap().status));
        let codes: Vec<_> = s
            .exceptions_groups
            .iter()
            .map(|g| g.region_code.as_str())
            .collect();
        assert_eq!(codes, [t1, t2]);
        let total = s.exceptions_total.unwrap();
        assert_eq!(total.unsafe_water_households, Some(1));
        assert_eq!(total.children_out_of_school_without_case, Some(0));
        assert_eq!(total.uninsured_registered_people, None);
        assert_eq!(s.exceptions_groups[0].unsafe_water_households, Some(0));
        assert_eq!(s.exceptions_groups[1].unsafe_water_households, Some(1));
    }

    #[test]
    fn exit_criteria_need_every_guarantee_and_unknown_is_not_met() {
        use xk_contracts::pb::aggregator::v1::*;
        let mut file = HouseholdFile {
            household_id: "HH1".into(),
            registry: Some(RegistryFile {
                status: Some(available()),
                household: Some(registry::v1::Household {
                    incomes: vec![registry::v1::Income {
                        year: 2019,
                        per_capita_net_income_fen: 500_000,
                    }],
                    ..Default::default()
                }),
            }),
            education: Some(EducationFile {
                status: Some(available()),
                students: vec![],
            }),
            health: Some(HealthFile {
                status: Some(available()),
                people: vec![PersonHealth {
                    resident_id: "x".into(),
                    enrolled: true,
                    person_year: None,
                }],
            }),
            housing: Some(HousingFile {
                status: Some(available()),
                relocation: None,
                appraisal: None,
            }),
            water: Some(WaterFile {
                status: Some(available()),
                water: Some(water::v1::GetHouseholdWaterResponse {
                    current: Some(water::v1::Assessment {
                        grading: Some(water::v1::Grading {
                            verdict: water::v1::Verdict::BasicallySafe as i32,
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            }),
            complete: true,
        };
        let met = |c: &[ExitCriterion]| c.iter().all(|c| c.result == CriterionResult::Met as i32);
        assert!(met(&exit_criteria(&file, 2019, 321_800)));
        // Below the line; another year without income.
        let c = exit_criteria(&file, 2019, 600_000);
        assert_eq!(c[0].result, CriterionResult::NotMet as i32);
        let c = exit_criteria(&file, 2020, 321_800);
        assert_eq!(c[0].result, CriterionResult::NotMet as i32);
        // An uninsured member, a relocation not moved in, water down.
        file.health.as_mut().unwrap().people[0].enrolled = false;
        file.housing.as_mut().unwrap().relocation = Some(housing::v1::Relocation::default());
        file.water.as_mut().unwrap().status =
            Some(unavailable("water", &Status::unavailable("down")));
        let c = exit_criteria(&file, 2019, 321_800);
        let results: Vec<i32> = c.iter().map(|c| c.result).collect();
        assert_eq!(
            results,
            [
                CriterionResult::Met as i32,
                CriterionResult::Met as i32,
                CriterionResult::NotMet as i32,
                CriterionResult::NotMet as i32,
                CriterionResult::Unknown as i32,
            ]
        );
    }
}
