//! Fits the triage signal weights on the judgment corpus's TRAIN split and reports train
//! and test figures, hand-written and live separately, with the table's weights and with
//! the fitted ones side by side. Nothing is fitted on test families.
//!
//! `cargo run -p quell-triage --example fit_weights -- [<judgment dir>]`
//! (default `crates/quell/tests/judgment`). As in the harness (`crates/quell/tests/judgment.rs`),
//! all scenarios of one split and kind are triaged together against the upstream stable and
//! incubating rules (`../shared/corpus/falco-rules/`); a cluster holding any malicious
//! scenario's alert counts as an attack cluster.

#[path = "../../quell/tests/judgment/corpus.rs"]
#[allow(missing_docs)]
mod corpus;

use std::path::{Path, PathBuf};

use quell_rules::engine::Engine;
use quell_triage::catalogue::Catalogue;
use quell_triage::fit::{evaluate, family_of, fit, is_test_family, Example, Figures};
use quell_triage::history::History;
use quell_triage::input::{parse_records, Record};
use quell_triage::signals::table;
use quell_triage::{Lang, Triage};

struct Unit {
    name: String,
    family: String,
    benign: bool,
    records: Vec<Record>,
}

fn hand(dir: &Path) -> Vec<Unit> {
    let mut out = Vec::new();
    for s in corpus::yaml_scenarios_in(dir, "hand", |_| true) {
        // `FIT_DUMP=<scenario>`: its expanded events (train families only).
        if std::env::var("FIT_DUMP").is_ok_and(|d| d == s.name) && !is_test_family(&s.family) {
            println!("{}", s.jsonl());
        }
        let records = parse_records(&s.jsonl(), &s.name).expect("expanded events parse");
        out.push(Unit {
            name: s.name,
            family: s.family,
            benign: s.label == corpus::expand::Label::Benign,
            records,
        });
    }
    out
}

fn live(dir: &Path) -> Vec<Unit> {
    let mut out = Vec::new();
    for r in corpus::recordings(&dir.join("live/recordings"), |_| true) {
        let Ok(records) = parse_records(&r.text, &r.name) else {
            eprintln!("skipped {}: a bad line", r.name);
            continue;
        };
        out.push(Unit {
            family: family_of(&r.name).to_string(),
            benign: r.label == corpus::expand::Label::Benign,
            name: r.name,
            records,
        });
    }
    out
}

fn examples(engine: &Engine, units: &[&Unit]) -> Vec<Example> {
    let mut records = Vec::new();
    let mut owner = Vec::new();
    for (i, u) in units.iter().enumerate() {
        for r in &u.records {
            records.push(r.clone());
            owner.push(i);
        }
    }
    let cat = Catalogue::builtin();
    let hist = History::empty();
    let t = Triage {
        engine,
        catalogue: &cat,
        history: &hist,
        lang: Lang::En,
        hostname: "fit",
    };
    t.run(&records)
        .into_iter()
        .map(|r| {
            let benign = r.members.iter().all(|&m| units[owner[m]].benign);
            let family = units[owner[r.members[0]]].family.clone();
            // Train clusters only (never a test family's): every cluster with its members
            // and reasons, so that a person can see why it got its verdict.
            if std::env::var_os("FIT_SHOW_TRAIN").is_some() && !is_test_family(&family) {
                let why: Vec<String> = r
                    .reasons
                    .iter()
                    .map(|x| format!("{}{:+.1}", x.signal, x.effect))
                    .collect();
                let mut names: Vec<String> = r
                    .members
                    .iter()
                    .map(|&m| {
                        let u = units[owner[m]];
                        format!("{}:{}", if u.benign { "b" } else { "m" }, u.name)
                    })
                    .collect();
                names.sort();
                names.dedup();
                let mixed = !benign && r.members.iter().any(|&m| units[owner[m]].benign);
                let tag = match (mixed, benign, r.verdict) {
                    (true, _, _) => "MIXED",
                    (false, false, quell_triage::Verdict::LikelyFalsePositive) => "ATTACK-LFP",
                    (false, false, _) => "attack",
                    (false, true, _) => "benign",
                };
                eprintln!(
                    "TRAIN {tag:10} {:22} {:.3} {:40} sig={} [{}] members [{}]",
                    r.verdict.as_str(),
                    r.score,
                    r.rule,
                    r.signature.lineage.join("|"),
                    why.join(" "),
                    names.join(" ")
                );
            }
            Example {
                family,
                benign,
                anchored: r.anchor.is_some(),
                features: r.features,
            }
        })
        .collect()
}

fn line(name: &str, f: &Figures) -> String {
    format!(
        "{name:30} benign clusters {:4}  attack clusters {:4}  LFP on benign {:4}  LFP on attacks {:3}  precision {:.3}  recall {:.3}",
        f.benign, f.attack, f.benign_fp_calls, f.attack_fp_calls, f.precision(), f.recall()
    )
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../quell/tests/judgment"));
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/falco-rules");
    let mut engine = Engine::new();
    for f in ["falco_rules.yaml", "falco-incubating_rules.yaml"] {
        let text = std::fs::read_to_string(rules.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(engine.load(f, &text).successful, "{f} does not load");
    }
    let kinds = [("hand", hand(&dir)), ("live", live(&dir))];
    let mut train_all = Vec::new();
    let mut sets = Vec::new();
    for (kind, units) in &kinds {
        let mut fams: Vec<(&str, bool)> = units
            .iter()
            .map(|u| (u.family.as_str(), is_test_family(&u.family)))
            .collect();
        fams.sort();
        fams.dedup();
        let test_fams: Vec<&str> = fams.iter().filter(|f| f.1).map(|f| f.0).collect();
        println!(
            "{kind}: {} scenarios, {} families ({} of them test families)",
            units.len(),
            fams.len(),
            test_fams.len()
        );
        let train: Vec<&Unit> = units
            .iter()
            .filter(|u| !is_test_family(&u.family))
            .collect();
        let test: Vec<&Unit> = units.iter().filter(|u| is_test_family(&u.family)).collect();
        let tr = examples(&engine, &train);
        let te = examples(&engine, &test);
        train_all.extend(tr.iter().cloned());
        sets.push((*kind, tr, te));
    }
    let table_w = table().expect("the bundled signals table parses").weights();
    let fitted = fit(&train_all);
    println!("\nweights (table -> fitted on the train split, hand and live together):");
    for (id, w) in &table_w {
        println!("  {id:26} {w:+.3} -> {:+.3}", fitted[id]);
    }
    println!();
    // Test figures only on request (`FIT_SHOW_TEST=1`): while developing, only the train
    // split is looked at.
    let show_test = std::env::var_os("FIT_SHOW_TEST").is_some();
    for (kind, tr, te) in &sets {
        for (name, w) in [("table", &table_w), ("fitted", &fitted)] {
            println!(
                "{}",
                line(&format!("{kind} train, {name} weights"), &evaluate(tr, w))
            );
            if show_test {
                println!(
                    "{}",
                    line(&format!("{kind} test,  {name} weights"), &evaluate(te, w))
                );
            }
        }
    }
}
