//! `quell replay -e FILE.scap` and captures recognised by their first bytes: the alerts from
//! each corpus capture equal those from the same capture converted by sysdig
//! (`../shared/corpus/events`), for the upstream stable rules and for rules written to fire
//! on the corpus (the stable rules raise no alert on it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shared(rel: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "..", "shared", rel]
        .iter()
        .collect();
    p.display().to_string()
}

fn quell(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quell"))
        .args(args)
        .output()
        .expect("run quell")
}

/// Rules on fields quell's capture reading gives exactly as sysdig's conversion.
const CORPUS_RULES: &str = r#"
- rule: corpus etc read
  desc: reads under /etc
  condition: evt.type = open and fd.name startswith /etc and evt.is_open_read = true
  output: "read %fd.name by %proc.name (%proc.cmdline) user=%user.name group=%group.name parent=%proc.pname container=%container.id"
  priority: NOTICE
- rule: corpus ip connect
  desc: IP connects
  condition: evt.type = connect and fd.sockfamily = ip
  output: "connect %fd.cip:%fd.cport res=%evt.res by %proc.name anc=%proc.aname[2] pid=%proc.pid"
  priority: NOTICE
- rule: corpus accept
  desc: accepted connections
  condition: evt.type = accept and evt.res = SUCCESS
  output: "accept %fd.cip -> %fd.sip:%fd.sport by %proc.name in %container.id (%container.name)"
  priority: NOTICE
- rule: corpus exec and clone
  desc: process creation
  condition: evt.type in (execve, clone) and proc.name in (curl, python, test_ipv6_clien, haproxy)
  output: "%evt.type %proc.exe %proc.args ppid=%proc.ppid parent=%proc.pcmdline tid=%thread.tid uid=%user.uid sid=%proc.sid sname=%proc.sname"
  priority: NOTICE
- rule: corpus failed unix connect
  desc: unix connects that fail
  condition: evt.type = connect and fd.type = unix and evt.failed = true
  output: "%fd.name %proc.cwd %evt.rawres"
  priority: NOTICE
- rule: corpus io on an fd
  desc: reads and writes on fds the state knows (event types with their own layout)
  condition: evt.type in (read, write, writev, sendto, sendmsg, recvfrom, fstat, ioctl) and fd.type != ""
  output: "%evt.type fd=%fd.num %fd.type res=%evt.rawres by %proc.name"
  priority: NOTICE
- rule: corpus generic call
  desc: calls the capture carries as generic events, named by their syscall code
  condition: evt.type in (epoll_pwait, pselect6, set_robust_list, getpid, gettid, timerfd_settime) and evt.failed = false
  output: "%evt.type by %proc.name tid=%thread.tid"
  priority: NOTICE
"#;

const PAIRS: &[(&str, &str)] = &[
    ("502Error.scap", "502Error.jsonl"),
    ("curl_google.scap", "curl_google.jsonl"),
    ("curl_google_comments.scap", "curl_google.jsonl"),
    ("sample.scap", "sample.jsonl"),
    ("single_ipv6_conn.scap", "single_ipv6_conn.jsonl"),
    ("test_ipv6_client.scap", "test_ipv6_client.jsonl"),
];

/// Sorted JSON alert lines, without the one key that differs by run (none do: `time` is the
/// event's own).
fn alerts(o: &Output) -> Vec<String> {
    assert!(
        o.status.success(),
        "quell failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

fn rules_file(dir: &Path) -> String {
    let p = dir.join("corpus_rules.yaml");
    std::fs::write(&p, CORPUS_RULES).expect("write rules");
    p.display().to_string()
}

#[test]
fn capture_alerts_equal_the_sysdig_conversion_alerts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = rules_file(dir.path());
    let stable = shared("corpus/falco-rules/falco_rules.yaml");
    let mut fired = std::collections::BTreeMap::<String, usize>::new();
    for (scap, jsonl) in PAIRS {
        let cap = shared(&format!("corpus/scap/{scap}"));
        let ev = shared(&format!("corpus/events/{jsonl}"));
        for r in [&stable, &rules] {
            let base = [
                "replay",
                "--json",
                "--rule-matching",
                "all",
                "-r",
                r.as_str(),
            ];
            let from_capture = alerts(&quell(&[&base[..], &["-e", &cap]].concat()));
            let from_lines = alerts(&quell(&[&base[..], &[ev.as_str()]].concat()));
            let only = |a: &[String], b: &[String]| -> Vec<String> {
                a.iter()
                    .filter(|x| !b.contains(x))
                    .take(3)
                    .cloned()
                    .collect()
            };
            assert!(
                from_capture == from_lines,
                "{scap} with {r}: {} alerts from the capture, {} from the lines; only in the capture: {:#?}; only in the lines: {:#?}",
                from_capture.len(),
                from_lines.len(),
                only(&from_capture, &from_lines),
                only(&from_lines, &from_capture)
            );
            for a in &from_capture {
                let j: serde_json::Value = serde_json::from_str(a).expect("alert json");
                *fired
                    .entry(j["rule"].as_str().unwrap_or_default().to_string())
                    .or_default() += 1;
            }
        }
    }
    eprintln!("alerts per rule over the corpus: {fired:?}");
    for rule in [
        "corpus etc read",
        "corpus ip connect",
        "corpus accept",
        "corpus exec and clone",
        "corpus failed unix connect",
        "corpus io on an fd",
        "corpus generic call",
    ] {
        assert!(
            fired.get(rule).copied().unwrap_or(0) > 0,
            "{rule} never fired: the comparison would be vacuous"
        );
    }
}

#[test]
fn a_capture_is_recognised_by_its_first_bytes() {
    // Plain (sample.scap) and gzip (curl_google_comments.scap) captures, positionally.
    for scap in ["sample.scap", "curl_google_comments.scap"] {
        let cap = shared(&format!("corpus/scap/{scap}"));
        let o = quell(&[
            "replay",
            "-r",
            &shared("corpus/falco-rules/falco_rules.yaml"),
            &cap,
        ]);
        assert!(
            o.status.success(),
            "{scap}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("bad lines, ") || err.contains(" 0 bad lines"),
            "{err}"
        );
    }
}

#[test]
fn dash_e_on_a_json_lines_file_says_it_is_not_a_capture() {
    let o = quell(&[
        "replay",
        "-r",
        &shared("corpus/falco-rules/falco_rules.yaml"),
        "-e",
        &shared("corpus/events/sample.jsonl"),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a scap capture"), "{err}");
}

#[test]
fn a_truncated_capture_keeps_the_events_before_the_bad_block_and_fails_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = rules_file(dir.path());
    let full = std::fs::read(shared("corpus/scap/502Error.scap")).expect("read");
    let cut = dir.path().join("cut.scap");
    std::fs::write(&cut, &full[..full.len() / 2]).expect("write");
    let o = quell(&[
        "replay",
        "--json",
        "-r",
        &rules,
        "-e",
        &cut.display().to_string(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("truncated capture") && err.contains("block (type 0x204) at byte"),
        "{err}"
    );
    assert!(
        !o.stdout.is_empty(),
        "the alerts of the events before the cut are printed"
    );
}

#[test]
fn triage_and_tune_read_a_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = rules_file(dir.path());
    let cap = shared("corpus/scap/502Error.scap");
    let o = quell(&["triage", "--json", "-q", "-r", &rules, &cap]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let clusters = String::from_utf8_lossy(&o.stdout).lines().count();
    assert!(clusters > 0, "triage of the capture found no cluster");
    // tune --benign and --history read it too.
    let o = quell(&[
        "tune",
        "-r",
        &rules,
        "--rule",
        "corpus accept",
        "--benign",
        &cap,
        "--history",
        &cap,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // The 74 successful accepts of 502Error.scap are the benign set.
    assert!(err.contains("benign silenced 74 of 74"), "{err}");
}

/// A capture whose events are all of types quell once skipped (sample.scap: nanosleep,
/// futex, epoll_pwait, read, write, ...) is a benign set `tune` reads: as many events as
/// sysdig's conversion has lines.
#[test]
fn tune_reads_every_event_of_sample_scap_as_benign() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = rules_file(dir.path());
    let cap = shared("corpus/scap/sample.scap");
    let o = quell(&[
        "tune",
        "-r",
        &rules,
        "--rule",
        "corpus generic call",
        "--benign",
        &cap,
        "--history",
        &cap,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("skipped"), "{err}");
    assert!(err.contains("benign silenced"), "{err}");
    // As many benign events as the conversion has lines (87), read from the capture.
    let lines = std::fs::read_to_string(shared("corpus/events/sample.jsonl"))
        .expect("sample.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("benign: {lines} event(s) from")),
        "{lines} events expected: {out}"
    );
}
