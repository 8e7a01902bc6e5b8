//! The console's inbox in a browser at scale (issue 14): N alerts (default 1,000,000, the
//! generated alerts of `quell-store/benches/common/alerts.rs`, with their event contexts)
//! put straight into a SQLite store, then `quell serve` on it and headless Chromium
//! (chromedriver, as in `tests/console.rs`) timing, from the test's side of WebDriver:
//!
//! - the inbox's first render: a full page load of `#/inbox` until its rows are on the page
//!   (the first load judges the page's verdicts, later loads find them cached);
//! - a filter change: the rule filter set in the URL until the new rows replace the old;
//! - the page weight: bytes transferred for the page, its script and style and the inbox's
//!   API answer (Resource Timing's `transferSize`; the server does not compress).
//!
//! ```text
//! cargo bench -p quell --bench console_inbox --locked
//! QUELL_CONSOLE_BENCH_ALERTS=100000 cargo bench -p quell --bench console_inbox --profile dev --locked
//! ```
//!
//! Environment: `QUELL_CONSOLE_BENCH_ALERTS` (default 1000000), `QUELL_CONSOLE_BENCH_RUNS`
//! (per measure, default 10), `QUELL_CONSOLE_BENCH_DB` (a database file to keep and reuse:
//! ingested only when it does not exist yet). Without `--bench` it does nothing. Needs
//! Chromium and chromedriver (`QUELL_CHROMIUM`, `QUELL_CHROMEDRIVER`).

#[path = "../../quell-store/benches/common/alerts.rs"]
mod alerts;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/console_common/mod.rs"]
mod console_common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use quell_store::{NewAlert, NewToken, Role, Store};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

fn summary(mut v: Vec<Duration>) -> String {
    v.sort();
    let p = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    format!(
        "p50 {} ms, p95 {} ms, max {} ms ({} runs)",
        ms(p(0.5)),
        ms(p(0.95)),
        ms(*v.last().unwrap()),
        v.len()
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if let Some(why) = console_common::browser_missing() {
        eprintln!("console_inbox: {why}");
        std::process::exit(1);
    }
    let total = env("QUELL_CONSOLE_BENCH_ALERTS", 1_000_000) as u64;
    let runs = env("QUELL_CONSOLE_BENCH_RUNS", 10).max(1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = std::env::var_os("QUELL_CONSOLE_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("console-bench.db"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fresh = !db.exists();
    let token = rt.block_on(async {
        let store = Store::open(db.to_str().unwrap()).await.expect("store");
        if fresh {
            let t = Instant::now();
            let mut i = 0;
            while i < total {
                let end = (i + 500).min(total);
                let batch: Vec<NewAlert> = (i..end)
                    .map(|n| {
                        let (raw, ctx) = alerts::alert(n);
                        NewAlert::new(raw).with_context(ctx)
                    })
                    .collect();
                store.ingest("sensor-0", batch).await.expect("ingest");
                i = end;
            }
            eprintln!(
                "ingested {total} alerts in {:.0} s",
                t.elapsed().as_secs_f64()
            );
        }
        let token = store
            .create_token(NewToken::new("bench", Role::Admin, "bench"))
            .await
            .expect("token")
            .token;
        store.close().await.expect("close");
        token
    });
    let mut server = common::quell()
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quell serve");
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split("listening on http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut sink);
    });
    let url = format!("http://{addr}/");
    let b = console_common::Browser::start("en", "bench-");
    b.sign_in(&url, &token);

    // First render: a full page load each time.
    let mut loads = Vec::new();
    let mut weight = serde_json::Value::Null;
    for _ in 0..runs {
        b.goto("about:blank");
        let t = Instant::now();
        b.goto(&format!("{url}#/inbox"));
        b.wait("#inbox tr.row");
        loads.push(t.elapsed());
        weight = b.js(
            "const n = performance.getEntriesByType('navigation')[0]; \
             const r = performance.getEntriesByType('resource'); \
             const pick = (e) => ({name: e.name.replace(location.origin, ''), transfer: e.transferSize, body: e.encodedBodySize}); \
             return {page: pick(n), resources: r.map(pick), \
               bodies: n.encodedBodySize + r.reduce((a, e) => a + e.encodedBodySize, 0), \
               transferred: n.transferSize + r.reduce((a, e) => a + e.transferSize, 0)}",
        );
    }
    let cold = loads[0];
    // Filter changes: the rule filter in the URL, the old rows replaced by the new.
    let mut filters = Vec::new();
    for i in 0..runs {
        b.js("document.getElementById('inbox').dataset.old = '1'; return 0");
        let t = Instant::now();
        b.js(&format!(
            "location.hash = '#/inbox?rule=' + encodeURIComponent('Rule number {}'); return 0",
            i % 40
        ));
        b.wait("#inbox:not([data-old]) tr.row");
        filters.push(t.elapsed());
    }
    b.screenshot("inbox");
    drop(b);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    println!(
        "console inbox, {total} alerts stored (store {})",
        db.display()
    );
    println!(
        "  first render, first load (verdicts judged): {} ms",
        ms(cold)
    );
    println!("  first render, every load: {}", summary(loads));
    println!("  filter change (rule): {}", summary(filters));
    println!(
        "  page weight: {} bytes of bodies on a first visit (page, script, style, session, inbox answer); {} bytes transferred on a reload (the files revalidated: 304); each: {}",
        weight["bodies"], weight["transferred"], weight["resources"]
    );
}
