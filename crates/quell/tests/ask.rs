//! `quell ask` end to end: options, rendering, JSON and exit codes (the answers themselves
//! are quell-assist's, tested there).

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
