//! The stable ids of the education rules a request can break: the `type` of each
//! `PreconditionViolation` of a FAILED_PRECONDITION answer, which clients switch on. Each id
//! names one rule and is raised at the one place that rule is checked; the table in the
//! header of `proto/xiaokang/education/v1/education.proto` lists them for clients.
//!
//! A leaf: the domain modules and the api use it, it uses nothing.

xk_runtime::rule_ids! {
    /// The child is outside the compulsory age range at the school year's cut-off date
    /// (CreateStudent, UpdateStudent, ImportStudents; subject the resident id).
    NOT_COMPULSORY_AGE,
    /// A deferral covers more than the policy's maximum months (`deferral.expires_on`).
    DEFERRAL_TOO_LONG,
    /// A letter's reply is dated before the letter was sent (`reply_on`).
    REPLY_BEFORE_SENT,
    /// A letter is sent for a student who is not outside the county or province (SendLetter).
    NOT_OUTSIDE_COUNTY,
    /// A home-teaching visit is logged for a student not in home teaching (RecordVisit).
    NOT_HOME_TEACHING,
    /// A return-to-school case is opened for a student who is neither dropped out nor never
    /// enrolled (OpenCase).
    NOT_OUT_OF_SCHOOL,
    /// A second case is opened while the student has an open one (OpenCase).
    CASE_ALREADY_OPEN,
    /// A follow-up or closing is added to a closed case (AddFollowUp, CloseCase).
    CASE_CLOSED,
    /// A case event is dated before the case's latest event (AddFollowUp, CloseCase).
    EVENT_OUT_OF_ORDER,
    /// A case is closed while the student's status does not count as guaranteed (CloseCase).
    NOT_GUARANTEED,
    /// A living allowance is paid to a student whose grade is not a compulsory grade, so it
    /// has no stage and no amount (RecordSubsidy).
    NO_COMPULSORY_GRADE,
    /// One payment is more than the entitlement it is for: the living allowance of the
    /// student's stage, or the nutrition rate for the days it pays (RecordSubsidy).
    PAYMENT_OVER_ENTITLEMENT,
    /// A payment would take the student's total for its programme and school year past the
    /// yearly entitlement (RecordSubsidy).
    SUBSIDY_OVER_ENTITLEMENT,
}
