//! The county's calendar: every "today" a rule is judged on comes from here.
//!
//! Gucheng County keeps China Standard Time (UTC+8, no daylight saving), so a record made
//! at 23:30 UTC belongs to the next county day. The services and the CLI take their date
//! from [`today`]; pure domain functions take `today` as an argument so tests can pin it.

use chrono::{Duration, NaiveDate, Utc};

/// The county's offset from UTC, in hours (China Standard Time).
pub const COUNTY_UTC_OFFSET_HOURS: i64 = 8;

/// Today's date in the county.
pub fn today() -> NaiveDate {
    county_date(Utc::now())
}

/// The county date of an instant.
pub fn county_date(at: chrono::DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(COUNTY_UTC_OFFSET_HOURS)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn late_utc_evening_is_the_next_county_day() {
        let at = Utc.with_ymd_and_hms(2019, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(
            county_date(at),
            NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
        );
        let at = Utc.with_ymd_and_hms(2019, 12, 31, 15, 59, 59).unwrap();
        assert_eq!(
            county_date(at),
            NaiveDate::from_ymd_opt(2019, 12, 31).unwrap()
        );
    }
}
