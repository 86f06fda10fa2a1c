//! The tonic service: request validation, the parallel fan-outs, the household file, and
//! the snapshot store. Rules live in [`crate::domain`] and [`crate::risk`]; calls in
//! [`crate::upstream`]; the ListAtRiskHouseholds walk in [`at_risk`].

mod at_risk;
mod summary;

use std::time::Duration;

use chrono::{Datelike, NaiveDate, SubsecRound, Utc};
use futures::future::join_all;
use prost::Message;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tonic::{Code, Request, Response, Status};
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::aggregator::v1::aggregator_service_server::AggregatorService;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_contracts::types::{HouseholdId, RegionPrefix};
use xk_runtime::Db;
use xk_runtime::errors::{Violations, already_exists, db_status, invalid, not_found};
use xk_runtime::idempotency::{Idempotent, principal_of};
use xk_runtime::layers::{REQUEST_ID_HEADER, RequestId, parse_grpc_timeout};
use xk_runtime::paging;

use crate::domain::{self, SummaryKey};
use crate::store::snapshot;
use crate::upstream::{CallCtx, Clients};

/// Largest upstream answer accepted: a village-level summary of a province is large.
const MAX_UPSTREAM_MESSAGE: usize = 64 * 1024 * 1024;

/// Today in China (UTC+8): the day the county's officials mean by "today".
fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// The aggregator service.
#[derive(Clone)]
pub struct AggregatorApi {
    /// The aggregator's own database (snapshots, idempotency, audit).
    db: Db,
    /// The five services.
    clients: Clients,
    /// The poverty line per year for CheckExitEligibility: the registry's own embedded
    /// policy book, so both agree on the line without a cross-service call.
    exit_policy:
        std::sync::Arc<xk_runtime::policy::PolicyBook<xk_registry::policy::RegistryPolicy>>,
    /// The monitoring triggers per year for ListAtRiskHouseholds (the aggregator's own
    /// `policy.toml`, or `--policy-file`).
    risk_policy: std::sync::Arc<xk_runtime::policy::PolicyBook<crate::policy::RiskPolicy>>,
}

/// The upstream budget of an incoming call: its `grpc-timeout` (or the default) minus the
/// margin; DEADLINE_EXCEEDED when nothing useful is left.
fn budget<T>(req: &Request<T>, default: Duration) -> Result<Duration, Status> {
    let incoming = req
        .metadata()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout);
    domain::call_budget(incoming, default)
        .ok_or_else(|| Status::deadline_exceeded("the deadline leaves no time to ask the services"))
}

/// The incoming call's request id (set by the runtime's trace layer), to send upstream.
fn request_id<T>(req: &Request<T>) -> Option<String> {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .or_else(|| {
            req.metadata()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
}

fn group_by(v: i32, field: &str, violations: &mut Violations) -> i32 {
    match RegionLevel::try_from(v) {
        Ok(RegionLevel::Unspecified) => RegionLevel::Township as i32,
        Ok(l) => l as i32,
        Err(_) => {
            violations.add(field, format!("unknown region level {v}"));
            0
        }
    }
}

/// Whether a status means "the service has nothing for this id".
fn is_absent(s: &Status) -> bool {
    s.code() == Code::NotFound
}

impl AggregatorApi {
    /// The service over `db`, calling the services through `clients`.
    pub fn new(
        db: Db,
        clients: Clients,
        risk_policy: xk_runtime::policy::PolicyBook<crate::policy::RiskPolicy>,
    ) -> anyhow::Result<Self> {
        let exit_policy = std::sync::Arc::new(xk_registry::policy::load(None)?);
        Ok(Self {
            db,
            clients,
            exit_policy,
            risk_policy: std::sync::Arc::new(risk_policy),
        })
    }

    fn ctx<T>(&self, req: &Request<T>) -> Result<CallCtx, Status> {
        let b = budget(req, self.clients.default_deadline)?;
        Ok(self.clients.context(b, request_id(req)))
    }

    /// The household file: registry plus the household-keyed reads in parallel, then the
    /// member-keyed reads (education, health) in parallel once the members are known.
    async fn household_file(
        &self,
        ctx: &CallCtx,
        id: &str,
        year: i32,
    ) -> Result<HouseholdFile, Status> {
        let c = &self.clients;
        let (rc, oc1, oc2, wc) = (
            c.registry.clone(),
            c.housing.clone(),
            c.housing.clone(),
            c.water.clone(),
        );
        let reg = ctx.read(
            registry::v1::GetHouseholdRequest {
                household_id: id.to_string(),
            },
            move |r| {
                let mut cl = RegistryServiceClient::new(rc.clone());
                async move { cl.get_household(r).await }
            },
        );
        let reloc = ctx.read(
            housing::v1::GetRelocationRequest {
                household_id: id.to_string(),
            },
            move |r| {
                let mut cl = HousingServiceClient::new(oc1.clone());
                async move { cl.get_relocation(r).await }
            },
        );
        let appr = ctx.read(
            housing::v1::GetAppraisalRequest {
                household_id: id.to_string(),
            },
            move |r| {
                let mut cl = HousingServiceClient::new(oc2.clone());
                async move { cl.get_appraisal(r).await }
            },
        );
        let wat = ctx.read(
            water::v1::GetHouseholdWaterRequest {
                household_id: id.to_string(),
            },
            move |r| {
                let mut cl = WaterServiceClient::new(wc.clone());
                async move { cl.get_household_water(r).await }
            },
        );
        let (reg, reloc, appr, wat) = tokio::join!(reg, reloc, appr, wat);

        let housing = match (reloc, appr) {
            (Err(s), _) | (_, Err(s)) if !is_absent(&s) => HousingFile {
                status: Some(domain::unavailable("housing", &s)),
                ..Default::default()
            },
            (r, a) => HousingFile {
                status: Some(domain::available()),
                relocation: r.ok().and_then(|r| r.relocation),
                appraisal: a.ok().and_then(|a| a.appraisal),
            },
        };
        let water = match wat {
            Ok(w) => WaterFile {
                status: Some(domain::available()),
                water: Some(w),
            },
            Err(s) if is_absent(&s) => WaterFile {
                status: Some(domain::available()),
                water: None,
            },
            Err(s) => WaterFile {
                status: Some(domain::unavailable("water", &s)),
                water: None,
            },
        };

        let household = match reg {
            Ok(r) => r.household,
            Err(s) if is_absent(&s) => return Err(not_found("household", id)),
            Err(s) => {
                // Without the member list the member-keyed sections cannot be asked for.
                let why = Status::new(
                    s.code(),
                    "the registry's member list is needed to ask for the members",
                );
                return Ok(HouseholdFile {
                    household_id: id.to_string(),
                    registry: Some(RegistryFile {
                        status: Some(domain::unavailable("registry", &s)),
                        household: None,
                    }),
                    education: Some(EducationFile {
                        status: Some(domain::unavailable("education", &why)),
                        students: vec![],
                    }),
                    health: Some(HealthFile {
                        status: Some(domain::unavailable("health", &why)),
                        people: vec![],
                    }),
                    housing: Some(housing),
                    water: Some(water),
                    complete: false,
                });
            }
        };
        let members: Vec<String> = household
            .as_ref()
            .map(|h| {
                h.members
                    .iter()
                    .filter(|m| m.removed_on.is_none())
                    .map(|m| m.resident_id.clone())
                    .collect()
            })
            .unwrap_or_default();

        let students = join_all(members.iter().map(|rid| {
            let ec = c.education.clone();
            ctx.read(
                education::v1::GetStudentRequest {
                    resident_id: rid.clone(),
                },
                move |r| {
                    let mut cl = EducationServiceClient::new(ec.clone());
                    async move { cl.get_student(r).await }
                },
            )
        }));
        let people = join_all(members.iter().map(|rid| {
            let hc = c.health.clone();
            ctx.read(
                health::v1::GetPersonYearRequest {
                    resident_id: rid.clone(),
                    coverage_year: year,
                },
                move |r| {
                    let mut cl = HealthInsuranceServiceClient::new(hc.clone());
                    async move { cl.get_person_year(r).await }
                },
            )
        }));
        let (students, people) = tokio::join!(students, people);

        let mut education = EducationFile {
            status: Some(domain::available()),
            students: vec![],
        };
        for s in students {
            match s {
                Ok(s) => education.students.push(s),
                Err(s) if is_absent(&s) => {}
                Err(s) => {
                    education = EducationFile {
                        status: Some(domain::unavailable("education", &s)),
                        students: vec![],
                    };
                    break;
                }
            }
        }
        let mut health = HealthFile {
            status: Some(domain::available()),
            people: vec![],
        };
        for (rid, p) in members.iter().zip(people) {
            match p {
                Ok(py) => health.people.push(PersonHealth {
                    resident_id: rid.clone(),
                    enrolled: true,
                    person_year: Some(py),
                }),
                Err(s) if is_absent(&s) => health.people.push(PersonHealth {
                    resident_id: rid.clone(),
                    enrolled: false,
                    person_year: None,
                }),
                Err(s) => {
                    health = HealthFile {
                        status: Some(domain::unavailable("health", &s)),
                        people: vec![],
                    };
                    break;
                }
            }
        }
        let complete = [
            &education.status,
            &health.status,
            &housing.status,
            &water.status,
        ]
        .into_iter()
        .all(domain::is_available);
        Ok(HouseholdFile {
            household_id: id.to_string(),
            registry: Some(RegistryFile {
                status: Some(domain::available()),
                household,
            }),
            education: Some(education),
            health: Some(health),
            housing: Some(housing),
            water: Some(water),
            complete,
        })
    }
}

fn to_snapshot(m: snapshot::Model) -> Result<Snapshot, Status> {
    let summary = Summary::decode(m.summary.as_slice()).map_err(|e| {
        tracing::error!(error = %e, snapshot = %m.snapshot_id, "stored snapshot does not decode");
        Status::internal("a stored snapshot is unreadable; the operators have the details")
    })?;
    Ok(Snapshot {
        snapshot_id: m.snapshot_id,
        month: m.month,
        region_prefix: m.region_prefix,
        summary: Some(summary),
        taken_by: m.taken_by,
        taken_at: m.taken_at.to_rfc3339(),
    })
}

#[tonic::async_trait]
impl AggregatorService for AggregatorApi {
    type ListAtRiskHouseholdsStream = at_risk::AtRiskStream;

    async fn list_at_risk_households(
        &self,
        req: Request<ListAtRiskHouseholdsRequest>,
    ) -> Result<Response<Self::ListAtRiskHouseholdsStream>, Status> {
        self.list_at_risk_impl(req).await.map(Response::new)
    }

    async fn get_summary(
        &self,
        req: Request<GetSummaryRequest>,
    ) -> Result<Response<GetSummaryResponse>, Status> {
        let ctx = self.ctx(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        let prefix = v.check("region_prefix", RegionPrefix::parse(&r.region_prefix));
        let as_of = match &r.as_of {
            Some(d) => v.check("as_of", date_from_pb(d)),
            None => Some(today()),
        };
        if r.year != 0 && !(2000..=2100).contains(&r.year) {
            v.add("year", format!("must be 0 or 2000-2100, got {}", r.year));
        }
        let group_by = group_by(r.group_by, "group_by", &mut v);
        v.into_result()?;
        let (Some(prefix), Some(as_of)) = (prefix, as_of) else {
            return Err(invalid("region_prefix", "invalid"));
        };
        let key = SummaryKey {
            region_prefix: prefix.as_str().to_string(),
            group_by,
            as_of,
            year: if r.year == 0 { as_of.year() } else { r.year },
            latest_year_with_data: r.year == 0 && r.latest_year_with_data,
        };
        let summary = self.summary(&ctx, &key).await;
        Ok(Response::new(GetSummaryResponse {
            summary: Some(summary),
        }))
    }

    async fn get_household_file(
        &self,
        req: Request<GetHouseholdFileRequest>,
    ) -> Result<Response<GetHouseholdFileResponse>, Status> {
        let ctx = self.ctx(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        let id = v.check("household_id", HouseholdId::parse(&r.household_id));
        if r.year != 0 && !(2000..=2100).contains(&r.year) {
            v.add("year", format!("must be 0 or 2000-2100, got {}", r.year));
        }
        v.into_result()?;
        let Some(id) = id else {
            return Err(invalid("household_id", "invalid"));
        };
        let year = if r.year == 0 { today().year() } else { r.year };
        let file = self.household_file(&ctx, id.as_str(), year).await?;
        if !file.complete {
            tracing::warn!(
                household = %domain::mask_household(id.as_str()),
                "household file served partially"
            );
        }
        Ok(Response::new(GetHouseholdFileResponse { file: Some(file) }))
    }

    async fn take_snapshot(
        &self,
        req: Request<TakeSnapshotRequest>,
    ) -> Result<Response<TakeSnapshotResponse>, Status> {
        let principal = principal_of(&req)?;
        let ctx = self.ctx(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        let first = v.check("month", domain::parse_month(&r.month));
        let as_of = first.and_then(|f| v.check("month", domain::snapshot_as_of(f, today())));
        let prefix = v.check("region_prefix", RegionPrefix::parse(&r.region_prefix));
        let group_by = group_by(r.group_by, "group_by", &mut v);
        v.into_result()?;
        let (Some(as_of), Some(prefix)) = (as_of, prefix) else {
            return Err(invalid("month", "invalid"));
        };
        let idem = Idempotent::new(principal, "TakeSnapshot", &r.request_id, "request_id", &r)?;

        // A retry is answered from the store before asking any service.
        {
            let txn = self.db.begin_write().await?;
            if let Some(first) = idem.begin::<TakeSnapshotResponse>(&txn).await? {
                return Ok(Response::new(first));
            }
            // Dropped without commit: the claim is rolled back; it is made for real below.
        }

        let id = domain::snapshot_id(&r.month, prefix.as_str());
        let key = SummaryKey {
            region_prefix: prefix.as_str().to_string(),
            group_by,
            as_of,
            year: as_of.year(),
            latest_year_with_data: false,
        };
        let summary = self.summary(&ctx, &key).await;
        if !summary.complete {
            let missing: Vec<String> = [
                summary.registry.as_ref().and_then(|s| s.status.clone()),
                summary.education.as_ref().and_then(|s| s.status.clone()),
                summary.health.as_ref().and_then(|s| s.status.clone()),
                summary.housing.as_ref().and_then(|s| s.status.clone()),
                summary.water.as_ref().and_then(|s| s.status.clone()),
            ]
            .into_iter()
            .flatten()
            .filter(|s| s.state != SectionState::Available as i32)
            .map(|s| s.message)
            .collect();
            return Err(Status::unavailable(format!(
                "snapshot not stored: a month's record must be complete; unavailable: {}; retry later",
                missing.join("; ")
            )));
        }

        let txn = self.db.begin_write().await?;
        if let Some(first) = idem.begin::<TakeSnapshotResponse>(&txn).await? {
            return Ok(Response::new(first));
        }
        let existing = snapshot::Entity::find_by_id(id.clone())
            .one(&*txn)
            .await
            .map_err(db_status)?;
        if existing.is_some() {
            return Err(already_exists(
                "snapshot",
                &id,
                "a month's snapshot is taken once; read it with GetSnapshot",
            ));
        }
        // Microseconds: what PostgreSQL keeps, so the first answer and a later read agree.
        let now = Utc::now().trunc_subsecs(6);
        let model = snapshot::Model {
            snapshot_id: id.clone(),
            month: r.month.clone(),
            region_prefix: prefix.as_str().to_string(),
            summary: summary.encode_to_vec(),
            taken_by: principal.name().to_string(),
            taken_at: now,
        };
        snapshot::Entity::insert(snapshot::ActiveModel {
            snapshot_id: Set(model.snapshot_id.clone()),
            month: Set(model.month.clone()),
            region_prefix: Set(model.region_prefix.clone()),
            summary: Set(model.summary.clone()),
            taken_by: Set(model.taken_by.clone()),
            taken_at: Set(model.taken_at),
        })
        .exec_without_returning(&*txn)
        .await
        .map_err(db_status)?;
        let resp = TakeSnapshotResponse {
            snapshot: Some(to_snapshot(model)?),
        };
        idem.finish(&txn, &resp, &id, "snapshot stored").await?;
        txn.commit().await?;
        Ok(Response::new(resp))
    }

    async fn list_snapshots(
        &self,
        req: Request<ListSnapshotsRequest>,
    ) -> Result<Response<ListSnapshotsResponse>, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        if !r.region_prefix.is_empty() {
            v.check("region_prefix", RegionPrefix::parse(&r.region_prefix));
        }
        let size = v.check("page_size", paging::page_size(r.page_size));
        let filter = format!("prefix={}", r.region_prefix);
        let after = v
            .check("page_token", paging::decode_token(&r.page_token, &filter))
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let mut q = snapshot::Entity::find();
        if !r.region_prefix.is_empty() {
            q = q.filter(snapshot::Column::RegionPrefix.starts_with(&r.region_prefix));
        }
        if let Some(after) = after {
            q = q.filter(snapshot::Column::SnapshotId.gt(after));
        }
        let mut rows = q
            .order_by_asc(snapshot::Column::SnapshotId)
            .limit(size + 1)
            .all(self.db.conn())
            .await
            .map_err(db_status)?;
        let next_page_token = if rows.len() as u64 > size {
            rows.truncate(size as usize);
            rows.last()
                .map(|m| paging::encode_token(&filter, &m.snapshot_id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let snapshots = rows
            .into_iter()
            .map(to_snapshot)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Response::new(ListSnapshotsResponse {
            snapshots,
            next_page_token,
        }))
    }

    async fn check_exit_eligibility(
        &self,
        req: Request<CheckExitEligibilityRequest>,
    ) -> Result<Response<CheckExitEligibilityResponse>, Status> {
        let ctx = self.ctx(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        let id = v.check("household_id", HouseholdId::parse(&r.household_id));
        if r.year != 0 && !(2000..=2100).contains(&r.year) {
            v.add("year", format!("must be 0 or 2000-2100, got {}", r.year));
        }
        v.into_result()?;
        let Some(id) = id else {
            return Err(invalid("household_id", "invalid"));
        };
        let year = if r.year == 0 { today().year() } else { r.year };
        let file = self.household_file(&ctx, id.as_str(), year).await?;
        let line = self.exit_policy.require(year, "year")?.poverty_line_fen;
        let criteria = domain::exit_criteria(&file, year, line);
        let eligible = criteria
            .iter()
            .all(|c| c.result == CriterionResult::Met as i32);
        Ok(Response::new(CheckExitEligibilityResponse {
            eligible,
            criteria,
            poverty_line_fen: line,
        }))
    }

    async fn get_snapshot(
        &self,
        req: Request<GetSnapshotRequest>,
    ) -> Result<Response<GetSnapshotResponse>, Status> {
        let id = req.into_inner().snapshot_id;
        if id.is_empty() || id.len() > 32 {
            return Err(invalid(
                "snapshot_id",
                "must be <YYYY-MM>/<region prefix>, as TakeSnapshot returned",
            ));
        }
        let row = snapshot::Entity::find_by_id(id.clone())
            .one(self.db.conn())
            .await
            .map_err(db_status)?
            .ok_or_else(|| not_found("snapshot", &id))?;
        Ok(Response::new(GetSnapshotResponse {
            snapshot: Some(to_snapshot(row)?),
        }))
    }
}
