//! The published figures (DOMAIN.md §1) against what the aggregator's county summary
//! says: one line per figure, expected and found. `xiaokang demo` prints it; the
//! acceptance test asserts every line holds.

use xk_contracts::pb::aggregator::v1::{SectionState, SectionStatus, Summary};

use super::published as p;

/// One published figure and what the summary shows for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// Registry, education, health, housing or water.
    pub area: &'static str,
    /// What the figure is.
    pub what: &'static str,
    /// The published value, as printed.
    pub expected: String,
    /// The summary's value, as printed; `unavailable` when its section is.
    pub found: String,
}

impl Figure {
    /// Whether the summary reproduces the figure.
    pub fn holds(&self) -> bool {
        self.expected == self.found
    }
}

fn available(s: &Option<SectionStatus>) -> bool {
    s.as_ref()
        .is_some_and(|s| s.state == SectionState::Available as i32)
}

/// "households / people".
fn pair(h: i64, p: i64) -> String {
    format!("{h} / {p}")
}

/// Every figure of the acceptance table, read from a county summary (year 2019). The
/// exit-accuracy line is added by the caller (it needs CheckExitEligibility calls).
pub fn figures(s: &Summary) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut add = |area, what, expected: String, found: Option<String>| {
        out.push(Figure {
            area,
            what,
            expected,
            found: found.unwrap_or_else(|| "unavailable".into()),
        })
    };
    let reg = s.registry.as_ref().filter(|r| available(&r.status));
    let r = reg.and_then(|r| r.total.as_ref());
    add(
        "registry",
        "2014 archive (baseline) people",
        p::BASELINE_PEOPLE.to_string(),
        r.map(|r| r.baseline_people.to_string()),
    );
    add(
        "registry",
        "archive today (households / people)",
        pair(p::ARCHIVE_HOUSEHOLDS, p::ARCHIVE_PEOPLE),
        r.map(|r| pair(r.archive_households, r.archive_people)),
    );
    add(
        "registry",
        "identified in 2019 (households / people)",
        pair(p::IDENTIFIED_2019_HOUSEHOLDS, p::IDENTIFIED_2019_PEOPLE),
        r.map(|r| pair(r.identified_in_year_households, r.identified_in_year_people)),
    );
    add(
        "registry",
        "edge + monitored (households / people)",
        pair(p::MONITORED_HOUSEHOLDS, p::MONITORED_PEOPLE),
        r.map(|r| pair(r.monitored_households, r.monitored_people)),
    );
    add(
        "registry",
        "monitored people / baseline",
        format!(
            "{}.{:02}%",
            p::MONITORED_SHARE_BP / 100,
            p::MONITORED_SHARE_BP % 100
        ),
        r.and_then(|r| {
            (r.baseline_people > 0).then(|| {
                // Hundredths of a percent, rounded half up.
                let bp = (r.monitored_people * 20_000 / r.baseline_people + 1) / 2;
                format!("{}.{:02}%", bp / 100, bp % 100)
            })
        }),
    );
    add(
        "registry",
        "exited in 2019 (households / people)",
        pair(p::EXITED_2019_HOUSEHOLDS, p::EXITED_2019_PEOPLE),
        r.map(|r| pair(r.exited_in_year_households, r.exited_in_year_people)),
    );
    add(
        "registry",
        "villages + communities",
        format!("{} + {}", p::VILLAGES, p::COMMUNITIES),
        r.map(|r| format!("{} + {}", r.villages, r.communities)),
    );
    add(
        "registry",
        "poor villages / with collective income >= 50,000 yuan",
        format!("{} / {}", p::POOR_VILLAGES, p::POOR_VILLAGES),
        r.map(|r| format!("{} / {}", r.poor_villages, r.poor_villages_income_met)),
    );

    let edu = s.education.as_ref().filter(|e| available(&e.status));
    let e = edu.and_then(|e| e.total.as_ref());
    add(
        "education",
        "unable to attend for physical reasons: nearby / at home",
        format!(
            "{}: {} / {}",
            p::UNABLE_PHYSICAL,
            p::PLACED_NEARBY,
            p::TAUGHT_AT_HOME
        ),
        e.map(|e| {
            format!(
                "{}: {} / {}",
                e.survey_unable_to_attend_physical, e.survey_placed_nearby, e.survey_taught_at_home
            )
        }),
    );
    add(
        "education",
        "studying elsewhere / with a notification letter",
        format!("{} / {}", p::OUTSIDE_STUDENTS, p::OUTSIDE_STUDENTS),
        e.map(|e| {
            format!(
                "{} / {}",
                e.outside_county + e.outside_province,
                e.outside_with_letter
            )
        }),
    );
    add(
        "education",
        "incoming poor students / subsidised",
        format!("{} / {}", p::INCOMING_STUDENTS, p::INCOMING_STUDENTS),
        e.map(|e| format!("{} / {}", e.incoming_students, e.incoming_with_subsidy)),
    );
    add(
        "education",
        "children out of school without a case",
        "0".into(),
        s.exceptions_total
            .as_ref()
            .and_then(|x| x.children_out_of_school_without_case)
            .map(|v| v.to_string()),
    );

    let hea = s.health.as_ref().filter(|h| available(&h.status));
    let h = hea.and_then(|h| h.total.as_ref());
    add(
        "health",
        "registered poor insured / premium paid by the county",
        format!("{} / {} yuan each", p::INSURED_POOR, p::PREMIUM_FEN / 100),
        h.map(|h| {
            let each = if h.registered_poor_insured > 0 {
                h.government_paid_fen / h.registered_poor_insured
            } else {
                0
            };
            format!("{} / {} yuan each", h.registered_poor_insured, each / 100)
        }),
    );
    add(
        "health",
        "registered poor people uninsured",
        "0".into(),
        s.exceptions_total
            .as_ref()
            .and_then(|x| x.uninsured_registered_people)
            .map(|v| v.to_string()),
    );
    add(
        "health",
        "layers that paid (basic, serious illness, assistance, supplementary)",
        "4".into(),
        h.map(|h| {
            [
                h.basic_fen,
                h.serious_illness_fen,
                h.medical_assistance_fen,
                h.supplementary_fen,
            ]
            .iter()
            .filter(|&&v| v > 0)
            .count()
            .to_string()
        }),
    );
    add(
        "health",
        "designated institutions / one-stop / treat first pay later",
        format!("{0} / {0} / {0}", p::INSTITUTIONS),
        hea.and_then(|h| h.institutions.as_ref()).map(|i| {
            format!(
                "{} / {} / {}",
                i.designated, i.one_stop, i.treat_first_pay_later
            )
        }),
    );
    add(
        "health",
        "people over the 5,000-yuan personal cap",
        "0".into(),
        h.map(|h| h.people_over_cap.to_string()),
    );

    let hou = s.housing.as_ref().filter(|h| available(&h.status));
    let o = hou.and_then(|h| h.total.as_ref());
    add(
        "housing",
        "relocated (households / people)",
        pair(p::RELOCATED_HOUSEHOLDS, p::RELOCATED_PEOPLE),
        o.map(|o| pair(o.relocated_households, o.relocated_people)),
    );
    add(
        "housing",
        "moved in (households / people)",
        pair(p::RELOCATED_HOUSEHOLDS, p::RELOCATED_PEOPLE),
        o.map(|o| pair(o.moved_in_households, o.moved_in_people)),
    );
    add(
        "housing",
        "old houses demolished / to demolish",
        "all".into(),
        o.map(|o| {
            if o.demolished_households == o.demolition_required_households {
                "all".into()
            } else {
                format!(
                    "{} / {}",
                    o.demolished_households, o.demolition_required_households
                )
            }
        }),
    );
    add(
        "housing",
        "land reclaimed (mu)",
        format!("{}", p::RECLAIMED_CENTI_MU / 100),
        o.map(|o| {
            if o.reclaimed_centi_mu % 100 == 0 {
                format!("{}", o.reclaimed_centi_mu / 100)
            } else {
                format!("{:.2}", o.reclaimed_centi_mu as f64 / 100.0)
            }
        }),
    );
    add(
        "housing",
        "with follow-up support",
        format!("{}", p::RELOCATED_HOUSEHOLDS),
        o.map(|o| o.with_support_households.to_string()),
    );

    let wat = s.water.as_ref().filter(|w| available(&w.status));
    let w = wat.and_then(|w| w.total.as_ref());
    add(
        "water",
        "assessed (households / people)",
        pair(p::WATER_HOUSEHOLDS, p::WATER_PEOPLE),
        w.map(|w| pair(w.households, w.people)),
    );
    add(
        "water",
        "safe or basically safe (households / people)",
        pair(p::WATER_HOUSEHOLDS, p::WATER_PEOPLE),
        w.map(|w| {
            pair(
                w.safe_households + w.basically_safe_households,
                w.safe_people + w.basically_safe_people,
            )
        }),
    );
    add(
        "water",
        "seasonal shortages checked / found",
        "checked / 0".into(),
        w.map(|w| {
            format!(
                "{} / {}",
                if w.seasonal_checked_households > 0 {
                    "checked"
                } else {
                    "not checked"
                },
                w.seasonal_shortage_households
            )
        }),
    );
    out
}

/// The exit-accuracy line: how many of the year's exits meet the exit criteria.
pub fn exit_accuracy(eligible: usize, asked: usize) -> Figure {
    Figure {
        area: "registry",
        what: "2019 exits meeting the exit criteria (accuracy)",
        expected: format!("{0} / {0} (100%)", p::EXITED_2019_HOUSEHOLDS),
        found: format!(
            "{eligible} / {asked} ({}%)",
            (eligible * 100).checked_div(asked).unwrap_or(0)
        ),
    }
}

/// The figures as an aligned table.
pub fn table(figures: &[Figure]) -> String {
    let mut out = String::new();
    let width = figures
        .iter()
        .map(|f| f.what.chars().count())
        .max()
        .unwrap_or(0);
    for f in figures {
        let pad = width - f.what.chars().count();
        out.push_str(&format!(
            "{} {:<9} {}{}  {:>24}  {}\n",
            if f.holds() { "ok " } else { "NO " },
            f.area,
            f.what,
            " ".repeat(pad),
            f.found,
            if f.holds() {
                String::new()
            } else {
                format!("(published: {})", f.expected)
            },
        ));
    }
    out
}
