//! RecordSurvey: a survey campaign (大排查) and its findings per village, which the
//! summary reports beside the students.

use std::collections::HashSet;

use xk_contracts::pb::education::v1::{RecordSurveyRequest, RecordSurveyResponse, SurveyFinding};
use xk_contracts::types::RegionCode;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Audit, clock};

use super::EducationApi;
use super::fields::{key, past_date, required, text};
use super::rpc::Write;
use crate::domain::FieldViolation;
use crate::store;

/// The checks of one village's findings: a region code seen once, counts not negative and
/// nested (placed nearby plus taught at home within those unable to attend, within those
/// surveyed).
fn check_finding(
    v: &mut Vec<FieldViolation>,
    prefix: &str,
    f: &SurveyFinding,
    seen: &mut HashSet<String>,
) {
    if let Err(e) = RegionCode::parse(&f.region_code) {
        v.push(FieldViolation::invalid(
            format!("{prefix}region_code"),
            e.to_string(),
        ));
    } else if !seen.insert(f.region_code.clone()) {
        v.push(FieldViolation::invalid(
            format!("{prefix}region_code"),
            "appears twice in the survey",
        ));
    }
    for (name, n) in [
        ("children_surveyed", f.children_surveyed),
        ("unable_to_attend_physical", f.unable_to_attend_physical),
        ("placed_nearby", f.placed_nearby),
        ("taught_at_home", f.taught_at_home),
    ] {
        if n < 0 {
            v.push(FieldViolation::invalid(
                format!("{prefix}{name}"),
                "must not be negative",
            ));
        }
    }
    if f.unable_to_attend_physical > f.children_surveyed {
        v.push(FieldViolation::invalid(
            format!("{prefix}unable_to_attend_physical"),
            "more than the children surveyed",
        ));
    }
    if f.placed_nearby.saturating_add(f.taught_at_home) > f.unable_to_attend_physical {
        v.push(FieldViolation::invalid(
            format!("{prefix}taught_at_home"),
            "placed nearby plus taught at home exceed the children unable to attend",
        ));
    }
}

/// Records a survey; ALREADY_EXISTS if its id is taken.
impl Write for RecordSurveyRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let today = clock::today();
        let mut survey = required(self.survey, "survey")?;
        let mut v = Vec::new();
        key(&mut v, "survey.survey_id", &survey.survey_id);
        text(&mut v, "survey.name", &survey.name, true);
        let on = past_date(
            &mut v,
            "survey.conducted_on",
            survey.conducted_on.as_ref(),
            today,
        );
        if survey.findings.is_empty() {
            v.push(FieldViolation::invalid(
                "survey.findings",
                "at least one village's findings",
            ));
        }
        let mut seen = HashSet::new();
        for (i, f) in survey.findings.iter().enumerate() {
            check_finding(&mut v, &format!("survey.findings[{i}]."), f, &mut seen);
        }
        ApiError::check("", v)?;
        let Some(on) = on else {
            return Err(ApiError::invalid("survey.conducted_on", "required"));
        };
        survey.survey_id = survey.survey_id.trim().to_string();
        api.db
            .write(&idem, async move |txn| {
                store::insert_survey(&**txn, &survey, on).await?;
                let audit = Audit::new(
                    format!("survey {}", survey.survey_id),
                    format!("{} villages", survey.findings.len()),
                );
                let resp = RecordSurveyResponse {
                    survey: Some(survey),
                };
                Ok((resp, audit))
            })
            .await
    }
}
