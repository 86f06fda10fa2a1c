//! `xiaokang serve registry` as a child process, for the figures that are per process
//! (RSS, CPU, open files), read from /proc/<pid>.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use xiaokang::testing::TestDatabase;

use super::TOKEN;

/// `xiaokang serve registry` as a child process over a fresh database.
pub(crate) struct ServeChild {
    /// Killed on drop.
    _child: tokio::process::Child,
    /// The server's process id (prlimit execs it, so it is the server's).
    pub(crate) pid: u32,
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    /// Its stdout and stderr.
    log: PathBuf,
    _database: TestDatabase,
    _dir: tempfile::TempDir,
}

impl ServeChild {
    /// Starts it with extra `XK_*` variables, under an open-files limit when given
    /// (`prlimit` execs the server, so the pid is the server's), and waits for health.
    pub(crate) async fn start(env: &[(&str, String)], open_files: Option<u32>) -> ServeChild {
        let dir = tempfile::tempdir().unwrap();
        let database = TestDatabase::create("limits").await.unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let log = dir.path().join("serve.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let bin = env!("CARGO_BIN_EXE_xiaokang");
        let mut cmd = match open_files {
            Some(n) => {
                let mut c = tokio::process::Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg("--").arg(bin);
                c
            }
            None => tokio::process::Command::new(bin),
        };
        cmd.args(["serve", "registry", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database-url")
            .arg(&database.url)
            .env_remove("XK_TOKENS_FILE")
            .env("XK_TOKEN_ADMIN", TOKEN)
            .env("RUST_LOG", "warn")
            // Logs go to stdout, panics to stderr.
            .stdout(Stdio::from(log_file.try_clone().unwrap()))
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("the xiaokang binary starts");
        let pid = child.id().unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let grpc_name = xk_registry::SPEC.grpc_name;
        if let Err(e) =
            xk_runtime::server::wait_until_serving(&url, grpc_name, Duration::from_secs(30)).await
        {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("registry did not become SERVING: {e:#}\nlog:\n{tail}");
        }
        ServeChild {
            _child: child,
            pid,
            url,
            log,
            _database: database,
            _dir: dir,
        }
    }

    /// Resident set size now, in bytes.
    pub(crate) fn rss(&self) -> u64 {
        rss_of(self.pid)
    }

    /// CPU time used so far (user + system), in seconds.
    pub(crate) fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap();
        // Fields after the command name (which may hold spaces): state is field 3,
        // utime and stime are fields 14 and 15.
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // USER_HZ is 100 on Linux.
        ticks as f64 / 100.0
    }

    /// The server's log so far, without terminal colour codes.
    pub(crate) fn log_text(&self) -> String {
        let raw = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut plain = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // CSI: ESC [ parameters final-letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        plain
    }
}

/// Resident set size of process `pid`, in bytes.
pub(crate) fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}
