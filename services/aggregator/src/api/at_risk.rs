//! ListAtRiskHouseholds: the village-by-village walk. For each village under the prefix
//! (the registry's village groups, in code order) it reads the village's households from
//! the registry and, in parallel, the village's disaster expenses (registry) and signals
//! from health, education (out-of-school students and schooling expenses), water and
//! housing (each a filtered, paged read), combines them with [`crate::risk`], sends the
//! at-risk households in batches, and drops the village before reading the next.
//!
//! Memory: the village list of one county (a few hundred codes), one village's
//! households and signals, and one batch — never the region's records at once.

use std::collections::BTreeMap;
use std::pin::Pin;

use chrono::{Datelike, NaiveDate};
use futures::Stream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tonic::{Request, Status};
use tracing::Instrument;
use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::registry;
use xk_contracts::types::RegionPrefix;
use xk_runtime::errors::{Violations, invalid};
use xk_runtime::paging;

use super::state::{AggregatorApi, check_year, incoming_deadline, request_id, today};
use crate::domain::deadline::MIN_CALL_BUDGET;
use crate::domain::section::unavailable;
use crate::policy::RiskPolicy;
use crate::risk::{self, Signals, Source};
use crate::upstream::{CallCtx, RegistryClient};
use signals::Village;

mod signals;

/// The server-streaming type of ListAtRiskHouseholds.
pub type AtRiskStream =
    Pin<Box<dyn Stream<Item = Result<ListAtRiskHouseholdsResponse, Status>> + Send>>;

/// Messages buffered between the walk and the client: the walk runs at most this far
/// ahead of a slow reader (backpressure bounds memory as well).
const STREAM_BUFFER: usize = 2;

/// A validated ListAtRiskHouseholds request.
#[derive(Debug, Clone)]
struct Walk {
    /// The region prefix walked.
    prefix: String,
    /// The income / coverage year.
    year: i32,
    /// Households per message.
    batch: usize,
    /// Continue after this (village, household).
    resume: Option<(String, String)>,
    /// The day housing exceptions are judged at.
    as_of: NaiveDate,
    /// The policy of `year`.
    policy: RiskPolicy,
    /// The token fingerprint: region and year.
    filter: String,
}

fn filter_of(prefix: &str, year: i32) -> String {
    format!("at-risk;r={prefix};y={year}")
}

/// Runs `f` unless `src` has failed earlier in this stream; records a new failure.
async fn guarded<T>(
    failed: &BTreeMap<Source, SectionStatus>,
    src: Source,
    f: impl std::future::Future<Output = Result<T, Status>>,
) -> Result<T, SectionStatus> {
    if let Some(s) = failed.get(&src) {
        return Err(s.clone());
    }
    f.await.map_err(|s| unavailable(src.name(), &s))
}

/// What the walk keeps between villages: the batch being filled and the failed sources.
struct Emitter {
    /// Where messages go.
    tx: mpsc::Sender<Result<ListAtRiskHouseholdsResponse, Status>>,
    /// The request.
    walk: Walk,
    /// Households not sent yet (fewer than a batch).
    pending: Vec<AtRiskHousehold>,
    /// The token of the last household sent (or the request's).
    token: String,
    /// Sources that failed in this stream, with why.
    failed: BTreeMap<Source, SectionStatus>,
}

impl Emitter {
    /// Sends one message of the pending households; `false` when the client went away.
    async fn send(&mut self, count: usize, done: bool) -> bool {
        let households: Vec<AtRiskHousehold> = self.pending.drain(..count).collect();
        if let Some(last) = households.last() {
            self.token = paging::encode_token(
                &self.walk.filter,
                &risk::resume_key(&last.village_code, &last.household_id),
            );
        }
        let msg = ListAtRiskHouseholdsResponse {
            households,
            unavailable: risk::unavailable_signals(&self.failed),
            resume_token: self.token.clone(),
            year: self.walk.year,
            monitoring_line_fen: self.walk.policy.monitoring_line_fen,
            done,
        };
        self.tx.send(Ok(msg)).await.is_ok()
    }

    /// Adds a village's households, sending every full batch.
    async fn push(&mut self, households: Vec<AtRiskHousehold>) -> bool {
        self.pending.extend(households);
        while self.pending.len() >= self.walk.batch {
            if !self.send(self.walk.batch, false).await {
                return false;
            }
        }
        true
    }

    /// Ends the stream with an error.
    async fn fail(&self, s: Status) {
        let _ = self.tx.send(Err(s)).await;
    }
}

impl AggregatorApi {
    fn validate_at_risk(&self, r: &ListAtRiskHouseholdsRequest) -> Result<Walk, Status> {
        let mut v = Violations::new();
        let prefix = v.check("region_prefix", RegionPrefix::parse(&r.region_prefix));
        check_year(r.year, &mut v);
        let batch = v.check("batch_size", paging::page_size(r.batch_size));
        let as_of = match &r.as_of {
            Some(d) => v.check("as_of", date_from_pb(d)),
            None => Some(today()),
        };
        let year = if r.year == 0 {
            today().year() - 1
        } else {
            r.year
        };
        let prefix_str = prefix
            .as_ref()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let filter = filter_of(&prefix_str, year);
        let resume = v
            .check(
                "resume_token",
                paging::decode_token(&r.resume_token, &filter),
            )
            .flatten()
            .and_then(|k| v.check("resume_token", risk::parse_resume_key(&k)));
        if let (Some(p), Some((village, _))) = (&prefix, &resume)
            && !village.starts_with(p.as_str())
        {
            v.add(
                "resume_token",
                "the token names a village outside region_prefix",
            );
        }
        v.into_result()?;
        let (Some(_), Some(batch), Some(as_of)) = (prefix, batch, as_of) else {
            return Err(invalid("region_prefix", "invalid"));
        };
        Ok(Walk {
            prefix: prefix_str,
            year,
            batch: batch as usize,
            resume,
            as_of,
            policy: *self.risk_policy.require(year, "year")?,
            filter,
        })
    }

    /// Validates, reads the village list (the registry must answer: it is the spine), and
    /// starts the walk; the stream carries its messages.
    pub(super) async fn list_at_risk_impl(
        &self,
        req: Request<ListAtRiskHouseholdsRequest>,
    ) -> Result<AtRiskStream, Status> {
        let incoming = incoming_deadline(&req);
        let rid = request_id(&req);
        let walk = self.validate_at_risk(req.get_ref())?;
        let budget = risk::stream_budget(incoming).map_err(Status::deadline_exceeded)?;
        let started = Instant::now();
        let end = budget.map(|b| started + b);
        let clients = self.clients.clone();
        let per_call = clients.default_deadline;
        // Each upstream call: the upstream budget, or what is left of the caller's if less.
        let ctx_now = move || -> Option<CallCtx> {
            let left = end.map_or(per_call, |e| {
                e.saturating_duration_since(Instant::now()).min(per_call)
            });
            (left >= MIN_CALL_BUDGET).then(|| clients.context(left, rid.clone()))
        };

        let ctx = ctx_now()
            .ok_or_else(|| Status::deadline_exceeded("no time left to ask the registry"))?;
        let villages = self.villages(&ctx, &walk).await?;

        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let token = if walk.resume.is_some() {
            req.get_ref().resume_token.clone()
        } else {
            String::new()
        };
        let mut em = Emitter {
            tx,
            walk,
            pending: Vec::new(),
            token,
            failed: BTreeMap::new(),
        };
        tokio::spawn(async move {
            for village in villages {
                if em.tx.is_closed() {
                    return; // the client went away between messages
                }
                let Some(ctx) = ctx_now() else {
                    em.fail(Status::deadline_exceeded(
                        "the caller's deadline ran out during the walk; resume with the last resume_token",
                    ))
                    .await;
                    return;
                };
                let found = match walk_village(&ctx, &mut em, &village).await {
                    Ok(found) => found,
                    Err(s) => {
                        tracing::warn!(village = %village, code = ?s.code(), "registry failed during the at-risk walk");
                        em.fail(Status::new(
                            s.code(),
                            format!(
                                "registry: {} (the walk stopped at village {village}; resume with the last resume_token)",
                                s.message()
                            ),
                        ))
                        .await;
                        return;
                    }
                };
                if !em.push(found).await {
                    return; // the client went away
                }
            }
            let rest = em.pending.len();
            let _ = em.send(rest, true).await;
        }
        // The walk's upstream calls stay in the caller's trace.
        .in_current_span());
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }

    /// The villages under the prefix that the registry has data for, in code order, from
    /// the resume village on.
    async fn villages(&self, ctx: &CallCtx, walk: &Walk) -> Result<Vec<String>, Status> {
        let r = ctx
            .call(
                registry::v1::SummarizeByRegionRequest {
                    region_prefix: walk.prefix.clone(),
                    group_by: RegionLevel::Village as i32,
                    year: walk.year,
                    baseline_year: 0,
                    as_of: Some(date_to_pb(walk.as_of)),
                },
                |mut c: RegistryClient, r| async move { c.summarize_by_region(r).await },
            )
            .await
            .map_err(|s| Status::new(s.code(), format!("registry: {}", s.message())))?;
        let from = walk.resume.as_ref().map(|(v, _)| v.as_str()).unwrap_or("");
        let mut codes: Vec<String> = r
            .groups
            .into_iter()
            .map(|g| g.region_code)
            .filter(|c| c.len() == 12 && c.as_str() >= from)
            .collect();
        codes.sort();
        codes.dedup();
        Ok(codes)
    }
}

/// One village: the registry's households and disaster expenses (an error here ends the
/// stream), then every source's signals in parallel (a failure marks the source
/// unavailable), combined.
async fn walk_village(
    ctx: &CallCtx,
    em: &mut Emitter,
    village: &str,
) -> Result<Vec<AtRiskHousehold>, Status> {
    let at = Village {
        ctx,
        code: village,
        year: em.walk.year,
        as_of: em.walk.as_of,
    };
    let mut households = at.households().await?;
    if let Some((v, after)) = &em.walk.resume
        && v == village
    {
        households.retain(|h| h.household_id.as_str() > after.as_str());
    }
    if households.is_empty() {
        return Ok(vec![]);
    }
    let w = &em.walk;
    let failed = &em.failed;
    let (disaster, payments, education, unsafe_water, jobless) = tokio::join!(
        at.disaster(),
        guarded(failed, Source::Health, at.payments()),
        guarded(failed, Source::Education, at.education()),
        guarded(failed, Source::Water, at.unsafe_water()),
        guarded(failed, Source::Housing, at.jobless()),
    );
    let disaster = disaster?;
    let found = risk::assess_village(
        &households,
        Signals {
            payments: payments.as_ref(),
            disaster: &disaster,
            schooling: education.as_ref().map(|e| e.schooling.as_slice()),
            students: education.as_ref().map(|e| e.students.as_slice()),
            water: unsafe_water.as_deref(),
            housing: jobless.as_deref(),
        },
        w.year,
        &w.policy,
    );
    for (src, r) in [
        (Source::Health, payments.err()),
        (Source::Education, education.err()),
        (Source::Water, unsafe_water.err()),
        (Source::Housing, jobless.err()),
    ] {
        if let Some(s) = r
            && !em.failed.contains_key(&src)
        {
            tracing::warn!(service = src.name(), village = %village, "signal unavailable for the rest of the at-risk walk");
            em.failed.insert(src, s);
        }
    }
    Ok(found)
}
