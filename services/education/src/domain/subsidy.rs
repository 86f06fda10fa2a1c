//! Subsidies for students of poor families: the living allowance (生活补助) by stage and
//! boarding, and the nutrition programme (营养改善计划) per school day. Tuition, fees and
//! textbooks are free for everyone and need no computation. All amounts are fen.

use chrono::NaiveDate;

use super::policy::Policy;
use super::scope::Stage;
use super::{FieldViolation, into_result, not_in_future, rules};

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
    not_in_future(&mut v, "paid_on", "payment", input.paid_on, today);
    if input.amount_fen >= 0
        && let Some(max) = entitlement(input.kind, p)
        && input.amount_fen > max
    {
        v.push(FieldViolation::rule(
            rules::PAYMENT_OVER_ENTITLEMENT,
            "amount_fen",
            format!(
                "amount {} fen exceeds the entitlement of {max} fen",
                input.amount_fen
            ),
        ));
    }
    into_result(v)
}

/// The most one student may receive from a programme in one school year, in fen: the
/// living allowance for the stage and boarding, or the nutrition rate for the programme's
/// full `days_per_year` (whatever the payment's own day count).
pub fn yearly_entitlement(kind: SubsidyKind, p: &Policy) -> i64 {
    match kind {
        SubsidyKind::LivingAllowance { stage, boarding } => living_allowance(stage, boarding, p),
        SubsidyKind::Nutrition { .. } => nutrition(p.nutrition.days_per_year, p),
    }
}

/// A payment refused because the school year's total would pass the yearly entitlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "school year {school_year}: {paid_fen} fen paid of a yearly entitlement of {entitlement_fen} fen, \
     so at most {remaining_fen} fen remains; this payment of {amount_fen} fen is over it"
)]
pub struct OverEntitlement {
    /// The school year (its starting calendar year) the payment counts towards.
    pub school_year: i32,
    /// The yearly entitlement for the programme, in fen.
    pub entitlement_fen: i64,
    /// Already paid for the programme in that school year, in fen.
    pub paid_fen: i64,
    /// What may still be paid in that school year, in fen (never negative).
    pub remaining_fen: i64,
    /// The refused payment, in fen.
    pub amount_fen: i64,
}

/// The yearly rule: a student's payments under one programme in one school year add up to
/// at most [`yearly_entitlement`]. `paid_fen` is what that student has been paid under the
/// same programme for `school_year` before this payment of `amount_fen`; other programmes
/// and other school years do not count. Amounts are non-negative (checked by
/// [`validate_payment`]); reaching the entitlement exactly is allowed.
pub fn check_yearly_total(
    kind: SubsidyKind,
    school_year: i32,
    paid_fen: i64,
    amount_fen: i64,
    p: &Policy,
) -> Result<(), OverEntitlement> {
    let entitlement_fen = yearly_entitlement(kind, p);
    let remaining_fen = entitlement_fen.saturating_sub(paid_fen).max(0);
    if amount_fen <= remaining_fen {
        return Ok(());
    }
    Err(OverEntitlement {
        school_year,
        entitlement_fen,
        paid_fen,
        remaining_fen,
        amount_fen,
    })
}

/// Validate the school year a payment names (`0`: none named, the payment date decides):
/// not negative, and not after `current_school_year` (the starting year of the school
/// year containing today), since a year that has not begun cannot be paid for yet.
pub fn validate_school_year(
    sent: i32,
    current_school_year: i32,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    if sent < 0 {
        v.push(FieldViolation::invalid(
            "school_year",
            format!("school year must not be negative (got {sent})"),
        ));
    } else if sent > current_school_year {
        v.push(FieldViolation::invalid(
            "school_year",
            format!(
                "school year {sent} has not begun (the current school year is {current_school_year})"
            ),
        ));
    }
    into_result(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::*;

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
        assert_eq!(err[0].rule, crate::domain::rules::PAYMENT_OVER_ENTITLEMENT);
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

    const LIVING_JUNIOR_DAY: SubsidyKind = SubsidyKind::LivingAllowance {
        stage: Stage::Junior,
        boarding: false,
    };

    #[test]
    fn yearly_entitlement_follows_kind_and_policy() {
        let mut p = test_policy();
        assert_eq!(yearly_entitlement(LIVING_JUNIOR_DAY, &p), 62_500);
        let boarder = SubsidyKind::LivingAllowance {
            stage: Stage::Primary,
            boarding: true,
        };
        assert_eq!(yearly_entitlement(boarder, &p), 100_000);
        // Nutrition: the full programme year, whatever days one payment covers.
        assert_eq!(
            yearly_entitlement(SubsidyKind::Nutrition { days: 10 }, &p),
            80_000
        );
        p.nutrition.days_per_year = 180;
        assert_eq!(
            yearly_entitlement(SubsidyKind::Nutrition { days: 10 }, &p),
            72_000
        );
    }

    /// `check_yearly_total` in school year 2019: each case's kind, the amount already paid
    /// and the new payment, and `Ok` or the amount that remains.
    #[test]
    fn yearly_total_against_the_entitlement() {
        let p = test_policy();
        let junior = LIVING_JUNIOR_DAY;
        // Nutrition: 150 days then 60 days at the daily rate pass the 200-day year.
        let food = SubsidyKind::Nutrition { days: 60 };
        let cases = [
            // A first payment of exactly the entitlement, and one fen under it.
            ("exactly the entitlement", junior, 0, 62_500, Ok(())),
            ("one fen under", junior, 0, 62_499, Ok(())),
            ("one fen over", junior, 0, 62_501, Err(62_500)),
            // Two instalments that reach the entitlement exactly are fine ...
            ("two reach it exactly", junior, 40_000, 22_500, Ok(())),
            // ... one fen more is not; the error names what is left.
            ("two pass it", junior, 40_000, 22_501, Err(22_500)),
            // A second full payment: nothing remains, even a zero payment is fine.
            ("a second full payment", junior, 62_500, 62_500, Err(0)),
            ("then zero", junior, 62_500, 0, Ok(())),
            ("nutrition over", food, 60_000, 24_000, Err(20_000)),
            ("nutrition to the end", food, 60_000, 20_000, Ok(())),
            // Paid more than the entitlement before the rule existed: nothing remains,
            // and no overflow.
            ("overpaid history", junior, 100_000, 1, Err(0)),
            ("paid i64::MAX", junior, i64::MAX, 1, Err(0)),
        ];
        for (case, kind, paid, amount, remaining) in cases {
            let got = check_yearly_total(kind, 2019, paid, amount, &p);
            assert_eq!(got.map_err(|e| e.remaining_fen), remaining, "{case}");
        }
        let over = check_yearly_total(junior, 2019, 0, 62_501, &p).unwrap_err();
        assert_eq!(
            over,
            OverEntitlement {
                school_year: 2019,
                entitlement_fen: 62_500,
                paid_fen: 0,
                remaining_fen: 62_500,
                amount_fen: 62_501,
            }
        );
        assert!(
            over.to_string().contains("at most 62500 fen remains"),
            "{over}"
        );
        let over = check_yearly_total(junior, 2019, 40_000, 22_501, &p).unwrap_err();
        assert_eq!(over.paid_fen, 40_000);
    }

    #[test]
    fn school_year_named_or_derived_and_not_in_the_future() {
        assert_eq!(validate_school_year(0, 2019), Ok(()));
        assert_eq!(validate_school_year(2019, 2019), Ok(()));
        assert_eq!(validate_school_year(2014, 2019), Ok(()));
        let future = validate_school_year(2020, 2019).unwrap_err();
        assert_eq!(future.len(), 1);
        assert_eq!(future[0].field, "school_year");
        assert_eq!(future[0].kind, ViolationKind::InvalidArgument);
        let negative = validate_school_year(-1, 2019).unwrap_err();
        assert_eq!(negative[0].kind, ViolationKind::InvalidArgument);
    }

    proptest! {
        #[test]
        fn different_school_years_are_independent(
            paid_last_year in 0i64..1_000_000,
            amount in 0i64..200_000,
        ) {
            // The caller sums one school year only: whatever was paid in another year, a
            // payment in a year with nothing paid yet is judged against the whole entitlement.
            let p = test_policy();
            let this_year = check_yearly_total(LIVING_JUNIOR_DAY, 2020, 0, amount, &p);
            prop_assert_eq!(this_year.is_ok(), amount <= 62_500);
            let last_year = check_yearly_total(LIVING_JUNIOR_DAY, 2019, paid_last_year, amount, &p);
            prop_assert_eq!(last_year.is_ok(), paid_last_year + amount <= 62_500);
        }

        #[test]
        fn accepted_payments_never_exceed_the_entitlement(
            amounts in proptest::collection::vec(0i64..70_000, 1..8),
        ) {
            // Record every payment the rule accepts: the year's total stays within it.
            let p = test_policy();
            let mut paid = 0i64;
            for amount in amounts {
                if check_yearly_total(LIVING_JUNIOR_DAY, 2019, paid, amount, &p).is_ok() {
                    paid += amount;
                }
            }
            prop_assert!(paid <= 62_500);
        }

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
