//! The judgment corpus (issue 11): labeled scenarios of operations work and of the
//! attacks that look like it, hand-written (tests/judgment/hand, compact YAML expanded
//! by hand/expand.rs) and recorded live (tests/judgment/live/recordings, owned by the
//! `live` work), measured separately against the upstream stable + incubating rules:
//!
//! - attack clusters called `likely_false_positive` (issue target: 0 on the test split);
//! - `likely_false_positive` precision and recall over benign clusters (target: precision
//!   >= 0.97 at recall >= 0.7);
//! - clusters mixing benign and malicious scenarios when a whole split is triaged
//!   together (target: 0);
//! - for benign base scenarios, a verified exception (tune) that silences all their
//!   unseen `@variant-*` and keeps every `@near-*` alerting (target: >= 90 %).
//!
//! The split is by family (`split`, FNV-1a 64 % 3 == 0 -> test), fixed before any
//! fitting. Each figure is printed for both splits and both kinds; the assertions on the
//! quality figures are regression floors at what the code achieved on the TEST split when
//! they were last raised (BENCHMARKS.md, "Judgment corpus"), not the issue's targets.
//!
//! Run with `cargo test -p quell --test judgment -- --nocapture` to see the figures;
//! `QUELL_JUDGMENT_DETAIL=train` shows the per-cluster lines of the train split only.
//!
//! A third corpus, tests/judgment/holdout (same YAML format), was written blind after the
//! other two and is never split or tuned on: `holdout_corpus_is_well_formed` checks it
//! (counts only), and the ignored `judgment_figures_holdout` measures it as a whole, lines
//! `holdout`, with no floors (`cargo test -p quell --test judgment judgment_figures_holdout
//! -- --ignored --nocapture`). See tests/judgment/holdout/README.md before reading it.
//! A fourth, tests/judgment/holdout2, was written blind the same way once the first had
//! been seen (`holdout2_corpus_is_well_formed`, ignored `judgment_figures_holdout2`, lines
//! `holdout2`); see tests/judgment/holdout2/README.md before reading it.
//! A fifth, tests/judgment/holdout3, was written blind the same way once the first had become
//! a development set (`holdout3_corpus_is_well_formed`, ignored `judgment_figures_holdout3`,
//! lines `holdout3`); see tests/judgment/holdout3/README.md before reading it.
//! A sixth, tests/judgment/holdout4, was written blind the same way once holdout3 had become
//! a development set (`holdout4_corpus_is_well_formed`, ignored `judgment_figures_holdout4`,
//! lines `holdout4`); see tests/judgment/holdout4/README.md before reading it.
//! A seventh, tests/judgment/holdout5, was written blind the same way once holdout4 had become
//! a development set (`holdout5_corpus_is_well_formed`, ignored `judgment_figures_holdout5`,
//! lines `holdout5`); see tests/judgment/holdout5/README.md before reading it.
//! An eighth, tests/judgment/holdout6, was written blind the same way once holdout5 had become
//! a development set (`holdout6_corpus_is_well_formed`, ignored `judgment_figures_holdout6`,
//! lines `holdout6`); see tests/judgment/holdout6/README.md before reading it.
//! A ninth, tests/judgment/holdout7, was written blind the same way once holdout6 had become
//! a development set (`holdout7_corpus_is_well_formed`, ignored `judgment_figures_holdout7`,
//! lines `holdout7`); measured blind once in session 9, then read: a development set since.
//! A tenth, tests/judgment/holdout8, was written blind the same way once holdout7 had become
//! a development set (`holdout8_corpus_is_well_formed`, ignored `judgment_figures_holdout8`,
//! lines `holdout8`); see tests/judgment/holdout8/README.md before reading it.
//! An eleventh, tests/judgment/holdout9, was written blind the same way once holdout8 had become
//! a development set (`holdout9_corpus_is_well_formed`, ignored `judgment_figures_holdout9`,
//! lines `holdout9`); see tests/judgment/holdout9/README.md before reading it.
//! A twelfth, tests/judgment/holdout10, was written blind the same way once holdout9 had become
//! a development set (`holdout10_corpus_is_well_formed`, ignored `judgment_figures_holdout10`,
//! lines `holdout10`); see tests/judgment/holdout10/README.md before reading it.
//! A thirteenth, tests/judgment/holdout11, was written blind the same way once holdout10 had become
//! a development set (`holdout11_corpus_is_well_formed`, ignored `judgment_figures_holdout11`,
//! lines `holdout11`); see tests/judgment/holdout11/README.md before reading it.
//! A fourteenth, tests/judgment/holdout12, was written blind the same way once holdout11 had become
//! a development set (`holdout12_corpus_is_well_formed`, ignored `judgment_figures_holdout12`,
//! lines `holdout12`); see tests/judgment/holdout12/README.md before reading it.
//! A fifteenth, tests/judgment/holdout13, was written blind the same way once holdout12 had become
//! a development set (`holdout13_corpus_is_well_formed`, ignored `judgment_figures_holdout13`,
//! lines `holdout13`); see tests/judgment/holdout13/README.md before reading it.
//! A sixteenth, tests/judgment/holdout14, was written blind the same way once holdout13 had become
//! a development set (`holdout14_corpus_is_well_formed`, ignored `judgment_figures_holdout14`,
//! lines `holdout14`); see tests/judgment/holdout14/README.md before reading it.
//! A seventeenth, tests/judgment/holdout15, was written blind the same way once holdout14 had become
//! a development set (`holdout15_corpus_is_well_formed`, ignored `judgment_figures_holdout15`,
//! lines `holdout15`); see tests/judgment/holdout15/README.md before reading it.
//! An eighteenth, tests/judgment/holdout16, was written blind the same way once holdout15 had become
//! a development set (`holdout16_corpus_is_well_formed`, ignored `judgment_figures_holdout16`,
//! lines `holdout16`); see tests/judgment/holdout16/README.md before reading it.
//! A nineteenth, tests/judgment/holdout17, was written blind the same way once holdout16 had become
//! a development set (`holdout17_corpus_is_well_formed`, ignored `judgment_figures_holdout17`,
//! lines `holdout17`); see tests/judgment/holdout17/README.md before reading it.
//! A twentieth, tests/judgment/holdout18, was written blind the same way once holdout17 had become
//! a development set (`holdout18_corpus_is_well_formed`, ignored `judgment_figures_holdout18`,
//! lines `holdout18`); see tests/judgment/holdout18/README.md before reading it.
//! A twenty-first, tests/judgment/holdout19, was written blind the same way once holdout18 had
//! become a development set (`holdout19_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout19`, lines `holdout19`); see tests/judgment/holdout19/README.md before
//! reading it.
//! A twenty-second, tests/judgment/holdout20, was written blind the same way once holdout19 had
//! become a development set (`holdout20_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout20`, lines `holdout20`); see tests/judgment/holdout20/README.md before
//! reading it.
//! A twenty-third, tests/judgment/holdout21, was written blind the same way once holdout20 had
//! become a development set (`holdout21_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout21`, lines `holdout21`); see tests/judgment/holdout21/README.md before
//! reading it.
//! A twenty-fourth, tests/judgment/holdout22, was written blind the same way once holdout21 had
//! become a development set (`holdout22_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout22`, lines `holdout22`); see tests/judgment/holdout22/README.md before
//! reading it.
//! A twenty-fifth, tests/judgment/holdout23, was written blind the same way once holdout22 had
//! become a development set (`holdout23_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout23`, lines `holdout23`); see tests/judgment/holdout23/README.md before
//! reading it.
//! A twenty-sixth, tests/judgment/holdout24, was written blind the same way once holdout23 had
//! become a development set (`holdout24_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout24`, lines `holdout24`); see tests/judgment/holdout24/README.md before
//! reading it.
//! A twenty-seventh, tests/judgment/holdout25, was written blind the same way once holdout24 had
//! become a development set (`holdout25_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout25`, lines `holdout25`); see tests/judgment/holdout25/README.md before
//! reading it.
//! A twenty-eighth, tests/judgment/holdout26, was written blind the same way once holdout25 had
//! become a development set (`holdout26_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout26`, lines `holdout26`); see tests/judgment/holdout26/README.md before
//! reading it.
//! A twenty-ninth, tests/judgment/holdout27, was written blind the same way once holdout26 had
//! become a development set (`holdout27_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout27`, lines `holdout27`); see tests/judgment/holdout27/README.md before
//! reading it.
//! A thirtieth, tests/judgment/holdout28, was written blind the same way once holdout27 had
//! become a development set (`holdout28_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout28`, lines `holdout28`); see tests/judgment/holdout28/README.md before
//! reading it.
//! A thirty-first, tests/judgment/holdout29, was written blind the same way once holdout28 had
//! become a development set (`holdout29_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout29`, lines `holdout29`); see tests/judgment/holdout29/README.md before
//! reading it.
//! A thirty-second, tests/judgment/holdout30, was written blind the same way once holdout29 had
//! become a development set (`holdout30_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout30`, lines `holdout30`); see tests/judgment/holdout30/README.md before
//! reading it.
//!
//! A thirty-third, tests/judgment/holdout31, was written blind the same way once holdout30 had
//! become a development set (`holdout31_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout31`, lines `holdout31`); see tests/judgment/holdout31/README.md before
//! reading it.
//!
//! A thirty-fourth, tests/judgment/holdout32, was written blind the same way once holdout31 had
//! become a development set (`holdout32_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout32`, lines `holdout32`); see tests/judgment/holdout32/README.md before
//! reading it.
//!
//! A thirty-fifth, tests/judgment/holdout33, was written blind the same way once holdout32 had
//! become a development set (`holdout33_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout33`, lines `holdout33`); see tests/judgment/holdout33/README.md before
//! reading it.
//! A thirty-sixth, tests/judgment/holdout34, was written blind the same way once holdout33 had
//! become a development set (`holdout34_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout34`, lines `holdout34`); see tests/judgment/holdout34/README.md before
//! reading it.
//! A thirty-seventh, tests/judgment/holdout35, was written blind the same way once holdout34 had
//! become a development set (`holdout35_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout35`, lines `holdout35`); see tests/judgment/holdout35/README.md before
//! reading it.
//! A thirty-eighth, tests/judgment/holdout36, was written blind the same way once holdout35 had
//! become a development set (`holdout36_corpus_is_well_formed`, ignored
//! `judgment_figures_holdout36`, lines `holdout36`); see tests/judgment/holdout36/README.md before
//! reading it.

#[path = "judgment/corpus.rs"]
mod corpus;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use corpus::expand::{self, expand_family, fnv1a64, Alloc, Kind, Label, Scenario};
use corpus::{engine_of as engine, upstream_rules as rules_files, yaml_scenarios};
use quell_rules::engine::Engine;
use quell_triage::catalogue::Catalogue;
use quell_triage::history::History;
use quell_triage::input::{parse_records, rule_alerts, Record};
use quell_triage::synth::{synthesize, Options};
use quell_triage::verify::{RulesFile, Verifier};
use quell_triage::{Lang, Triage, Verdict};

const TRUE_POSITIVES: &str = include_str!("../../quell-triage/data/true_positives.jsonl");

// ---------------------------------------------------------------- the split

/// Train or test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Split {
    Train,
    Test,
}

impl Split {
    fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// The split of a family (the corpus contract, `quell_triage::fit::is_test_family`):
/// FNV-1a 64-bit over the name's UTF-8 bytes; test when the hash % 3 == 0.
fn split(family: &str) -> Split {
    if quell_triage::fit::is_test_family(family) {
        Split::Test
    } else {
        Split::Train
    }
}

// ---------------------------------------------------------------- loading

/// A scenario unit of either kind, as records.
struct Unit {
    family: String,
    base: String,
    name: String,
    label: Label,
    kind: Kind,
    expect: Vec<String>,
    records: Vec<Record>,
}

fn hand_scenarios() -> Vec<Scenario> {
    yaml_scenarios("hand", |_| true)
}

fn hand_units() -> Vec<Unit> {
    units_of(hand_scenarios())
}

/// `QUELL_JUDGMENT_DUMP=NAME`: the expanded events of the scenario NAME of the corpora
/// this run loads are written to `$TMPDIR/quell-judgment-NAME.jsonl` (for `quell triage`
/// by hand; the split discipline still applies). A trailing `*` takes every scenario whose
/// name starts with the rest (`*` alone: all of them, to triage a corpus as the run does).
fn dump(s: &Scenario) {
    let wanted = |d: String| match d.strip_suffix('*') {
        Some(prefix) => s.name.starts_with(prefix),
        None => d == s.name,
    };
    if std::env::var("QUELL_JUDGMENT_DUMP").is_ok_and(wanted) {
        let path = std::env::temp_dir().join(format!("quell-judgment-{}.jsonl", s.name));
        std::fs::write(&path, s.jsonl()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("dumped {} to {}", s.name, path.display());
    }
}

fn units_of(scenarios: Vec<Scenario>) -> Vec<Unit> {
    scenarios
        .into_iter()
        .map(|s| {
            dump(&s);
            let records =
                parse_records(&s.jsonl(), &s.name).unwrap_or_else(|e| panic!("{}: {e:?}", s.name));
            Unit {
                family: s.family,
                base: s.base,
                name: s.name,
                label: s.label,
                kind: s.kind,
                expect: s.expect,
                records,
            }
        })
        .collect()
}

/// Parses a contract name `<family>__<scenario>[@variant-k|@near-k]`.
fn parse_name(name: &str) -> Option<(String, String, Kind)> {
    let (base, kind) = match name.split_once('@') {
        None => (name, Kind::Base),
        Some((b, k)) => {
            let kind = if let Some(n) = k.strip_prefix("variant-") {
                Kind::Variant(n.parse().ok()?)
            } else if let Some(n) = k.strip_prefix("near-") {
                Kind::Near(n.parse().ok()?)
            } else {
                return None;
            };
            (b, kind)
        }
    };
    let (family, _) = base.split_once("__")?;
    Some((family.to_string(), base.to_string(), kind))
}

/// The live recordings (helper `live`), if any are present in this tree.
fn live_units() -> Vec<Unit> {
    corpus::live_recordings(|_| true)
        .into_iter()
        .map(|r| {
            let (family, base, kind) =
                parse_name(&r.name).unwrap_or_else(|| panic!("{}: not a contract name", r.name));
            let records =
                parse_records(&r.text, &r.name).unwrap_or_else(|e| panic!("{}: {e:?}", r.name));
            Unit {
                family,
                base,
                name: r.name,
                label: r.label,
                kind,
                expect: vec![],
                records,
            }
        })
        .collect()
}

/// The fields of an event an exception could name: all but the identifiers and times
/// that are unique to each scenario by construction (pids, sessions, container ids,
/// event numbers, times, fd numbers, client ports, and the client address of an outbound
/// connection).
fn exception_view(r: &Record) -> BTreeMap<String, String> {
    const IGNORED: &[&str] = &[
        "proc.pid",
        "proc.ppid",
        "proc.sid",
        "proc.vpid",
        "thread.tid",
        "evt.num",
        "evt.rawtime",
        "evt.time",
        "container.id",
        "container.full_id",
        "fd.num",
        "evt.arg.fd",
        "evt.rawres",
        "fd.cport",
        "fd.lport",
        "fd.name",
        "evt.arg.oldfd",
    ];
    // On an outbound connection the client side is this host's own address: each
    // scenario gets its own, so it is an identifier here too.
    let outbound = matches!(
        quell_triage::input::text(&r.event, "evt.type").as_deref(),
        Some("connect" | "sendto" | "sendmsg")
    );
    r.event
        .iter()
        .filter(|(k, _)| !IGNORED.contains(k) && !k.starts_with("proc.apid["))
        .filter(|(k, _)| !(outbound && matches!(*k, "fd.cip" | "fd.lip")))
        .map(|(k, v)| (k.to_string(), format!("{v:?}")))
        .collect()
}

/// Upstream rules that fire on a unit.
fn fired(e: &Engine, recs: &[Record]) -> BTreeSet<String> {
    e.rules()
        .iter()
        .filter(|r| !rule_alerts(e, &r.name, recs).is_empty())
        .map(|r| r.name.clone())
        .collect()
}

// ---------------------------------------------------------------- measuring

#[derive(Debug, Default, Clone)]
struct Figures {
    scenarios_benign: usize,
    scenarios_malicious: usize,
    benign_clusters: usize,
    attack_clusters: usize,
    mixed_clusters: usize,
    /// Clusters beyond one behaviour's own: per (benign base scenario, rule), the clusters
    /// its base and variants fall in, minus the most any one of them falls in (repeated
    /// runs of one behaviour that land in clusters of their own).
    over_split: usize,
    /// The (benign base scenario, rule) pairs with such extra clusters.
    over_split_pairs: usize,
    attack_called_fp: usize,
    benign_called_fp: usize,
    benign_uncertain: usize,
    benign_real: usize,
    tuned_bases: usize,
    tuned_ok: usize,
    tune_pairs: usize,
    tune_pairs_ok: usize,
}

impl Figures {
    fn precision(&self) -> f64 {
        let called = self.benign_called_fp + self.attack_called_fp;
        if called == 0 {
            0.0
        } else {
            self.benign_called_fp as f64 / called as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.benign_clusters == 0 {
            0.0
        } else {
            self.benign_called_fp as f64 / self.benign_clusters as f64
        }
    }
    fn tuned_share(&self) -> f64 {
        if self.tuned_bases == 0 {
            0.0
        } else {
            self.tuned_ok as f64 / self.tuned_bases as f64
        }
    }
    fn line(&self, what: &str) -> String {
        format!(
            "{what:12} scenarios {}b/{}m | clusters {} benign, {} attack, {} mixed, {} over-split ({} pairs) | attack clusters called likely_fp {} | benign: {} likely_fp, {} uncertain, {} likely_real | precision {:.3} recall {:.3} | tuned {}/{} bases ({:.0} %), rule pairs {}/{}",
            self.scenarios_benign,
            self.scenarios_malicious,
            self.benign_clusters,
            self.attack_clusters,
            self.mixed_clusters,
            self.over_split,
            self.over_split_pairs,
            self.attack_called_fp,
            self.benign_called_fp,
            self.benign_uncertain,
            self.benign_real,
            self.precision(),
            self.recall(),
            self.tuned_ok,
            self.tuned_bases,
            100.0 * self.tuned_share(),
            self.tune_pairs_ok,
            self.tune_pairs,
        )
    }
}

/// `QUELL_JUDGMENT_SPLIT_WHY=1`: under the cluster lines, for every benign base whose
/// alerts of one rule landed in several clusters, the parts of those clusters' signatures
/// that differ (printed only where the group's details are).
fn split_why() -> bool {
    std::env::var("QUELL_JUDGMENT_SPLIT_WHY").is_ok_and(|v| v == "1")
}

/// The lines `QUELL_JUDGMENT_SPLIT_WHY` prints for one over-split (base, rule).
fn split_why_lines(
    base: &str,
    rule: &str,
    clusters: &BTreeSet<usize>,
    reports: &[quell_triage::ClusterReport],
) -> Vec<String> {
    let parts = |ci: usize| -> Vec<String> {
        let s = &reports[ci].signature;
        let mut v = vec![format!("workload {}", s.workload), format!("exe {}", s.exe)];
        v.extend(s.lineage.iter().cloned());
        v.push(format!("target {}", s.target));
        v
    };
    let all: Vec<(usize, Vec<String>)> = clusters.iter().map(|&ci| (ci, parts(ci))).collect();
    let mut lines = vec![format!("  SPLIT {base} / {rule}: {} clusters", all.len())];
    for (ci, p) in &all {
        let differing: Vec<&String> = p
            .iter()
            .filter(|x| !all.iter().all(|(_, q)| q.contains(x)))
            .collect();
        let r = &reports[*ci];
        let verdict = r.verdict.as_str();
        lines.push(format!(
            "    {} {verdict} ({} alerts): {differing:?}",
            r.cluster, r.alerts
        ));
    }
    lines
}

/// Triage of all units of one split together: verdict figures and one line per cluster.
fn triage_split(e: &Engine, units: &[&Unit], fig: &mut Figures, out: &mut Vec<String>) {
    let mut records = Vec::new();
    let mut owner = Vec::new();
    for (i, u) in units.iter().enumerate() {
        for r in &u.records {
            records.push(r.clone());
            owner.push(i);
        }
    }
    fig.scenarios_benign = units.iter().filter(|u| u.label == Label::Benign).count();
    fig.scenarios_malicious = units.len() - fig.scenarios_benign;
    let cat = Catalogue::builtin();
    let hist = History::empty();
    let reports = Triage {
        engine: e,
        catalogue: &cat,
        history: &hist,
        lang: Lang::En,
        hostname: "judgment",
    }
    .run(&records);
    // (base, rule) -> unit -> clusters, over the benign units.
    let mut runs: BTreeMap<(&str, &str), BTreeMap<usize, BTreeSet<usize>>> = BTreeMap::new();
    for (ci, r) in reports.iter().enumerate() {
        for &m in &r.members {
            let u = units[owner[m]];
            if u.label == Label::Benign {
                runs.entry((u.base.as_str(), r.rule.as_str()))
                    .or_default()
                    .entry(owner[m])
                    .or_default()
                    .insert(ci);
            }
        }
    }
    for ((base, rule), per_unit) in &runs {
        let all: BTreeSet<usize> = per_unit.values().flatten().copied().collect();
        let most = per_unit.values().map(BTreeSet::len).max().unwrap_or(0);
        if all.len() > most {
            fig.over_split += all.len() - most;
            fig.over_split_pairs += 1;
            if split_why() {
                out.extend(split_why_lines(base, rule, &all, &reports));
            }
        }
    }
    for r in reports {
        let members: BTreeSet<usize> = r.members.iter().map(|&i| owner[i]).collect();
        let labels: BTreeSet<Label> = members.iter().map(|&i| units[i].label).collect();
        let mixed = labels.len() > 1;
        let attack = labels.contains(&Label::Malicious);
        let called_fp = r.verdict == Verdict::LikelyFalsePositive;
        if mixed {
            fig.mixed_clusters += 1;
        }
        if attack {
            fig.attack_clusters += 1;
            if called_fp {
                fig.attack_called_fp += 1;
            }
        } else {
            fig.benign_clusters += 1;
            match r.verdict {
                Verdict::LikelyFalsePositive => fig.benign_called_fp += 1,
                Verdict::Uncertain => fig.benign_uncertain += 1,
                Verdict::LikelyReal => fig.benign_real += 1,
            }
        }
        let tag = match (mixed, attack, called_fp) {
            (true, _, true) => "MIXED+ATTACK-CALLED-FP",
            (true, _, _) => "MIXED",
            (false, true, true) => "ATTACK-CALLED-FP",
            (false, true, _) => "attack",
            (false, false, _) => "benign",
        };
        let names: Vec<String> = members
            .iter()
            .map(|&i| format!("{}:{}", &units[i].label.as_str()[..1], units[i].name))
            .collect();
        let reasons: Vec<String> = r
            .reasons
            .iter()
            .map(|x| format!("{}{:+.1}", x.signal, x.effect))
            .collect();
        out.push(format!(
            "  CLUSTER {tag:22} {:22} {:.3} {:34} alerts {:3} [{}] reasons [{}] anchor {}",
            r.verdict.as_str(),
            r.score,
            r.rule,
            r.alerts,
            names.join(" "),
            reasons.join(" "),
            r.anchor.as_deref().unwrap_or("none")
        ));
    }
}

/// Tune for every benign base scenario of one split; check its variants and near-attacks.
/// What tuning one benign base scenario gave.
#[derive(Default)]
struct BaseTune {
    lines: Vec<String>,
    pairs: usize,
    pairs_ok: usize,
    ok: bool,
}

/// Tune for one benign base scenario (every rule it fires); check its variants and
/// near-attacks against the printed exception.
fn tune_base(
    rules: &[RulesFile],
    e: &Engine,
    units: &[&Unit],
    bi: usize,
    keep: &[Record],
) -> BaseTune {
    let b = units[bi];
    let mut r = BaseTune::default();
    let variants: Vec<&Unit> = units
        .iter()
        .filter(|u| u.base == b.base && matches!(u.kind, Kind::Variant(_)))
        .copied()
        .collect();
    let nears: Vec<&Unit> = units
        .iter()
        .filter(|u| u.base == b.base && matches!(u.kind, Kind::Near(_)))
        .copied()
        .collect();
    let history: Vec<Record> = units
        .iter()
        .enumerate()
        .filter(|(i, u)| *i == bi || u.base != b.base || u.kind == Kind::Base)
        .flat_map(|(_, u)| u.records.iter().cloned())
        .collect();
    let rules_hit = fired(e, &b.records);
    let mut all_ok = !rules_hit.is_empty();
    for rule in &rules_hit {
        r.pairs += 1;
        let mut explain: Vec<String> = Vec::new();
        let verdict = (|| -> Result<String, String> {
            let vf = Verifier::new(rules, rule, &b.records, keep, &history)
                .map_err(|e| format!("setup: {e:?}"))?;
            // Alternatives only for the diagnostics of `QUELL_JUDGMENT_TUNE_WHY`.
            let opts = Options {
                max_alternatives: if tune_why() { 5 } else { 0 },
                ..Options::default()
            };
            let p = synthesize(&vf, &opts).map_err(|e| format!("refused: {e}"))?;
            let v = &p.best.verification;
            if !(v.passed && v.loads) {
                return Err(format!("best candidate not verified ({})", p.best.template));
            }
            let var_recs: Vec<Record> = variants
                .iter()
                .flat_map(|u| u.records.iter().cloned())
                .collect();
            // A near-attack counts for this rule only when one of its alerts differs from
            // every alert of the base in a field an exception could name (an attacker's
            // exec entry identical to the operator's, event for event, is a case for
            // triage, not for an exception).
            let base_views: BTreeSet<BTreeMap<String, String>> = rule_alerts(e, rule, &b.records)
                .into_iter()
                .map(|i| exception_view(&b.records[i]))
                .collect();
            let mut same = Vec::new();
            let mut near_recs: Vec<Record> = Vec::new();
            for u in &nears {
                let distinct: Vec<Record> = rule_alerts(e, rule, &u.records)
                    .into_iter()
                    .filter(|&i| !base_views.contains(&exception_view(&u.records[i])))
                    .map(|i| u.records[i].clone())
                    .collect();
                if distinct.is_empty() && !rule_alerts(e, rule, &u.records).is_empty() {
                    same.push(u.name.rsplit('@').next().unwrap_or("").to_string());
                }
                near_recs.extend(distinct);
            }
            let mut why = Vec::new();
            // Variants silenced (benign side), near-attacks still alerting (keep side).
            if !var_recs.is_empty() || !near_recs.is_empty() {
                let chk = Verifier::new(rules, rule, &var_recs, &near_recs, &[])
                    .map_err(|e| format!("check setup: {e:?}"))?;
                let c = chk.verify(&p.best.yaml, false);
                if tune_why()
                    && (c.benign_silenced < c.benign_total || c.keep_alerting < c.keep_total)
                {
                    explain.extend(why_lines(e, rule, &p.best, &var_recs, &near_recs));
                    for a in &p.alternatives {
                        let v = &a.verification;
                        let muts: BTreeSet<&str> = v
                            .mutations
                            .iter()
                            .filter(|m| m.silenced && m.avoidable)
                            .map(|m| m.kind.as_str())
                            .collect();
                        explain.push(format!(
                            "      alternative {} g{} passed {} keep-silenced {} blocking {} {} mutations {:?} | {:?}",
                            a.template,
                            a.generality,
                            v.passed,
                            v.keep_total - v.keep_alerting,
                            v.blast_radius.blocking,
                            v.blocking.first().map(|b| b.description.as_str()).unwrap_or(""),
                            muts,
                            a.exceptions.first().map(|x| &x.values)
                        ));
                    }
                }
                if c.benign_silenced < c.benign_total {
                    why.push(format!(
                        "variants still alerting {}/{}",
                        c.benign_total - c.benign_silenced,
                        c.benign_total
                    ));
                }
                if c.keep_alerting < c.keep_total {
                    why.push(format!(
                        "near-attacks silenced {}/{}",
                        c.keep_total - c.keep_alerting,
                        c.keep_total
                    ));
                }
            }
            let exc: Vec<String> = p.best.exceptions.iter().map(|x| format!("{x:?}")).collect();
            let head = format!(
                "{} | {} variants, {} nears{} | {}",
                p.best.template,
                variants.len(),
                nears.len(),
                if same.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} identical at the event level, not counted: {})",
                        same.len(),
                        same.join(" ")
                    )
                },
                exc.join("; ").chars().take(220).collect::<String>()
            );
            if why.is_empty() {
                Ok(head)
            } else {
                Err(format!("{} | {head}", why.join(", ")))
            }
        })();
        match verdict {
            Ok(s) => {
                r.pairs_ok += 1;
                r.lines
                    .push(format!("  TUNE ok   {:60} {:34} {s}", b.name, rule));
            }
            Err(s) => {
                all_ok = false;
                r.lines
                    .push(format!("  TUNE FAIL {:60} {:34} {s}", b.name, rule));
                r.lines.extend(explain);
            }
        }
    }
    r.ok = all_ok;
    r
}

/// `QUELL_JUDGMENT_TUNE_WHY=1`: under each TUNE FAIL line, the whole exception and, for
/// each variant alert it leaves alerting and each near-attack alert it silences, that
/// alert's values of the exception's fields (printed only where the group's details are).
fn tune_why() -> bool {
    std::env::var("QUELL_JUDGMENT_TUNE_WHY").is_ok_and(|v| v == "1")
}

/// `QUELL_JUDGMENT_BASE=TEXT`: tune only the benign bases whose name contains TEXT (a
/// developer's shortcut; the tuned figures then count those bases only).
fn base_filter(name: &str) -> bool {
    std::env::var("QUELL_JUDGMENT_BASE").map_or(true, |f| name.contains(&f))
}

/// The lines `QUELL_JUDGMENT_TUNE_WHY` prints for one failing rule of a base.
fn why_lines(
    e: &Engine,
    rule: &str,
    best: &quell_triage::synth::Candidate,
    variants: &[Record],
    nears: &[Record],
) -> Vec<String> {
    let mut out = Vec::new();
    for x in &best.exceptions {
        out.push(format!("      exception {x:?}"));
    }
    let fields: Vec<String> = best
        .exceptions
        .iter()
        .flat_map(|x| x.fields.iter().cloned())
        .chain(["proc.cmdline".to_string(), "proc.aname[3]".to_string()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut tuned = e.clone();
    tuned.load("tuned.yaml", &best.yaml);
    let Some(after) = tuned.rule(rule) else {
        return out;
    };
    let show = |r: &Record| {
        fields
            .iter()
            .map(|f| {
                format!(
                    "{f}={}",
                    quell_triage::input::text(&r.event, f).unwrap_or_else(|| "-".into())
                )
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    for i in rule_alerts(e, rule, variants) {
        if after.matches(&variants[i].event) {
            out.push(format!("      variant alerting: {}", show(&variants[i])));
        }
    }
    for i in rule_alerts(e, rule, nears) {
        if !after.matches(&nears[i].event) {
            out.push(format!("      near silenced:    {}", show(&nears[i])));
        }
    }
    out
}

/// Tune for every benign base scenario of one split (on two threads).
fn tune_split(
    rules: &[RulesFile],
    e: &Engine,
    units: &[&Unit],
    keep: &[Record],
    fig: &mut Figures,
    out: &mut Vec<String>,
) {
    let bases: Vec<usize> = (0..units.len())
        .filter(|&i| units[i].label == Label::Benign && units[i].kind == Kind::Base)
        .filter(|&i| base_filter(&units[i].name))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, BaseTune)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                sc.spawn(|| {
                    let mut got = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(&bi) = bases.get(k) else { break };
                        got.push((bi, tune_base(rules, e, units, bi, keep)));
                    }
                    got
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    results.sort_by_key(|(bi, _)| *bi);
    for (_, r) in results {
        fig.tuned_bases += 1;
        fig.tune_pairs += r.pairs;
        fig.tune_pairs_ok += r.pairs_ok;
        if r.ok {
            fig.tuned_ok += 1;
        }
        out.extend(r.lines);
    }
}

fn measure(
    kind: &str,
    units: &[Unit],
    rules: &[RulesFile],
    e: &Engine,
    with_tune: bool,
) -> BTreeMap<Split, Figures> {
    let keep = parse_records(TRUE_POSITIVES, "true_positives.jsonl").unwrap();
    let mut res = BTreeMap::new();
    for sp in [Split::Train, Split::Test] {
        if sp == Split::Test && train_only() {
            eprintln!("QUELL_JUDGMENT_SPLITS=train: {kind}/test not measured");
            continue;
        }
        let us: Vec<&Unit> = units.iter().filter(|u| split(&u.family) == sp).collect();
        let fig = measure_group(
            &format!("{kind} / {}", sp.as_str()),
            &format!("{kind}/{}", sp.as_str()),
            &us,
            rules,
            e,
            &keep,
            with_tune,
        );
        res.insert(sp, fig);
    }
    res
}

/// `QUELL_JUDGMENT_SPLITS=train`: measure the train split only (the test split is neither
/// triaged, tuned nor printed, and its floors are not checked): for development runs,
/// which must not see the test split's figures.
fn train_only() -> bool {
    std::env::var("QUELL_JUDGMENT_SPLITS").is_ok_and(|v| v == "train")
}

/// Triage (and tune) of one group of units measured together; prints a header naming the
/// families, one line per cluster and per tuned rule, and the figures line `name`.
fn measure_group(
    header: &str,
    name: &str,
    us: &[&Unit],
    rules: &[RulesFile],
    e: &Engine,
    keep: &[Record],
    with_tune: bool,
) -> Figures {
    let families: BTreeSet<&str> = us.iter().map(|u| u.family.as_str()).collect();
    let mut fig = Figures::default();
    let mut lines = Vec::new();
    let t0 = Instant::now();
    triage_split(e, us, &mut fig, &mut lines);
    let t1 = Instant::now();
    if with_tune {
        tune_split(rules, e, us, keep, &mut fig, &mut lines);
    }
    lines.push(format!(
        "  TIME triage {:.1} s, tune {:.1} s ({} bases)",
        (t1 - t0).as_secs_f64(),
        t1.elapsed().as_secs_f64(),
        fig.tuned_bases
    ));
    // `QUELL_JUDGMENT_DETAIL=train` (or `test`, `holdout`): the per-cluster and per-tune
    // lines of that group only (developers look at train only); the figures always print.
    let group = name.rsplit('/').next().unwrap_or(name);
    let detail = std::env::var("QUELL_JUDGMENT_DETAIL").map_or(true, |d| d == "all" || d == group);
    if detail {
        eprintln!(
            "== {header}: {} families: {}",
            families.len(),
            families.iter().copied().collect::<Vec<_>>().join(", ")
        );
        eprintln!("{}", lines.join("\n"));
    } else {
        eprintln!(
            "== {header}: {} families (details hidden by QUELL_JUDGMENT_DETAIL)",
            families.len()
        );
    }
    eprintln!("{}", fig.line(name));
    fig
}

// ---------------------------------------------------------------- tests

/// The expander's own behaviour on a small family.
#[test]
fn expander_builds_lineage_sessions_and_variants() {
    let text = r#"
family: demo-family
label: benign
scenarios:
  - name: one
    expect: [Clear Log Activities]
    container: {image: "docker.io/library/httpd:2.4", name: web}
    k8s: {ns: shop, pod: web-7d9f6c-x2l}
    procs:
      shim: {exe: /usr/bin/containerd-shim-runc-v2, cmd: containerd-shim-runc-v2 -namespace k8s.io, pre: true}
      sh: {parent: shim, exe: /bin/sh, cmd: sh -i, ctr: true, tty: 34816, sid: new}
      rm: {parent: sh, exe: /usr/bin/rm, cmd: rm /var/log/dpkg.log}
    steps:
      - "sh: open /etc/passwd"
      - "wait: 2s"
      - "rm: unlink /var/log/dpkg.log"
      - "sh: connect 10.0.0.5:443 api.example"
    variants:
      - subst: {dpkg.log: alternatives.log}
    near:
      - note: from the web server
        procs:
          httpd: {parent: shim, exe: /usr/sbin/httpd, cmd: httpd -DFOREGROUND, pre: true, ctr: true, user: www-data}
          sh: {parent: httpd, tty: 0}
        insert_before: {"rm: unlink": ["sh: connect 203.0.113.9:80"]}
"#;
    let mut alloc = Alloc::default();
    let sc = expand_family(text, "t.yaml", &mut alloc).unwrap();
    assert_eq!(sc.len(), 3);
    assert_eq!(sc[0].name, "demo-family__one");
    assert_eq!(sc[1].name, "demo-family__one@variant-1");
    assert_eq!(sc[1].label, Label::Benign);
    assert_eq!(sc[2].name, "demo-family__one@near-1");
    assert_eq!(sc[2].label, Label::Malicious);
    let ev = &sc[0].events;
    // exec sh, open, exec rm, unlink, connect, exit rm, exit sh (the shim existed before).
    let types: Vec<&str> = ev.iter().map(|e| e["evt.type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["execve", "openat", "execve", "unlinkat", "connect", "procexit", "procexit"]
    );
    let rm = &ev[3];
    assert_eq!(rm["proc.name"], "rm");
    assert_eq!(rm["proc.cmdline"], "rm /var/log/dpkg.log");
    assert_eq!(rm["proc.pname"], "sh");
    assert_eq!(rm["proc.aname[2]"], "containerd-shim");
    assert_eq!(rm["proc.aname[3]"], "systemd");
    assert_eq!(rm["proc.tty"], 34816);
    assert_eq!(
        rm["proc.sid"], ev[0]["proc.pid"],
        "rm is in the shell's session"
    );
    assert_eq!(rm["proc.sname"], "sh");
    assert_eq!(rm["container.image.repository"], "docker.io/library/httpd");
    assert_eq!(rm["k8s.pod.name"], "web-7d9f6c-x2l");
    assert_ne!(rm["container.id"], "host");
    assert_eq!(rm["evt.arg.name"], "/var/log/dpkg.log");
    let conn = &ev[4];
    assert_eq!(conn["fd.sip"], "10.0.0.5");
    assert_eq!(conn["fd.sport"], 443);
    assert_eq!(conn["fd.sip.name"], "api.example");
    assert_eq!(conn["fd.typechar"], "4");
    // Times increase, the wait is honoured, evt.num counts from 1.
    let times: Vec<u64> = ev
        .iter()
        .map(|e| e["evt.rawtime"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]));
    assert!(times[3] - times[1] >= 2_000_000_000);
    assert_eq!(ev[0]["evt.num"], 1);
    // The variant: the substitution applied, pids and container differ from the base.
    let v = &sc[1].events;
    assert_eq!(v[3]["evt.arg.name"], "/var/log/alternatives.log");
    assert_ne!(v[0]["proc.pid"], ev[0]["proc.pid"]);
    assert_ne!(v[0]["container.id"], ev[0]["container.id"]);
    assert!(v[0]["evt.rawtime"].as_u64() > ev.last().unwrap()["evt.rawtime"].as_u64());
    // The near-attack: new lineage and the inserted download before the deletion.
    let n = &sc[2].events;
    let rm = n.iter().find(|e| e["evt.type"] == "unlinkat").unwrap();
    assert_eq!(rm["proc.aname[2]"], "httpd");
    assert_eq!(rm["proc.tty"], 0);
    assert_eq!(rm["user.name"], "www-data");
    let pos_conn = n
        .iter()
        .position(|e| e.get("fd.sip").and_then(|v| v.as_str()) == Some("203.0.113.9"))
        .unwrap();
    let pos_rm = n.iter().position(|e| e["evt.type"] == "unlinkat").unwrap();
    assert!(pos_conn < pos_rm);
    // Errors name where the problem is.
    let bad = text.replace("\"rm: unlink /var/log/dpkg.log\"", "\"rm: unlnk /x\"");
    let err = expand_family(&bad, "t.yaml", &mut alloc).unwrap_err();
    assert!(
        err.contains("t.yaml: scenario `one`, step 3") && err.contains("unlnk"),
        "{err}"
    );
    let bad = text.replace(
        "parent: sh, exe: /usr/bin/rm",
        "parent: shh, exe: /usr/bin/rm",
    );
    assert!(expand_family(&bad, "t.yaml", &mut alloc)
        .unwrap_err()
        .contains("unknown parent `shh`"));
    // A setuid mode renders as Falco's flags.
    assert_eq!(expand::mode_flags(0o4755).split('|').count(), 8);
    assert!(expand::mode_flags(0o4755).contains("S_ISUID"));
}

#[test]
fn split_is_fnv1a_mod_3() {
    // FNV-1a 64 of "" and "a" (published test vectors).
    assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
    assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    for f in ["cron-backup", "reverse-shell", "log-rotation-by-hand"] {
        let want = if fnv1a64(f.as_bytes()) % 3 == 0 {
            Split::Test
        } else {
            Split::Train
        };
        assert_eq!(split(f), want);
    }
    assert_eq!(parse_name("a-b__c@near-2").unwrap().2, Kind::Near(2));
    assert_eq!(parse_name("a-b__c").unwrap().1, "a-b__c");
    assert!(parse_name("nofamily").is_none());
}

/// Corpus size and rule coverage (the issue's bars), and every scenario fires exactly the
/// rules it says it fires.
#[test]
fn hand_corpus_size_and_rule_coverage() {
    let rules = rules_files();
    let e = engine(&rules);
    let units = hand_units();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut wrong = Vec::new();
    let mut names = BTreeSet::new();
    let mut pids: BTreeMap<i64, String> = BTreeMap::new();
    for u in &units {
        assert!(names.insert(u.name.clone()), "{}: duplicate name", u.name);
        let f = fired(&e, &u.records);
        let want: BTreeSet<String> = u.expect.iter().cloned().collect();
        if f != want {
            wrong.push(format!("{}: fires {:?}, expected {:?}", u.name, f, want));
        }
        covered.extend(f);
        for r in &u.records {
            let pid = quell_triage::input::int(&r.event, "proc.pid").unwrap();
            let owner = pids.entry(pid).or_insert_with(|| u.name.clone());
            assert_eq!(owner, &u.name, "pid {pid} shared");
        }
    }
    for sp in [Split::Train, Split::Test] {
        let fams: BTreeSet<&str> = units
            .iter()
            .filter(|u| split(&u.family) == sp)
            .map(|u| u.family.as_str())
            .collect();
        eprintln!(
            "{} families ({}): {}",
            sp.as_str(),
            fams.len(),
            fams.iter().copied().collect::<Vec<_>>().join(", ")
        );
    }
    let count = |l: Label, k: fn(&Kind) -> bool| {
        units.iter().filter(|u| u.label == l && k(&u.kind)).count()
    };
    let benign = count(Label::Benign, |_| true);
    let malicious = count(Label::Malicious, |_| true);
    eprintln!(
        "hand corpus: {} scenarios: {benign} benign ({} base, {} variants), {malicious} malicious ({} base attacks, {} near-attacks); {} families; {} upstream rules fire: {}",
        units.len(),
        count(Label::Benign, |k| *k == Kind::Base),
        count(Label::Benign, |k| matches!(k, Kind::Variant(_))),
        count(Label::Malicious, |k| *k == Kind::Base),
        count(Label::Malicious, |k| matches!(k, Kind::Near(_))),
        units.iter().map(|u| &u.family).collect::<BTreeSet<_>>().len(),
        covered.len(),
        covered.iter().cloned().collect::<Vec<_>>().join(" | ")
    );
    // Actors of benign alerts that no malicious scenario uses at all (a triage that
    // memorised names could win on these): printed, so that the list stays short.
    let names_of = |u: &Unit, only_alerts: bool| -> BTreeSet<String> {
        let idx: Vec<usize> = if only_alerts {
            quell_triage::input::alerts(&e, &u.records)
                .iter()
                .map(|a| a.index)
                .collect()
        } else {
            (0..u.records.len()).collect()
        };
        idx.iter()
            .filter_map(|&i| quell_triage::input::text(&u.records[i].event, "proc.name"))
            .collect()
    };
    let malicious_names: BTreeSet<String> = units
        .iter()
        .filter(|u| u.label == Label::Malicious)
        .flat_map(|u| names_of(u, false))
        .collect();
    let benign_only: BTreeSet<String> = units
        .iter()
        .filter(|u| u.label == Label::Benign)
        .flat_map(|u| names_of(u, true))
        .filter(|n| !malicious_names.contains(n))
        .collect();
    eprintln!(
        "actors of benign alerts never seen in a malicious scenario ({}): {}",
        benign_only.len(),
        benign_only.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    assert!(
        wrong.is_empty(),
        "scenarios whose rules differ from `expect`:\n{}",
        wrong.join("\n")
    );
    // Issue 11 item 6: >= 100 benign and >= 100 malicious scenarios over >= 20 upstream rules.
    assert!(benign >= MIN_BENIGN, "{benign} benign scenarios");
    assert!(
        malicious >= MIN_MALICIOUS,
        "{malicious} malicious scenarios"
    );
    assert!(
        covered.len() >= MIN_RULES,
        "{} upstream rules fire",
        covered.len()
    );
    // Both splits hold scenarios of both labels.
    for sp in [Split::Train, Split::Test] {
        for l in [Label::Benign, Label::Malicious] {
            assert!(
                units.iter().any(|u| split(&u.family) == sp && u.label == l),
                "{sp:?} has no {l:?}"
            );
        }
    }
}

// The corpus bars (issue 11 item 6: 100 / 100 / 20), raised as the corpus grows.
const MIN_BENIGN: usize = 100;
const MIN_MALICIOUS: usize = 100;
const MIN_RULES: usize = 20;

/// The judgment figures of the hand-written corpus, train and test. Floors on TEST:
/// the issue's targets are 0 attack clusters called likely_false_positive, precision
/// >= 0.97 at recall >= 0.7, 0 mixed clusters, >= 90 % of benign bases tuned.
#[test]
fn judgment_figures_hand() {
    let rules = rules_files();
    let e = engine(&rules);
    let hand = hand_units();
    let h = measure("hand", &hand, &rules, &e, with_tune());
    for (sp, f) in &h {
        eprintln!("{}", f.line(&format!("hand/{}", sp.as_str())));
    }
    let Some(t) = h.get(&Split::Test) else {
        return;
    };
    // Regression floors at what the code achieves today (see BENCHMARKS.md).
    // The issue's target, held since the eighth session: no attack cluster called likely FP.
    assert_eq!(
        t.attack_called_fp, 0,
        "attack clusters called likely FP on hand/test"
    );
    assert!(
        t.mixed_clusters <= MAX_MIXED,
        "mixed clusters: {}",
        t.mixed_clusters
    );
    assert!(t.recall() >= FLOOR_RECALL, "recall {}", t.recall());
    assert!(
        t.precision() >= FLOOR_PRECISION || t.benign_called_fp + t.attack_called_fp == 0,
        "precision {}",
        t.precision()
    );
    if with_tune() {
        assert!(t.tuned_share() >= FLOOR_TUNED, "tuned {}", t.tuned_share());
    } else {
        eprintln!("QUELL_JUDGMENT_TUNE=0: tuning not measured, its floor not checked");
    }
}

/// Whether tuning is measured (the slow part): `QUELL_JUDGMENT_TUNE=0` measures triage
/// only, for quick iterations on the triage figures; the figures reported in BENCHMARKS.md
/// come from full runs.
fn with_tune() -> bool {
    std::env::var("QUELL_JUDGMENT_TUNE").map_or(true, |v| v != "0")
}

/// The judgment figures of the live recordings (tests/judgment/live, recorded with
/// `quell run --record`), train and test, measured the same way as the hand-written corpus
/// and reported separately (BENCHMARKS.md). Floors: the test split's attack clusters
/// called likely FP and mixed clusters.
#[test]
fn judgment_figures_live() {
    let live = live_units();
    assert!(
        !live.is_empty(),
        "no recordings under tests/judgment/live/recordings: the live corpus is part of the tree"
    );
    let rules = rules_files();
    let e = engine(&rules);
    let l = measure("live", &live, &rules, &e, with_tune());
    for (sp, f) in &l {
        eprintln!("{}", f.line(&format!("live/{}", sp.as_str())));
    }
    let benign = live.iter().filter(|u| u.label == Label::Benign).count();
    assert!(
        benign > 0 && benign < live.len(),
        "live recordings of both labels"
    );
    let Some(t) = l.get(&Split::Test) else {
        return;
    };
    assert_eq!(
        t.attack_called_fp, 0,
        "live/test attack clusters called likely FP"
    );
    assert_eq!(t.mixed_clusters, 0, "live/test mixed clusters");
}

// Floors on the hand-written TEST split at what the code achieves at this commit (raise
// them as triage and tune improve; the issue's targets are in the doc comment above).
// Raised in the fifth session of 2026-12-05 to the integrated main's hand/test figures:
// 1 attack cluster called likely FP, 3 mixed, precision 0.875, recall 0.194 (7 of 36),
// tuned 6 of 17 bases.
// Sixth session (helper cluster6): the split by the rules an alert's session raised left 2
// mixed clusters (was 3); the benign part of the one split off counts as one more benign
// cluster, so recall is 7 of 37 (0.189) with no benign verdict changed.
// Seventh session (helper personquiet): `person_quiet` (a person's quiet session seen whole,
// nothing toward an attack by the strict test) raised recall to 9 of 37 (0.243) at
// precision 0.900 (9 of 10), the one attack called likely FP unchanged. The lead turned its
// anchor off (the blind holdout3: 2 attack clusters called likely FP with it, 0 without), so
// the test split is back to 7 of 36 (0.194) at 0.875; the floors are those figures.
// Eighth session (integrated main): person_quiet anchors again with a whole-session strict
// test (0 attack clusters likely FP on every readable set, on holdout4 and on the blind
// holdout5); hand/test: 0 attack clusters likely FP, 2 mixed, precision 1.000, recall 0.250
// (9 of 36), tuned 6 of 17. The precision floor is the issue's 0.97, and no attack cluster
// called likely FP is asserted as the issue states it.
// Session 10: recall floor 0.25 -> 0.19 (7 of 36), a deliberate trade: a person emptying a
// system log of the host's own (syslog, cron, boot, daemon logs) is no longer anchored by a
// quiet session (`evidence::empties_record_log`), because the blind holdout8 had two attack
// clusters doing exactly that, called likely FP; hand/test lost 2 benign clusters to it
// (measured twice, aggregates only), live/train 1 and holdout6 1.
// Session 14 (helper judge14): recall floor 0.19 -> 0.13 (5 of 36), a deliberate trade of
// the same kind: whole-store commands, a destroyed fresh log, secrets asked beside a
// container's work and a catalogue agent's own persistence write no longer anchor (the 6
// attack clusters the development sets still called likely FP: holdout9 1, holdout11 1,
// holdout12 1, holdout13 3); hand/test lost 2 benign clusters (measured once, aggregates
// only, after the change was chosen on the development sets), hand/train 1, holdout 1,
// holdout13 2.
const MAX_MIXED: usize = 2;
const FLOOR_RECALL: f64 = 0.13;
const FLOOR_PRECISION: f64 = 0.97;
const FLOOR_TUNED: f64 = 0.35;
// The live recordings' TEST split: no attack cluster called likely FP and no mixed cluster
// (both asserted as 0; mixed since the sixth session's split by the session's rules, was 1).

/// Two runs of the same session differ only in identifiers and times: their events look
/// the same to an exception; another target does not.
#[test]
fn exception_view_ignores_identifiers_only() {
    let text = r#"
family: view-check
label: benign
scenarios:
  - name: one
    expect: [Clear Log Activities]
    procs:
      sh: {exe: /bin/sh, cmd: sh -c x, sid: new}
    steps: ["sh: trunc /var/log/syslog", "sh: connect 10.0.0.9:443"]
    variants:
      - {subst: {zzz: zzz}}
      - {subst: {/var/log/syslog: /var/log/kern.log}}
"#;
    let mut alloc = Alloc::default();
    let sc = expand_family(text, "t.yaml", &mut alloc).unwrap();
    let recs: Vec<Vec<Record>> = sc
        .iter()
        .map(|s| parse_records(&s.jsonl(), &s.name).unwrap())
        .collect();
    let v = |i: usize, j: usize| exception_view(&recs[i][j]);
    assert_ne!(
        quell_triage::input::int(&recs[0][1].event, "proc.pid"),
        quell_triage::input::int(&recs[1][1].event, "proc.pid")
    );
    assert_eq!(v(0, 1), v(1, 1), "the same truncation in another run");
    assert_eq!(
        v(0, 2),
        v(1, 2),
        "the same connection from another ephemeral port"
    );
    assert_ne!(v(0, 1), v(2, 1), "another log file");
}

// ---------------------------------------------------------------- the held-out corpus

// The bars of a blind corpus (tests/judgment/holdout, holdout2): families of each label,
// scenarios per benign family, variants and near-attacks per benign base, upstream rules
// covered, and the share of malicious scenarios (label balance).
struct BlindBars {
    min_benign_families: usize,
    min_malicious_families: usize,
    bases_per_benign_family: std::ops::RangeInclusive<usize>,
    edits_per_benign_base: std::ops::RangeInclusive<usize>,
    min_rules: usize,
    malicious_share: std::ops::RangeInclusive<f64>,
}

const HOLDOUT_BARS: BlindBars = BlindBars {
    min_benign_families: 12,
    min_malicious_families: 8,
    bases_per_benign_family: 2..=4,
    edits_per_benign_base: 1..=3,
    min_rules: 15,
    malicious_share: 0.35..=0.65,
};

/// The second blind corpus (tests/judgment/holdout2), written after the first one had been
/// seen by the team: larger bars, and no family named like a hand or holdout family.
const HOLDOUT2_BARS: BlindBars = BlindBars {
    min_benign_families: 14,
    min_malicious_families: 10,
    bases_per_benign_family: 2..=4,
    edits_per_benign_base: 1..=3,
    min_rules: 18,
    malicious_share: 0.35..=0.65,
};

/// The third blind corpus (tests/judgment/holdout3), written once the first had become a
/// development set: the second one's bars, and no family named like a hand, holdout or
/// holdout2 family.
const HOLDOUT3_BARS: BlindBars = HOLDOUT2_BARS;

/// The fourth blind corpus (tests/judgment/holdout4), written once holdout3 had become a
/// development set: at least 15 benign families, the other bars as before, and no family
/// named like a hand, holdout, holdout2 or holdout3 family.
const HOLDOUT4_BARS: BlindBars = BlindBars {
    min_benign_families: 15,
    ..HOLDOUT2_BARS
};

/// The fifth blind corpus (tests/judgment/holdout5), written once holdout4 had become a
/// development set: holdout4's bars, and no family named like a hand, holdout, holdout2,
/// holdout3 or holdout4 family.
const HOLDOUT5_BARS: BlindBars = HOLDOUT4_BARS;

/// The sixth blind corpus (tests/judgment/holdout6), written once holdout5 had become a
/// development set: holdout5's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4 or holdout5 family.
const HOLDOUT6_BARS: BlindBars = HOLDOUT5_BARS;

/// The seventh blind corpus (tests/judgment/holdout7), written once holdout6 had become a
/// development set: holdout6's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5 or holdout6 family.
const HOLDOUT7_BARS: BlindBars = HOLDOUT6_BARS;

/// The eighth blind corpus (tests/judgment/holdout8), written once holdout7 had become a
/// development set: holdout7's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6 or holdout7 family.
const HOLDOUT8_BARS: BlindBars = HOLDOUT7_BARS;

/// The ninth blind corpus (tests/judgment/holdout9), written once holdout8 had become a
/// development set: holdout8's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7 or holdout8 family.
const HOLDOUT9_BARS: BlindBars = HOLDOUT8_BARS;

/// The tenth blind corpus (tests/judgment/holdout10), written once holdout9 had become a
/// development set: holdout9's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8 or holdout9 family.
const HOLDOUT10_BARS: BlindBars = HOLDOUT9_BARS;

/// The eleventh blind corpus (tests/judgment/holdout11), written once holdout10 had become a
/// development set: holdout10's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9 or holdout10 family.
const HOLDOUT11_BARS: BlindBars = HOLDOUT10_BARS;

/// The twelfth blind corpus (tests/judgment/holdout12), written once holdout11 had become a
/// development set: holdout11's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10 or
/// holdout11 family.
const HOLDOUT12_BARS: BlindBars = HOLDOUT11_BARS;

/// The thirteenth blind corpus (tests/judgment/holdout13), written once holdout12 had become a
/// development set: holdout12's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11
/// or holdout12 family.
const HOLDOUT13_BARS: BlindBars = HOLDOUT12_BARS;

/// The fourteenth blind corpus (tests/judgment/holdout14), written once holdout13 had become a
/// development set: holdout13's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12 or holdout13 family.
const HOLDOUT14_BARS: BlindBars = HOLDOUT13_BARS;

/// The fifteenth blind corpus (tests/judgment/holdout15), written once holdout14 had become a
/// development set: holdout14's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13 or holdout14 family.
const HOLDOUT15_BARS: BlindBars = HOLDOUT14_BARS;

/// The sixteenth blind corpus (tests/judgment/holdout16), written once holdout15 had become a
/// development set: holdout15's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14 or holdout15 family.
const HOLDOUT16_BARS: BlindBars = HOLDOUT15_BARS;

/// The seventeenth blind corpus (tests/judgment/holdout17), written once holdout16 had become a
/// development set: holdout16's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15 or holdout16 family.
const HOLDOUT17_BARS: BlindBars = HOLDOUT16_BARS;

/// The eighteenth blind corpus (tests/judgment/holdout18), written once holdout17 had become a
/// development set: holdout17's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16 or holdout17 family.
const HOLDOUT18_BARS: BlindBars = HOLDOUT17_BARS;

/// The nineteenth blind corpus (tests/judgment/holdout19), written once holdout18 had become a
/// development set: holdout18's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17 or holdout18 family.
const HOLDOUT19_BARS: BlindBars = HOLDOUT18_BARS;

/// The twentieth blind corpus (tests/judgment/holdout20), written once holdout19 had become a
/// development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18 or holdout19
/// family.
const HOLDOUT20_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-first blind corpus (tests/judgment/holdout21), written once holdout20 had become a
/// development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19 or
/// holdout20 family.
const HOLDOUT21_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-second blind corpus (tests/judgment/holdout22), written once holdout21 had become a
/// development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20 or holdout21 family.
const HOLDOUT22_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-third blind corpus (tests/judgment/holdout23), written once holdout22 had become a
/// development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21 or holdout22 family.
const HOLDOUT23_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-fourth blind corpus (tests/judgment/holdout24), written once holdout23 had become a
/// development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22 or holdout23 family.
const HOLDOUT24_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-fifth blind corpus (tests/judgment/holdout25), written once holdout24 had become a
/// development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23 or holdout24 family.
const HOLDOUT25_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-sixth blind corpus (tests/judgment/holdout26), written once holdout25 had become a
/// development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24 or holdout25 family.
const HOLDOUT26_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-seventh blind corpus (tests/judgment/holdout27), written once holdout26 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25 or holdout26 family.
const HOLDOUT27_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-eighth blind corpus (tests/judgment/holdout28), written once holdout27 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26 or holdout27
/// family.
const HOLDOUT28_BARS: BlindBars = HOLDOUT19_BARS;

/// The twenty-ninth blind corpus (tests/judgment/holdout29), written once holdout28 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26, holdout27 or
/// holdout28 family.
const HOLDOUT29_BARS: BlindBars = HOLDOUT19_BARS;

/// The thirtieth blind corpus (tests/judgment/holdout30), written once holdout29 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26, holdout27,
/// holdout28 or holdout29 family.
const HOLDOUT30_BARS: BlindBars = HOLDOUT19_BARS;

/// The thirty-first blind corpus (tests/judgment/holdout31), written once holdout30 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26, holdout27,
/// holdout28, holdout29 or holdout30 family.
const HOLDOUT31_BARS: BlindBars = HOLDOUT19_BARS;

/// The thirty-second blind corpus (tests/judgment/holdout32), written once holdout31 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26, holdout27,
/// holdout28, holdout29, holdout30 or holdout31 family.
const HOLDOUT32_BARS: BlindBars = HOLDOUT19_BARS;

/// The thirty-third blind corpus (tests/judgment/holdout33), written once holdout32 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26, holdout27,
/// holdout28, holdout29, holdout30, holdout31 or holdout32 family.
const HOLDOUT33_BARS: BlindBars = HOLDOUT19_BARS;

/// The thirty-fourth blind corpus (tests/judgment/holdout34), written once holdout33 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26, holdout27,
/// holdout28, holdout29, holdout30, holdout31, holdout32 or holdout33 family.
const HOLDOUT34_BARS: BlindBars = HOLDOUT19_BARS;
/// The thirty-fifth blind corpus (tests/judgment/holdout35), written once holdout34 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26, holdout27,
/// holdout28, holdout29, holdout30, holdout31, holdout32, holdout33 or holdout34 family.
const HOLDOUT35_BARS: BlindBars = HOLDOUT19_BARS;
/// The thirty-sixth blind corpus (tests/judgment/holdout36), written once holdout35 had become
/// a development set: holdout19's bars, and no family named like a hand, holdout, holdout2,
/// holdout3, holdout4, holdout5, holdout6, holdout7, holdout8, holdout9, holdout10, holdout11,
/// holdout12, holdout13, holdout14, holdout15, holdout16, holdout17, holdout18, holdout19,
/// holdout20, holdout21, holdout22, holdout23, holdout24, holdout25, holdout26, holdout27,
/// holdout28, holdout29, holdout30, holdout31, holdout32, holdout33, holdout34 or holdout35 family.
const HOLDOUT36_BARS: BlindBars = HOLDOUT19_BARS;

/// The held-out corpus is well formed: every scenario fires exactly the upstream rules its
/// `expect` names, names and pids are unique, its families are not the hand corpus's, and
/// it meets its size, shape, coverage and balance bars. Prints counts only: no verdict
/// figure (the corpus stays blind while it is written; `judgment_figures_holdout` measures).
#[test]
fn holdout_corpus_is_well_formed() {
    blind_corpus_is_well_formed::<&str>("holdout", &[], &HOLDOUT_BARS);
}

/// The second blind corpus is well formed: the same checks as the first one's, and none of
/// its families is named like a hand or a holdout family. Counts only, no verdict figure.
#[test]
fn holdout2_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout2", &["holdout"], &HOLDOUT2_BARS);
}

/// The third blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout or holdout2 family. Counts only, no verdict figure.
#[test]
fn holdout3_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout3", &["holdout", "holdout2"], &HOLDOUT3_BARS);
}

/// The fourth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2 or holdout3 family. Counts only, no verdict figure.
#[test]
fn holdout4_corpus_is_well_formed() {
    blind_corpus_is_well_formed(
        "holdout4",
        &["holdout", "holdout2", "holdout3"],
        &HOLDOUT4_BARS,
    );
}

/// The fifth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3 or holdout4 family. Counts only, no
/// verdict figure.
#[test]
fn holdout5_corpus_is_well_formed() {
    blind_corpus_is_well_formed(
        "holdout5",
        &["holdout", "holdout2", "holdout3", "holdout4"],
        &HOLDOUT5_BARS,
    );
}

/// The sixth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4 or holdout5 family. Counts only,
/// no verdict figure.
#[test]
fn holdout6_corpus_is_well_formed() {
    blind_corpus_is_well_formed(
        "holdout6",
        &["holdout", "holdout2", "holdout3", "holdout4", "holdout5"],
        &HOLDOUT6_BARS,
    );
}

/// The seventh blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5 or holdout6 family.
/// Counts only, no verdict figure.
#[test]
fn holdout7_corpus_is_well_formed() {
    blind_corpus_is_well_formed(
        "holdout7",
        &[
            "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6",
        ],
        &HOLDOUT7_BARS,
    );
}

/// The eighth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6 or holdout7
/// family. Counts only, no verdict figure.
#[test]
fn holdout8_corpus_is_well_formed() {
    blind_corpus_is_well_formed(
        "holdout8",
        &[
            "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7",
        ],
        &HOLDOUT8_BARS,
    );
}

/// The ninth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7 or
/// holdout8 family. Counts only, no verdict figure.
#[test]
fn holdout9_corpus_is_well_formed() {
    blind_corpus_is_well_formed(
        "holdout9",
        &[
            "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7",
            "holdout8",
        ],
        &HOLDOUT9_BARS,
    );
}

/// The corpora written before the `n`th held-out one (`holdout`, `holdout2` ...
/// `holdout{n-1}`), whose family names a new blind corpus must not repeat.
fn before_holdout(n: usize) -> Vec<String> {
    std::iter::once("holdout".to_string())
        .chain((2..n).map(|k| format!("holdout{k}")))
        .collect()
}

/// The tenth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8 or holdout9 family. Counts only, no verdict figure.
#[test]
fn holdout10_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout10", &before_holdout(10), &HOLDOUT10_BARS);
}

/// The eleventh blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9 or holdout10 family. Counts only, no verdict figure.
#[test]
fn holdout11_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout11", &before_holdout(11), &HOLDOUT11_BARS);
}

/// The twelfth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10 or holdout11 family. Counts only, no verdict figure.
#[test]
fn holdout12_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout12", &before_holdout(12), &HOLDOUT12_BARS);
}

/// The thirteenth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11 or holdout12 family. Counts only, no verdict figure.
#[test]
fn holdout13_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout13", &before_holdout(13), &HOLDOUT13_BARS);
}

/// The fourteenth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12 or holdout13 family. Counts only, no
/// verdict figure.
#[test]
fn holdout14_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout14", &before_holdout(14), &HOLDOUT14_BARS);
}

/// The fifteenth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13 or holdout14 family.
/// Counts only, no verdict figure.
#[test]
fn holdout15_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout15", &before_holdout(15), &HOLDOUT15_BARS);
}

/// The sixteenth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14 or holdout15
/// family. Counts only, no verdict figure.
#[test]
fn holdout16_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout16", &before_holdout(16), &HOLDOUT16_BARS);
}

/// The seventeenth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15 or
/// holdout16 family. Counts only, no verdict figure.
#[test]
fn holdout17_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout17", &before_holdout(17), &HOLDOUT17_BARS);
}

/// The eighteenth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16 or holdout17 family. Counts only, no verdict figure.
#[test]
fn holdout18_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout18", &before_holdout(18), &HOLDOUT18_BARS);
}

/// The nineteenth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17 or holdout18 family. Counts only, no verdict figure.
#[test]
fn holdout19_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout19", &before_holdout(19), &HOLDOUT19_BARS);
}

/// The twentieth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18 or holdout19 family. Counts only, no verdict figure.
#[test]
fn holdout20_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout20", &before_holdout(20), &HOLDOUT20_BARS);
}

/// The twenty-first blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19 or holdout20 family. Counts only, no verdict
/// figure.
#[test]
fn holdout21_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout21", &before_holdout(21), &HOLDOUT21_BARS);
}

/// The twenty-second blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20 or holdout21 family. Counts only, no
/// verdict figure.
#[test]
fn holdout22_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout22", &before_holdout(22), &HOLDOUT22_BARS);
}

/// The twenty-third blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21 or holdout22 family. Counts
/// only, no verdict figure.
#[test]
fn holdout23_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout23", &before_holdout(23), &HOLDOUT23_BARS);
}

/// The twenty-fourth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22 or holdout23
/// family. Counts only, no verdict figure.
#[test]
fn holdout24_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout24", &before_holdout(24), &HOLDOUT24_BARS);
}

/// The twenty-fifth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23 or
/// holdout24 family. Counts only, no verdict figure.
#[test]
fn holdout25_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout25", &before_holdout(25), &HOLDOUT25_BARS);
}

/// The twenty-sixth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24 or holdout25 family. Counts only, no verdict figure.
#[test]
fn holdout26_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout26", &before_holdout(26), &HOLDOUT26_BARS);
}

/// The twenty-seventh blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24, holdout25 or holdout26 family. Counts only, no verdict figure.
#[test]
fn holdout27_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout27", &before_holdout(27), &HOLDOUT27_BARS);
}

/// The twenty-eighth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24, holdout25, holdout26 or holdout27 family. Counts only, no verdict figure.
#[test]
fn holdout28_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout28", &before_holdout(28), &HOLDOUT28_BARS);
}

/// The twenty-ninth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24, holdout25, holdout26, holdout27 or holdout28 family. Counts only, no verdict
/// figure.
#[test]
fn holdout29_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout29", &before_holdout(29), &HOLDOUT29_BARS);
}

/// The thirtieth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24, holdout25, holdout26, holdout27, holdout28 or holdout29 family. Counts only, no
/// verdict figure.
#[test]
fn holdout30_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout30", &before_holdout(30), &HOLDOUT30_BARS);
}

/// The thirty-first blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24, holdout25, holdout26, holdout27, holdout28, holdout29 or holdout30 family. Counts
/// only, no verdict figure.
#[test]
fn holdout31_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout31", &before_holdout(31), &HOLDOUT31_BARS);
}

/// The thirty-second blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24, holdout25, holdout26, holdout27, holdout28, holdout29, holdout30 or holdout31
/// family. Counts only, no verdict figure.
#[test]
fn holdout32_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout32", &before_holdout(32), &HOLDOUT32_BARS);
}

/// The thirty-third blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24, holdout25, holdout26, holdout27, holdout28, holdout29, holdout30, holdout31 or
/// holdout32 family. Counts only, no verdict figure.
#[test]
fn holdout33_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout33", &before_holdout(33), &HOLDOUT33_BARS);
}

/// The thirty-fourth blind corpus is well formed: the same checks, and none of its families is
/// named like a hand, holdout, holdout2, holdout3, holdout4, holdout5, holdout6, holdout7,
/// holdout8, holdout9, holdout10, holdout11, holdout12, holdout13, holdout14, holdout15,
/// holdout16, holdout17, holdout18, holdout19, holdout20, holdout21, holdout22, holdout23,
/// holdout24, holdout25, holdout26, holdout27, holdout28, holdout29, holdout30, holdout31,
/// holdout32 or holdout33 family. Counts only, no verdict figure.
#[test]
fn holdout34_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout34", &before_holdout(34), &HOLDOUT34_BARS);
}
/// The thirty-fifth blind corpus (tests/judgment/holdout35) is well formed: every scenario fires
/// exactly its `expect`, and no family is named like a hand, holdout, holdout2 … holdout33 or
/// holdout34 family. Counts only, no verdict figure.
#[test]
fn holdout35_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout35", &before_holdout(35), &HOLDOUT35_BARS);
}
/// The thirty-sixth blind corpus (tests/judgment/holdout36) is well formed: every scenario fires
/// exactly its `expect`, and no family is named like a hand, holdout, holdout2 … holdout34 or
/// holdout35 family. Counts only, no verdict figure.
#[test]
fn holdout36_corpus_is_well_formed() {
    blind_corpus_is_well_formed("holdout36", &before_holdout(36), &HOLDOUT36_BARS);
}

/// The checks of a blind YAML corpus (`corpus`): its families must not be named like the
/// hand corpus's nor like those of the corpora in `not_like`.
fn blind_corpus_is_well_formed<S: AsRef<str> + std::fmt::Debug>(
    corpus: &str,
    not_like: &[S],
    bars: &BlindBars,
) {
    let rules = rules_files();
    let e = engine(&rules);
    let units = units_of(yaml_scenarios(corpus, |_| true));
    let mut wrong = Vec::new();
    let mut names = BTreeSet::new();
    let mut pids: BTreeMap<i64, String> = BTreeMap::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for u in &units {
        assert!(names.insert(u.name.clone()), "{}: duplicate name", u.name);
        let f = fired(&e, &u.records);
        let want: BTreeSet<String> = u.expect.iter().cloned().collect();
        if f != want {
            wrong.push(format!("{}: fires {:?}, expected {:?}", u.name, f, want));
        }
        covered.extend(f);
        for r in &u.records {
            let pid = quell_triage::input::int(&r.event, "proc.pid").unwrap();
            let owner = pids.entry(pid).or_insert_with(|| u.name.clone());
            assert_eq!(owner, &u.name, "pid {pid} shared");
        }
    }
    assert!(
        wrong.is_empty(),
        "{corpus} scenarios whose rules differ from `expect`:\n{}",
        wrong.join("\n")
    );
    // Families of each label; none of them is a hand family (the hand corpus was tuned on)
    // nor a family of the corpora in `not_like` (seen by the team).
    let mut taken_families: BTreeSet<String> =
        hand_scenarios().into_iter().map(|s| s.family).collect();
    for other in not_like {
        taken_families.extend(
            yaml_scenarios(other.as_ref(), |_| true)
                .into_iter()
                .map(|s| s.family),
        );
    }
    let mut families: BTreeMap<Label, BTreeSet<&str>> = BTreeMap::new();
    for u in &units {
        if u.kind == Kind::Base {
            families.entry(u.label).or_default().insert(&u.family);
        }
        assert!(
            !taken_families.contains(&u.family),
            "{}: family `{}` is also a hand or {:?} family",
            u.name,
            u.family,
            not_like
        );
    }
    let fam = |l: Label| families.get(&l).map_or(0, |f| f.len());
    assert!(
        fam(Label::Benign) >= bars.min_benign_families,
        "{} benign families",
        fam(Label::Benign)
    );
    assert!(
        fam(Label::Malicious) >= bars.min_malicious_families,
        "{} malicious families",
        fam(Label::Malicious)
    );
    // Benign families: 2-4 bases, each with 1-3 unseen variants and 1-3 near-attacks.
    for f in families.get(&Label::Benign).into_iter().flatten() {
        let bases: Vec<&Unit> = units
            .iter()
            .filter(|u| u.family == *f && u.kind == Kind::Base)
            .collect();
        assert!(
            bars.bases_per_benign_family.contains(&bases.len()),
            "{f}: {} base scenarios",
            bases.len()
        );
        for b in bases {
            let n = |near: bool| {
                units
                    .iter()
                    .filter(|u| u.base == b.base)
                    .filter(|u| {
                        if near {
                            matches!(u.kind, Kind::Near(_))
                        } else {
                            matches!(u.kind, Kind::Variant(_))
                        }
                    })
                    .count()
            };
            assert!(
                bars.edits_per_benign_base.contains(&n(false)),
                "{}: {} variants",
                b.name,
                n(false)
            );
            assert!(
                bars.edits_per_benign_base.contains(&n(true)),
                "{}: {} near-attacks",
                b.name,
                n(true)
            );
        }
    }
    let count = |l: Label, k: fn(&Kind) -> bool| {
        units.iter().filter(|u| u.label == l && k(&u.kind)).count()
    };
    let benign = count(Label::Benign, |_| true);
    let malicious = count(Label::Malicious, |_| true);
    eprintln!(
        "{corpus} corpus: {} scenarios: {benign} benign ({} base, {} variants), {malicious} malicious ({} base attacks, {} near-attacks); {} benign and {} malicious families; {} upstream rules fire: {}",
        units.len(),
        count(Label::Benign, |k| *k == Kind::Base),
        count(Label::Benign, |k| matches!(k, Kind::Variant(_))),
        count(Label::Malicious, |k| *k == Kind::Base),
        count(Label::Malicious, |k| matches!(k, Kind::Near(_))),
        fam(Label::Benign),
        fam(Label::Malicious),
        covered.len(),
        covered.iter().cloned().collect::<Vec<_>>().join(" | ")
    );
    assert!(
        covered.len() >= bars.min_rules,
        "{} upstream rules fire",
        covered.len()
    );
    // Names a triage could have memorised: actors of benign alerts that no malicious
    // scenario of this corpus uses, and actors of benign alerts that are also actors of
    // the hand corpus's benign alerts (the hand corpus was looked at while tuning).
    let malicious_names: BTreeSet<String> = units
        .iter()
        .filter(|u| u.label == Label::Malicious)
        .flat_map(|u| actors(&e, u, false))
        .collect();
    let benign_alert_actors: BTreeSet<String> = units
        .iter()
        .filter(|u| u.label == Label::Benign)
        .flat_map(|u| actors(&e, u, true))
        .collect();
    let hand_benign_alert_actors: BTreeSet<String> = hand_units()
        .iter()
        .filter(|u| u.label == Label::Benign)
        .flat_map(|u| actors(&e, u, true))
        .collect();
    let list = |s: &BTreeSet<&String>| {
        format!(
            "({}): {}",
            s.len(),
            s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
        )
    };
    eprintln!(
        "{corpus}: actors of benign alerts never seen in a malicious scenario {}",
        list(&benign_alert_actors.difference(&malicious_names).collect())
    );
    eprintln!(
        "{corpus}: actors of benign alerts that are also actors of hand benign alerts {}",
        list(
            &benign_alert_actors
                .intersection(&hand_benign_alert_actors)
                .collect()
        )
    );
    let share = malicious as f64 / units.len() as f64;
    assert!(
        bars.malicious_share.contains(&share),
        "label balance: {malicious} of {} scenarios malicious",
        units.len()
    );
}

/// The process names (`proc.name`) of a unit's alerting events, or of all its events.
fn actors(e: &Engine, u: &Unit, only_alerts: bool) -> BTreeSet<String> {
    let idx: Vec<usize> = if only_alerts {
        quell_triage::input::alerts(e, &u.records)
            .iter()
            .map(|a| a.index)
            .collect()
    } else {
        (0..u.records.len()).collect()
    };
    idx.iter()
        .filter_map(|&i| quell_triage::input::text(&u.records[i].event, "proc.name"))
        .collect()
}

/// Measures a blind (or once-blind) YAML corpus as a whole, never split: the same
/// measures as `judgment_figures_hand`, printed as lines named after the corpus, with no
/// floors; `tune` adds the tune figures.
fn measure_blind(corpus: &str, tune: bool) {
    let rules = rules_files();
    let e = engine(&rules);
    let units = units_of(yaml_scenarios(corpus, |_| true));
    let keep = parse_records(TRUE_POSITIVES, "true_positives.jsonl").unwrap();
    let all: Vec<&Unit> = units.iter().collect();
    let f = measure_group(corpus, corpus, &all, &rules, &e, &keep, tune);
    assert_eq!(f.scenarios_benign + f.scenarios_malicious, units.len());
    assert!(
        f.benign_clusters + f.attack_clusters > 0,
        "no cluster at all"
    );
}

/// The judgment figures of the held-out corpus, all of it together (never split): the same
/// measures as `judgment_figures_hand`, reported as `holdout`, with no floors (it is a
/// measurement of how triage and tune generalise, not a regression bar). Ignored by
/// default so that nobody tuning sees these figures by accident; run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout -- --ignored --nocapture`.
#[test]
#[ignore = "the blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout() {
    measure_blind("holdout", with_tune());
}

/// The judgment figures of the second blind corpus (tests/judgment/holdout2), all of it
/// together, printed as lines `holdout2`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout2 -- --ignored --nocapture`.
#[test]
#[ignore = "the second blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout2() {
    measure_blind("holdout2", true);
}

/// The judgment figures of the third blind corpus (tests/judgment/holdout3), all of it
/// together, printed as lines `holdout3`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout3 -- --ignored --nocapture`.
#[test]
#[ignore = "the third blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout3() {
    measure_blind("holdout3", true);
}

/// The judgment figures of the fourth blind corpus (tests/judgment/holdout4), all of it
/// together, printed as lines `holdout4`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout4 -- --ignored --nocapture`.
#[test]
#[ignore = "the fourth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout4() {
    measure_blind("holdout4", true);
}

/// The judgment figures of the fifth blind corpus (tests/judgment/holdout5), all of it
/// together, printed as lines `holdout5`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout5 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the fifth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout5() {
    measure_blind("holdout5", true);
}

/// The judgment figures of the sixth blind corpus (tests/judgment/holdout6), all of it
/// together, printed as lines `holdout6`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout6 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the sixth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout6() {
    measure_blind("holdout6", true);
}

/// The judgment figures of the seventh blind corpus (tests/judgment/holdout7), all of it
/// together, printed as lines `holdout7`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout7 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the seventh blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout7() {
    measure_blind("holdout7", true);
}

/// The judgment figures of the eighth blind corpus (tests/judgment/holdout8), all of it
/// together, printed as lines `holdout8`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout8 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the eighth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout8() {
    measure_blind("holdout8", true);
}

/// The judgment figures of the ninth blind corpus (tests/judgment/holdout9), all of it
/// together, printed as lines `holdout9`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout9 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the ninth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout9() {
    measure_blind("holdout9", true);
}

/// The judgment figures of the tenth blind corpus (tests/judgment/holdout10), all of it
/// together, printed as lines `holdout10`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout10 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the tenth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout10() {
    measure_blind("holdout10", true);
}

/// The judgment figures of the eleventh blind corpus (tests/judgment/holdout11), all of it
/// together, printed as lines `holdout11`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout11 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the eleventh blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout11() {
    measure_blind("holdout11", true);
}

/// The judgment figures of the twelfth blind corpus (tests/judgment/holdout12), all of it
/// together, printed as lines `holdout12`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout12 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twelfth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout12() {
    measure_blind("holdout12", true);
}

/// The judgment figures of the thirteenth blind corpus (tests/judgment/holdout13), all of it
/// together, printed as lines `holdout13`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout13 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the thirteenth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout13() {
    measure_blind("holdout13", true);
}

/// The judgment figures of the fourteenth blind corpus (tests/judgment/holdout14), all of it
/// together, printed as lines `holdout14`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout14 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the fourteenth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout14() {
    measure_blind("holdout14", true);
}

/// The judgment figures of the fifteenth blind corpus (tests/judgment/holdout15), all of it
/// together, printed as lines `holdout15`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout15 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the fifteenth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout15() {
    measure_blind("holdout15", true);
}

/// The judgment figures of the sixteenth blind corpus (tests/judgment/holdout16), all of it
/// together, printed as lines `holdout16`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout16 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the sixteenth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout16() {
    measure_blind("holdout16", true);
}

/// The judgment figures of the seventeenth blind corpus (tests/judgment/holdout17), all of it
/// together, printed as lines `holdout17`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout17 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the seventeenth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout17() {
    measure_blind("holdout17", true);
}

/// The judgment figures of the eighteenth blind corpus (tests/judgment/holdout18), all of it
/// together, printed as lines `holdout18`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout18 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the eighteenth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout18() {
    measure_blind("holdout18", true);
}

/// The judgment figures of the nineteenth blind corpus (tests/judgment/holdout19), all of it
/// together, printed as lines `holdout19`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout19 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the nineteenth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout19() {
    measure_blind("holdout19", true);
}

/// The judgment figures of the twentieth blind corpus (tests/judgment/holdout20), all of it
/// together, printed as lines `holdout20`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout20 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twentieth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout20() {
    measure_blind("holdout20", true);
}

/// The judgment figures of the twenty-first blind corpus (tests/judgment/holdout21), all of it
/// together, printed as lines `holdout21`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout21 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-first blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout21() {
    measure_blind("holdout21", true);
}

/// The judgment figures of the twenty-second blind corpus (tests/judgment/holdout22), all of it
/// together, printed as lines `holdout22`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout22 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-second blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout22() {
    measure_blind("holdout22", true);
}

/// The judgment figures of the twenty-third blind corpus (tests/judgment/holdout23), all of it
/// together, printed as lines `holdout23`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout23 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-third blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout23() {
    measure_blind("holdout23", true);
}

/// The judgment figures of the twenty-fourth blind corpus (tests/judgment/holdout24), all of it
/// together, printed as lines `holdout24`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout24 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-fourth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout24() {
    measure_blind("holdout24", true);
}

/// The judgment figures of the twenty-fifth blind corpus (tests/judgment/holdout25), all of it
/// together, printed as lines `holdout25`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout25 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-fifth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout25() {
    measure_blind("holdout25", true);
}

/// The judgment figures of the twenty-sixth blind corpus (tests/judgment/holdout26), all of it
/// together, printed as lines `holdout26`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout26 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-sixth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout26() {
    measure_blind("holdout26", true);
}

/// The judgment figures of the twenty-seventh blind corpus (tests/judgment/holdout27), all of it
/// together, printed as lines `holdout27`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout27 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-seventh blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout27() {
    measure_blind("holdout27", true);
}

/// The judgment figures of the twenty-eighth blind corpus (tests/judgment/holdout28), all of it
/// together, printed as lines `holdout28`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout28 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-eighth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout28() {
    measure_blind("holdout28", true);
}

/// The judgment figures of the twenty-ninth blind corpus (tests/judgment/holdout29), all of it
/// together, printed as lines `holdout29`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout29 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the twenty-ninth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout29() {
    measure_blind("holdout29", true);
}

/// The judgment figures of the thirtieth blind corpus (tests/judgment/holdout30), all of it
/// together, printed as lines `holdout30`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout30 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the thirtieth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout30() {
    measure_blind("holdout30", true);
}

/// The judgment figures of the thirty-first blind corpus (tests/judgment/holdout31), all of it
/// together, printed as lines `holdout31`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout31 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the thirty-first blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout31() {
    measure_blind("holdout31", true);
}

/// The judgment figures of the thirty-second blind corpus (tests/judgment/holdout32), all of it
/// together, printed as lines `holdout32`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout32 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the thirty-second blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout32() {
    measure_blind("holdout32", true);
}

/// The judgment figures of the thirty-third blind corpus (tests/judgment/holdout33), all of it
/// together, printed as lines `holdout33`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout33 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the thirty-third blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout33() {
    measure_blind("holdout33", true);
}

/// The judgment figures of the thirty-fourth blind corpus (tests/judgment/holdout34), all of it
/// together, printed as lines `holdout34`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout34 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the thirty-fourth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout34() {
    measure_blind("holdout34", true);
}
/// The judgment figures of the thirty-fifth blind corpus (tests/judgment/holdout35), all of it
/// together, printed as lines `holdout35`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout35 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the thirty-fifth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout35() {
    measure_blind("holdout35", true);
}
/// The judgment figures of the thirty-sixth blind corpus (tests/judgment/holdout36), all of it
/// together, printed as lines `holdout36`, with no floors; ignored by default for the same
/// reason as `judgment_figures_holdout`. Run on purpose with
/// `cargo test -p quell --test judgment judgment_figures_holdout36 -- --ignored --exact --nocapture`.
#[test]
#[ignore = "the thirty-sixth blind held-out corpus is measured on purpose only (--ignored)"]
fn judgment_figures_holdout36() {
    measure_blind("holdout36", true);
}
