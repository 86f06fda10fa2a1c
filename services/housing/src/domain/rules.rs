//! The stable ids of the housing rules: the `type` of each violation in a
//! FAILED_PRECONDITION's `PreconditionFailure`, which clients switch on. Each rule names
//! its id where it is broken; the table in the header of `housing.proto` lists them for
//! clients. The first five are the ids clients have seen since the service began; never
//! rename one.

xk_runtime::rule_ids! {
    /// The new house is larger than the red line per person × members and no over-area reason
    /// is recorded.
    AREA_RED_LINE,
    /// The household's debt from relocation is not below the cap of its batch year.
    DEBT_CAP,
    /// The relocation timeline is broken: a milestone dated before one that comes earlier in
    /// the chain, a step on record without its prerequisites (completion → acceptance → key
    /// handover → moved in), a step the record does not allow yet (demolition or support
    /// before move-in, reclamation before demolition), a step recorded twice, or a demolition
    /// date on an old house exempt from demolition.
    MILESTONE_ORDER,
    /// The resettlement site the request needs does not exist, or households resettled at a
    /// site forbid the change (deleting it, changing its type).
    SITE,
    /// An appraisal conflicts with what is stored: the household is a relocated one (its safe
    /// housing is its new house), or a newer appraisal is on record.
    APPRAISAL,
    /// Reclaimed land is recorded while the old house still stands.
    RECLAIMED_BEFORE_DEMOLITION,
    /// A demolition is recorded for an old house exempt from demolition.
    DEMOLITION_EXEMPT,
    /// A follow-up support measure ends before it starts.
    SUPPORT_PERIOD,
    /// A renovation is completed a second time.
    RENOVATION_COMPLETED,
    /// A renovation completes before the appraisal that called for it.
    RENOVATION_BEFORE_APPRAISAL,
    /// A renovation is recorded for a house graded safe (A or B).
    RENOVATION_NOT_NEEDED,
}
