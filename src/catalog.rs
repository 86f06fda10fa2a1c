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

#[cfg(test)]
mod tests {
    /// Each service's contract lists, in its header, every rule id the service can break,
    /// so a client reading the proto finds every precondition `type` it may switch on.
    #[test]
    fn every_rule_id_is_in_its_services_proto() {
        let proto = |name: &str| {
            let path = format!(
                "{}/proto/xiaokang/{name}/v1/{name}.proto",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let services: [(&str, &[&str]); 5] = [
            ("registry", xk_registry::domain::rule_ids::ALL),
            ("education", xk_education::domain::rules::ALL),
            ("housing", xk_housing::domain::rules::ALL),
            ("water", xk_water::domain::rules::ALL),
            ("health", xk_health::domain::rules::ALL),
        ];
        for (name, ids) in services {
            xk_runtime::violation::assert_rule_ids_listed(&proto(name), ids);
        }
    }
}
