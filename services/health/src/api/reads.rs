//! Read RPCs: ListInstitutions, GetPersonYear, ListCases, ListExceptions,
//! ListPersonPayments, SummarizeByRegion.

use tonic::Status;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::health::v1::*;
use xk_contracts::types::{RegionPrefix, ResidentId};
use xk_runtime::Violations;
use xk_runtime::errors::invalid;
use xk_runtime::paging;

use super::{HealthApi, case_to_pb, enrolment_to_pb, institution_to_pb, today, totals_to_pb};
use crate::error::HealthError;
use crate::store::{self, CaseFilter, KIND_REVERSAL, mask, summary};

/// An optional region prefix: empty means everything.
fn optional_prefix(v: &mut Violations, field: &str, s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    v.check(field, RegionPrefix::parse(s))
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
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

impl HealthApi {
    /// The cap of a coverage year (0 when no policy covers it, so nobody counts as over).
    fn cap_for(&self, year: i32) -> i64 {
        self.policy_for(year)
            .map_or(0, |p| p.supplementary.annual_personal_cap_fen)
    }

    pub(super) async fn list_institutions_impl(
        &self,
        req: ListInstitutionsRequest,
    ) -> Result<ListInstitutionsResponse, Status> {
        let fingerprint = "institutions";
        let mut v = Violations::new();
        let size = v.check("page_size", paging::page_size(req.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&req.page_token, fingerprint),
            )
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let mut rows = store::list_institutions(self.db.conn(), after.as_deref(), size + 1).await?;
        let next_page_token = if rows.len() as u64 > size {
            rows.truncate(size as usize);
            rows.last()
                .map(|r| paging::encode_token(fingerprint, &r.code))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListInstitutionsResponse {
            institutions: rows.into_iter().map(institution_to_pb).collect(),
            next_page_token,
        })
    }

    pub(super) async fn get_person_year_impl(
        &self,
        req: GetPersonYearRequest,
    ) -> Result<GetPersonYearResponse, Status> {
        let mut v = Violations::new();
        let resident = v
            .check("resident_id", ResidentId::parse(&req.resident_id, today()))
            .map(|r| r.as_str().to_string());
        let year = required_year(&mut v, "coverage_year", req.coverage_year);
        v.into_result()?;
        let resident = resident.unwrap_or_default();
        let conn = self.db.conn();
        let not_found = || HealthError::NotFound {
            what: "enrolment",
            name: format!("{} for coverage year {year}", mask(&resident)),
        };
        let Some(enrolment) = store::get_enrolment(conn, &resident, year).await? else {
            return Err(not_found().into());
        };
        let Some(py) = store::get_person_year(conn, &resident, year).await? else {
            return Err(not_found().into());
        };
        let rows = store::person_year_cases(conn, &resident, year).await?;
        let reversed: std::collections::HashSet<i64> = rows
            .iter()
            .filter(|r| r.kind == KIND_REVERSAL)
            .map(|r| r.reverses_id)
            .collect();
        Ok(GetPersonYearResponse {
            enrolment: Some(enrolment_to_pb(&enrolment)),
            cases: rows
                .iter()
                .map(|r| case_to_pb(r, reversed.contains(&r.id)))
                .collect(),
            totals: Some(totals_to_pb(&py, self.cap_for(year))),
        })
    }

    pub(super) async fn list_cases_impl(
        &self,
        req: ListCasesRequest,
    ) -> Result<ListCasesResponse, Status> {
        let mut v = Violations::new();
        let resident_id = if req.resident_id.is_empty() {
            String::new()
        } else {
            v.check("resident_id", ResidentId::parse(&req.resident_id, today()))
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
        let size = v.check("page_size", paging::page_size(req.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&req.page_token, &filter.fingerprint()),
            )
            .flatten();
        let after = match after {
            None => Some(0),
            Some(s) => v.check(
                "page_token",
                s.parse::<i64>()
                    .map_err(|_| "not a token this service issued"),
            ),
        };
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let conn = self.db.conn();
        let mut rows = store::list_cases(conn, &filter, after.unwrap_or(0), size + 1).await?;
        let next_page_token = if rows.len() as u64 > size {
            rows.truncate(size as usize);
            rows.last()
                .map(|r| paging::encode_token(&filter.fingerprint(), &r.id.to_string()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let reversed = store::reversed_among(conn, &ids).await?;
        Ok(ListCasesResponse {
            cases: rows
                .iter()
                .map(|r| case_to_pb(r, reversed.contains(&r.id)))
                .collect(),
            next_page_token,
        })
    }

    pub(super) async fn list_exceptions_impl(
        &self,
        req: ListExceptionsRequest,
    ) -> Result<ListExceptionsResponse, Status> {
        let mut v = Violations::new();
        let year = required_year(&mut v, "coverage_year", req.coverage_year);
        let prefix = optional_prefix(&mut v, "region_prefix", &req.region_prefix);
        let size = v.check("page_size", paging::page_size(req.page_size));
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let cap = self.cap_for(year);
        let conn = self.db.conn();
        let mut over = store::persons_over_cap(conn, year, &prefix, cap, size + 1).await?;
        let persons_truncated = over.len() as u64 > size;
        over.truncate(size as usize);
        let filter = CaseFilter {
            region_prefix: prefix,
            coverage_year: year,
            resident_id: String::new(),
            non_one_stop_only: true,
        };
        let mut cases = store::list_cases(conn, &filter, 0, size + 1).await?;
        let cases_truncated = cases.len() as u64 > size;
        cases.truncate(size as usize);
        let ids: Vec<i64> = cases.iter().map(|r| r.id).collect();
        let reversed = store::reversed_among(conn, &ids).await?;
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
            non_one_stop_cases: cases
                .iter()
                .map(|r| case_to_pb(r, reversed.contains(&r.id)))
                .collect(),
            persons_truncated,
            cases_truncated,
        })
    }

    pub(super) async fn list_person_payments_impl(
        &self,
        req: ListPersonPaymentsRequest,
    ) -> Result<ListPersonPaymentsResponse, Status> {
        let mut v = Violations::new();
        let year = required_year(&mut v, "coverage_year", req.coverage_year);
        let prefix = if req.region_prefix.is_empty() {
            v.add(
                "region_prefix",
                "required: a 6-, 9- or 12-digit region prefix",
            );
            String::new()
        } else {
            optional_prefix(&mut v, "region_prefix", &req.region_prefix)
        };
        if req.min_personal_total_fen < 0 {
            v.add(
                "min_personal_total_fen",
                format!("must not be negative, got {}", req.min_personal_total_fen),
            );
        }
        let size = v.check("page_size", paging::page_size(req.page_size));
        let filter = format!(
            "payments;y={year};r={prefix};m={}",
            req.min_personal_total_fen
        );
        let after = v
            .check("page_token", paging::decode_token(&req.page_token, &filter))
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let mut rows = store::persons_paying(
            self.db.conn(),
            year,
            &prefix,
            req.min_personal_total_fen,
            after.as_deref(),
            size + 1,
        )
        .await?;
        let next_page_token = if rows.len() as u64 > size {
            rows.truncate(size as usize);
            rows.last()
                .map(|r| paging::encode_token(&filter, &r.resident_id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListPersonPaymentsResponse {
            people: rows
                .into_iter()
                .map(|r| PersonPayment {
                    resident_id: r.resident_id,
                    village_code: r.village_code,
                    personal_total_fen: r.personal_total_fen,
                    personal_in_policy_fen: r.personal_in_policy_fen,
                    cases: r.cases,
                })
                .collect(),
            next_page_token,
        })
    }

    pub(super) async fn summarize_impl(
        &self,
        req: SummarizeByRegionRequest,
    ) -> Result<SummarizeByRegionResponse, Status> {
        let mut v = Violations::new();
        let prefix = if req.region_prefix.is_empty() {
            v.add(
                "region_prefix",
                "required: a 6-, 9- or 12-digit region prefix",
            );
            None
        } else {
            v.check("region_prefix", RegionPrefix::parse(&req.region_prefix))
        };
        let group_len = match RegionLevel::try_from(req.group_by) {
            Ok(RegionLevel::Unspecified | RegionLevel::Township) => 9,
            Ok(RegionLevel::County) => 6,
            Ok(RegionLevel::Village) => 12,
            Err(_) => {
                v.add("group_by", format!("unknown region level {}", req.group_by));
                9
            }
        };
        let year = required_year(&mut v, "coverage_year", req.coverage_year);
        v.into_result()?;
        let Some(prefix) = prefix else {
            return Err(invalid("region_prefix", "could not be read"));
        };
        let year = if req.latest_enrolled_year {
            summary::latest_enrolled_year(self.db.conn(), prefix.as_str(), year)
                .await?
                .unwrap_or(year)
        } else {
            year
        };
        let q = summary::SummaryQuery {
            prefix: prefix.as_str().to_string(),
            group_len: group_len.max(prefix.as_str().len()),
            year,
            cap_fen: self.cap_for(year),
        };
        let groups = summary::summarize(self.db.conn(), &q).await?;
        let total = summary::total(prefix.as_str(), &groups);
        let institutions = summary::institutions(self.db.conn()).await?;
        Ok(SummarizeByRegionResponse {
            groups,
            total: Some(total),
            institutions: Some(institutions),
            coverage_year: year,
        })
    }
}
