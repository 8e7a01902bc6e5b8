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
