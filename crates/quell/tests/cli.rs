//! Golden tests of the `quell` binary: `validate`, `replay`, `rules`, exit codes and
//! output shapes. Data files are in `tests/cli/`.

use serde_json::Value as Json;

mod common;
use common::{cli_data, code, err, out, root, run, run_stdin, show};

// ------------------------------------------------------------------------------ validate

#[test]
fn validate_ok() {
    let f = cli_data("good.yaml");
    let o = run(&["validate", &f]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(out(&o).trim_end(), format!("{f}: Ok"), "{}", show(&o));
}

#[test]
fn validate_ok_with_warnings() {
    let f = cli_data("warn.yaml");
    let o = run(&["validate", &f]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let s = out(&o);
    assert!(
        s.starts_with(&format!("{f}: Ok, with warnings\n")),
        "{}",
        show(&o)
    );
    assert!(
        s.contains(
            "LOAD_UNUSED_MACRO (Unused macro): Macro not referred to by any other rule/macro"
        ),
        "{}",
        show(&o)
    );
}

#[test]
fn validate_invalid_reports_every_error() {
    let f = cli_data("bad.yaml");
    let o = run(&["validate", &f]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let s = out(&o);
    assert!(
        s.starts_with(&format!("{f}: Invalid\n2 Errors:\n")),
        "{}",
        show(&o)
    );
    assert!(
        s.contains("LOAD_ERR_COMPILE_CONDITION (Error compiling condition): "),
        "{}",
        show(&o)
    );
    assert!(
        s.contains("LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): Undefined macro 'not_a_macro' used in filter."),
        "{}",
        show(&o)
    );
    // Context lines name the rule and the exact position of the undefined macro (line 9, column 34).
    assert!(
        s.contains(&format!("rule 'Undefined macro': ({f}:7:3)")),
        "{}",
        show(&o)
    );
    assert!(s.contains(&format!("({f}:9:34)")), "{}", show(&o));
}

#[test]
fn validate_several_files_one_bad_fails() {
    let (g, b) = (cli_data("good.yaml"), cli_data("bad.yaml"));
    let o = run(&["validate", &g, &b]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let s = out(&o);
    assert!(s.starts_with(&format!("{g}: Ok\n")), "{}", show(&o));
    assert!(s.contains(&format!("{b}: Invalid")), "{}", show(&o));
}

#[test]
fn validate_json_shape() {
    let (g, b) = (cli_data("good.yaml"), cli_data("bad.yaml"));
    let o = run(&["validate", "--json", &g, &b]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let j: Json = serde_json::from_str(out(&o).trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", show(&o)));
    let results = j["falco_load_results"]
        .as_array()
        .expect("falco_load_results array");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["name"], g.as_str());
    assert_eq!(results[0]["successful"], true);
    assert_eq!(results[0]["errors"].as_array().map(Vec::len), Some(0));
    assert_eq!(results[1]["successful"], false);
    let errors = results[1]["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 2, "{errors:#?}");
    for e in errors {
        for k in ["code", "codedesc", "message"] {
            assert!(e[k].is_string(), "error lacks {k}: {e}");
        }
        let locs = e["context"]["locations"]
            .as_array()
            .expect("context.locations array");
        assert!(!locs.is_empty(), "{e}");
        for l in locs {
            assert!(
                l["item_type"].is_string() && l["item_name"].is_string(),
                "{l}"
            );
            let p = &l["position"];
            assert!(
                p["line"].is_u64()
                    && p["column"].is_u64()
                    && p["offset"].is_u64()
                    && p["name"].is_string(),
                "{l}"
            );
        }
    }
    let undefined = errors
        .iter()
        .find(|e| e["code"] == "LOAD_ERR_VALIDATE")
        .expect("LOAD_ERR_VALIDATE error");
    assert_eq!(
        undefined["codedesc"],
        "Error validating rule/macro/list/exception objects"
    );
    assert_eq!(
        undefined["message"],
        "Undefined macro 'not_a_macro' used in filter."
    );
    let last = undefined["context"]["locations"]
        .as_array()
        .and_then(|l| l.last())
        .expect("a location");
    assert_eq!(
        (
            last["position"]["line"].as_u64(),
            last["position"]["column"].as_u64()
        ),
        (Some(9), Some(34))
    );
    assert!(results[1]["warnings"].is_array());
}

#[test]
fn validate_missing_file() {
    let o = run(&["validate", "/nonexistent/quell/rules.yaml"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let all = out(&o) + &err(&o);
    assert!(
        all.contains("/nonexistent/quell/rules.yaml"),
        "{}",
        show(&o)
    );
    assert!(all.contains("LOAD_ERR_FILE_READ"), "{}", show(&o));
    assert_eq!(
        all.matches("LOAD_ERR_FILE_READ").count(),
        1,
        "one clear error\n{}",
        show(&o)
    );
}

/// A rule name, a message or a file name carrying a line break (YAML's `\n` escape), a
/// carriage return, an escape sequence or a bidi override is shown escaped by the text
/// renderer of diagnostics, in `validate` and on the standard error of every command that
/// loads rules: no line can be forged, nothing reaches the terminal raw.
#[test]
fn validate_text_escapes_names_and_messages_from_the_rules_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hostile = r#""Evil\nFORGED: f.yaml: Ok\rX\e]0;pwned\a\u202eY""#;
    let rules = format!(
        "- rule: {hostile}\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n  surprise: 1\n- macro: {hostile}\n  condition: proc.name = x\n- list: {hostile}\n  items: [a]\n- rule: broken\n  desc: d\n  condition: \"\\e[2Jevt.type = open and proc.name = \\\"a\\nFORGED: \\\" and\"\n  output: o\n  priority: WARNING\n"
    );
    let f = dir.path().join("line\nFORGED: name\u{1b}[2J.yaml");
    std::fs::write(&f, &rules).expect("write rules");
    let f = f.to_str().expect("utf-8 path");
    let forged = |s: &str| s.lines().any(|l| l.starts_with("FORGED"));
    let raw = |s: &str| {
        s.chars().any(|c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
    };
    let o = run(&["validate", f]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let text = out(&o);
    assert!(!forged(&text) && !raw(&text), "{}", show(&o));
    // The names are there, escaped: the unknown key's rule, the unused macro and list.
    let name = r"Evil\nFORGED: f.yaml: Ok\rX\u001b]0;pwned\u0007\u202eY";
    assert!(text.contains(&format!("rule '{name}'")), "{text}");
    assert!(text.contains(&format!("macro '{name}'")), "{text}");
    assert!(
        text.starts_with(r"/") && text.contains(r"line\nFORGED: name\u001b[2J.yaml: Invalid"),
        "{text}"
    );
    // Every command that loads rules prints the same diagnostics on standard error.
    // The condition's context name, cut from the condition's text, is escaped too.
    assert!(
        text.contains(r#"condition expression '"\u001b[2Jevt.type = "#),
        "{text}"
    );
    let o = run(&["replay", "-r", f, "/dev/null"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let e = err(&o);
    assert!(!forged(&e) && !raw(&e), "{}", show(&o));
    assert!(e.contains(&format!("rule '{name}'")), "{e}");
}

/// A build without the `live` feature (no clang, no libbpf) still has `quell run`, which says
/// so and exits 2. `.ci/run` runs this test in a `--no-default-features` build and checks it ran.
#[cfg(not(feature = "live"))]
#[test]
fn run_without_live_capture_exits_2() {
    for args in [
        vec!["run", "--", "true"],
        vec!["run", "--json", "-r", &cli_data("good.yaml")],
    ] {
        let o = run(&args);
        assert_eq!(code(&o), 2, "{args:?}\n{}", show(&o));
        assert!(out(&o).is_empty(), "{}", show(&o));
        assert!(
            err(&o).contains("built without live capture"),
            "{args:?}\n{}",
            show(&o)
        );
    }
    // The rest of the binary is there.
    let o = run(&["validate", &cli_data("good.yaml")]);
    assert_eq!(code(&o), 0, "{}", show(&o));
}

// ------------------------------------------------------------------------------ replay

#[test]
fn replay_text_skips_bad_line_and_summarises() {
    let o = run(&[
        "replay",
        "-r",
        &cli_data("good.yaml"),
        &cli_data("events.jsonl"),
    ]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let lines: Vec<String> = out(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{}", show(&o));
    assert!(
        lines[0].ends_with(": Warning Shell spawned (proc=bash parent=sshd file=<NA>)"),
        "{}",
        show(&o)
    );
    assert!(
        lines[1].ends_with(": Error Shadow read by cat"),
        "{}",
        show(&o)
    );
    let e = err(&o);
    assert!(
        e.contains("events.jsonl:3:"),
        "bad line reported with its number\n{}",
        show(&o)
    );
    assert!(
        e.contains("3 events read, 2 alerts, 1 bad lines"),
        "summary\n{}",
        show(&o)
    );
}

#[test]
fn replay_json_alert_shape() {
    let o = run(&[
        "replay",
        "-r",
        &cli_data("good.yaml"),
        "--json",
        &cli_data("events.jsonl"),
    ]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let stdout = out(&o);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", show(&o));
    let keys = [
        "hostname",
        "output",
        "output_fields",
        "priority",
        "rule",
        "source",
        "tags",
        "time",
    ];
    for line in &lines {
        let j: Json =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let obj = j.as_object().expect("object");
        let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
        got.sort_unstable();
        assert_eq!(got, keys, "{line}");
        // Keys appear in this order in the text itself (Falco's alphabetical std::map order).
        let pos: Vec<usize> = keys
            .iter()
            .map(|k| {
                line.find(&format!("\"{k}\":"))
                    .unwrap_or_else(|| panic!("{k} missing in {line}"))
            })
            .collect();
        assert!(
            pos.windows(2).all(|w| w[0] < w[1]),
            "key order {pos:?} in {line}"
        );
        assert_eq!(j["source"], "syscall");
    }
    let first: Json = serde_json::from_str(lines[0]).expect("json");
    assert_eq!(first["rule"], "Shell spawned");
    assert_eq!(first["priority"], "Warning");
    assert_eq!(first["tags"], serde_json::json!(["process", "shell"]));
    assert_eq!(first["output_fields"]["proc.name"], "bash");
    assert_eq!(first["output_fields"]["proc.pname"], "sshd");
    assert_eq!(first["output_fields"]["fd.name"], Json::Null);
    assert!(first["output"]
        .as_str()
        .unwrap_or("")
        .ends_with("Warning Shell spawned (proc=bash parent=sshd file=<NA>)"));
    assert!(
        first["time"]
            .as_str()
            .unwrap_or("")
            .starts_with("2023-11-14T22:13:20"),
        "{}",
        first["time"]
    );
    let second: Json = serde_json::from_str(lines[1]).expect("json");
    assert_eq!(second["rule"], "Shadow read");
    assert_eq!(second["priority"], "Error");
}

#[test]
fn replay_strict_stops_at_bad_line() {
    let o = run(&[
        "replay",
        "-r",
        &cli_data("good.yaml"),
        "--strict",
        &cli_data("events.jsonl"),
    ]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(err(&o).contains("events.jsonl:3"), "{}", show(&o));
    // The two alerts before the bad line were printed; nothing after it.
    assert_eq!(out(&o).lines().count(), 2, "{}", show(&o));
}

#[test]
fn replay_reads_stdin_with_dash() {
    let input = "{\"evt.type\":\"execve\",\"proc.name\":\"sh\",\"proc.pname\":\"cron\"}\n";
    let o = run_stdin(
        &["replay", "-r", &cli_data("good.yaml"), "--json", "-"],
        input,
    );
    assert_eq!(code(&o), 0, "{}", show(&o));
    let j: Json =
        serde_json::from_str(out(&o).trim()).unwrap_or_else(|e| panic!("{e}\n{}", show(&o)));
    assert_eq!(j["rule"], "Shell spawned");
    assert!(
        err(&o).contains("1 events read, 1 alerts, 0 bad lines"),
        "{}",
        show(&o)
    );
}

#[test]
fn replay_rule_matching_first_and_all() {
    let rules = cli_data("overlap.yaml");
    let input = "{\"evt.type\":\"openat\",\"fd.name\":\"/etc/shadow\"}\n";
    let first = run_stdin(&["replay", "-r", &rules, "-"], input);
    assert_eq!(code(&first), 0, "{}", show(&first));
    let f: Vec<String> = out(&first).lines().map(str::to_string).collect();
    assert_eq!(
        f.len(),
        1,
        "first (default) stops at the first rule\n{}",
        show(&first)
    );
    assert!(f[0].ends_with("Notice etc /etc/shadow"), "{}", show(&first));
    let all = run_stdin(
        &["replay", "-r", &rules, "--rule-matching", "all", "-"],
        input,
    );
    assert_eq!(code(&all), 0, "{}", show(&all));
    let a: Vec<String> = out(&all).lines().map(str::to_string).collect();
    assert_eq!(a.len(), 2, "{}", show(&all));
    assert!(a[1].ends_with("Error shadow /etc/shadow"), "{}", show(&all));
}

#[test]
fn replay_missing_rules_file() {
    let o = run(&[
        "replay",
        "-r",
        "/nonexistent/quell/rules.yaml",
        &cli_data("events.jsonl"),
    ]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(out(&o).is_empty(), "{}", show(&o));
    let e = err(&o);
    assert_eq!(
        e.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "one clear error\n{}",
        show(&o)
    );
    assert!(e.contains("/nonexistent/quell/rules.yaml"), "{}", show(&o));
}

#[test]
fn replay_missing_events_file() {
    let o = run(&[
        "replay",
        "-r",
        &cli_data("good.yaml"),
        "/nonexistent/quell/events.jsonl",
    ]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        err(&o).contains("/nonexistent/quell/events.jsonl"),
        "{}",
        show(&o)
    );
}

#[test]
fn replay_invalid_rules_exit_1() {
    let o = run(&[
        "replay",
        "-r",
        &cli_data("bad.yaml"),
        &cli_data("events.jsonl"),
    ]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        err(&o).contains("Undefined macro 'not_a_macro' used in filter."),
        "{}",
        show(&o)
    );
}

// ------------------------------------------------------------------------------ rules

#[test]
fn rules_list() {
    let o = run(&["rules", "-r", &cli_data("good.yaml")]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let s = out(&o);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 3, "header + 2 rules\n{}", show(&o));
    assert!(lines[0].starts_with("RULE"), "{}", show(&o));
    assert!(
        lines[1].starts_with("Shell spawned ") && lines[1].contains("Warning"),
        "{}",
        show(&o)
    );
    assert!(
        lines[2].starts_with("Shadow read ") && lines[2].contains("Error"),
        "{}",
        show(&o)
    );
}

#[test]
fn rules_name_shows_condition_compiled() {
    let o = run(&["rules", "-r", &cli_data("good.yaml"), "Shell spawned"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    // Lists substituted, macro expanded, canonical form (falco-compat §2.4), by hand.
    assert!(
        out(&o).contains("\n(evt.type in (execve, execveat) and proc.name in (bash, sh))\n"),
        "{}",
        show(&o)
    );
}

#[test]
fn rules_json() {
    let o = run(&["rules", "-r", &cli_data("good.yaml"), "--json"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let j: Json =
        serde_json::from_str(out(&o).trim()).unwrap_or_else(|e| panic!("{e}\n{}", show(&o)));
    let rules = j["rules"].as_array().expect("rules array");
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[1]["name"], "Shadow read");
    assert_eq!(
        rules[1]["condition_compiled"],
        "(evt.type in (open, openat) and fd.name = /etc/shadow)"
    );
    assert_eq!(rules[1]["priority"], "Error");
    let one = run(&[
        "rules",
        "-r",
        &cli_data("good.yaml"),
        "--json",
        "Shadow read",
    ]);
    let j1: Json =
        serde_json::from_str(out(&one).trim()).unwrap_or_else(|e| panic!("{e}\n{}", show(&one)));
    assert_eq!(j1["condition_compiled"], rules[1]["condition_compiled"]);
}

#[test]
fn rules_unknown_name_suggests() {
    let o = run(&["rules", "-r", &cli_data("good.yaml"), "shadow"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        err(&o).contains("Shadow read"),
        "suggestion expected\n{}",
        show(&o)
    );
    let none = run(&["rules", "-r", &cli_data("good.yaml"), "zzz-no-such-rule"]);
    assert_eq!(code(&none), 1, "{}", show(&none));
    assert!(err(&none).contains("zzz-no-such-rule"), "{}", show(&none));
}

#[test]
fn usage_error_exit_2() {
    let o = run(&["validate"]);
    assert_eq!(code(&o), 2, "{}", show(&o));
}

/// A usage error quotes the refused argument: a line break in it is shown as `\n` inside the
/// quoted value, never as a new line that could pass for clap's own (or quell's).
#[test]
fn usage_error_keeps_a_refused_argument_on_its_line() {
    let o = run(&["triage", "--lang", "xx\nerror: FORGED\u{1b}[2J", "f.jsonl"]);
    assert_eq!(code(&o), 2, "{}", show(&o));
    let e = err(&o);
    assert!(
        !e.lines().any(|l| l.starts_with("error: FORGED")),
        "{}",
        show(&o)
    );
    assert!(e.contains(r"xx\nerror: FORGED\u001b[2J"), "{}", show(&o));
    assert!(!e.contains('\u{1b}'), "{}", show(&o));
}

/// The README's quick start: the bundled rules on the bundled recording of the story raise the
/// log-clearing alert twice (the operator, then the web shell), in the container.
#[test]
fn readme_quick_start_replays_the_story() {
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seed.jsonl");
    let o = run(&["replay", "--json", seed]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let alerts: Vec<Json> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON alert"))
        .collect();
    let clears: Vec<&Json> = alerts
        .iter()
        .filter(|a| a["rule"] == "Clear Log Activities")
        .collect();
    assert_eq!(clears.len(), 2, "{}", show(&o));
    for a in clears {
        assert_eq!(a["output_fields"]["fs.path.name"], "/var/log/dpkg.log");
        assert_ne!(a["output_fields"]["container.id"], "host");
    }
    assert!(err(&o).contains("events read"), "{}", show(&o));
}

/// Every repository or `../shared` path in the README's command examples exists (the issue:
/// "examples whose paths exist in the repository").
#[test]
fn readme_example_paths_exist() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    let (mut in_block, mut checked, mut missing) = (false, 0, Vec::new());
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = !in_block && line == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        let command = line.split(" #").next().unwrap_or(line);
        for tok in command.split_whitespace() {
            let tok = tok.trim_matches(|c| c == '\'' || c == '"');
            if ["crates/", "examples/", "../shared/"]
                .iter()
                .any(|p| tok.starts_with(p))
            {
                checked += 1;
                if !std::path::Path::new(root).join(tok).exists() {
                    missing.push(tok.to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README paths that do not exist: {missing:?}"
    );
    assert!(
        checked >= 10,
        "only {checked} paths found in the README's examples"
    );
}

// ------------------------------------------------------------------------------ tune

/// `quell tune` reports progress on stderr (records read from each input, candidates
/// verified) only when stderr is a terminal or when asked with `--progress`; `-q` keeps it
/// quiet, and the two together are a usage error. Progress never reaches standard output.
#[test]
fn tune_progress_only_when_asked() {
    let seed = root("../../examples/seed.jsonl");
    let text = std::fs::read_to_string(&seed).unwrap();
    let history_records = text.lines().filter(|l| !l.trim().is_empty()).count();
    let operator = text
        .lines()
        .find(|l| {
            let e: Json = serde_json::from_str(l).unwrap();
            e["evt.type"] == "unlinkat"
                && e["proc.cmdline"] == "rm /var/log/dpkg.log"
                && e["proc.aname[2]"] == "runc"
        })
        .expect("the seed's operator deletion");
    let dir = tempfile::tempdir().unwrap();
    let benign = dir.path().join("B.jsonl");
    std::fs::write(&benign, format!("{operator}\n")).unwrap();
    let b = benign.display().to_string();
    let tune = |extra: &[&str]| {
        let mut args = vec![
            "tune",
            "--rule",
            "Clear Log Activities",
            "--benign",
            &b,
            "--history",
            &seed,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let progress_lines = |o: &std::process::Output| -> Vec<String> {
        err(o)
            .lines()
            .filter(|l| l.starts_with("quell: reading ") || l.starts_with("quell: verifying "))
            .map(str::to_string)
            .collect()
    };
    // Asked: each phase's last figures (the line ending in ", done"), before the verdict.
    let asked = tune(&["--progress"]);
    assert_eq!(code(&asked), 0, "{}", show(&asked));
    let lines = progress_lines(&asked);
    assert!(
        lines.contains(&"quell: reading benign: 1, done".to_string()),
        "{}",
        show(&asked)
    );
    assert!(
        lines.contains(&format!("quell: reading history: {history_records}, done")),
        "{}",
        show(&asked)
    );
    let last = lines
        .iter()
        .rfind(|l| l.starts_with("quell: verifying candidates: "))
        .unwrap_or_else(|| panic!("no verification progress: {}", show(&asked)));
    let (n, of) = last
        .strip_prefix("quell: verifying candidates: 100% (")
        .and_then(|r| r.strip_suffix("), done"))
        .and_then(|r| r.split_once(" of "))
        .unwrap_or_else(|| panic!("{last}"));
    assert_eq!(n, of, "{last}");
    assert!(n.parse::<usize>().unwrap() > 1, "{last}");
    let e = err(&asked);
    assert!(
        e.find("quell: verifying candidates").unwrap() < e.find("quell: verified (").unwrap(),
        "{e}"
    );
    // Not asked, on a stderr that is not a terminal (as here): no progress; -q: none
    // either. Standard output (the exception) is the same in all three runs.
    let plain = tune(&[]);
    let quiet = tune(&["-q"]);
    for o in [&plain, &quiet] {
        assert_eq!(code(o), 0, "{}", show(o));
        assert_eq!(progress_lines(o), Vec::<String>::new(), "{}", show(o));
        assert_eq!(out(o), out(&asked));
    }
    assert!(
        out(&plain).contains("- rule: Clear Log Activities"),
        "{}",
        show(&plain)
    );
    let both = tune(&["--progress", "-q"]);
    assert_eq!(code(&both), 2, "{}", show(&both));
}
