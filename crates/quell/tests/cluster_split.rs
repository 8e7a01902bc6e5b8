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

// ------------------------------------------------------------------------------------
// Mixed input is split (issue 11 item 1): a benign session and its near-attack, triaged as
// one input, never share a cluster. Train families of the hand corpus only (the test split
// is measured by tests/judgment.rs, never tuned on).

#[path = "judgment/corpus.rs"]
mod corpus;

use corpus::expand::{Kind, Label, Scenario};
use proptest::prelude::*;
use quell_rules::engine::Engine;
use quell_triage::catalogue::Catalogue;
use quell_triage::history::History;
use quell_triage::input::{parse_records, Record};
use quell_triage::mutate::mutations;
use quell_triage::{Lang, Triage};

/// The hand corpus's scenarios of train families (the split rule of tests/judgment.rs:
/// FNV-1a 64 of the family name, test when % 3 == 0).
fn train_scenarios() -> Vec<Scenario> {
    // Expanded whole, then filtered: the allocator runs over every family file, as in the
    // judgment harness, so a scenario's pids and times are the same here and there.
    corpus::yaml_scenarios("hand", |_| true)
        .into_iter()
        .filter(|s| !quell_triage::fit::is_test_family(&s.family))
        .collect()
}

fn engine() -> Engine {
    corpus::engine_of(&corpus::upstream_rules())
}

/// Triages `units` (each a list of records) as one input; returns, per cluster that holds
/// alerts of more than one unit, the rule, the verdict and the units' indices.
fn shared_clusters(e: &Engine, units: &[&[Record]]) -> Vec<(String, String, Vec<usize>)> {
    let mut records = Vec::new();
    let mut owner = Vec::new();
    for (i, u) in units.iter().enumerate() {
        for r in u.iter() {
            records.push(r.clone());
            owner.push(i);
        }
    }
    let cat = Catalogue::builtin();
    let hist = History::empty();
    let reports = Triage {
        engine: e,
        catalogue: &cat,
        history: &hist,
        lang: Lang::En,
        hostname: "cluster-split",
    }
    .run(&records);
    reports
        .iter()
        .filter_map(|r| {
            let mut us: Vec<usize> = r.members.iter().map(|&m| owner[m]).collect();
            us.sort_unstable();
            us.dedup();
            (us.len() > 1).then(|| (r.rule.clone(), r.verdict.as_str().to_string(), us))
        })
        .collect()
}

fn records(s: &Scenario) -> Vec<Record> {
    parse_records(&s.jsonl(), &s.name).unwrap()
}

/// Every train benign base and each of its variants, triaged with each of its near-attacks:
/// no cluster holds alerts of both.
#[test]
fn benign_and_its_near_attacks_never_share_a_cluster() {
    let e = engine();
    let sc = train_scenarios();
    let mut pairs = 0;
    let mut bad = Vec::new();
    for b in sc.iter().filter(|s| s.label == Label::Benign) {
        let br = records(b);
        for n in sc
            .iter()
            .filter(|s| s.base == b.base && matches!(s.kind, Kind::Near(_)))
        {
            pairs += 1;
            let nr = records(n);
            for (rule, verdict, _) in shared_clusters(&e, &[&br, &nr]) {
                bad.push(format!("{} + {}: {rule} ({verdict})", b.name, n.name));
            }
        }
    }
    assert!(
        pairs >= 20,
        "only {pairs} (benign, near-attack) pairs in train"
    );
    assert!(
        bad.is_empty(),
        "{} of {pairs} pairs share a cluster:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// A benign train scenario's alerting events and each near-attack verification makes of
/// them ([`quell_triage::mutate`]: the same action from a service's shell, on another
/// target, by another script, user, image or namespace, from a dropped binary, after a
/// download...), triaged as one input: a mutated alert never shares a cluster with a benign
/// one.
#[test]
fn mutated_benign_alerts_never_share_a_cluster_with_the_benign_ones() {
    let e = engine();
    let sc = train_scenarios();
    let mut tried = 0;
    let mut bad = Vec::new();
    for b in sc
        .iter()
        .filter(|s| s.label == Label::Benign && s.kind == Kind::Base)
    {
        let br = records(b);
        let alerting: Vec<&Record> = br
            .iter()
            .filter(|r| {
                !e.evaluate(&r.event, quell_rules::engine::RuleMatching::First)
                    .is_empty()
            })
            .collect();
        for m in mutations(&alerting) {
            tried += 1;
            let one = [m.record.clone()];
            for (rule, verdict, _) in shared_clusters(&e, &[&br, &one]) {
                bad.push(format!(
                    "{} / {} {:?}: {rule} ({verdict})",
                    b.name, m.kind, m.changed
                ));
            }
        }
    }
    assert!(tried >= 100, "only {tried} mutations");
    assert!(
        bad.is_empty(),
        "{} of {tried} mutations share a cluster:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The train corpus for the property test: benign and attack scenarios as records, with
/// their names.
struct Corpus {
    engine: Engine,
    benign: Vec<(String, Vec<Record>)>,
    attacks: Vec<(String, Vec<Record>)>,
}

fn corpus() -> &'static Corpus {
    static CORPUS: std::sync::OnceLock<Corpus> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        let (b, m): (Vec<Scenario>, Vec<Scenario>) = train_scenarios()
            .into_iter()
            .partition(|s| s.label == Label::Benign);
        let named = |v: Vec<Scenario>| -> Vec<(String, Vec<Record>)> {
            v.iter().map(|s| (s.name.clone(), records(s))).collect()
        };
        Corpus {
            engine: engine(),
            benign: named(b),
            attacks: named(m),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any train benign scenario (base or variant) and any train attack (a base attack or
    /// a near-attack), triaged together: no cluster holds alerts of both.
    #[test]
    fn random_benign_and_attack_pairs_never_share_a_cluster(bi in any::<prop::sample::Index>(), mi in any::<prop::sample::Index>()) {
        let c = corpus();
        let (b, m) = (&c.benign[bi.index(c.benign.len())], &c.attacks[mi.index(c.attacks.len())]);
        let shared = shared_clusters(&c.engine, &[&b.1, &m.1]);
        prop_assert!(shared.is_empty(), "{} + {}: {:?}", b.0, m.0, shared);
    }
}
