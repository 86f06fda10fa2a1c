//! House-safety appraisals of households not relocated: RecordAppraisal (a newer one
//! replaces the stored one) and CompleteRenovation (of a house graded C or D).

use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::clock::today;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::write::Audit;
use xk_runtime::{ApiError, Violations};

use super::convert::{domain_check, grade_from_pb, household, id, req_date, village};
use super::{HousingApi, Write};
use crate::domain::FieldViolation;
use crate::domain::appraisal::{Appraisal, Grade, validate_appraisal};
use crate::domain::rules::APPRAISAL;
use crate::store::{appraisals, relocations};

/// RecordAppraisal: a household's appraisal, replacing an older one.
impl Write for pb::RecordAppraisalRequest {
    type Reply = pb::RecordAppraisalResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let Some(mut appraisal) = self.appraisal else {
            return Err(ApiError::invalid("appraisal", "required"));
        };
        // The renovation is recorded by CompleteRenovation, never with the appraisal.
        appraisal.renovation_completed_on = None;
        let mut v = Violations::new();
        id(&mut v, "appraisal.household_id", &appraisal.household_id);
        village(&mut v, "appraisal.village_code", &appraisal.village_code);
        let grade = grade_from_pb(appraisal.grade);
        if grade.is_none() {
            v.add(
                "appraisal.grade",
                format!("required: A, B, C or D, got {}", appraisal.grade),
            );
        }
        let on = req_date(
            &mut v,
            "appraisal.appraised_on",
            appraisal.appraised_on.as_ref(),
        );
        let (Some(grade), Some(on)) = (grade, on) else {
            return Err(v.into());
        };
        v.into_result()?;
        let domain = Appraisal {
            grade,
            appraised_on: on,
            appraiser: appraisal.appraiser.clone(),
            renovation_completed_on: None,
        };
        domain_check("appraisal.", validate_appraisal(&domain, today()))?;
        let household_id = appraisal.household_id.as_str();
        api.db
            .write(idem, async |txn| {
                if relocations::is_relocated(&**txn, household_id).await? {
                    return Err(ApiError::rule(
                        APPRAISAL,
                        "appraisal.household_id",
                        "a relocated household's safe housing is its new house; appraisals are for \
                         households not relocated",
                    ));
                }
                let stored = appraisals::find(&**txn, household_id).await?;
                let newer = stored
                    .and_then(|old| old.appraised_on)
                    .is_some_and(|d| date_from_pb(&d).is_ok_and(|d| d > on));
                if newer {
                    return Err(ApiError::rule(
                        APPRAISAL,
                        "appraisal.appraised_on",
                        "a newer appraisal is recorded already",
                    ));
                }
                appraisals::put(&**txn, &appraisal, on, None).await?;
                let audit = Audit::new(household_id, format!("grade {grade:?}"));
                let response = pb::RecordAppraisalResponse {
                    appraisal: Some(appraisal.clone()),
                };
                Ok((response, audit))
            })
            .await
    }
}

/// CompleteRenovation: the renovation of a dangerous house completed on a day.
impl Write for pb::CompleteRenovationRequest {
    type Reply = pb::CompleteRenovationResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let today = today();
        let mut v = household(&self.household_id);
        let on = req_date(&mut v, "completed_on", self.completed_on.as_ref());
        v.into_result()?;
        let on = on.unwrap_or(today);
        let household_id = self.household_id.as_str();
        api.db
            .write(idem, async |txn| {
                let Some(mut appraisal) = appraisals::find(&**txn, household_id).await? else {
                    return Err(ApiError::not_found("appraisal", household_id));
                };
                let stored_date = |d: &Option<Date>| d.as_ref().and_then(|d| date_from_pb(d).ok());
                let mut domain = Appraisal {
                    grade: grade_from_pb(appraisal.grade).unwrap_or(Grade::A),
                    appraised_on: stored_date(&appraisal.appraised_on).unwrap_or(on),
                    appraiser: appraisal.appraiser.clone(),
                    renovation_completed_on: stored_date(&appraisal.renovation_completed_on),
                };
                // Every breach concerns the one date the request carries.
                domain.complete_renovation(on, today).or_else(|errs| {
                    let errs = errs.into_iter().map(|e| FieldViolation {
                        field: "completed_on".into(),
                        ..e
                    });
                    ApiError::check("", errs.collect())
                })?;
                appraisal.renovation_completed_on = Some(date_to_pb(on));
                appraisals::put(&**txn, &appraisal, domain.appraised_on, Some(on)).await?;
                let response = pb::CompleteRenovationResponse {
                    appraisal: Some(appraisal),
                };
                Ok((response, Audit::new(household_id, "renovation completed")))
            })
            .await
    }
}
