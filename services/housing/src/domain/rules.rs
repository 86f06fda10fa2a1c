//! The stable ids of the housing rules: the `type` of each violation in a
//! FAILED_PRECONDITION's `PreconditionFailure`, which clients switch on. Each rule names
//! its id where it is broken; the table in the header of `housing.proto` lists them for
//! clients. The first five are the ids clients have seen since the service began; never
//! rename one.

/// The new house is larger than the red line per person × members and no over-area reason
/// is recorded.
pub const AREA_RED_LINE: &str = "AREA_RED_LINE";

/// The household's debt from relocation is not below the cap of its batch year.
pub const DEBT_CAP: &str = "DEBT_CAP";

/// The relocation timeline is broken: a milestone dated before one that comes earlier in
/// the chain, a step on record without its prerequisites (completion → acceptance → key
/// handover → moved in), a step the record does not allow yet (demolition or support
/// before move-in, reclamation before demolition), a step recorded twice, or a demolition
/// date on an old house exempt from demolition.
pub const MILESTONE_ORDER: &str = "MILESTONE_ORDER";

/// The resettlement site the request needs does not exist, or households resettled at a
/// site forbid the change (deleting it, changing its type).
pub const SITE: &str = "SITE";

/// An appraisal conflicts with what is stored: the household is a relocated one (its safe
/// housing is its new house), or a newer appraisal is on record.
pub const APPRAISAL: &str = "APPRAISAL";

/// Reclaimed land is recorded while the old house still stands.
pub const RECLAIMED_BEFORE_DEMOLITION: &str = "RECLAIMED_BEFORE_DEMOLITION";

/// A demolition is recorded for an old house exempt from demolition.
pub const DEMOLITION_EXEMPT: &str = "DEMOLITION_EXEMPT";

/// A follow-up support measure ends before it starts.
pub const SUPPORT_PERIOD: &str = "SUPPORT_PERIOD";

/// A renovation is completed a second time.
pub const RENOVATION_COMPLETED: &str = "RENOVATION_COMPLETED";

/// A renovation completes before the appraisal that called for it.
pub const RENOVATION_BEFORE_APPRAISAL: &str = "RENOVATION_BEFORE_APPRAISAL";

/// A renovation is recorded for a house graded safe (A or B).
pub const RENOVATION_NOT_NEEDED: &str = "RENOVATION_NOT_NEEDED";

/// Every rule id, for the test that keeps the proto's table complete.
pub const ALL: [&str; 11] = [
    AREA_RED_LINE,
    DEBT_CAP,
    MILESTONE_ORDER,
    SITE,
    APPRAISAL,
    RECLAIMED_BEFORE_DEMOLITION,
    DEMOLITION_EXEMPT,
    SUPPORT_PERIOD,
    RENOVATION_COMPLETED,
    RENOVATION_BEFORE_APPRAISAL,
    RENOVATION_NOT_NEEDED,
];

#[cfg(test)]
mod tests {
    /// The header of the contract, where clients read what each id means.
    const PROTO: &str = include_str!("../../../../proto/xiaokang/housing/v1/housing.proto");

    #[test]
    fn every_rule_id_is_in_the_protos_table_once() {
        let mut seen = std::collections::BTreeSet::new();
        for id in super::ALL {
            assert!(seen.insert(id), "{id} twice");
            assert!(
                PROTO.contains(&format!("// | `{id}` |")),
                "{id} is missing from the rule table in housing.proto"
            );
        }
    }
}
