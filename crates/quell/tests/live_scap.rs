//! Live tests of `quell run --record x.scap`: an attack-like scenario under the upstream
//! stable rules, recorded as a scap capture; `quell replay -e x.scap` must give exactly the
//! live alerts, and the real sysdig must read the capture and show the scenario's processes
//! and files.
//!
//! They need root and a BPF-capable kernel: where `quell_capture::check_support` says
//! capture cannot run they are reported as ignored, unless `QUELL_LIVE_TESTS=1` asks for
//! them (then they fail). sysdig missing is a failure.

#[path = "../../quell-capture/tests/common/live_harness.rs"]
#[macro_use]
mod live_harness;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value as Json;

const QUELL: &str = env!("CARGO_BIN_EXE_quell");
const STABLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/falco-rules/falco_rules.yaml"
);

fn alerts(out: &Output) -> Vec<Json> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Json>(l).unwrap_or_else(|e| panic!("bad alert line {l}: {e}"))
        })
        .collect()
}

/// An alert as compared: rule, output fields and output text, all of them as given (the
/// live state and a capture both give `proc.cwd` in libsinsp's form, with a trailing `/`).
fn key(a: &Json) -> (Json, Json, Json) {
    (
        a["rule"].clone(),
        a["output_fields"].clone(),
        a["output"].clone(),
    )
}

/// `quell run --json --record FILE -r STABLE -- sh -c script` in `dir`; the live alerts.
fn record(dir: &Path, file: &Path, extra: &[&str], script: &str) -> Vec<Json> {
    if let Err(e) = quell_capture::check_support() {
        panic!("live capture cannot run here: {e}");
    }
    let out = Command::new(QUELL)
        .args(["run", "--json", "-r", STABLE, "--record"])
        .arg(file)
        .args(extra)
        .args(["--", "sh", "-c", script])
        .current_dir(dir)
        .output()
        .expect("run quell");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "quell run failed: {stderr}");
    assert!(
        stderr.contains(" 0 dropped"),
        "events were dropped: {stderr}"
    );
    alerts(&out)
}

fn replay(args: &[&str], file: &Path) -> Vec<Json> {
    let out = Command::new(QUELL)
        .args(["replay", "--json", "-r", STABLE])
        .args(args)
        .arg(file)
        .output()
        .expect("run quell replay");
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    alerts(&out)
}

fn sysdig(file: &Path, args: &[&str]) -> String {
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("sysdig could not be started ({e}): this test needs it"));
    assert!(
        out.status.success(),
        "sysdig -r failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Reads the shadow file, runs a shell from a "web server", executes from /dev/shm,
/// links to the shadow file and truncates a log: stable rules fire on each.
fn scenario(dir: &Path) -> String {
    let shm = format!("/dev/shm/quell-live-scap-{}.sh", std::process::id());
    let _ = dir;
    format!(
        "cat /etc/shadow > /dev/null; \
         cp /bin/sh ./httpd && ./httpd -c 'sh -c true; true'; \
         printf '#!/bin/sh\\ntrue\\n' > {shm} && chmod +x {shm} && sh -c {shm}; rm -f {shm}; \
         ln -s /etc/shadow shadow_link; \
         echo x > syslog; : > syslog"
    )
}

const EXPECTED: &[&str] = &[
    "Read sensitive file untrusted",
    "Run shell untrusted",
    "Execution from /dev/shm",
    "Create Symlink Over Sensitive Files",
    "Clear Log Activities",
];

fn attack_recorded_as_scap_replays_to_the_live_alerts() {
    let d = tempfile::Builder::new()
        .prefix("quell-live-scap-")
        .tempdir()
        .unwrap();
    let file = d.path().join("x.scap");
    let live = record(d.path(), &file, &[], &scenario(d.path()));
    let rules: Vec<&str> = live.iter().filter_map(|a| a["rule"].as_str()).collect();
    for r in EXPECTED {
        assert!(rules.contains(r), "{r} did not fire live: {rules:?}");
    }
    let replayed = replay(&["-e"], &file);
    assert_eq!(
        live.iter().map(key).collect::<Vec<_>>(),
        replayed.iter().map(key).collect::<Vec<_>>(),
        "replaying the capture must give the live alerts"
    );
    // a capture is also recognised positionally, by its magic
    assert_eq!(replay(&[], &file).len(), live.len());

    // sysdig reads it to the end and shows the scenario's processes and files
    let out = sysdig(
        &file,
        &["-p", "*%evt.type|%proc.name|%fd.name", "evt.dir=<"],
    );
    for want in [
        "execve|cat|",
        "openat|cat|/etc/shadow",
        "|httpd|",
        "symlinkat|ln|",
        &format!("{}/syslog", d.path().display()),
    ] {
        assert!(out.contains(want), "sysdig does not show {want}:\n{out}");
    }
}

fn gzip_and_explicit_format() {
    let d = tempfile::Builder::new()
        .prefix("quell-live-scap-")
        .tempdir()
        .unwrap();
    let script = "cat /etc/shadow > /dev/null";
    // .scap.gz: gzip-compressed capture
    let gz = d.path().join("x.scap.gz");
    let live = record(d.path(), &gz, &[], script);
    assert!(!live.is_empty());
    let head = std::fs::read(&gz).unwrap();
    assert_eq!(&head[..2], &[0x1f, 0x8b], "not gzip");
    assert_eq!(
        live.iter().map(key).collect::<Vec<_>>(),
        replay(&["-e"], &gz).iter().map(key).collect::<Vec<_>>()
    );
    assert!(sysdig(&gz, &["-p", "*%proc.name %fd.name", "evt.dir=<"]).contains("cat /etc/shadow"));
    // --record-format scap whatever the name; and jsonl stays the default elsewhere
    let named = d.path().join("capture.bin");
    record(d.path(), &named, &["--record-format", "scap"], script);
    assert_eq!(
        &std::fs::read(&named).unwrap()[..4],
        &0x0A0D_0D0Au32.to_le_bytes()
    );
    let jsonl = d.path().join("capture.out");
    record(d.path(), &jsonl, &[], script);
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(text.starts_with('{'), "{}", &text[..text.len().min(80)]);
}

live_tests![
    attack_recorded_as_scap_replays_to_the_live_alerts,
    gzip_and_explicit_format,
];
