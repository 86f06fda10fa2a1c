//! `xiaokang health`: the probe containers and scripts run. Exit 0 when the service says
//! it is ready: gRPC health SERVING (over TLS / mutual TLS when the service serves TLS),
//! and/or `GET /readyz` 200 on its admin port.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::transport::{ClientTlsConfig, Endpoint};

/// What `xiaokang health` checks.
#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    /// gRPC address: host:port, http://host:port, or https://host:port (https is implied
    /// by --tls-ca).
    #[arg(required_unless_present = "admin")]
    pub addr: Option<String>,
    /// The gRPC service name to check; empty means the whole server.
    #[arg(long, default_value = "")]
    pub service: String,
    /// How long to keep trying.
    #[arg(long, default_value_t = 2_000)]
    pub timeout_ms: u64,
    /// CA certificate (PEM) that signed the service's certificate: check over TLS.
    #[arg(long, env = "XK_HEALTH_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// The name the service's certificate is for, when it differs from the address's host
    /// (e.g. probing 127.0.0.1 in a pod whose certificate names the Service).
    #[arg(long, env = "XK_HEALTH_TLS_DOMAIN", requires = "tls_ca")]
    pub tls_domain: Option<String>,
    /// Client certificate (PEM), for services that require mutual TLS.
    #[arg(long, env = "XK_HEALTH_TLS_CERT", requires_all = ["tls_key", "tls_ca"])]
    pub tls_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, env = "XK_HEALTH_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Admin address (host:port, plain HTTP): `GET /readyz` must answer 200.
    #[arg(long)]
    pub admin: Option<String>,
}

/// Runs the probe: SERVING / READY on stdout and exit 0, else the reason and exit 1.
pub async fn run(args: HealthArgs) -> anyhow::Result<ExitCode> {
    let timeout = Duration::from_millis(args.timeout_ms);
    let mut ok = true;
    if let Some(addr) = &args.addr {
        let tls = client_tls(&args)?;
        match grpc_serving(addr, &args.service, tls, timeout).await {
            Ok(()) => println!("SERVING"),
            Err(e) => {
                println!("NOT SERVING: {e:#}");
                ok = false;
            }
        }
    }
    if let Some(admin) = &args.admin {
        match readyz(admin, timeout).await {
            Ok(Readiness::Ready) => println!("READY"),
            Ok(Readiness::NotReady(status, reason)) => {
                println!("NOT READY: {status} {reason}");
                ok = false;
            }
            Err(e) => {
                println!("NOT READY: {e:#}");
                ok = false;
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn client_tls(args: &HealthArgs) -> anyhow::Result<Option<ClientTlsConfig>> {
    let Some(ca) = &args.tls_ca else {
        return Ok(None);
    };
    let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    let ca = read(ca)?;
    let identity = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
        _ => None,
    };
    let mut tls = xk_aggregator::upstream::client_tls(
        &ca,
        identity.as_ref().map(|(c, k)| (c.as_slice(), k.as_slice())),
    );
    if let Some(domain) = &args.tls_domain {
        tls = tls.domain_name(domain.clone());
    }
    Ok(Some(tls))
}

/// The URL to dial: the scheme given, else https with TLS and http without.
fn grpc_url(addr: &str, tls: bool) -> String {
    if addr.starts_with("http://") || addr.starts_with("https://") {
        addr.to_string()
    } else if tls {
        format!("https://{addr}")
    } else {
        format!("http://{addr}")
    }
}

/// Polls gRPC health until SERVING or `timeout`.
async fn grpc_serving(
    addr: &str,
    service: &str,
    tls: Option<ClientTlsConfig>,
    timeout: Duration,
) -> anyhow::Result<()> {
    let url = grpc_url(addr, tls.is_some());
    let Some(tls) = tls else {
        return xk_runtime::server::wait_until_serving(&url, service, timeout).await;
    };
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    let endpoint = Endpoint::from_shared(url.clone())?
        .tls_config(tls)?
        .connect_timeout(timeout);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(5);
    loop {
        let attempt = async {
            let channel = endpoint.connect().await?;
            let resp = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: service.to_string(),
                })
                .await?;
            anyhow::Ok(resp.into_inner().status)
        };
        let last = match tokio::time::timeout_at(deadline, attempt).await {
            Ok(Ok(s)) if s == ServingStatus::Serving as i32 => return Ok(()),
            Ok(Ok(s)) => format!("status {s}"),
            Ok(Err(e)) => format!("{e:#}"),
            Err(_) => "no answer".to_string(),
        };
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("{url} {service:?} not serving after {timeout:?}: {last}");
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(200));
    }
}

/// What `/readyz` answered.
#[derive(Debug, PartialEq, Eq)]
enum Readiness {
    /// 200.
    Ready,
    /// Any other status, with the body's first line (the listener's reason).
    NotReady(u16, String),
}

/// `GET /readyz` on the admin listener. A refused connection is retried until `timeout`
/// (the process may be starting); an answer, ready or not, is final.
async fn readyz(addr: &str, timeout: Duration) -> anyhow::Result<Readiness> {
    let addr = addr
        .strip_prefix("http://")
        .unwrap_or(addr)
        .trim_end_matches('/');
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(5);
    loop {
        match tokio::time::timeout_at(deadline, get_readyz(addr)).await {
            Ok(Ok(answer)) => return Ok(answer),
            // Not listening yet (starting): try again while time remains.
            Ok(Err(_)) if tokio::time::Instant::now() < deadline => {}
            Ok(Err(e)) => return Err(e.context(format!("GET http://{addr}/readyz"))),
            Err(_) => anyhow::bail!("GET http://{addr}/readyz: no answer within {timeout:?}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(200));
    }
}

/// Answers larger than this are not a probe's; reading stops there.
const MAX_ANSWER: u64 = 16 * 1024;

/// One HTTP/1.1 request; the admin listener is plain HTTP on a trusted network, so a
/// minimal client (status line and body) is all a probe needs.
async fn get_readyz(addr: &str) -> anyhow::Result<Readiness> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: xiaokang-health\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    (&mut stream)
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .await?;
    parse_answer(&answer)
}

/// The status and the body's first line of an HTTP/1.x answer.
fn parse_answer(answer: &[u8]) -> anyhow::Result<Readiness> {
    let text = String::from_utf8_lossy(answer);
    let status_line = text.lines().next().unwrap_or_default();
    let status: u16 = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP answer: {status_line:?}"))?;
    if status == 200 {
        return Ok(Readiness::Ready);
    }
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    // A chunked body starts with the chunk's size line.
    let mut lines = body.lines().skip(usize::from(chunked));
    let reason = lines.next().unwrap_or_default().trim().to_string();
    Ok(Readiness::NotReady(status, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_reason() {
        assert_eq!(
            parse_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").unwrap(),
            Readiness::Ready
        );
        assert_eq!(
            parse_answer(b"HTTP/1.1 503 Service Unavailable\r\n\r\nshutting down\n").unwrap(),
            Readiness::NotReady(503, "shutting down".into())
        );
        assert_eq!(
            parse_answer(
                b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n16\r\ndatabase not answering\r\n0\r\n\r\n"
            )
            .unwrap(),
            Readiness::NotReady(503, "database not answering".into())
        );
        assert!(parse_answer(b"SSH-2.0-OpenSSH\r\n").is_err());
    }

    #[test]
    fn tls_implies_https_unless_a_scheme_is_given() {
        assert_eq!(grpc_url("localhost:1", true), "https://localhost:1");
        assert_eq!(grpc_url("localhost:1", false), "http://localhost:1");
        assert_eq!(grpc_url("http://h:1", true), "http://h:1");
    }
}
