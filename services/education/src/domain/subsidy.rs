//! Subsidies for students of poor families: the living allowance (生活补助) by stage and
//! boarding, and the nutrition programme (营养改善计划) per school day. Tuition, fees and
//! textbooks are free for everyone and need no computation. All amounts are fen.

use chrono::NaiveDate;

use super::policy::Policy;
use super::scope::Stage;
use super::{FieldViolation, into_result};

/// The yearly living allowance for a student of a poor family, in fen.
pub fn living_allowance(stage: Stage, boarding: bool, p: &Policy) -> i64 {
    let a = &p.living_allowance;
    match (stage, boarding) {
        (Stage::Primary, true) => a.primary_boarder_fen,
        (Stage::Junior, true) => a.junior_boarder_fen,
        (Stage::Primary, false) => a.primary_day_fen,
        (Stage::Junior, false) => a.junior_day_fen,
    }
}

/// The nutrition subsidy for `days` school days, in fen. Days beyond the programme's
/// `days_per_year` are not funded, so the amount is capped at a full year.
pub fn nutrition(days: u32, p: &Policy) -> i64 {
    let funded = days.min(p.nutrition.days_per_year);
    p.nutrition.fen_per_day.saturating_mul(i64::from(funded))
}

/// What a payment is for, with what decides its entitlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubsidyKind {
    /// Living allowance for a school year.
    LivingAllowance {
        /// Primary or junior, which sets the amount.
        stage: Stage,
        /// Boarders receive more than day students.
        boarding: bool,
    },
    /// Nutrition programme for a number of school days.
    Nutrition {
        /// School days paid for, as sent (signed, because the wire type is).
        days: i64,
    },
}

/// A subsidy payment as it arrives in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentInput {
    /// What is paid; decides the entitlement the amount is checked against.
    pub kind: SubsidyKind,
    /// Amount paid, in fen (signed, because the wire type is).
    pub amount_fen: i64,
    /// Day of payment; must not be in the future.
    pub paid_on: NaiveDate,
}

/// The most a payment of this kind may be, in fen (`None` when the kind itself is malformed).
pub fn entitlement(kind: SubsidyKind, p: &Policy) -> Option<i64> {
    match kind {
        SubsidyKind::LivingAllowance { stage, boarding } => {
            Some(living_allowance(stage, boarding, p))
        }
        SubsidyKind::Nutrition { days } => u32::try_from(days).ok().map(|d| nutrition(d, p)),
    }
}

/// Validate a payment: no negative amount or day count, no future date, and not more than
/// the entitlement (a year's allowance may be paid in instalments, so less is fine).
pub fn validate_payment(
    input: &PaymentInput,
    today: NaiveDate,
    p: &Policy,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    if input.amount_fen < 0 {
        v.push(FieldViolation::invalid(
            "amount_fen",
            format!("amount must not be negative (got {} fen)", input.amount_fen),
        ));
    }
    if let SubsidyKind::Nutrition { days } = input.kind
        && days < 0
    {
        v.push(FieldViolation::invalid(
            "days",
            format!("days must not be negative (got {days})"),
        ));
    }
    if input.paid_on > today {
        v.push(FieldViolation::invalid(
            "paid_on",
            format!("payment date {} is in the future", input.paid_on),
        ));
    }
    if input.amount_fen >= 0
        && let Some(max) = entitlement(input.kind, p)
        && input.amount_fen > max
    {
        v.push(FieldViolation::precondition(
            "amount_fen",
            format!(
                "amount {} fen exceeds the entitlement of {max} fen",
                input.amount_fen
            ),
        ));
    }
    into_result(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ViolationKind;
    use crate::domain::policy::test_policy;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn living_allowance_table() {
        let p = test_policy();
        assert_eq!(living_allowance(Stage::Primary, true, &p), 100_000);
        assert_eq!(living_allowance(Stage::Junior, true, &p), 125_000);
        assert_eq!(living_allowance(Stage::Primary, false, &p), 50_000);
        assert_eq!(living_allowance(Stage::Junior, false, &p), 62_500);
    }

    #[test]
    fn living_allowance_follows_policy() {
        let mut p = test_policy();
        p.living_allowance.junior_day_fen = 70_000;
        assert_eq!(living_allowance(Stage::Junior, false, &p), 70_000);
    }

    #[test]
    fn nutrition_per_day_and_cap() {
        let p = test_policy();
        assert_eq!(nutrition(0, &p), 0);
        assert_eq!(nutrition(1, &p), 400);
        assert_eq!(nutrition(200, &p), 80_000);
        assert_eq!(nutrition(201, &p), 80_000);
        assert_eq!(nutrition(u32::MAX, &p), 80_000);
    }

    #[test]
    fn valid_payments_pass() {
        let p = test_policy();
        let today = d(2019, 12, 1);
        let full = PaymentInput {
            kind: SubsidyKind::LivingAllowance {
                stage: Stage::Junior,
                boarding: true,
            },
            amount_fen: 125_000,
            paid_on: today,
        };
        assert_eq!(validate_payment(&full, today, &p), Ok(()));
        let half = PaymentInput {
            amount_fen: 62_500,
            ..full
        };
        assert_eq!(validate_payment(&half, today, &p), Ok(()));
        let zero = PaymentInput {
            amount_fen: 0,
            ..full
        };
        assert_eq!(validate_payment(&zero, today, &p), Ok(()));
        let food = PaymentInput {
            kind: SubsidyKind::Nutrition { days: 100 },
            amount_fen: 40_000,
            paid_on: today,
        };
        assert_eq!(validate_payment(&food, today, &p), Ok(()));
    }

    #[test]
    fn negative_amount_and_days_and_future_date_reported() {
        let p = test_policy();
        let bad = PaymentInput {
            kind: SubsidyKind::Nutrition { days: -5 },
            amount_fen: -1,
            paid_on: d(2020, 1, 2),
        };
        let err = validate_payment(&bad, d(2020, 1, 1), &p).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["amount_fen", "days", "paid_on"]);
        assert!(err.iter().all(|v| v.kind == ViolationKind::InvalidArgument));
    }

    #[test]
    fn over_entitlement_is_precondition() {
        let p = test_policy();
        let over = PaymentInput {
            kind: SubsidyKind::LivingAllowance {
                stage: Stage::Primary,
                boarding: false,
            },
            amount_fen: 50_001,
            paid_on: d(2019, 12, 1),
        };
        let err = validate_payment(&over, d(2019, 12, 1), &p).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "amount_fen");
        assert_eq!(err[0].kind, ViolationKind::FailedPrecondition);
        assert!(err[0].description.contains("50000"));
        let food_over = PaymentInput {
            kind: SubsidyKind::Nutrition { days: 10 },
            amount_fen: 4_001,
            paid_on: d(2019, 12, 1),
        };
        assert_eq!(
            validate_payment(&food_over, d(2019, 12, 1), &p)
                .unwrap_err()
                .len(),
            1
        );
    }

    proptest! {
        #[test]
        fn nutrition_is_bounded_and_monotone(a in 0u32..1000, b in 0u32..1000) {
            let p = test_policy();
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(nutrition(lo, &p) <= nutrition(hi, &p));
            prop_assert!(nutrition(hi, &p) <= 80_000);
            prop_assert!(nutrition(lo, &p) >= 0);
        }

        #[test]
        fn boarders_get_at_least_day_students(primary in any::<bool>()) {
            let p = test_policy();
            let stage = if primary { Stage::Primary } else { Stage::Junior };
            prop_assert!(living_allowance(stage, true, &p) >= living_allowance(stage, false, &p));
        }
    }
}
