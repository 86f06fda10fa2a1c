//! Optional server TLS and mutual TLS (as between the aggregator and the services), with
//! a CA, a server and a client certificate made in the test.

use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use xiaokang::testing::TestService;
use xk_runtime::ServeSettings;

struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
    stranger_cert_pem: String,
    stranger_key_pem: String,
}

fn leaf(names: Vec<String>, issuer: &CertifiedIssuer<'_, KeyPair>) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, issuer)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let (server_cert, server_key) = leaf(vec!["localhost".into()], &ca);
    let (client_cert_pem, client_key_pem) = leaf(vec!["aggregator".into()], &ca);
    // A client certificate from another CA: must be refused under mTLS.
    let mut other_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    other_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let other = CertifiedIssuer::self_signed(other_params, KeyPair::generate().unwrap()).unwrap();
    let (stranger_cert_pem, stranger_key_pem) = leaf(vec!["stranger".into()], &other);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("server.pem"), server_cert).unwrap();
    std::fs::write(dir.path().join("server.key"), server_key).unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    Pki {
        dir,
        ca_pem: ca.pem(),
        client_cert_pem,
        client_key_pem,
        stranger_cert_pem,
        stranger_key_pem,
    }
}

async fn check(url: &str, tls: ClientTlsConfig) -> Result<i32, String> {
    let channel = Endpoint::from_shared(url.to_string())
        .map_err(|e| e.to_string())?
        .tls_config(tls)
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|r| r.into_inner().status)
        .map_err(|s| format!("{s:?}"))
}

fn settings(p: &Pki, mutual: bool) -> ServeSettings {
    ServeSettings {
        tls_cert: Some(p.dir.path().join("server.pem")),
        tls_key: Some(p.dir.path().join("server.key")),
        tls_client_ca: mutual.then(|| p.dir.path().join("ca.pem")),
        ..Default::default()
    }
}

async fn start(settings: ServeSettings) -> TestService {
    // Health is checked over TLS by each test, not over plaintext by the helper.
    TestService::start_unchecked(xk_registry::SPEC, settings)
        .await
        .unwrap()
}

#[tokio::test]
async fn server_tls_serves_health_to_a_client_that_trusts_the_ca() {
    let p = pki();
    let svc = start(settings(&p, false)).await;
    let url = format!("https://localhost:{}", svc.hosted.addr.port());
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&p.ca_pem))
        .domain_name("localhost");
    assert_eq!(check(&url, tls).await, Ok(ServingStatus::Serving as i32));
    // Plaintext to a TLS port does not get an answer.
    let plain = format!("http://127.0.0.1:{}", svc.hosted.addr.port());
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        let ch = Endpoint::from_shared(plain).unwrap().connect().await;
        match ch {
            Err(_) => true,
            Ok(ch) => HealthClient::new(ch)
                .check(HealthCheckRequest::default())
                .await
                .is_err(),
        }
    })
    .await
    .unwrap_or(true);
    assert!(refused, "plaintext must not be served on a TLS port");
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn mutual_tls_accepts_only_clients_with_a_certificate_from_the_ca() {
    let p = pki();
    let svc = start(settings(&p, true)).await;
    let url = format!("https://localhost:{}", svc.hosted.addr.port());
    let base = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&p.ca_pem))
        .domain_name("localhost");
    let with_cert = base
        .clone()
        .identity(Identity::from_pem(&p.client_cert_pem, &p.client_key_pem));
    assert_eq!(
        check(&url, with_cert).await,
        Ok(ServingStatus::Serving as i32)
    );
    assert!(
        check(&url, base.clone()).await.is_err(),
        "no client certificate"
    );
    let stranger = base.identity(Identity::from_pem(
        &p.stranger_cert_pem,
        &p.stranger_key_pem,
    ));
    assert!(
        check(&url, stranger).await.is_err(),
        "certificate from another CA"
    );
    svc.stop().await.unwrap();
}

/// The aggregator calls an mTLS-only registry with its client certificate; without one,
/// only the registry section is lost. The other services sit at a dead address here.
#[tokio::test]
async fn the_aggregator_calls_services_over_mutual_tls() {
    use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
    use xk_contracts::pb::aggregator::v1::{GetSummaryRequest, SectionState};

    let p = pki();
    let registry = start(settings(&p, true)).await;
    let registry_url = format!("https://localhost:{}", registry.hosted.addr.port());
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}")
    };
    let (table, tokens) = xiaokang::testing::test_tokens();
    let aggregator_token = tokens[&xk_runtime::Principal::Aggregator].clone();
    let admin = tokens[&xk_runtime::Principal::Admin].clone();

    for with_cert in [true, false] {
        let mut upstream = xk_aggregator::Upstream::single(
            [
                registry_url.clone(),
                dead.clone(),
                dead.clone(),
                dead.clone(),
                dead.clone(),
            ],
            aggregator_token.clone(),
        );
        let identity =
            with_cert.then_some((p.client_cert_pem.as_bytes(), p.client_key_pem.as_bytes()));
        upstream.tls = Some(xk_aggregator::upstream::client_tls(
            p.ca_pem.as_bytes(),
            identity,
        ));
        upstream.default_deadline = Duration::from_secs(2);
        let db = xiaokang::testing::TestDatabase::create("aggregator_tls")
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let agg = xiaokang::suite::host_aggregator(
            &db.url,
            &ServeSettings::default(),
            table.clone(),
            listener,
            upstream,
        )
        .await
        .unwrap();
        xk_runtime::server::wait_until_serving(&agg.url(), "", Duration::from_secs(10))
            .await
            .unwrap();
        let channel = Endpoint::from_shared(agg.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut c = AggregatorServiceClient::with_interceptor(
            channel,
            xiaokang::testing::Bearer(Some(admin.clone())),
        );
        let summary = c
            .get_summary(GetSummaryRequest {
                region_prefix: "420625".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .summary
            .unwrap();
        let state = summary.registry.unwrap().status.unwrap().state;
        let want = if with_cert {
            SectionState::Available
        } else {
            SectionState::Unavailable
        };
        assert_eq!(state, want as i32, "with client certificate: {with_cert}");
        let water = summary.water.unwrap().status.unwrap().state;
        assert_eq!(water, SectionState::Unavailable as i32, "dead address");
        drop(c);
        agg.shutdown().await.unwrap();
        db.drop_now().await.unwrap();
    }
    registry.stop().await.unwrap();
}
