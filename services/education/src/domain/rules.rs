//! The stable ids of the education rules a request can break: the `type` of each
//! `PreconditionViolation` of a FAILED_PRECONDITION answer, which clients switch on. Each id
//! names one rule and is raised at the one place that rule is checked; the table in the
//! header of `proto/xiaokang/education/v1/education.proto` lists them for clients.
//!
//! A leaf: the domain modules and the api use it, it uses nothing.

/// The child is outside the compulsory age range at the school year's cut-off date
/// (CreateStudent, UpdateStudent, ImportStudents; subject the resident id).
pub const NOT_COMPULSORY_AGE: &str = "NOT_COMPULSORY_AGE";

/// A deferral covers more than the policy's maximum months (`deferral.expires_on`).
pub const DEFERRAL_TOO_LONG: &str = "DEFERRAL_TOO_LONG";

/// A letter's reply is dated before the letter was sent (`reply_on`).
pub const REPLY_BEFORE_SENT: &str = "REPLY_BEFORE_SENT";

/// A letter is sent for a student who is not outside the county or province (SendLetter).
pub const NOT_OUTSIDE_COUNTY: &str = "NOT_OUTSIDE_COUNTY";

/// A home-teaching visit is logged for a student not in home teaching (RecordVisit).
pub const NOT_HOME_TEACHING: &str = "NOT_HOME_TEACHING";

/// A return-to-school case is opened for a student who is neither dropped out nor never
/// enrolled (OpenCase).
pub const NOT_OUT_OF_SCHOOL: &str = "NOT_OUT_OF_SCHOOL";

/// A second case is opened while the student has an open one (OpenCase).
pub const CASE_ALREADY_OPEN: &str = "CASE_ALREADY_OPEN";

/// A follow-up or closing is added to a closed case (AddFollowUp, CloseCase).
pub const CASE_CLOSED: &str = "CASE_CLOSED";

/// A case event is dated before the case's latest event (AddFollowUp, CloseCase).
pub const EVENT_OUT_OF_ORDER: &str = "EVENT_OUT_OF_ORDER";

/// A case is closed while the student's status does not count as guaranteed (CloseCase).
pub const NOT_GUARANTEED: &str = "NOT_GUARANTEED";

/// A living allowance is paid to a student whose grade is not a compulsory grade, so it
/// has no stage and no amount (RecordSubsidy).
pub const NO_COMPULSORY_GRADE: &str = "NO_COMPULSORY_GRADE";

/// One payment is more than the entitlement it is for: the living allowance of the
/// student's stage, or the nutrition rate for the days it pays (RecordSubsidy).
pub const PAYMENT_OVER_ENTITLEMENT: &str = "PAYMENT_OVER_ENTITLEMENT";

/// A payment would take the student's total for its programme and school year past the
/// yearly entitlement (RecordSubsidy).
pub const SUBSIDY_OVER_ENTITLEMENT: &str = "SUBSIDY_OVER_ENTITLEMENT";

/// Every id, for the test that they are distinct and listed in the proto.
pub const ALL: [&str; 13] = [
    NOT_COMPULSORY_AGE,
    DEFERRAL_TOO_LONG,
    REPLY_BEFORE_SENT,
    NOT_OUTSIDE_COUNTY,
    NOT_HOME_TEACHING,
    NOT_OUT_OF_SCHOOL,
    CASE_ALREADY_OPEN,
    CASE_CLOSED,
    EVENT_OUT_OF_ORDER,
    NOT_GUARANTEED,
    NO_COMPULSORY_GRADE,
    PAYMENT_OVER_ENTITLEMENT,
    SUBSIDY_OVER_ENTITLEMENT,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The proto whose header lists the ids for clients.
    const PROTO: &str = include_str!("../../../../proto/xiaokang/education/v1/education.proto");

    #[test]
    fn ids_are_distinct_and_each_is_in_the_proto_table() {
        let distinct: std::collections::BTreeSet<&str> = ALL.into_iter().collect();
        assert_eq!(distinct.len(), ALL.len());
        for id in ALL {
            assert!(
                PROTO.contains(&format!("// | {id} |")),
                "{id} is missing from the rule table of education.proto"
            );
        }
    }
}
