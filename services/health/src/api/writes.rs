//! Write RPCs. Each one: validate (INVALID_ARGUMENT, nothing touched) -> open the write
//! transaction -> claim the request id (a retry returns the first answer) -> apply the
//! rule -> store -> record the response and the audit row -> commit.

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use tonic::{Status, Streaming};
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::health::v1::*;
use xk_contracts::types::{HouseholdId, RegionCode, ResidentId, not_in_future};
use xk_runtime::errors::invalid;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{Principal, Violations};

use super::{
    HealthApi, MAX_CODE_LEN, MAX_IMPORT_BATCH, MAX_NAME_CHARS, MAX_REASON_CHARS, add_case, bills,
    case_to_pb, enrolment_to_pb, level_from_pb, payer_of, settlement_of, today, totals_to_pb,
    ytd_of,
};
use crate::domain::{self, Case, InstitutionLevel as Level, PolicyBook};
use crate::error::HealthError;
use crate::store::entities::{case, enrolment, institution};
use crate::store::{self, KIND_REVERSAL, KIND_SETTLEMENT, mask};

/// A required date: present, real, not in the future.
fn required_date(
    v: &mut Violations,
    field: &str,
    d: Option<&Date>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    match d {
        None => {
            v.add(field, "required");
            None
        }
        Some(d) => v
            .check(field, date_from_pb(d))
            .and_then(|d| v.check(field, not_in_future(d, today))),
    }
}

/// Checks an enrolment (fields under `p`) and builds its row with the premium and payer
/// from the coverage year's policy. `None` when a violation was recorded.
fn enrolment_row(
    e: &Enrolment,
    p: &str,
    today: NaiveDate,
    book: &PolicyBook,
    v: &mut Violations,
) -> Option<enrolment::Model> {
    let before = v.items().len();
    let resident = v
        .check(
            format!("{p}resident_id"),
            ResidentId::parse(&e.resident_id, today),
        )
        .map(|r| r.as_str().to_string());
    let household = v
        .check(
            format!("{p}household_id"),
            HouseholdId::parse(&e.household_id),
        )
        .map(|h| h.as_str().to_string());
    let village = v
        .check(
            format!("{p}village_code"),
            RegionCode::parse(&e.village_code),
        )
        .map(|c| c.as_str().to_string());
    let policy = if (2000..=2100).contains(&e.coverage_year) {
        let found = book.for_year(e.coverage_year);
        if found.is_none() {
            v.add(
                format!("{p}coverage_year"),
                format!("no policy covers coverage year {}", e.coverage_year),
            );
        }
        found
    } else {
        v.add(
            format!("{p}coverage_year"),
            format!(
                "must be a year between 2000 and 2100, got {}",
                e.coverage_year
            ),
        );
        None
    };
    // Saturating: a coverage year of i32::MIN is already refused above and must not
    // overflow (a panic in debug builds) on its way to that answer.
    let year_before = e.coverage_year.saturating_sub(1);
    let collection_year = if e.collection_year == 0 {
        year_before
    } else {
        e.collection_year
    };
    if collection_year != year_before && collection_year != e.coverage_year {
        v.add(
            format!("{p}collection_year"),
            format!(
                "premiums for coverage year {} are collected in {} or {}, got {}",
                e.coverage_year, year_before, e.coverage_year, e.collection_year
            ),
        );
    }
    let scheme = match Scheme::try_from(e.scheme) {
        Ok(Scheme::Unspecified | Scheme::ResidentBasic) => Scheme::ResidentBasic,
        Err(_) => {
            v.add(format!("{p}scheme"), format!("unknown scheme {}", e.scheme));
            Scheme::ResidentBasic
        }
    };
    if let Some(policy) = policy
        && e.premium_fen != 0
        && e.premium_fen != policy.premium.individual_fen
    {
        v.add(
            format!("{p}premium_fen"),
            format!(
                "the individual premium for coverage year {} is {} fen by policy, got {}",
                e.coverage_year, policy.premium.individual_fen, e.premium_fen
            ),
        );
    }
    if v.items().len() > before {
        return None;
    }
    let (policy, resident, household, village) = (policy?, resident?, household?, village?);
    let split = policy.premium.split(e.registered_poor);
    Some(enrolment::Model {
        resident_id: resident,
        coverage_year: e.coverage_year,
        household_id: household,
        village_code: village,
        collection_year,
        scheme: scheme as i32,
        registered_poor: e.registered_poor,
        premium_fen: policy.premium.individual_fen,
        government_paid_fen: split.government_fen,
        personal_paid_fen: split.personal_fen,
        payer: payer_of(split.government_fen, split.personal_fen) as i32,
        created_at: Utc::now(),
    })
}

/// Checks an institution's code, as stored and as referred to by cases.
fn check_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err("required".into());
    }
    if code.len() > MAX_CODE_LEN {
        return Err(format!(
            "at most {MAX_CODE_LEN} characters, got {}",
            code.len()
        ));
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("only letters, digits, '-' and '_'".into());
    }
    Ok(())
}

/// Adds to an import error how much of the stream was committed before it.
fn with_progress(s: Status, done: &ImportEnrolmentsResponse) -> Status {
    let msg = format!(
        "{} ({} earlier batches committed, {} replayed; resend the rest with the same request ids)",
        s.message(),
        done.batches_committed,
        done.batches_replayed
    );
    Status::with_details(s.code(), msg, s.details().to_vec().into())
}

impl HealthApi {
    /// Inserts enrolments in `txn`; a duplicate becomes ALREADY_EXISTS naming its field
    /// (found after the rollback, so the common path is the inserts alone).
    async fn store_enrolments(
        &self,
        txn: xk_runtime::db::WriteTxn,
        rows: &[enrolment::Model],
        prefix: impl Fn(usize) -> String,
    ) -> Result<xk_runtime::db::WriteTxn, Status> {
        match store::insert_enrolments(&*txn, rows).await {
            Ok(()) => Ok(txn),
            Err(HealthError::Db(db)) if xk_runtime::errors::is_unique_violation(&db) => {
                drop(txn);
                match store::find_enrolment_conflict(self.db.conn(), rows, prefix).await {
                    Ok(Some(conflict)) => Err(conflict.into()),
                    Ok(None) => Err(Status::aborted(
                        "a concurrent write enrolled the same person for the same year; retry",
                    )),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn enrol_impl(
        &self,
        principal: Principal,
        req: EnrolRequest,
    ) -> Result<EnrolResponse, Status> {
        let idem = Idempotent::new(principal, "Enrol", &req.request_id, "request_id", &req)?;
        let Some(e) = req.enrolment.as_ref() else {
            return Err(invalid("enrolment", "required"));
        };
        let mut v = Violations::new();
        let row = enrolment_row(e, "enrolment.", today(), &self.policy, &mut v);
        v.into_result()?;
        let Some(row) = row else {
            return Err(invalid("enrolment", "could not be read"));
        };
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<EnrolResponse>(&txn).await? {
            return Ok(r);
        }
        let rows = std::slice::from_ref(&row);
        let txn = self
            .store_enrolments(txn, rows, |_| "enrolment.".into())
            .await?;
        let resp = EnrolResponse {
            enrolment: Some(enrolment_to_pb(&row)),
        };
        let target = format!("enrolment {} {}", mask(&row.resident_id), row.coverage_year);
        idem.finish(&txn, &resp, &target, "enrolled").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn import_enrolments_impl(
        &self,
        principal: Principal,
        mut stream: Streaming<ImportEnrolmentsRequest>,
    ) -> Result<ImportEnrolmentsResponse, Status> {
        let mut total = ImportEnrolmentsResponse::default();
        let mut batch_no = 0usize;
        let today = today();
        while let Some(batch) = stream.message().await? {
            let bp = format!("batch[{batch_no}].");
            let idem = Idempotent::new(
                principal,
                "ImportEnrolments",
                &batch.request_id,
                &format!("{bp}request_id"),
                &batch,
            )
            .map_err(|s| with_progress(s, &total))?;
            let mut v = Violations::new();
            if batch.enrolments.is_empty() {
                v.add(
                    format!("{bp}enrolments"),
                    "a batch holds at least one enrolment",
                );
            }
            if batch.enrolments.len() > MAX_IMPORT_BATCH {
                v.add(
                    format!("{bp}enrolments"),
                    format!(
                        "at most {MAX_IMPORT_BATCH} enrolments a batch, got {}",
                        batch.enrolments.len()
                    ),
                );
            }
            let rows: Vec<enrolment::Model> = batch
                .enrolments
                .iter()
                .enumerate()
                .filter_map(|(j, e)| {
                    enrolment_row(
                        e,
                        &format!("{bp}enrolments[{j}]."),
                        today,
                        &self.policy,
                        &mut v,
                    )
                })
                .collect();
            if !v.is_empty() {
                return Err(with_progress(v.into_status(), &total));
            }
            let txn = self.db.begin_write().await?;
            if idem
                .begin::<ImportEnrolmentsResponse>(&txn)
                .await
                .map_err(|s| with_progress(s, &total))?
                .is_some()
            {
                drop(txn);
                total.batches_replayed += 1;
                batch_no += 1;
                continue;
            }
            let txn = self
                .store_enrolments(txn, &rows, |j| format!("{bp}enrolments[{j}]."))
                .await
                .map_err(|s| with_progress(s, &total))?;
            let result = ImportEnrolmentsResponse {
                batches_committed: 1,
                batches_replayed: 0,
                enrolments_imported: rows.len() as i64,
            };
            idem.finish(
                &txn,
                &result,
                &format!("batch of {}", rows.len()),
                &format!("{} enrolments", rows.len()),
            )
            .await?;
            txn.commit().await?;
            total.batches_committed += 1;
            total.enrolments_imported += result.enrolments_imported;
            batch_no += 1;
        }
        Ok(total)
    }

    pub(super) async fn upsert_institution_impl(
        &self,
        principal: Principal,
        req: UpsertInstitutionRequest,
    ) -> Result<UpsertInstitutionResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "UpsertInstitution",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(inst) = req.institution else {
            return Err(invalid("institution", "required"));
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
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<UpsertInstitutionResponse>(&txn).await? {
            return Ok(r);
        }
        let inst = Institution {
            name: inst.name.trim().to_string(),
            ..inst
        };
        store::upsert_institution(
            &*txn,
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
        let resp = UpsertInstitutionResponse {
            institution: Some(inst),
        };
        idem.finish(&txn, &resp, &target, "upserted").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn settle_case_impl(
        &self,
        principal: Principal,
        req: SettleCaseRequest,
    ) -> Result<SettleCaseResponse, Status> {
        let idem = Idempotent::new(principal, "SettleCase", &req.request_id, "request_id", &req)?;
        let Some(hc) = req.hospital_case.as_ref() else {
            return Err(invalid("hospital_case", "required"));
        };
        let today = today();
        let mut v = Violations::new();
        let resident = v
            .check(
                "hospital_case.resident_id",
                ResidentId::parse(&hc.resident_id, today),
            )
            .map(|r| r.as_str().to_string());
        v.check(
            "hospital_case.institution_code",
            check_code(&hc.institution_code),
        );
        v.check(
            "hospital_case.bill_number",
            domain::check_bill_number(&hc.bill_number),
        );
        let admitted = required_date(
            &mut v,
            "hospital_case.admission_date",
            hc.admission_date.as_ref(),
            today,
        );
        let discharged = required_date(
            &mut v,
            "hospital_case.discharge_date",
            hc.discharge_date.as_ref(),
            today,
        );
        if let (Some(a), Some(d)) = (admitted, discharged) {
            if d < a {
                v.add(
                    "hospital_case.discharge_date",
                    format!("discharge {d} is before admission {a}"),
                );
            } else if d == a && !hc.chronic_outpatient {
                v.add(
                    "hospital_case.discharge_date",
                    "a hospital stay lasts at least one day: discharge must be after admission",
                );
            }
        }
        // The engine's own amount checks, reported as field violations.
        let probe = Case {
            total_fen: hc.total_fen,
            out_of_policy_fen: hc.out_of_policy_fen,
            institution_level: Level::Village,
            in_county: true,
            chronic_outpatient: hc.chronic_outpatient,
            registered_poor: false,
        };
        if let Err(e) = probe.validate() {
            let field = e.case_field().unwrap_or("total_fen");
            v.add(format!("hospital_case.{field}"), &e);
        }
        let year = discharged.map(|d| d.year());
        let policy = year.and_then(|y| self.policy_for(y));
        if let (Some(y), None) = (year, policy) {
            v.add(
                "hospital_case.discharge_date",
                format!("no policy covers coverage year {y}"),
            );
        }
        v.into_result()?;
        let (Some(resident), Some(admitted), Some(discharged), Some(policy)) =
            (resident, admitted, discharged, policy)
        else {
            return Err(invalid("hospital_case", "could not be read"));
        };
        let year = discharged.year();

        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<SettleCaseResponse>(&txn).await? {
            return Ok(r);
        }
        let Some(inst) = store::get_institution(&*txn, &hc.institution_code).await? else {
            return Err(HealthError::pre(
                "UNKNOWN_INSTITUTION",
                "hospital_case.institution_code",
                format!(
                    "hospital_case.institution_code: no designated institution {}",
                    hc.institution_code
                ),
            )
            .into());
        };
        let Some(level) = level_from_pb(inst.level) else {
            return Err(HealthError::Corrupt(format!(
                "institution {} has level {}",
                inst.code, inst.level
            ))
            .into());
        };
        let Some(mut py) = store::lock_person_year(&*txn, &resident, year).await? else {
            return Err(HealthError::pre(
                "NOT_ENROLLED",
                "hospital_case.resident_id",
                format!(
                    "hospital_case.resident_id: {} is not enrolled for coverage year {year}",
                    mask(&resident)
                ),
            )
            .into());
        };
        let bill_settlement = bills::open_bill(&txn, &inst.code, &hc.bill_number).await?;
        let case_in = Case {
            total_fen: hc.total_fen,
            out_of_policy_fen: hc.out_of_policy_fen,
            institution_level: level,
            in_county: inst.in_county,
            chronic_outpatient: hc.chronic_outpatient,
            registered_poor: py.registered_poor,
        };
        let (s, next) = domain::settle(policy, &ytd_of(&py), &case_in).map_err(|source| {
            HealthError::Settle {
                prefix: "hospital_case.",
                source,
            }
        })?;
        let mut row = case::Model {
            id: 0,
            kind: KIND_SETTLEMENT,
            reverses_id: 0,
            resident_id: resident.clone(),
            coverage_year: year,
            village_code: py.village_code.clone(),
            institution_code: inst.code.clone(),
            institution_level: inst.level,
            in_county: inst.in_county,
            one_stop: inst.one_stop,
            admission_date: admitted,
            discharge_date: discharged,
            chronic_outpatient: hc.chronic_outpatient,
            registered_poor: py.registered_poor,
            total_fen: hc.total_fen,
            out_of_policy_fen: hc.out_of_policy_fen,
            basic_fen: s.basic_fen,
            serious_fen: s.serious_fen,
            assistance_fen: s.assistance_fen,
            supplementary_fen: s.supplementary_fen,
            personal_in_policy_fen: s.personal_in_policy_fen,
            personal_out_of_policy_fen: s.personal_out_of_policy_fen,
            personal_total_fen: s.personal_total_fen,
            d_basic_deductible_used_fen: s.ytd_delta.basic_deductible_used_fen,
            d_serious_burden_fen: s.ytd_delta.serious_burden_fen,
            d_assistance_paid_fen: s.ytd_delta.assistance_paid_fen,
            d_in_county_personal_fen: s.ytd_delta.in_county_personal_fen,
            bill_number: hc.bill_number.clone(),
            bill_settlement,
            created_at: Utc::now(),
        };
        let (txn, id) = self
            .insert_settlement(txn, active(&row), &inst.code, &hc.bill_number)
            .await?;
        row.id = id;
        add_case(&mut py, &row, &next);
        let totals = totals_to_pb(&py, policy.supplementary.annual_personal_cap_fen);
        store::save_person_year(&*txn, py).await?;
        let resp = SettleCaseResponse {
            record: Some(case_to_pb(&row, false)),
            totals: Some(totals),
        };
        idem.finish(
            &txn,
            &resp,
            &format!("case {}", row.id),
            &format!(
                "settled {} fen: reimbursed {} fen, personal {} fen",
                row.total_fen,
                s.reimbursed_fen(),
                s.personal_total_fen
            ),
        )
        .await?;
        txn.commit().await?;
        tracing::debug!(case = row.id, person = %mask(&row.resident_id), "case settled");
        Ok(resp)
    }

    pub(super) async fn reverse_case_impl(
        &self,
        principal: Principal,
        req: ReverseCaseRequest,
    ) -> Result<ReverseCaseResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "ReverseCase",
            &req.request_id,
            "request_id",
            &req,
        )?;
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
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<ReverseCaseResponse>(&txn).await? {
            return Ok(r);
        }
        let Some(original) = store::get_case(&*txn, req.case_id).await? else {
            return Err(HealthError::NotFound {
                what: "case",
                name: req.case_id.to_string(),
            }
            .into());
        };
        if original.kind != KIND_SETTLEMENT {
            return Err(HealthError::pre(
                "NOT_A_SETTLEMENT",
                "case_id",
                format!("case_id: case {} is a reversal itself", original.id),
            )
            .into());
        }
        let Some(mut py) =
            store::lock_person_year(&*txn, &original.resident_id, original.coverage_year).await?
        else {
            return Err(HealthError::Corrupt(format!(
                "case {} has no person-year row",
                original.id
            ))
            .into());
        };
        if let Some(r) = store::reversal_of(&*txn, original.id).await? {
            return Err(HealthError::pre(
                "ALREADY_REVERSED",
                "case_id",
                format!(
                    "case_id: case {} was reversed already by case {}",
                    original.id, r.id
                ),
            )
            .into());
        }
        let latest =
            store::latest_live_settlement(&*txn, &original.resident_id, original.coverage_year)
                .await?;
        if latest != Some(original.id) {
            return Err(HealthError::pre(
                "NOT_LATEST_CASE",
                "case_id",
                format!(
                    "case_id: case {} is not the latest live settlement of its person-year (latest is {}); \
                     cumulation makes only the latest exactly reversible: reverse the later cases first",
                    original.id,
                    latest.map_or_else(|| "none".to_string(), |l| l.to_string())
                ),
            )
            .into());
        }
        let s = settlement_of(&original);
        let next = domain::reverse(&ytd_of(&py), &s).map_err(HealthError::from)?;
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
        row.id = store::insert_case(&*txn, active(&row)).await?;
        add_case(&mut py, &row, &next);
        let cap = self
            .policy_for(py.coverage_year)
            .map_or(0, |p| p.supplementary.annual_personal_cap_fen);
        let totals = totals_to_pb(&py, cap);
        store::save_person_year(&*txn, py).await?;
        let resp = ReverseCaseResponse {
            record: Some(case_to_pb(&row, false)),
            totals: Some(totals),
        };
        idem.finish(
            &txn,
            &resp,
            &format!("case {}", original.id),
            &format!("reversed by case {}: {}", row.id, req.reason),
        )
        .await?;
        txn.commit().await?;
        Ok(resp)
    }
}

/// A case row to insert: every column set except the id the database assigns.
fn active(c: &case::Model) -> case::ActiveModel {
    let mut a: case::ActiveModel =
        sea_orm::ActiveModelTrait::reset_all(case::ActiveModel::from(c.clone()));
    a.id = NotSet;
    a.kind = Set(c.kind);
    a
}

/// Rejected at compile time if the kinds drift from the proto's numbers.
const _: () = {
    assert!(KIND_SETTLEMENT == CaseKind::Settlement as i32);
    assert!(KIND_REVERSAL == CaseKind::Reversal as i32);
};
