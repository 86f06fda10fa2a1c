//! Disaster expenses: a household's losses and expenses from natural disasters in a
//! calendar year, one of the rigid expenses the aggregator's monitoring trigger adds up
//! (DOMAIN.md §3). Only the figure's own checks live here; the sum and the comparison with
//! income are the aggregator's.

use xk_contracts::types::{Fen, figure_year};
use xk_runtime::Violations;

/// The first year a figure may be recorded for (as for incomes).
pub use xk_contracts::types::FIRST_FIGURE_YEAR as FIRST_EXPENSE_YEAR;

/// Checks a figure: the year is between [`FIRST_EXPENSE_YEAR`] and `this_year` (losses
/// are recorded once they happened), the amount is fen and not negative. Field paths are
/// `year` and `amount_fen`; every violation is returned.
pub fn check_disaster_expense(year: i32, amount_fen: i64, this_year: i32) -> Violations {
    let mut v = Violations::new();
    v.check("year", figure_year(year, this_year));
    v.check("amount_fen", Fen::non_negative(amount_fen));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &Violations) -> Vec<&str> {
        v.items().iter().map(|(f, _)| f.as_str()).collect()
    }

    /// A figure of this year is accepted; a bad year and a negative amount are both named,
    /// each on its field (the year's range itself is `figure_year`'s, tested in contracts).
    #[test]
    fn each_problem_is_named_on_its_field() {
        assert!(check_disaster_expense(2026, 8_000_000, 2026).is_empty());
        let both = check_disaster_expense(i32::MAX, i64::MIN, 2026);
        assert_eq!(fields(&both), ["year", "amount_fen"]);
    }
}
