//! Differential test: quell against the reference implementation, Debian's `sysdig` 0.29.3
//! (falcosecurity libs of March 2022), which reads `.scap` captures and evaluates Falco filters.
//!
//! For every rule of the upstream stable rules file, and for every hand-written condition in
//! `tests/differential/conditions.txt`, and for every capture in `../shared/corpus/scap` that has
//! a flat-events twin in `../shared/corpus/events`:
//! - the reference: `sysdig -r CAPTURE -p "*%evt.num" "(<condition>) and evt.dir=<"`, the set of `evt.num`;
//! - quell: the rule's compiled condition over the capture's JSON Lines events, the set of `evt.num`;
//!
//! and the two sets must be equal. Nothing is dropped silently; a pair is listed as skipped, with
//! its reason, when
//! - the reference cannot compile the condition (its error message is shown),
//! - the condition reads a field the flat events do not carry (the `FIELDS` list of
//!   `../shared/tools/scap2jsonl`, less `evt.dir`, which that tool removes),
//! - the condition reads an ancestor field without an index (`proc.aname`: any ancestor) and the
//!   capture has ancestors deeper than the flat events carry.
//!
//! Events whose flat form lost a field the condition reads are left out of the comparison and
//! counted: the reference extracts some fields as an empty string or as the literal text `<NA>`
//! (`proc.name` of a thread without a name), and scap2jsonl writes both as a missing key. Such a
//! field "exists" for the reference and not in the flat event; which events those are is asked
//! from the reference itself (`<field> exists`).
//!
//! The test fails on any disagreement, when quell cannot compile a hand-written condition, when a
//! hand-written condition is empty or total on every capture (it would prove nothing), and when
//! nothing at all was compared. Run with `--nocapture` to see the full table.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use quell_events::FlatEvent;
use quell_rules::compile::CompiledRule;
use quell_rules::engine::Engine;

#[path = "differential/reference.rs"]
mod reference;
use reference::{fields_read, require_sysdig, run_sysdig_jobs, EvtNums, FieldUse};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");
const CONDITIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/differential/conditions.txt"
);
const RULES_FILE: &str = "corpus/falco-rules/falco_rules.yaml";

/// Captures the reference cannot read (and the reason). They have no flat-events twin either.
const UNREADABLE: &[(&str, &str)] = &[(
    "curl_google_comments.scap",
    "sysdig 0.29.3 cannot read its pcapng section-header options (it reads 0 events)",
)];

// ---------------------------------------------------------------------------------------------
// Fields the flat events carry

/// The `FIELDS = [...]` list of scap2jsonl: the fields a flat event can carry.
fn flat_fields() -> BTreeSet<String> {
    let path = Path::new(SHARED).join("tools/scap2jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let fields = parse_fields_list(&text);
    assert!(
        fields.len() > 20,
        "{}: could not find its FIELDS = [...] list (found {} names)",
        path.display(),
        fields.len()
    );
    fields
}

/// Reads the quoted names between `FIELDS = [` and the closing `]`; `evt.dir` is left out
/// because scap2jsonl removes it from every event.
fn parse_fields_list(text: &str) -> BTreeSet<String> {
    let Some(start) = text.find("FIELDS = [") else {
        return BTreeSet::new();
    };
    // The list ends at the first `]` that opens a line (names hold brackets: `proc.aname[1]`).
    let body = &text[start + "FIELDS = [".len()..];
    let body = &body[..body.find("\n]").unwrap_or(body.len())];
    body.split('"')
        .skip(1)
        .step_by(2)
        .filter(|f| *f != "evt.dir")
        .map(str::to_string)
        .collect()
}

/// For a field the flat events carry only per level (`proc.aname[1]`..`proc.aname[5]`), the
/// deepest level carried; `None` when the field has no indexed form in the list.
fn deepest_level(fields: &BTreeSet<String>, name: &str) -> Option<u32> {
    fields
        .iter()
        .filter_map(|f| {
            f.strip_prefix(name)?
                .strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<u32>()
                .ok()
        })
        .filter(|&n| n >= 1)
        .max()
}

// ---------------------------------------------------------------------------------------------
// Captures and their flat events

struct Capture {
    name: String,
    scap: PathBuf,
    /// (evt.num, event), in file order.
    events: Vec<(u64, FlatEvent)>,
    all: EvtNums,
    /// Per flat key, the events that carry it.
    present: HashMap<String, EvtNums>,
}

fn load_captures(fields: &BTreeSet<String>) -> Vec<Capture> {
    let scap_dir = Path::new(SHARED).join("corpus/scap");
    let events_dir = Path::new(SHARED).join("corpus/events");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&scap_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", scap_dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scap"))
        .collect();
    names.sort();
    let mut captures = Vec::new();
    for scap in names {
        let file = scap
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = scap
            .file_stem()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let jsonl = events_dir.join(format!("{stem}.jsonl"));
        if !jsonl.exists() {
            let why = UNREADABLE
                .iter()
                .find(|(f, _)| *f == file)
                .map_or("no flat-events twin", |(_, w)| w);
            println!("capture {file}: skipped ({why}; no {stem}.jsonl)");
            continue;
        }
        let text = std::fs::read_to_string(&jsonl)
            .unwrap_or_else(|e| panic!("reading {}: {e}", jsonl.display()));
        let mut events = Vec::new();
        let mut present: HashMap<String, EvtNums> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let where_ = format!("{}:{}", jsonl.display(), i + 1);
            let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{where_}: not a JSON object: {e}"));
            let num = obj
                .get("evt.num")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or_else(|| panic!("{where_}: no numeric evt.num"));
            for key in obj.keys().filter(|k| fields.contains(*k)) {
                present.entry(key.clone()).or_default().insert(num);
            }
            let ev = FlatEvent::from_json_line(line)
                .unwrap_or_else(|e| panic!("{where_}: quell cannot read the event: {e:?}"));
            events.push((num, ev));
        }
        let all: EvtNums = events.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            all.len(),
            events.len(),
            "{}: duplicate evt.num values",
            jsonl.display()
        );
        captures.push(Capture {
            name: stem,
            scap,
            events,
            all,
            present,
        });
    }
    captures
}

// ---------------------------------------------------------------------------------------------
// What is compared

/// A rule or a hand-written condition.
struct Subject {
    label: String,
    /// The text handed to the reference.
    reference_text: String,
    /// quell's engine holding the compiled rule (its first), or why quell could not compile it.
    engine: Result<Rc<Engine>, String>,
    rule_index: usize,
    hand_written: bool,
}

impl Subject {
    fn rule(&self) -> Result<&CompiledRule, &str> {
        match &self.engine {
            Ok(e) => e
                .rules()
                .get(self.rule_index)
                .ok_or("the rule vanished from the engine"),
            Err(msg) => Err(msg),
        }
    }

    fn matches(&self, ev: &FlatEvent) -> bool {
        match (&self.engine, self.rule()) {
            (Ok(engine), Ok(rule)) => engine.matches(rule, ev),
            _ => false,
        }
    }
}

/// One subject per rule of the given upstream files loaded in order into one engine
/// (as Falco loads them), skipping rules named in `except`; all share the engine.
fn rules_subjects(files: &[&str], except: &BTreeSet<String>) -> Vec<Subject> {
    let mut engine = Engine::new();
    for file in files {
        let path = Path::new(SHARED).join("corpus/falco-rules").join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let res = engine.load(file, &text);
        assert!(
            res.successful,
            "quell could not load {}: {:?}",
            path.display(),
            res.errors
        );
    }
    assert!(!engine.rules().is_empty(), "{files:?}: no rules loaded");
    let engine = Rc::new(engine);
    engine
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| !except.contains(&r.name))
        .map(|(i, r)| Subject {
            label: r.name.clone(),
            reference_text: r.condition_compiled.clone(),
            engine: Ok(Rc::clone(&engine)),
            rule_index: i,
            hand_written: false,
        })
        .collect()
}

fn hand_written_conditions() -> Vec<(usize, String)> {
    let text =
        std::fs::read_to_string(CONDITIONS).unwrap_or_else(|e| panic!("reading {CONDITIONS}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| (i + 1, l.trim().to_string()))
        .collect()
}

/// Compiles one condition through the loader, as a one-rule rules file; the engine holds it first.
fn compile_condition(cond: &str) -> Result<Engine, String> {
    let yaml = format!(
        "- rule: c1\n  desc: d\n  condition: >-\n    {cond}\n  output: o\n  priority: INFO\n"
    );
    let mut engine = Engine::new();
    let res = engine.load("condition.yaml", &yaml);
    if !res.successful {
        return Err(format!("{:?}", res.errors));
    }
    if engine.rules().is_empty() {
        return Err("no rule compiled (and no error reported)".to_string());
    }
    Ok(engine)
}

fn conditions_subjects() -> Vec<Subject> {
    hand_written_conditions()
        .into_iter()
        .map(|(line, cond)| Subject {
            label: format!("L{line}: {cond}"),
            engine: compile_condition(&cond).map(Rc::new),
            rule_index: 0,
            reference_text: cond,
            hand_written: true,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Comparison

enum Outcome {
    Agree {
        matched: usize,
        compared: usize,
        excluded: usize,
        reason: Option<String>,
    },
    Skipped(String),
    Disagree(String),
    QuellError(String),
}

struct Context<'a> {
    captures: &'a [Capture],
    fields: &'a BTreeSet<String>,
    results: &'a HashMap<(usize, String), Result<EvtNums, String>>,
}

impl Context<'_> {
    fn reference(&self, cap: usize, filter: &str) -> &Result<EvtNums, String> {
        self.results
            .get(&(cap, filter.to_string()))
            .expect("every reference job was run")
    }

    /// The flat keys standing for a field on a capture, or why the flat events lack it.
    fn flat_keys(&self, cap: usize, f: &FieldUse) -> Result<Vec<String>, String> {
        if self.fields.contains(&f.key()) {
            return Ok(vec![f.key()]);
        }
        if f.arg.is_none() {
            if let Some(depth) = deepest_level(self.fields, &f.name) {
                let probe = ancestor_probe(&f.name, depth);
                return match self.reference(cap, &probe) {
                    Ok(deeper) if deeper.is_empty() => Ok((1..=depth).map(|n| format!("{}[{n}]", f.name)).collect()),
                    Ok(deeper) => Err(format!(
                        "reads {} (any level), and {} events have ancestors deeper than the {depth} levels the flat events carry",
                        f.name,
                        deeper.len()
                    )),
                    Err(e) => Err(format!("cannot probe the ancestor depth of {}: {e}", f.name)),
                };
            }
        }
        Err(format!(
            "reads {}, which the flat events do not carry",
            f.key()
        ))
    }

    /// Events where the flat form of `key` differs in presence from the reference's extraction.
    fn unfaithful(&self, cap: usize, key: &str) -> Result<EvtNums, String> {
        let reference = self
            .reference(cap, &exists_probe(key))
            .as_ref()
            .map_err(|e| format!("`{key} exists`: {e}"))?;
        let empty = EvtNums::new();
        let flat = self.captures[cap].present.get(key).unwrap_or(&empty);
        Ok(reference.symmetric_difference(flat).copied().collect())
    }

    fn compare(&self, subject: &Subject, cap: usize) -> Outcome {
        let rule = match subject.rule() {
            Ok(r) => r,
            Err(e) => return Outcome::QuellError(e.to_string()),
        };
        let reference = match self.reference(cap, &subject.reference_text) {
            Ok(r) => r,
            Err(e) => return Outcome::Skipped(format!("reference rejects: {e}")),
        };
        let capture = &self.captures[cap];
        let mut excluded = EvtNums::new();
        let mut lossy = BTreeSet::new();
        for f in fields_read(&rule.expr) {
            let keys = match self.flat_keys(cap, &f) {
                Ok(k) => k,
                Err(why) => return Outcome::Skipped(why),
            };
            for key in keys {
                match self.unfaithful(cap, &key) {
                    Ok(set) if set.is_empty() => {}
                    Ok(set) => {
                        excluded.extend(set);
                        lossy.insert(key);
                    }
                    Err(e) => {
                        return Outcome::Skipped(format!(
                            "cannot check the flat form of {key}: {e}"
                        ))
                    }
                }
            }
        }
        let compared = capture.all.len() - capture.all.intersection(&excluded).count();
        let lossy = (!lossy.is_empty()).then(|| {
            format!(
                "events left out because the flat events lost {} (empty or `<NA>` text in the reference)",
                lossy.into_iter().collect::<Vec<_>>().join(", ")
            )
        });
        if compared == 0 {
            return Outcome::Skipped(lossy.unwrap_or_default());
        }
        let ours: EvtNums = capture
            .events
            .iter()
            .filter(|(n, _)| !excluded.contains(n))
            .filter(|(_, ev)| subject.matches(ev))
            .map(|(n, _)| *n)
            .collect();
        let theirs: EvtNums = reference
            .iter()
            .filter(|n| capture.all.contains(n) && !excluded.contains(n))
            .copied()
            .collect();
        if ours == theirs {
            return Outcome::Agree {
                matched: ours.len(),
                compared,
                excluded: capture.all.len() - compared,
                reason: lossy,
            };
        }
        let only_ref: Vec<u64> = theirs.difference(&ours).copied().collect();
        let only_quell: Vec<u64> = ours.difference(&theirs).copied().collect();
        let show = |v: &[u64]| {
            v.iter()
                .take(8)
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        Outcome::Disagree(format!(
            "reference {} vs quell {} of {compared}; only reference ({}): {}; only quell ({}): {}",
            theirs.len(),
            ours.len(),
            only_ref.len(),
            show(&only_ref),
            only_quell.len(),
            show(&only_quell)
        ))
    }
}

fn exists_probe(key: &str) -> String {
    format!("{key} exists")
}

fn ancestor_probe(name: &str, depth: u32) -> String {
    format!("{name}[{}] exists", depth + 1)
}

/// Every reference job the subjects need: each subject's text on each capture, plus the
/// `exists` probes of the fields they read and the ancestor-depth probes.
fn reference_jobs(
    subjects: &[Subject],
    captures: &[Capture],
    fields: &BTreeSet<String>,
) -> BTreeSet<(usize, String)> {
    let mut jobs = BTreeSet::new();
    let mut used = BTreeSet::new();
    for s in subjects {
        if let Ok(rule) = s.rule() {
            used.extend(fields_read(&rule.expr));
        }
    }
    for cap in 0..captures.len() {
        jobs.insert((cap, "evt.num exists".to_string()));
        for s in subjects {
            jobs.insert((cap, s.reference_text.clone()));
        }
        for f in &used {
            if fields.contains(&f.key()) {
                jobs.insert((cap, exists_probe(&f.key())));
            } else if let (None, Some(depth)) = (&f.arg, deepest_level(fields, &f.name)) {
                jobs.insert((cap, ancestor_probe(&f.name, depth)));
                for n in 1..=depth {
                    jobs.insert((cap, exists_probe(&format!("{}[{n}]", f.name))));
                }
            }
        }
    }
    jobs
}

// ---------------------------------------------------------------------------------------------
// Report

#[derive(Default)]
struct Tally {
    compared: usize,
    compared_nonempty: usize,
    skipped: usize,
    failures: Vec<String>,
}

/// Prints a table subject × capture and returns the tally. Cells: `=n/m` agree (n matching of m
/// compared events, `+k` left out), `skip[i]` (reason i below), `DIFF[i]`, `QUELL[i]`.
fn report(title: &str, subjects: &[Subject], ctx: &Context<'_>) -> (Tally, Vec<Vec<Outcome>>) {
    let mut tally = Tally::default();
    let mut reasons: Vec<String> = Vec::new();
    let mut reason_index = |r: &str| -> usize {
        match reasons.iter().position(|x| x == r) {
            Some(i) => i + 1,
            None => {
                reasons.push(r.to_string());
                reasons.len()
            }
        }
    };
    let width = subjects
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(10)
        .min(60);
    let mut out = String::new();
    let _ = write!(out, "\n== {title}\n{:width$}", "");
    for c in ctx.captures {
        let _ = write!(out, " {:>18}", c.name);
    }
    out.push('\n');
    let mut outcomes = Vec::new();
    for s in subjects {
        let label: String = s.label.chars().take(width).collect();
        let _ = write!(out, "{label:width$}");
        let mut row = Vec::new();
        for cap in 0..ctx.captures.len() {
            let o = ctx.compare(s, cap);
            let cell = match &o {
                Outcome::Agree {
                    matched,
                    compared,
                    excluded,
                    reason,
                } => {
                    tally.compared += 1;
                    if *matched > 0 {
                        tally.compared_nonempty += 1;
                    }
                    match reason {
                        Some(r) => format!("={matched}/{compared}+{excluded}[{}]", reason_index(r)),
                        None => format!("={matched}/{compared}"),
                    }
                }
                Outcome::Skipped(r) => {
                    tally.skipped += 1;
                    format!("skip[{}]", reason_index(r))
                }
                Outcome::Disagree(d) => {
                    tally
                        .failures
                        .push(format!("{} on {}: {d}", s.label, ctx.captures[cap].name));
                    format!("DIFF[{}]", reason_index(d))
                }
                Outcome::QuellError(e) => {
                    if cap == 0 {
                        tally
                            .failures
                            .push(format!("{}: quell cannot compile it: {e}", s.label));
                    }
                    format!(
                        "QUELL[{}]",
                        reason_index(&format!("quell cannot compile it: {e}"))
                    )
                }
            };
            let _ = write!(out, " {cell:>18}");
            row.push(o);
        }
        out.push('\n');
        outcomes.push(row);
    }
    for (i, r) in reasons.iter().enumerate() {
        let _ = writeln!(out, "  [{}] {r}", i + 1);
    }
    let _ = writeln!(
        out,
        "  {title}: {} pairs compared ({} with matches), {} skipped, {} failures",
        tally.compared,
        tally.compared_nonempty,
        tally.skipped,
        tally.failures.len()
    );
    println!("{out}");
    (tally, outcomes)
}

/// A hand-written condition proves something only if, on some capture, it matches some events
/// and not all of them. Judged on the reference's counts where it compiled the condition, else on
/// quell's where the flat events carry what it reads. A condition neither can judge (the reference
/// rejects it and the flat events lack its fields) is listed, not failed: it documents a rejection.
fn trivial_conditions(subjects: &[Subject], ctx: &Context<'_>) -> Vec<String> {
    let mut bad = Vec::new();
    for s in subjects.iter().filter(|s| s.hand_written) {
        let Ok(rule) = s.rule() else { continue };
        let fields = fields_read(&rule.expr);
        let mut counts = Vec::new();
        let mut meaningful = false;
        let mut judged = false;
        for (cap, c) in ctx.captures.iter().enumerate() {
            let n = match ctx.reference(cap, &s.reference_text) {
                Ok(set) => set.intersection(&c.all).count(),
                Err(_) if fields.iter().all(|f| ctx.flat_keys(cap, f).is_ok()) => {
                    c.events.iter().filter(|(_, ev)| s.matches(ev)).count()
                }
                Err(_) => continue,
            };
            judged = true;
            meaningful |= n > 0 && n < c.all.len();
            counts.push(format!("{} {n}/{}", c.name, c.all.len()));
        }
        if !judged {
            println!("  {}: compared nowhere (the reference rejects it, the flat events lack its fields)", s.label);
        } else if !meaningful {
            bad.push(format!(
                "{} is empty or total on every capture ({})",
                s.label,
                counts.join(", ")
            ));
        }
    }
    bad
}

#[test]
fn differential_against_sysdig() {
    let version = require_sysdig();
    println!("reference: {version}");

    let fields = flat_fields();
    let captures = load_captures(&fields);
    assert!(
        !captures.is_empty(),
        "no capture with a flat-events twin under {SHARED}/corpus"
    );

    // The stable rules (the bar), then the incubating and sandbox rules loaded after
    // them (extra coverage: these fire on the captures where the stable ones do not).
    let stable_file = Path::new(RULES_FILE)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or("falco_rules.yaml");
    let mut subjects = rules_subjects(&[stable_file], &BTreeSet::new());
    let n_rules = subjects.len();
    let stable_names: BTreeSet<String> = subjects.iter().map(|s| s.label.clone()).collect();
    subjects.extend(rules_subjects(
        &[
            stable_file,
            "falco-incubating_rules.yaml",
            "falco-sandbox_rules.yaml",
        ],
        &stable_names,
    ));
    let n_more = subjects.len();
    subjects.extend(conditions_subjects());

    let started = std::time::Instant::now();
    let jobs = reference_jobs(&subjects, &captures, &fields);
    let n_jobs = jobs.len();
    let scaps: Vec<PathBuf> = captures.iter().map(|c| c.scap.clone()).collect();
    let results = run_sysdig_jobs(jobs, &scaps);
    println!(
        "{n_jobs} reference runs in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let ctx = Context {
        captures: &captures,
        fields: &fields,
        results: &results,
    };

    // The reference and the flat events must see the same exit events.
    for (cap, c) in captures.iter().enumerate() {
        match ctx.reference(cap, "evt.num exists") {
            Ok(set) => assert_eq!(
                set, &c.all,
                "{}: the reference's exit events differ from the flat events (re-run scap2jsonl?)",
                c.name
            ),
            Err(e) => panic!("{}: the reference cannot read the capture: {e}", c.name),
        }
    }

    let (rules, _) = report(
        "upstream stable rules (condition_compiled)",
        &subjects[..n_rules],
        &ctx,
    );
    let (more, _) = report(
        "upstream incubating and sandbox rules, loaded after stable (condition_compiled)",
        &subjects[n_rules..n_more],
        &ctx,
    );
    let (conds, _) = report(
        "hand-written conditions (tests/differential/conditions.txt)",
        &subjects[n_more..],
        &ctx,
    );
    let trivial = trivial_conditions(&subjects[n_more..], &ctx);

    let mut failures: Vec<String> = rules
        .failures
        .iter()
        .chain(&more.failures)
        .chain(&conds.failures)
        .cloned()
        .collect();
    failures.extend(trivial);
    if rules.compared == 0 {
        failures.push(
            "no rule was compared on any capture: the rules part of the test proved nothing".into(),
        );
    }
    if conds.compared == 0 {
        failures.push("no hand-written condition was compared on any capture".into());
    }
    assert!(
        failures.is_empty(),
        "{} differential failures:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_list_is_parsed_without_evt_dir() {
        let text = "x = 1\nFIELDS = [\n    \"evt.num\", \"evt.dir\",\n    \"proc.aname[1]\", \"proc.aname[5]\",\n]\nNUMERIC = {\"a.b\"}\n";
        let f = parse_fields_list(text);
        assert_eq!(
            f,
            ["evt.num", "proc.aname[1]", "proc.aname[5]"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        );
        assert_eq!(deepest_level(&f, "proc.aname"), Some(5));
        assert_eq!(deepest_level(&f, "proc.apid"), None);
        assert!(parse_fields_list("nothing here").is_empty());
    }

    #[test]
    fn field_walk_sees_every_operand() {
        let engine = compile_condition(
            "proc.aname[2] = sshd and not (fd.name exists or tolower(proc.pname) = x)",
        )
        .expect("quell compiles the condition");
        let keys: Vec<String> = fields_read(&engine.rules()[0].expr)
            .iter()
            .map(FieldUse::key)
            .collect();
        assert_eq!(keys, ["fd.name", "proc.aname[2]", "proc.pname"]);
    }
}
