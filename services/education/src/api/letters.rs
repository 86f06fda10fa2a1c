//! SendLetter and RecordLetterReply: notification letters (协查函) for students outside the
//! county. A letter with a reply or proof confirms the student's enrolment elsewhere, so
//! both rewrite the student's stored guarantee in the same transaction.

use xk_contracts::pb::education::v1::{
    RecordLetterReplyRequest, RecordLetterReplyResponse, SendLetterRequest, SendLetterResponse,
    StudentStatus,
};
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Audit, clock};

use super::EducationApi;
use super::convert::domain_letter;
use super::fields::{key, opt_date, req_date, required, resident_id, text};
use super::guarantee::refresh;
use super::rpc::Write;
use crate::domain::FieldViolation;
use crate::domain::letters::{Letter, validate_letter};
use crate::domain::rules;
use crate::store::{self, entities::letter};

/// Records a letter sent about a student outside the county or province.
impl Write for SendLetterRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let l = required(self.letter, "letter")?;
        let today = clock::today();
        let mut v = Vec::new();
        let id = resident_id(&mut v, "resident_id", &self.resident_id, today);
        key(&mut v, "letter.number", &l.number);
        text(&mut v, "letter.recipient", &l.recipient, true);
        text(&mut v, "letter.proof_ref", &l.proof_ref, false);
        let sent_on = req_date(&mut v, "letter.sent_on", l.sent_on.as_ref());
        let reply_on = opt_date(&mut v, "letter.reply_on", l.reply_on.as_ref());
        ApiError::check("", v)?;
        let (Some(id), Some(sent_on)) = (id, sent_on) else {
            return Err(ApiError::invalid("letter", "incomplete"));
        };
        let proof_ref = (!l.proof_ref.trim().is_empty()).then(|| l.proof_ref.trim().to_string());
        let domain = Letter {
            number: l.number.trim().to_string(),
            sent_on,
            recipient: l.recipient.trim().to_string(),
            reply_on,
            proof_ref: proof_ref.clone(),
        };
        ApiError::check(
            "letter.",
            validate_letter(&domain, today).err().unwrap_or_default(),
        )?;
        let p = api.policy_today(today)?;
        api.db
            .write(&idem, async |txn| {
                let mut rec = store::lock_student(&**txn, api.students(), id.as_str()).await?;
                let status = StudentStatus::try_from(rec.student.status).unwrap_or_default();
                if !matches!(
                    status,
                    StudentStatus::OutsideCounty | StudentStatus::OutsideProvince
                ) {
                    return Err(ApiError::rule(
                        rules::NOT_OUTSIDE_COUNTY,
                        "resident_id",
                        format!(
                            "letters are for students outside the county; this student is {}",
                            status.as_str_name()
                        ),
                    ));
                }
                let row = letter::Model {
                    number: domain.number.clone(),
                    resident_id: id.as_str().to_string(),
                    village_code: rec.student.village_code.clone(),
                    sent_on,
                    recipient: domain.recipient.clone(),
                    reply_on,
                    has_proof: proof_ref.is_some(),
                    proof_ref: proof_ref.clone(),
                };
                store::insert_letter(&**txn, row.clone()).await?;
                rec.letters_sent += 1;
                refresh(&**txn, &mut rec, today, p).await?;
                let rec = store::save_student(&**txn, &rec).await?;
                let resp = SendLetterResponse {
                    student: Some(rec.student),
                    letter: Some(store::letter_to_pb(&row)),
                };
                Ok((resp, Audit::new(format!("letter {}", row.number), "sent")))
            })
            .await
    }
}

/// Records the reply to a letter, or other proof of enrolment.
impl Write for RecordLetterReplyRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let mut v = Vec::new();
        key(&mut v, "number", &self.number);
        text(&mut v, "proof_ref", &self.proof_ref, false);
        let reply_on = opt_date(&mut v, "reply_on", self.reply_on.as_ref());
        if self.reply_on.is_none() && self.proof_ref.trim().is_empty() {
            v.push(FieldViolation::invalid(
                "reply_on",
                "send the reply date, a proof reference, or both",
            ));
        }
        ApiError::check("", v)?;
        let proof_ref = self.proof_ref.trim();
        let today = clock::today();
        let p = api.policy_today(today)?;
        api.db
            .write(&idem, async |txn| {
                let mut row = store::lock_letter(&**txn, self.number.trim()).await?;
                if reply_on.is_some() {
                    row.reply_on = reply_on;
                }
                if !proof_ref.is_empty() {
                    row.proof_ref = Some(proof_ref.to_string());
                    row.has_proof = true;
                }
                // The reply is checked against the sending date stored with the letter.
                ApiError::check(
                    "",
                    validate_letter(&domain_letter(&row), today)
                        .err()
                        .unwrap_or_default(),
                )?;
                store::update_letter(&**txn, &row).await?;
                let mut rec = store::lock_student(&**txn, api.students(), &row.resident_id).await?;
                refresh(&**txn, &mut rec, today, p).await?;
                let rec = store::save_student(&**txn, &rec).await?;
                let resp = RecordLetterReplyResponse {
                    student: Some(rec.student),
                    letter: Some(store::letter_to_pb(&row)),
                };
                Ok((
                    resp,
                    Audit::new(format!("letter {}", row.number), "reply recorded"),
                ))
            })
            .await
    }
}
