//! UpsertInstitution: registers or replaces a designated institution (定点医疗机构).

use chrono::Utc;
use xk_contracts::pb::health::v1::*;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Audit, Violations};

use super::checks::check_code;
use super::convert::level_from_pb;
use super::{HealthApi, MAX_NAME_CHARS};
use crate::store::{self, entities::institution};

/// UpsertInstitution.
pub(super) async fn upsert(
    api: &HealthApi,
    idem: Idempotent,
    req: UpsertInstitutionRequest,
) -> Result<UpsertInstitutionResponse, ApiError> {
    let Some(inst) = req.institution else {
        return Err(ApiError::invalid("institution", "required"));
    };
    let mut v = Violations::new();
    v.check("institution.code", check_code(&inst.code));
    let name_chars = inst.name.trim().chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS {
        v.add(
            "institution.name",
            format!("required, at most {MAX_NAME_CHARS} characters"),
        );
    }
    if level_from_pb(inst.level).is_none() {
        v.add(
            "institution.level",
            format!("required: a known level, got {}", inst.level),
        );
    }
    v.into_result()?;
    let inst = Institution {
        name: inst.name.trim().to_string(),
        ..inst
    };
    api.db
        .write(&idem, async |txn| {
            store::upsert_institution(
                &**txn,
                institution::Model {
                    code: inst.code.clone(),
                    name: inst.name.clone(),
                    level: inst.level,
                    in_county: inst.in_county,
                    one_stop: inst.one_stop,
                    treat_first_pay_later: inst.treat_first_pay_later,
                    updated_at: Utc::now(),
                },
            )
            .await?;
            let target = format!("institution {}", inst.code);
            let response = UpsertInstitutionResponse {
                institution: Some(inst),
            };
            Ok((response, Audit::new(target, "upserted")))
        })
        .await
}
