//! Differential test on captures: quell against the reference implementation, Debian's
//! `sysdig` 0.29.3 (falcosecurity libs of March 2022), both reading the same `.scap` files.
//!
//! Captures: every capture of `../shared/corpus/scap` and every capture quell recorded of the
//! live attack scenarios of the labelled corpus (`tests/differential/scap/`, see the README
//! there). For each capture:
//!
//! - **State.** The reference prints, for every exit event, the fields of [`STATE_FIELDS`]
//!   (process, user, fd and container state as libsinsp keeps it); quell's flat events from
//!   the same capture (`quell_scap::flat`, the path of `quell replay -e`) must show the same
//!   values. On the corpus captures the differences are reported here and asserted, with
//!   their stated reasons, by `crates/quell-scap/tests/flat.rs`; on the captures quell
//!   recorded any difference not listed in [`STATE_EXCEPTIONS`] fails the test.
//! - **Rules.** For every rule of the upstream stable rules file (and, for more coverage, the
//!   incubating and sandbox rules loaded after it), the rule's compiled condition (as
//!   `quell rules NAME` prints it) is evaluated by the reference,
//!   `sysdig -r CAPTURE -p "*%evt.num" "(<condition>) and evt.dir=<"`, and by quell's engine on
//!   the capture's flat events; the two `evt.num` sets must be equal. An event the reference
//!   matches that quell does not produce at all (an event type quell does not decode) is a
//!   disagreement too.
//! - **The binary.** `quell replay -e CAPTURE -r falco_rules.yaml --rule-matching all --json`
//!   raises, per rule, as many alerts as the engine matched events above (enabled rules).
//!
//! Nothing is dropped silently. A (rule, capture) pair is listed as skipped, with its reason,
//! when the reference cannot compile the condition (its message is shown) or when the condition
//! reads a field quell's capture reading does not produce (`quell_scap::flat::FIELDS`). Events
//! where a condition reads an ancestor field without an index (`proc.aname`: any level) and the
//! process has ancestors deeper than the flat events carry are left out of that pair and
//! counted. A capture the reference cannot read is listed with the reason.
//!
//! The test fails on any disagreement, when `sysdig` is missing, and when no upstream stable
//! rule matched any event on both sides. It prints how many (rule, event) pairs matched on
//! both sides. Run with `--nocapture` to see the full report. `QUELL_DIFF_ONLY=TEXT` keeps only
//! the captures whose path contains TEXT (for debugging; on a capture where no stable rule
//! matches, such as `502Error`, the test then fails by design).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

use quell_events::FlatEvent;
use quell_rules::compile::CompiledRule;
use quell_rules::engine::Engine;
use quell_scap::flat::{FlatEvents, FIELDS, STATE_FIELDS};
use quell_scap::ScapReader;

#[path = "differential/reference.rs"]
mod reference;
use reference::{fields_read, require_sysdig, run_sysdig_jobs, EvtNums, FieldUse};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");
const RECORDED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/differential/scap");
const STABLE: &str = "falco_rules.yaml";
const MORE: &[&str] = &["falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"];

/// Captures the reference cannot read, and why.
const UNREADABLE: &[(&str, &str)] = &[(
    "curl_google_comments.scap",
    "sysdig 0.29.3 cannot read its pcapng section-header options (it reads 0 events)",
)];

/// State differences on the captures quell recorded that are stated: (field, event type or
/// `*`, reason); `TYPE (failed)` names only the events of that type that failed, `TYPE (//)`
/// those where sysdig's value starts with `//`, `TYPE` all of them. Any other difference fails
/// the test.
const STATE_EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("fd.num", "openat (failed)", FAILED_OPEN),
    ("fd.name", "openat (failed)", FAILED_OPEN),
    ("fd.typechar", "openat (failed)", FAILED_OPEN),
    ("fd.directory", "openat (failed)", FAILED_OPEN),
    ("fd.filename", "openat (failed)", FAILED_OPEN),
    ("fd.type", "openat (failed)", FAILED_OPEN),
    ("fd.name", "openat (//)", ROOT_DIRFD),
    ("fd.directory", "openat (//)", ROOT_DIRFD),
    ("fd.num", "pipe", PIPE),
    ("fd.type", "pipe", PIPE),
    ("fd.typechar", "pipe", PIPE),
    ("fd.num", "socketpair", PIPE),
    ("fd.type", "socketpair", PIPE),
    ("fd.typechar", "socketpair", PIPE),
    ("fd.sockfamily", "socketpair", PIPE),
    ("fd.name", "close", PIPE_END),
    ("fd.name", "dup", PIPE_END),
    ("fd.type", "close", PIPE_END),
    ("fd.sockfamily", "close", PIPE_END),
    ("fd.typechar", "close", UNKNOWN_FD),
    ("fd.directory", "close", UNKNOWN_FD),
    ("fd.typechar", "dup", UNKNOWN_FD),
    ("fd.directory", "dup", UNKNOWN_FD),
    ("fd.lport", "connect", LOOPBACK),
    ("fd.rport", "connect", LOOPBACK),
    ("fd.lport", "close", LOOPBACK),
    ("fd.rport", "close", LOOPBACK),
    ("fd.lport", "dup", LOOPBACK),
    ("fd.rport", "dup", LOOPBACK),
];
const FAILED_OPEN: &str = "a failed open: sysdig gives the fd that was not made the path's name, type and directory and fd.num -1; quell no fd fields and the error as fd.num (as for failed accepts in quell-scap/tests/flat.rs)";
const ROOT_DIRFD: &str = "an open relative to a directory fd of `/` (find and grep -r walking /): libsinsp 0.29 joins them with two slashes (`//etc`), quell resolves `/etc`";
const PIPE: &str = "pipe and socketpair: sysdig shows the first fd of the pair; quell no fd fields (as in quell-scap/tests/flat.rs)";
const PIPE_END: &str = "an end of a pipe or socketpair: sysdig shows no name (a unix type for socketpair ends), quell pipe:[ino] and no socketpair fds";
const UNKNOWN_FD: &str = "an fd the capture never described (made before the recording by a call quell does not track): sysdig shows type `o` and directory `/`, quell no fd fields";
const LOOPBACK: &str = "a TCP connect on loopback (both ends 127.0.0.1): sysdig 0.29 names the server end local, quell the client end (the connecting side's own)";

/// The deepest ancestor level the flat events carry (`proc.aname[16]`).
const ANCESTOR_LEVELS: u32 = quell_scap::flat::ANCESTORS as u32;

const SEP: char = '\u{1f}';
const RS: char = '\u{1e}';

// ---------------------------------------------------------------------------------------------
// Captures

/// The reference's exit events: evt.num -> field -> text (`<NA>` and empty left out).
type ReferenceEvents = BTreeMap<u64, HashMap<&'static str, String>>;

struct Capture {
    name: String,
    scap: PathBuf,
    /// Recorded by quell (state differences fail) or from the corpus (reported).
    recorded: bool,
    /// quell's flat events: (evt.num, event), in file order.
    events: Vec<(u64, FlatEvent)>,
    nums: EvtNums,
    /// The reference's exit events.
    reference: ReferenceEvents,
    /// Reference records that did not split into the expected number of fields.
    unparsed: usize,
}

/// The captures: the corpus's, then quell's recordings (`<label>/<scenario>.scap.gz`).
fn capture_files() -> Vec<(PathBuf, bool)> {
    fn scaps_in(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let n = p.to_string_lossy();
            if p.is_dir() && depth > 0 {
                scaps_in(&p, depth - 1, out);
            } else if n.ends_with(".scap") || n.ends_with(".scap.gz") {
                out.push(p);
            }
        }
    }
    let only = std::env::var("QUELL_DIFF_ONLY").unwrap_or_default();
    let mut out = Vec::new();
    for (dir, depth, recorded) in [
        (Path::new(SHARED).join("corpus/scap"), 0, false),
        (PathBuf::from(RECORDED), 1, true),
    ] {
        let mut names = Vec::new();
        scaps_in(&dir, depth, &mut names);
        names.sort();
        names.retain(|p| p.to_string_lossy().contains(&only));
        out.extend(names.into_iter().map(|p| (p, recorded)));
    }
    out
}

fn quell_events(scap: &Path) -> Vec<(u64, FlatEvent)> {
    let reader = ScapReader::open(scap)
        .unwrap_or_else(|e| panic!("quell cannot open {}: {e}", scap.display()));
    FlatEvents::new(reader)
        .map(|ev| {
            let ev = ev.unwrap_or_else(|e| panic!("quell cannot read {}: {e}", scap.display()));
            let num = match ev.get("evt.num") {
                Some(quell_rules::Value::Uint(n)) => *n,
                Some(quell_rules::Value::Int(n)) if *n >= 0 => *n as u64,
                other => panic!("{}: an event without evt.num ({other:?})", scap.display()),
            };
            (num, ev)
        })
        .collect()
}

/// The reference's exit events with the state fields, one `sysdig -p` run.
fn reference_state(scap: &Path) -> Result<(ReferenceEvents, usize), String> {
    // Each record ends in RS: values may hold newlines (a command line written over lines).
    let fmt: String = std::iter::once("*%evt.num".to_string())
        .chain(STATE_FIELDS.iter().map(|f| format!("%{f}")))
        .collect::<Vec<_>>()
        .join(&SEP.to_string())
        + &RS.to_string();
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(scap)
        .args(["-p", &fmt, "evt.dir=<"])
        .output()
        .map_err(|e| format!("cannot run sysdig: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "sysdig exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut events = BTreeMap::new();
    let mut unparsed = 0;
    for record in text.split(RS) {
        let record = record.strip_prefix('\n').unwrap_or(record);
        if record.is_empty() {
            continue;
        }
        let parts: Vec<&str> = record.split(SEP).collect();
        let num = parts.first().and_then(|n| n.trim().parse::<u64>().ok());
        let (Some(num), true) = (num, parts.len() == STATE_FIELDS.len() + 1) else {
            // A value held a separator: counted, never guessed.
            unparsed += 1;
            continue;
        };
        let fields = STATE_FIELDS
            .iter()
            .zip(&parts[1..])
            .filter(|(_, v)| !v.is_empty() && **v != "<NA>")
            .map(|(f, v)| (*f, (*v).to_string()))
            .collect();
        events.insert(num, fields);
    }
    Ok((events, unparsed))
}

fn load_captures() -> Vec<Capture> {
    let mut captures = Vec::new();
    for (scap, recorded) in capture_files() {
        let name = scap
            .strip_prefix(RECORDED)
            .unwrap_or(&scap)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let events = quell_events(&scap);
        let unreadable = UNREADABLE.iter().find(|(f, _)| *f == name);
        let (reference, unparsed) = match (reference_state(&scap), unreadable) {
            (Ok((r, n)), _) if !r.is_empty() => (r, n),
            (Ok(_), Some((_, why))) | (Err(_), Some((_, why))) => {
                println!("capture {name}: skipped ({why}); quell reads {} events", events.len());
                continue;
            }
            (Ok(_), None) => panic!("{name}: the reference reads no exit event and the capture is not listed as unreadable"),
            (Err(e), None) => panic!("{name}: the reference cannot read the capture: {e}"),
        };
        let nums: EvtNums = events.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            nums.len(),
            events.len(),
            "{name}: quell numbers two events alike"
        );
        captures.push(Capture {
            name,
            scap,
            recorded,
            events,
            nums,
            reference,
            unparsed,
        });
    }
    captures
}

// ---------------------------------------------------------------------------------------------
// State

/// Per (field, event type), (events that differ, first example).
type StateDiffs = BTreeMap<(&'static str, String), (usize, String)>;

/// Whether an exception's `TYPE (tag)...` covers a difference's: the same type, and every tag
/// of the exception is among the difference's (`openat (failed)` covers `openat (failed) (//)`).
fn tags_cover(diff: &str, exception: &str) -> bool {
    let d: Vec<&str> = diff.split(" (").collect();
    let e: Vec<&str> = exception.split(" (").collect();
    d[0] == e[0] && e[1..].iter().all(|tag| d[1..].contains(tag))
}

/// Compares every event both sides produce on every state field; also lists the exit events
/// of the reference quell does not produce, by type.
fn compare_state(c: &Capture) -> (usize, StateDiffs, BTreeMap<String, usize>) {
    let mut diffs = StateDiffs::new();
    let mut compared = 0;
    for (num, ev) in &c.events {
        let Some(theirs) = c.reference.get(num) else {
            continue;
        };
        compared += 1;
        for f in STATE_FIELDS {
            let ours = ev.get(f).map(ToString::to_string).filter(|s| !s.is_empty());
            let theirs = theirs.get(f).cloned();
            if ours != theirs {
                // The event type, tagged with what a stated exception may depend on.
                let mut t = ev
                    .get("evt.type")
                    .map(ToString::to_string)
                    .unwrap_or_default();
                if matches!(ev.get("evt.rawres"), Some(quell_rules::Value::Int(r)) if *r < 0) {
                    t.push_str(" (failed)");
                }
                if theirs.as_deref().is_some_and(|v| v.starts_with("//")) {
                    t.push_str(" (//)");
                }
                let e = diffs.entry((f, t)).or_insert((0, String::new()));
                if e.0 == 0 {
                    e.1 = format!(
                        "evt.num {num} {}: quell {ours:?} sysdig {theirs:?}",
                        ev.get("evt.type")
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    );
                }
                e.0 += 1;
            }
        }
    }
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for (num, fields) in &c.reference {
        if !c.nums.contains(num) {
            let t = fields.get("evt.type").cloned().unwrap_or_default();
            *missing.entry(t).or_default() += 1;
        }
    }
    (compared, diffs, missing)
}

// ---------------------------------------------------------------------------------------------
// Rules

struct Subject {
    name: String,
    stable: bool,
    engine: Rc<Engine>,
    index: usize,
}

impl Subject {
    fn rule(&self) -> &CompiledRule {
        &self.engine.rules()[self.index]
    }
}

fn load_engine(files: &[&str]) -> Engine {
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
    engine
}

/// The stable rules, then the incubating and sandbox rules loaded after them (as Falco loads
/// several files), each rule once.
fn subjects() -> Vec<Subject> {
    let stable = Rc::new(load_engine(&[STABLE]));
    let mut out: Vec<Subject> = (0..stable.rules().len())
        .map(|i| Subject {
            name: stable.rules()[i].name.clone(),
            stable: true,
            engine: Rc::clone(&stable),
            index: i,
        })
        .collect();
    let names: BTreeSet<String> = out.iter().map(|s| s.name.clone()).collect();
    let files: Vec<&str> = std::iter::once(STABLE)
        .chain(MORE.iter().copied())
        .collect();
    let more = Rc::new(load_engine(&files));
    for (i, r) in more.rules().iter().enumerate() {
        if !names.contains(&r.name) {
            out.push(Subject {
                name: r.name.clone(),
                stable: false,
                engine: Rc::clone(&more),
                index: i,
            });
        }
    }
    out
}

/// Whether a field use is an ancestor field read at every level (`proc.aname` without index).
fn all_levels(f: &FieldUse) -> bool {
    f.arg.is_none() && FIELDS.contains(&format!("{}[1]", f.name).as_str())
}

fn deep_probe(name: &str) -> String {
    format!("{name}[{}] exists", ANCESTOR_LEVELS + 1)
}

/// Why quell cannot be compared on this rule at all, if it cannot.
fn unproduced_field(rule: &CompiledRule) -> Option<String> {
    for f in fields_read(&rule.expr) {
        if f.name == "evt.dir" || all_levels(&f) {
            continue;
        }
        let key = f.key();
        if !FIELDS.contains(&key.as_str()) {
            return Some(format!(
                "reads {key}, which quell's capture reading does not produce"
            ));
        }
    }
    None
}

enum Outcome {
    Agree { matched: EvtNums, left_out: usize },
    Skipped(String),
    Disagree(String),
}

type Results = HashMap<(usize, String), Result<EvtNums, String>>;

fn compare(s: &Subject, cap: usize, c: &Capture, results: &Results) -> Outcome {
    let rule = s.rule();
    let theirs = match results.get(&(cap, rule.condition_compiled.clone())) {
        Some(Ok(set)) => set,
        Some(Err(e)) => return Outcome::Skipped(format!("reference rejects: {e}")),
        None => return Outcome::Skipped("no reference run (test bug)".into()),
    };
    if let Some(why) = unproduced_field(rule) {
        return Outcome::Skipped(why);
    }
    let mut left_out = EvtNums::new();
    for f in fields_read(&rule.expr).iter().filter(|f| all_levels(f)) {
        match results.get(&(cap, deep_probe(&f.name))) {
            Some(Ok(set)) => left_out.extend(set),
            Some(Err(e)) => {
                return Outcome::Skipped(format!(
                    "cannot probe ancestors deeper than the flat events: {e}"
                ))
            }
            None => return Outcome::Skipped("no ancestor probe (test bug)".into()),
        }
    }
    let ours: EvtNums = c
        .events
        .iter()
        .filter(|(n, _)| !left_out.contains(n))
        .filter(|(_, ev)| s.engine.matches(rule, ev))
        .map(|(n, _)| *n)
        .collect();
    let theirs: EvtNums = theirs.difference(&left_out).copied().collect();
    if ours == theirs {
        return Outcome::Agree {
            matched: ours,
            left_out: left_out.len(),
        };
    }
    let describe = |set: Vec<u64>| -> String {
        let n = set.len();
        let shown: Vec<String> = set
            .into_iter()
            .take(6)
            .map(|num| {
                let t = c
                    .reference
                    .get(&num)
                    .and_then(|f| f.get("evt.type").cloned())
                    .unwrap_or_else(|| "?".into());
                let produced = if c.nums.contains(&num) {
                    ""
                } else {
                    ", not produced by quell"
                };
                format!("{num} ({t}{produced})")
            })
            .collect();
        format!("{n}: {}", shown.join(", "))
    };
    Outcome::Disagree(format!(
        "reference {} vs quell {}; only reference {}; only quell {}",
        theirs.len(),
        ours.len(),
        describe(theirs.difference(&ours).copied().collect()),
        describe(ours.difference(&theirs).copied().collect()),
    ))
}

/// Alerts per rule from `quell replay -e CAPTURE -r falco_rules.yaml --rule-matching all --json`.
fn replay_counts(scap: &Path) -> BTreeMap<String, usize> {
    let rules = Path::new(SHARED).join("corpus/falco-rules").join(STABLE);
    let out = Command::new(env!("CARGO_BIN_EXE_quell"))
        .arg("replay")
        .arg("-e")
        .arg(scap)
        .arg("-r")
        .arg(&rules)
        .args(["--rule-matching", "all", "--json"])
        .output()
        .expect("run quell");
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "quell replay -e {} failed ({}): {}",
        scap.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("quell replay -e {}: not JSON: {e}: {line}", scap.display())
        });
        let rule = v
            .get("rule")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_else(|| panic!("an alert without a rule: {line}"));
        *counts.entry(rule.to_string()).or_default() += 1;
    }
    counts
}

#[test]
fn captures_differential_against_sysdig() {
    println!("reference: {}", require_sysdig());
    let captures = load_captures();
    assert!(!captures.is_empty(), "no capture the reference reads");
    let recorded = captures.iter().filter(|c| c.recorded).count();
    println!(
        "{} captures ({} from the corpus, {recorded} recorded by quell)",
        captures.len(),
        captures.len() - recorded
    );
    let mut failures: Vec<String> = Vec::new();

    // State, event by event.
    println!(
        "\n== state: quell's flat events vs the reference's, on {} fields",
        STATE_FIELDS.len()
    );
    for c in &captures {
        let (compared, diffs, missing) = compare_state(c);
        println!(
            "{}: {} exit events in the reference, {} flat events from quell, {compared} compared, {} reference lines unparsed",
            c.name,
            c.reference.len(),
            c.events.len(),
            c.unparsed
        );
        if !missing.is_empty() {
            println!("  reference exit events quell does not produce, by type: {missing:?}");
        }
        let only_quell = c
            .nums
            .iter()
            .filter(|n| !c.reference.contains_key(n))
            .count();
        if only_quell > 0 {
            failures.push(format!(
                "{}: quell produces {only_quell} events the reference does not show as exits",
                c.name
            ));
        }
        for ((f, t), (n, ex)) in &diffs {
            let stated = STATE_EXCEPTIONS
                .iter()
                .find(|(x, y, _)| x == f && (*y == "*" || tags_cover(t, y)));
            let tag = match (c.recorded, stated) {
                (false, _) => "reported (asserted by quell-scap/tests/flat.rs)".to_string(),
                (true, Some((_, _, why))) => format!("stated: {why}"),
                (true, None) => {
                    failures.push(format!(
                        "{}: state field {f} differs on {n} events, e.g. {ex}",
                        c.name
                    ));
                    "DIFF".to_string()
                }
            };
            println!("  {f} on {t}: {n} events differ ({tag}), e.g. {ex}");
        }
        if compared == 0 && !c.events.is_empty() {
            failures.push(format!("{}: no event compared", c.name));
        }
    }

    // Rules.
    let subjects = subjects();
    let mut jobs = BTreeSet::new();
    for cap in 0..captures.len() {
        for s in &subjects {
            jobs.insert((cap, s.rule().condition_compiled.clone()));
            for f in fields_read(&s.rule().expr).iter().filter(|f| all_levels(f)) {
                jobs.insert((cap, deep_probe(&f.name)));
            }
        }
    }
    let started = std::time::Instant::now();
    let n_jobs = jobs.len();
    let scaps: Vec<PathBuf> = captures.iter().map(|c| c.scap.clone()).collect();
    let results = run_sysdig_jobs(jobs, &scaps);
    println!(
        "\n{n_jobs} reference runs in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let mut reasons: Vec<String> = Vec::new();
    let mut matched_pairs = [0usize; 2]; // [stable, more]
    let mut compared_pairs = [0usize; 2];
    let mut skipped_pairs = [0usize; 2];
    let mut engine_counts: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); captures.len()];
    for (title, stable) in [
        ("upstream stable rules", true),
        ("incubating and sandbox rules, loaded after stable", false),
    ] {
        println!(
            "\n== {title} (condition_compiled): per rule, the captures where both sides matched"
        );
        for s in subjects.iter().filter(|s| s.stable == stable) {
            let k = usize::from(!stable);
            let mut cells = Vec::new();
            let mut skips: BTreeMap<usize, usize> = BTreeMap::new();
            let mut agree = 0;
            for (cap, c) in captures.iter().enumerate() {
                if stable && s.rule().enabled {
                    let all = c
                        .events
                        .iter()
                        .filter(|(_, ev)| s.engine.matches(s.rule(), ev))
                        .count();
                    engine_counts[cap].insert(s.name.clone(), all);
                }
                match compare(s, cap, c, &results) {
                    Outcome::Agree { matched, left_out } => {
                        agree += 1;
                        compared_pairs[k] += 1;
                        matched_pairs[k] += matched.len();
                        if !matched.is_empty() || left_out > 0 {
                            cells.push(format!("{}={}{}", c.name, matched.len(), if left_out > 0 { format!(" (+{left_out} left out: ancestors deeper than {ANCESTOR_LEVELS})") } else { String::new() }));
                        }
                    }
                    Outcome::Skipped(why) => {
                        skipped_pairs[k] += 1;
                        let i = match reasons.iter().position(|r| *r == why) {
                            Some(i) => i,
                            None => {
                                reasons.push(why);
                                reasons.len() - 1
                            }
                        };
                        *skips.entry(i + 1).or_default() += 1;
                    }
                    Outcome::Disagree(d) => {
                        cells.push(format!("{}=DIFF", c.name));
                        failures.push(format!("{} on {}: {d}", s.name, c.name));
                    }
                }
            }
            let skips: Vec<String> = skips
                .iter()
                .map(|(i, n)| format!("{n} skipped [{i}]"))
                .collect();
            println!(
                "  {}: {agree} agree{}{}{}",
                s.name,
                if skips.is_empty() {
                    String::new()
                } else {
                    format!(", {}", skips.join(", "))
                },
                if cells.is_empty() {
                    String::new()
                } else {
                    "; ".into()
                },
                cells.join(", ")
            );
        }
    }
    for (i, r) in reasons.iter().enumerate() {
        println!("  [{}] {r}", i + 1);
    }
    println!(
        "\n(rule, event) pairs matched on both sides: {} for the stable rules ({} rule x capture pairs compared, {} skipped), {} for the incubating and sandbox rules ({} compared, {} skipped)",
        matched_pairs[0], compared_pairs[0], skipped_pairs[0], matched_pairs[1], compared_pairs[1], skipped_pairs[1]
    );

    // The binary's alerts equal the engine's matches (stable rules, every enabled rule compared).
    for (cap, c) in captures.iter().enumerate() {
        let cli = replay_counts(&c.scap);
        let lib: BTreeMap<String, usize> = engine_counts[cap]
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        let cli_compared: BTreeMap<String, usize> = cli
            .iter()
            .filter(|(k, _)| engine_counts[cap].contains_key(*k))
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        if cli_compared != lib {
            failures.push(format!(
                "{}: `quell replay -e` alerts per rule {cli_compared:?}, the engine's matches {lib:?}",
                c.name
            ));
        }
    }

    if matched_pairs[0] == 0 {
        failures.push(
            "no upstream stable rule matched any event on both sides: the test proved nothing about matches".into(),
        );
    }
    assert!(
        failures.is_empty(),
        "{} differential failures:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn exception_tags_cover_only_their_own_events() {
    assert!(tags_cover("openat (failed) (//)", "openat (failed)"));
    assert!(tags_cover("openat (failed) (//)", "openat"));
    assert!(tags_cover("openat (//)", "openat (//)"));
    assert!(!tags_cover("openat", "openat (failed)"));
    assert!(!tags_cover("openat (//)", "openat (failed)"));
    assert!(!tags_cover("open (failed)", "openat (failed)"));
}
