//! The page's per-township (or per-village) part: a chart per guarantee and the table of
//! every group's figures, exceptions marked.

use std::fmt::Write as _;

use xk_contracts::pb::aggregator::v1::Summary;

use crate::report::format::int;
use crate::report::groups::GroupRow;
use crate::report::svg::{self, Row, Segment, esc};
use crate::report::{self, names};

/// A table cell: a count, or `—` when unknown; non-zero exceptions are marked.
fn td(v: Option<i64>, exception: bool) -> String {
    match v {
        None => r#"<td class="unknown">—</td>"#.to_string(),
        Some(n) if exception && n != 0 => format!(r#"<td class="alert">{}</td>"#, int(n)),
        Some(n) => format!("<td>{}</td>", int(n)),
    }
}

pub(super) fn groups(out: &mut String, s: &Summary, rows: &[GroupRow]) {
    let (zh, en) = match report::level(s) {
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
        svg::rows(
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
            svg::rows(
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
    let t = report::groups::total(s);
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
