//! Proto ↔ domain mapping: a request's `Assessment` becomes the domain's
//! [`RawMeasurements`], is validated and graded by [`domain::assess`], and comes back as
//! the normalised record the store keeps, with the grading filled in. Field paths of the
//! domain's violations are prefixed with the request's path (`assessment`,
//! `batch[i].assessments[j]`), so every violation names the field as the caller sent it.

use chrono::NaiveDate;
use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::water::v1 as pb;
use xk_contracts::types::{HouseholdId, RegionCode};

use crate::domain::validate::fields;
use crate::domain::{
    self, AreaType, FieldViolation, Grade, Indicator, Measurements, PolicyBook, QualityEvidence,
    RawMeasurements, RawQualityEvidence, RawSupply, ScatteredKind, Supply, Thresholds, Verdict,
    rules,
};
use crate::store::assessments::NewAssessment;

/// Longest assessor name or staff number accepted, in characters.
pub const MAX_ASSESSOR_CHARS: usize = 64;
/// Longest scheme name accepted, in characters.
pub const MAX_SCHEME_NAME_CHARS: usize = 100;
/// Longest scheme id accepted (the store's key column width).
pub const MAX_SCHEME_ID_CHARS: usize = 32;

/// The wire grade of a domain grade.
pub fn grade_pb(g: Grade) -> pb::Grade {
    match g {
        Grade::Met => pb::Grade::Met,
        Grade::BasicallyMet => pb::Grade::BasicallyMet,
        Grade::NotMet => pb::Grade::NotMet,
    }
}

/// The wire verdict of a domain verdict.
pub fn verdict_pb(v: Verdict) -> pb::Verdict {
    match v {
        Verdict::Safe => pb::Verdict::Safe,
        Verdict::BasicallySafe => pb::Verdict::BasicallySafe,
        Verdict::Unsafe => pb::Verdict::Unsafe,
    }
}

fn indicator_pb(i: Indicator) -> pb::Indicator {
    match i {
        Indicator::Quantity => pb::Indicator::Quantity,
        Indicator::Quality => pb::Indicator::Quality,
        Indicator::Convenience => pb::Indicator::Convenience,
        Indicator::SupplyGuarantee => pb::Indicator::SupplyGuarantee,
    }
}

fn kind_from_pb(k: i32) -> Option<ScatteredKind> {
    match pb::ScatteredSourceKind::try_from(k) {
        Ok(pb::ScatteredSourceKind::Well) => Some(ScatteredKind::Well),
        Ok(pb::ScatteredSourceKind::Cistern) => Some(ScatteredKind::Cistern),
        Ok(pb::ScatteredSourceKind::Spring) => Some(ScatteredKind::Spring),
        Ok(pb::ScatteredSourceKind::Other) => Some(ScatteredKind::Other),
        Ok(pb::ScatteredSourceKind::Unspecified) | Err(_) => None,
    }
}

fn kind_pb(k: ScatteredKind) -> pb::ScatteredSourceKind {
    match k {
        ScatteredKind::Well => pb::ScatteredSourceKind::Well,
        ScatteredKind::Cistern => pb::ScatteredSourceKind::Cistern,
        ScatteredKind::Spring => pb::ScatteredSourceKind::Spring,
        ScatteredKind::Other => pb::ScatteredSourceKind::Other,
    }
}

fn area_pb(a: AreaType) -> pb::AreaType {
    match a {
        AreaType::WaterRich => pb::AreaType::WaterRich,
        AreaType::WaterShort => pb::AreaType::WaterShort,
    }
}

/// A wire date: `None` when absent; a violation on `field` when not a real date.
fn date(
    field: &'static str,
    d: Option<&xk_contracts::pb::common::v1::Date>,
    v: &mut Vec<FieldViolation>,
) -> Option<NaiveDate> {
    match d.map(date_from_pb) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            v.push(FieldViolation::invalid(field, e.to_string()));
            None
        }
    }
}

/// Validates and grades one assessment as sent. Every violation is returned at once,
/// each naming `prefix.field`. The area is the village's configured one (`configured`,
/// an `AreaType` number, when the bureau set it; a different area in the request is a
/// FAILED_PRECONDITION), else the request's, else the policy's default.
pub fn prepare(
    a: &pb::Assessment,
    prefix: &str,
    today: NaiveDate,
    book: &PolicyBook<Thresholds>,
    configured: Option<i32>,
) -> Result<NewAssessment, Vec<FieldViolation>> {
    let mut v: Vec<FieldViolation> = Vec::new();
    let household = match HouseholdId::parse(&a.household_id) {
        Ok(h) => Some(h.as_str().to_string()),
        Err(e) => {
            v.push(FieldViolation::invalid("household_id", e.to_string()));
            None
        }
    };
    let village = match RegionCode::parse(&a.village_code) {
        Ok(c) => Some(c.as_str().to_string()),
        Err(e) => {
            v.push(FieldViolation::invalid("village_code", e.to_string()));
            None
        }
    };
    let assessor = a.assessor.trim();
    if assessor.is_empty() {
        v.push(FieldViolation::invalid(
            "assessor",
            "required: who assessed (name or staff number)",
        ));
    } else if assessor.chars().count() > MAX_ASSESSOR_CHARS {
        v.push(FieldViolation::invalid(
            "assessor",
            format!("at most {MAX_ASSESSOR_CHARS} characters"),
        ));
    }
    if a.grading.is_some() {
        v.push(FieldViolation::invalid(
            "grading",
            "output only: the service grades the measurements; do not send grades",
        ));
    }
    let area = match pb::AreaType::try_from(a.area) {
        Ok(pb::AreaType::Unspecified) => None,
        Ok(pb::AreaType::WaterRich) => Some(AreaType::WaterRich),
        Ok(pb::AreaType::WaterShort) => Some(AreaType::WaterShort),
        Err(_) => {
            v.push(FieldViolation::invalid(
                "area",
                format!("unknown area type {}", a.area),
            ));
            None
        }
    };
    let configured_area = match configured.map(pb::AreaType::try_from) {
        Some(Ok(pb::AreaType::WaterRich)) => Some(AreaType::WaterRich),
        Some(Ok(pb::AreaType::WaterShort)) => Some(AreaType::WaterShort),
        _ => None,
    };
    let area = match (area, configured_area) {
        (Some(sent), Some(conf)) if sent != conf => {
            v.push(FieldViolation::rule(
                rules::VILLAGE_AREA_CONFLICT,
                "area",
                format!(
                    "the village is configured as {} (SetVillageArea); leave area unset or send that",
                    area_pb(conf).as_str_name()
                ),
            ));
            Some(conf)
        }
        (sent, conf) => conf.or(sent),
    };
    let assessed_on = date(fields::ASSESSED_ON, a.assessed_on.as_ref(), &mut v);
    let supply = a
        .supply
        .as_ref()
        .and_then(|s| s.kind.as_ref())
        .map(|k| match k {
            pb::supply::Kind::Centralized(c) => RawSupply::Centralized {
                scheme_id: c.scheme_id.clone(),
            },
            pb::supply::Kind::Scattered(s) => RawSupply::Scattered {
                kind: kind_from_pb(s.kind),
            },
        });
    let quality = match a.quality.as_ref().and_then(|q| q.evidence.as_ref()) {
        None => None,
        Some(pb::quality_evidence::Evidence::LabReport(r)) => Some(RawQualityEvidence::LabReport {
            report_no: r.report_no.clone(),
            lab: r.lab.clone(),
            date: date(fields::LAB_REPORT_DATE, r.date.as_ref(), &mut v),
            meets_gb5749: r.meets_gb5749,
        }),
        Some(pb::quality_evidence::Evidence::OnSiteCheck(c)) => {
            Some(RawQualityEvidence::OnSiteCheck {
                no_visible_impurity_colour_smell: c.no_visible_impurity_colour_smell,
                no_harm_long_use: c.no_harm_long_use,
            })
        }
    };
    let raw = RawMeasurements {
        supply,
        litres_per_person_day: a.litres_per_person_day,
        quality,
        piped_in: a.piped_in,
        fetch_round_trip_minutes: a.fetch_round_trip_minutes,
        horizontal_distance_m: a.horizontal_distance_m,
        vertical_distance_m: a.vertical_distance_m,
        outage_days_last_12_months: a.outage_days_last_12_months,
        area,
        assessed_on,
        seasonal_check: a.seasonal_check,
    };
    // The household-size bound of the assessment's policy year; without one (a date before
    // the book) assess refuses the date, and only the lower bound is checked here.
    let max_people = domain::policy_for(book, assessed_on, today)
        .ok()
        .map(|(_, t)| t.bounds.max_household_people);
    let people_ok =
        a.people >= 1 && max_people.is_none_or(|max| i64::from(a.people) <= i64::from(max));
    if !people_ok {
        let range = max_people.map_or("at least 1".to_string(), |max| {
            format!("between 1 and {max}")
        });
        v.push(FieldViolation::invalid(
            "people",
            format!("must be {range} (got {})", a.people),
        ));
    }
    let graded = domain::assess(&raw, today, book);
    let graded = match graded {
        Ok(g) if v.is_empty() => g,
        Ok(_) => return Err(prefixed(v, prefix)),
        Err(errs) => {
            // A date the mapping found unreadable is reported once, by the mapping.
            let reported: Vec<String> = v.iter().map(|f| f.field.clone()).collect();
            v.extend(errs.into_iter().filter(|e| !reported.contains(&e.field)));
            return Err(prefixed(v, prefix));
        }
    };
    let (Some(household_id), Some(village_code)) = (household, village) else {
        return Err(prefixed(v, prefix));
    };
    let m = &graded.measurements;
    let doc = stored_record(a, &household_id, &village_code, assessor, m, &graded);
    Ok(NewAssessment {
        doc,
        household_id,
        village_code,
        people: a.people,
        assessed_on: m.assessed_on,
        seasonal_check: m.seasonal_check,
        scheme_id: match &m.supply {
            Supply::Centralized { scheme_id } => Some(scheme_id.clone()),
            Supply::Scattered { .. } => None,
        },
        grades: graded.assessment.clone(),
        policy_year: graded.policy_year,
        measurements: graded.measurements.clone(),
    })
}

fn prefixed(v: Vec<FieldViolation>, prefix: &str) -> Vec<FieldViolation> {
    v.into_iter().map(|f| f.prefixed(prefix)).collect()
}

/// The record as stored and returned: the validated (trimmed, area made explicit) input
/// and the grading.
fn stored_record(
    a: &pb::Assessment,
    household_id: &str,
    village_code: &str,
    assessor: &str,
    m: &Measurements,
    graded: &domain::Graded,
) -> pb::Assessment {
    let g = &graded.assessment;
    let supply = match &m.supply {
        Supply::Centralized { scheme_id } => pb::supply::Kind::Centralized(pb::CentralizedSupply {
            scheme_id: scheme_id.clone(),
        }),
        Supply::Scattered { kind } => pb::supply::Kind::Scattered(pb::ScatteredSupply {
            kind: kind_pb(*kind) as i32,
        }),
    };
    let quality = match &m.quality {
        QualityEvidence::LabReport {
            report_no,
            lab,
            date,
            meets_gb5749,
        } => pb::quality_evidence::Evidence::LabReport(pb::LabReport {
            report_no: report_no.clone(),
            lab: lab.clone(),
            date: Some(date_to_pb(*date)),
            meets_gb5749: *meets_gb5749,
        }),
        QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell,
            no_harm_long_use,
        } => pb::quality_evidence::Evidence::OnSiteCheck(pb::OnSiteCheck {
            no_visible_impurity_colour_smell: *no_visible_impurity_colour_smell,
            no_harm_long_use: *no_harm_long_use,
        }),
    };
    pb::Assessment {
        household_id: household_id.to_string(),
        village_code: village_code.to_string(),
        people: a.people,
        supply: Some(pb::Supply { kind: Some(supply) }),
        litres_per_person_day: m.litres_per_person_day.map(i64::from),
        quality: Some(pb::QualityEvidence {
            evidence: Some(quality),
        }),
        piped_in: m.piped_in,
        fetch_round_trip_minutes: m.fetch_round_trip_minutes.map(i64::from),
        horizontal_distance_m: m.horizontal_distance_m.map(i64::from),
        vertical_distance_m: m.vertical_distance_m.map(i64::from),
        outage_days_last_12_months: m.outage_days_last_12_months.map(i64::from),
        area: area_pb(m.area) as i32,
        assessor: assessor.to_string(),
        assessed_on: Some(date_to_pb(m.assessed_on)),
        seasonal_check: m.seasonal_check,
        seq: 0,
        grading: Some(pb::Grading {
            quantity: grade_pb(g.quantity) as i32,
            quality: grade_pb(g.quality) as i32,
            convenience: grade_pb(g.convenience) as i32,
            supply_guarantee: grade_pb(g.supply_guarantee) as i32,
            verdict: verdict_pb(g.verdict) as i32,
            failing: g.failing.iter().map(|i| indicator_pb(*i) as i32).collect(),
            policy_year: graded.policy_year,
        }),
    }
}

/// Checks a scheme as sent (create or update): id form, name, capacity, people and
/// village codes. Returns violations naming `scheme.field`.
pub fn check_scheme(s: &pb::Scheme) -> Vec<FieldViolation> {
    let mut v = Vec::new();
    let id_ok = !s.scheme_id.is_empty()
        && s.scheme_id.len() <= MAX_SCHEME_ID_CHARS
        && s.scheme_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        v.push(FieldViolation::invalid(
            "scheme.scheme_id",
            format!("1-{MAX_SCHEME_ID_CHARS} letters, digits, '-' or '_'"),
        ));
    }
    if s.name.trim().is_empty() || s.name.chars().count() > MAX_SCHEME_NAME_CHARS {
        v.push(FieldViolation::invalid(
            "scheme.name",
            format!("required, at most {MAX_SCHEME_NAME_CHARS} characters"),
        ));
    }
    if s.capacity_m3_per_day <= 0 {
        v.push(FieldViolation::invalid(
            "scheme.capacity_m3_per_day",
            format!("must be positive (got {})", s.capacity_m3_per_day),
        ));
    }
    if s.people_served < 0 {
        v.push(FieldViolation::invalid(
            "scheme.people_served",
            format!("must not be negative (got {})", s.people_served),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, code) in s.village_codes.iter().enumerate() {
        let field = format!("scheme.village_codes[{i}]");
        if let Err(e) = RegionCode::parse(code) {
            v.push(FieldViolation::invalid(field, e.to_string()));
        } else if !seen.insert(code.as_str()) {
            v.push(FieldViolation::invalid(field, "listed twice"));
        }
    }
    v
}

#[cfg(test)]
mod tests;
