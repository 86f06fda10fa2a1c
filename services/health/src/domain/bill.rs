//! Bills: the institution's number for a case, and when a bill may be settled.
//!
//! A bill (institution code + bill number) is settled at most once at a time. The rule
//! chosen for reversals: **a reversed bill may be settled again**. A reversal is how a
//! wrong settlement is corrected (wrong amount, wrong date); the institution's bill keeps
//! its number when a figure on it is corrected, so the corrected bill is sent again under
//! the same number and settles as the bill's next settlement. What can never happen is two
//! live settlements of one bill, which is what would pay a bill twice.

use super::code::check_code;

/// Longest bill number, matching the column width.
pub const MAX_BILL_NUMBER_LEN: usize = 64;

/// Checks a bill number as sent: required, at most [`MAX_BILL_NUMBER_LEN`] characters of
/// ASCII letters, digits, `-`, `_`, `.` or `/` (what institutions' billing systems print).
///
/// # Errors
/// What is wrong with it, for a field violation.
pub fn check_bill_number(bill: &str) -> Result<(), String> {
    check_code(
        bill,
        "required: the institution's bill number",
        MAX_BILL_NUMBER_LEN,
        b"-_./",
    )
}

/// One stored case row of a bill, as the rule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillRow {
    /// The case id.
    pub case_id: i64,
    /// A reversal (else a settlement).
    pub reversal: bool,
    /// For a reversal, the settlement it reverses.
    pub reverses_id: i64,
    /// Which settlement of the bill the row belongs to.
    pub bill_settlement: i32,
}

/// Whether a bill may be settled now, from its stored rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillState {
    /// Never settled, or every settlement of it reversed: settle it as this settlement
    /// number (1 for a new bill).
    Open {
        /// The number the new settlement takes.
        next_settlement: i32,
    },
    /// A settlement of it is live: a second one would pay the bill twice.
    Settled {
        /// The live settlement's case id.
        case_id: i64,
    },
}

/// The state of a bill from its rows (any order).
#[must_use]
pub fn bill_state(rows: &[BillRow]) -> BillState {
    let reversed: Vec<i64> = rows
        .iter()
        .filter(|r| r.reversal)
        .map(|r| r.reverses_id)
        .collect();
    if let Some(live) = rows
        .iter()
        .filter(|r| !r.reversal && !reversed.contains(&r.case_id))
        .map(|r| r.case_id)
        .min()
    {
        return BillState::Settled { case_id: live };
    }
    let last = rows.iter().map(|r| r.bill_settlement).max().unwrap_or(0);
    BillState::Open {
        next_settlement: last.saturating_add(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settlement(case_id: i64, n: i32) -> BillRow {
        BillRow {
            case_id,
            reversal: false,
            reverses_id: 0,
            bill_settlement: n,
        }
    }

    fn reversal(case_id: i64, of: i64, n: i32) -> BillRow {
        BillRow {
            case_id,
            reversal: true,
            reverses_id: of,
            bill_settlement: n,
        }
    }

    #[test]
    fn a_new_bill_is_its_first_settlement() {
        assert_eq!(bill_state(&[]), BillState::Open { next_settlement: 1 });
    }

    #[test]
    fn a_live_settlement_closes_the_bill() {
        assert_eq!(
            bill_state(&[settlement(7, 1)]),
            BillState::Settled { case_id: 7 }
        );
        // Reversed once and settled again: the second settlement is the live one.
        assert_eq!(
            bill_state(&[settlement(7, 1), reversal(9, 7, 1), settlement(12, 2)]),
            BillState::Settled { case_id: 12 }
        );
    }

    #[test]
    fn a_reversed_bill_reopens_with_the_next_number() {
        assert_eq!(
            bill_state(&[reversal(9, 7, 1), settlement(7, 1)]),
            BillState::Open { next_settlement: 2 }
        );
        assert_eq!(
            bill_state(&[
                settlement(7, 1),
                reversal(9, 7, 1),
                settlement(12, 2),
                reversal(13, 12, 2)
            ]),
            BillState::Open { next_settlement: 3 }
        );
    }

    #[test]
    fn bill_numbers_are_required_short_and_plain() {
        assert!(check_bill_number("ZY2019-000123/1.a_b").is_ok());
        assert!(check_bill_number("").unwrap_err().contains("required"));
        let long = "9".repeat(MAX_BILL_NUMBER_LEN + 1);
        assert!(check_bill_number(&long).unwrap_err().contains("at most 64"));
        assert!(check_bill_number(&"9".repeat(MAX_BILL_NUMBER_LEN)).is_ok());
        assert!(check_bill_number("has space").is_err());
        assert!(check_bill_number("单号1").is_err());
    }
}
