//! Falco's JSON fields carried by `quell validate --json` (`schema_valid`,
//! `schema_warnings`) and `quell rules --json` (`capture`, `capture_duration`).
//! Each case writes its rules file into a fresh temporary directory, removed after.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value as Json;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("quell-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn quell(args: &[&str]) -> (Output, Json) {
    let o = Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(args)
        .output()
        .expect("run quell");
    let j = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o, j)
}

const GOOD: &str = "- rule: R\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n  capture: true\n  capture_duration: 5000\n";
const OFF_SCHEMA: &str =
    "- rule: S\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: Warning\n";

#[test]
fn validate_json_carries_schema_valid() {
    let d = TempDir::new("schema");
    let (good, off) = (d.file("good.yaml", GOOD), d.file("off.yaml", OFF_SCHEMA));
    let empty = d.file("empty.yaml", "# nothing\n");
    let (o, j) = quell(&["validate", "--json", &good, &off, &empty]);
    assert_eq!(o.status.code(), Some(0), "{j}");
    let r = &j["falco_load_results"];
    assert_eq!(r[0]["schema_valid"], true, "{j}");
    assert_eq!(r[0]["schema_warnings"], serde_json::json!([]), "{j}");
    // Loads (a priority is case-insensitive for the loader), but breaks the schema.
    assert_eq!(r[1]["successful"], true, "{j}");
    assert_eq!(r[1]["schema_valid"], false, "{j}");
    assert!(
        r[1]["schema_warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with("failed for <root>[0][priority]")),
        "{j}"
    );
    // No document: no schema status, as in Falco.
    assert!(r[2].get("schema_valid").is_none(), "{j}");
}

#[test]
fn rules_json_carries_capture() {
    let d = TempDir::new("capture");
    let good = d.file("good.yaml", GOOD);
    let (o, j) = quell(&["rules", "-r", &good, "--json", "R"]);
    assert_eq!(o.status.code(), Some(0), "{j}");
    assert_eq!(j["capture"], true, "{j}");
    assert_eq!(j["capture_duration"], 5000, "{j}");
    let (_, all) = quell(&["rules", "-r", &good, "--json"]);
    assert_eq!(all["rules"][0]["capture"], true, "{all}");
}
