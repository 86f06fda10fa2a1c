//! The self-contained HTML page: headline figures, one card per guarantee with its chart
//! and exceptions, and per-township charts and table. No external reference of any kind
//! (no CDN, font, script or image URL): CSS is inline, charts are inline SVG drawn by
//! [`super::svg`], and every string from the summary is escaped.

use std::fmt::Write as _;

use xk_contracts::pb::aggregator::v1::Summary;

use super::figures::{Block, Kind, availability, blocks};
use super::format::{int, pct};
use super::groups::{GroupRow, rows};
use super::names;
use super::svg::{Row, Segment, esc, part_of_whole};

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

/// The chart of one block: the part-of-whole bars that say whether the guarantee holds.
fn chart(s: &Summary, key: &str) -> String {
    let exc = s.exceptions_total.clone().unwrap_or_default();
    match key {
        "registry" => {
            let t = s
                .registry
                .clone()
                .unwrap_or_default()
                .total
                .unwrap_or_default();
            part_of_whole(
                "archive people: exited and still poor",
                &[
                    Segment::new(t.exited_people, "已脱贫 exited", "s-ok"),
                    Segment::new(t.poor_people, "未脱贫 poor", "s-warn"),
                ],
            ) + &part_of_whole(
                "monitored people within the baseline cohort",
                &[
                    Segment::new(t.monitored_people, "监测 monitored", "s-bad"),
                    Segment::new(
                        (t.baseline_people - t.monitored_people).max(0),
                        "基期其余 rest of baseline",
                        "s-none",
                    ),
                ],
            )
        }
        "education" => {
            let t = s
                .education
                .clone()
                .unwrap_or_default()
                .total
                .unwrap_or_default();
            let outside = t.outside_county + t.outside_province;
            part_of_whole(
                "students guaranteed and not",
                &[
                    Segment::new(t.guaranteed, "有保障 guaranteed", "s-ok"),
                    Segment::new(
                        t.not_guaranteed - t.not_guaranteed_without_case,
                        "劝返中 with case",
                        "s-warn",
                    ),
                    Segment::new(
                        t.not_guaranteed_without_case,
                        "无劝返 without case",
                        "s-bad",
                    ),
                ],
            ) + &part_of_whole(
                "students outside the county with a letter",
                &[
                    Segment::new(
                        t.outside_with_letter,
                        "县外有协查函 outside, letter sent",
                        "s-ok",
                    ),
                    Segment::new(
                        (outside - t.outside_with_letter).max(0),
                        "无函 no letter",
                        "s-bad",
                    ),
                ],
            )
        }
        "health" => {
            let t = s
                .health
                .clone()
                .unwrap_or_default()
                .total
                .unwrap_or_default();
            part_of_whole(
                "registered poor insured and not",
                &[
                    Segment::new(t.registered_poor_insured, "建档立卡参保 insured", "s-ok"),
                    Segment::new(
                        exc.uninsured_registered_people.unwrap_or(0),
                        "未参保 uninsured",
                        "s-bad",
                    ),
                ],
            ) + &part_of_whole(
                "hospital costs by layer",
                &[
                    Segment::new(t.basic_fen / 100, "基本医保 basic (元)", "s-ok"),
                    Segment::new(
                        t.serious_illness_fen / 100,
                        "大病 serious illness",
                        "s-fair",
                    ),
                    Segment::new(t.medical_assistance_fen / 100, "救助 assistance", "s-blue"),
                    Segment::new(t.supplementary_fen / 100, "补充 supplementary", "s-violet"),
                    Segment::new(t.personal_total_fen / 100, "个人 personal", "s-warn"),
                ],
            )
        }
        "housing" => {
            let t = s
                .housing
                .clone()
                .unwrap_or_default()
                .total
                .unwrap_or_default();
            part_of_whole(
                "relocated households moved in and not",
                &[
                    Segment::new(t.moved_in_households, "已入住 moved in", "s-ok"),
                    Segment::new(
                        (t.relocated_households - t.moved_in_households).max(0),
                        "未入住 not moved in",
                        "s-bad",
                    ),
                ],
            ) + &part_of_whole(
                "relocated households with labour employed and not",
                &[
                    Segment::new(t.with_employment_households, "有就业 employed", "s-ok"),
                    Segment::new(
                        (t.with_labour_households - t.with_employment_households).max(0),
                        "无就业 nobody employed",
                        "s-bad",
                    ),
                ],
            )
        }
        "water" => {
            let t = s
                .water
                .clone()
                .unwrap_or_default()
                .total
                .unwrap_or_default();
            part_of_whole(
                "households by water-safety verdict",
                &[
                    Segment::new(t.safe_households, "安全 safe", "s-ok"),
                    Segment::new(
                        t.basically_safe_households,
                        "基本安全 basically safe",
                        "s-fair",
                    ),
                    Segment::new(t.unsafe_households, "不安全 unsafe", "s-bad"),
                ],
            )
        }
        _ => String::new(),
    }
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

/// A table cell: a count, or `—` when unknown; non-zero exceptions are marked.
fn td(v: Option<i64>, exception: bool) -> String {
    match v {
        None => r#"<td class="unknown">—</td>"#.to_string(),
        Some(n) if exception && n != 0 => format!(r#"<td class="alert">{}</td>"#, int(n)),
        Some(n) => format!("<td>{}</td>", int(n)),
    }
}

fn groups(out: &mut String, s: &Summary, rows: &[GroupRow]) {
    let (zh, en) = match super::level(s) {
        "village" => ("各村（社区）", "By village and community"),
        "county" => ("各县", "By county"),
        _ => ("各乡镇", "By township"),
    };
    let _ = write!(
        out,
        r#"<section class="groups"><h2>{zh} <span>{en}</span></h2>"#
    );
    if rows.is_empty() {
        let _ = write!(
            out,
            r#"<p class="empty">暂无数据 — nothing recorded under {} yet.</p></section>"#,
            esc(&s.region_prefix)
        );
        return;
    }
    let chart_rows: Vec<Row> = rows
        .iter()
        .map(|r| Row {
            label: names::label_zh(&r.code),
            sublabel: r.code.clone(),
            segments: match (r.exited_people, r.poor_people) {
                (Some(e), Some(p)) => Some(vec![
                    Segment::new(e, "已脱贫 exited", "s-ok"),
                    Segment::new(p, "未脱贫 poor", "s-warn"),
                ]),
                _ => None,
            },
        })
        .collect();
    let _ = write!(
        out,
        r#"<figure><figcaption>建档立卡人口 <span>Archive people per group: exited and still poor</span></figcaption>{}</figure>"#,
        super::svg::rows(
            "archive people per group, exited and poor",
            &[("已脱贫 exited", "s-ok"), ("未脱贫 poor", "s-warn")],
            &chart_rows
        )
    );
    let exc_rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            let (sum, unknown) = r.exceptions();
            Row {
                label: names::label_zh(&r.code),
                sublabel: r.code.clone(),
                segments: (!unknown).then(|| vec![Segment::new(sum, "例外 exceptions", "s-bad")]),
            }
        })
        .collect();
    let any = exc_rows.iter().any(|r| {
        r.segments
            .as_ref()
            .is_none_or(|s| s.iter().any(|s| s.value != 0))
    });
    if any {
        let _ = write!(
            out,
            r#"<figure><figcaption>待处理例外 <span>Exceptions to follow up per group (DOMAIN §8)</span></figcaption>{}</figure>"#,
            super::svg::rows(
                "exceptions per group",
                &[("例外 exceptions", "s-bad")],
                &exc_rows
            )
        );
    } else {
        out.push_str(r#"<p class="allclear">✓ 各组均无例外 — no exception in any group.</p>"#);
    }
    out.push_str(r#"<div class="tablewrap"><table><thead><tr><th>代码<span>code</span></th><th>名称<span>name</span></th><th>户数<span>households</span></th><th>人数<span>people</span></th><th>已脱贫<span>exited</span></th><th>未脱贫<span>poor</span></th><th>监测户<span>monitored</span></th><th>失学无案<span>out of school</span></th><th>未参保<span>uninsured</span></th><th>超上限<span>over cap</span></th><th>未入住<span>not moved in</span></th><th>饮水不安全<span>unsafe water</span></th></tr></thead><tbody>"#);
    for r in rows {
        let _ = write!(
            out,
            r#"<tr><td class="code">{}</td><td class="name">{}<span>{}</span></td>{}{}{}{}{}{}{}{}{}{}</tr>"#,
            esc(&r.code),
            esc(&names::label_zh(&r.code)),
            esc(&names::label_en(&r.code)),
            td(r.archive_households, false),
            td(r.archive_people, false),
            td(r.exited_people, false),
            td(r.poor_people, false),
            td(r.monitored_households, false),
            td(r.children_without_case, true),
            td(r.uninsured_people, true),
            td(r.over_cap_people, true),
            td(r.not_moved_in_households, true),
            td(r.unsafe_water_households, true),
        );
    }
    let t = super::groups::total(s);
    let _ = write!(
        out,
        r#"</tbody><tfoot><tr><td class="code">{}</td><td class="name">合计<span>total</span></td>{}{}{}{}{}{}{}{}{}{}</tr></tfoot></table></div></section>"#,
        esc(&t.code),
        td(t.archive_households, false),
        td(t.archive_people, false),
        td(t.exited_people, false),
        td(t.poor_people, false),
        td(t.monitored_households, false),
        td(t.children_without_case, true),
        td(t.uninsured_people, true),
        td(t.over_cap_people, true),
        td(t.not_moved_in_households, true),
        td(t.unsafe_water_households, true),
    );
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn shows_the_headline_figures_and_charts() {
        let h = render(&sample::county());
        for needle in [
            "49,494 人",
            "19,139 户",
            "51,125 人",
            "1.44%",
            "275 户 / 736 人",
            "盛\u{21413}镇",
            "薤山林场",
            "4,013 户 · 7,734 人",
        ] {
            assert!(h.contains(needle), "missing {needle}");
        }
        // One chart per section card at least, plus the per-group charts.
        assert!(
            h.matches("<svg").count() >= 6,
            "{}",
            h.matches("<svg").count()
        );
        assert!(h.contains(r#"id="water""#) && h.contains(r#"id="health""#));
        let foot = h.split("<tfoot>").nth(1).unwrap();
        assert!(
            foot.contains("合计") && foot.contains("<td>49,494</td>"),
            "{foot}"
        );
        assert!(!h.contains("UNAVAILABLE"));
    }

    #[test]
    fn is_self_contained() {
        for s in [
            sample::county(),
            sample::county_without_health(),
            sample::empty(),
        ] {
            let h = render(&s);
            assert!(
                !h.contains("http://") && !h.contains("https://"),
                "external reference"
            );
            assert!(
                !h.contains("<script")
                    && !h.contains("<link")
                    && !h.contains("@import")
                    && !h.contains("url(")
            );
            assert!(h.starts_with("<!DOCTYPE html>") && h.trim_end().ends_with("</html>"));
        }
    }

    #[test]
    fn escapes_every_inserted_string() {
        let mut s = sample::county_without_health();
        s.region_prefix = "<script>alert('x')</script>".into();
        s.health.as_mut().unwrap().status.as_mut().unwrap().message =
            r#"<img src=x onerror="boom">&"#.into();
        let h = render(&s);
        assert!(
            !h.contains("<script>") && !h.contains("<img"),
            "unescaped markup"
        );
        assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(h.contains("&lt;img src=x onerror=&quot;boom&quot;&gt;&amp;"));
    }

    #[test]
    fn an_unavailable_section_is_shown_as_such() {
        let h = render(&sample::county_without_health());
        let card = h
            .split(r#"id="health""#)
            .nth(1)
            .unwrap()
            .split("</article>")
            .next()
            .unwrap();
        assert!(card.contains("UNAVAILABLE") && card.contains("connection refused"));
        assert!(!card.contains("<svg") && !card.contains("<dl>"));
        assert!(h.contains("PARTIAL"));
        assert!(h.contains(r#"<td class="unknown">—</td>"#));
    }

    #[test]
    fn an_unavailable_registry_replaces_the_headline() {
        let mut s = sample::county();
        s.registry.as_mut().unwrap().status =
            Some(xk_contracts::pb::aggregator::v1::SectionStatus {
                state: xk_contracts::pb::aggregator::v1::SectionState::Unavailable as i32,
                code: 4,
                message: "registry: deadline exceeded".into(),
            });
        s.complete = false;
        let h = render(&s);
        let headline = h
            .split(r#"class="headline""#)
            .nth(1)
            .unwrap()
            .split("</section>")
            .next()
            .unwrap();
        assert!(
            headline.contains("Registry UNAVAILABLE") && headline.contains("deadline exceeded")
        );
        assert!(
            !headline.contains("49,494"),
            "no stale figures in place of the registry's"
        );
        assert!(
            !h.contains("数据不可用 UNAVAILABLE"),
            "the word is said once"
        );
    }

    #[test]
    fn the_empty_county_renders_without_groups() {
        let h = render(&sample::empty());
        assert!(h.contains("nothing recorded under 420625"));
        assert!(h.contains("0 人"));
        assert!(!h.contains("PARTIAL"));
    }
}
