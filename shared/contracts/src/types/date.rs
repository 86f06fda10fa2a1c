//! Calendar dates as the county's records use them.
//!
//! Wire messages carry dates as three integers (year, month, day). Every service must reject
//! impossible dates (2019-02-30) and absurd years the same way, so the checks live here.

use chrono::NaiveDate;
use thiserror::Error;

/// Earliest year any record may name: nobody alive or on file was born before it.
pub const MIN_YEAR: i32 = 1850;

/// Latest year any record may name: far enough for plans and coverage years, close enough to
/// catch typos such as 20190 or 9999.
pub const MAX_YEAR: i32 = 2200;

/// The first calendar year a yearly figure (an income, an expense) may be recorded for: the
/// registry's incomes start in 2000, and the expenses the monitoring trigger sets against
/// them go back as far.
pub const FIRST_FIGURE_YEAR: i32 = 2000;

/// Why a date was rejected. The caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    /// The year is outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    #[error("year {year} is outside {MIN_YEAR}..={MAX_YEAR}")]
    YearOutOfRange {
        /// The year as sent.
        year: i32,
    },
    /// Year, month and day do not name a day of the calendar (2019-02-30, month 13, day 0).
    #[error("{year:04}-{month:02}-{day:02} is not a real date")]
    NotARealDate {
        /// The year as sent.
        year: i32,
        /// The month as sent.
        month: i32,
        /// The day as sent.
        day: i32,
    },
    /// The date lies after `today` where only past or present dates make sense.
    #[error("{date} is in the future (today is {today})")]
    InFuture {
        /// The date as sent.
        date: NaiveDate,
        /// The day the check was made against.
        today: NaiveDate,
    },
    /// A yearly figure's year is before [`FIRST_FIGURE_YEAR`] or after the current year.
    #[error("must be between {FIRST_FIGURE_YEAR} and {this_year}, got {year}")]
    FigureYearOutOfRange {
        /// The year as sent.
        year: i32,
        /// The current year, the last one a figure may be recorded for.
        this_year: i32,
    },
}

/// Builds a date from wire integers, rejecting impossible dates and years outside
/// [`MIN_YEAR`]..=[`MAX_YEAR`]; this is the one place services turn (y, m, d) into a date.
pub fn parse_ymd(year: i32, month: i32, day: i32) -> Result<NaiveDate, DateError> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(DateError::YearOutOfRange { year });
    }
    let not_real = DateError::NotARealDate { year, month, day };
    let (Ok(m), Ok(d)) = (u32::try_from(month), u32::try_from(day)) else {
        return Err(not_real);
    };
    NaiveDate::from_ymd_opt(year, m, d).ok_or(not_real)
}

/// Rejects a date after `today` (birth dates, event dates already past). `today` is passed
/// in, never read from the clock here, so callers and tests control it.
pub fn not_in_future(d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, DateError> {
    if d > today {
        Err(DateError::InFuture { date: d, today })
    } else {
        Ok(d)
    }
}

/// The year of a figure paid or earned in a calendar year: from [`FIRST_FIGURE_YEAR`] to
/// `this_year`, since a figure is recorded once it happened, never ahead.
pub fn figure_year(year: i32, this_year: i32) -> Result<i32, DateError> {
    if (FIRST_FIGURE_YEAR..=this_year).contains(&year) {
        Ok(year)
    } else {
        Err(DateError::FigureYearOutOfRange { year, this_year })
    }
}

/// The day `months` calendar months after `date` (clamped to the month's last day, as
/// chrono does), or the last representable day where that would overflow: a deadline
/// that far off is simply never reached, never an error.
pub fn months_after(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn accepts_ordinary_date() {
        assert_eq!(parse_ymd(2019, 12, 31), Ok(ymd(2019, 12, 31)));
    }

    #[test]
    fn feb_29_only_in_leap_years() {
        assert_eq!(parse_ymd(2020, 2, 29), Ok(ymd(2020, 2, 29)));
        assert_eq!(parse_ymd(2000, 2, 29), Ok(ymd(2000, 2, 29)));
        assert_eq!(
            parse_ymd(2019, 2, 29),
            Err(DateError::NotARealDate {
                year: 2019,
                month: 2,
                day: 29
            })
        );
        // 1900 is divisible by 100 but not 400: not a leap year.
        assert!(matches!(
            parse_ymd(1900, 2, 29),
            Err(DateError::NotARealDate { .. })
        ));
    }

    #[test]
    fn rejects_impossible_month_and_day() {
        for (m, d) in [(13, 1), (0, 1), (1, 0), (4, 31), (-1, 5), (5, -3), (2, 30)] {
            assert!(
                matches!(parse_ymd(2019, m, d), Err(DateError::NotARealDate { .. })),
                "{m}-{d}"
            );
        }
    }

    #[test]
    fn year_bounds_are_inclusive() {
        assert_eq!(parse_ymd(1850, 1, 1), Ok(ymd(1850, 1, 1)));
        assert_eq!(parse_ymd(2200, 12, 31), Ok(ymd(2200, 12, 31)));
        assert_eq!(
            parse_ymd(1849, 12, 31),
            Err(DateError::YearOutOfRange { year: 1849 })
        );
        assert_eq!(
            parse_ymd(2201, 1, 1),
            Err(DateError::YearOutOfRange { year: 2201 })
        );
    }

    #[test]
    fn messages_say_what_is_wrong() {
        assert_eq!(
            parse_ymd(2019, 2, 30).unwrap_err().to_string(),
            "2019-02-30 is not a real date"
        );
        assert_eq!(
            parse_ymd(20190, 2, 3).unwrap_err().to_string(),
            "year 20190 is outside 1850..=2200"
        );
        assert_eq!(
            not_in_future(ymd(2030, 1, 1), ymd(2020, 6, 1))
                .unwrap_err()
                .to_string(),
            "2030-01-01 is in the future (today is 2020-06-01)"
        );
    }

    #[test]
    fn today_is_not_the_future() {
        let today = ymd(2020, 6, 1);
        assert_eq!(not_in_future(today, today), Ok(today));
        assert_eq!(not_in_future(ymd(2020, 5, 31), today), Ok(ymd(2020, 5, 31)));
        assert_eq!(
            not_in_future(ymd(2020, 6, 2), today),
            Err(DateError::InFuture {
                date: ymd(2020, 6, 2),
                today
            })
        );
    }

    #[test]
    fn figure_years_run_from_the_first_to_this_year() {
        assert_eq!(figure_year(2000, 2026), Ok(2000));
        assert_eq!(figure_year(2026, 2026), Ok(2026));
        for year in [1999, 2027, i32::MIN, i32::MAX] {
            let err = figure_year(year, 2026).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("must be between 2000 and 2026, got {year}")
            );
        }
    }

    #[test]
    fn months_after_clamps_and_saturates() {
        assert_eq!(months_after(ymd(2019, 8, 31), 12), ymd(2020, 8, 31));
        assert_eq!(months_after(ymd(2020, 1, 31), 1), ymd(2020, 2, 29));
        assert_eq!(months_after(NaiveDate::MAX, 1), NaiveDate::MAX);
    }
}
