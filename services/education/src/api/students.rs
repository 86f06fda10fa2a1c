//! CreateStudent and UpdateStudent: a student record checked against the policy of today's
//! school year, stored with the guarantee its status (and, for an update, its letters and
//! visits) gives it.

use xk_contracts::pb::education::v1::{
    CreateStudentRequest, CreateStudentResponse, UpdateStudentRequest, UpdateStudentResponse,
};
use xk_runtime::clock;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::write::check_etag;
use xk_runtime::{ApiError, Audit};

use super::EducationApi;
use super::convert::{check_student, status_name};
use super::fields::required;
use super::guarantee::{new_record, refresh};
use super::rpc::Write;
use crate::domain::FieldViolation;
use crate::store::{self, mask};

/// Records a new student; ALREADY_EXISTS if the resident id is recorded.
impl Write for CreateStudentRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let mut s = required(self.student, "student")?;
        let today = clock::today();
        let p = api.policy_today(today)?;
        ApiError::check("student.", check_student(&mut s, today, p))?;
        let rec = new_record(s, today, p);
        api.db
            .write(&idem, async |txn| {
                let id = rec.student.resident_id.as_str();
                if !store::existing_students(&**txn, &[id]).await?.is_empty() {
                    return Err(ApiError::AlreadyExists {
                        what: "student",
                        name: mask(id),
                        field: "student.resident_id".into(),
                    });
                }
                store::insert_students(&**txn, std::slice::from_ref(&rec)).await?;
                let audit = Audit::new(
                    mask(id),
                    format!(
                        "created {} guaranteed={}",
                        status_name(rec.student.status),
                        rec.student.guaranteed
                    ),
                );
                let student = Some(rec.student.clone());
                Ok((CreateStudentResponse { student }, audit))
            })
            .await
    }
}

/// Replaces a student's placement and status, based on the etag the caller read.
impl Write for UpdateStudentRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let mut s = required(self.student, "student")?;
        let etag = s.etag.clone();
        let today = clock::today();
        let p = api.policy_today(today)?;
        let mut v = check_student(&mut s, today, p);
        if etag.is_empty() {
            v.push(FieldViolation::invalid(
                "etag",
                "required: send the etag of the version you changed",
            ));
        }
        ApiError::check("student.", v)?;
        let target = mask(&s.resident_id);
        api.db
            .write(&idem, async move |txn| {
                let mut rec = store::lock_student(&**txn, api.students(), &s.resident_id).await?;
                check_etag("student", &target, Some(&etag), &rec.student.etag)?;
                let old_status = rec.student.status;
                s.open_case = rec.student.open_case;
                s.etag = rec.student.etag.clone();
                rec.student = s;
                if rec.student.status != old_status {
                    rec.status_since = today;
                }
                refresh(&**txn, &mut rec, today, p).await?;
                let rec = store::save_student(&**txn, &rec).await?;
                let detail = format!(
                    "updated {} -> {} guaranteed={}",
                    status_name(old_status),
                    status_name(rec.student.status),
                    rec.student.guaranteed
                );
                let student = Some(rec.student);
                Ok((
                    UpdateStudentResponse { student },
                    Audit::new(target, detail),
                ))
            })
            .await
    }
}
