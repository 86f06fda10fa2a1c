//! Conversions between the wire's `common.v1.Date` and `chrono::NaiveDate`.

use chrono::{Datelike, NaiveDate};

use crate::pb::common::v1::Date;
use crate::types::{DateError, parse_ymd};

/// Converts a wire date into a real calendar date, rejecting impossible ones.
pub fn date_from_pb(d: &Date) -> Result<NaiveDate, DateError> {
    parse_ymd(d.year, d.month, d.day)
}

/// Converts a calendar date to the wire form.
pub fn date_to_pb(d: NaiveDate) -> Date {
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_leap_day() {
        let d = NaiveDate::from_ymd_opt(2020, 2, 29).unwrap();
        assert_eq!(date_from_pb(&date_to_pb(d)).unwrap(), d);
    }

    #[test]
    fn rejects_an_impossible_date() {
        let bad = Date {
            year: 2019,
            month: 2,
            day: 29,
        };
        assert!(date_from_pb(&bad).is_err());
    }
}
