//! Inline SVG charts, drawn in Rust: a single stacked bar (a part-of-whole view of one
//! guarantee) and horizontal stacked bars per township. Colours come from CSS classes in
//! the page (`s-ok`, `s-fair`, `s-warn`, `s-bad`, `s-none`), so print styles apply; every
//! string is escaped.

use std::fmt::Write as _;

use super::format::{int, pct, share};

/// Escapes text for HTML and SVG (element content and quoted attributes alike).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One coloured part of a bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Its size.
    pub value: i64,
    /// What it counts (legend and tooltip).
    pub label: String,
    /// Its colour class (`s-ok`, `s-fair`, `s-warn`, `s-bad`, `s-none`).
    pub class: &'static str,
}

impl Segment {
    /// A segment.
    pub fn new(value: i64, label: impl Into<String>, class: &'static str) -> Segment {
        Segment {
            value,
            label: label.into(),
            class,
        }
    }
}

/// The width of the part-of-whole bar's drawing, in SVG units (stretched to the card).
const BAR_WIDTH: f64 = 1000.0;
/// The bar's height in SVG units and CSS pixels.
const BAR_HEIGHT: f64 = 18.0;

/// One bar split into `segments`, with an HTML legend of values and shares underneath (HTML
/// so the text wraps and keeps its size whatever the card's width). `aria` names the chart
/// for screen readers. An all-zero bar is drawn as an empty track.
pub fn part_of_whole(aria: &str, segments: &[Segment]) -> String {
    let total: i64 = segments.iter().map(|s| s.value.max(0)).sum();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<div class="bar"><svg class="chart bar" role="img" aria-label="{}" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" width="100%" height="{BAR_HEIGHT}" preserveAspectRatio="none">"#,
        esc(aria)
    );
    let _ = write!(
        out,
        r#"<rect class="track" x="0" y="0" width="{BAR_WIDTH}" height="{BAR_HEIGHT}"/>"#
    );
    let mut x = 0.0;
    for s in segments {
        let w = share(s.value, total) * BAR_WIDTH;
        if w > 0.0 {
            let _ = write!(
                out,
                r#"<rect class="{}" x="{x:.2}" y="0" width="{w:.2}" height="{BAR_HEIGHT}"><title>{}: {}</title></rect>"#,
                s.class,
                esc(&s.label),
                int(s.value)
            );
        }
        x += w;
    }
    out.push_str(r#"</svg><ul class="legend">"#);
    for s in segments {
        let share = pct(s.value, total)
            .map(|p| format!(" <small>{p}</small>"))
            .unwrap_or_default();
        let _ = write!(
            out,
            r#"<li><span class="sw {}"></span>{} <b>{}</b>{share}</li>"#,
            s.class,
            esc(&s.label),
            int(s.value)
        );
    }
    out.push_str("</ul></div>");
    out
}

/// One row of a per-group chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The group's name (Chinese).
    pub label: String,
    /// The smaller second label (code or English name).
    pub sublabel: String,
    /// The parts of its bar; `None` when unknown (drawn as a hatched "unknown" track).
    pub segments: Option<Vec<Segment>>,
}

/// The drawing's width of a per-group chart.
const ROWS_WIDTH: f64 = 1000.0;
/// The space for the labels on the left.
const LABEL_WIDTH: f64 = 150.0;
/// The space for the total on the right.
const VALUE_WIDTH: f64 = 80.0;
/// The height of one row.
const ROW_HEIGHT: f64 = 30.0;

/// Horizontal stacked bars, one per row, scaled to the largest row total, with the total at
/// the end of each bar and a legend of the segment classes at the top.
pub fn rows(aria: &str, legend: &[(&str, &'static str)], rows: &[Row]) -> String {
    let max = rows
        .iter()
        .filter_map(|r| r.segments.as_ref())
        .map(|s| s.iter().map(|s| s.value.max(0)).sum::<i64>())
        .max()
        .unwrap_or(0);
    let top = 26.0;
    let height = top + ROW_HEIGHT * rows.len() as f64 + 4.0;
    let bar_space = ROWS_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart rows" role="img" aria-label="{}" viewBox="0 0 {ROWS_WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">"#,
        esc(aria)
    );
    let mut lx = LABEL_WIDTH;
    for (label, class) in legend {
        let _ = write!(
            out,
            r#"<rect class="{class}" x="{lx}" y="4" width="11" height="11" rx="2"/><text class="legend" x="{:.1}" y="14">{}</text>"#,
            lx + 16.0,
            esc(label)
        );
        lx += 24.0 + 7.5 * label.chars().count() as f64;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ROW_HEIGHT * i as f64;
        let _ = write!(
            out,
            r#"<text class="label" x="0" y="{:.1}">{}</text><text class="sublabel" x="0" y="{:.1}">{}</text>"#,
            y + 12.0,
            esc(&r.label),
            y + 24.0,
            esc(&r.sublabel)
        );
        match &r.segments {
            None => {
                let _ = write!(
                    out,
                    r#"<rect class="unknown" x="{LABEL_WIDTH}" y="{:.1}" width="{bar_space}" height="16" rx="3"/><text class="value" x="{:.1}" y="{:.1}">unknown</text>"#,
                    y + 4.0,
                    ROWS_WIDTH - VALUE_WIDTH + 8.0,
                    y + 16.5
                );
            }
            Some(segs) => {
                let total: i64 = segs.iter().map(|s| s.value.max(0)).sum();
                let mut x = LABEL_WIDTH;
                for s in segs {
                    let w = share(s.value, max) * bar_space;
                    if w > 0.0 {
                        let _ = write!(
                            out,
                            r#"<rect class="{}" x="{x:.2}" y="{:.1}" width="{w:.2}" height="16"><title>{} · {}: {}</title></rect>"#,
                            s.class,
                            y + 4.0,
                            esc(&r.label),
                            esc(&s.label),
                            int(s.value)
                        );
                    }
                    x += w;
                }
                let _ = write!(
                    out,
                    r#"<text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
                    x + 6.0,
                    y + 16.5,
                    int(total)
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc(r#"<b a="x">&'"#), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(esc("盛\u{21413}镇"), "盛\u{21413}镇");
    }

    #[test]
    fn a_bar_splits_by_share_and_escapes_labels() {
        let svg = part_of_whole(
            "t<",
            &[
                Segment::new(3, "ok", "s-ok"),
                Segment::new(1, "<bad>", "s-bad"),
            ],
        );
        assert!(svg.contains(r#"aria-label="t&lt;""#));
        assert!(svg.contains(r#"width="750.00""#), "{svg}");
        assert!(svg.contains(r#"width="250.00""#), "{svg}");
        assert!(svg.contains("75.00%") && svg.contains("25.00%"), "{svg}");
        assert!(svg.contains("&lt;bad&gt;") && !svg.contains("<bad>"));
    }

    #[test]
    fn an_empty_bar_draws_only_the_track() {
        let svg = part_of_whole("empty", &[Segment::new(0, "ok", "s-ok")]);
        assert!(!svg.contains("<title>"));
        assert!(svg.contains(r#"class="track""#));
    }

    #[test]
    fn rows_scale_to_the_largest_and_mark_unknown() {
        let row = |label: &str, v: Option<i64>| Row {
            label: label.into(),
            sublabel: String::new(),
            segments: v.map(|v| vec![Segment::new(v, "people", "s-ok")]),
        };
        let svg = rows(
            "r",
            &[("people", "s-ok")],
            &[row("a", Some(10)), row("b", Some(5)), row("c", None)],
        );
        assert!(svg.contains(r#"width="770.00""#), "{svg}");
        assert!(svg.contains(r#"width="385.00""#), "{svg}");
        assert!(svg.contains("unknown"));
    }
}
