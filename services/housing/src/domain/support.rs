//! Follow-up support (后续扶持) for relocated households, and the employment rule:
//! every household with labour has at least one member employed.

use chrono::NaiveDate;

use super::rules::SUPPORT_PERIOD;
use super::{FieldViolation, in_future, into_result};

/// A follow-up support measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SupportMeasure {
    /// Wage employment (务工就业), locally or away.
    Employment,
    /// Industry support (产业扶持): livestock, crops, cooperatives.
    Industry,
    /// Public-welfare job (公益性岗位): cleaner, forest ranger, road keeper.
    PublicWelfareJob,
    /// Skills training (技能培训).
    Training,
    /// Poverty-alleviation workshop (扶贫车间) job near the site.
    Workshop,
    /// Community services at the resettlement site (社区服务).
    CommunityService,
    /// Children's school transfer to the new place (就学转接).
    SchoolTransfer,
    /// Insurance transfer (医保社保转接).
    InsuranceTransfer,
}

impl SupportMeasure {
    /// Whether the measure gives a member a job, so it can count toward employment:
    /// wage employment, a public-welfare job, or a workshop job.
    pub fn counts_as_employment(self) -> bool {
        matches!(
            self,
            SupportMeasure::Employment
                | SupportMeasure::PublicWelfareJob
                | SupportMeasure::Workshop
        )
    }

    /// Stable snake_case name, for messages and mapping to the contract.
    pub fn name(self) -> &'static str {
        match self {
            SupportMeasure::Employment => "employment",
            SupportMeasure::Industry => "industry",
            SupportMeasure::PublicWelfareJob => "public_welfare_job",
            SupportMeasure::Training => "training",
            SupportMeasure::Workshop => "workshop",
            SupportMeasure::CommunityService => "community_service",
            SupportMeasure::SchoolTransfer => "school_transfer",
            SupportMeasure::InsuranceTransfer => "insurance_transfer",
        }
    }
}

/// One support measure given to a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportRecord {
    /// Which measure; decides whether it counts as employment.
    pub measure: SupportMeasure,
    /// Day it started; a measure counts from here.
    pub started_on: NaiveDate,
    /// Day it ended, if it did (a job lost, a training finished); `None` while ongoing.
    pub ended_on: Option<NaiveDate>,
}

impl SupportRecord {
    /// Whether the measure is in effect on `day`.
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|e| day <= e)
    }
}

/// The employment rule: a household with labour has at least one member employed
/// (a household without labour passes trivially).
pub fn employment_ok(labour_members: u32, employed_members: u32) -> bool {
    labour_members == 0 || employed_members > 0
}

/// Validate a support record: not started in the future, not ended before it started,
/// no end date in the future.
pub fn validate_support(r: &SupportRecord, today: NaiveDate) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    v.extend(in_future("started_on", "start date", r.started_on, today));
    if let Some(end) = r.ended_on {
        v.extend(in_future("ended_on", "end date", end, today));
        if end < r.started_on {
            v.push(FieldViolation::rule(
                SUPPORT_PERIOD,
                "ended_on",
                format!("end date {end} is before the start date {}", r.started_on),
            ));
        }
    }
    into_result(v)
}

/// Validate the household's labour counts against its size: neither labour nor employed
/// members may exceed the members.
pub fn validate_labour(
    members: u32,
    labour_members: u32,
    employed_members: u32,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    if labour_members > members {
        v.push(FieldViolation::invalid(
            "labour_members",
            format!("{labour_members} labour members in a household of {members}"),
        ));
    }
    if employed_members > members {
        v.push(FieldViolation::invalid(
            "employed_members",
            format!("{employed_members} employed members in a household of {members}"),
        ));
    }
    into_result(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{breaches, d};
    use proptest::prelude::*;

    #[test]
    fn employment_rule() {
        assert!(employment_ok(0, 0));
        assert!(employment_ok(2, 1));
        assert!(employment_ok(1, 1));
        assert!(!employment_ok(1, 0));
        assert!(!employment_ok(3, 0));
        // A member without full labour capacity may hold a public-welfare job.
        assert!(employment_ok(0, 1));
    }

    #[test]
    fn which_measures_are_jobs() {
        let jobs: Vec<&str> = [
            SupportMeasure::Employment,
            SupportMeasure::Industry,
            SupportMeasure::PublicWelfareJob,
            SupportMeasure::Training,
            SupportMeasure::Workshop,
            SupportMeasure::CommunityService,
            SupportMeasure::SchoolTransfer,
            SupportMeasure::InsuranceTransfer,
        ]
        .into_iter()
        .filter(|m| m.counts_as_employment())
        .map(SupportMeasure::name)
        .collect();
        assert_eq!(jobs, vec!["employment", "public_welfare_job", "workshop"]);
    }

    #[test]
    fn active_period_is_inclusive() {
        let r = SupportRecord {
            measure: SupportMeasure::Training,
            started_on: d(2019, 3, 1),
            ended_on: Some(d(2019, 3, 31)),
        };
        assert!(!r.active_on(d(2019, 2, 28)));
        assert!(r.active_on(d(2019, 3, 1)));
        assert!(r.active_on(d(2019, 3, 31)));
        assert!(!r.active_on(d(2019, 4, 1)));
        let open = SupportRecord {
            ended_on: None,
            ..r
        };
        assert!(open.active_on(d(2030, 1, 1)));
    }

    #[test]
    fn support_validation() {
        let today = d(2020, 1, 1);
        let ok = SupportRecord {
            measure: SupportMeasure::Workshop,
            started_on: d(2019, 3, 1),
            ended_on: None,
        };
        assert_eq!(validate_support(&ok, today), Ok(()));
        let bad = SupportRecord {
            measure: SupportMeasure::Workshop,
            started_on: d(2020, 3, 1),
            ended_on: Some(d(2020, 2, 1)),
        };
        let err = validate_support(&bad, today).unwrap_err();
        assert_eq!(
            breaches(&err),
            [
                ("started_on", ""),
                ("ended_on", ""),
                ("ended_on", SUPPORT_PERIOD)
            ]
        );
    }

    #[test]
    fn labour_validation() {
        assert_eq!(validate_labour(4, 2, 1), Ok(()));
        assert_eq!(validate_labour(4, 4, 4), Ok(()));
        let err = validate_labour(2, 3, 3).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["labour_members", "employed_members"]);
    }

    proptest! {
        #[test]
        fn employment_ok_definition(labour in 0u32..20, employed in 0u32..20) {
            prop_assert_eq!(employment_ok(labour, employed), labour == 0 || employed >= 1);
        }
    }
}
