//! A student's enrolment status: where and how a compulsory-age child is (or is not) being
//! educated, and the checks a status must pass before it is recorded. Whether a status
//! counts as guaranteed is [`super::guarantee`]'s.
//!
//! A leaf of the domain besides the policy: [`super::home_teaching`] and
//! [`super::guarantee`] use it, it uses neither.

use chrono::NaiveDate;
use xk_contracts::types::months_after;

use super::policy::Policy;
use super::{FieldViolation, into_result, not_in_future, require_text, rules};

/// Where and how a compulsory-age child is (or is not) being educated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StudentStatus {
    /// In school in the county (县内就读).
    InCounty,
    /// In school in another county of the province; needs a confirmed notification letter.
    OutsideCounty,
    /// In school in another province; needs a confirmed notification letter.
    OutsideProvince,
    /// At a special-education school (特殊教育学校).
    SpecialSchool,
    /// In an ordinary class with support (随班就读).
    InclusiveClass,
    /// Taught at home by visiting teachers (送教上门); needs a visit log.
    HomeTeaching,
    /// Deferred entry or attendance (缓学), approved for a limited period.
    Deferral {
        /// Day the deferral was approved; it is in effect from this day.
        approved_on: NaiveDate,
        /// Last day the deferral covers; afterwards the child must be back in school.
        expires_on: NaiveDate,
        /// Reference of the approval document; a deferral without one is not approved.
        approval_ref: String,
    },
    /// Exempted from attendance for health reasons (免学), approved.
    Exemption {
        /// Day the exemption was approved.
        approved_on: NaiveDate,
        /// Reference of the approval document; without one the exemption is not approved.
        approval_ref: String,
        /// The health reason, required because only health reasons justify an exemption.
        reason: String,
    },
    /// Left school before completing compulsory education (辍学).
    DroppedOut,
    /// Never enrolled in school (失学).
    NeverEnrolled,
}

impl StudentStatus {
    /// Stable snake_case name, for messages and for mapping to the contract's enum.
    pub fn name(&self) -> &'static str {
        match self {
            StudentStatus::InCounty => "in_county",
            StudentStatus::OutsideCounty => "outside_county",
            StudentStatus::OutsideProvince => "outside_province",
            StudentStatus::SpecialSchool => "special_school",
            StudentStatus::InclusiveClass => "inclusive_class",
            StudentStatus::HomeTeaching => "home_teaching",
            StudentStatus::Deferral { .. } => "deferral",
            StudentStatus::Exemption { .. } => "exemption",
            StudentStatus::DroppedOut => "dropped_out",
            StudentStatus::NeverEnrolled => "never_enrolled",
        }
    }

    /// Whether the child is out of school and needs a return-to-school case (劝返).
    pub fn needs_return_case(&self) -> bool {
        matches!(
            self,
            StudentStatus::DroppedOut | StudentStatus::NeverEnrolled
        )
    }
}

/// The last day a deferral approved on `approved_on` may cover: `deferral_max_months`
/// later (month ends clamp, e.g. 31 January + 1 month = 28/29 February).
pub fn deferral_limit(approved_on: NaiveDate, p: &Policy) -> NaiveDate {
    months_after(approved_on, p.deferral_max_months)
}

/// Validate a status before it is recorded: a deferral needs its approval data, a period
/// that ends after it starts, no approval date in the future and no more than the maximum
/// length; an exemption needs its approval reference, its reason and no future date.
/// Field paths are relative to the status message (`deferral.*`, `exemption.*`).
pub fn validate_status(
    status: &StudentStatus,
    today: NaiveDate,
    p: &Policy,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    match status {
        StudentStatus::Deferral {
            approved_on,
            expires_on,
            approval_ref,
        } => {
            require_text(
                &mut v,
                "deferral.approval_ref",
                approval_ref,
                "a deferral needs the reference of its approval",
            );
            not_in_future(
                &mut v,
                "deferral.approved_on",
                "approval",
                *approved_on,
                today,
            );
            if expires_on < approved_on {
                v.push(FieldViolation::invalid(
                    "deferral.expires_on",
                    format!("expiry {expires_on} is before the approval date {approved_on}"),
                ));
            } else if *expires_on > deferral_limit(*approved_on, p) {
                v.push(FieldViolation::rule(
                    rules::DEFERRAL_TOO_LONG,
                    "deferral.expires_on",
                    format!(
                        "a deferral may cover at most {} months (until {}); renew it with a new approval",
                        p.deferral_max_months,
                        deferral_limit(*approved_on, p)
                    ),
                ));
            }
        }
        StudentStatus::Exemption {
            approved_on,
            approval_ref,
            reason,
        } => {
            require_text(
                &mut v,
                "exemption.approval_ref",
                approval_ref,
                "an exemption needs the reference of its approval",
            );
            require_text(
                &mut v,
                "exemption.reason",
                reason,
                "an exemption needs its health reason",
            );
            not_in_future(
                &mut v,
                "exemption.approved_on",
                "approval",
                *approved_on,
                today,
            );
        }
        _ => {}
    }
    into_result(v)
}
