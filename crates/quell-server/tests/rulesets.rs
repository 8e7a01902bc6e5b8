//! The rule-set routes over loopback (`common`: a real listener on 127.0.0.1, port 0).

mod common;

use std::time::{Duration, Instant};

use common::*;
use quell_store::{ExceptionProvenance, NewRuleSet, RuleFile};
use serde_json::{json, Value as Json};

const BASE: &str = "\
- rule: Shell in container
  desc: a shell ran in a container
  condition: evt.type = execve and proc.name = bash and container.id != host
  output: shell %proc.cmdline
  priority: WARNING
";

const LOCAL: &str = "\
- rule: Shell in container
  exceptions:
  - name: ops_probe
    fields: [proc.cmdline]
    values: [[bash -c probe]]
  - name: kept
    fields: [proc.cmdline]
    values: [[bash -c kept]]
  override:
    exceptions: append
";

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Saves a version straight into the store (as another `quell serve` on the same
/// database would: no notification reaches this server).
fn save_in_store(s: &Server, comment: &str, local: &str, expires_ns: Option<u64>) -> i64 {
    let mut rs = NewRuleSet::new(
        "someone",
        comment,
        vec![
            RuleFile::new("base/00-default_rules.yaml", BASE),
            RuleFile::new("falco_rules.local.yaml", local),
        ],
    );
    let mut p = ExceptionProvenance::new("Shell in container", "ops_probe", "quell tune");
    p.expires_ns = expires_ns;
    rs.exceptions.push(p);
    s.rt.block_on(s.store.save_ruleset(rs)).unwrap().version
}

fn local_text(v: &Json) -> String {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == json!("local"))
        .unwrap()["contents"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn active_version_for_every_role_and_long_poll() {
    let s = start();
    // Nothing saved yet: 404 at once, 204 after the wait with `after`.
    let r = s.get("/api/v1/rulesets/active", &s.sensor);
    assert_eq!(r.status, 404, "{}", r.text());
    let t = Instant::now();
    let r = s.get("/api/v1/rulesets/active?after=0&wait=1", &s.sensor);
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert!(r.body.is_empty());

    let v1 = save_in_store(&s, "first", LOCAL, None);
    for tok in [&s.sensor, &s.viewer, &s.admin] {
        let r = s.get("/api/v1/rulesets/active", tok);
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!(v["version"], json!(v1));
        assert_eq!(v["revision"], json!(format!("{v1}.0")));
        assert_eq!(v["comment"], json!("first"));
        let names: Vec<&str> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["base/00-default_rules.yaml", "falco_rules.local.yaml"]
        );
        assert_eq!(v["files"][0]["kind"], json!("base"));
        assert_eq!(local_text(&v), LOCAL);
        assert_eq!(v["expired"], json!([]));
        assert_eq!(v["exceptions"][0]["proposer"], json!("quell tune"));
        assert_eq!(v["exceptions"][0]["expired"], json!(false));
    }
    // No token: 401; a malformed `after` or an unknown parameter: 400.
    assert_eq!(
        s.req("GET", "/api/v1/rulesets/active", None, None, b"")
            .status,
        401
    );
    assert_eq!(
        s.get("/api/v1/rulesets/active?after=x", &s.sensor).status,
        400
    );
    assert_eq!(
        s.get("/api/v1/rulesets/active?afterr=1", &s.sensor).status,
        400
    );

    // Up to date: the long poll waits, then 204.
    let t = Instant::now();
    let r = s.get(
        &format!("/api/v1/rulesets/active?after={v1}&wait=1"),
        &s.sensor,
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(t.elapsed() >= Duration::from_millis(900));

    // A version saved by another server on the same database is seen within the recheck.
    std::thread::scope(|sc| {
        let poll = sc.spawn(|| {
            let t = Instant::now();
            let r = s.get(
                &format!("/api/v1/rulesets/active?after={v1}&wait=20"),
                &s.sensor,
            );
            (r, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        // Its exception expires 4 s from now (after the recheck has seen the version).
        let v2 = save_in_store(&s, "second", LOCAL, Some(now_ns() + 4_000_000_000));
        let (r, took) = poll.join().unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!(v["version"], json!(v2));
        assert!(took < Duration::from_secs(4), "{took:?}");
        assert_eq!(v["expired"], json!([]));
        assert!(v["next_expiry_ns"].is_u64());
        let rev = v["revision"].as_str().unwrap().to_string();
        assert_eq!(rev, format!("{v2}.0"));

        // The expiry passes: the long poll answers with the exception removed.
        let t = Instant::now();
        let r = s.get(
            &format!("/api/v1/rulesets/active?after={rev}&wait=20"),
            &s.sensor,
        );
        let took = t.elapsed();
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(took < Duration::from_secs(5), "{took:?}");
        let v = r.json();
        assert_eq!(v["revision"], json!(format!("{v2}.1")));
        assert_eq!(v["expired"][0]["rule"], json!("Shell in container"));
        assert_eq!(v["expired"][0]["name"], json!("ops_probe"));
        assert_eq!(v["expired"][0]["removed"], json!(1));
        assert_eq!(v["exceptions"][0]["expired"], json!(true));
        let text = local_text(&v);
        assert!(!text.contains("probe"), "{text}");
        assert!(text.contains("bash -c kept"), "{text}");
        // The base file is never edited, the stored version neither.
        assert_eq!(v["files"][0]["contents"], json!(BASE));
        let stored = s.rt.block_on(s.store.ruleset(v2)).unwrap().unwrap();
        assert_eq!(stored.files[1].contents, LOCAL);

        // A bare version number is read as `V.0`: an expiry since then answers at once.
        let r = s.get(
            &format!("/api/v1/rulesets/active?after={v2}&wait=5"),
            &s.sensor,
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["revision"], json!(format!("{v2}.1")));
    });
}

#[test]
fn serve_saves_its_base_files_when_they_change() {
    let s = start();
    let base = |t: &str| vec![("/etc/falco/falco_rules.yaml".to_string(), t.to_string())];
    let sync = |b: &[(String, String)]| {
        s.rt.block_on(quell_server::rules::sync_base(&s.store, b))
            .unwrap()
    };
    // The first start saves version 1 with the base files.
    let v1 = sync(&base(BASE)).unwrap();
    let rs = s.rt.block_on(s.store.ruleset(v1)).unwrap().unwrap();
    assert_eq!(rs.author, "quell serve");
    assert_eq!(rs.files.len(), 1);
    assert_eq!(rs.files[0].name, "base/00-falco_rules.yaml");
    // The same base files: nothing saved.
    assert_eq!(sync(&base(BASE)), None);
    // Someone saves local files and an exception; a restart with other base files keeps them.
    let v2 = save_in_store(&s, "local", LOCAL, None);
    // save_in_store also wrote its own base file: a start with BASE under another name differs.
    let changed = format!("{BASE}\n# changed\n");
    let v3 = sync(&base(&changed)).unwrap();
    assert!(v3 > v2);
    let rs = s.rt.block_on(s.store.ruleset(v3)).unwrap().unwrap();
    assert_eq!(rs.author, "quell serve");
    let names: Vec<&str> = rs.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["base/00-falco_rules.yaml", "falco_rules.local.yaml"]
    );
    assert_eq!(rs.files[0].contents, changed);
    assert_eq!(rs.files[1].contents, LOCAL);
    assert_eq!(rs.exceptions.len(), 1);
    assert_eq!(rs.exceptions[0].name, "ops_probe");
    assert_eq!(sync(&base(&changed)), None);
    // The change is in the audit log.
    let audit =
        s.rt.block_on(s.store.audit(quell_store::AuditQuery::default()))
            .unwrap();
    assert_eq!(audit[0].action, "ruleset.save");
    assert_eq!(audit[0].target, format!("ruleset:{v3}"));
}

/// A server whose `quell serve -r` base file is BASE, synced as version 1.
fn start_with_base() -> Server {
    let s = start_with(quell_server::Config {
        max_body_bytes: LIMIT,
        body_timeout: Duration::from_millis(500),
        base_rules: vec![("/etc/falco/default_rules.yaml".into(), BASE.into())],
        ..quell_server::Config::default()
    });
    let v =
        s.rt.block_on(quell_server::rules::sync_base(&s.store, &s_base()))
            .unwrap();
    assert_eq!(v, Some(1));
    s
}

fn s_base() -> Vec<(String, String)> {
    vec![("/etc/falco/default_rules.yaml".into(), BASE.into())]
}

fn post_json(s: &Server, path: &str, token: &str, body: &Json) -> Resp {
    s.req(
        "POST",
        path,
        Some(token),
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

fn save_body(comment: &str, local: &str) -> Json {
    json!({"comment": comment, "files": [{"name": "falco_rules.local.yaml", "contents": local}]})
}

#[test]
fn validate_reports_diagnostics_with_positions_and_saves_nothing() {
    let s = start_with_base();
    // Invalid YAML: the parse error's line and column.
    let bad = "- rule: Shell in container\n  exceptions:\n  - name: a\n    fields: [proc.name\n";
    let r = post_json(
        &s,
        "/api/v1/rulesets/validate",
        &s.viewer,
        &save_body("", bad),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["ok"], json!(false));
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], json!("LOAD_ERR_YAML_PARSE"), "{v}");
    assert_eq!(d["file"], json!("falco_rules.local.yaml"));
    assert!(d["line"].as_u64().unwrap() >= 4, "{d}");
    assert!(d["column"].as_u64().is_some(), "{d}");
    // A condition naming an unknown field: the error is at its line in the local file.
    let bad_cond = "- rule: New rule\n  desc: d\n  condition: evt.type = open and proc.nosuchfield = x\n  output: o\n  priority: WARNING\n";
    let r = post_json(
        &s,
        "/api/v1/rulesets/validate",
        &s.admin,
        &save_body("", bad_cond),
    );
    let v = r.json();
    assert_eq!(v["ok"], json!(false), "{v}");
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == json!("error"))
        .unwrap()
        .clone();
    assert_eq!(d["file"], json!("falco_rules.local.yaml"), "{d}");
    assert_eq!(d["line"], json!(3), "{d}");
    // Saving either is refused with the diagnostics (422); nothing is saved.
    for text in [bad, bad_cond] {
        let r = post_json(&s, "/api/v1/rulesets", &s.admin, &save_body("try", text));
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.json()["diagnostics"][0]["code"].is_string());
        assert!(r.json()["error"]
            .as_str()
            .unwrap()
            .contains("nothing saved"));
    }
    // Names: base/…, traversal, non-YAML.
    for name in [
        "base/00-x.yaml",
        "../x.yaml",
        "/etc/x.yaml",
        "x.txt",
        "a/b/c.yaml",
    ] {
        let body = json!({"comment": "c", "files": [{"name": name, "contents": LOCAL}]});
        let r = post_json(&s, "/api/v1/rulesets", &s.admin, &body);
        assert_eq!(r.status, 422, "{name}: {}", r.text());
        assert_eq!(
            r.json()["diagnostics"][0]["code"],
            json!("QUELL_BAD_FILE_NAME")
        );
    }
    // Provenance for an exception no local file has; an expiry in the past; an expiring
    // exception written in flow style (it could not be removed when it expires).
    let mut body = save_body("c", LOCAL);
    body["exceptions"] = json!([{"rule": "Shell in container", "name": "nope"}]);
    let r = post_json(&s, "/api/v1/rulesets", &s.admin, &body);
    assert_eq!(
        r.json()["diagnostics"][0]["code"],
        json!("QUELL_PROVENANCE_UNKNOWN_EXCEPTION")
    );
    body["exceptions"] =
        json!([{"rule": "Shell in container", "name": "kept", "expires": "2001-01-01T00:00:00Z"}]);
    let r = post_json(&s, "/api/v1/rulesets", &s.admin, &body);
    assert_eq!(
        r.json()["diagnostics"][0]["code"],
        json!("QUELL_BAD_EXPIRY"),
        "{}",
        r.text()
    );
    let flow = "- rule: Shell in container\n  exceptions: [{name: f, fields: [proc.cmdline], values: [[bash -c f]]}]\n  override:\n    exceptions: append\n";
    let mut body = save_body("c", flow);
    body["exceptions"] =
        json!([{"rule": "Shell in container", "name": "f", "expires": "2200-01-01T00:00:00Z"}]);
    let r = post_json(&s, "/api/v1/rulesets", &s.admin, &body);
    assert_eq!(r.status, 422, "{}", r.text());
    let d = &r.json()["diagnostics"][0];
    assert_eq!(d["code"], json!("QUELL_EXPIRY_NOT_REMOVABLE"), "{d}");
    assert_eq!(d["line"], json!(2), "{d}");
    // No comment: 400. Malformed JSON: 400. A huge body: 413. Nothing saved by any.
    let r = post_json(&s, "/api/v1/rulesets", &s.admin, &save_body(" ", LOCAL));
    assert_eq!(r.status, 400, "{}", r.text());
    let r = s.req(
        "POST",
        "/api/v1/rulesets",
        Some(&s.admin),
        Some("application/json"),
        b"{\"files\": [",
    );
    assert_eq!(r.status, 400);
    let huge = save_body("big", &"#".repeat(LIMIT + 10));
    let r = post_json(&s, "/api/v1/rulesets", &s.admin, &huge);
    assert_eq!(r.status, 413, "{}", r.text());
    let r = post_json(&s, "/api/v1/rulesets/validate", &s.admin, &huge);
    assert_eq!(r.status, 413, "{}", r.text());
    let v = s.get("/api/v1/rulesets", &s.viewer).json();
    assert_eq!(v["versions"].as_array().unwrap().len(), 1, "{v}");
}

#[test]
fn save_diff_rollback_export_and_roles() {
    let s = start_with_base();
    // Roles on the write routes: no token 401, sensor and viewer 403.
    for path in ["/api/v1/rulesets", "/api/v1/rulesets/1/rollback"] {
        let body = save_body("c", LOCAL).to_string();
        let r = s.req(
            "POST",
            path,
            None,
            Some("application/json"),
            body.as_bytes(),
        );
        assert_eq!(r.status, 401, "{path}");
        for tok in [&s.sensor, &s.viewer] {
            let r = s.req(
                "POST",
                path,
                Some(tok),
                Some("application/json"),
                body.as_bytes(),
            );
            assert_eq!(r.status, 403, "{path}: {}", r.text());
        }
    }
    // A sensor may not validate either (it reads rules only).
    let r = post_json(
        &s,
        "/api/v1/rulesets/validate",
        &s.sensor,
        &save_body("", LOCAL),
    );
    assert_eq!(r.status, 403);

    // Save: a sensor long-polling is woken by the save (well within the 2 s recheck).
    let hostile = "\u{1b}]0;pwn\u{7}\u{1b}[31m<script>alert(1)</script>{{x}}";
    let local = format!(
        "{LOCAL}- rule: \"{}\"\n  desc: d\n  condition: evt.type = open and proc.name = x\n  output: o\n  priority: WARNING\n",
        hostile.replace('\u{1b}', "\\e").replace('\u{7}', "\\a")
    );
    let v2 = std::thread::scope(|sc| {
        let poll = sc.spawn(|| {
            let t = Instant::now();
            let r = s.get("/api/v1/rulesets/active?after=1&wait=20", &s.sensor);
            (r, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        let mut body = save_body("an exception for the probe", &local);
        body["exceptions"] = json!([{"rule": "Shell in container", "name": "ops_probe",
            "proposer": "quell tune", "verification": {"passed": true}, "comment": "probe",
            "expires": "2200-01-01T00:00:00Z"}]);
        let t = Instant::now();
        let r = post_json(&s, "/api/v1/rulesets", &s.admin, &body);
        assert_eq!(r.status, 201, "{}", r.text());
        let saved_at = t.elapsed();
        let v2 = r.json()["saved"]["version"].as_i64().unwrap();
        let (r, took) = poll.join().unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["version"], json!(v2));
        assert!(
            took < Duration::from_millis(300) + saved_at + Duration::from_millis(1200),
            "woken by the save, not by the recheck: {took:?}"
        );
        v2
    });
    assert_eq!(v2, 2);
    let list = s.get("/api/v1/rulesets", &s.sensor).json();
    assert_eq!(list["active"], json!(2));
    assert_eq!(list["versions"][0]["author"], json!("alice"));
    assert_eq!(
        list["versions"][0]["comment"],
        json!("an exception for the probe")
    );
    assert_eq!(list["versions"][1]["author"], json!("quell serve"));
    let one = s.get("/api/v1/rulesets/2", &s.viewer).json();
    assert_eq!(one["active"], json!(true));
    assert_eq!(one["files"][1]["contents"], json!(local), "byte for byte");
    assert!(local.contains("<script>alert(1)</script>"));
    let ex = &one["exceptions"][0];
    assert_eq!(
        (
            &ex["proposer"],
            &ex["comment"],
            &ex["verification"],
            &ex["expired"]
        ),
        (
            &json!("quell tune"),
            &json!("probe"),
            &json!({"passed": true}),
            &json!(false)
        )
    );
    // The hostile rule name reached the engine as written (it loads; its name is data).
    let active = s.get("/api/v1/rulesets/active", &s.sensor).json();
    assert_eq!(active["files"][1]["contents"], json!(local));
    assert_eq!(s.get("/api/v1/rulesets/999", &s.viewer).status, 404);
    assert_eq!(s.get("/api/v1/rulesets/abc", &s.viewer).status, 400);
    assert_eq!(s.get("/api/v1/rulesets/0", &s.viewer).status, 400);

    // Diff 1 → 2: the local file added.
    let d = s.get("/api/v1/rulesets/diff?from=1&to=2", &s.viewer);
    assert_eq!(d.status, 200, "{}", d.text());
    let d = d.json();
    assert_eq!(d["files"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["files"][0]["status"], json!("added"));
    let diff = d["files"][0]["diff"].as_str().unwrap();
    assert!(diff.contains("+  - name: ops_probe"), "{diff}");
    assert!(diff.starts_with("--- a/falco_rules.local.yaml"), "{diff}");
    assert_eq!(d["exceptions"]["added"][0]["name"], json!("ops_probe"));
    assert_eq!(
        s.get("/api/v1/rulesets/diff?from=1&to=999", &s.viewer)
            .status,
        404
    );
    assert_eq!(
        s.get("/api/v1/rulesets/diff?from=77&to=99", &s.viewer)
            .status,
        404
    );
    assert_eq!(
        s.get("/api/v1/rulesets/diff?from=x&to=2", &s.viewer).status,
        400
    );
    assert_eq!(s.get("/api/v1/rulesets/diff?from=1", &s.viewer).status, 400);

    // Export for a real Falco.
    let r = s.get("/api/v1/rulesets/2/export?form=local", &s.sensor);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.headers.contains("filename=\"falco_rules.local.yaml\""),
        "{}",
        r.headers
    );
    let text = r.text();
    assert!(text.contains(&local), "{text}");
    let mut e = quell_rules::engine::Engine::new();
    assert!(e.load("base.yaml", BASE).successful);
    let res = e.load("falco_rules.local.yaml", &text);
    assert!(res.successful, "{res:?}");
    let r = s.get("/api/v1/rulesets/2/export?form=rulesd", &s.sensor);
    assert!(
        r.headers.contains("filename=\"quell-ruleset-v2.yaml\""),
        "{}",
        r.headers
    );
    assert_eq!(
        s.get("/api/v1/rulesets/2/export?form=zip", &s.sensor)
            .status,
        400
    );
    assert_eq!(s.get("/api/v1/rulesets/9/export", &s.sensor).status, 404);

    // Rollback to 1: a new version 3 without the local file; history kept.
    let r = post_json(
        &s,
        "/api/v1/rulesets/1/rollback",
        &s.admin,
        &json!({"comment": "too broad"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["saved"]["version"], json!(3));
    let v3 = s.get("/api/v1/rulesets/3", &s.viewer).json();
    assert_eq!(v3["comment"], json!("rollback to version 1: too broad"));
    assert_eq!(v3["files"].as_array().unwrap().len(), 1);
    assert_eq!(v3["files"][0]["kind"], json!("base"));
    assert_eq!(
        s.get("/api/v1/rulesets/2", &s.viewer).json()["files"][1]["contents"],
        json!(local)
    );
    let r = s.req(
        "POST",
        "/api/v1/rulesets/2/rollback",
        Some(&s.admin),
        None,
        b"",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        s.get("/api/v1/rulesets/4", &s.viewer).json()["exceptions"][0]["name"],
        json!("ops_probe")
    );
    assert_eq!(
        s.req(
            "POST",
            "/api/v1/rulesets/99/rollback",
            Some(&s.admin),
            None,
            b""
        )
        .status,
        404
    );
    // Every change is in the audit log, by who made it.
    let audit =
        s.rt.block_on(s.store.audit(quell_store::AuditQuery::default()))
            .unwrap();
    let saves: Vec<(String, String)> = audit
        .iter()
        .filter(|a| a.action == "ruleset.save")
        .map(|a| (a.actor.clone(), a.target.clone()))
        .collect();
    assert_eq!(
        saves,
        [
            ("alice".to_string(), "ruleset:4".to_string()),
            ("alice".into(), "ruleset:3".into()),
            ("alice".into(), "ruleset:2".into()),
            ("quell serve".into(), "ruleset:1".into())
        ]
    );
}

fn shell_alert(cmd: &str, n: u64, image: &str) -> Json {
    json!({
        "hostname": "node-1",
        "output": format!("shell {cmd}"),
        "output_fields": {"evt.time": 1_785_501_296_000_000_000u64 + n, "evt.type": "execve",
            "proc.name": "bash", "proc.cmdline": cmd, "proc.pname": "kubelet",
            "container.id": "3ad7b26ded6d", "container.image.repository": image,
            "k8s.ns.name": "web", "user.name": "root"},
        "priority": "Warning", "rule": "Shell in container", "source": "syscall",
        "time": quell_rules::output::falco_time(1_785_501_296_000_000_000 + n)
    })
}

#[test]
fn tune_from_stored_alerts_and_check() {
    let s = start_with_base();
    let lines: String = (0..4)
        .map(|n| {
            format!(
                "{}\n",
                shell_alert("bash -c /opt/probe/check.sh", n, "ops/probe")
            )
        })
        .collect();
    let r = s.post("/api/v1/alerts", "application/x-ndjson", lines.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    let ids: Vec<i64> = r.json()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    // Roles: admin only.
    let body = json!({"alert_ids": ids});
    assert_eq!(
        s.req(
            "POST",
            "/api/v1/tune",
            None,
            Some("application/json"),
            body.to_string().as_bytes()
        )
        .status,
        401
    );
    for tok in [&s.sensor, &s.viewer] {
        assert_eq!(post_json(&s, "/api/v1/tune", tok, &body).status, 403);
    }
    let r = post_json(&s, "/api/v1/tune", &s.admin, &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["rule"], json!("Shell in container"));
    assert_eq!(v["verification"]["passed"], json!(true), "{v}");
    assert_eq!(v["verification"]["benign_silenced"], json!(4));
    let yaml = v["yaml"].as_str().unwrap();
    assert!(yaml.contains("override:"), "{yaml}");
    let legacy = v["legacy"]["yaml"].as_str().unwrap();
    assert!(legacy.contains("append: true"), "{legacy}");
    assert_eq!(v["legacy"]["verification"]["passed"], json!(true));
    assert_eq!(v["history"]["alerts_read"], json!(4));
    assert_eq!(v["history"]["limit"], json!(5000));
    // The proposed block saves as a version and the check finds it sound.
    let r = post_json(
        &s,
        "/api/v1/tune/check",
        &s.viewer,
        &json!({"yaml": yaml, "alert_ids": ids}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["ok"], json!(true), "{}", r.text());
    let names = v["names"].as_array().unwrap();
    let mut save = save_body("tuned", yaml);
    save["exceptions"] = json!([{"rule": "Shell in container", "name": names[0], "proposer": "quell tune", "verification": v["verification"]}]);
    let r = post_json(&s, "/api/v1/rulesets", &s.admin, &save);
    assert_eq!(r.status, 201, "{}", r.text());
    // A broken block: problems and a fix.
    let broken = "- rule: Shell in container\n  exceptions:\n  - name: x\n    fields: [proc.cmdline]\n    values: [bash -c /opt/probe/check.sh]\n";
    let r = post_json(&s, "/api/v1/tune/check", &s.admin, &json!({"yaml": broken}));
    assert_eq!(r.status, 200, "{}", r.text());
    let c = r.json();
    assert_eq!(c["ok"], json!(false), "{c}");
    assert!(!c["problems"].as_array().unwrap().is_empty());
    // Alerts of two rules; unknown alert; nothing given.
    assert_eq!(
        post_json(&s, "/api/v1/tune", &s.admin, &json!({"alert_ids": [999]})).status,
        404
    );
    assert_eq!(
        post_json(&s, "/api/v1/tune", &s.admin, &json!({})).status,
        400
    );
    assert_eq!(
        post_json(&s, "/api/v1/tune", &s.admin, &json!({"alert_ids": "x"})).status,
        400
    );
}
