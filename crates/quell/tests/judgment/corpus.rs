//! Loading the judgment corpus, in one place for every program that reads it: the judgment
//! harness (`tests/judgment.rs`), the adversarial anchors (`tests/adversary.rs`), the
//! cluster-split tests (`tests/cluster_split.rs`) and the weight fitting example
//! (`quell-triage/examples/fit_weights.rs`). Included with `#[path]`; the split rule itself
//! is quell-triage's (`fit::is_test_family`).
//!
//! The YAML corpora (`hand`, `holdout`, `holdout2`, ...) are family files under
//! `<corpus>/{benign,malicious}/<family>.yaml`, expanded by `hand/expand.rs` with ONE
//! allocator over the files that are read, in path order (no two scenarios of a corpus
//! share a pid, container, address or hour). The live recordings are gzip-compressed JSON
//! Lines files under `{benign,malicious}/`, named `<family>__<scenario>[@...].jsonl.gz`.
//! A caller that must not read part of a corpus (a test split, a blind corpus) filters by
//! family name before anything of that file is opened.
// Each program uses a part of this module.
#![allow(dead_code)]

#[path = "hand/expand.rs"]
#[allow(dead_code, missing_docs, clippy::all)]
pub mod expand;

use std::path::{Path, PathBuf};
use std::process::Command;

use expand::{expand_family, Alloc, Kind, Label, Scenario};
use quell_rules::engine::Engine;
use quell_triage::verify::RulesFile;

/// `crates/quell/tests/judgment`, from either crate that includes this file.
pub fn judgment_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../quell/tests/judgment")
}

/// The upstream stable and incubating rules files, read from `../shared` next to the
/// repository.
pub fn upstream_rules() -> Vec<RulesFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/falco-rules");
    ["falco_rules.yaml", "falco-incubating_rules.yaml"]
        .iter()
        .map(|f| RulesFile {
            name: f.to_string(),
            text: std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (the upstream rules are read from ../shared next to the repository)",
                    dir.join(f).display()
                )
            }),
        })
        .collect()
}

/// An engine with `rules` loaded (each must load).
pub fn engine_of(rules: &[RulesFile]) -> Engine {
    let mut e = Engine::new();
    for r in rules {
        let res = e.load(&r.name, &r.text);
        assert!(res.successful, "{}: {:?}", r.name, res.errors);
    }
    e
}

/// The family files of the YAML corpus `root/corpus` whose family `keep` accepts, in path
/// order (benign before malicious).
pub fn family_files(root: &Path, corpus: &str, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for label in ["benign", "malicious"] {
        let dir = root.join(corpus).join(label);
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            let family = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if p.extension().is_some_and(|x| x == "yaml") && keep(&family) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Expands the family files of the judgment corpus `corpus` that `keep` accepts
/// (`yaml_scenarios_in` the judgment directory).
pub fn yaml_scenarios(corpus: &str, keep: impl Fn(&str) -> bool) -> Vec<Scenario> {
    yaml_scenarios_in(&judgment_dir(), corpus, keep)
}

/// Expands the family files of `root/corpus` that `keep` accepts, with one allocator.
/// Checks the corpus contract: a file is named after its family, and a base scenario's
/// label is its directory's.
pub fn yaml_scenarios_in(root: &Path, corpus: &str, keep: impl Fn(&str) -> bool) -> Vec<Scenario> {
    let mut alloc = Alloc::default();
    let mut out = Vec::new();
    for f in family_files(root, corpus, keep) {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let rel = f.strip_prefix(root).unwrap_or(&f).display().to_string();
        let sc = expand_family(&text, &rel, &mut alloc).unwrap_or_else(|e| panic!("{e}"));
        let dir_label = f
            .parent()
            .and_then(Path::file_name)
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for s in &sc {
            if s.kind == Kind::Base {
                assert_eq!(
                    s.label.as_str(),
                    dir_label,
                    "{rel}: label and directory differ"
                );
            }
            assert_eq!(
                f.file_stem().unwrap_or_default().to_string_lossy(),
                s.family,
                "{rel}: the file is named after its family"
            );
        }
        out.extend(sc);
    }
    out
}

/// A recording: its label (its directory), its name (the file name without
/// `.jsonl.gz`) and its decompressed text.
pub struct Recording {
    pub label: Label,
    pub name: String,
    pub text: String,
}

/// The recordings under `dir/{benign,malicious}/` whose name `keep` accepts (a file not
/// accepted is not opened), sorted by name within each label; a missing directory has
/// none.
pub fn recordings(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<Recording> {
    let mut out = Vec::new();
    for label in [Label::Benign, Label::Malicious] {
        let Ok(rd) = std::fs::read_dir(dir.join(label.as_str())) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".jsonl.gz"))
            .collect();
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .trim_end_matches(".jsonl.gz")
                .to_string();
            if !keep(&name) {
                continue;
            }
            let o = Command::new("gzip")
                .arg("-dc")
                .arg(&f)
                .output()
                .expect("gzip");
            assert!(o.status.success(), "{}: gzip failed", f.display());
            let text = String::from_utf8(o.stdout)
                .unwrap_or_else(|e| panic!("{}: not UTF-8: {e}", f.display()));
            out.push(Recording { label, name, text });
        }
    }
    out
}

/// The live recordings of the judgment corpus (`live/recordings`).
pub fn live_recordings(keep: impl Fn(&str) -> bool) -> Vec<Recording> {
    recordings(&judgment_dir().join("live/recordings"), keep)
}
