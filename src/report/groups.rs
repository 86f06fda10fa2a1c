//! The per-township (or per-village) rows of the report: the registry's key counts and the
//! exceptions of DOMAIN.md §8 for every group code any section reported, in code order.
//! A cell is `None` when the service it comes from did not answer (unknown, not zero).

use std::collections::{BTreeMap, BTreeSet};

use xk_contracts::pb::aggregator::v1::{ExceptionCounts, Summary};
use xk_contracts::pb::registry::v1::RegionCounts;

use super::figures::availability;

/// One group's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// The township or village code.
    pub code: String,
    /// Archive households (registry).
    pub archive_households: Option<i64>,
    /// Archive people (registry).
    pub archive_people: Option<i64>,
    /// People in exited households (registry).
    pub exited_people: Option<i64>,
    /// People in poor, not exited households (registry).
    pub poor_people: Option<i64>,
    /// Households with an open monitoring case (registry).
    pub monitored_households: Option<i64>,
    /// Children out of school without a case (education).
    pub children_without_case: Option<i64>,
    /// Registered poor not insured (registry and health).
    pub uninsured_people: Option<i64>,
    /// People over the personal cap (health).
    pub over_cap_people: Option<i64>,
    /// Relocated households not moved in (housing).
    pub not_moved_in_households: Option<i64>,
    /// Households with unsafe water (water).
    pub unsafe_water_households: Option<i64>,
}

impl GroupRow {
    /// The sum of the known exceptions, and whether any was unknown.
    pub fn exceptions(&self) -> (i64, bool) {
        let cells = [
            self.children_without_case,
            self.uninsured_people,
            self.over_cap_people,
            self.not_moved_in_households,
            self.unsafe_water_households,
        ];
        (
            cells.iter().flatten().sum(),
            cells.iter().any(Option::is_none),
        )
    }
}

/// The row of the whole prefix (the table's total line), from the sections' totals.
pub fn total(s: &Summary) -> GroupRow {
    let reg = s
        .registry
        .as_ref()
        .filter(|r| availability(r.status.as_ref()).is_ok())
        .map(|r| r.total.clone().unwrap_or_default());
    let r = |f: fn(&RegionCounts) -> i64| reg.as_ref().map(f);
    let e = s.exceptions_total.clone().unwrap_or_default();
    GroupRow {
        code: s.region_prefix.clone(),
        archive_households: r(|g| g.archive_households),
        archive_people: r(|g| g.archive_people),
        exited_people: r(|g| g.exited_people),
        poor_people: r(|g| g.poor_people),
        monitored_households: r(|g| g.monitored_households),
        children_without_case: e.children_out_of_school_without_case,
        uninsured_people: e.uninsured_registered_people,
        over_cap_people: e.people_over_cap,
        not_moved_in_households: e.relocated_not_moved_in_households,
        unsafe_water_households: e.unsafe_water_households,
    }
}

/// The rows of every group, in code order.
pub fn rows(s: &Summary) -> Vec<GroupRow> {
    let registry_ok = s
        .registry
        .as_ref()
        .is_some_and(|r| availability(r.status.as_ref()).is_ok());
    let reg: BTreeMap<&str, &RegionCounts> = s
        .registry
        .iter()
        .flat_map(|r| r.groups.iter())
        .map(|g| (g.region_code.as_str(), g))
        .collect();
    let exc: BTreeMap<&str, &ExceptionCounts> = s
        .exceptions_groups
        .iter()
        .map(|g| (g.region_code.as_str(), g))
        .collect();
    let codes: BTreeSet<&str> = reg.keys().chain(exc.keys()).copied().collect();
    codes
        .into_iter()
        .map(|code| {
            // An available registry that reports no row for a code has zero there.
            let r = |f: fn(&RegionCounts) -> i64| -> Option<i64> {
                registry_ok.then(|| reg.get(code).map_or(0, |g| f(g)))
            };
            let e = exc.get(code).copied().cloned().unwrap_or_default();
            GroupRow {
                code: code.to_string(),
                archive_households: r(|g| g.archive_households),
                archive_people: r(|g| g.archive_people),
                exited_people: r(|g| g.exited_people),
                poor_people: r(|g| g.poor_people),
                monitored_households: r(|g| g.monitored_households),
                children_without_case: e.children_out_of_school_without_case,
                uninsured_people: e.uninsured_registered_people,
                over_cap_people: e.people_over_cap,
                not_moved_in_households: e.relocated_not_moved_in_households,
                unsafe_water_households: e.unsafe_water_households,
            }
        })
        .collect()
}
