//! Schooling expenses: a household's (or one student's) out-of-pocket schooling cost of a
//! calendar year, one of the rigid expenses the aggregator's monitoring trigger adds up
//! (DOMAIN.md §3). Only the figure's own checks live here; the sum and the comparison with
//! income are the aggregator's.

use xk_contracts::types::{Fen, figure_year};

use super::FieldViolation;

/// The first year a figure may be recorded for: the same as the registry's incomes, which
/// the aggregator sets the expenses against (the records start with the 2014 archive).
pub use xk_contracts::types::FIRST_FIGURE_YEAR as FIRST_EXPENSE_YEAR;

/// Checks a figure: the year is between [`FIRST_EXPENSE_YEAR`] and `this_year` (a cost is
/// recorded once paid, never ahead), the amount is fen and not negative. Field paths are
/// `year` and `out_of_pocket_fen`; every violation is returned.
pub fn check_expense(year: i32, out_of_pocket_fen: i64, this_year: i32) -> Vec<FieldViolation> {
    let year = figure_year(year, this_year)
        .err()
        .map(|e| ("year", e.to_string()));
    let amount = Fen::non_negative(out_of_pocket_fen)
        .err()
        .map(|e| ("out_of_pocket_fen", e.to_string()));
    [year, amount]
        .into_iter()
        .flatten()
        .map(|(field, why)| FieldViolation::invalid(field, why))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &[FieldViolation]) -> Vec<&str> {
        v.iter().map(|f| f.field.as_str()).collect()
    }

    /// A figure of this year is accepted; a bad year and a negative amount are both named,
    /// each on its field (the year's range itself is `figure_year`'s, tested in contracts).
    #[test]
    fn each_problem_is_named_on_its_field() {
        assert!(check_expense(2026, 1_234_500, 2026).is_empty());
        let both = check_expense(i32::MAX, i64::MIN, 2026);
        assert_eq!(fields(&both), ["year", "out_of_pocket_fen"]);
    }
}
