//! What the loopback tests share: a real listener on 127.0.0.1 (port 0), a SQLite store in
//! a temporary directory, and a minimal HTTP/1.1 client on std's TcpStream, so that the
//! bytes sent and received are exactly the test's.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use quell_server::Config;
use quell_store::{NewToken, Role, Store};
use serde_json::{json, Value as Json};

pub const LIMIT: usize = 256 << 10;

pub struct Server {
    pub addr: SocketAddr,
    pub rt: tokio::runtime::Runtime,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub admin: String,
    pub sensor: String,
    pub viewer: String,
    pub store: Store,
    pub _dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn start() -> Server {
    start_with(Config {
        max_body_bytes: LIMIT,
        body_timeout: Duration::from_millis(500),
        header_timeout: Duration::from_millis(500),
        ..Config::default()
    })
}

/// A server with `config`; `Server::store` is a handle on its store.
pub fn start_with(config: Config) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quell.db");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (store, admin, sensor, viewer, listener) = rt.block_on(async {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        let mut toks = Vec::new();
        for (name, role) in [
            ("alice", Role::Admin),
            ("node-a", Role::Sensor),
            ("bob", Role::Viewer),
        ] {
            toks.push(
                store
                    .create_token(NewToken::new(name, role, "test"))
                    .await
                    .unwrap()
                    .token,
            );
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        (
            store,
            toks[0].clone(),
            toks[1].clone(),
            toks[2].clone(),
            listener,
        )
    });
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    rt.spawn(quell_server::serve_on(
        listener,
        store.clone(),
        config,
        async {
            let _ = rx.await;
        },
    ));
    Server {
        addr,
        rt,
        stop: Some(tx),
        store,
        admin,
        sensor,
        viewer,
        _dir: dir,
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = &self.rt;
    }
}

/// Decodes a chunked body.
pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(nl) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            std::str::from_utf8(&b[..nl])
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + size]);
        b = &b[nl + 2 + size + 2..];
    }
}

impl Server {
    /// Sends raw request bytes and reads the whole answer (`Connection: close`).
    pub fn raw(&self, request: &[u8]) -> Resp {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        // The server may answer (413) and close before reading all of a body: a write error
        // is not the test's failure; the answer is.
        let _ = s.write_all(request);
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let end = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no answer: {:?}", String::from_utf8_lossy(&buf)));
        let headers = String::from_utf8_lossy(&buf[..end]).into_owned();
        let status = headers[9..12].parse().unwrap();
        let mut body = buf[end + 4..].to_vec();
        if headers
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            body = dechunk(&body);
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        ctype: Option<&str>,
        body: &[u8],
    ) -> Resp {
        let mut r = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(t) = token {
            r.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if let Some(c) = ctype {
            r.push_str(&format!("Content-Type: {c}\r\n"));
        }
        if method == "POST" {
            r.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        r.push_str("\r\n");
        let mut bytes = r.into_bytes();
        bytes.extend_from_slice(body);
        self.raw(&bytes)
    }

    pub fn get(&self, path: &str, token: &str) -> Resp {
        self.req("GET", path, Some(token), None, b"")
    }

    pub fn post(&self, path: &str, ctype: &str, body: &[u8]) -> Resp {
        self.req("POST", path, Some(&self.sensor), Some(ctype), body)
    }

    /// A JSON body posted with `token`.
    pub fn post_json(&self, path: &str, token: &str, body: &Json) -> Resp {
        let text = body.to_string();
        self.req(
            "POST",
            path,
            Some(token),
            Some("application/json"),
            text.as_bytes(),
        )
    }

    /// Every alert stored with `rule` (all pages).
    pub fn alerts_of(&self, rule: &str) -> Vec<Json> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/alerts?limit=100&rule={}", enc(rule));
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={}", enc(c)));
            }
            let r = self.get(&path, &self.viewer);
            assert_eq!(r.status, 200, "{}", r.text());
            let v = r.json();
            out.extend(v["alerts"].as_array().unwrap().iter().cloned());
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn alert(rule: &str, n: u64) -> Json {
    json!({
        "hostname": "node-1",
        "output": format!("12:00:00.000000000: Warning {rule} n={n}"),
        "output_fields": {"evt.time": 1_785_501_296_000_000_000u64 + n, "proc.name": "sh",
                          "container.id": "3ad7b26ded6d", "k8s.ns.name": "web"},
        "priority": "Warning", "rule": rule, "source": "syscall", "tags": ["t"],
        "time": quell_rules::output::falco_time(1_785_501_296_000_000_000 + n)
    })
}

mod seed;
#[allow(unused_imports)]
pub use seed::*;

pub fn post_sensor_batch(s: &Server, lines: &[String]) -> Json {
    let body = lines.join("\n");
    let r = s.post(
        "/api/v1/alerts",
        "application/x-quell-sensor+jsonl",
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

pub fn inbox(s: &Server, query: &str) -> Json {
    let r = s.get(&format!("/api/v1/inbox?{query}"), &s.viewer);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// The alert id of the (only) stored alert whose command line is `cmd`.
pub fn alert_with_cmd(s: &Server, rule: &str, cmd: &str) -> Json {
    let found: Vec<Json> = s
        .alerts_of(rule)
        .into_iter()
        .filter(|a| a["alert"]["output_fields"]["proc.cmdline"] == cmd)
        .collect();
    assert_eq!(found.len(), 1, "{cmd}: {found:#?}");
    found[0].clone()
}
