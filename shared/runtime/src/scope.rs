//! What every `SummarizeByRegion` asks, checked once: which region (a required 6-, 9- or
//! 12-digit prefix), grouped at which level, and as of which day.

use chrono::NaiveDate;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::types::RegionPrefix;

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
    let prefix = if region_prefix.is_empty() {
        v.add(
            "region_prefix",
            "required: a 6-, 9- or 12-digit region prefix",
        );
        None
    } else {
        v.check("region_prefix", RegionPrefix::parse(region_prefix))
    };
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
