//! The page shows the figures, marks what is unavailable, escapes what it is given and
//! refers to nothing outside itself.

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
    s.registry.as_mut().unwrap().status = Some(xk_contracts::pb::aggregator::v1::SectionStatus {
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
    assert!(headline.contains("Registry UNAVAILABLE") && headline.contains("deadline exceeded"));
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
