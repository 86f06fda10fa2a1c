//! The summary's rules: the exceptions of DOMAIN.md §8 derived from the services' counts,
//! the groups they cover, the year the figures are of, and combining the five answers.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use tonic::Status;
use xk_contracts::pb::aggregator::v1::{
    EducationSection, ExceptionCounts, HealthSection, HousingSection, RegistrySection,
    SectionState, SectionStatus, Summary, WaterSection,
};
use xk_contracts::pb::{education, health, housing, registry, water};

use super::section::{available, unavailable};

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

#[cfg(test)]
mod tests {
    use super::super::section::is_available;
    use super::*;
    use tonic::Code;

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
}
