//! `quell serve` and `quell token new` as a person runs them: a token printed once, the
//! server on a loopback port, /healthz and an authenticated request answered, a clear
//! message when the port is taken, and a clean stop on SIGTERM (sent only to the pid this
//! test started).

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
