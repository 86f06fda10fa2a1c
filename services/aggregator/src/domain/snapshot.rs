//! Snapshot months: parsing, the day a month is judged at, and the snapshot id.

use chrono::{Datelike, NaiveDate};

/// A snapshot month `YYYY-MM` parsed to its first day.
pub fn parse_month(s: &str) -> Result<NaiveDate, String> {
    let bad = || format!("must be YYYY-MM, got {s:?}");
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if !(2000..=2100).contains(&y) {
        return Err(format!("year must be 2000-2100, got {y}"));
    }
    NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| format!("month must be 01-12, got {m:02}"))
}

/// The day a month's snapshot is judged at: its last day, or `today` if the month has not
/// ended yet. A month entirely in the future is refused.
pub fn snapshot_as_of(first: NaiveDate, today: NaiveDate) -> Result<NaiveDate, String> {
    if first > today {
        return Err(format!(
            "month {} has not started yet (today is {today})",
            first.format("%Y-%m")
        ));
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(first);
    Ok(last.min(today))
}

/// The snapshot id of a month and prefix.
pub fn snapshot_id(month: &str, prefix: &str) -> String {
    format!("{month}/{prefix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_judge_at_their_last_day() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(parse_month("2019-12"), Ok(d(2019, 12, 1)));
        for bad in ["2019-13", "2019-1", "19-12", "2019/12", "", "1999-01"] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
        let today = d(2026, 11, 29);
        assert_eq!(snapshot_as_of(d(2019, 12, 1), today), Ok(d(2019, 12, 31)));
        assert_eq!(snapshot_as_of(d(2020, 2, 1), today), Ok(d(2020, 2, 29)));
        assert_eq!(snapshot_as_of(d(2026, 11, 1), today), Ok(today));
        assert!(snapshot_as_of(d(2026, 12, 1), today).is_err());
        assert_eq!(snapshot_id("2019-12", "420625"), "2019-12/420625");
    }
}
