//! HTTP ingest benchmark: release `quell serve` binaries on loopback with SQLite (or
//! PostgreSQL), N
//! concurrent senders posting Falco JSON arrays of 500 varied alerts over keep-alive
//! connections. Per binary: sustained alerts/s, p50/p95/max request latency, the server's
//! CPU seconds and peak RSS (`VmHWM` of /proc/PID/status), the load average before and
//! after. Several binaries (a baseline and a candidate) are run alternately in the same
//! invocation, each on a new database, so their ratio is measured under the same load.
//!
//! ```text
//! cargo build --release -p quell --locked
//! QUELL_BENCH_BINS="base=/tmp/quell-base,new=target/release/quell" \
//!   cargo bench -p quell-server --bench http_ingest --locked
//! ```
//!
//! Environment: `QUELL_BENCH_BINS` (`label=path,...`; default the workspace's
//! `target/release/quell`), `QUELL_BENCH_ALERTS` (per run, default 200000),
//! `QUELL_BENCH_SENDERS` (default 4), `QUELL_BENCH_ROUNDS` (runs of each binary, default 1),
//! `QUELL_BENCH_DIR` (where the databases go; default a temporary directory),
//! `QUELL_BENCH_SERVE_ARGS` (extra arguments of `quell serve`, split on spaces),
//! `QUELL_BENCH_BACKENDS` (`sqlite`, `postgres` or both, comma separated, each run in turn;
//! default `sqlite`), `QUELL_BENCH_POSTGRES` (a URL of a database the role may connect to
//! and `CREATE DATABASE` from; default the local socket as the current user): each
//! PostgreSQL run creates its own database there with `psql` and drops it afterwards, and
//! the table adds the CPU seconds of the PostgreSQL server's processes (those of
//! `pg_stat_activity`, read from `/proc`: a server on this machine).
//! Without `--bench` (`cargo test --benches`) it does nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../../quell-store/benches/common/alerts.rs"]
mod alerts;

const BATCH: usize = 500;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A field of /proc/PID/status, as written (`292 MB` style values are in kB there).
fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l[key.len()..]
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse().ok())
            })
        })
        .unwrap_or(0)
}

/// User + system CPU seconds of process `pid` (clock ticks at 100 Hz).
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    tick(11) + tick(12)
}

/// Bodies of `total` alerts in JSON arrays of [`BATCH`], generated before the clock starts.
fn bodies(total: usize) -> Vec<Vec<u8>> {
    (0..total.div_ceil(BATCH))
        .map(|b| {
            let lo = b * BATCH;
            let hi = ((b + 1) * BATCH).min(total);
            let mut body = Vec::with_capacity((hi - lo) * 800);
            body.push(b'[');
            for i in lo..hi {
                if i > lo {
                    body.push(b',');
                }
                body.extend_from_slice(alerts::alert(i as u64).0.as_bytes());
            }
            body.push(b']');
            body
        })
        .collect()
}

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Conn {
    r: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: &str) -> Conn {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        s.set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        Conn {
            r: BufReader::new(s),
        }
    }

    /// Posts `body`; the status and the response body.
    fn post(&mut self, token: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "POST /api/v1/alerts HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let s = self.r.get_mut();
        s.write_all(head.as_bytes()).expect("write");
        s.write_all(body).expect("write");
        let mut line = String::new();
        self.r.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().expect("content-length");
                }
            }
        }
        let mut resp = vec![0u8; len];
        self.r.read_exact(&mut resp).expect("body");
        (status, resp)
    }
}

/// `psql URL -Atc SQL`'s output lines.
fn psql(url: &str, sql: &str) -> Vec<String> {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-Atc", sql])
        .output()
        .expect("psql (the PostgreSQL client) is needed for QUELL_BENCH_BACKENDS=postgres");
    assert!(out.status.success(), "psql {sql:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// `url` with its database replaced by `db`.
fn with_dbname(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (head, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = head.split_once('/').map_or(head, |(a, _)| a);
    format!("{scheme}://{authority}/{db}?{query}")
}

/// CPU clock ticks of the PostgreSQL server's processes, by process id.
fn pg_ticks(url: &str) -> std::collections::HashMap<u32, u64> {
    psql(url, "SELECT pid FROM pg_stat_activity")
        .iter()
        .filter_map(|p| p.parse::<u32>().ok())
        .map(|pid| (pid, (cpu_s(pid) * 100.0).round() as u64))
        .collect()
}

/// Where a run's database is.
enum Db {
    Sqlite(std::path::PathBuf),
    /// The admin URL and the database's name.
    Postgres(String, String),
}

impl Db {
    fn spec(&self) -> String {
        match self {
            Db::Sqlite(p) => p.to_str().expect("utf-8 path").to_string(),
            Db::Postgres(admin, name) => with_dbname(admin, name),
        }
    }
}

fn start(bin: &str, db: &str, extra: &[String]) -> (Child, String) {
    let mut child = Command::new(bin)
        .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("first line");
    let addr = line
        .split("listening on http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // Keep draining its standard error so that it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while stderr.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    (child, addr)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

#[allow(clippy::too_many_arguments)]
fn run_one(
    label: &str,
    backend: &str,
    bin: &str,
    dir: &std::path::Path,
    n: usize,
    total: usize,
    bodies: &Arc<Vec<Vec<u8>>>,
    senders: usize,
    extra: &[String],
) {
    let store = match backend {
        "sqlite" => Db::Sqlite(dir.join(format!("{label}-{n}.db"))),
        "postgres" => {
            let admin = std::env::var("QUELL_BENCH_POSTGRES")
                .unwrap_or_else(|_| "postgresql:///postgres?host=/var/run/postgresql".into());
            // A name made of integers and the label's letters and digits only.
            let safe: String = label.chars().filter(char::is_ascii_alphanumeric).collect();
            let name = format!("quell_httpbench_{}_{safe}_{n}", std::process::id());
            psql(&admin, &format!("CREATE DATABASE {name}"));
            Db::Postgres(admin, name)
        }
        other => panic!("unknown backend {other:?} in QUELL_BENCH_BACKENDS"),
    };
    let db = store.spec();
    let out = Command::new(bin)
        .args([
            "token", "new", "--db", &db, "--role", "sensor", "--name", "bench",
        ])
        .output()
        .expect("token new");
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (mut child, addr) = start(bin, &db, extra);
    let pid = child.id();
    let pg0 = match &store {
        Db::Postgres(..) => Some(pg_ticks(&db)),
        Db::Sqlite(_) => None,
    };
    let load0 = loadavg();
    let cpu0 = cpu_s(pid);
    let t0 = Instant::now();
    let mut threads = Vec::new();
    for s in 0..senders {
        let (bodies, token, addr) = (bodies.clone(), token.clone(), addr.clone());
        threads.push(std::thread::spawn(move || {
            let mut conn = Conn::open(&addr);
            let mut lat = Vec::new();
            let mut stored = 0u64;
            let mut b = s;
            while b < bodies.len() {
                let t = Instant::now();
                let (status, resp) = conn.post(&token, &bodies[b]);
                lat.push(t.elapsed());
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
                let v: serde_json::Value = serde_json::from_slice(&resp).expect("json answer");
                stored += v["stored"].as_u64().expect("stored");
                b += senders;
            }
            (stored, lat)
        }));
    }
    let mut stored = 0;
    let mut lat = Vec::new();
    for t in threads {
        let (s, l) = t.join().expect("sender");
        stored += s;
        lat.extend(l);
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_s(pid) - cpu0;
    let hwm = status_kb(pid, "VmHWM:");
    let load1 = loadavg();
    let pg_cpu = pg0.map(|before| {
        let ticks: u64 = pg_ticks(&db)
            .iter()
            .map(|(p, t)| t.saturating_sub(before.get(p).copied().unwrap_or(0)))
            .sum();
        ticks as f64 / 100.0
    });
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    let size: u64 = match &store {
        Db::Sqlite(_) => std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .starts_with(&format!("{label}-{n}.db"))
                    })
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0),
        Db::Postgres(..) => psql(&db, "SELECT pg_database_size(current_database())")
            .first()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    };
    assert_eq!(
        stored as usize, total,
        "every alert is new: each is stored once"
    );
    println!(
        "| {label} | {backend} | {stored} | {secs:.1} | **{:.0}** | {} | {} | {} | {cpu:.1} | {:.0} | {} | {} | {:.0} | {load0} → {load1} |",
        stored as f64 / secs,
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.95)),
        ms(pct(&mut lat, 1.0)),
        stored as f64 / cpu.max(1e-9),
        pg_cpu.map_or_else(|| "-".to_string(), |c| format!("{c:.1}")),
        hwm / 1024,
        size as f64 / 1e6,
    );
    match &store {
        Db::Sqlite(_) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{db}{suffix}"));
            }
        }
        Db::Postgres(admin, name) => {
            psql(admin, &format!("DROP DATABASE {name} WITH (FORCE)"));
        }
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let bins: Vec<(String, String)> = std::env::var("QUELL_BENCH_BINS")
        .unwrap_or_else(|_| format!("quell={root}/target/release/quell"))
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('=') {
            Some((l, p)) => (l.to_string(), p.to_string()),
            None => (s.to_string(), s.to_string()),
        })
        .collect();
    let total = env("QUELL_BENCH_ALERTS", 200_000);
    let senders = env("QUELL_BENCH_SENDERS", 4).max(1);
    let rounds = env("QUELL_BENCH_ROUNDS", 1).max(1);
    let extra: Vec<String> = std::env::var("QUELL_BENCH_SERVE_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let tmp;
    let dir = match std::env::var("QUELL_BENCH_DIR") {
        Ok(d) => std::path::PathBuf::from(d),
        Err(_) => {
            tmp = tempfile::tempdir().expect("temporary directory");
            tmp.path().to_path_buf()
        }
    };
    let bodies = Arc::new(bodies(total));
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    println!(
        "http ingest: {total} alerts per run in {} bodies of {BATCH} (JSON arrays, {:.0} bytes per alert), {senders} senders on keep-alive connections, {rounds} round(s)",
        bodies.len(),
        bytes as f64 / total as f64
    );
    println!();
    let backends = std::env::var("QUELL_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    println!("| binary | db | stored | seconds | alerts/s | p50 ms | p95 ms | max ms | server CPU s | alerts per server CPU s | PostgreSQL CPU s | server peak RSS MB | db MB | load average before → after |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for round in 0..rounds {
        for backend in backends.split(',').map(str::trim) {
            for (label, bin) in &bins {
                run_one(
                    label, backend, bin, &dir, round, total, &bodies, senders, &extra,
                );
            }
        }
    }
}
