//! Load benchmark of the store's backends: sustained ingest in batches of 500, then the alert
//! and cluster queries at the stored total (p50/p95/max over repeated runs).
//!
//! `cargo bench -p quell-store --bench store_load --locked`
//! Environment: `QUELL_STORE_BENCH_ALERTS` (default 1000000), `QUELL_STORE_BENCH_SENDERS`
//! (concurrent senders, default 3), `QUELL_STORE_BENCH_DIR` (where the SQLite database goes;
//! default a temporary directory, removed afterwards), `QUELL_STORE_BENCH_RUNS` (runs per
//! query, default 200), `QUELL_STORE_BENCH_BACKENDS` (`sqlite`, `postgres` or both, comma
//! separated, run one after the other in this process; default `sqlite`),
//! `QUELL_STORE_BENCH_POSTGRES` (the server: a URL of a database the role may connect to and
//! CREATE DATABASE from; default the local socket as the current user): the bench creates
//! its own database there and drops it afterwards.

use std::time::{Duration, Instant};

use quell_store::{AlertQuery, ClusterQuery, NewAlert, Store};

#[path = "common/alerts.rs"]
mod common;
use common::T0_S;

const BATCH: usize = 500;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Alert number `i` with its event context (`common/alerts.rs`).
fn alert(i: u64) -> NewAlert {
    let (raw, context) = common::alert(i);
    NewAlert::new(raw).with_context(context)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn time_query<F, Fut>(name: &str, runs: usize, mut f: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for r in 0..runs {
        let t = Instant::now();
        rows += f(r).await;
        times.push(t.elapsed());
    }
    println!(
        "| {name} | {runs} | {:.0} | {} | {} | {} |",
        rows as f64 / runs as f64,
        ms(pct(&mut times, 0.50)),
        ms(pct(&mut times, 0.95)),
        ms(pct(&mut times, 1.0)),
    );
}

/// User and system CPU seconds of this process so far (Linux; clock ticks at 100 Hz).
fn cpu_s() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with the last ')'): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

fn rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run tiny then.
    let benching = std::env::args().any(|a| a == "--bench");
    let total = if benching {
        env("QUELL_STORE_BENCH_ALERTS", 1_000_000)
    } else {
        2_000
    };
    let senders = env("QUELL_STORE_BENCH_SENDERS", 3).max(1);
    let runs = if benching {
        env("QUELL_STORE_BENCH_RUNS", 200)
    } else {
        3
    };
    let tmp;
    let dir = match std::env::var("QUELL_STORE_BENCH_DIR") {
        Ok(d) => std::path::PathBuf::from(d),
        Err(_) => {
            tmp = tempfile::tempdir().expect("temporary directory");
            tmp.path().to_path_buf()
        }
    };
    let path = dir.join("bench.db");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let backends = std::env::var("QUELL_STORE_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    for backend in backends.split(',').map(str::trim) {
        match backend {
            "sqlite" => {
                let spec = path.to_str().expect("utf-8 path").to_string();
                let dir = dir.clone();
                let size = move || {
                    let dir = dir.clone();
                    async move {
                        std::fs::read_dir(&dir)
                            .map(|rd| {
                                rd.filter_map(|e| e.ok()?.metadata().ok())
                                    .map(|m| m.len())
                                    .sum()
                            })
                            .unwrap_or(0)
                    }
                };
                rt.block_on(bench("sqlite", spec, total, senders, runs, size, None));
            }
            "postgres" => {
                let admin = std::env::var("QUELL_STORE_BENCH_POSTGRES")
                    .unwrap_or_else(|_| "postgresql:///postgres?host=/var/run/postgresql".into());
                let name = format!("quell_bench_{}", std::process::id());
                rt.block_on(async {
                    let admin_client = pg_client(&admin).await;
                    admin_client
                        .batch_execute(&format!("CREATE DATABASE {name}"))
                        .await
                        .expect("CREATE DATABASE");
                    let spec = with_dbname(&admin, &name);
                    let spec2 = spec.clone();
                    let size = move || {
                        let spec = spec2.clone();
                        async move {
                            let c = pg_client(&spec).await;
                            let n: i64 = c
                                .query_one("SELECT pg_database_size(current_database())", &[])
                                .await
                                .expect("size")
                                .get(0);
                            u64::try_from(n).unwrap_or(0)
                        }
                    };
                    let probe = Some(spec.clone());
                    bench("postgres", spec, total, senders, runs, size, probe).await;
                    admin_client
                        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
                        .await
                        .expect("DROP DATABASE");
                });
            }
            other => panic!("unknown backend {other:?} in QUELL_STORE_BENCH_BACKENDS"),
        }
    }
}

async fn pg_client(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!("no PostgreSQL at {url:?}: {e} (see QUELL_STORE_BENCH_POSTGRES)")
        });
    tokio::spawn(conn);
    c
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

/// What the PostgreSQL server did: CPU seconds of its processes (every process in
/// `pg_stat_activity`: this database's backends and the server's background processes, read
/// from `/proc`, so only when the server runs on this machine) and its WAL counters.
#[derive(Default)]
struct PgSnapshot {
    /// CPU clock ticks (user + system) by process id.
    cpu: std::collections::HashMap<i32, u64>,
    wal_records: i64,
    wal_fpi: i64,
    wal_bytes: f64,
}

fn proc_cpu_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

async fn pg_snapshot(url: &str) -> PgSnapshot {
    let c = pg_client(url).await;
    let mut s = PgSnapshot::default();
    for r in c
        .query("SELECT pid FROM pg_stat_activity", &[])
        .await
        .expect("pg_stat_activity")
    {
        let pid: i32 = r.get(0);
        if let Some(t) = proc_cpu_ticks(pid) {
            s.cpu.insert(pid, t);
        }
    }
    let w = c
        .query_one(
            "SELECT wal_records, wal_fpi, wal_bytes::float8 FROM pg_stat_wal",
            &[],
        )
        .await
        .expect("pg_stat_wal");
    s.wal_records = w.get(0);
    s.wal_fpi = w.get(1);
    s.wal_bytes = w.get(2);
    s
}

/// The server's work between two snapshots (the `after` one taken while the store's pool
/// still holds its connections: a backend that exited between them is not counted).
fn pg_report(before: &PgSnapshot, after: &PgSnapshot, stored: u64) {
    let ticks: u64 = after
        .cpu
        .iter()
        .map(|(pid, t)| t.saturating_sub(before.cpu.get(pid).copied().unwrap_or(0)))
        .sum();
    let cpu = ticks as f64 / 100.0;
    let n = stored.max(1) as f64;
    println!(
        "ingest: CPU of the PostgreSQL server's processes {cpu:.1} s = {:.0} alerts per server CPU second; WAL {:.0} MB = {:.0} bytes per alert ({} records, {} full-page images)",
        n / cpu.max(1e-9),
        (after.wal_bytes - before.wal_bytes) / 1e6,
        (after.wal_bytes - before.wal_bytes) / n,
        after.wal_records - before.wal_records,
        after.wal_fpi - before.wal_fpi,
    );
}

#[allow(clippy::too_many_arguments)]
async fn bench<S, F>(
    label: &str,
    spec: String,
    total: usize,
    senders: usize,
    runs: usize,
    size: S,
    pg_probe: Option<String>,
) where
    S: Fn() -> F,
    F: std::future::Future<Output = u64>,
{
    {
        println!("== backend: {label}");
        let store = Store::open(&spec).await.expect("open");
        let batches = total.div_ceil(BATCH);
        println!("ingest: {total} alerts in batches of {BATCH} from {senders} concurrent senders into {}", quell_store::redacted(&spec));
        let pg0 = match &pg_probe {
            Some(url) => Some(pg_snapshot(url).await),
            None => None,
        };
        let start = Instant::now();
        let cpu0 = cpu_s();
        let mut tasks = Vec::new();
        for s in 0..senders {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut stored = 0;
                let mut b = s;
                while b < batches {
                    let lo = (b * BATCH) as u64;
                    let hi = ((b + 1) * BATCH).min(total) as u64;
                    let batch: Vec<NewAlert> = (lo..hi).map(alert).collect();
                    let t = Instant::now();
                    let out = store
                        .ingest(&format!("sensor-{s}"), batch)
                        .await
                        .expect("ingest");
                    lat.push(t.elapsed());
                    stored += out.stored;
                    b += senders;
                }
                (stored, lat)
            }));
        }
        let mut stored = 0;
        let mut lat = Vec::new();
        for t in tasks {
            let (s, l) = t.await.expect("sender");
            stored += s;
            lat.extend(l);
        }
        let secs = start.elapsed().as_secs_f64();
        let cpu1 = cpu_s();
        println!(
            "ingest: CPU of the process {:.1} s user + {:.1} s system = {:.0} alerts per CPU second",
            cpu1.0 - cpu0.0,
            cpu1.1 - cpu0.1,
            stored as f64 / ((cpu1.0 - cpu0.0) + (cpu1.1 - cpu0.1)).max(1e-9),
        );
        println!(
            "ingest: {stored} stored in {secs:.1} s = {:.0} alerts/s; batch commit latency p50 {} ms, p95 {} ms, max {} ms; peak RSS {}",
            stored as f64 / secs,
            ms(pct(&mut lat, 0.5)),
            ms(pct(&mut lat, 0.95)),
            ms(pct(&mut lat, 1.0)),
            rss_mb(),
        );
        if let (Some(url), Some(pg0)) = (&pg_probe, &pg0) {
            pg_report(pg0, &pg_snapshot(url).await, stored as u64);
        }
        let size: u64 = size().await;
        println!("database size: {:.0} MB", size as f64 / 1e6);
        println!();
        println!("| query (at {stored} alerts) | runs | rows | p50 ms | p95 ms | max ms |");
        println!("|---|---|---|---|---|---|");
        let n = total as u64;
        let st = store.clone();
        time_query("alerts, newest page of 100", runs, |_| {
            let st = st.clone();
            async move {
                st.alerts(AlertQuery::default())
                    .await
                    .expect("q")
                    .alerts
                    .len()
            }
        })
        .await;
        let st = store.clone();
        time_query("alerts, rule = R (one of 40), page of 100", runs, |r| {
            let st = st.clone();
            let mut q = AlertQuery::default();
            q.rule = Some(format!("Rule number {}", r % 40));
            async move { st.alerts(q).await.expect("q").alerts.len() }
        })
        .await;
        let st = store.clone();
        time_query("alerts, host = H (one of 200), page of 100", runs, |r| {
            let st = st.clone();
            let mut q = AlertQuery::default();
            q.host = Some(format!("node-{:03}", (r * 7) % 200));
            async move { st.alerts(q).await.expect("q").alerts.len() }
        })
        .await;
        let st = store.clone();
        time_query(
            "alerts, priority = Critical and namespace, page of 100",
            runs,
            |r| {
                let st = st.clone();
                let mut q = AlertQuery::default();
                q.priority = Some("critical".into());
                q.namespace = Some(format!("ns-{}", r % 8));
                async move { st.alerts(q).await.expect("q").alerts.len() }
            },
        )
        .await;
        let st = store.clone();
        time_query("alerts, one-minute time range, page of 100", runs, |r| {
            let st = st.clone();
            let mut q = AlertQuery::default();
            let span = n * 2_000_000;
            let since = T0_S * 1_000_000_000 + (r as u64 * 7_919_000_000_000) % span.max(1);
            q.since_ns = Some(since);
            q.until_ns = Some(since + 60_000_000_000);
            async move { st.alerts(q).await.expect("q").alerts.len() }
        })
        .await;
        let st = store.clone();
        time_query(
            "alerts, 10th page of 100 by cursor (10 queries)",
            runs.div_ceil(10),
            |r| {
                let st = st.clone();
                let mut q = AlertQuery::default();
                q.rule = Some(format!("Rule number {}", r % 40));
                async move {
                    let mut rows = 0;
                    for _ in 0..10 {
                        let p = st.alerts(q.clone()).await.expect("q");
                        rows = p.alerts.len();
                        q.cursor = p.next_cursor;
                    }
                    rows
                }
            },
        )
        .await;
        let st = store.clone();
        time_query("alerts, text in 1 of 97 outputs, page of 100", runs, |r| {
            let st = st.clone();
            let mut q = AlertQuery::default();
            q.text = Some(format!("svc-{}/", r % 97));
            async move { st.alerts(q).await.expect("q").alerts.len() }
        })
        .await;
        let st = store.clone();
        time_query(
            "alerts, text matching nothing (full scan)",
            runs.div_ceil(20),
            |_| {
                let st = st.clone();
                let mut q = AlertQuery::default();
                q.text = Some("no such text".into());
                async move { st.alerts(q).await.expect("q").alerts.len() }
            },
        )
        .await;
        let st = store.clone();
        time_query("alert by id, with context", runs, |r| {
            let st = st.clone();
            async move {
                usize::from(
                    st.alert(1 + (r as i64 * 4_999) % n as i64)
                        .await
                        .expect("q")
                        .is_some(),
                )
            }
        })
        .await;
        let st = store.clone();
        time_query("clusters, first page of 100", runs, |_| {
            let st = st.clone();
            async move {
                st.clusters(ClusterQuery::default())
                    .await
                    .expect("q")
                    .clusters
                    .len()
            }
        })
        .await;
        let st = store.clone();
        time_query("clusters, rule = R", runs, |r| {
            let st = st.clone();
            let mut q = ClusterQuery::default();
            q.rule = Some(format!("Rule number {}", r % 40));
            async move { st.clusters(q).await.expect("q").clusters.len() }
        })
        .await;
        // The console's inbox (clusters by latest alert, each with its latest alert, latest
        // decision and 24 hourly counts): the store's part; the server adds the verdicts
        // (quell-server's `inbox` bench).
        let inbox = |f: fn(&mut quell_store::InboxQuery, usize)| {
            let st = store.clone();
            move |r: usize| {
                let st = st.clone();
                let mut q = quell_store::InboxQuery::default();
                q.limit = Some(50);
                f(&mut q, r);
                async move { st.inbox(q).await.expect("q").clusters.len() }
            }
        };
        time_query("inbox, first page of 50", runs, inbox(|_, _| {})).await;
        time_query(
            "inbox, rule = R, page of 50",
            runs,
            inbox(|q, r| q.rule = Some(format!("Rule number {}", r % 40))),
        )
        .await;
        time_query(
            "inbox, priority >= Critical, page of 50",
            runs,
            inbox(|q, _| q.priority = Some("critical".into())),
        )
        .await;
        time_query(
            "inbox, host = H, page of 50",
            runs,
            inbox(|q, r| q.host = Some(format!("node-{:03}", (r * 7) % 200))),
        )
        .await;
        time_query(
            "inbox, text, page of 50",
            runs,
            inbox(|q, r| q.text = Some(format!("app-{}", r % 60))),
        )
        .await;
        time_query(
            "inbox, decision = none, page of 50",
            runs,
            inbox(|q, _| q.decision = Some("none".into())),
        )
        .await;
        store.close().await.expect("close");
        println!();
        println!("peak RSS of the process so far: {}", rss_mb());
    }
}
