//! SettleCase: one hospital case settled across the four layers against the person's
//! year-to-date state, stored with the new state in one transaction.

use chrono::{Datelike, NaiveDate, Utc};
use tonic::Status;
use xk_contracts::pb::health::v1::*;
use xk_contracts::types::ResidentId;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::scope::required_date;
use xk_runtime::{ApiError, Audit, Violations, clock};

use super::bills;
use super::checks::check_code;
use super::convert::{add_case, case_to_pb, level_from_pb, new_case, totals_to_pb, ytd_of};
use super::{HealthApi, inconsistent};
use crate::domain::{self, Case, InstitutionLevel as Level, Policy, SettleError, rules};
use crate::store::entities::case;
use crate::store::{self, KIND_SETTLEMENT, mask};

/// The path of the case in the request, before each of its field names.
const CASE: &str = "hospital_case.";

/// A case that passed the checks that need no stored state.
struct CheckedCase<'a> {
    /// The case as sent.
    sent: &'a HospitalCase,
    /// The patient's resident id, normalised.
    resident: String,
    /// Admission date.
    admitted: NaiveDate,
    /// Discharge date: its year is the coverage year.
    discharged: NaiveDate,
    /// The policy of that coverage year.
    policy: &'a Policy,
}

/// SettleCase.
pub(super) async fn settle(
    api: &HealthApi,
    idem: Idempotent,
    req: SettleCaseRequest,
) -> Result<SettleCaseResponse, ApiError> {
    let checked = check_case(api, req.hospital_case.as_ref())?;
    let written = api
        .db
        .write(&idem, async |txn| {
            let hc = checked.sent;
            let year = checked.discharged.year();
            let Some(inst) = store::get_institution(&**txn, &hc.institution_code).await? else {
                return Err(ApiError::rule(
                    rules::UNKNOWN_INSTITUTION,
                    "hospital_case.institution_code",
                    format!(
                        "hospital_case.institution_code: no designated institution {}",
                        hc.institution_code
                    ),
                ));
            };
            let Some(level) = level_from_pb(inst.level) else {
                return Err(inconsistent(format!(
                    "institution {} has level {}",
                    inst.code, inst.level
                )));
            };
            let Some(mut py) =
                store::lock_person_year(&**txn, api.person_years(), &checked.resident, year)
                    .await?
            else {
                return Err(ApiError::rule(
                    rules::NOT_ENROLLED,
                    "hospital_case.resident_id",
                    format!(
                        "hospital_case.resident_id: {} is not enrolled for coverage year {year}",
                        mask(&checked.resident)
                    ),
                ));
            };
            let bill_settlement = bills::open_bill(txn, &inst.code, &hc.bill_number).await?;
            let case_in = Case {
                total_fen: hc.total_fen,
                out_of_policy_fen: hc.out_of_policy_fen,
                institution_level: level,
                in_county: inst.in_county,
                chronic_outpatient: hc.chronic_outpatient,
                registered_poor: py.registered_poor,
            };
            let (s, next) =
                domain::settle(checked.policy, &ytd_of(&py), &case_in).map_err(engine_refused)?;
            let mut row = case::Model {
                id: 0,
                kind: KIND_SETTLEMENT,
                reverses_id: 0,
                resident_id: checked.resident.clone(),
                coverage_year: year,
                village_code: py.village_code.clone(),
                institution_code: inst.code.clone(),
                institution_level: inst.level,
                in_county: inst.in_county,
                one_stop: inst.one_stop,
                admission_date: checked.admitted,
                discharge_date: checked.discharged,
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
            row.id = store::insert_case(&**txn, new_case(&row)).await?;
            add_case(&mut py, &row, &next);
            let totals = totals_to_pb(&py, checked.policy.supplementary.annual_personal_cap_fen);
            store::save_person_year(&**txn, py).await?;
            let audit = Audit::new(
                format!("case {}", row.id),
                format!(
                    "settled {} fen: reimbursed {} fen, personal {} fen",
                    row.total_fen,
                    s.reimbursed_fen(),
                    s.personal_total_fen
                ),
            );
            let response = SettleCaseResponse {
                record: Some(case_to_pb(&row, false)),
                totals: Some(totals),
            };
            Ok((response, audit))
        })
        .await;
    match written {
        Ok(response) => {
            tracing::debug!(
                case = response.record.as_ref().map_or(0, |r| r.case_id),
                person = %mask(&checked.resident),
                "case settled"
            );
            Ok(response)
        }
        Err(e) => Err(bills::name_the_live_settlement(
            &api.db,
            e,
            &checked.sent.institution_code,
            &checked.sent.bill_number,
        )
        .await),
    }
}

/// Every check of a case that needs no stored state, each bad field named; first, that
/// the request holds one.
fn check_case<'a>(
    api: &'a HealthApi,
    sent: Option<&'a HospitalCase>,
) -> Result<CheckedCase<'a>, ApiError> {
    let hc = sent.ok_or_else(|| ApiError::invalid("hospital_case", "required"))?;
    let today = clock::today();
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
        v.add(format!("{CASE}{field}"), &e);
    }
    let year = discharged.map(|d| d.year());
    let policy = year.and_then(|y| api.policy_for(y));
    if let (Some(y), None) = (year, policy) {
        v.add(
            "hospital_case.discharge_date",
            format!(
                "no policy covers coverage year {y}: the policy book starts in {}",
                api.policy.first_year()
            ),
        );
    }
    v.into_result()?;
    match (resident, admitted, discharged, policy) {
        (Some(resident), Some(admitted), Some(discharged), Some(policy)) => Ok(CheckedCase {
            sent: hc,
            resident,
            admitted,
            discharged,
            policy,
        }),
        _ => Err(ApiError::invalid("hospital_case", "could not be read")),
    }
}

/// The engine's refusal: a bad case amount names the request field (INVALID_ARGUMENT); a
/// corrupt year-to-date state or an invalid policy is the service's fault (INTERNAL,
/// logged), never blamed on the caller.
fn engine_refused(source: SettleError) -> ApiError {
    match source.case_field() {
        Some(field) => ApiError::invalid(format!("{CASE}{field}"), &source),
        None => {
            tracing::error!(error = %source, "settlement engine refused stored state or policy");
            ApiError::Status(Status::internal(
                "settlement state or policy is inconsistent; the operators have the details",
            ))
        }
    }
}
