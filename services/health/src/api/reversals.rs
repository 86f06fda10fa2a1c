//! ReverseCase: a negative settlement next to the settled case (nothing is overwritten),
//! for the person-year's latest live settlement only.

use chrono::Utc;
use xk_contracts::pb::health::v1::*;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Audit, Violations};

use super::convert::{add_case, case_to_pb, new_case, settlement_of, totals_to_pb, ytd_of};
use super::{HealthApi, MAX_REASON_CHARS, inconsistent};
use crate::domain::{self, rules};
use crate::store::entities::case;
use crate::store::{self, KIND_REVERSAL, KIND_SETTLEMENT};

/// ReverseCase.
pub(super) async fn reverse(
    api: &HealthApi,
    idem: Idempotent,
    req: ReverseCaseRequest,
) -> Result<ReverseCaseResponse, ApiError> {
    let mut v = Violations::new();
    if req.case_id <= 0 {
        v.add(
            "case_id",
            format!("required: a case id, got {}", req.case_id),
        );
    }
    if req.reason.chars().count() > MAX_REASON_CHARS {
        v.add("reason", format!("at most {MAX_REASON_CHARS} characters"));
    }
    v.into_result()?;
    api.db
        .write(&idem, async |txn| {
            let Some(original) = store::get_case(&**txn, req.case_id).await? else {
                return Err(ApiError::not_found("case", req.case_id.to_string()));
            };
            if original.kind != KIND_SETTLEMENT {
                return Err(ApiError::rule(
                    rules::NOT_A_SETTLEMENT,
                    "case_id",
                    format!("case_id: case {} is a reversal itself", original.id),
                ));
            }
            let Some(mut py) = store::lock_person_year(
                &**txn,
                api.person_years(),
                &original.resident_id,
                original.coverage_year,
            )
            .await?
            else {
                return Err(inconsistent(format!(
                    "case {} has no person-year row",
                    original.id
                )));
            };
            check_reversible(txn, &original).await?;
            let s = settlement_of(&original);
            let next = domain::reverse(&ytd_of(&py), &s).map_err(inconsistent)?;
            let n = s.negated();
            let mut row = case::Model {
                id: 0,
                kind: KIND_REVERSAL,
                reverses_id: original.id,
                total_fen: -original.total_fen,
                out_of_policy_fen: -original.out_of_policy_fen,
                basic_fen: n.basic_fen,
                serious_fen: n.serious_fen,
                assistance_fen: n.assistance_fen,
                supplementary_fen: n.supplementary_fen,
                personal_in_policy_fen: n.personal_in_policy_fen,
                personal_out_of_policy_fen: n.personal_out_of_policy_fen,
                personal_total_fen: n.personal_total_fen,
                d_basic_deductible_used_fen: n.ytd_delta.basic_deductible_used_fen,
                d_serious_burden_fen: n.ytd_delta.serious_burden_fen,
                d_assistance_paid_fen: n.ytd_delta.assistance_paid_fen,
                d_in_county_personal_fen: n.ytd_delta.in_county_personal_fen,
                created_at: Utc::now(),
                ..original.clone()
            };
            row.id = store::insert_case(&**txn, new_case(&row)).await?;
            add_case(&mut py, &row, &next);
            let totals = totals_to_pb(&py, api.cap_for(py.coverage_year));
            store::save_person_year(&**txn, py).await?;
            let audit = Audit::new(
                format!("case {}", original.id),
                format!("reversed by case {}: {}", row.id, req.reason),
            );
            let response = ReverseCaseResponse {
                record: Some(case_to_pb(&row, false)),
                totals: Some(totals),
            };
            Ok((response, audit))
        })
        .await
}

/// FAILED_PRECONDITION unless `original` is live (not reversed yet) and the latest live
/// settlement of its person-year: cumulation makes only the latest exactly reversible.
async fn check_reversible(
    txn: &xk_runtime::db::WriteTxn,
    original: &case::Model,
) -> Result<(), ApiError> {
    if let Some(r) = store::reversal_of(&**txn, original.id).await? {
        return Err(ApiError::rule(
            rules::ALREADY_REVERSED,
            "case_id",
            format!(
                "case_id: case {} was reversed already by case {}",
                original.id, r.id
            ),
        ));
    }
    let latest =
        store::latest_live_settlement(&**txn, &original.resident_id, original.coverage_year)
            .await?;
    if latest != Some(original.id) {
        return Err(ApiError::rule(
            rules::NOT_LATEST_CASE,
            "case_id",
            format!(
                "case_id: case {} is not the latest live settlement of its person-year (latest is {}); \
                 cumulation makes only the latest exactly reversible: reverse the later cases first",
                original.id,
                latest.map_or_else(|| "none".to_string(), |l| l.to_string())
            ),
        ));
    }
    Ok(())
}
