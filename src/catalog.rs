//! Which services the suite has: their specs (name, gRPC name, default port, owner), and
//! nothing else. A leaf: [`crate::suite`] hosts them and [`crate::client`] addresses them,
//! and both read the list from here so neither needs the other.

use xk_runtime::ServiceSpec;

/// Every domain service this build can host, in start order. The aggregator is not in
/// this list: it needs the others' addresses, so it is hosted by
/// [`crate::suite::host_aggregator`], last.
pub const SERVICES: &[ServiceSpec] = &[
    xk_registry::SPEC,
    xk_education::SPEC,
    xk_housing::SPEC,
    xk_water::SPEC,
    xk_health::SPEC,
];

/// The aggregator's spec (hosted apart from [`SERVICES`]: it needs their addresses).
pub const AGGREGATOR: ServiceSpec = xk_aggregator::SPEC;

/// The spec of a domain service by its short name (the aggregator is not looked up here).
pub fn spec(name: &str) -> Option<ServiceSpec> {
    SERVICES.iter().copied().find(|s| s.name == name)
}
