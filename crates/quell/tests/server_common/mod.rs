//! `quell serve` for the sensor tests (`sensor.rs`, `live_sensor.rs`): start it on a
//! loopback port, make tokens, speak HTTP/1.1 over std's `TcpStream`, stop it by its pid.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::common::{code, out, quell, show};

/// One request with `Connection: close`: the status and the body (chunked bodies decoded).
pub fn http(addr: &str, method: &str, path: &str, token: &str) -> (u16, String) {
    http_body(addr, method, path, token, "")
}

/// [`http`] with a JSON body.
pub fn http_body(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        body.to_string()
    };
    (status, body)
}

/// Starts `quell serve` on `db` at `listen`; returns it and the address it listens on. Its
/// standard error is drained by a thread.
pub fn serve(db: &str, listen: &str) -> (Child, String) {
    serve_with(db, listen, &[])
}

/// [`serve`] with more arguments (`-r FILE`).
pub fn serve_with(db: &str, listen: &str, more: &[&str]) -> (Child, String) {
    let mut child = quell()
        .args(["serve", "--db", db, "--listen", listen])
        .args(more)
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
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = stderr.read_to_string(&mut sink);
    });
    (child, addr)
}

pub fn token(db: &str, role: &str, name: &str) -> String {
    let o = super::common::run(&["token", "new", "--db", db, "--role", role, "--name", name]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    out(&o).trim().to_string()
}

/// Sends SIGTERM to a `quell serve` this test started (by its pid) and waits for it.
pub fn stop(child: &mut Child) {
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
