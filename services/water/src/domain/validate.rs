//! Input validation: turns a [`RawMeasurements`] into [`Measurements`], reporting *every*
//! problem at once so a caller can fix a request in one round trip.
//!
//! Field paths are those of the proto request (see [`fields`]), so the API layer can put
//! the violations straight into a `google.rpc.BadRequest`. Bounds come from the policy's
//! [`InputBounds`](crate::domain::policy::InputBounds); the only fixed figure is
//! [`MAX_OUTAGE_DAYS`], a fact of the calendar.

use chrono::NaiveDate;

use super::measurements::{
    Measurements, QualityEvidence, RawMeasurements, RawQualityEvidence, RawSupply, Supply,
};
use super::policy::{MAX_OUTAGE_DAYS, Thresholds};
use super::{FieldViolation, is_blank, rules};

/// The request field paths violations name (snake_case, dot-separated, as in the proto),
/// kept in one place so the API layer and the proto agree with the rules.
pub mod fields {
    /// The supply oneof (centralized scheme or scattered source).
    pub const SUPPLY: &str = "supply";
    /// The scheme id of a centralized supply.
    pub const SCHEME_ID: &str = "supply.centralized.scheme_id";
    /// The kind of a scattered source.
    pub const SCATTERED_KIND: &str = "supply.scattered.kind";
    /// Litres per person per day.
    pub const LITRES_PER_PERSON_DAY: &str = "litres_per_person_day";
    /// The quality evidence oneof (lab report or on-site check).
    pub const QUALITY: &str = "quality";
    /// The lab report's number.
    pub const LAB_REPORT_NO: &str = "quality.lab_report.report_no";
    /// The lab that issued the report.
    pub const LAB_REPORT_LAB: &str = "quality.lab_report.lab";
    /// The lab report's date.
    pub const LAB_REPORT_DATE: &str = "quality.lab_report.date";
    /// Fetch round trip in minutes.
    pub const FETCH_ROUND_TRIP_MINUTES: &str = "fetch_round_trip_minutes";
    /// Horizontal distance to the source.
    pub const HORIZONTAL_DISTANCE_M: &str = "horizontal_distance_m";
    /// Vertical distance to the source.
    pub const VERTICAL_DISTANCE_M: &str = "vertical_distance_m";
    /// Outage days in the last 12 months.
    pub const OUTAGE_DAYS_LAST_12_MONTHS: &str = "outage_days_last_12_months";
    /// The assessment date.
    pub const ASSESSED_ON: &str = "assessed_on";
}

/// Check an assessment request against the policy's bounds and the standard's evidence
/// rules, as of `today`. `Ok(())` when [`parse`] would succeed; otherwise every violation.
pub fn validate(
    raw: &RawMeasurements,
    today: NaiveDate,
    t: &Thresholds,
) -> Result<(), Vec<FieldViolation>> {
    parse(raw, today, t).map(|_| ())
}

/// Validate an assessment request and return its total, typed form. An unspecified area
/// becomes the policy's default area. On failure, every violation, in field order.
pub fn parse(
    raw: &RawMeasurements,
    today: NaiveDate,
    t: &Thresholds,
) -> Result<Measurements, Vec<FieldViolation>> {
    let mut v = Vec::new();
    let b = &t.bounds;

    let supply = parse_supply(raw.supply.as_ref(), &mut v);
    let litres = count(
        fields::LITRES_PER_PERSON_DAY,
        raw.litres_per_person_day,
        b.max_litres_per_person_day,
        &mut v,
    );
    let centralized = matches!(raw.supply, Some(RawSupply::Centralized { .. }));
    let quality = parse_quality(
        raw.quality.as_ref(),
        centralized,
        raw.assessed_on,
        today,
        &mut v,
    );
    let minutes = count(
        fields::FETCH_ROUND_TRIP_MINUTES,
        raw.fetch_round_trip_minutes,
        b.max_fetch_round_trip_minutes,
        &mut v,
    );
    let horizontal = count(
        fields::HORIZONTAL_DISTANCE_M,
        raw.horizontal_distance_m,
        b.max_horizontal_distance_m,
        &mut v,
    );
    let vertical = count(
        fields::VERTICAL_DISTANCE_M,
        raw.vertical_distance_m,
        b.max_vertical_distance_m,
        &mut v,
    );
    let outage = count(
        fields::OUTAGE_DAYS_LAST_12_MONTHS,
        raw.outage_days_last_12_months,
        MAX_OUTAGE_DAYS,
        &mut v,
    );
    let assessed_on = match raw.assessed_on {
        None => {
            v.push(FieldViolation::invalid(
                fields::ASSESSED_ON,
                "required: the date of the assessment",
            ));
            None
        }
        Some(d) if d > today => {
            v.push(FieldViolation::invalid(
                fields::ASSESSED_ON,
                format!("{d} is in the future (today is {today})"),
            ));
            None
        }
        Some(d) => Some(d),
    };

    // A bad measurement is reported in `v` and comes back as `None` like an unmeasured
    // one, so the measurements are only used when `v` is empty.
    match (supply, quality, assessed_on) {
        (Some(supply), Some(quality), Some(assessed_on)) if v.is_empty() => Ok(Measurements {
            supply,
            litres_per_person_day: litres,
            quality,
            piped_in: raw.piped_in,
            fetch_round_trip_minutes: minutes,
            horizontal_distance_m: horizontal,
            vertical_distance_m: vertical,
            outage_days_last_12_months: outage,
            area: raw.area.unwrap_or(t.default_area),
            assessed_on,
            seasonal_check: raw.seasonal_check,
        }),
        _ => {
            debug_assert!(!v.is_empty(), "every rejected field records a violation");
            Err(v)
        }
    }
}

/// A measured count: `None` when not measured; else non-negative and no larger than
/// `max`, or a violation is recorded (and `None` returned).
fn count(
    field: &'static str,
    value: Option<i64>,
    max: u32,
    v: &mut Vec<FieldViolation>,
) -> Option<u32> {
    let value = value?;
    if value < 0 {
        v.push(FieldViolation::invalid(
            field,
            format!("must not be negative (got {value})"),
        ));
        return None;
    }
    if value > i64::from(max) {
        v.push(FieldViolation::invalid(
            field,
            format!("must be at most {max} (got {value})"),
        ));
        return None;
    }
    u32::try_from(value).ok()
}

fn parse_supply(raw: Option<&RawSupply>, v: &mut Vec<FieldViolation>) -> Option<Supply> {
    match raw {
        None => {
            v.push(FieldViolation::invalid(
                fields::SUPPLY,
                "required: a centralized scheme id or a scattered source kind",
            ));
            None
        }
        Some(RawSupply::Centralized { scheme_id }) if is_blank(scheme_id) => {
            v.push(FieldViolation::invalid(
                fields::SCHEME_ID,
                "must not be blank: name the supply scheme",
            ));
            None
        }
        Some(RawSupply::Centralized { scheme_id }) => Some(Supply::Centralized {
            scheme_id: scheme_id.trim().to_string(),
        }),
        Some(RawSupply::Scattered { kind: None }) => {
            v.push(FieldViolation::invalid(
                fields::SCATTERED_KIND,
                "must be specified: well, cistern, spring or other",
            ));
            None
        }
        Some(RawSupply::Scattered { kind: Some(kind) }) => Some(Supply::Scattered { kind: *kind }),
    }
}

fn parse_quality(
    raw: Option<&RawQualityEvidence>,
    centralized: bool,
    assessed_on: Option<NaiveDate>,
    today: NaiveDate,
    v: &mut Vec<FieldViolation>,
) -> Option<QualityEvidence> {
    match raw {
        None => {
            v.push(FieldViolation::invalid(
                fields::QUALITY,
                "required: a lab report, or an on-site check for scattered supply",
            ));
            None
        }
        Some(RawQualityEvidence::OnSiteCheck { .. }) if centralized => {
            v.push(FieldViolation::rule(
                rules::LAB_REPORT_REQUIRED,
                fields::QUALITY,
                "a centralized scheme needs a lab report against GB 5749; an on-site check is accepted for scattered supply only",
            ));
            None
        }
        Some(RawQualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell,
            no_harm_long_use,
        }) => Some(QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell: *no_visible_impurity_colour_smell,
            no_harm_long_use: *no_harm_long_use,
        }),
        Some(RawQualityEvidence::LabReport {
            report_no,
            lab,
            date,
            meets_gb5749,
        }) => {
            let before = v.len();
            if is_blank(report_no) {
                v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_NO,
                    "must not be blank: the lab report's number",
                ));
            }
            if is_blank(lab) {
                v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_LAB,
                    "must not be blank: the laboratory that issued the report",
                ));
            }
            match (date, assessed_on) {
                (None, _) => v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_DATE,
                    "required: the date of the lab report",
                )),
                (Some(d), _) if *d > today => v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_DATE,
                    format!("{d} is in the future (today is {today})"),
                )),
                (Some(d), Some(a)) if d > &a => v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_DATE,
                    format!("{d} is after the assessment date {a}: a report cannot support an earlier assessment"),
                )),
                _ => {}
            }
            match date {
                Some(date) if v.len() == before => Some(QualityEvidence::LabReport {
                    report_no: report_no.trim().to_string(),
                    lab: lab.trim().to_string(),
                    date: *date,
                    meets_gb5749: *meets_gb5749,
                }),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests;
