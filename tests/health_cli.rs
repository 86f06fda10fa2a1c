//! `xiaokang health`, the binary: gRPC health over TLS and mutual TLS (certificates made
//! in the test, as in tls.rs), and the admin probe's exit codes against a small HTTP
//! server that answers /readyz like the admin listener does.

use std::process::Output;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use xiaokang::testing::TestService;
use xk_runtime::ServeSettings;

/// A CA, a server certificate for `localhost` and a client certificate, as files.
fn pki() -> tempfile::TempDir {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, subject) in [("server", "localhost"), ("client", "prober")] {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![subject.to_string()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        std::fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    dir
}

async fn health(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .arg("health")
        .args(args)
        .env_remove("XK_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .output()
        .await
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

async fn tls_registry(pki: &tempfile::TempDir, mutual: bool) -> TestService {
    let settings = ServeSettings {
        tls_cert: Some(pki.path().join("server.pem")),
        tls_key: Some(pki.path().join("server.key")),
        tls_client_ca: mutual.then(|| pki.path().join("ca.pem")),
        ..Default::default()
    };
    // Health is what the test checks, over TLS, not the helper over plaintext.
    TestService::start_unchecked(xk_registry::SPEC, settings)
        .await
        .unwrap()
}

#[tokio::test]
async fn health_checks_a_tls_service_with_its_ca() {
    let pki = pki();
    let svc = tls_registry(&pki, false).await;
    let addr = format!("127.0.0.1:{}", svc.hosted.addr.port());
    let ca = pki.path().join("ca.pem");
    let ca = ca.to_str().unwrap();

    let ok = health(&[&addr, "--tls-ca", ca, "--tls-domain", "localhost"]).await;
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert_eq!(stdout(&ok), "SERVING");

    // Plaintext to a TLS port, and TLS naming a host the certificate is not for, fail.
    let plain = health(&[&addr, "--timeout-ms", "500"]).await;
    assert_eq!(plain.status.code(), Some(1), "{plain:?}");
    assert!(stdout(&plain).starts_with("NOT SERVING"), "{plain:?}");
    let wrong_name = health(&[&addr, "--tls-ca", ca, "--timeout-ms", "500"]).await;
    assert_eq!(
        wrong_name.status.code(),
        Some(1),
        "the certificate is for localhost, not 127.0.0.1: {wrong_name:?}"
    );
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn health_presents_a_client_certificate_under_mutual_tls() {
    let pki = pki();
    let svc = tls_registry(&pki, true).await;
    let addr = format!("localhost:{}", svc.hosted.addr.port());
    let path = |f: &str| pki.path().join(f).to_str().unwrap().to_string();
    let (ca, cert, key) = (path("ca.pem"), path("client.pem"), path("client.key"));

    let with_cert = health(&[
        &addr,
        "--tls-ca",
        &ca,
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ])
    .await;
    assert_eq!(with_cert.status.code(), Some(0), "{with_cert:?}");
    assert_eq!(stdout(&with_cert), "SERVING");

    let without = health(&[&addr, "--tls-ca", &ca, "--timeout-ms", "500"]).await;
    assert_eq!(without.status.code(), Some(1), "{without:?}");
    svc.stop().await.unwrap();
}

/// A one-answer-fits-all HTTP/1.1 server; records each request line it gets.
async fn admin_stub(status: &'static str, body: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            log.lock().unwrap().push(line);
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(answer.as_bytes()).await;
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn the_admin_probe_exits_zero_only_on_200() {
    let (ready, ready_seen) = admin_stub("200 OK", "ok\n").await;
    let ok = health(&["--admin", &ready]).await;
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert_eq!(stdout(&ok), "READY");
    assert_eq!(
        ready_seen.lock().unwrap().as_slice(),
        ["GET /readyz HTTP/1.1"],
        "one GET of /readyz"
    );

    let (unready, _) = admin_stub("503 Service Unavailable", "database not answering\n").await;
    let not = health(&["--admin", &unready]).await;
    assert_eq!(not.status.code(), Some(1), "{not:?}");
    assert_eq!(stdout(&not), "NOT READY: 503 database not answering");

    // Nothing listening: not ready once the timeout is spent.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().to_string()
    };
    let gone = health(&["--admin", &closed, "--timeout-ms", "300"]).await;
    assert_eq!(gone.status.code(), Some(1), "{gone:?}");
    assert!(stdout(&gone).starts_with("NOT READY"), "{gone:?}");
}
