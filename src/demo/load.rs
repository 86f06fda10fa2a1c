//! Sending a planned county to a running suite through the public RPCs, each bureau with
//! its own token: client-streaming imports in batches where the service has one, bounded
//! concurrency for unary calls, a progress bar per service. Every request id is derived
//! from the seed, so loading the same county twice replays instead of duplicating.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::{SinkExt, StreamExt, TryStreamExt};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::education::v1::{ImportStudentsRequest, RecordVisitRequest, Student};
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient as HealthServiceClient;
use xk_contracts::pb::health::v1::{Enrolment, ImportEnrolmentsRequest, UpsertInstitutionRequest};
use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
use xk_contracts::pb::housing::v1::{CreateSiteRequest, ImportRelocationsRequest, Relocation};
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::registry::v1::{
    Household, ImportHouseholdsRequest, ListHouseholdsRequest, UpsertVillageRequest,
};
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_contracts::pb::water::v1::{Assessment, CreateSchemeRequest, ImportAssessmentsRequest};
use xk_runtime::{Bureau, Principal};

use super::County;
use crate::client::{Bearer, SuiteAddrs, channel};

/// Records per import batch (each batch is one transaction on the service).
const BATCH: usize = 1_000;
/// Unary calls in flight per kind of call; education sends three kinds at once, 48 in all,
/// which stays under a service's 64 running writes (`XK_WRITE_CONCURRENCY`), so an idle
/// suite never refuses the load as overloaded.
const CONCURRENCY: usize = 16;
/// Deadline of one unary call, and the base of an import stream's deadline.
const CALL_DEADLINE: Duration = Duration::from_secs(120);
/// An import stream's deadline grows with its records (a million-person growth load on a
/// busy PostgreSQL takes minutes; the demo county seconds).
const PER_RECORD: Duration = Duration::from_millis(2);
/// Largest message the loader sends or accepts.
const MAX_MESSAGE: usize = 16 << 20;

type Svc = InterceptedService<Channel, Bearer>;

/// How long each service's part took, and how many records it sent.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Per service: name, records sent (rows and calls), seconds.
    pub services: Vec<(&'static str, u64, f64)>,
    /// Wall time of the whole load (the services load in parallel).
    pub seconds: f64,
}

/// Whether to draw progress bars (to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Bars on stderr (hidden automatically when stderr is not a terminal).
    Bars,
    /// Nothing drawn (tests).
    Hidden,
}

fn svc(addrs: &SuiteAddrs, name: &str, token: Option<&String>) -> anyhow::Result<Svc> {
    let ch = channel(addrs.url(name)?)?;
    Ok(InterceptedService::new(ch, Bearer(token.cloned())))
}

fn bar(multi: &MultiProgress, name: &str, len: u64) -> ProgressBar {
    let b = multi.add(ProgressBar::new(len));
    b.set_style(
        ProgressStyle::with_template("{prefix:>10} {bar:40.cyan/blue} {pos:>7}/{len:7} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_prefix(name.to_string());
    b
}

fn request<T>(msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.set_timeout(CALL_DEADLINE);
    r
}

/// A client-streaming import request carrying `records` records in all.
fn import<T>(stream: T, records: usize) -> tonic::Request<T> {
    let mut r = tonic::Request::new(stream);
    r.set_timeout(CALL_DEADLINE + PER_RECORD * records as u32);
    r
}

/// Times a call refused as overloaded is sent again before the load gives up.
const OVERLOAD_RETRIES: u32 = 20;

/// `call(item)`, sent again with a growing pause while the service refuses it as
/// overloaded (RESOURCE_EXHAUSTED: refused before it ran, so it wrote nothing; and its
/// request id is derived, so even a repeat of a group of calls only replays the ones that
/// landed). What a bureau's client should do with a busy service.
async fn with_overload_retry<T, F, Fut>(item: T, call: &F) -> Result<(), tonic::Status>
where
    T: Clone,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>>,
{
    let mut attempt = 0;
    loop {
        match call(item.clone()).await {
            Err(s) if s.code() == tonic::Code::ResourceExhausted && attempt < OVERLOAD_RETRIES => {
                attempt += 1;
                let pause = Duration::from_millis(u64::from(attempt) * rand::random_range(5..=20));
                tokio::time::sleep(pause).await;
            }
            other => return other,
        }
    }
}

/// Runs `calls` with bounded concurrency, ticking `bar` once per call.
async fn unary_all<T, F, Fut>(items: &[T], bar: &ProgressBar, call: F) -> anyhow::Result<()>
where
    T: Clone,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>>,
{
    let call = &call;
    futures::stream::iter(items.iter().cloned().map(|i| async move {
        let r = with_overload_retry(i, call).await;
        bar.inc(1);
        r
    }))
    .buffer_unordered(CONCURRENCY)
    .try_collect::<Vec<()>>()
    .await?;
    Ok(())
}

/// Import batches waiting to be sent beside the one on the wire. A growth load at 200x
/// holds ten million people's requests; cloning every batch up front doubled the memory
/// (about 17 GB a third of the way in), so a batch is built only when the stream wants it.
const BATCHES_AHEAD: usize = 2;

/// Sends `items` as one client-streaming import: batches of [`BATCH`] with ids
/// `demo-<seed>-<what>-<n>`, each built from its slice only when the stream has room for
/// it. `call` starts the import on the stream (tonic wants a `'static` stream, which the
/// borrowed items cannot be; the channel between is what lets them stay borrowed).
async fn import_batches<T, R, F, Fut, Resp>(
    items: &[T],
    seed: u64,
    what: &str,
    make: impl Fn(String, Vec<T>) -> R,
    call: F,
) -> Result<Resp, tonic::Status>
where
    T: Clone,
    F: FnOnce(futures::channel::mpsc::Receiver<R>) -> Fut,
    Fut: Future<Output = Result<Resp, tonic::Status>>,
{
    let (mut tx, rx) = futures::channel::mpsc::channel(BATCHES_AHEAD);
    let produce = async move {
        for (n, chunk) in items.chunks(BATCH).enumerate() {
            let batch = make(format!("demo-{seed}-{what}-{n:04}"), chunk.to_vec());
            // A closed stream means the call ended (its answer says why).
            if tx.send(batch).await.is_err() {
                break;
            }
        }
    };
    // The call may end first (refused, or the connection lost): then the batches not yet
    // built are not wanted, and waiting for room in the channel would never end.
    match futures::future::select(std::pin::pin!(call(rx)), std::pin::pin!(produce)).await {
        futures::future::Either::Left((answer, _)) => answer,
        futures::future::Either::Right(((), call)) => call.await,
    }
}

/// Whether the registry holds no household yet (the demo loads only into an empty suite).
pub async fn registry_is_empty(
    addrs: &SuiteAddrs,
    tokens: &HashMap<Principal, String>,
) -> anyhow::Result<bool> {
    let token = tokens.get(&Principal::Bureau(Bureau::PovertyOffice));
    let mut c = RegistryServiceClient::new(svc(addrs, "registry", token)?);
    let page = c
        .list_households(request(ListHouseholdsRequest {
            page_size: 1,
            ..Default::default()
        }))
        .await
        .context("asking the registry whether it holds data")?
        .into_inner();
    Ok(page.households.is_empty())
}

/// Loads `county` into the suite at `addrs`, each bureau with its token from `tokens`.
pub async fn load(
    county: &County,
    addrs: &SuiteAddrs,
    tokens: &HashMap<Principal, String>,
    progress: Progress,
) -> anyhow::Result<LoadReport> {
    let multi = MultiProgress::with_draw_target(match progress {
        Progress::Bars => ProgressDrawTarget::stderr(),
        Progress::Hidden => ProgressDrawTarget::hidden(),
    });
    let token = |b: Bureau| tokens.get(&Principal::Bureau(b));
    let started = Instant::now();
    let reg = svc(addrs, "registry", token(Bureau::PovertyOffice))?;
    let edu = svc(addrs, "education", token(Bureau::Education))?;
    let hea = svc(addrs, "health", token(Bureau::MedicalSecurity))?;
    let hou = svc(addrs, "housing", token(Bureau::Relocation))?;
    let wat = svc(addrs, "water", token(Bureau::WaterResources))?;
    let r_len = (county.villages.len() + county.households.len()) as u64;
    let e = &county.education;
    let e_len =
        (e.students.len() + e.letters.len() + e.visits.len() + e.subsidies.len() + 1) as u64;
    let h = &county.health;
    let h_len = (h.institutions.len()
        + h.enrolments.len()
        + h.cases.iter().map(Vec::len).sum::<usize>()) as u64;
    let o = &county.housing;
    let o_len =
        (o.sites.len() + o.relocations.len() + o.appraisals.len() + o.renovations.len()) as u64;
    let w = &county.water;
    let w_len = (w.schemes.len() + w.assessments.len()) as u64;
    let (rb, eb, hb, ob, wb) = (
        bar(&multi, "registry", r_len),
        bar(&multi, "education", e_len),
        bar(&multi, "health", h_len),
        bar(&multi, "housing", o_len),
        bar(&multi, "water", w_len),
    );
    let results = tokio::try_join!(
        timed("registry", r_len, load_registry(county, reg, &rb)),
        timed("education", e_len, load_education(county, edu, &eb)),
        timed("health", h_len, load_health(county, hea, &hb)),
        timed("housing", o_len, load_housing(county, hou, &ob)),
        timed("water", w_len, load_water(county, wat, &wb)),
    )?;
    for b in [&rb, &eb, &hb, &ob, &wb] {
        b.finish_with_message("done");
    }
    Ok(LoadReport {
        services: vec![results.0, results.1, results.2, results.3, results.4],
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Runs one service's part and times it.
async fn timed(
    name: &'static str,
    records: u64,
    f: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<(&'static str, u64, f64)> {
    let t = Instant::now();
    f.await.with_context(|| format!("loading {name}"))?;
    Ok((name, records, t.elapsed().as_secs_f64()))
}

async fn load_registry(county: &County, svc: Svc, bar: &ProgressBar) -> anyhow::Result<()> {
    let c = RegistryServiceClient::new(svc)
        .max_encoding_message_size(MAX_MESSAGE)
        .max_decoding_message_size(MAX_MESSAGE);
    let seed = county.seed;
    unary_all(&county.villages, bar, |v| {
        let mut c = c.clone();
        async move {
            c.upsert_village(request(UpsertVillageRequest {
                request_id: format!("demo-{seed}-village-{}", v.village_code),
                village: Some(v),
            }))
            .await
            .map(|_| ())
        }
    })
    .await?;
    import_batches(
        &county.households,
        seed,
        "households",
        |request_id, households: Vec<Household>| ImportHouseholdsRequest {
            request_id,
            households,
        },
        |rx| {
            let (mut c, b) = (c.clone(), bar.clone());
            let stream = rx.inspect(move |r| b.inc(r.households.len() as u64));
            async move {
                c.import_households(import(stream, county.households.len()))
                    .await
            }
        },
    )
    .await
    .context("ImportHouseholds")?;
    Ok(())
}

async fn load_education(county: &County, svc: Svc, bar: &ProgressBar) -> anyhow::Result<()> {
    let c = EducationServiceClient::new(svc)
        .max_encoding_message_size(MAX_MESSAGE)
        .max_decoding_message_size(MAX_MESSAGE);
    let e = &county.education;
    import_batches(
        &e.students,
        county.seed,
        "students",
        |request_id, students: Vec<Student>| ImportStudentsRequest {
            request_id,
            students,
        },
        |rx| {
            let (mut c, b) = (c.clone(), bar.clone());
            let stream = rx.inspect(move |r| b.inc(r.students.len() as u64));
            async move { c.import_students(import(stream, e.students.len())).await }
        },
    )
    .await
    .context("ImportStudents")?;
    let letters = unary_all(&e.letters, bar, |r| {
        let mut c = c.clone();
        async move { c.send_letter(request(r)).await.map(|_| ()) }
    });
    // A student's visits go in order (each updates the student's record); students in
    // parallel.
    let mut per_student: Vec<Vec<RecordVisitRequest>> = Vec::new();
    for v in &e.visits {
        match per_student.last_mut() {
            Some(last) if last[0].resident_id == v.resident_id => last.push(v.clone()),
            _ => per_student.push(vec![v.clone()]),
        }
    }
    let visits = unary_all(&per_student, bar, |visits| {
        let mut c = c.clone();
        async move {
            let n = visits.len() as u64;
            for v in visits {
                c.record_visit(request(v)).await?;
            }
            bar.inc(n.saturating_sub(1));
            Ok(())
        }
    });
    let subsidies = unary_all(&e.subsidies, bar, |r| {
        let mut c = c.clone();
        async move { c.record_subsidy(request(r)).await.map(|_| ()) }
    });
    let (l, v, s) = tokio::join!(letters, visits, subsidies);
    l.context("SendLetter")?;
    v.context("RecordVisit")?;
    s.context("RecordSubsidy")?;
    if let Some(survey) = &e.survey {
        c.clone()
            .record_survey(request(survey.clone()))
            .await
            .context("RecordSurvey")?;
        bar.inc(1);
    }
    Ok(())
}

async fn load_health(county: &County, svc: Svc, bar: &ProgressBar) -> anyhow::Result<()> {
    let c = HealthServiceClient::new(svc)
        .max_encoding_message_size(MAX_MESSAGE)
        .max_decoding_message_size(MAX_MESSAGE);
    let h = &county.health;
    let seed = county.seed;
    unary_all(&h.institutions, bar, |i| {
        let mut c = c.clone();
        async move {
            c.upsert_institution(request(UpsertInstitutionRequest {
                request_id: format!("demo-{seed}-institution-{}", i.code),
                institution: Some(i),
            }))
            .await
            .map(|_| ())
        }
    })
    .await
    .context("UpsertInstitution")?;
    import_batches(
        &h.enrolments,
        seed,
        "enrolments",
        |request_id, enrolments: Vec<Enrolment>| ImportEnrolmentsRequest {
            request_id,
            enrolments,
        },
        |rx| {
            let (mut c, b) = (c.clone(), bar.clone());
            let stream = rx.inspect(move |r| b.inc(r.enrolments.len() as u64));
            async move {
                c.import_enrolments(import(stream, h.enrolments.len()))
                    .await
            }
        },
    )
    .await
    .context("ImportEnrolments")?;
    // A person's cases settle in order (the year's totals are cumulative); people in parallel.
    unary_all(&h.cases, bar, |cases| {
        let mut c = c.clone();
        async move {
            let n = cases.len() as u64;
            for case in cases {
                c.settle_case(request(case)).await?;
            }
            // One tick per person here; the rest of the person's cases below.
            bar.inc(n.saturating_sub(1));
            Ok(())
        }
    })
    .await
    .context("SettleCase")
}

async fn load_housing(county: &County, svc: Svc, bar: &ProgressBar) -> anyhow::Result<()> {
    let c = HousingServiceClient::new(svc)
        .max_encoding_message_size(MAX_MESSAGE)
        .max_decoding_message_size(MAX_MESSAGE);
    let o = &county.housing;
    let seed = county.seed;
    unary_all(&o.sites, bar, |s| {
        let mut c = c.clone();
        async move {
            c.create_site(request(CreateSiteRequest {
                request_id: format!("demo-{seed}-site-{}", s.site_id),
                site: Some(s),
            }))
            .await
            .map(|_| ())
        }
    })
    .await
    .context("CreateSite")?;
    import_batches(
        &o.relocations,
        seed,
        "relocations",
        |request_id, relocations: Vec<Relocation>| ImportRelocationsRequest {
            request_id,
            relocations,
        },
        |rx| {
            let (mut c, b) = (c.clone(), bar.clone());
            let stream = rx.inspect(move |r| b.inc(r.relocations.len() as u64));
            async move {
                c.import_relocations(import(stream, o.relocations.len()))
                    .await
            }
        },
    )
    .await
    .context("ImportRelocations")?;
    unary_all(&o.appraisals, bar, |r| {
        let mut c = c.clone();
        async move { c.record_appraisal(request(r)).await.map(|_| ()) }
    })
    .await
    .context("RecordAppraisal")?;
    unary_all(&o.renovations, bar, |r| {
        let mut c = c.clone();
        async move { c.complete_renovation(request(r)).await.map(|_| ()) }
    })
    .await
    .context("CompleteRenovation")
}

async fn load_water(county: &County, svc: Svc, bar: &ProgressBar) -> anyhow::Result<()> {
    let c = WaterServiceClient::new(svc)
        .max_encoding_message_size(MAX_MESSAGE)
        .max_decoding_message_size(MAX_MESSAGE);
    let w = &county.water;
    let seed = county.seed;
    unary_all(&w.schemes, bar, |s| {
        let mut c = c.clone();
        async move {
            c.create_scheme(request(CreateSchemeRequest {
                request_id: format!("demo-{seed}-scheme-{}", s.scheme_id),
                scheme: Some(s),
            }))
            .await
            .map(|_| ())
        }
    })
    .await
    .context("CreateScheme")?;
    import_batches(
        &w.assessments,
        seed,
        "assessments",
        |request_id, assessments: Vec<Assessment>| ImportAssessmentsRequest {
            request_id,
            assessments,
        },
        |rx| {
            let (mut c, b) = (c.clone(), bar.clone());
            let stream = rx.inspect(move |r| b.inc(r.assessments.len() as u64));
            async move {
                c.import_assessments(import(stream, w.assessments.len()))
                    .await
            }
        },
    )
    .await
    .context("ImportAssessments")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test]
    async fn import_batches_sends_every_item_once_in_numbered_batches() {
        let items: Vec<u32> = (0..2_500).collect();
        let sent = import_batches(
            &items,
            7,
            "things",
            |id, batch| (id, batch),
            |rx| async move { Ok::<_, tonic::Status>(rx.collect::<Vec<_>>().await) },
        )
        .await
        .expect("the call succeeds");
        let ids: Vec<&str> = sent.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "demo-7-things-0000",
                "demo-7-things-0001",
                "demo-7-things-0002"
            ]
        );
        let sizes: Vec<usize> = sent.iter().map(|(_, b)| b.len()).collect();
        assert_eq!(sizes, [BATCH, BATCH, 500]);
        let all: Vec<u32> = sent.into_iter().flat_map(|(_, b)| b).collect();
        assert_eq!(all, items);
    }

    #[tokio::test]
    async fn a_call_that_ends_early_stops_the_batches_without_waiting_for_room() {
        let items: Vec<u32> = (0..100_000).collect();
        let built = AtomicUsize::new(0);
        // The stream outlives the call, as a connection may hold a request body after the
        // answer came: batches must stop being built, not wait for room.
        let held = Arc::new(Mutex::new(None));
        let holder = held.clone();
        let answer: Result<(), tonic::Status> = import_batches(
            &items,
            1,
            "things",
            |_, batch| {
                built.fetch_add(1, Ordering::Relaxed);
                batch
            },
            |mut rx| async move {
                let first = rx.next().await;
                assert_eq!(first.map(|b| b.len()), Some(BATCH));
                *holder.lock().expect("not poisoned") = Some(rx);
                Err(tonic::Status::resource_exhausted("refused"))
            },
        )
        .await;
        assert_eq!(
            answer.map_err(|s| s.code()),
            Err(tonic::Code::ResourceExhausted)
        );
        // The one taken, those the channel holds, and one waiting for room at most.
        assert!(built.load(Ordering::Relaxed) <= BATCHES_AHEAD + 3);
        assert!(held.lock().expect("not poisoned").is_some());
    }
}
