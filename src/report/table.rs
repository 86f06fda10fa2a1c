//! The terminal table: a title, one block per section (registry, then the four guarantees
//! with their exceptions), then one row per township. Columns are aligned by display width
//! (a Chinese character takes two cells), so the table reads in any terminal.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;
use xk_contracts::pb::aggregator::v1::Summary;

use super::figures::{Kind, blocks};
use super::format::int;
use super::groups::{GroupRow, rows};
use super::names;

/// `s` padded with spaces to `width` display cells (left-aligned).
fn pad_right(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(s.width())))
}

/// `s` padded with spaces to `width` display cells (right-aligned).
fn pad_left(s: &str, width: usize) -> String {
    format!("{}{s}", " ".repeat(width.saturating_sub(s.width())))
}

/// A count or `—` when unknown.
fn cell(v: Option<i64>) -> String {
    v.map(int).unwrap_or_else(|| "—".into())
}

/// Renders the whole report as text for a terminal.
pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let (zh, en) = super::title(s);
    let _ = writeln!(out, "{zh} {en} · {}", s.region_prefix);
    let completeness = if s.complete {
        "complete: every service answered".to_string()
    } else {
        "PARTIAL: some sections are unavailable".to_string()
    };
    let _ = writeln!(
        out,
        "汇总 summary as of {} · year {} · by {} · {completeness}",
        super::as_of(s),
        s.year,
        super::level(s)
    );
    let blocks = blocks(s);
    let label = |zh: &str, en: &str| format!("{zh}  {en}");
    let width = blocks
        .iter()
        .filter_map(|b| b.body.as_ref().ok())
        .flatten()
        .map(|l| label(&l.zh, &l.en).width() + 2)
        .max()
        .unwrap_or(0);
    for b in &blocks {
        let _ = writeln!(out, "\n== {} {} ==", b.zh, b.en);
        match &b.body {
            Err(reason) => {
                let _ = writeln!(out, "  {reason}");
            }
            Ok(lines) => {
                for l in lines {
                    let (mark, indent) = match l.kind {
                        Kind::Figure => (' ', ""),
                        Kind::Detail => (' ', "  "),
                        Kind::Exception if l.alert => ('!', "  "),
                        Kind::Exception => (' ', "  "),
                    };
                    let text = format!("{indent}{}", label(&l.zh, &l.en));
                    let _ = writeln!(out, "{mark} {} {}", pad_right(&text, width), l.value);
                }
            }
        }
    }
    out.push_str(&township_table(s, &rows(s)));
    out
}

/// The column headers of the group table: Chinese over English.
const HEADERS: [(&str, &str); 11] = [
    ("代码", "code"),
    ("名称", "name"),
    ("户数", "households"),
    ("人数", "people"),
    ("已脱贫", "exited"),
    ("未脱贫", "poor"),
    ("监测户", "monitored"),
    ("失学无案", "no school"),
    ("未参保", "uninsured"),
    ("超上限", "over cap"),
    ("未入住", "not moved"),
];

/// The headers after the name column that remain: unsafe water is the last.
const LAST_HEADER: (&str, &str) = ("饮水不安全", "unsafe water");

fn township_table(s: &Summary, rows: &[GroupRow]) -> String {
    let mut out = String::new();
    let what = match super::level(s) {
        "village" => "村 / 社区 by village",
        "county" => "县 by county",
        _ => "乡镇 by township",
    };
    let _ = writeln!(out, "\n== {what} ==");
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "  (no groups: nothing recorded under {})",
            s.region_prefix
        );
        return out;
    }
    let headers: Vec<(&str, &str)> = HEADERS.iter().copied().chain([LAST_HEADER]).collect();
    let total = super::groups::total(s);
    let body: Vec<Vec<String>> = rows
        .iter()
        .chain(std::iter::once(&total))
        .map(|r| {
            vec![
                r.code.clone(),
                if std::ptr::eq(r, &total) {
                    "合计 total".to_string()
                } else {
                    names::label_zh(&r.code)
                },
                cell(r.archive_households),
                cell(r.archive_people),
                cell(r.exited_people),
                cell(r.poor_people),
                cell(r.monitored_households),
                cell(r.children_without_case),
                cell(r.uninsured_people),
                cell(r.over_cap_people),
                cell(r.not_moved_in_households),
                cell(r.unsafe_water_households),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            body.iter()
                .map(|row| row[c].width())
                .chain([headers[c].0.width(), headers[c].1.width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if c < 2 {
                    pad_right(v, widths[c])
                } else {
                    pad_left(v, widths[c])
                }
            })
            .collect();
        format!("  {}", parts.join("  ").trim_end())
    };
    let _ = writeln!(
        out,
        "{}",
        line(headers.iter().map(|h| h.0.to_string()).collect())
    );
    let _ = writeln!(
        out,
        "{}",
        line(headers.iter().map(|h| h.1.to_string()).collect())
    );
    let rule = format!(
        "  {}",
        "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1))
    );
    let _ = writeln!(out, "{rule}");
    let last = body.len() - 1;
    for (i, row) in body.into_iter().enumerate() {
        if i == last {
            let _ = writeln!(out, "{rule}");
        }
        let _ = writeln!(out, "{}", line(row));
    }
    let _ = writeln!(
        out,
        "  (— : unknown, the service that holds it did not answer)"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn shows_the_published_figures() {
        let t = render(&sample::county());
        for needle in [
            "谷城县 Gucheng County · 420625",
            "19,139 户 · 49,494 人",
            "51,125 人",
            "275 户 · 736 人 = 1.44% of baseline",
            "39 户 · 92 人",
            "210 户 · 470 人",
            "242 村 + 48 社区 = 290",
            "4,013 户 · 7,734 人",
            "1,800.00 亩",
            "102 人",
            "5 / 97",
            "230 人, 230 subsidised",
        ] {
            assert!(t.contains(needle), "missing {needle:?} in\n{t}");
        }
        assert!(t.contains("盛\u{21413}镇"), "{t}");
        assert!(t.contains("420625500  薤山林场"), "{t}");
        let total = t.lines().find(|l| l.contains("合计 total")).unwrap();
        assert!(
            total.contains("19,139") && total.contains("49,494"),
            "{total}"
        );
        assert!(!t.contains("UNAVAILABLE"));
        assert!(!t.contains("PARTIAL"));
    }

    #[test]
    fn an_unavailable_section_says_so_and_shows_no_zeros() {
        let t = render(&sample::county_without_health());
        let health = t.split("== 基本医疗有保障").nth(1).unwrap();
        let health = health.split("\n== ").next().unwrap();
        assert!(health.contains("UNAVAILABLE (gRPC code 14): health: connection refused"));
        assert!(!health.contains("参保人数"), "{health}");
        assert!(t.contains("PARTIAL"));
        // The health-derived exceptions are unknown per township, not zero.
        let row = t.lines().find(|l| l.contains("420625101")).unwrap();
        assert_eq!(row.matches('—').count(), 2, "{row}");
        // Other sections still show their figures.
        assert!(t.contains("19,139 户 · 49,494 人"));
    }

    #[test]
    fn the_empty_county_has_zeros_and_no_groups() {
        let t = render(&sample::empty());
        assert!(t.contains("0 户 · 0 人"));
        assert!(t.contains("no groups"));
        assert!(!t.contains('!'), "no alert on an empty county:\n{t}");
        assert!(!t.contains("NaN") && !t.contains("of baseline"));
    }

    #[test]
    fn a_nonzero_exception_is_marked() {
        let mut s = sample::county();
        s.exceptions_total.as_mut().unwrap().unsafe_water_households = Some(3);
        let t = render(&s);
        let l = t.lines().find(|l| l.contains("不安全  unsafe")).unwrap();
        assert!(l.starts_with('!') && l.ends_with("3 户"), "{l}");
    }
}
