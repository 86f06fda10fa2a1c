//! RecordVisit: one home-teaching visit (送教上门), counted towards the school year of its
//! date. A child in home teaching counts as guaranteed with a visit this school year, so
//! the visit rewrites the student's stored guarantee in the same transaction.

use chrono::Datelike;
use xk_contracts::pb::education::v1::{RecordVisitRequest, RecordVisitResponse};
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Audit, clock};

use super::convert::domain_status;
use super::fields::{req_date, required, resident_id, text};
use super::guarantee::refresh;
use super::rpc::Write;
use super::{EducationApi, refusal};
use crate::domain::home_teaching::{VisitInput, validate_visit};
use crate::domain::scope::school_year;
use crate::store::{self, mask};

/// Logs a visit for a student in home teaching.
impl Write for RecordVisitRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let visit = required(self.visit, "visit")?;
        let mut v = Vec::new();
        let today = clock::today();
        let id = resident_id(&mut v, "resident_id", &self.resident_id, today);
        let date = req_date(&mut v, "visit.date", visit.date.as_ref());
        text(&mut v, "visit.teacher", &visit.teacher, false);
        ApiError::check("", v)?;
        let (Some(id), Some(date)) = (id, date) else {
            return Err(ApiError::invalid("visit", "incomplete"));
        };
        // The visit counts towards its own school year, which the policy book must cover.
        let visit_year = school_year(date, api.policy_on(date, "visit.date")?)
            .start
            .year();
        let p = api.policy_today(today)?;
        let input = VisitInput {
            date,
            teacher: visit.teacher,
            hours: visit.hours,
        };
        api.db
            .write(&idem, async |txn| {
                let mut rec = store::lock_student(&**txn, api.students(), id.as_str()).await?;
                let checked =
                    validate_visit(&input, &domain_status(&rec.student), today).map_err(|e| {
                        let in_request = e.into_iter().map(|f| match f.field.as_str() {
                            "resident_id" => f,
                            _ => f.prefixed("visit"),
                        });
                        refusal("", in_request.collect())
                    })?;
                store::insert_visit(
                    &**txn,
                    id.as_str(),
                    checked.date,
                    visit_year,
                    &checked.teacher,
                    i64::from(checked.hours),
                )
                .await?;
                let (_, log) = refresh(&**txn, &mut rec, today, p).await?;
                let rec = store::save_student(&**txn, &rec).await?;
                let resp = RecordVisitResponse {
                    student: Some(rec.student),
                    school_year_visits: i64::from(log.visits),
                    school_year_hours: i64::from(log.hours),
                };
                let detail = format!("visit of {} hours", checked.hours);
                Ok((resp, Audit::new(mask(id.as_str()), detail)))
            })
            .await
    }
}
