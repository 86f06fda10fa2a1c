//! How a household is resettled: the site types. A leaf of the domain, so the timeline
//! ([`super::milestones`]) and the household record ([`super::relocation`]) both use it
//! without using each other in a circle.

/// Kinds of centralized resettlement site (集中安置).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CentralizedKind {
    /// In the county town (县城).
    CountyTown,
    /// In a market town (集镇).
    MarketTown,
    /// In a central village (中心村).
    CentralVillage,
    /// In an industrial park (产业园区).
    IndustrialPark,
}

/// Kinds of scattered resettlement (分散安置).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScatteredKind {
    /// Filling in an existing village (插花安置).
    FillingIn,
    /// Moving in with relatives (投亲靠友).
    WithRelatives,
}

/// How a household is resettled; decides the move-in rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiteType {
    /// A centralized site: moved in at key handover.
    Centralized(CentralizedKind),
    /// Scattered resettlement: moved in once the house passes and the family lives there.
    Scattered(ScatteredKind),
}
