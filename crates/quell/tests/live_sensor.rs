//! Hot reload, live: `quell serve -r RULE` and `quell run --server … -- sh -c SCRIPT`. The
//! script reads a watched file (an alert), then reads a new file every 100 ms until the test
//! says go; meanwhile the test saves, through `POST /api/v1/rulesets`, an exception for the
//! first file and waits 5 s. Then the script reads the first file again (no alert: the
//! exception took effect without restarting the capture) and a different file (an alert).
//! Every read made while the rules changed raised its alert (nothing lost), on stdout and on
//! the server.
//!
//! Needs root and BPF: reported as ignored where capture cannot run, unless
//! `QUELL_LIVE_TESTS=1` (CI), where it fails instead.

#[path = "../../quell-capture/tests/common/live_harness.rs"]
#[macro_use]
mod live_harness;
mod common;
mod server_common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use server_common::{http, http_body, serve_with, stop, token};

const RULE: &str = "Test reload read";

fn hot_reload_from_the_server() {
    if let Err(e) = quell_capture::check_support() {
        panic!("live capture cannot run here: {e}");
    }
    let dir = tempfile::tempdir().unwrap();
    let watch = dir.path().join("watch");
    let ctl = dir.path().join("ctl");
    std::fs::create_dir_all(&watch).unwrap();
    std::fs::create_dir_all(&ctl).unwrap();
    let w = watch.to_str().unwrap();
    let c = ctl.to_str().unwrap();
    std::fs::write(watch.join("a"), "a").unwrap();
    std::fs::write(watch.join("b"), "b").unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "- rule: {RULE}\n  desc: a read of a watched test file\n  condition: evt.type in (open, openat, openat2) and fd.name startswith {w}/\n  output: read %fd.name by %proc.name\n  priority: WARNING\n"
        ),
    )
    .unwrap();
    let db = dir.path().join("quell.db");
    let db = db.to_str().unwrap();
    let sensor_token = token(db, "sensor", "edge-live");
    let admin = token(db, "admin", "ops");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &sensor_token).unwrap();
    let (mut server, addr) = serve_with(db, "127.0.0.1:0", &["-r", rules.to_str().unwrap()]);

    // Before: a read of `a`. Then a new file every 100 ms (written outside the watched
    // directory and renamed into it: only the read opens it there) until `go`; then `a`
    // again and `b`.
    let script = format!(
        "cat {w}/a >/dev/null; touch {c}/ready; i=0; \
         while [ ! -e {c}/go ]; do echo $i > {c}/c-$i; mv {c}/c-$i {w}/c-$i; cat {w}/c-$i >/dev/null; i=$((i+1)); sleep 0.1; done; \
         echo $i > {c}/count; cat {w}/a >/dev/null; cat {w}/b >/dev/null"
    );
    let child = common::quell()
        .args([
            "run",
            "--json",
            "--server",
            &format!("http://{addr}"),
            "--token-file",
            token_file.to_str().unwrap(),
            "--spool-dir",
            dir.path().join("spool").to_str().unwrap(),
            "--",
            "sh",
            "-c",
            &script,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    // Wait for the first read, then save the exception through the API.
    let start = Instant::now();
    while !ctl.join("ready").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the script did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The first read's alert is on the server before the exception is saved (the capture
    // evaluates events up to ~120 ms after they happen: an engine swapped in meanwhile
    // would apply to them).
    let start = Instant::now();
    loop {
        let (_, body) = http(&addr, "GET", "/api/v1/alerts?limit=10", &admin);
        if body.contains("/watch/a") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the first alert did not reach the server: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let local = format!(
        "- rule: {RULE}\n  exceptions:\n  - name: known_a\n    fields: [fd.name]\n    values: [[{w}/a]]\n  override:\n    exceptions: append\n"
    );
    let body = json!({
        "comment": "reading a is expected",
        "files": [{"name": "falco_rules.local.yaml", "contents": local}],
    });
    let (st, answer) = http_body(&addr, "POST", "/api/v1/rulesets", &admin, &body.to_string());
    assert!((200..300).contains(&st), "{st} {answer}");
    std::thread::sleep(Duration::from_secs(5));
    std::fs::write(ctl.join("go"), "").unwrap();

    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let alerts: Vec<Json> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|a: &Json| a["rule"] == RULE)
        .collect();
    let names: Vec<String> = alerts
        .iter()
        .map(|a| {
            a["output_fields"]["fd.name"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let a = format!("{w}/a");
    let b = format!("{w}/b");
    // `a` alerted once: before the exception, not after it.
    assert_eq!(
        names.iter().filter(|n| **n == a).count(),
        1,
        "{names:?}\n{stderr}"
    );
    assert_eq!(names.first(), Some(&a), "{names:?}");
    assert!(
        names.contains(&b),
        "the different action alerts: {names:?}\n{stderr}"
    );
    // Every read made while the rules changed alerted: nothing lost.
    let count: usize = std::fs::read_to_string(ctl.join("count"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(count >= 10, "the script ran {count} rounds in 5 s");
    for i in 0..count {
        let f = format!("{w}/c-{i}");
        assert_eq!(
            names.iter().filter(|n| **n == f).count(),
            1,
            "{f}: {names:?}"
        );
    }
    assert!(stderr.contains("takes effect"), "{stderr}");
    assert!(
        stderr.contains("left in the spool") && stderr.contains(" 0 left in the spool"),
        "{stderr}"
    );

    // The server has the same alerts (those before and after the reload).
    let (st, body) = http(
        &addr,
        "GET",
        &format!(
            "/api/v1/alerts?limit=1000&rule={}",
            RULE.replace(' ', "%20")
        ),
        &admin,
    );
    assert_eq!(st, 200, "{body}");
    let page: Json = serde_json::from_str(&body).unwrap();
    let on_server: BTreeSet<String> = page["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x["alert"]["output_fields"]["fd.name"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let printed: BTreeSet<String> = names.iter().cloned().collect();
    assert_eq!(on_server, printed);
    assert_eq!(page["alerts"].as_array().unwrap().len(), names.len());
    // The sensor reports the server's version it evaluates.
    let (_, body) = http(&addr, "GET", "/api/v1/sensors", &admin);
    let sensors: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(
        sensors["sensors"][0]["rules"]["source"], "server",
        "{sensors}"
    );
    stop(&mut server);
}

live_tests![hot_reload_from_the_server];
