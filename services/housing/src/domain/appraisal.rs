//! House-safety appraisal (危房鉴定) for households not relocated: grades A and B are
//! safe; C and D must be renovated (危房改造). A dangerous house without a completed
//! renovation is an exception.

use chrono::NaiveDate;

use super::rules::{RENOVATION_BEFORE_APPRAISAL, RENOVATION_COMPLETED, RENOVATION_NOT_NEEDED};
use super::{ExceptionKind, FieldViolation, in_future, into_result, is_blank};

/// Appraisal grade of a house.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grade {
    /// Sound structure; safe.
    A,
    /// Minor damage; safe.
    B,
    /// Part of the structure dangerous (局部危房); must be renovated.
    C,
    /// Whole house dangerous (整体危房); must be renovated or rebuilt.
    D,
}

/// Whether a house of this grade must be renovated.
pub fn needs_renovation(grade: Grade) -> bool {
    matches!(grade, Grade::C | Grade::D)
}

/// One appraisal of one household's house.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appraisal {
    /// The grade given; decides whether renovation is required.
    pub grade: Grade,
    /// Day of the appraisal; a renovation cannot complete before it.
    pub appraised_on: NaiveDate,
    /// Who appraised (person or institution), so the verdict can be traced.
    pub appraiser: String,
    /// Day the renovation was completed and accepted; `None` while pending (or not needed).
    pub renovation_completed_on: Option<NaiveDate>,
}

impl Appraisal {
    /// Whether the renovation was completed on or before `today`.
    pub fn renovated_by(&self, today: NaiveDate) -> bool {
        self.renovation_completed_on.is_some_and(|d| d <= today)
    }

    /// Whether the house counts as safe on `today`: graded safe, or renovated.
    pub fn is_safe(&self, today: NaiveDate) -> bool {
        !needs_renovation(self.grade) || self.renovated_by(today)
    }

    /// Record the completion of the renovation on `on`. Refused (and nothing changed)
    /// when the grade needs no renovation, a completion is already recorded, the date is
    /// before the appraisal or in the future.
    pub fn complete_renovation(
        &mut self,
        on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), Vec<FieldViolation>> {
        let mut v = Vec::new();
        if self.renovation_completed_on.is_some() {
            v.push(FieldViolation::rule(
                RENOVATION_COMPLETED,
                "renovation_completed_on",
                "the renovation is already recorded as completed",
            ));
        }
        let mut candidate = self.clone();
        candidate.renovation_completed_on = Some(on);
        if let Err(more) = validate_appraisal(&candidate, today) {
            v.extend(more);
        }
        into_result(v)?;
        self.renovation_completed_on = Some(on);
        Ok(())
    }
}

/// Validate an appraisal: appraiser named, no date in the future, renovation only for
/// grades C/D and not before the appraisal.
pub fn validate_appraisal(a: &Appraisal, today: NaiveDate) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    if is_blank(&a.appraiser) {
        v.push(FieldViolation::invalid(
            "appraiser",
            "the appraiser is required",
        ));
    }
    v.extend(in_future(
        "appraised_on",
        "appraisal date",
        a.appraised_on,
        today,
    ));
    if let Some(done) = a.renovation_completed_on {
        v.extend(in_future(
            "renovation_completed_on",
            "completion date",
            done,
            today,
        ));
        if done < a.appraised_on {
            v.push(FieldViolation::rule(
                RENOVATION_BEFORE_APPRAISAL,
                "renovation_completed_on",
                format!(
                    "completion date {done} is before the appraisal on {}",
                    a.appraised_on
                ),
            ));
        }
        if !needs_renovation(a.grade) {
            v.push(FieldViolation::rule(
                RENOVATION_NOT_NEEDED,
                "renovation_completed_on",
                format!("grade {:?} is safe and needs no renovation", a.grade),
            ));
        }
    }
    into_result(v)
}

/// The appraisal's exceptions on `today`: a C/D house not yet renovated.
pub fn appraisal_exceptions(a: &Appraisal, today: NaiveDate) -> Vec<ExceptionKind> {
    if a.is_safe(today) {
        vec![]
    } else {
        vec![ExceptionKind::DangerousNotRenovated]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ViolationKind;
    use crate::domain::testing::{breaches, d};
    use proptest::prelude::*;

    fn appraisal(grade: Grade) -> Appraisal {
        Appraisal {
            grade,
            appraised_on: d(2019, 4, 1),
            appraiser: "谷城县住建局鉴定组".to_string(),
            renovation_completed_on: None,
        }
    }

    #[test]
    fn grades_needing_renovation() {
        assert!(!needs_renovation(Grade::A));
        assert!(!needs_renovation(Grade::B));
        assert!(needs_renovation(Grade::C));
        assert!(needs_renovation(Grade::D));
    }

    #[test]
    fn safe_grades_have_no_exception() {
        let today = d(2019, 10, 1);
        for g in [Grade::A, Grade::B] {
            let a = appraisal(g);
            assert!(a.is_safe(today));
            assert_eq!(appraisal_exceptions(&a, today), vec![]);
            assert_eq!(validate_appraisal(&a, today), Ok(()));
        }
    }

    #[test]
    fn dangerous_until_renovated() {
        let today = d(2019, 10, 1);
        for g in [Grade::C, Grade::D] {
            let mut a = appraisal(g);
            assert!(!a.is_safe(today));
            assert_eq!(
                appraisal_exceptions(&a, today),
                vec![ExceptionKind::DangerousNotRenovated]
            );
            assert_eq!(a.complete_renovation(d(2019, 9, 1), today), Ok(()));
            assert_eq!(a.renovation_completed_on, Some(d(2019, 9, 1)));
            assert!(a.is_safe(today));
            assert_eq!(appraisal_exceptions(&a, today), vec![]);
            // Before the completion date it was still dangerous.
            assert_eq!(
                appraisal_exceptions(&a, d(2019, 8, 31)),
                vec![ExceptionKind::DangerousNotRenovated]
            );
        }
    }

    #[test]
    fn renovation_refusals_leave_appraisal_unchanged() {
        let today = d(2019, 10, 1);
        let mut safe = appraisal(Grade::B);
        let err = safe.complete_renovation(d(2019, 9, 1), today).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].kind, ViolationKind::FailedPrecondition);
        assert_eq!(safe.renovation_completed_on, None);

        let mut c = appraisal(Grade::C);
        let err = c.complete_renovation(d(2019, 3, 1), today).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].description.contains("before the appraisal"));
        let err = c.complete_renovation(d(2019, 10, 2), today).unwrap_err();
        assert_eq!(err[0].kind, ViolationKind::InvalidArgument);
        assert_eq!(c.renovation_completed_on, None);

        c.complete_renovation(d(2019, 9, 1), today).unwrap();
        let err = c.complete_renovation(d(2019, 9, 2), today).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].description.contains("already"));
        assert_eq!(c.renovation_completed_on, Some(d(2019, 9, 1)));
    }

    #[test]
    fn appraisal_validation_reports_all() {
        let a = Appraisal {
            grade: Grade::A,
            appraised_on: d(2019, 11, 1),
            appraiser: " ".to_string(),
            renovation_completed_on: Some(d(2019, 10, 15)),
        };
        let err = validate_appraisal(&a, d(2019, 10, 1)).unwrap_err();
        assert_eq!(
            breaches(&err),
            [
                ("appraiser", ""),
                ("appraised_on", ""),
                ("renovation_completed_on", ""),
                ("renovation_completed_on", RENOVATION_BEFORE_APPRAISAL),
                ("renovation_completed_on", RENOVATION_NOT_NEEDED),
            ]
        );
    }

    proptest! {
        #[test]
        fn exception_iff_dangerous_and_unrenovated(
            g in 0usize..4, renovated in any::<bool>()
        ) {
            let grade = [Grade::A, Grade::B, Grade::C, Grade::D][g];
            let mut a = appraisal(grade);
            if renovated {
                a.renovation_completed_on = Some(d(2019, 5, 1));
            }
            let ex = appraisal_exceptions(&a, d(2019, 10, 1));
            prop_assert_eq!(ex.is_empty(), !needs_renovation(grade) || renovated);
        }
    }
}
