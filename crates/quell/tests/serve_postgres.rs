//! Scale-out (issue 13): two `quell serve` processes on one PostgreSQL database, three
//! senders split between them, one batch retried on the other server at the same time; a
//! query on either server then sees every alert exactly once.
//!
//! The server is `QUELL_TEST_POSTGRES` (default: the local socket as the current user, see
//! crates/quell-store/tests/common/mod.rs); the test creates its own database with `psql`
//! and drops it afterwards, also when it fails. No server: the test fails, saying how to
//! start one (.ci/run does).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{code, out, quell, show};

const DEFAULT_POSTGRES: &str = "postgresql:///postgres?host=/var/run/postgresql";

fn admin_url() -> String {
    std::env::var("QUELL_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

fn psql(url: &str, sql: &str) -> std::process::Output {
    Command::new("psql")
        .args(["-XAtqc", sql, url])
        .output()
        .unwrap_or_else(|e| {
            panic!("psql not found ({e}): install postgresql-client (.ci/run installs postgresql)")
        })
}

/// `url` with its database replaced by `db`.
fn with_dbname(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (head, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    let authority = head.split_once('/').map_or(head, |(a, _)| a);
    match query {
        Some(q) => format!("{scheme}://{authority}/{db}?{q}"),
        None => format!("{scheme}://{authority}/{db}"),
    }
}

/// A database of this test, dropped with the guard.
struct Db {
    admin: String,
    name: String,
    url: String,
}

impl Db {
    fn new(test: &str) -> Db {
        let admin = admin_url();
        let name = format!("quell_serve_test_{}_{test}", std::process::id());
        let o = psql(&admin, &format!("CREATE DATABASE {name}"));
        assert!(
            o.status.success(),
            "the scale-out test needs a PostgreSQL server at {admin:?}: {}\n\
             Set QUELL_TEST_POSTGRES=postgres://USER@HOST/DB (a role that may CREATE DATABASE), or \
             start the local one as .ci/run does:\n  pg_ctlcluster 15 main start\n  \
             su postgres -c \"createuser --createdb $(id -un)\"",
            String::from_utf8_lossy(&o.stderr)
        );
        let url = with_dbname(&admin, &name);
        Db { admin, name, url }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let o = psql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
        if !o.status.success() && !std::thread::panicking() {
            panic!(
                "could not drop {}: {}",
                self.name,
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

/// Kills the servers this test started (by their pids) if it fails midway.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start(db: &str) -> (Child, String) {
    let mut child = quell()
        .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split("listening on http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, addr)
}

fn http(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf
}

fn post(addr: &str, token: &str, body: &str) -> String {
    http(
        addr,
        &format!(
            "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn token(db: &str, role: &str, name: &str) -> String {
    let o = common::run(&["token", "new", "--db", db, "--role", role, "--name", name]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    out(&o).trim().to_string()
}

fn alert(sender: usize, batch: usize, i: usize) -> serde_json::Value {
    serde_json::json!({
        "rule": format!("Rule {}", i % 3),
        "priority": "Warning",
        "time": format!("2026-07-{:02}T12:{:02}:{:02}Z", 1 + batch % 3, sender, i % 60),
        "hostname": format!("host-{sender}"),
        "output": format!("sender {sender} batch {batch} alert {i}"),
        "output_fields": {"proc.name": "sh", "i": i},
    })
}

#[test]
fn two_servers_on_one_postgres_see_every_alert_once() {
    let db = Db::new("scale_out");
    let url = db.url.clone();
    let admin = token(&url, "admin", "ops");
    let sensors: Vec<String> = (0..3)
        .map(|s| token(&url, "sensor", &format!("sensor-{s}")))
        .collect();
    let (a, addr_a) = start(&url);
    let mut servers = Servers(vec![a]);
    let (b, addr_b) = start(&url);
    servers.0.push(b);
    let addrs = [addr_a.clone(), addr_b.clone()];

    const BATCHES: usize = 6;
    const PER_BATCH: usize = 50;
    let started = Instant::now();
    let senders: Vec<_> = (0..3)
        .map(|s| {
            let addrs = addrs.clone();
            let tok = sensors[s].clone();
            std::thread::spawn(move || {
                for batch in 0..BATCHES {
                    let body = serde_json::Value::Array(
                        (0..PER_BATCH).map(|i| alert(s, batch, i)).collect(),
                    )
                    .to_string();
                    let home = &addrs[s % 2];
                    if s == 2 && batch == 3 {
                        // A retry that reaches the other server while the first still works.
                        let other = addrs[(s + 1) % 2].clone();
                        let (t2, b2) = (tok.clone(), body.clone());
                        let retry = std::thread::spawn(move || post(&other, &t2, &b2));
                        let r = post(home, &tok, &body);
                        let r2 = retry.join().unwrap();
                        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
                        assert!(r2.starts_with("HTTP/1.1 200"), "{r2}");
                    } else {
                        let r = post(home, &tok, &body);
                        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
                    }
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(120));

    // One query on either server: every alert, once.
    for addr in &addrs {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/alerts?limit=1000&cursor={c}"),
                None => "/api/v1/alerts?limit=1000".to_string(),
            };
            let r = http(
                addr,
                &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {admin}\r\n\r\n"),
            );
            assert!(r.starts_with("HTTP/1.1 200"), "{r}");
            let body = r.split_once("\r\n\r\n").unwrap().1;
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            for a in v["alerts"].as_array().unwrap() {
                // The alert as received, embedded as JSON.
                let raw = &a["alert"];
                *seen
                    .entry(raw["output"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 3 * BATCHES * PER_BATCH, "on {addr}");
        assert!(
            seen.values().all(|&n| n == 1),
            "an alert twice on {addr}: {:?}",
            seen.iter()
                .filter(|(_, &n)| n != 1)
                .take(3)
                .collect::<Vec<_>>()
        );
    }
    // Clean stop of both (SIGTERM to the pids this test started).
    for c in &mut servers.0 {
        let st = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }
    for c in &mut servers.0 {
        let t = Instant::now();
        let status = loop {
            if let Some(st) = c.try_wait().unwrap() {
                break st;
            }
            assert!(t.elapsed() < Duration::from_secs(20), "no stop within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status:?}");
    }
    servers.0.clear();
}

#[test]
fn a_newer_schema_is_refused_by_serve() {
    let db = Db::new("newer");
    let url = db.url.clone();
    token(&url, "admin", "ops");
    let o = psql(&url, "UPDATE schema_version SET version = version + 1");
    assert!(o.status.success());
    let o = common::run(&["serve", "--db", &url, "--listen", "127.0.0.1:0"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        common::err(&o).contains("newer than this quell"),
        "{}",
        show(&o)
    );
}
