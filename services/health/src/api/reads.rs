//! Read RPCs: ListInstitutions, GetPersonYear, ListCases, ListExceptions,
//! ListPersonPayments, SummarizeByRegion.

use std::collections::HashSet;

use sea_orm::ConnectionTrait;
use xk_contracts::ListPage;
use xk_contracts::pb::health::v1::*;
use xk_contracts::types::ResidentId;
use xk_runtime::paging::{self, Page};
use xk_runtime::rollup::Source;
use xk_runtime::scope::{check_summary, optional_prefix, required_prefix};
use xk_runtime::{ApiError, Violations, clock};

use super::HealthApi;
use super::convert::{case_records, enrolment_to_pb, institution_to_pb, totals_to_pb};
use crate::store::entities::case;
use crate::store::rollups::OverCap;
use crate::store::{self, CaseFilter, KIND_REVERSAL, mask, summary};

/// Case rows as messages, each marked reversed when a reversal of it is stored.
async fn with_reversals<C: ConnectionTrait>(
    conn: &C,
    rows: &[case::Model],
) -> Result<Vec<CaseRecord>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(case_records(
        rows,
        &store::reversed_among(conn, &ids).await?,
    ))
}

/// A required coverage year within the years any policy could cover.
fn required_year(v: &mut Violations, field: &str, year: i32) -> i32 {
    if !(2000..=2100).contains(&year) {
        v.add(
            field,
            format!("required: a year between 2000 and 2100, got {year}"),
        );
    }
    year
}

/// A read of one coverage year checked at once: `coverage_year`, then the read's own
/// fields with `more` (given the year), so their violations follow in the request's field
/// order. INVALID_ARGUMENT naming every bad field, else the year and what `more` read.
fn check_year_read<T>(
    coverage_year: i32,
    more: impl FnOnce(&mut Violations, i32) -> T,
) -> Result<(i32, T), ApiError> {
    let mut v = Violations::new();
    let year = required_year(&mut v, "coverage_year", coverage_year);
    let more = more(&mut v, year);
    v.into_result()?;
    Ok((year, more))
}

/// Cuts `rows`, read one past `size`, to `size`: whether any were cut.
fn truncate_to<T>(rows: &mut Vec<T>, size: u64) -> bool {
    let truncated = rows.len() as u64 > size;
    rows.truncate(size as usize);
    truncated
}

/// ListInstitutions: designated institutions in code order.
pub(super) async fn list_institutions(
    api: &HealthApi,
    req: ListInstitutionsRequest,
) -> Result<ListInstitutionsResponse, ApiError> {
    let mut v = Violations::new();
    let page = Page::read(
        &mut v,
        req.page_size,
        &req.page_token,
        "institutions".into(),
    );
    v.into_result()?;
    let after = page.after.as_deref();
    let rows = store::list_institutions(api.db.conn(), after, page.fetch()).await?;
    let institutions = rows.into_iter().map(institution_to_pb).collect();
    Ok(page.answer(institutions, |i: &Institution| &i.code))
}

/// GetPersonYear: the enrolment, every case and the totals of a person-year.
pub(super) async fn get_person_year(
    api: &HealthApi,
    req: GetPersonYearRequest,
) -> Result<GetPersonYearResponse, ApiError> {
    let mut v = Violations::new();
    let resident = v
        .check(
            "resident_id",
            ResidentId::parse(&req.resident_id, clock::today()),
        )
        .map(|r| r.as_str().to_string());
    let year = required_year(&mut v, "coverage_year", req.coverage_year);
    v.into_result()?;
    let resident = resident.unwrap_or_default();
    let conn = api.db.conn();
    let not_found = || {
        ApiError::not_found(
            "enrolment",
            format!("{} for coverage year {year}", mask(&resident)),
        )
    };
    let Some(enrolment) = store::get_enrolment(conn, api.enrolments(), &resident, year).await?
    else {
        return Err(not_found());
    };
    let Some(py) = store::get_person_year(conn, api.person_years(), &resident, year).await? else {
        return Err(not_found());
    };
    let rows = store::person_year_cases(conn, &resident, year).await?;
    // Every case of the person-year is here, its reversals too: no query needed.
    let reversed: HashSet<i64> = rows
        .iter()
        .filter(|r| r.kind == KIND_REVERSAL)
        .map(|r| r.reverses_id)
        .collect();
    Ok(GetPersonYearResponse {
        enrolment: Some(enrolment_to_pb(&enrolment)),
        cases: case_records(&rows, &reversed),
        totals: Some(totals_to_pb(&py, api.cap_for(year))),
    })
}

/// ListCases: settlements and reversals in case-id order.
pub(super) async fn list_cases(
    api: &HealthApi,
    req: ListCasesRequest,
) -> Result<ListCasesResponse, ApiError> {
    let mut v = Violations::new();
    let resident_id = if req.resident_id.is_empty() {
        String::new()
    } else {
        v.check(
            "resident_id",
            ResidentId::parse(&req.resident_id, clock::today()),
        )
        .map(|r| r.as_str().to_string())
        .unwrap_or_default()
    };
    if req.coverage_year != 0 {
        required_year(&mut v, "coverage_year", req.coverage_year);
    }
    let filter = CaseFilter {
        region_prefix: optional_prefix(&mut v, "region_prefix", &req.region_prefix),
        coverage_year: req.coverage_year,
        resident_id,
        non_one_stop_only: false,
    };
    let page = Page::read(&mut v, req.page_size, &req.page_token, filter.fingerprint());
    let after = page.after_parsed(&mut v, |s| s.parse::<i64>().ok());
    v.into_result()?;
    let conn = api.db.conn();
    let mut rows = store::list_cases(conn, &filter, after.unwrap_or(0), page.fetch()).await?;
    // Cut before the reversals are looked up, so only the page's cases are asked about.
    let next_page_token = page.cut(&mut rows, |r| r.id.to_string());
    let cases = with_reversals(conn, &rows).await?;
    Ok(ListCasesResponse::page(cases, next_page_token))
}

/// ListExceptions: people over the cap, and cases settled without one-stop settlement.
pub(super) async fn list_exceptions(
    api: &HealthApi,
    req: ListExceptionsRequest,
) -> Result<ListExceptionsResponse, ApiError> {
    let (year, (prefix, size)) = check_year_read(req.coverage_year, |v, _| {
        let prefix = optional_prefix(v, "region_prefix", &req.region_prefix);
        let size = v.check("page_size", paging::page_size(req.page_size));
        (prefix, size.unwrap_or(paging::DEFAULT_PAGE_SIZE))
    })?;
    let cap = api.cap_for(year);
    let conn = api.db.conn();
    let mut over = store::persons_over_cap(conn, year, &prefix, cap, size + 1).await?;
    let persons_truncated = truncate_to(&mut over, size);
    let filter = CaseFilter {
        region_prefix: prefix,
        coverage_year: year,
        resident_id: String::new(),
        non_one_stop_only: true,
    };
    let mut cases = store::list_cases(conn, &filter, 0, size + 1).await?;
    let cases_truncated = truncate_to(&mut cases, size);
    Ok(ListExceptionsResponse {
        persons_over_cap: over
            .into_iter()
            .map(|p| PersonOverCap {
                resident_id: p.resident_id,
                village_code: p.village_code,
                registered_poor: p.registered_poor,
                personal_in_policy_fen: p.personal_in_policy_fen,
                in_county_personal_fen: p.in_county_personal_fen,
                annual_personal_cap_fen: cap,
            })
            .collect(),
        non_one_stop_cases: with_reversals(conn, &cases).await?,
        persons_truncated,
        cases_truncated,
    })
}

/// ListPersonPayments: person-years paying more than a floor, in resident-id order.
pub(super) async fn list_person_payments(
    api: &HealthApi,
    req: ListPersonPaymentsRequest,
) -> Result<ListPersonPaymentsResponse, ApiError> {
    let (year, (prefix, page)) = check_year_read(req.coverage_year, |v, year| {
        let prefix = required_prefix(v, &req.region_prefix)
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        if req.min_personal_total_fen < 0 {
            v.add(
                "min_personal_total_fen",
                format!("must not be negative, got {}", req.min_personal_total_fen),
            );
        }
        let filter = format!(
            "payments;y={year};r={prefix};m={}",
            req.min_personal_total_fen
        );
        (
            prefix,
            Page::read(v, req.page_size, &req.page_token, filter),
        )
    })?;
    let rows = store::persons_paying(
        api.db.conn(),
        year,
        &prefix,
        req.min_personal_total_fen,
        page.after.as_deref(),
        page.fetch(),
    )
    .await?;
    let people = rows
        .into_iter()
        .map(|r| PersonPayment {
            resident_id: r.resident_id,
            village_code: r.village_code,
            personal_total_fen: r.personal_total_fen,
            personal_in_policy_fen: r.personal_in_policy_fen,
            cases: r.cases,
        })
        .collect();
    Ok(page.answer(people, |p: &PersonPayment| &p.resident_id))
}

/// Where SummarizeByRegion's figures come from: the rollups when they are kept and judge
/// "over the cap" by the caps of the book this service judges by (every year's, so the
/// request's year's too), else the rows. No figure compares a date, so the floor never
/// sends it to the rows.
async fn summary_source(api: &HealthApi) -> Result<Source, ApiError> {
    let baked = api
        .db
        .rollups()
        .is_some_and(|r| OverCap::of_book(&api.policy).baked_in(r.defs()));
    if !baked {
        return Ok(Source::Rows);
    }
    api.db.summary_source(&[]).await
}

/// SummarizeByRegion: counts and sums per region, in SQL, all from the rollups or all from
/// the rows (see [`summary_source`]).
pub(super) async fn summarize(
    api: &HealthApi,
    req: SummarizeByRegionRequest,
) -> Result<SummarizeByRegionResponse, ApiError> {
    let (scope, year) = check_summary(&req.region_prefix, req.group_by, |v| {
        required_year(v, "coverage_year", req.coverage_year)
    })?;
    let prefix = scope.prefix.as_str();
    let year = if req.latest_enrolled_year {
        summary::latest_enrolled_year(api.db.conn(), prefix, year)
            .await?
            .unwrap_or(year)
    } else {
        year
    };
    let q = summary::SummaryQuery {
        prefix: prefix.to_string(),
        group_len: scope.group_len,
        year,
        cap_fen: api.cap_for(year),
    };
    let source = summary_source(api).await?;
    let groups = summary::summarize(api.db.conn(), &q, source).await?;
    let total = summary::total(prefix, &groups);
    let institutions = summary::institutions(api.db.conn()).await?;
    Ok(SummarizeByRegionResponse {
        groups,
        total: Some(total),
        institutions: Some(institutions),
        coverage_year: year,
    })
}
