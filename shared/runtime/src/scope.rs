//! What every `SummarizeByRegion` asks, checked once: which region (a required 6-, 9- or
//! 12-digit prefix), grouped at which level, and as of which day; and the region and day
//! fields other requests share (an optional prefix filter, a required past date).

use chrono::NaiveDate;
use tonic::Status;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::summaries::RegionSummary;
use xk_contracts::types::{RegionPrefix, not_in_future};

use crate::errors::Violations;

/// The region a summary covers and how its groups are keyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryScope {
    /// The region prefix the summary covers.
    pub prefix: RegionPrefix,
    /// Length of the group key (6 county, 9 township, 12 village), never shorter than the
    /// prefix: a township's summary grouped by county is that one township.
    pub group_len: usize,
}

/// Checks a summary's `region_prefix` (required) and `group_by` (a `RegionLevel`; 0 means
/// township), recording every violation in `v`. `None` when either is bad.
pub fn summary_scope(
    v: &mut Violations,
    region_prefix: &str,
    group_by: i32,
) -> Option<SummaryScope> {
    let prefix = required_prefix(v, region_prefix);
    let level_len = match RegionLevel::try_from(group_by) {
        Ok(RegionLevel::Unspecified | RegionLevel::Township) => Some(9),
        Ok(RegionLevel::County) => Some(6),
        Ok(RegionLevel::Village) => Some(12),
        Err(_) => {
            v.add("group_by", format!("unknown region level {group_by}"));
            None
        }
    };
    let prefix = prefix?;
    let group_len = level_len?.max(prefix.as_str().len());
    Some(SummaryScope { prefix, group_len })
}

/// Checks a whole summary request at once: `region_prefix` and `group_by`
/// ([`summary_scope`]), then the service's own fields with `more` (so their violations
/// follow, in the request's field order). INVALID_ARGUMENT naming every bad field, else
/// the scope and what `more` read.
pub fn check_summary<T>(
    region_prefix: &str,
    group_by: i32,
    more: impl FnOnce(&mut Violations) -> T,
) -> Result<(SummaryScope, T), Status> {
    let mut v = Violations::new();
    let scope = summary_scope(&mut v, region_prefix, group_by);
    let more = more(&mut v);
    v.into_result()?;
    // `summary_scope` is `None` only after recording a violation.
    let scope = scope.ok_or_else(|| Status::internal("validated fields missing"))?;
    Ok((scope, more))
}

/// The answer to a summary of groups and nothing else: the `groups` and their total, which
/// `total` adds up.
pub fn summary_answer<R: RegionSummary>(
    groups: Vec<R::Group>,
    total: impl FnOnce(&[R::Group]) -> R::Group,
) -> R {
    let total = total(&groups);
    R::of(groups, total)
}

/// A required `region_prefix` (a 6-, 9- or 12-digit prefix); `None` after recording
/// what is wrong in `v`.
pub fn required_prefix(v: &mut Violations, region_prefix: &str) -> Option<RegionPrefix> {
    if region_prefix.is_empty() {
        v.add(
            "region_prefix",
            "required: a 6-, 9- or 12-digit region prefix",
        );
        return None;
    }
    v.check("region_prefix", RegionPrefix::parse(region_prefix))
}

/// The canonical form of an optional region-prefix filter (empty: no filter); a bad one
/// is recorded in `v` under `field`.
pub fn optional_prefix(v: &mut Violations, field: &str, sent: &str) -> String {
    if sent.is_empty() {
        return String::new();
    }
    v.check(field, RegionPrefix::parse(sent))
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

/// The day a read is judged on: `as_of` if sent (checked; the violation names `as_of`),
/// else the county's today.
pub fn as_of(v: &mut Violations, sent: Option<&Date>) -> NaiveDate {
    match sent {
        None => crate::clock::today(),
        Some(d) => v
            .check("as_of", date_from_pb(d))
            .unwrap_or_else(crate::clock::today),
    }
}

/// A required date field of a record (the day something happened): present, real, and
/// not after `today`; `None` after recording what is wrong in `v` under `field`.
pub fn required_date(
    v: &mut Violations,
    field: &str,
    sent: Option<&Date>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    match sent {
        None => {
            v.add(field, "required");
            None
        }
        Some(d) => v
            .check(field, date_from_pb(d))
            .and_then(|d| v.check(field, not_in_future(d, today))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_level_are_checked_together() {
        let mut v = Violations::new();
        let s = summary_scope(&mut v, "420625", RegionLevel::Village as i32).unwrap();
        assert_eq!((s.prefix.as_str(), s.group_len), ("420625", 12));
        let s = summary_scope(&mut v, "420625100", RegionLevel::County as i32).unwrap();
        assert_eq!(s.group_len, 9, "never shorter than the prefix");
        assert_eq!(summary_scope(&mut v, "420625", 0).unwrap().group_len, 9);
        assert!(v.is_empty());

        assert!(summary_scope(&mut v, "", 99).is_none());
        let fields: Vec<&str> = v.items().iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["region_prefix", "group_by"]);
    }

    #[test]
    fn a_summary_names_its_own_fields_after_the_scope() {
        let (scope, year) = check_summary("420625", 0, |_| 2020).unwrap();
        assert_eq!((scope.group_len, year), (9, 2020));
        let status = check_summary("4206", 99, |v| v.add("year", "bad")).unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let mut v = Violations::new();
        assert_eq!(optional_prefix(&mut v, "region_prefix", ""), "");
        assert_eq!(optional_prefix(&mut v, "region_prefix", "420625"), "420625");
        assert!(v.is_empty());
        optional_prefix(&mut v, "region", "42");
        assert_eq!(v.items()[0].0, "region");
    }

    #[test]
    fn a_summary_answer_carries_the_groups_and_what_they_add_up_to() {
        use xk_contracts::pb::water::v1::{SummarizeByRegionResponse, WaterCounts};
        let group = |households| WaterCounts {
            households,
            ..Default::default()
        };
        let s: SummarizeByRegionResponse =
            summary_answer(vec![group(1), group(2)], |g: &[WaterCounts]| {
                group(g.iter().map(|c| c.households).sum())
            });
        assert_eq!((s.groups.len(), s.total), (2, Some(group(3))));
    }

    #[test]
    fn as_of_defaults_to_today_and_names_a_bad_date() {
        let mut v = Violations::new();
        assert_eq!(as_of(&mut v, None), crate::clock::today());
        let bad = Date {
            year: 2019,
            month: 2,
            day: 30,
        };
        as_of(&mut v, Some(&bad));
        assert_eq!(v.items()[0].0, "as_of");
    }
}
