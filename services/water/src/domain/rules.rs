//! The stable ids of the water rules a request can break (the `type` of a
//! FAILED_PRECONDITION's precondition violation). Clients switch on them, so they never
//! change; `proto/xiaokang/water/v1/water.proto` lists them in its header. A leaf module:
//! it imports nothing, so every layer may name a rule where the rule is broken.

/// A centralized supply names a scheme that is not registered (CreateScheme first).
pub const UNKNOWN_SCHEME: &str = "UNKNOWN_SCHEME";

/// A centralized supply's water quality is backed by an on-site check; it needs a lab
/// report against GB 5749 (an on-site check is accepted for scattered supply only).
pub const LAB_REPORT_REQUIRED: &str = "LAB_REPORT_REQUIRED";

/// A scheme to delete is still referred to by assessments.
pub const SCHEME_IN_USE: &str = "SCHEME_IN_USE";

/// An assessment states another area type than its village's configured one
/// (SetVillageArea).
pub const VILLAGE_AREA_CONFLICT: &str = "VILLAGE_AREA_CONFLICT";

/// Every rule id, for the test that keeps the proto's table complete.
pub const ALL: [&str; 4] = [
    UNKNOWN_SCHEME,
    LAB_REPORT_REQUIRED,
    SCHEME_IN_USE,
    VILLAGE_AREA_CONFLICT,
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_proto_header_lists_every_rule_id() {
        let proto = include_str!("../../../../proto/xiaokang/water/v1/water.proto");
        let header = proto.split("\npackage ").next().unwrap_or_default();
        for id in super::ALL {
            assert!(
                id.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{id} is not SCREAMING_SNAKE_CASE"
            );
            assert!(
                header.contains(&format!("// | {id} ")),
                "water.proto's header does not list {id}"
            );
        }
    }
}
