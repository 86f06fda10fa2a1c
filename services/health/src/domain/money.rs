//! Money and rates.
//!
//! Money is always an `i64` count of fen (1 yuan = 100 fen); no float ever touches it.
//! Rates are `u32` basis points: [`BP_SCALE`] (10 000) is 100%.
//!
//! # The rounding rule (the only one in the crate)
//!
//! Every amount derived from a rate is
//!
//! ```text
//! floor(base_fen * rate_bp / 10 000)      -- whole fen, computed exactly in i128
//! ```
//!
//! and is computed by [`apply_bp`], nowhere else. Consequences:
//!
//! - a layer's payment for a case is never more than its rate allows; the fraction of a fen
//!   it does not pay stays in what is left for the next layer and, finally, in the person's
//!   share, which is computed by subtraction — so the layers and the personal share always
//!   add up to the case's total exactly;
//! - a scaled deductible (e.g. halved for the registered poor) rounds down, in the person's
//!   favour;
//! - a reimbursement target (the "985" 90% / 80%) is `floor(cost * target)`: the
//!   supplementary fund tops up to that amount, not a fen beyond it;
//! - the government's share of a premium rounds down; the person pays the rest.
//!
//! Rounding is per case: each case's layers are rounded on their own, so a year's total is
//! the sum of its cases, each of which an auditor can recompute alone.

/// Basis points in 100%. A unit definition, not a policy number.
pub const BP_SCALE: u32 = 10_000;

/// `floor(amount_fen * rate_bp / 10 000)`: the crate's one rounding rule (see the module
/// doc). Exact for every `i64` amount and `u32` rate (the product is taken in `i128`); a
/// result beyond `i64` — possible only with a rate above 100%, which policy validation
/// rejects — saturates.
#[must_use]
pub fn apply_bp(amount_fen: i64, rate_bp: u32) -> i64 {
    let product = i128::from(amount_fen) * i128::from(rate_bp);
    let floored = product.div_euclid(i128::from(BP_SCALE));
    i64::try_from(floored).unwrap_or(if floored < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_bp_floors_to_the_fen() {
        assert_eq!(apply_bp(333, 7_500), 249); // 249.75 -> 249
        assert_eq!(apply_bp(1, 9_999), 0);
        assert_eq!(apply_bp(10_000, 1), 1);
        assert_eq!(apply_bp(9_999, 1), 0);
        assert_eq!(apply_bp(123_456, BP_SCALE), 123_456);
        assert_eq!(apply_bp(123_456, 0), 0);
        assert_eq!(apply_bp(0, 6_500), 0);
    }

    #[test]
    fn apply_bp_is_floor_for_negative_amounts_too() {
        assert_eq!(apply_bp(-333, 7_500), -250); // -249.75 -> -250
        assert_eq!(apply_bp(-10_000, 5_000), -5_000);
    }

    #[test]
    fn apply_bp_is_exact_at_the_extremes() {
        assert_eq!(apply_bp(i64::MAX, BP_SCALE), i64::MAX);
        assert_eq!(apply_bp(i64::MAX, 5_000), i64::MAX / 2);
        assert_eq!(apply_bp(i64::MAX, u32::MAX), i64::MAX); // saturates
        assert_eq!(apply_bp(i64::MIN, u32::MAX), i64::MIN);
    }
}
