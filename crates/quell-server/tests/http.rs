//! The server over loopback: a real listener on 127.0.0.1 (port 0), a SQLite store in a
//! temporary directory, and a minimal HTTP/1.1 client on std's TcpStream (`common`), so
//! that the bytes sent and received are exactly the test's.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use quell_server::{Access, Config};
use quell_store::Store;
use serde_json::{json, Value as Json};

#[test]
fn each_format_is_ingested_and_read_back() {
    let s = start();
    let one = alert("Object rule", 1).to_string();
    let r = s.post("/api/v1/alerts", "application/json", one.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        (r.json()["stored"].clone(), r.json()["format"].clone()),
        (json!(1), json!("object"))
    );

    let arr = format!("[{},{}]", alert("Array rule", 1), alert("Array rule", 2));
    let r = s.post("/api/v1/alerts", "application/json", arr.as_bytes());
    assert_eq!(
        (r.status, r.json()["stored"].clone()),
        (200, json!(2)),
        "{}",
        r.text()
    );

    let jl = format!(
        "{}\n{}\n{}\n",
        alert("Lines rule", 1),
        alert("Lines rule", 2),
        alert("Lines rule", 3)
    );
    let r = s.post("/api/v1/alerts", "application/x-ndjson", jl.as_bytes());
    assert_eq!(
        (r.status, r.json()["format"].clone()),
        (200, json!("jsonl")),
        "{}",
        r.text()
    );

    // falcosidekick's webhook: one object with a uuid, priority in lower case.
    let mut sk = alert("Sidekick rule", 1);
    sk["uuid"] = json!("5b0b7a64-52c8-4a6f-9f4e-1c1f3a1b2c3d");
    sk["priority"] = json!("critical");
    let sk = sk.to_string();
    let r = s.post("/api/v1/alerts", "application/json", sk.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());

    let got = s.alerts_of("Object rule");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["alert"].to_string(), one);
    assert_eq!(
        got[0]["sensor"],
        json!("node-a"),
        "the sensor is the token's name"
    );
    assert_eq!(got[0]["k8s_namespace"], json!("web"));
    assert_eq!(s.alerts_of("Array rule").len(), 2);
    assert_eq!(s.alerts_of("Lines rule").len(), 3);
    let sk_got = s.alerts_of("Sidekick rule");
    assert_eq!(sk_got.len(), 1);
    assert_eq!(sk_got[0]["priority"], json!("Critical"));

    // One alert by id: the same record.
    let id = got[0]["id"].as_i64().unwrap();
    let r = s.get(&format!("/api/v1/alerts/{id}"), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["alert"].to_string(), one);
    assert_eq!(s.get("/api/v1/alerts/999999", &s.admin).status, 404);
    assert_eq!(s.get("/api/v1/alerts/x", &s.admin).status, 400);

    // Filters: priority, host, text, time range.
    let count = |q: &str| {
        let r = s.get(&format!("/api/v1/alerts?{q}"), &s.viewer);
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        r.json()["alerts"].as_array().unwrap().len()
    };
    assert_eq!(count("priority=critical"), 1);
    assert_eq!(count("host=node-1"), 7);
    assert_eq!(count("host=node-2"), 0);
    assert_eq!(count("q=n%3D3"), 1);
    assert_eq!(count("namespace=web&container=3ad7b26ded6d"), 7);
    assert_eq!(count("since=2026-07-31T12:34:56.000000002Z"), 3);
    assert_eq!(count(&format!("until={}", 1_785_501_296_000_000_002u64)), 4);
    let r = s.get("/api/v1/alerts?since=yesterday", &s.viewer);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("`since`"), "{}", r.text());
    let r = s.get("/api/v1/alerts?rulle=x", &s.viewer);
    assert_eq!(r.status, 400, "an unknown filter is refused: {}", r.text());

    // Clusters: rule + host + image; counts.
    let r = s.get("/api/v1/clusters", &s.viewer);
    assert_eq!(r.status, 200, "{}", r.text());
    let clusters = r.json()["clusters"].as_array().unwrap().clone();
    let lines = clusters
        .iter()
        .find(|c| c["rule"] == json!("Lines rule"))
        .unwrap();
    assert_eq!(lines["count"], json!(3));
}

#[test]
fn hostile_strings_come_back_byte_for_byte() {
    let s = start();
    let nasty = "\u{1b}]0;pwned\u{7}\u{1b}[2J<script>alert(1)</script>\u{202e}\u{200b}\u{feff}\u{ffff}\u{0}\r\n\"\\'`${x}%n";
    let mut a = alert(&format!("Hostile {nasty}"), 1);
    a["output"] = json!(nasty);
    a["hostname"] = json!(nasty);
    a["output_fields"]["proc.cmdline"] = json!(nasty);
    a["output_fields"][nasty] = json!(nasty);
    // Sent with JSON's escapes as one client writes them, and with the characters raw.
    let escaped = serde_json::to_string(&a)
        .unwrap()
        .replace('\u{202e}', "\\u202e");
    a["output_fields"]["evt.num"] = json!(2);
    let raw_text = serde_json::to_string(&a).unwrap();
    assert!(raw_text.contains('\u{202e}') && escaped.contains("\\u202e"));
    for (i, body) in [escaped.clone(), raw_text].iter().enumerate() {
        let r = s.post("/api/v1/alerts", "application/json", body.as_bytes());
        assert_eq!(r.status, 200, "{i}: {}", r.text());
        let id = r.json()["ids"][0].as_i64().unwrap();
        let got = s.get(&format!("/api/v1/alerts/{id}"), &s.viewer);
        assert_eq!(got.status, 200);
        // The alert's bytes are inside the answer unchanged, and read as the same value.
        let text = got.text();
        assert!(text.contains(body.as_str()), "{i}: {text}");
        let want: Json = serde_json::from_str(body).unwrap();
        assert_eq!(got.json()["alert"], want);
        assert_eq!(got.json()["rule"], want["rule"]);
        assert!(got
            .headers
            .to_ascii_lowercase()
            .contains("content-type: application/json"));
    }
    // Found by its text; the rule name is a filter value, never interpreted.
    assert_eq!(s.alerts_of(&format!("Hostile {nasty}")).len(), 2);
    let r = s.get(&format!("/api/v1/alerts?q={}", enc("<script>")), &s.viewer);
    assert_eq!(r.json()["alerts"].as_array().unwrap().len(), 2);
    // In the metrics, the rule is an escaped label on one line.
    let m = s.get("/metrics", &s.admin).text();
    for line in m.lines() {
        assert!(
            line.starts_with("# ") || line.starts_with("quell_"),
            "{line:?}"
        );
    }
    assert!(m.contains("rule=\"Hostile \u{1b}]0;pwned"), "{m}");
}

#[test]
fn a_retried_batch_is_not_stored_twice() {
    let s = start();
    let batch: Vec<Json> = (0..500).map(|n| alert("Retry rule", n)).collect();
    let body = serde_json::to_string(&batch).unwrap();
    let first = s.post("/api/v1/alerts", "application/json", body.as_bytes());
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(
        (
            first.json()["stored"].clone(),
            first.json()["duplicates"].clone()
        ),
        (json!(500), json!(0))
    );
    let again = s.post("/api/v1/alerts", "application/json", body.as_bytes());
    assert_eq!(
        (
            again.json()["stored"].clone(),
            again.json()["duplicates"].clone()
        ),
        (json!(0), json!(500))
    );
    assert_eq!(first.json()["ids"], again.json()["ids"], "the same ids");
    // The same alerts as JSON Lines: still the same alerts.
    let jl: String = batch.iter().map(|a| format!("{a}\n")).collect();
    let r = s.post("/api/v1/alerts", "application/x-ndjson", jl.as_bytes());
    assert_eq!(r.json()["stored"], json!(0));
    let all = s.alerts_of("Retry rule");
    assert_eq!(all.len(), 500, "cursor pages give every alert once");
    let ids: std::collections::BTreeSet<i64> =
        all.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 500);

    // falcosidekick retrying: same uuid, same alert.
    let mut sk = alert("Sidekick retry", 1);
    sk["uuid"] = json!("7d8e0c57-7f43-4c55-8a3c-0d6c2b9c1e11");
    for _ in 0..3 {
        assert_eq!(
            s.post(
                "/api/v1/alerts",
                "application/json",
                sk.to_string().as_bytes()
            )
            .status,
            200
        );
    }
    assert_eq!(s.alerts_of("Sidekick retry").len(), 1);
    let m = s.get("/metrics", &s.admin).text();
    assert!(m.contains("quell_alerts_duplicate_total 1002\n"), "{m}");
    assert!(
        m.contains("quell_alerts_ingested_total{rule=\"Retry rule\",priority=\"Warning\"} 500\n"),
        "{m}"
    );
    // A sender that reuses a uuid for another alert does not lose that alert.
    let mut reused = alert("Sidekick retry", 2);
    reused["uuid"] = sk["uuid"].clone();
    assert_eq!(
        s.post(
            "/api/v1/alerts",
            "application/json",
            reused.to_string().as_bytes()
        )
        .status,
        200
    );
    assert_eq!(s.alerts_of("Sidekick retry").len(), 2);
}

#[test]
fn malformed_and_oversized_bodies_store_nothing() {
    let s = start();
    let good = alert("Bad batch", 1).to_string();
    let mut bad = alert("Bad batch", 2);
    bad["priority"] = json!("loud");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{good}\n{good}\n{bad}\n"),
            "application/x-ndjson",
            "line 3: `priority`",
        ),
        (
            format!("[{good},{bad}]"),
            "application/json",
            "element 1: `priority`",
        ),
        (
            format!("[{good},{{\"rule\":"),
            "application/json",
            "invalid JSON",
        ),
        (
            format!("[{good}, 7]"),
            "application/json",
            "element 1: expected a JSON object",
        ),
        ("".to_string(), "application/json", "empty body"),
    ];
    for (body, ct, want) in &cases {
        let r = s.post("/api/v1/alerts", ct, body.as_bytes());
        assert_eq!(r.status, 400, "{body}");
        let msg = r.json()["error"].as_str().unwrap().to_string();
        assert!(msg.contains(want), "{msg} should contain {want}");
    }
    let r = s.post("/api/v1/alerts", "application/json", b"\xff\xfe{}");
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("not UTF-8"));

    // Over the limit, declared: refused before the body is read.
    let big: Vec<Json> = (0..2000).map(|n| alert("Bad batch", n)).collect();
    let big = serde_json::to_string(&big).unwrap();
    assert!(big.len() > LIMIT);
    let head = format!(
        "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        s.sensor,
        big.len()
    );
    let r = s.raw(head.as_bytes());
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains(&format!("larger than {LIMIT} bytes")));
    // Over the limit, chunked (no length given): refused when the limit is passed.
    let mut chunked = format!(
        "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        s.sensor
    )
    .into_bytes();
    for part in big.as_bytes().chunks(16 << 10) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = s.raw(&chunked);
    assert_eq!(r.status, 413, "{}", r.text());

    // A compressed body is refused, not parsed as garbage.
    let r = s.raw(
        format!(
            "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n{good}",
            s.sensor,
            good.len()
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 415, "{}", r.text());
    // A body that stops arriving: 408 once the timeout passes.
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        s.sensor,
        good.len()
    );
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(&good.as_bytes()[..10]).unwrap();
    let mut answer = String::new();
    let _ = c.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    assert_eq!(
        s.alerts_of("Bad batch").len(),
        0,
        "nothing of a refused batch is stored"
    );
    let m = s.get("/metrics", &s.admin).text();
    assert!(
        m.contains("quell_ingest_rejected_total{reason=\"malformed\"} 6\n"),
        "{m}"
    );
    assert!(
        m.contains("quell_ingest_rejected_total{reason=\"too_large\"} 2\n"),
        "{m}"
    );
    for reason in ["encoding", "timeout"] {
        let line = format!("quell_ingest_rejected_total{{reason=\"{reason}\"}} 1\n");
        assert!(m.contains(&line), "{line} in {m}");
    }
}

#[test]
fn tokens_and_roles() {
    let s = start();
    // /healthz needs no token.
    let r = s.req("GET", "/healthz", None, None, b"");
    assert_eq!((r.status, r.text().as_str()), (200, "ok\n"));
    // No token, an unknown token, a malformed header: 401 with a challenge.
    for token in [None, Some("quell_0000"), Some("")] {
        let r = s.req("GET", "/api/v1/alerts", token, None, b"");
        assert_eq!(r.status, 401, "{token:?}");
        assert!(r
            .headers
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"));
        assert!(r.json()["error"].is_string());
    }
    let r = s.raw(format!("GET /api/v1/alerts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic {}\r\n\r\n", s.admin).as_bytes());
    assert_eq!(r.status, 401, "a token must come as Bearer");
    let body = alert("Role rule", 1).to_string();
    let post = |token: &str, path: &str, body: &str| {
        s.req(
            "POST",
            path,
            Some(token),
            Some("application/json"),
            body.as_bytes(),
        )
    };
    // Viewer: reads, never writes.
    assert_eq!(post(&s.viewer, "/api/v1/alerts", &body).status, 403);
    assert_eq!(s.get("/api/v1/alerts", &s.viewer).status, 200);
    assert_eq!(s.get("/metrics", &s.viewer).status, 200);
    // Sensor: ingests, reads nothing stored.
    assert_eq!(post(&s.sensor, "/api/v1/alerts", &body).status, 200);
    let r = s.get("/api/v1/alerts", &s.sensor);
    assert_eq!(r.status, 403);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("a sensor token may not"));
    assert_eq!(s.get("/api/v1/clusters", &s.sensor).status, 403);
    assert_eq!(s.get("/metrics", &s.sensor).status, 403);
    assert_eq!(s.get("/api/v1/openapi.json", &s.sensor).status, 200);
    // Decisions: admin only.
    let id = s.alerts_of("Role rule")[0]["id"].as_i64().unwrap();
    let d =
        json!({"alert_id": id, "decision": "benign", "reason": "the nightly backup"}).to_string();
    assert_eq!(post(&s.sensor, "/api/v1/decisions", &d).status, 403);
    assert_eq!(post(&s.viewer, "/api/v1/decisions", &d).status, 403);
    let r = post(&s.admin, "/api/v1/decisions", &d);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.json()["actor"],
        json!("alice"),
        "who decided is the token's name"
    );
    assert_eq!(r.json()["verdict"], json!("benign"));
    // A decision on a cluster shows on the cluster.
    let cid = s.alerts_of("Role rule")[0]["cluster_id"].as_i64().unwrap();
    let d = json!({"cluster_id": cid, "decision": "real", "reason": "r"}).to_string();
    assert_eq!(post(&s.admin, "/api/v1/decisions", &d).status, 201);
    let c = s.get("/api/v1/clusters?rule=Role%20rule", &s.admin).json();
    assert_eq!(c["clusters"][0]["decision"]["verdict"], json!("real"));
    // Malformed decisions.
    for bad in [
        json!({"alert_id": id, "decision": "maybe", "reason": ""}),
        json!({"alert_id": id, "cluster_id": cid, "decision": "real"}),
        json!({"decision": "real"}),
        json!({"alert_id": "x", "decision": "real"}),
    ] {
        assert_eq!(
            post(&s.admin, "/api/v1/decisions", &bad.to_string()).status,
            400,
            "{bad}"
        );
    }
    let r = post(
        &s.admin,
        "/api/v1/decisions",
        &json!({"alert_id": 999999, "decision": "real"}).to_string(),
    );
    assert_eq!(r.status, 404, "{}", r.text());
}

#[test]
fn metrics_move_with_ingest_and_requests() {
    let s = start();
    let before = s.get("/metrics", &s.admin).text();
    assert!(!before.contains("Metric rule"));
    let jl = format!("{}\n{}\n", alert("Metric rule", 1), alert("Metric rule", 2));
    assert_eq!(
        s.post("/api/v1/alerts", "application/x-ndjson", jl.as_bytes())
            .status,
        200
    );
    let _ = s.req("GET", "/api/v1/alerts", None, None, b"");
    let _ = s.get("/no/such/route", &s.admin);
    let m = s.get("/metrics", &s.admin).text();
    assert!(
        m.contains("quell_alerts_ingested_total{rule=\"Metric rule\",priority=\"Warning\"} 2\n"),
        "{m}"
    );
    assert!(
        m.contains("quell_ingest_batches_total{format=\"jsonl\"} 1\n"),
        "{m}"
    );
    assert!(m.contains("quell_http_requests_total{route=\"/api/v1/alerts\",method=\"POST\",status=\"200\"} 1\n"), "{m}");
    assert!(
        m.contains(
            "quell_http_requests_total{route=\"/api/v1/alerts\",method=\"GET\",status=\"401\"} 1\n"
        ),
        "{m}"
    );
    assert!(
        m.contains(
            "quell_http_requests_total{route=\"(unmatched)\",method=\"GET\",status=\"404\"} 1\n"
        ),
        "{m}"
    );
    assert!(
        m.contains("quell_http_request_duration_seconds_count{route=\"/api/v1/alerts\"} 2\n"),
        "{m}"
    );
    assert!(
        m.contains(
            "quell_http_request_duration_seconds_bucket{route=\"/api/v1/alerts\",le=\"+Inf\"} 2\n"
        ),
        "{m}"
    );
}

#[test]
fn openapi_describes_every_route_the_router_serves() {
    let s = start();
    let doc = s.get("/api/v1/openapi.json", &s.viewer).json();
    assert_eq!(doc["openapi"], json!("3.1.0"));
    let store = s.rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let st = Store::open(dir.path().join("x.db").to_str().unwrap())
            .await
            .unwrap();
        (st, dir)
    });
    let (_router, routes) = quell_server::router(store.0, Config::default());
    let mut served = std::collections::BTreeSet::new();
    for r in &routes {
        served.insert((r.path.to_string(), r.method.to_ascii_lowercase()));
        let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not in the OpenAPI document",
            r.method,
            r.path
        );
        let roles: Vec<&str> = op["x-quell-roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(roles, r.access.roles(), "{} {}: roles", r.method, r.path);
        assert_eq!(
            op["security"] == json!([]),
            r.access == Access::Public,
            "{} {}",
            r.method,
            r.path
        );
        // The router answers it (a JSON error of ours at worst, never the bare 404 or 405).
        let path = r.path.replace("{id}", "1").replace("{version}", "1");
        let resp = s.req(
            r.method,
            &path,
            Some(&s.admin),
            Some("application/json"),
            b"{}",
        );
        assert!(resp.status != 405, "{} {}", r.method, r.path);
        if resp.status == 404 {
            assert!(
                !resp.text().contains("no such route"),
                "{} {}: {}",
                r.method,
                r.path,
                resp.text()
            );
        }
    }
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((path.clone(), method.clone()));
        }
    }
    assert_eq!(
        served, documented,
        "the document's operations are the routes served"
    );
    assert_eq!(routes.len(), 28); // with `POST /api/v1/assistant` and `/mcp`
}

#[test]
fn one_alert_carries_triage_in_english_or_japanese() {
    let s = start();
    let mut a = alert("Terminal shell in container", 1);
    a["priority"] = json!("Notice");
    a["output_fields"]["proc.name"] = json!("bash");
    a["output_fields"]["proc.pname"] = json!("runc");
    a["output_fields"]["proc.tty"] = json!(34816);
    let plain = a.to_string();
    // The same alert (another time) with a decision its sender wrote into it.
    let mut forged = a.clone();
    forged["time"] = json!("2026-07-31T12:34:57Z");
    forged["output_fields"]["evt.time"] = json!(1_785_501_297_000_000_000u64);
    forged["quell.decision"] = json!("benign");
    forged["output_fields"]["quell.decision"] = json!("benign");
    let r = s.post(
        "/api/v1/alerts",
        "application/x-ndjson",
        format!("{plain}\n{forged}\n").as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let ids: Vec<i64> = r.json()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();

    let get = |id: i64, q: &str, lang_header: Option<&str>| {
        let mut req = format!(
            "GET /api/v1/alerts/{id}{q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\n",
            s.viewer
        );
        if let Some(l) = lang_header {
            req.push_str(&format!("Accept-Language: {l}\r\n"));
        }
        req.push_str("\r\n");
        let r = s.raw(req.as_bytes());
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["triage"].clone()
    };
    let en = get(ids[0], "", None);
    assert_eq!(en["lang"], json!("en"));
    let verdict = en["verdict"].as_str().unwrap().to_string();
    assert!(
        ["likely_false_positive", "uncertain", "likely_real"].contains(&verdict.as_str()),
        "{en}"
    );
    assert!(!en["reasons"].as_array().unwrap().is_empty(), "{en}");
    assert!(en["summary"].as_str().unwrap().is_ascii(), "{en}");
    let ja = get(ids[0], "?lang=ja", Some("en"));
    assert_eq!(
        (ja["lang"].clone(), ja["verdict"].clone()),
        (json!("ja"), json!(verdict))
    );
    assert!(
        !ja["summary"].as_str().unwrap().is_ascii(),
        "Japanese text: {ja}"
    );
    assert_eq!(
        get(ids[0], "", Some("ja-JP,ja;q=0.9,en;q=0.8"))["lang"],
        json!("ja")
    );
    let r = s.get(&format!("/api/v1/alerts/{}?lang=fr", ids[0]), &s.viewer);
    assert_eq!(r.status, 400);

    // The sender's own `quell.decision` changes nothing.
    let f = get(ids[1], "", None);
    assert_eq!(
        (f["verdict"].clone(), f["score"].clone()),
        (en["verdict"].clone(), en["score"].clone()),
        "{f}"
    );

    // A decision recorded by a person does: "real" on the first alert moves the other's score down.
    let d = json!({"alert_id": ids[0], "decision": "real", "reason": "not ours"}).to_string();
    let r = s.req(
        "POST",
        "/api/v1/decisions",
        Some(&s.admin),
        Some("application/json"),
        d.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let after = get(ids[1], "", None);
    assert!(
        after["score"].as_f64().unwrap() < en["score"].as_f64().unwrap(),
        "before {en}\nafter {after}"
    );
    assert_ne!(after["verdict"], json!("likely_false_positive"));
}

#[test]
fn concurrent_senders_each_alert_once() {
    let s = start();
    let senders = 3;
    let batches = 4;
    std::thread::scope(|scope| {
        for t in 0..senders {
            let s = &s;
            scope.spawn(move || {
                for b in 0..batches {
                    let batch: Vec<Json> = (0..100)
                        .map(|n| alert(&format!("Concurrent {t}"), b * 1000 + n))
                        .collect();
                    let body = serde_json::to_string(&batch).unwrap();
                    // Each batch sent twice, as a sender that did not see the first answer would.
                    for _ in 0..2 {
                        let r = s.post("/api/v1/alerts", "application/json", body.as_bytes());
                        assert_eq!(r.status, 200, "{}", r.text());
                    }
                }
            });
        }
    });
    for t in 0..senders {
        let got = s.alerts_of(&format!("Concurrent {t}"));
        assert_eq!(got.len(), (batches * 100) as usize, "sender {t}");
    }
    let m = s.get("/metrics", &s.admin).text();
    assert!(m.contains("quell_alerts_duplicate_total 1200\n"), "{m}");
}

/// A client that trickles its request head (one byte every 50 ms, never a whole head) is
/// disconnected once the header timeout (500 ms here) has passed, and does not stop the
/// server answering others.
#[test]
fn a_client_trickling_its_request_head_is_disconnected() {
    let s = start();
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let t = std::time::Instant::now();
    let mut closed_after = None;
    while t.elapsed() < Duration::from_secs(10) {
        if c.write_all(b"a").is_err() {
            closed_after = Some(t.elapsed());
            break;
        }
        let mut buf = [0u8; 512];
        match c.read(&mut buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // End of stream, an error, or an answer before closing: the server gave up.
            _ => {
                closed_after = Some(t.elapsed());
                break;
            }
        }
    }
    let closed_after = closed_after.expect("the connection was still open after 10 s");
    assert!(
        closed_after < Duration::from_secs(5),
        "closed only after {closed_after:?}"
    );
    let r = s.req("GET", "/healthz", None, None, b"");
    assert_eq!(r.status, 200, "{}", r.text());
}
