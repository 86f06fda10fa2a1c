//! The stable ids of the rules a health request can break (FAILED_PRECONDITION): the
//! `type` of the precondition violation, which clients switch on. Never rename one; the
//! table in the header of `proto/xiaokang/health/v1/health.proto` lists them.
//!
//! Malformed input (INVALID_ARGUMENT) and duplicates (ALREADY_EXISTS) carry no rule id:
//! their field violation or resource info says what is wrong.

xk_runtime::rule_ids! {
    /// SettleCase: the case's institution is not a registered designated institution.
    UNKNOWN_INSTITUTION,
    /// SettleCase: the person is not enrolled for the coverage year of the discharge date.
    NOT_ENROLLED,
    /// ReverseCase: the case named is a reversal itself; only settlements are reversed.
    NOT_A_SETTLEMENT,
    /// ReverseCase: the settlement has a reversal already.
    ALREADY_REVERSED,
    /// ReverseCase: the settlement is not the latest live one of its person-year; cumulation
    /// makes only the latest exactly reversible.
    NOT_LATEST_CASE,
}
