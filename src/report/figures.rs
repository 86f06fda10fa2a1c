//! What the report says, independent of how it is drawn: one [`Block`] for the registry and
//! one per guarantee, each a list of labelled [`Line`]s (Chinese label, English subtitle,
//! formatted value), or the reason the section is unavailable. The table and the HTML page
//! both render these, so they never disagree about a figure.

use xk_contracts::pb::aggregator::v1::{SectionState, SectionStatus, Summary};

use super::format::{int, mu, pct, yuan};

/// Whether a line is an ordinary figure, a breakdown of the line above, or one of the
/// exceptions of DOMAIN.md §8 (drawn in warning colours when not zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An ordinary figure.
    Figure,
    /// A breakdown of the figure above (indented).
    Detail,
    /// An exception: zero is good news, anything else needs follow-up, unknown is unknown.
    Exception,
}

/// One labelled figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The Chinese label, as the county writes it.
    pub zh: String,
    /// The English subtitle.
    pub en: String,
    /// The formatted value (`19,139 户 · 49,494 人`, `1.44%`, `unknown`).
    pub value: String,
    /// How to draw it.
    pub kind: Kind,
    /// For exceptions: whether it needs attention (not zero, or unknown).
    pub alert: bool,
}

/// The registry's section or one guarantee's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Short machine key (`registry`, `education`, …): HTML ids and CSS classes.
    pub key: &'static str,
    /// The Chinese title (`义务教育有保障`).
    pub zh: &'static str,
    /// The English title.
    pub en: &'static str,
    /// The figures, or why the section is unavailable (never zeros in its place).
    pub body: Result<Vec<Line>, String>,
}

/// `Ok` when the section answered, else the reason to show instead of figures.
pub fn availability(status: Option<&SectionStatus>) -> Result<(), String> {
    match status {
        Some(s) if s.state == SectionState::Available as i32 => Ok(()),
        Some(s) if s.state == SectionState::Unavailable as i32 => Err(if s.message.is_empty() {
            format!("UNAVAILABLE (gRPC code {})", s.code)
        } else {
            format!("UNAVAILABLE (gRPC code {}): {}", s.code, s.message)
        }),
        Some(_) => Err("UNAVAILABLE: the section's state is not set".into()),
        None => Err("UNAVAILABLE: the summary has no such section".into()),
    }
}

/// `1,234 户 · 5,678 人`.
pub fn households_people(h: i64, p: i64) -> String {
    format!("{} 户 · {} 人", int(h), int(p))
}

fn line(zh: impl Into<String>, en: impl Into<String>, value: String) -> Line {
    Line {
        zh: zh.into(),
        en: en.into(),
        value,
        kind: Kind::Figure,
        alert: false,
    }
}

fn detail(zh: impl Into<String>, en: impl Into<String>, value: String) -> Line {
    Line {
        kind: Kind::Detail,
        ..line(zh, en, value)
    }
}

/// An exception line from an optional count (`None`: a service it needs did not answer).
fn exception(zh: &str, en: &str, count: Option<i64>, unit: &str) -> Line {
    let (value, alert) = match count {
        Some(n) => (format!("{} {unit}", int(n)), n != 0),
        None => ("unknown".to_string(), true),
    };
    Line {
        zh: zh.into(),
        en: en.into(),
        value,
        kind: Kind::Exception,
        alert,
    }
}

/// `n (p%)` of a whole, or just `n` when the whole is zero.
fn of(n: i64, whole: i64) -> String {
    match pct(n, whole) {
        Some(p) => format!("{} ({p})", int(n)),
        None => int(n),
    }
}

/// Every block of the summary, registry first, then education, health, housing, water.
pub fn blocks(s: &Summary) -> Vec<Block> {
    vec![registry(s), education(s), health(s), housing(s), water(s)]
}

fn registry(s: &Summary) -> Block {
    let sec = s.registry.clone().unwrap_or_default();
    let body = availability(sec.status.as_ref()).map(|()| {
        let t = sec.total.unwrap_or_default();
        let y = s.year;
        let monitored = match pct(t.monitored_people, t.baseline_people) {
            Some(p) => format!(
                "{} = {p} of baseline",
                households_people(t.monitored_households, t.monitored_people)
            ),
            None => households_people(t.monitored_households, t.monitored_people),
        };
        vec![
            line(
                "建档立卡户",
                "archive (poor + exited)",
                households_people(t.archive_households, t.archive_people),
            ),
            detail(
                "未脱贫",
                "poor, not exited",
                households_people(t.poor_households, t.poor_people),
            ),
            detail(
                "已脱贫",
                "exited (any year)",
                households_people(t.exited_households, t.exited_people),
            ),
            line(
                format!("{y}年新识别"),
                format!("newly identified in {y}"),
                households_people(t.identified_in_year_households, t.identified_in_year_people),
            ),
            line(
                format!("{y}年脱贫"),
                format!("exited in {y}"),
                households_people(t.exited_in_year_households, t.exited_in_year_people),
            ),
            line(
                "基期建档人口",
                "baseline cohort (people)",
                format!("{} 人", int(t.baseline_people)),
            ),
            detail(
                "动态调整移出",
                "removed since",
                format!("{} 人", int(t.baseline_removed_people)),
            ),
            line("监测户", "monitored (open cases)", monitored),
            detail(
                "脱贫不稳定户",
                "unstable after exit",
                households_people(t.unstable_exited_households, t.unstable_exited_people),
            ),
            detail(
                "边缘易致贫户",
                "edge households",
                households_people(t.edge_households, t.edge_people),
            ),
            detail(
                "突发严重困难户",
                "sudden severe hardship",
                households_people(t.sudden_hardship_households, t.sudden_hardship_people),
            ),
            exception(
                "监测超期未帮扶",
                "no help one month after identification",
                Some(t.monitoring_alerts),
                "户",
            ),
            line(
                "村 / 社区",
                "villages / communities",
                format!(
                    "{} 村 + {} 社区 = {}",
                    int(t.villages),
                    int(t.communities),
                    int(t.villages + t.communities)
                ),
            ),
            line(
                "贫困村",
                "poor villages (collective income met)",
                format!(
                    "{} ({} 达标)",
                    int(t.poor_villages),
                    int(t.poor_villages_income_met)
                ),
            ),
        ]
    });
    Block {
        key: "registry",
        zh: "建档立卡",
        en: "Registry — the archive",
        body,
    }
}

fn education(s: &Summary) -> Block {
    let sec = s.education.clone().unwrap_or_default();
    let exc = s.exceptions_total.clone().unwrap_or_default();
    let body = availability(sec.status.as_ref()).map(|()| {
        let t = sec.total.unwrap_or_default();
        let outside = t.outside_county + t.outside_province;
        vec![
            line(
                "在册学生",
                "students recorded",
                format!("{} 人", int(t.students)),
            ),
            detail("有保障", "guaranteed", of(t.guaranteed, t.students)),
            detail(
                "未保障",
                "not guaranteed (dropped out / never enrolled)",
                format!(
                    "{} ({} / {})",
                    int(t.not_guaranteed),
                    int(t.dropped_out),
                    int(t.never_enrolled)
                ),
            ),
            detail("劝返在办", "open return-to-school cases", int(t.open_cases)),
            exception(
                "失辍学未立案",
                "out of school without a case",
                exc.children_out_of_school_without_case,
                "人",
            ),
            line(
                "县外就读",
                "studying outside the county",
                format!(
                    "{} 人, {} with a letter",
                    int(outside),
                    int(t.outside_with_letter)
                ),
            ),
            detail(
                "协查函",
                "letters sent / confirmed",
                format!("{} / {}", int(t.letters_sent), int(t.letters_confirmed)),
            ),
            exception(
                "协查函逾期",
                "letters without reply in time",
                Some(t.letters_overdue),
                "封",
            ),
            line(
                "特殊教育",
                "special school / inclusive class / home teaching",
                format!(
                    "{} / {} / {}",
                    int(t.special_school),
                    int(t.inclusive_class),
                    int(t.home_teaching)
                ),
            ),
            detail(
                "缓学 / 免学",
                "deferral / exemption",
                format!("{} / {}", int(t.deferral), int(t.exemption)),
            ),
            line(
                "残疾儿童摸排",
                "unable to attend for physical reasons",
                format!("{} 人", int(t.survey_unable_to_attend_physical)),
            ),
            detail(
                "就近入学 / 送教上门",
                "placed nearby / taught at home",
                format!(
                    "{} / {}",
                    int(t.survey_placed_nearby),
                    int(t.survey_taught_at_home)
                ),
            ),
            line(
                "外县来读学生",
                "incoming registered-poor students, subsidised",
                format!(
                    "{} 人, {} subsidised",
                    int(t.incoming_students),
                    int(t.incoming_with_subsidy)
                ),
            ),
            line(
                "资助",
                "students subsidised / amount (yuan)",
                format!(
                    "{} 人 / {} 元",
                    int(t.students_with_subsidy),
                    yuan(t.subsidy_fen)
                ),
            ),
        ]
    });
    Block {
        key: "education",
        zh: "义务教育有保障",
        en: "Compulsory education",
        body,
    }
}

fn health(s: &Summary) -> Block {
    let sec = s.health.clone().unwrap_or_default();
    let exc = s.exceptions_total.clone().unwrap_or_default();
    let body = availability(sec.status.as_ref()).map(|()| {
        let t = sec.total.unwrap_or_default();
        vec![
            line(
                "参保人数",
                "people insured",
                format!("{} 人", int(t.insured_people)),
            ),
            detail(
                "其中建档立卡",
                "of whom registered poor",
                format!("{} 人", int(t.registered_poor_insured)),
            ),
            exception(
                "建档立卡未参保",
                "registered poor not insured",
                exc.uninsured_registered_people,
                "人",
            ),
            line(
                "保费",
                "premiums (yuan)",
                format!("{} 元", yuan(t.premiums_fen)),
            ),
            detail(
                "政府代缴",
                "paid by the government",
                format!("{} 元", yuan(t.government_paid_fen)),
            ),
            detail(
                "个人缴纳",
                "paid by the people",
                format!("{} 元", yuan(t.personal_paid_fen)),
            ),
            line(
                "住院结算",
                "settled cases / people",
                format!("{} 例 / {} 人", int(t.cases), int(t.people_with_cases)),
            ),
            detail(
                "总费用",
                "whole cost",
                format!("{} 元", yuan(t.total_cost_fen)),
            ),
            detail(
                "基本医保",
                "1 basic insurance",
                format!("{} 元", yuan(t.basic_fen)),
            ),
            detail(
                "大病保险",
                "2 serious-illness insurance",
                format!("{} 元", yuan(t.serious_illness_fen)),
            ),
            detail(
                "医疗救助",
                "3 medical assistance",
                format!("{} 元", yuan(t.medical_assistance_fen)),
            ),
            detail(
                "补充保险",
                "4 supplementary insurance",
                format!("{} 元", yuan(t.supplementary_fen)),
            ),
            detail(
                "个人自付",
                "personal in-policy / in all",
                format!(
                    "{} / {} 元",
                    yuan(t.personal_in_policy_fen),
                    yuan(t.personal_total_fen)
                ),
            ),
            exception(
                "超过年度自付上限",
                "over the year's personal cap",
                exc.people_over_cap.or(Some(t.people_over_cap)),
                "人",
            ),
            {
                let i = sec.institutions.unwrap_or_default();
                line(
                    "定点医疗机构",
                    "designated institutions (one-stop / treat first, pay later)",
                    format!(
                        "{} 家（一站式 {}，先诊疗后付费 {}）",
                        int(i.designated),
                        int(i.one_stop),
                        int(i.treat_first_pay_later)
                    ),
                )
            },
        ]
    });
    Block {
        key: "health",
        zh: "基本医疗有保障",
        en: "Basic medical care",
        body,
    }
}

fn housing(s: &Summary) -> Block {
    let sec = s.housing.clone().unwrap_or_default();
    let exc = s.exceptions_total.clone().unwrap_or_default();
    let body = availability(sec.status.as_ref()).map(|()| {
        let t = sec.total.unwrap_or_default();
        vec![
            line(
                "易地扶贫搬迁",
                "relocated",
                households_people(t.relocated_households, t.relocated_people),
            ),
            detail(
                "已入住",
                "moved in",
                format!(
                    "{} ({})",
                    households_people(t.moved_in_households, t.moved_in_people),
                    pct(t.moved_in_households, t.relocated_households)
                        .unwrap_or_else(|| "—".into())
                ),
            ),
            exception(
                "未入住",
                "relocated, not moved in",
                exc.relocated_not_moved_in_households,
                "户",
            ),
            line(
                "旧房拆除",
                "old houses demolished / required",
                format!(
                    "{} / {}",
                    int(t.demolished_households),
                    int(t.demolition_required_households)
                ),
            ),
            detail(
                "复垦",
                "land reclaimed (mu)",
                format!("{} 亩", mu(t.reclaimed_centi_mu)),
            ),
            line(
                "后续扶持",
                "with follow-up support",
                of(t.with_support_households, t.relocated_households),
            ),
            detail(
                "有劳动力户就业",
                "with labour: employed / all",
                format!(
                    "{} / {}",
                    int(t.with_employment_households),
                    int(t.with_labour_households)
                ),
            ),
            exception(
                "有劳动力无就业",
                "with labour, nobody employed",
                exc.relocated_without_employment_households,
                "户",
            ),
            line(
                "危房鉴定",
                "appraisals A / B / C / D",
                format!(
                    "{} / {} / {} / {}",
                    int(t.appraised_a),
                    int(t.appraised_b),
                    int(t.appraised_c),
                    int(t.appraised_d)
                ),
            ),
            exception(
                "C/D级未改造",
                "C/D houses not renovated",
                Some(t.dangerous_not_renovated),
                "户",
            ),
        ]
    });
    Block {
        key: "housing",
        zh: "住房安全有保障",
        en: "Safe housing",
        body,
    }
}

fn water(s: &Summary) -> Block {
    let sec = s.water.clone().unwrap_or_default();
    let exc = s.exceptions_total.clone().unwrap_or_default();
    let body = availability(sec.status.as_ref()).map(|()| {
        let t = sec.total.unwrap_or_default();
        vec![
            line(
                "饮水评估",
                "households assessed",
                households_people(t.households, t.people),
            ),
            detail(
                "安全",
                "safe",
                households_people(t.safe_households, t.safe_people),
            ),
            detail(
                "基本安全",
                "basically safe",
                households_people(t.basically_safe_households, t.basically_safe_people),
            ),
            exception(
                "不安全",
                "unsafe",
                exc.unsafe_water_households.or(Some(t.unsafe_households)),
                "户",
            ),
            line(
                "未达标指标",
                "failing: quantity / quality / convenience / supply",
                format!(
                    "{} / {} / {} / {}",
                    int(t.quantity_failed_households),
                    int(t.quality_failed_households),
                    int(t.convenience_failed_households),
                    int(t.supply_guarantee_failed_households)
                ),
            ),
            line(
                "季节性缺水排查",
                "seasonal checks",
                households_people(t.seasonal_checked_households, t.seasonal_checked_people),
            ),
            exception(
                "季节性缺水",
                "seasonal shortage found",
                Some(t.seasonal_shortage_households),
                "户",
            ),
        ]
    });
    Block {
        key: "water",
        zh: "饮水安全有保障",
        en: "Safe drinking water",
        body,
    }
}
