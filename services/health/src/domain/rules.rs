//! The stable ids of the rules a health request can break (FAILED_PRECONDITION): the
//! `type` of the precondition violation, which clients switch on. Never rename one; the
//! table in the header of `proto/xiaokang/health/v1/health.proto` lists them.
//!
//! Malformed input (INVALID_ARGUMENT) and duplicates (ALREADY_EXISTS) carry no rule id:
//! their field violation or resource info says what is wrong.

/// SettleCase: the case's institution is not a registered designated institution.
pub const UNKNOWN_INSTITUTION: &str = "UNKNOWN_INSTITUTION";

/// SettleCase: the person is not enrolled for the coverage year of the discharge date.
pub const NOT_ENROLLED: &str = "NOT_ENROLLED";

/// ReverseCase: the case named is a reversal itself; only settlements are reversed.
pub const NOT_A_SETTLEMENT: &str = "NOT_A_SETTLEMENT";

/// ReverseCase: the settlement has a reversal already.
pub const ALREADY_REVERSED: &str = "ALREADY_REVERSED";

/// ReverseCase: the settlement is not the latest live one of its person-year; cumulation
/// makes only the latest exactly reversible.
pub const NOT_LATEST_CASE: &str = "NOT_LATEST_CASE";

/// Every rule id, for the test that keeps the proto's table complete.
pub const ALL: [&str; 5] = [
    UNKNOWN_INSTITUTION,
    NOT_ENROLLED,
    NOT_A_SETTLEMENT,
    ALREADY_REVERSED,
    NOT_LATEST_CASE,
];

#[cfg(test)]
mod tests {
    /// The contract's header lists every rule id, so clients can find them.
    #[test]
    fn the_proto_lists_every_rule_id() {
        let proto = include_str!("../../../../proto/xiaokang/health/v1/health.proto");
        for id in super::ALL {
            assert!(
                proto.contains(&format!("//   {id} ")),
                "{id} is missing from the rule table in health.proto"
            );
        }
    }
}
