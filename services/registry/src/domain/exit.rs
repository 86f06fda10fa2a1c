//! A household's income and its exit from poverty (脱贫): the exit is judged against the
//! income recorded for the exit year.

use chrono::{Datelike, NaiveDate};
use xk_contracts::pb::registry::v1::{ArchiveStatus, EventKind, Household, Income};
use xk_runtime::ApiError;

use super::record::{append_event, status_name};
use super::rule_ids::{
    EXIT_YEAR_OUT_OF_ORDER, INCOME_BELOW_POVERTY_LINE, NO_INCOME_FOR_EXIT_YEAR, NOT_POOR,
};
use crate::policy::RegistryPolicy;

/// Records (or replaces) a year's per-capita income, keeping incomes in year order.
pub fn record_income(h: &mut Household, income: Income) {
    match h.incomes.iter_mut().find(|i| i.year == income.year) {
        Some(existing) => *existing = income,
        None => {
            h.incomes.push(income);
            h.incomes.sort_by_key(|i| i.year);
        }
    }
}

/// Exit from poverty: only a poor household, not before it was identified, and only when
/// its per-capita income of the exit year reaches that year's poverty line.
pub fn record_exit(
    h: &mut Household,
    exit_year: i32,
    on: NaiveDate,
    policy: &RegistryPolicy,
) -> Result<(), ApiError> {
    if h.status != ArchiveStatus::Poor as i32 {
        return Err(ApiError::rule(
            NOT_POOR,
            "household_id",
            format!(
                "household {} is not poor (status {}), so it cannot exit",
                h.household_id,
                status_name(h.status)
            ),
        ));
    }
    if exit_year < h.identified_year || on.year() < exit_year {
        return Err(ApiError::rule(
            EXIT_YEAR_OUT_OF_ORDER,
            "exit_year",
            format!(
                "exit year {exit_year} must be between the identified year {} and the decision date's year {}",
                h.identified_year,
                on.year()
            ),
        ));
    }
    let income = h
        .incomes
        .iter()
        .find(|i| i.year == exit_year)
        .ok_or_else(|| {
            ApiError::rule(
                NO_INCOME_FOR_EXIT_YEAR,
                "exit_year",
                format!(
                    "no per-capita income recorded for {exit_year}: record it first (RecordIncome)"
                ),
            )
        })?;
    if income.per_capita_net_income_fen < policy.poverty_line_fen {
        return Err(ApiError::rule(
            INCOME_BELOW_POVERTY_LINE,
            "exit_year",
            format!(
                "per-capita income {} fen in {exit_year} is below the poverty line {} fen",
                income.per_capita_net_income_fen, policy.poverty_line_fen
            ),
        ));
    }
    h.status = ArchiveStatus::Exited as i32;
    h.exited_year = exit_year;
    append_event(h, EventKind::Exited, on, format!("exited in {exit_year}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{d, household, income, policy, rule_of};

    #[test]
    fn exit_needs_income_at_the_line() {
        let p = policy();
        let mut h = household("H", ArchiveStatus::Poor);
        let err = record_exit(&mut h, 2019, d(2019, 12, 1), &p).unwrap_err();
        assert_eq!(rule_of(&err), NO_INCOME_FOR_EXIT_YEAR);
        record_income(&mut h, income(2019, p.poverty_line_fen - 1));
        let err = record_exit(&mut h, 2019, d(2019, 12, 1), &p).unwrap_err();
        assert_eq!(rule_of(&err), INCOME_BELOW_POVERTY_LINE);
        assert_eq!(
            h.status,
            ArchiveStatus::Poor as i32,
            "a refused exit changes nothing"
        );
        record_income(&mut h, income(2019, p.poverty_line_fen));
        record_exit(&mut h, 2019, d(2019, 12, 1), &p).unwrap();
        assert_eq!(h.status, ArchiveStatus::Exited as i32);
        assert_eq!(h.exited_year, 2019);
        assert_eq!(h.timeline.last().unwrap().kind, EventKind::Exited as i32);
        let again = record_exit(&mut h, 2019, d(2019, 12, 1), &p).unwrap_err();
        assert_eq!(rule_of(&again), NOT_POOR);
    }

    #[test]
    fn exit_year_must_follow_identification() {
        let p = policy();
        let mut h = household("H", ArchiveStatus::Poor);
        record_income(&mut h, income(2013, 10_000_000));
        let err = record_exit(&mut h, 2013, d(2019, 1, 1), &p).unwrap_err();
        assert_eq!(rule_of(&err), EXIT_YEAR_OUT_OF_ORDER);
    }

    #[test]
    fn incomes_replace_by_year_and_stay_sorted() {
        let mut h = household("H", ArchiveStatus::Poor);
        record_income(&mut h, income(2019, 1));
        record_income(&mut h, income(2017, 2));
        record_income(&mut h, income(2019, 3));
        let years: Vec<_> = h
            .incomes
            .iter()
            .map(|i| (i.year, i.per_capita_net_income_fen))
            .collect();
        assert_eq!(years, [(2017, 2), (2019, 3)]);
    }
}
