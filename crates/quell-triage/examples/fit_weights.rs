//! Fits the triage signal weights on the judgment corpus's train split and reports train
//! and test figures (table weights and fitted weights side by side).
//!
//! `cargo run -p quell-triage --example fit_weights -- <corpus dir> [rules.yaml ...]`
//!
//! Reads every `*.jsonl` / `*.jsonl.gz` under `<corpus dir>` whose parent directory is
//! `benign` or `malicious` (a scenario: `<family>__<scenario>[@...]`), triages each scenario
//! alone with the rules given (default: the upstream stable and incubating rules from
//! `../shared/corpus/falco-rules/`), and fits on the train families only.

use std::path::{Path, PathBuf};
use std::process::Command;

use quell_rules::engine::Engine;
use quell_triage::catalogue::Catalogue;
use quell_triage::fit::{evaluate, family_of, fit, is_test_family, Example, Figures};
use quell_triage::history::History;
use quell_triage::input::parse_records;
use quell_triage::signals::table;
use quell_triage::{Lang, Triage};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            let n = p.to_string_lossy();
            if n.ends_with(".jsonl") || n.ends_with(".jsonl.gz") {
                out.push(p);
            }
        }
    }
}

fn read(p: &Path) -> String {
    if p.to_string_lossy().ends_with(".gz") {
        let o = Command::new("gzip").arg("-dc").arg(p).output().expect("gzip");
        String::from_utf8_lossy(&o.stdout).into_owned()
    } else {
        std::fs::read_to_string(p).unwrap_or_default()
    }
}

fn line(name: &str, f: &Figures) -> String {
    format!(
        "{name:24} benign {:4}  attack {:4}  LFP calls on benign {:4}  on attacks {:3}  precision {:.3}  recall {:.3}",
        f.benign,
        f.attack,
        f.benign_fp_calls,
        f.attack_fp_calls,
        f.precision(),
        f.recall()
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: fit_weights <corpus dir> [rules.yaml ...]");
        std::process::exit(2);
    };
    let mut rules: Vec<PathBuf> = args[1..].iter().map(PathBuf::from).collect();
    if rules.is_empty() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/falco-rules");
        rules = vec![base.join("falco_rules.yaml"), base.join("falco-incubating_rules.yaml")];
    }
    let mut engine = Engine::new();
    for r in &rules {
        let text = std::fs::read_to_string(r).unwrap_or_else(|e| panic!("{}: {e}", r.display()));
        let res = engine.load(&r.display().to_string(), &text);
        assert!(res.successful, "{}: does not load", r.display());
    }
    let cat = Catalogue::builtin();
    let hist = History::empty();
    let mut all = Vec::new();
    files(Path::new(dir), &mut all);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    let mut rows = Vec::new();
    for p in &all {
        let label = p.parent().and_then(|d| d.file_name()).map(|s| s.to_string_lossy().into_owned());
        let benign = match label.as_deref() {
            Some("benign") => true,
            Some("malicious") => false,
            _ => continue,
        };
        let name = p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".gz")
            .trim_end_matches(".jsonl")
            .to_string();
        let family = family_of(&name).to_string();
        let Ok(recs) = parse_records(&read(p), &name) else {
            eprintln!("skipped {name}: a bad line");
            continue;
        };
        let t = Triage { engine: &engine, catalogue: &cat, history: &hist, lang: Lang::En, hostname: "corpus" };
        for r in t.run(&recs) {
            rows.push(format!(
                "{} {:5} {:9} {:60} {:22} {:.3} {}",
                if is_test_family(&family) { "test " } else { "train" },
                if benign { "B" } else { "M" },
                "",
                name,
                r.verdict.as_str(),
                r.score,
                r.rule
            ));
            let e = Example { family: family.clone(), benign, features: r.features };
            if is_test_family(&family) {
                test.push(e);
            } else {
                train.push(e);
            }
        }
    }
    for r in &rows {
        println!("{r}");
    }
    let table_w = table().weights();
    let fitted = fit(&train);
    println!("\nweights (table -> fitted on train only):");
    for (id, w) in &table_w {
        println!("  {id:26} {w:+.3} -> {:+.3}", fitted[id]);
    }
    println!();
    println!("{}", line("train, table weights", &evaluate(&train, &table_w)));
    println!("{}", line("test,  table weights", &evaluate(&test, &table_w)));
    println!("{}", line("train, fitted weights", &evaluate(&train, &fitted)));
    println!("{}", line("test,  fitted weights", &evaluate(&test, &fitted)));
}
