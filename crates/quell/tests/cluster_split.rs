//! Issue 11, item 1: the seed story's two deletions of /var/log/dpkg.log, the operator's
//! (through the container runtime's terminal) and the web shell's (after a download),
//! triaged as one input, never share a cluster.

use std::path::Path;

mod common;
use common::{err as stderr, out as stdout, run};

#[test]
fn seed_story_deletions_never_share_a_cluster() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed.jsonl");
    let o = run(&["triage", "--json", seed.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cla: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|c| c["rule"] == "Clear Log Activities")
        .collect();
    let cmd = |c: &serde_json::Value| {
        c["sample"]["output_fields"]["proc.cmdline"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let op: Vec<&serde_json::Value> = cla
        .iter()
        .filter(|c| cmd(c) == "rm /var/log/dpkg.log")
        .collect();
    let shell: Vec<&serde_json::Value> = cla
        .iter()
        .filter(|c| cmd(c) == "rm -f /var/log/dpkg.log")
        .collect();
    assert_eq!((op.len(), shell.len()), (1, 1), "{cla:#?}");
    // Each deletion is a cluster of its own: one alert each, distinct ids.
    assert_eq!(cla.len(), 2, "{cla:#?}");
    assert_eq!(op[0]["alerts"], 1);
    assert_eq!(shell[0]["alerts"], 1);
    assert_ne!(op[0]["cluster"], shell[0]["cluster"]);
    assert_ne!(
        shell[0]["verdict"], "likely_false_positive",
        "{:#}",
        shell[0]
    );
}
