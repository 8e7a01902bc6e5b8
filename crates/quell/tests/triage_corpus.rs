//! The labeled corpus (recorded live with `quell run --record`, see
//! tests/corpus/record-corpus.sh): triage precision and recall for "likely false
//! positive", and a verified exception for every benign cluster.

#[path = "judgment/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use quell_rules::engine::Engine;
use quell_triage::catalogue::Catalogue;
use quell_triage::history::History;
use quell_triage::input::{parse_records, rule_alerts, Record};
use quell_triage::synth::{synthesize, Options};
use quell_triage::verify::{RulesFile, Verifier};
use quell_triage::{Lang, Triage, Verdict};

const DEFAULT_RULES: &str = include_str!("../rules/default_rules.yaml");
const TRUE_POSITIVES: &str = include_str!("../../quell-triage/data/true_positives.jsonl");

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/recordings")
}

/// (label, scenario name, records) for every recording.
fn recordings() -> Vec<(String, String, Vec<Record>)> {
    corpus::recordings(&corpus_dir(), |_| true)
        .into_iter()
        .map(|r| {
            let recs = parse_records(&r.text, &r.name).unwrap();
            (r.label.as_str().to_string(), r.name, recs)
        })
        .collect()
}

fn engine() -> Engine {
    let mut e = Engine::new();
    assert!(e.load("default_rules.yaml", DEFAULT_RULES).successful);
    e
}

#[test]
fn corpus_has_enough_live_scenarios() {
    let r = recordings();
    let benign = r.iter().filter(|(l, _, _)| l == "benign").count();
    let malicious = r.iter().filter(|(l, _, _)| l == "malicious").count();
    assert!(
        benign >= 30 && malicious >= 30,
        "{benign} benign, {malicious} malicious"
    );
    // Recorded by the capture (not hand-written): every event carries capture-only fields.
    for (_, name, recs) in &r {
        assert!(
            recs.iter()
                .all(|x| x.event.get("evt.rawtime").is_some() && x.event.get("proc.pid").is_some()),
            "{name}"
        );
    }
}

#[test]
fn triage_precision_and_recall() {
    let e = engine();
    let cat = Catalogue::builtin();
    let hist = History::empty();
    let (mut tp, mut fp, mut fneg, mut benign_clusters, mut malicious_clusters) = (0, 0, 0, 0, 0);
    let mut lines = Vec::new();
    for (label, name, recs) in recordings() {
        let reports = Triage {
            engine: &e,
            catalogue: &cat,
            history: &hist,
            lang: Lang::En,
            hostname: "corpus",
        }
        .run(&recs);
        for r in reports {
            let called_fp = r.verdict == Verdict::LikelyFalsePositive;
            if label == "benign" {
                benign_clusters += 1;
                if called_fp {
                    tp += 1
                } else {
                    fneg += 1
                }
            } else {
                malicious_clusters += 1;
                if called_fp {
                    fp += 1
                }
            }
            lines.push(format!(
                "{label:9} {name:55} {:22} {:.3} {}",
                r.verdict.as_str(),
                r.score,
                r.rule
            ));
        }
    }
    let precision = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    eprintln!("{}", lines.join("\n"));
    eprintln!(
        "CORPUS: benign clusters {benign_clusters}, malicious clusters {malicious_clusters}; likely-FP calls: {tp} correct, {fp} wrong; precision {precision:.3}, recall {recall:.3}"
    );
    // No attack cluster may be called likely false positive: the worst mistake quell can make.
    assert_eq!(fp, 0, "attack clusters called likely false positive");
    assert!(precision >= 0.95, "precision {precision}");
    // Recall was >= 0.7 on this corpus before "likely false positive" needed an anchor (fourth
    // session of 2026-12-05: a tty or a quiet operator session no longer suffices, since an
    // intruder at the same terminal produces both). It fell to 0.097 (3 of 31 benign clusters);
    // this floor keeps what holds now and fails on any further loss. Issue 11 tracks raising it.
    assert!(
        tp >= 3,
        "likely-FP calls on benign clusters: {tp}, recall {recall}"
    );
}

#[test]
fn every_benign_cluster_gets_a_verified_exception() {
    let rules = vec![RulesFile {
        name: "default_rules.yaml".into(),
        text: DEFAULT_RULES.into(),
    }];
    let e = engine();
    let all = recordings();
    let keep = parse_records(TRUE_POSITIVES, "true_positives.jsonl").unwrap();
    let history: Vec<Record> = all.iter().flat_map(|(_, _, r)| r.iter().cloned()).collect();
    let mut n = 0;
    for (label, name, recs) in all.iter().filter(|(l, _, _)| l == "benign") {
        let _ = label;
        let mut rules_hit: Vec<String> = Vec::new();
        for r in e.rules() {
            if !rule_alerts(&e, &r.name, recs).is_empty() {
                rules_hit.push(r.name.clone());
            }
        }
        for rule in rules_hit {
            let vf = Verifier::new(&rules, &rule, recs, &keep, &history).unwrap();
            let p = synthesize(&vf, &Options::default())
                .unwrap_or_else(|err| panic!("{name} / {rule}: {err}"));
            let v = &p.best.verification;
            assert!(v.passed && v.loads, "{name} / {rule}: {v:#?}");
            assert_eq!(v.keep_alerting, v.keep_total, "{name} / {rule}");
            assert!(
                v.blast_radius.history_alerts > 0,
                "{name} / {rule}: blast radius examined no history"
            );
            assert_eq!(
                vf.verify(&p.best.yaml, false),
                *v,
                "{name}: printed bytes verify the same"
            );
            eprintln!(
                "TUNE {name:45} {rule:32} {:38} benign {}/{} keep {}/{} blast {} of {} (outside the benign set {})",
                p.best.template, v.benign_silenced, v.benign_total, v.keep_alerting, v.keep_total,
                v.blast_radius.silenced, v.blast_radius.history_alerts, v.blast_radius.outside_benign_set
            );
            n += 1;
        }
    }
    assert!(n >= 30, "{n} benign clusters tuned");
}
