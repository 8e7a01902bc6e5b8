//! `quell ask` end to end: options, rendering, JSON and exit codes (the answers themselves
//! are quell-assist's, tested there).

mod common;
mod server_common;

use std::process::Command;

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seed.jsonl");
const OP: &str = r#"proc.cmdline="rm /var/log/dpkg.log""#;
const WS: &str = r#"proc.cmdline="rm -f /var/log/dpkg.log""#;

fn ask(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quell"))
        .arg("ask")
        .args(["--events", SEED])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_story_from_the_command_line() {
    let (code, out, err) = ask(&["--about", OP, "このイベントは誤検知の可能性が高いですか？"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("誤検知の可能性が高い") && out.contains("理由"),
        "{out}"
    );

    let (code, out, err) = ask(&[
        "--about",
        OP,
        "--json",
        "これがアラートにならないように例外を書いて",
    ]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["intent"], "write_exception");
    assert_eq!(j["lang"], "ja");
    assert_eq!(j["verdict"]["verdict"], "likely_false_positive");
    assert_eq!(j["exception"]["verification"]["passed"], true);
    assert!(j["exception"]["yaml"]
        .as_str()
        .unwrap()
        .contains("override:"));

    // The web shell: refused, with its code, exit 1.
    let (code, out, err) = ask(&[
        "--about",
        WS,
        "write an exception so that this no longer alerts",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("likely real"), "{out}");
    assert!(err.contains("ASK_EXCEPTION_REFUSED"), "{err}");

    // --lang overrides; a bad selector is a diagnostic with its code.
    let (_, out, _) = ask(&["--about", OP, "--lang", "en", "誤検知ですか？"]);
    assert!(out.contains("likely false positive"), "{out}");
    let (code, _, err) = ask(&["--about", "proc.name = = (", "is this benign?"]);
    assert_eq!(code, 1);
    assert!(err.contains("ASK_SELECTOR_INVALID"), "{err}");

    // A pasted exception with problems: exit 1, as tune --check.
    let q = "is this exception right?\n- rule: Clear Log Activities\n  exceptions:\n  - condition: proc.cmdline = \"rm /var/log/dpkg.log\"\n";
    let (code, out, _) = ask(&["--about", OP, q]);
    assert_eq!(code, 1);
    assert!(
        out.contains("no `name`") && out.contains("Corrected"),
        "{out}"
    );
}

/// `quell ask --server URL --token-file F`: the seed's alerts (as `quell replay --json`
/// prints them) stored in a `quell serve`; the command sends the question and its
/// selector as `POST /api/v1/assistant`'s body and renders the server's answer as the file
/// path renders its own: `--json` is the endpoint's answer itself, the text its `answer`.
#[test]
fn ask_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let db = db.to_str().unwrap();
    let (viewer, sensor) = (
        server_common::token(db, "viewer", "v"),
        server_common::token(db, "sensor", "s"),
    );
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{viewer}\n")).unwrap();
    let (mut child, addr) = server_common::serve(db, "127.0.0.1:0");
    let replay = common::run(&["replay", "--json", SEED]);
    assert_eq!(common::code(&replay), 0, "{}", common::show(&replay));
    let alerts = common::out(&replay);
    let (st, body) = server_common::http_body(&addr, "POST", "/api/v1/alerts", &sensor, &alerts);
    assert_eq!(st, 200, "{body}");
    let (_, page) = server_common::http(
        &addr,
        "GET",
        "/api/v1/alerts?rule=Clear%20Log%20Activities&limit=10",
        &viewer,
    );
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    let op = page["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alert"]["output_fields"]["proc.cmdline"] == "rm /var/log/dpkg.log")
        .expect("the operator's deletion is stored")
        .clone();
    let url = format!("http://{addr}");
    let ask_server = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_quell"))
            .args(["ask", "--server", &url, "--token-file"])
            .arg(&token_file)
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let id = op["id"].to_string();
    let q = "これがアラートにならないように例外を書いて";
    let direct = |about: serde_json::Value| {
        let (st, b) = server_common::http_body(
            &addr,
            "POST",
            "/api/v1/assistant",
            &viewer,
            &serde_json::json!({"question": q, "about": about}).to_string(),
        );
        assert_eq!(st, 200, "{b}");
        serde_json::from_str::<serde_json::Value>(&b).unwrap()
    };
    // --json: the endpoint's answer, for an alert id, a cluster and a filter.
    let cluster = format!("cluster:{}", op["cluster_id"]);
    for (about, body) in [
        (id.as_str(), serde_json::json!({"alert_id": op["id"]})),
        (
            cluster.as_str(),
            serde_json::json!({"cluster_id": op["cluster_id"]}),
        ),
        (OP, serde_json::json!({"filter": OP})),
    ] {
        let (code, out, err) = ask_server(&["--about", about, "--json", q]);
        let j: serde_json::Value =
            serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        assert_eq!(j, direct(body), "{about}");
        assert_eq!(j["intent"], "write_exception");
        assert_eq!(j["lang"], "ja");
        let diags = j["diagnostics"].as_array().unwrap().len();
        assert_eq!(code, i32::from(diags > 0), "{about}: {err}");
    }
    // Text: the answer's text; --lang is sent.
    let (code, out, err) =
        ask_server(&["--about", &id, "--lang", "en", "is this a false positive?"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("About alert ") && out.contains("Reasons"),
        "{out}"
    );
    // The server's errors: a sentence and exit 1 (an unknown alert; a bad token).
    let (code, _, err) = ask_server(&["--about", "999999", "is this a false positive?"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("404") && err.contains("no alert 999999"),
        "{err}"
    );
    std::fs::write(&token_file, "quell_not_a_token\n").unwrap();
    let (code, _, err) = ask_server(&["is this a false positive?"]);
    assert_eq!(code, 1);
    assert!(err.contains("401"), "{err}");
    // --server and --events together are refused by the options.
    let (code, _, err) = ask(&["--server", &url, "--token-file", "x", "why?"]);
    assert_eq!(code, 2, "{err}");
    server_common::stop(&mut child);
}
