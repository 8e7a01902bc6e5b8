//! CLI tests of `quell triage`, `quell tune` (and `--check`) and `quell demo`.

use std::path::{Path, PathBuf};

mod common;
use common::{demo, err as stderr, out as stdout, run, write};

/// The story's invalid exception: a chat assistant's answer with entries without `name`
/// and a `condition:` where `fields`/`comps`/`values` belong.
const CHAT_ANSWER: &str = "- rule: Clear Log Activities\n  exceptions:\n    - condition: proc.name = rm and fs.path.name = /var/log/quell-demo/dpkg.log\n    - condition: proc.cmdline contains \"dpkg.log\"\n";

#[test]
fn triage_json_shape() {
    let op = demo("operator-1.jsonl");
    let o = run(&["triage", "--json", op.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // One cluster per rule: the operator's terminal shell in the container, and the deletion.
    let rules: Vec<&str> = lines.iter().filter_map(|c| c["rule"].as_str()).collect();
    assert_eq!(lines.len(), 2, "{rules:?}");
    assert!(rules.contains(&"Terminal Shell in Container"), "{rules:?}");
    let c = lines
        .iter()
        .find(|c| c["rule"] == "Clear Log Activities")
        .expect("a Clear Log Activities cluster");
    for k in [
        "rule", "cluster", "alerts", "verdict", "score", "reasons", "confirm", "sample",
    ] {
        assert!(c.get(k).is_some(), "missing {k}: {c}");
    }
    assert_eq!(c["rule"], "Clear Log Activities");
    assert_eq!(c["verdict"], "likely_false_positive");
    let score = c["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    for r in c["reasons"].as_array().unwrap() {
        assert!(
            r["signal"].is_string() && r["evidence"].is_string() && r["effect"].is_number(),
            "{r}"
        );
    }
    assert_eq!(c["sample"]["rule"], "Clear Log Activities");
    assert!(c["sample"]["output_fields"].is_object());
    // Falco alerts as input: the sample alert line triages into the same cluster.
    let dir = tempfile::tempdir().unwrap();
    let alerts = write(dir.path(), "alerts.jsonl", &format!("{}\n", c["sample"]));
    let o2 = run(&["triage", "--json", alerts.to_str().unwrap()]);
    assert!(o2.status.success(), "{}", stderr(&o2));
    let c2: serde_json::Value = serde_json::from_str(stdout(&o2).lines().next().unwrap()).unwrap();
    assert_eq!(c2["cluster"], c["cluster"]);
}

#[test]
fn triage_attack_is_likely_real_and_japanese_text() {
    let at = demo("attack.jsonl");
    let o = run(&["triage", "--json", at.to_str().unwrap()]);
    assert!(o.status.success());
    for l in stdout(&o).lines() {
        let c: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(c["verdict"], "likely_real", "{c}");
    }
    let o = run(&[
        "triage",
        "--lang",
        "ja",
        demo("operator-1.jsonl").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(
        s.contains("判定: 誤検知の可能性が高い") && s.contains("確認事項"),
        "{s}"
    );
}

#[test]
fn tune_json_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("local.yaml");
    let o = run(&[
        "tune",
        "--rule",
        "Clear Log Activities",
        "--benign",
        demo("operator-1.jsonl").to_str().unwrap(),
        "--keep",
        demo("attack.jsonl").to_str().unwrap(),
        "--history",
        demo("operator-2.jsonl").to_str().unwrap(),
        "--json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let v = &j["verification"];
    assert_eq!(v["loads"], true);
    assert_eq!(v["benign_total"], 1);
    assert_eq!(v["benign_silenced"], 1);
    assert_eq!(v["keep_alerting"], v["keep_total"]);
    assert!(v["keep_total"].as_u64().unwrap() >= 2);
    assert_eq!(v["blast_radius"]["silenced"], 1, "{v}");
    // The near-attacks made from the benign event are reported, each with whether it is
    // silenced; the web server's shell keeps alerting. Names read as behaviour and target.
    let muts = v["mutations"].as_array().unwrap();
    assert!(
        muts.iter()
            .any(|m| m["kind"] == "service_shell" && m["silenced"] == false),
        "{v}"
    );
    assert_eq!(v["blocking"].as_array().map(Vec::len), Some(0));
    // The package manager's log widens to its family (its other logs), never to the
    // authentication records.
    assert_eq!(j["names"][0], "rm_deletes_package_logs", "{j}");
    let yaml = j["yaml"].as_str().unwrap();
    assert!(
        yaml.contains("/var/log/alternatives.log") && !yaml.contains("auth.log"),
        "{yaml}"
    );
    assert!(v["blast_radius"]["clusters"].as_array().unwrap().len() == 1);
    assert!(j["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["yaml"].is_string() && a["verification"].is_object()));
    // The file written is byte for byte the YAML reported, and it loads after the defaults.
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, j["yaml"].as_str().unwrap());
    let o = run(&["validate", "--json", out.to_str().unwrap()]);
    let _ = o; // validate alone lacks the rule; check with the defaults below
    let o = run(&[
        "replay",
        "--default-rules",
        "-r",
        out.to_str().unwrap(),
        demo("operator-2.jsonl").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("Log file truncated"), "{}", stdout(&o));
    let o = run(&[
        "replay",
        "--default-rules",
        "-r",
        out.to_str().unwrap(),
        demo("attack.jsonl").to_str().unwrap(),
    ]);
    assert!(stdout(&o).contains("Log file truncated"), "{}", stdout(&o));
    // --legacy
    let o = run(&[
        "tune",
        "--rule",
        "Clear Log Activities",
        "--benign",
        demo("operator-1.jsonl").to_str().unwrap(),
        "--legacy",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).ends_with("  append: true\n"));
}

#[test]
fn tune_cannot_separate_exits_1() {
    // The same events as benign and keep: nothing separates them.
    let op = demo("operator-1.jsonl");
    let o = run(&[
        "tune",
        "--rule",
        "Clear Log Activities",
        "--benign",
        op.to_str().unwrap(),
        "--keep",
        op.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("no exception over stable fields separates"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
}

#[test]
fn bad_input_is_one_sentence_and_nonzero() {
    let dir = tempfile::tempdir().unwrap();
    let bad_events = write(
        dir.path(),
        "bad.jsonl",
        "{\"evt.type\":\"open\"}\nnot json\n",
    );
    let empty = write(dir.path(), "empty.jsonl", "\n");
    let bad_yaml = write(dir.path(), "bad.yaml", "- rule: [\n");
    let op = demo("operator-1.jsonl");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "tune",
                "--rule",
                "Clear Log Activity",
                "--benign",
                op.to_str().unwrap(),
            ],
            "no rule named \"Clear Log Activity\"",
        ),
        (
            vec![
                "tune",
                "--rule",
                "Clear Log Activities",
                "--benign",
                empty.to_str().unwrap(),
            ],
            "holds no events",
        ),
        (
            vec![
                "tune",
                "--strict",
                "--rule",
                "Clear Log Activities",
                "--benign",
                bad_events.to_str().unwrap(),
            ],
            "bad.jsonl:2",
        ),
        (
            vec!["triage", "--strict", bad_events.to_str().unwrap()],
            "bad.jsonl:2",
        ),
        (vec!["triage", "/nonexistent/x.jsonl"], "cannot open"),
        (
            vec![
                "tune",
                "-r",
                bad_yaml.to_str().unwrap(),
                "--rule",
                "x",
                "--benign",
                op.to_str().unwrap(),
            ],
            "rules do not load",
        ),
    ];
    for (args, want) in cases {
        let o = run(&args);
        assert!(!o.status.success(), "{args:?}");
        let e = stderr(&o);
        assert!(e.contains(want), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
        assert_eq!(
            e.trim()
                .lines()
                .filter(|l| l.starts_with("quell: error"))
                .count(),
            1,
            "{args:?}: {e}"
        );
    }
    // --check on malformed YAML: a clear problem, exit 1.
    let o = run(&["tune", "--check", bad_yaml.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not valid YAML"), "{}", stdout(&o));
}

#[test]
fn check_the_story_answer_and_its_correction() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "chat.yaml", CHAT_ANSWER);
    let op = demo("operator-1.jsonl");
    let at = demo("attack.jsonl");
    let o = run(&[
        "tune",
        "--check",
        bad.to_str().unwrap(),
        "--benign",
        op.to_str().unwrap(),
        "--keep",
        at.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(j["ok"], false);
    let problems: Vec<String> = j["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["what"].as_str().unwrap().to_string())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains("no `name`")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`condition:` is not an exception key")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("without `override`")),
        "{problems:#?}"
    );
    assert!(j["problems"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !p["fix"].as_str().unwrap().is_empty()));
    let corrected = j["rules"][0]["corrected"]["yaml"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(j["rules"][0]["corrected"]["verification"]["passed"], true);
    // The corrected form passes --check.
    let good = write(dir.path(), "fixed.yaml", &corrected);
    let o = run(&[
        "tune",
        "--check",
        good.to_str().unwrap(),
        "--benign",
        op.to_str().unwrap(),
        "--keep",
        at.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains(": OK: loads"), "{}", stdout(&o));
}

#[test]
fn demo_from_the_bundled_recording() {
    let o = run(&["demo", "--recorded"]);
    let s = stdout(&o);
    assert!(
        s.contains("replaying the recording bundled in this binary"),
        "{s}"
    );
    // The story runs in a container: the stage names it and the alerts carry its id.
    let first_alert = s
        .lines()
        .find(|l| l.contains("Log file truncated, deleted or renamed"))
        .unwrap_or_else(|| panic!("no alert line: {s}"));
    let ctr = first_alert
        .split_whitespace()
        .find_map(|w| w.strip_prefix("container_id="))
        .unwrap_or_else(|| panic!("no container_id in {first_alert}"));
    assert!(ctr != "host" && ctr.len() == 12, "{first_alert}");
    assert!(
        s.contains(&format!("The stage: httpd container {ctr}")),
        "{s}"
    );
    // The operator came in through the runtime with a terminal; the attack through httpd.
    assert!(s.contains("process tree: rm ← sh ← runc"), "{s}");
    assert!(s.contains("process tree: rm ← sh ← httpd ← runc"), "{s}");
    assert!(
        s.contains("interactive_session: run by a person in an interactive session: a controlling terminal, a shell entered through the container runtime (runc)"),
        "{s}"
    );
    assert!(s.contains("Verdict: likely false positive"), "{s}");
    assert!(s.contains("without the exception: 1 alert(s); with it: 0 alert(s)"));
    assert!(
        s.contains("with the exception applied: 1 \"Clear Log Activities\" alert(s) still raised"),
        "{s}"
    );
    assert!(s.contains("Verdict: likely real"), "{s}");
    assert!(s.contains("The story holds"), "{s}");
    assert!(o.status.success(), "{s}{}", stderr(&o));
}

/// The bundled recordings themselves: every "Clear Log Activities" deletion happened in the
/// same container (not the host), on the container's /var/log/dpkg.log.
#[test]
fn demo_recordings_are_one_container() {
    let mut ids = std::collections::BTreeSet::new();
    for name in ["operator-1.jsonl", "operator-2.jsonl", "attack.jsonl"] {
        let text = std::fs::read_to_string(demo(name)).unwrap();
        let dels: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|e| e["evt.type"] == "unlinkat" && e["fs.path.name"] == "/var/log/dpkg.log")
            .collect();
        assert_eq!(dels.len(), 1, "{name}");
        let e = &dels[0];
        assert_eq!(e["evt.res"], "SUCCESS", "{name}");
        let id = e["container.id"].as_str().unwrap();
        assert!(id != "host" && id.len() == 12, "{name}: {id}");
        assert_eq!(e["container.type"], "docker", "{name}");
        ids.insert(id.to_string());
        let runtime = (1..=4).any(|n| e[format!("proc.aname[{n}]")] == "runc");
        assert!(runtime, "{name}: no runc ancestor: {e}");
        if name.starts_with("operator") {
            assert_ne!(
                e["proc.tty"], 0,
                "{name}: the operator's shell has a terminal"
            );
        } else {
            assert_eq!(e["proc.aname[2]"], "httpd", "{name}: {e}");
        }
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
}

/// The Japanese demo text.
#[test]
fn demo_in_japanese() {
    let o = run(&["demo", "--recorded", "--lang", "ja"]);
    let s = stdout(&o);
    assert!(s.contains("同梱の記録を再生します"), "{s}");
    assert!(s.contains("舞台は httpd コンテナ"), "{s}");
    assert!(
        s.contains("コンテナランタイム（runc）経由で入ったシェル"),
        "{s}"
    );
    assert!(
        s.contains("例外なし：アラート 1 件、例外あり：アラート 0 件"),
        "{s}"
    );
}

/// Malformed event lines and YAML never make triage or tune panic (the property test over
/// arbitrary input is in quell-triage's lib tests; this checks the CLI on nasty samples).
#[test]
fn nasty_input_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let samples = [
        "", "{", "[]", "null", "{\"proc.name\": {\"a\": 1}}", "{\"rule\": 1, \"output_fields\": 2}",
        "{\"evt.type\":\"unlinkat\",\"evt.rawres\":0,\"fs.path.name\":\"/var/log/\\\"x y\"}",
        "{\"rule\":\"Clear Log Activities\",\"output_fields\":{\"proc.name\":\"a\\\" b\",\"fs.path.name\":\"/var/log/(x\"}}",
        "\u{feff}{}", "{\"proc.tty\": \"x\"}",
    ];
    let yamls = ["", "- rule:", "- rule: Clear Log Activities\n  exceptions: 3\n", ": : :", "- rule: Clear Log Activities\n  exceptions:\n    - name: a\n      fields: [proc.name]\n      values: [[[[[x]]]]]\n  override:\n    exceptions: append\n", "\t- {"];
    for (i, ev) in samples.iter().enumerate() {
        let e = write(dir.path(), &format!("e{i}.jsonl"), ev);
        for (k, y) in yamls.iter().enumerate() {
            let yf = write(dir.path(), &format!("y{k}.yaml"), y);
            for args in [
                vec!["triage", e.to_str().unwrap()],
                vec![
                    "tune",
                    "--rule",
                    "Clear Log Activities",
                    "--benign",
                    e.to_str().unwrap(),
                ],
                vec![
                    "tune",
                    "--check",
                    yf.to_str().unwrap(),
                    "--benign",
                    e.to_str().unwrap(),
                ],
            ] {
                let o = run(&args);
                let err = stderr(&o);
                assert!(!err.contains("panicked"), "{args:?}: {err}");
                assert!(o.status.code().is_some());
            }
        }
    }
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The issue's first bullet as a test: the operator's deletion alone is the benign set
/// (taken from the seed by its command line and lineage), the whole seed is the history,
/// there is no keep set beyond the bundled catalogue. Either tune proposes an exception
/// after which the web shell's `rm -f /var/log/dpkg.log` still raises "Clear Log
/// Activities" and the operator's does not, or it refuses with exit 1 and names the
/// blocking alert.
#[test]
fn tune_with_the_seed_as_history_keeps_the_web_shell_alerting() {
    let seed = repo("examples/seed.jsonl");
    let text = std::fs::read_to_string(&seed).unwrap();
    let operator: Vec<&str> = text
        .lines()
        .filter(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            e["evt.type"] == "unlinkat"
                && e["proc.cmdline"] == "rm /var/log/dpkg.log"
                && e["proc.aname[2]"] == "runc"
        })
        .collect();
    assert_eq!(operator.len(), 1, "the seed holds one operator deletion");
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), "B.jsonl", &format!("{}\n", operator[0]));
    // As the issue wrote it; and without the bundled keep set, so that the history alone
    // must protect the web shell's alert.
    for extra in [&[][..], &["--no-builtin-keep"][..]] {
        story_holds(&seed, &b, &dir.path().join("local.yaml"), extra);
    }
    // Without the exception both deletions alert (the test would mean nothing otherwise).
    let o = run(&[
        "replay",
        "--json",
        "--default-rules",
        seed.to_str().unwrap(),
    ]);
    let before = stdout(&o)
        .lines()
        .filter(|l| l.contains("\"rule\":\"Clear Log Activities\""))
        .count();
    assert_eq!(before, 2);
}

fn story_holds(seed: &Path, b: &Path, local: &Path, extra: &[&str]) {
    let mut args = vec![
        "tune",
        "--rule",
        "Clear Log Activities",
        "--benign",
        b.to_str().unwrap(),
        "--history",
        seed.to_str().unwrap(),
        "-o",
        local.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    if o.status.code() == Some(1) {
        let e = stderr(&o);
        assert!(
            e.contains("rm -f /var/log/dpkg.log") && e.contains("Clear Log Activities"),
            "a refusal names the blocking alert: {e}"
        );
        return;
    }
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = std::fs::read_to_string(local).unwrap();
    let o = run(&[
        "replay",
        "--json",
        "--default-rules",
        "-r",
        local.to_str().unwrap(),
        seed.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cleared: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|j| j["rule"] == "Clear Log Activities")
        .map(|j| {
            j["output_fields"]["proc.cmdline"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        cleared,
        vec!["rm -f /var/log/dpkg.log".to_string()],
        "only the web shell's deletion alerts ({extra:?}) under\n{yaml}"
    );
}

/// Refusal: the benign set's own action, differing from a history alert people marked
/// real only in fields no exception keys on, cannot be excepted; tune exits 1 and names
/// the blocking alert with its untrusted text escaped.
#[test]
fn tune_refuses_and_names_the_blocking_alert() {
    let seed = std::fs::read_to_string(repo("examples/seed.jsonl")).unwrap();
    let line = seed
        .lines()
        .find(|l| l.contains("\"proc.cmdline\":\"rm /var/log/dpkg.log\"") && l.contains("unlinkat"))
        .unwrap();
    let mut real: serde_json::Value = serde_json::from_str(line).unwrap();
    real["proc.pid"] = 99999.into();
    real["quell.decision"] = "real".into();
    // Text an attacker controls, shown in the refusal: escaped, never live.
    real["container.image.repository"] = "evil\u{1b}]0;owned\u{7}".into();
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), "B.jsonl", &format!("{line}\n"));
    let h = write(dir.path(), "H.jsonl", &format!("{real}\n"));
    let o = run(&[
        "tune",
        "--rule",
        "Clear Log Activities",
        "--benign",
        b.to_str().unwrap(),
        "--history",
        h.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let e = stderr(&o);
    assert!(e.contains("a person marked real"), "{e}");
    assert!(e.contains("line 1: rm /var/log/dpkg.log"), "{e}");
    assert!(!e.contains('\u{1b}') && !e.contains('\u{7}'), "{e:?}");
    assert!(e.contains("evil\\u001b]0;owned\\u0007"), "{e}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn triage_progress_only_when_asked_and_never_with_q() {
    let op = demo("operator-1.jsonl");
    // A file name with an escape sequence: nothing on stderr may carry it live.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&op).unwrap();
    let named = write(dir.path(), "ev\u{1b}[31m.jsonl", &text);
    let named = named.to_str().unwrap();
    let plain = run(&["triage", "--json", named]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    // stderr is a pipe here, not a terminal: no progress unless asked.
    assert!(
        !stderr(&plain).contains("reading events"),
        "{}",
        stderr(&plain)
    );
    let asked = run(&["triage", "--json", "--progress", named]);
    assert!(asked.status.success(), "{}", stderr(&asked));
    let e = stderr(&asked);
    let records = text.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(
        e.contains(&format!("quell: reading events: {records}, done")),
        "{e}"
    );
    let alerts: u64 = stdout(&asked)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["alerts"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert!(alerts > 0);
    assert!(
        e.contains(&format!(
            "quell: judging alerts: 100% ({alerts} of {alerts}), done"
        )),
        "{e}"
    );
    assert!(!e.contains('\u{1b}'), "a live escape on stderr: {e:?}");
    assert_eq!(
        stdout(&asked),
        stdout(&plain),
        "progress changed the output"
    );
    let quiet = run(&["triage", "--json", "--progress", "-q", named]);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert_eq!(stderr(&quiet), "", "-q prints nothing on stderr");
    assert_eq!(stdout(&quiet), stdout(&plain));
}
