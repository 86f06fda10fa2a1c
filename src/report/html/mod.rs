//! The self-contained HTML page: headline figures, one card per guarantee with its chart
//! and exceptions, and per-township charts and table. No external reference of any kind
//! (no CDN, font, script or image URL): CSS is inline, charts are inline SVG drawn by
//! [`super::svg`], and every string from the summary is escaped.

mod chart;
mod townships;

use std::fmt::Write as _;

use xk_contracts::pb::aggregator::v1::Summary;

use super::figures::{Block, Kind, availability, blocks};
use super::format::{int, pct};
use super::groups::rows;
use super::svg::esc;
use chart::chart;
use townships::groups;

/// The page's style sheet: system fonts with CJK fallbacks, cards, print rules.
const CSS: &str = include_str!("report.css");

/// Renders the whole page.
pub fn render(s: &Summary) -> String {
    let (zh, en) = super::title(s);
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} 脱贫成果汇总 {} — {} summary</title>
<style>{CSS}</style>
</head>
<body>
<main>
"#,
        esc(&zh),
        s.year,
        esc(if en.is_empty() { &s.region_prefix } else { &en })
    );
    header(&mut out, s, &zh, &en);
    headline(&mut out, s);
    let blocks = blocks(s);
    out.push_str(r#"<section class="sections">"#);
    for b in &blocks {
        card(&mut out, s, b);
    }
    out.push_str("</section>\n");
    groups(&mut out, s, &rows(s));
    let _ = write!(
        out,
        r#"<footer>由 xiaokang report 生成 · figures from the aggregator's GetSummary for {} as of {}. “—” / unknown: the service that holds the figure did not answer.</footer>
</main>
</body>
</html>
"#,
        esc(&s.region_prefix),
        esc(&super::as_of(s))
    );
    out
}

fn header(out: &mut String, s: &Summary, zh: &str, en: &str) {
    let _ = write!(
        out,
        r#"<header>
<p class="eyebrow">两不愁三保障 · 巩固脱贫成果 <span>Consolidating poverty-alleviation results</span></p>
<h1>{} <span class="en">{}</span></h1>
<p class="meta"><span>区划 code <b>{}</b></span><span>截至 as of <b>{}</b></span><span>年度 year <b>{}</b></span><span>分组 by <b>{}</b></span></p>
"#,
        esc(zh),
        esc(en),
        esc(&s.region_prefix),
        esc(&super::as_of(s)),
        s.year,
        super::level(s)
    );
    if !s.complete {
        out.push_str(r#"<p class="partial" role="alert">部分数据不可用 — PARTIAL summary: some services did not answer; their sections are marked UNAVAILABLE below (not zero).</p>"#);
    }
    out.push_str("</header>\n");
}

/// The reason of an unavailable section without its leading `UNAVAILABLE` (the page
/// shows that word in bold already).
fn without_prefix(reason: &str) -> &str {
    reason
        .strip_prefix("UNAVAILABLE")
        .map_or(reason, |r| r.trim_start_matches([':', ' ']))
}

/// One headline figure card.
fn stat(out: &mut String, zh: &str, en: &str, big: &str, small: &str) {
    let _ = write!(
        out,
        r#"<div class="stat"><p class="k">{} <span>{}</span></p><p class="v">{}</p><p class="s">{}</p></div>"#,
        esc(zh),
        esc(en),
        esc(big),
        esc(small)
    );
}

fn headline(out: &mut String, s: &Summary) {
    out.push_str(r#"<section class="headline" aria-label="headline figures">"#);
    let reg = s.registry.clone().unwrap_or_default();
    match availability(reg.status.as_ref()) {
        Err(reason) => {
            let _ = write!(
                out,
                r#"<div class="unavailable"><b>建档立卡 Registry UNAVAILABLE</b> 数据不可用 {}</div>"#,
                esc(without_prefix(&reason))
            );
        }
        Ok(()) => {
            let t = reg.total.unwrap_or_default();
            let y = s.year;
            stat(
                out,
                "建档立卡",
                "archive",
                &format!("{} 人", int(t.archive_people)),
                &format!("{} 户 households", int(t.archive_households)),
            );
            stat(
                out,
                "基期建档人口",
                "baseline cohort",
                &format!("{} 人", int(t.baseline_people)),
                &format!("{} removed since", int(t.baseline_removed_people)),
            );
            let share = pct(t.monitored_people, t.baseline_people).unwrap_or_else(|| "—".into());
            stat(
                out,
                "监测对象",
                "monitored",
                &share,
                &format!(
                    "{} 户 / {} 人 of {} baseline people",
                    int(t.monitored_households),
                    int(t.monitored_people),
                    int(t.baseline_people)
                ),
            );
            stat(
                out,
                &format!("{y}年脱贫"),
                &format!("exited in {y}"),
                &format!("{} 人", int(t.exited_in_year_people)),
                &format!("{} 户 households", int(t.exited_in_year_households)),
            );
            stat(
                out,
                &format!("{y}年新识别"),
                &format!("identified in {y}"),
                &format!("{} 人", int(t.identified_in_year_people)),
                &format!("{} 户 households", int(t.identified_in_year_households)),
            );
            stat(
                out,
                "村 / 社区",
                "villages / communities",
                &int(t.villages + t.communities),
                &format!(
                    "{} 村 + {} 社区 · {} poor villages",
                    int(t.villages),
                    int(t.communities),
                    int(t.poor_villages)
                ),
            );
        }
    }
    out.push_str("</section>\n");
}

fn card(out: &mut String, s: &Summary, b: &Block) {
    let _ = write!(
        out,
        r#"<article class="card {key}" id="{key}"><h2>{} <span>{}</span></h2>"#,
        esc(b.zh),
        esc(b.en),
        key = b.key
    );
    match &b.body {
        Err(reason) => {
            let _ = write!(
                out,
                r#"<p class="unavailable"><b>UNAVAILABLE</b> 数据不可用 {}</p>"#,
                esc(without_prefix(reason))
            );
        }
        Ok(lines) => {
            let _ = write!(out, r#"<div class="charts">{}</div>"#, chart(s, b.key));
            out.push_str("<dl>");
            for l in lines {
                let class = match l.kind {
                    Kind::Figure => "fig",
                    Kind::Detail => "detail",
                    Kind::Exception if l.alert => "exc alert",
                    Kind::Exception => "exc ok",
                };
                let _ = write!(
                    out,
                    r#"<div class="{class}"><dt>{} <span>{}</span></dt><dd>{}</dd></div>"#,
                    esc(&l.zh),
                    esc(&l.en),
                    esc(&l.value)
                );
            }
            out.push_str("</dl>");
        }
    }
    out.push_str("</article>\n");
}

#[cfg(test)]
mod tests;
