//! What the runtime needs of a `SummarizeByRegion` response that is only its groups and
//! their total: how to build one. Derived by build.rs from the contracts, as the paged
//! lists' [`crate::ListPage`] is.

/// A summary response of per-region groups and their total, nothing else.
pub trait RegionSummary {
    /// The counts of one region.
    type Group;

    /// The response carrying `groups` and `total`.
    fn of(groups: Vec<Self::Group>, total: Self::Group) -> Self;
}

include!(concat!(env!("OUT_DIR"), "/xiaokang_summaries.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb;

    /// Only a summary of groups and a total gets one (education's also names a survey).
    #[test]
    fn a_summary_is_its_groups_and_their_total() {
        let total = pb::water::v1::WaterCounts {
            households: 2,
            ..Default::default()
        };
        let s = pb::water::v1::SummarizeByRegionResponse::of(Vec::new(), total.clone());
        assert_eq!((s.groups.len(), s.total), (0, Some(total)));
    }
}
