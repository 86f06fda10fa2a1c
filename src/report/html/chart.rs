//! The chart of each guarantee's card: the part-of-whole bars that say whether the
//! guarantee holds, drawn from the summary's totals and exceptions.

use xk_contracts::pb::aggregator::v1::Summary;

use crate::report::svg::{Segment, part_of_whole};

/// The chart of one block: the part-of-whole bars that say whether the guarantee holds.
pub(super) fn chart(s: &Summary, key: &str) -> String {
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
