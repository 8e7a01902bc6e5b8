//! `quell serve` and `quell token new` as a person runs them: a token printed once, the
//! server on a loopback port, /healthz and an authenticated request answered, a clear
//! message when the port is taken, and a clean stop on SIGTERM (sent only to the pid this
//! test started); durability: SIGKILL during sustained ingest from three senders loses no
//! acknowledged alert and stores none twice.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{code, err, out, quell, show};

fn http(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf
}

/// Waits for `child` to exit, at most `secs` seconds.
/// Starts `quell serve` on store `db` and an ephemeral loopback port; returns the child and
/// the address it prints on its first line of standard error.
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

/// Sends SIGTERM to `child` (a `quell serve` this test started, by its pid) and asserts
/// that it exits successfully within 20 s (killed otherwise).
fn stop(child: &mut Child) {
    let pid = child.id().to_string();
    let st = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(st.success());
    let status = wait(child, 20);
    if status.is_none() {
        let _ = child.kill();
    }
    let status = status.expect("quell serve did not stop within 20 s of SIGTERM");
    assert!(status.success(), "{status:?}");
}

fn wait(child: &mut Child, secs: u64) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if let Some(st) = child.try_wait().unwrap() {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn serve_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quell.db");
    let db = db.to_str().unwrap();
    let o = common::run(&[
        "token", "new", "--db", db, "--role", "admin", "--name", "ops",
    ]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let token = out(&o).trim().to_string();
    assert!(
        token.starts_with("quell_") && !token.contains(char::is_whitespace),
        "{}",
        show(&o)
    );
    assert!(
        !err(&o).contains(&token),
        "the token is printed once, on stdout"
    );

    let (mut child, addr) = start(db);

    let r = http(
        &addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        r.starts_with("HTTP/1.1 200") && r.ends_with("\r\n\r\nok\n"),
        "{r}"
    );
    let r = http(
        &addr,
        "GET /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 401"), "{r}");
    let alert = r#"{"rule":"Terminal shell in container","priority":"Notice","time":"2026-07-31T12:34:56Z","output":"o","output_fields":{"proc.name":"bash"}}"#;
    let r = http(
        &addr,
        &format!(
            "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{alert}",
            alert.len()
        ),
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let r = http(
        &addr,
        &format!("GET /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"),
    );
    assert!(r.starts_with("HTTP/1.1 200") && r.contains(alert), "{r}");

    // The same address again: refused with a sentence, exit 1.
    let o = common::run(&["serve", "--db", db, "--listen", &addr]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(err(&o).contains("already in use"), "{}", show(&o));

    // SIGTERM to the pid this test started.
    stop(&mut child);
    assert!(
        TcpStream::connect(&addr).is_err(),
        "nothing listens after the stop"
    );

    // Started again on the same store: the acknowledged alert is there, once.
    let (mut child, addr) = start(db);
    let r = http(
        &addr,
        &format!("GET /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"),
    );
    assert_eq!(r.matches(alert).count(), 1, "{r}");
    stop(&mut child);
}

#[test]
fn token_new_uses_the_data_directory_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let o = quell()
        .args(["token", "new", "--role", "viewer"])
        .env("XDG_DATA_HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(dir.path().join("quell/quell.db").is_file());
    assert!(err(&o).contains("role viewer"), "{}", show(&o));
}

/// One request on a new connection (`Connection: close`); the status, or `None` if the
/// server could not be reached or the connection broke before a whole answer.
fn try_http(addr: &str, request: &[u8]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    s.write_all(request).ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

fn post_alerts(token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Every alert stored, as the mark (`quell.test.mark`) of each, by paging through
/// `GET /api/v1/alerts`.
fn stored_marks(addr: &str, token: &str) -> Vec<String> {
    let mut marks = Vec::new();
    let mut cursor = String::new();
    loop {
        let req = format!(
            "GET /api/v1/alerts?limit=1000{cursor} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        let (status, body) = try_http(addr, req.as_bytes()).expect("the server answers");
        assert_eq!(status, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        for a in page["alerts"].as_array().unwrap() {
            marks.push(
                a["alert"]["output_fields"]["quell.test.mark"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return marks,
        }
    }
}

/// The issue's durability test: three senders post batches continuously; the server is
/// killed with SIGKILL (only the pid this test started) in the middle of the ingest, three
/// times, and restarted on the same database; each sender retries a batch until it gets a
/// 2xx. Afterwards every alert acknowledged with a 2xx is stored, and no alert twice (a
/// batch committed whose answer was lost with the process is retried and counted as
/// duplicates).
#[test]
fn acknowledged_alerts_survive_sigkill_and_retries_store_nothing_twice() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    const SENDERS: usize = 3;
    const BATCH: usize = 40;
    const KILLS: usize = 3;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quell.db");
    let db = db.to_str().unwrap();
    let token = |role: &str| {
        let o = common::run(&["token", "new", "--db", db, "--role", role]);
        assert_eq!(code(&o), 0, "{}", show(&o));
        out(&o).trim().to_string()
    };
    let (sensor, admin) = (token("sensor"), token("admin"));

    let (mut child, first_addr) = start(db);
    let addr = Arc::new(Mutex::new(first_addr));
    let done = Arc::new(AtomicBool::new(false));
    let acked_batches = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let (addr, done, acked_batches, sensor) = (
            addr.clone(),
            done.clone(),
            acked_batches.clone(),
            sensor.clone(),
        );
        senders.push(std::thread::spawn(move || {
            let mut acked: Vec<String> = Vec::new();
            let mut retries = 0usize;
            let mut n = 0usize;
            while !done.load(Ordering::SeqCst) {
                let marks: Vec<String> = (n..n + BATCH).map(|i| format!("{s}-{i}")).collect();
                n += BATCH;
                let body: String = marks
                    .iter()
                    .enumerate()
                    .map(|(k, m)| {
                        let i = n - BATCH + k;
                        format!(
                            "{{\"rule\":\"Durability {s}\",\"priority\":\"Warning\",\"hostname\":\"h{s}\",\"time\":\"2026-07-31T12:{:02}:{:02}.{:09}Z\",\"output\":\"sender {s} alert {i}\",\"output_fields\":{{\"quell.test.mark\":\"{m}\"}}}}\n",
                            (i / 60) % 60,
                            i % 60,
                            i
                        )
                    })
                    .collect();
                let request = post_alerts(&sensor, &body);
                // Retried until a 2xx, whatever happens to the server meanwhile.
                let deadline = Instant::now() + Duration::from_secs(120);
                loop {
                    let to = addr.lock().unwrap().clone();
                    match try_http(&to, &request) {
                        Some((status, _)) if (200..300).contains(&status) => break,
                        Some((status, answer)) if status != 503 => {
                            panic!("sender {s}: {status} {answer}")
                        }
                        _ => {
                            retries += 1;
                            assert!(Instant::now() < deadline, "sender {s}: no 2xx for 120 s");
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
                acked.extend(marks);
                acked_batches.fetch_add(1, Ordering::SeqCst);
            }
            (acked, retries)
        }));
    }
    let wait_for_batches = |more: usize| {
        let target = acked_batches.load(Ordering::SeqCst) + more;
        let deadline = Instant::now() + Duration::from_secs(120);
        while acked_batches.load(Ordering::SeqCst) < target {
            assert!(Instant::now() < deadline, "the senders made no progress");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    for _ in 0..KILLS {
        // Mid-ingest: the senders are posting continuously.
        wait_for_batches(6);
        child.kill().unwrap(); // SIGKILL to the pid this test started
        child.wait().unwrap();
        let (c, a) = start(db);
        child = c;
        *addr.lock().unwrap() = a;
    }
    wait_for_batches(6);
    done.store(true, Ordering::SeqCst);
    let mut acked = Vec::new();
    let mut retries = 0;
    for t in senders {
        let (a, r) = t.join().unwrap();
        acked.extend(a);
        retries += r;
    }
    assert!(
        retries > 0,
        "no request was cut by a kill: the test did not test anything"
    );

    let to = addr.lock().unwrap().clone();
    let marks = stored_marks(&to, &admin);
    stop(&mut child);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for m in &marks {
        *counts.entry(m.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let missing: Vec<_> = acked
        .iter()
        .filter(|m| !counts.contains_key(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged alerts missing after SIGKILL (of {}), e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
}
