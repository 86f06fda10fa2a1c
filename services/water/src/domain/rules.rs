//! The stable ids of the water rules a request can break (the `type` of a
//! FAILED_PRECONDITION's precondition violation). Clients switch on them, so they never
//! change; `proto/xiaokang/water/v1/water.proto` lists them in its header. A leaf module:
//! it imports nothing, so every layer may name a rule where the rule is broken.

xk_runtime::rule_ids! {
    /// A centralized supply names a scheme that is not registered (CreateScheme first).
    UNKNOWN_SCHEME,
    /// A centralized supply's water quality is backed by an on-site check; it needs a lab
    /// report against GB 5749 (an on-site check is accepted for scattered supply only).
    LAB_REPORT_REQUIRED,
    /// A scheme to delete is still referred to by assessments.
    SCHEME_IN_USE,
    /// An assessment states another area type than its village's configured one
    /// (SetVillageArea).
    VILLAGE_AREA_CONFLICT,
}
