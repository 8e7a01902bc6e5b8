//! The conformance fixture corpus: every `tests/fixtures/<category>/<case>.yaml`
//! is one case, run by [`fixture_corpus`]. Adding a case costs one file.
//!
//! A case is a YAML map (unknown keys are an error, to catch typos):
//! ```yaml
//! desc: what the case shows and where the expectation comes from
//! rules: |                 # one rules file, loaded as "rules.yaml"
//!   - rule: R
//!     ...
//! files:                   # or: several files loaded in order into one Engine
//!   - name: a.yaml
//!     rules: |
//!       ...
//!     errors: [...]        # that file's diagnostics (same form as below)
//!     warnings: [...]
//! errors:                  # exact multiset of errors of `rules`; absent = none
//!   - "LOAD_ERR_VALIDATE: message @line:column"   # " @l:c" optional; `*` = any text
//! warnings: [...]          # same; absent = none; `any` = not checked
//! events:                  # each event evaluated with rule_matching all and first
//!   - event: {evt.type: openat, fd.name: /etc/shadow}   # or a JSON line string
//!     fires: [R1, R2]      # all: matching enabled rules in evaluation order
//!     first: R1            # first: optional, defaults to fires[0] (or none)
//! compiled: {R: "(exact condition_compiled)"}
//! order: [R1, R2]          # Engine::rules() names, in evaluation order
//! props: {R: {priority: Warning, enabled: false, tags: [a], output: .., desc: .., source: ..,
//!             evttypes: [open, openat] | all, exception_fields: [proc.name]}}
//! schema_valid: false     # Falco's `schema_valid` of the (last) file; null = not checked by Falco
//! collected: {R: {capture: true, capture_duration: 5, warn_evttypes: false,
//!                 skip_if_unknown_filter: true, condition: .., exceptions: [names]}}
//! ```
//! `QUELL_FIXTURE=<substring>` runs only the cases whose path contains it. Every failing
//! case is reported, each with expected/actual listings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use quell_events::FlatEvent;
use quell_rules::compile::{CompiledRule, EvtTypes};
use quell_rules::diagnostic::{Diagnostic, LoadResult};
use quell_rules::engine::{Engine, RuleMatching};
use quell_rules::load::Collector;
use serde_json::Value as Json;
use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const CATEGORIES: [&str; 5] = ["conditions", "exceptions", "loader", "override", "quirks"];

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().and_then(|x| x.to_str()) == Some("yaml") {
            out.push(p);
        }
    }
}

fn corpus() -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect(Path::new(ROOT), &mut files);
    files.sort();
    files
}

#[test]
fn fixture_corpus() {
    let files = corpus();
    assert!(
        !files.is_empty(),
        "the fixture corpus under {ROOT} is empty"
    );
    let filter = std::env::var("QUELL_FIXTURE")
        .ok()
        .filter(|f| !f.is_empty());
    let selected: Vec<&PathBuf> = files
        .iter()
        .filter(|p| {
            filter
                .as_deref()
                .map(|f| p.to_string_lossy().contains(f))
                .unwrap_or(true)
        })
        .collect();
    assert!(
        !selected.is_empty(),
        "QUELL_FIXTURE={filter:?} matches none of {} cases",
        files.len()
    );
    let mut failed = Vec::new();
    for p in &selected {
        let rel = p.strip_prefix(ROOT).unwrap_or(p).display().to_string();
        let problems = match std::fs::read_to_string(p) {
            Ok(text) => {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(&text))) {
                    Ok(v) => v,
                    Err(e) => vec![format!("PANIC: {}", panic_text(&e))],
                }
            }
            Err(e) => vec![format!("cannot read: {e}")],
        };
        if !problems.is_empty() {
            failed.push(format!("=== {rel}\n{}", problems.join("\n")));
        }
    }
    eprintln!(
        "fixtures: {} cases run, {} failed",
        selected.len(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} fixture cases failed:\n\n{}\n\n{} of {} fixture cases failed",
        failed.len(),
        selected.len(),
        failed.join("\n\n"),
        failed.len(),
        selected.len()
    );
}

#[test]
fn every_category_has_cases() {
    let files = corpus();
    for c in CATEGORIES {
        let dir = Path::new(ROOT).join(c);
        assert!(
            files.iter().any(|f| f.starts_with(&dir)),
            "category {c}/ has no cases"
        );
    }
}

#[test]
fn runner_detects_a_wrong_expectation() {
    // The runner itself must be able to fail: a case with a wrong expectation reports problems.
    let wrong = "rules: |\n  - rule: R\n    desc: d\n    condition: evt.type = open\n    output: o\n    priority: WARNING\nevents:\n  - event: {evt.type: open}\n    fires: []\ncompiled: {R: \"(evt.type = open)\"}\nwarnings:\n  - \"LOAD_UNUSED_MACRO: x\"\n";
    let problems = run_case(wrong);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    let bad_key = run_case("rules: ''\nevnets: []\n");
    assert!(
        bad_key.iter().any(|p| p.contains("unknown key 'evnets'")),
        "{bad_key:?}"
    );
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<non-string panic>".into())
}

// ---------------------------------------------------------------------------------------------
// Case reading

struct FileSpec {
    name: String,
    text: String,
    errors: Option<Vec<String>>,
    warnings: Option<Vec<String>>,
}

fn key<'a>(h: &'a Yaml, k: &str) -> Option<&'a Yaml> {
    let v = &h[k];
    (!v.is_badvalue()).then_some(v)
}

fn as_text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text_list(y: &Yaml, what: &str) -> Result<Vec<String>, String> {
    match y {
        Yaml::Array(a) => a
            .iter()
            .map(|x| as_text(x).ok_or_else(|| format!("{what}: expected scalars, found {x:?}")))
            .collect(),
        Yaml::Null => Ok(vec![]),
        other => as_text(other)
            .map(|s| vec![s])
            .ok_or_else(|| format!("{what}: expected a list, found {other:?}")),
    }
}

/// `None` = not checked (`any`); absent = expect none.
fn diag_list(y: Option<&Yaml>, what: &str) -> Result<Option<Vec<String>>, String> {
    match y {
        None => Ok(Some(vec![])),
        Some(Yaml::String(s)) if s == "any" => Ok(None),
        Some(y) => text_list(y, what).map(Some),
    }
}

fn yaml_to_json(y: &Yaml) -> Result<Json, String> {
    Ok(match y {
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Integer(i) => Json::from(*i),
        Yaml::Real(r) => r
            .parse::<f64>()
            .map(Json::from)
            .map_err(|e| format!("bad number {r}: {e}"))?,
        Yaml::Boolean(b) => Json::Bool(*b),
        Yaml::Null => Json::Null,
        Yaml::Array(a) => Json::Array(a.iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => {
            let mut m = serde_json::Map::new();
            for (k, v) in h {
                let k = as_text(k).ok_or_else(|| format!("event key {k:?} is not a scalar"))?;
                m.insert(k, yaml_to_json(v)?);
            }
            Json::Object(m)
        }
        other => return Err(format!("unsupported YAML value in event: {other:?}")),
    })
}

// ---------------------------------------------------------------------------------------------
// Running a case

/// Runs one case; returns its problems (empty = pass).
fn run_case(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = run_case_inner(text, &mut problems) {
        problems.push(format!("bad case file: {e}"));
    }
    problems
}

const CASE_KEYS: [&str; 11] = [
    "desc",
    "schema_valid",
    "rules",
    "files",
    "errors",
    "warnings",
    "events",
    "compiled",
    "order",
    "props",
    "collected",
];

fn run_case_inner(text: &str, problems: &mut Vec<String>) -> Result<(), String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("case is not YAML: {e}"))?;
    let case = docs.first().ok_or("empty case file")?;
    let Yaml::Hash(h) = case else {
        return Err("a case must be a YAML map".into());
    };
    for k in h.keys() {
        let k = as_text(k).unwrap_or_default();
        if !CASE_KEYS.contains(&k.as_str()) {
            return Err(format!(
                "unknown key '{k}' (allowed: {})",
                CASE_KEYS.join(", ")
            ));
        }
    }
    let mut files = Vec::new();
    match (key(case, "rules"), key(case, "files")) {
        (Some(r), None) => files.push(FileSpec {
            name: "rules.yaml".into(),
            text: as_text(r).ok_or("'rules' must be a string")?,
            errors: diag_list(key(case, "errors"), "errors")?,
            warnings: diag_list(key(case, "warnings"), "warnings")?,
        }),
        (None, Some(Yaml::Array(list))) => {
            if key(case, "errors").is_some() || key(case, "warnings").is_some() {
                return Err("with 'files', put errors/warnings under each file".into());
            }
            for f in list {
                files.push(FileSpec {
                    name: key(f, "name")
                        .and_then(as_text)
                        .ok_or("each file needs a 'name'")?,
                    text: key(f, "rules")
                        .and_then(as_text)
                        .ok_or("each file needs 'rules' text")?,
                    errors: diag_list(key(f, "errors"), "errors")?,
                    warnings: diag_list(key(f, "warnings"), "warnings")?,
                });
            }
        }
        _ => return Err("give exactly one of 'rules' (a string) or 'files' (a list)".into()),
    }

    let mut engine = Engine::new();
    let mut collector = Collector::default();
    for f in &files {
        let res = engine.load(&f.name, &f.text);
        let mut sink = Vec::new();
        collector.read(&f.name, &f.text, &mut sink);
        check_result(f, &res, problems);
    }
    if let Some(want) = key(case, "schema_valid") {
        let want = match want {
            Yaml::Boolean(b) => Some(*b),
            Yaml::Null => None,
            _ => return Err("'schema_valid' must be true, false or null".into()),
        };
        // The last file's status, as Falco reports it per file.
        let got = files
            .last()
            .map(|f| Engine::new().load(&f.name, &f.text).schema_valid())
            .unwrap_or(None);
        if got != want {
            problems.push(format!(
                "schema_valid:\n  expected: {want:?}\n  actual:   {got:?}"
            ));
        }
    }

    if let Some(ev) = key(case, "events") {
        let Yaml::Array(evs) = ev else {
            return Err("'events' must be a list".into());
        };
        for (i, e) in evs.iter().enumerate() {
            check_event(&engine, i, e, problems)?;
        }
    }
    if let Some(Yaml::Hash(c)) = key(case, "compiled") {
        for (name, want) in c {
            let name = as_text(name).unwrap_or_default();
            let want = as_text(want).ok_or("compiled values must be strings")?;
            match engine.rule(&name) {
                None => problems.push(format!(
                    "compiled: rule '{name}' was not compiled; rules: {:?}",
                    names(&engine)
                )),
                Some(r) if r.condition_compiled != want => problems.push(format!(
                    "compiled '{name}':\n  expected: {want}\n  actual:   {}\n  {}",
                    r.condition_compiled,
                    first_diff(&want, &r.condition_compiled)
                )),
                Some(_) => {}
            }
        }
    }
    if let Some(o) = key(case, "order") {
        let want = text_list(o, "order")?;
        let got = names(&engine);
        if want != got {
            problems.push(format!("order:\n  expected: {want:?}\n  actual:   {got:?}"));
        }
    }
    if let Some(Yaml::Hash(p)) = key(case, "props") {
        for (name, props) in p {
            let name = as_text(name).unwrap_or_default();
            match engine.rule(&name) {
                None => problems.push(format!(
                    "props: rule '{name}' was not compiled; rules: {:?}",
                    names(&engine)
                )),
                Some(r) => check_props(r, props, problems)?,
            }
        }
    }
    if let Some(Yaml::Hash(p)) = key(case, "collected") {
        for (name, props) in p {
            let name = as_text(name).unwrap_or_default();
            match collector.rule(&name) {
                None => problems.push(format!("collected: no rule '{name}' in the collector")),
                Some(r) => check_collected(&name, r, props, problems)?,
            }
        }
    }
    Ok(())
}

fn names(e: &Engine) -> Vec<String> {
    e.rules().iter().map(|r| r.name.clone()).collect()
}

fn first_diff(a: &str, b: &str) -> String {
    let i = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    format!(
        "first difference at char {i}: expected {:?} vs actual {:?}",
        a.chars().skip(i).take(20).collect::<String>(),
        b.chars().skip(i).take(20).collect::<String>()
    )
}

fn render(d: &Diagnostic, with_pos: bool) -> String {
    let mut s = format!("{}: {}", d.code.name(), d.message);
    if with_pos {
        match d.position() {
            Some(p) => s += &format!(" @{}:{}", p.line, p.column),
            None => s += " @?",
        }
    }
    s
}

/// Splits "CODE: message @L:C" into (text without position, has position).
fn has_pos(expected: &str) -> bool {
    expected
        .rsplit_once(" @")
        .map(|(_, p)| {
            p.split_once(':')
                .map(|(l, c)| l.parse::<u32>().is_ok() && c.parse::<u32>().is_ok())
                .unwrap_or(false)
        })
        .unwrap_or(false)
}

fn compare_diags(
    what: &str,
    file: &str,
    want: &[String],
    got: &[Diagnostic],
    problems: &mut Vec<String>,
) {
    let mut used = vec![false; got.len()];
    let mut missing = Vec::new();
    for w in want {
        let wp = has_pos(w);
        let same = |d: &Diagnostic| {
            if !wp && w.contains('*') {
                glob_parts(w, &render(d, false))
            } else {
                render(d, wp) == *w
            }
        };
        match (0..got.len()).find(|&i| !used[i] && same(&got[i])) {
            Some(i) => used[i] = true,
            None => missing.push(w.clone()),
        }
    }
    let extra: Vec<String> = got
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(d, _)| render(d, true))
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut s = format!("{what} of {file} differ:\n  expected:");
        for w in want {
            s += &format!("\n    {w}");
        }
        s += "\n  actual:";
        for d in got {
            s += &format!("\n    {}", render(d, true));
        }
        for m in &missing {
            s += &format!("\n  - missing:    {m}");
        }
        for x in &extra {
            s += &format!("\n  + unexpected: {x}");
        }
        problems.push(s);
    }
}

/// `*` stands for any text: the parts between stars must appear in order, anchored at both ends.
fn glob_parts(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

fn check_result(f: &FileSpec, res: &LoadResult, problems: &mut Vec<String>) {
    if let Some(want) = &f.errors {
        compare_diags("errors", &f.name, want, &res.errors, problems);
        if res.successful != want.is_empty() {
            problems.push(format!(
                "{}: successful = {}, expected {}",
                f.name,
                res.successful,
                want.is_empty()
            ));
        }
    }
    if let Some(want) = &f.warnings {
        compare_diags("warnings", &f.name, want, &res.warnings, problems);
    }
}

fn check_event(
    engine: &Engine,
    i: usize,
    e: &Yaml,
    problems: &mut Vec<String>,
) -> Result<(), String> {
    let ev_y = key(e, "event").ok_or(format!("event #{i}: needs an 'event'"))?;
    let line = match ev_y {
        Yaml::String(s) => s.clone(),
        other => yaml_to_json(other)?.to_string(),
    };
    let ev = FlatEvent::from_json_line(&line)
        .map_err(|err| format!("event #{i} ({line}) is not an event: {err}"))?;
    let fires = key(e, "fires").map(|f| text_list(f, "fires")).transpose()?;
    let first: Option<Option<String>> = match key(e, "first") {
        Some(Yaml::Null) => Some(None),
        Some(y) => Some(Some(as_text(y).ok_or("'first' must be a rule name or ~")?)),
        None => fires.as_ref().map(|f| f.first().cloned()),
    };
    if fires.is_none() && first.is_none() {
        return Err(format!("event #{i}: give 'fires' and/or 'first'"));
    }
    if let Some(want) = fires {
        let got: Vec<String> = engine
            .evaluate(&ev, RuleMatching::All)
            .iter()
            .map(|r| r.name.clone())
            .collect();
        if got != want {
            problems.push(format!("event #{i} {line}\n  rule_matching all:\n    expected: {want:?}\n    actual:   {got:?}"));
        }
    }
    if let Some(want) = first {
        let got: Option<String> = engine
            .evaluate(&ev, RuleMatching::First)
            .first()
            .map(|r| r.name.clone());
        if got != want {
            problems.push(format!("event #{i} {line}\n  rule_matching first:\n    expected: {want:?}\n    actual:   {got:?}"));
        }
    }
    Ok(())
}

fn evttypes_text(e: &EvtTypes) -> Vec<String> {
    match e {
        EvtTypes::Only(s) => s.iter().cloned().collect(),
        EvtTypes::AllBut(s) if s.is_empty() => vec!["all".into()],
        EvtTypes::AllBut(s) => std::iter::once("all except".to_string())
            .chain(s.iter().cloned())
            .collect(),
    }
}

fn mismatch(
    problems: &mut Vec<String>,
    name: &str,
    prop: &str,
    want: impl std::fmt::Debug,
    got: impl std::fmt::Debug,
) {
    problems.push(format!(
        "rule '{name}' {prop}:\n  expected: {want:?}\n  actual:   {got:?}"
    ));
}

fn check_props(r: &CompiledRule, props: &Yaml, problems: &mut Vec<String>) -> Result<(), String> {
    let Yaml::Hash(h) = props else {
        return Err("props entries must be maps".into());
    };
    for (k, v) in h {
        let k = as_text(k).unwrap_or_default();
        let s = as_text(v);
        match k.as_str() {
            "priority" => {
                if s.as_deref() != Some(r.priority.as_str()) {
                    mismatch(problems, &r.name, "priority", s, r.priority.as_str());
                }
            }
            "enabled" => {
                if v.as_bool() != Some(r.enabled) {
                    mismatch(problems, &r.name, "enabled", v, r.enabled);
                }
            }
            "output" if s.as_deref() != Some(r.output.as_str()) => {
                mismatch(problems, &r.name, "output", s, &r.output)
            }
            "desc" if s.as_deref() != Some(r.desc.as_str()) => {
                mismatch(problems, &r.name, "desc", s, &r.desc)
            }
            "source" if s.as_deref() != Some(r.source.as_str()) => {
                mismatch(problems, &r.name, "source", s, &r.source)
            }
            "output" | "desc" | "source" => {}
            "tags" => {
                let want = text_list(v, "tags")?;
                if want != r.tags {
                    mismatch(problems, &r.name, "tags", want, &r.tags);
                }
            }
            "evttypes" => {
                let want = text_list(v, "evttypes")?;
                let got = evttypes_text(&r.evttypes);
                if want != got {
                    mismatch(problems, &r.name, "evttypes", want, got);
                }
            }
            "exception_fields" => {
                let want: BTreeSet<String> =
                    text_list(v, "exception_fields")?.into_iter().collect();
                if want != r.exception_fields {
                    mismatch(
                        problems,
                        &r.name,
                        "exception_fields",
                        want,
                        &r.exception_fields,
                    );
                }
            }
            other => return Err(format!("unknown prop '{other}'")),
        }
    }
    Ok(())
}

fn check_collected(
    name: &str,
    r: &quell_rules::load::RuleInfo,
    props: &Yaml,
    problems: &mut Vec<String>,
) -> Result<(), String> {
    let Yaml::Hash(h) = props else {
        return Err("collected entries must be maps".into());
    };
    for (k, v) in h {
        let k = as_text(k).unwrap_or_default();
        match k.as_str() {
            "capture" if v.as_bool() != Some(r.capture) => {
                mismatch(problems, name, "capture", v, r.capture)
            }
            "warn_evttypes" if v.as_bool() != Some(r.warn_evttypes) => {
                mismatch(problems, name, "warn_evttypes", v, r.warn_evttypes)
            }
            "skip_if_unknown_filter" if v.as_bool() != Some(r.skip_if_unknown_filter) => mismatch(
                problems,
                name,
                "skip_if_unknown_filter",
                v,
                r.skip_if_unknown_filter,
            ),
            "enabled" if v.as_bool() != Some(r.enabled) => {
                mismatch(problems, name, "enabled", v, r.enabled)
            }
            "capture_duration" if v.as_i64() != Some(i64::from(r.capture_duration)) => {
                mismatch(problems, name, "capture_duration", v, r.capture_duration)
            }
            "condition" if as_text(v).as_deref() != Some(r.cond.as_str()) => {
                mismatch(problems, name, "condition", as_text(v), &r.cond)
            }
            "priority" if as_text(v).as_deref() != Some(r.priority.as_str()) => {
                mismatch(problems, name, "priority", as_text(v), r.priority.as_str())
            }
            "exceptions" => {
                let want = text_list(v, "exceptions")?;
                let got: Vec<String> = r.exceptions.iter().map(|e| e.name.clone()).collect();
                if want != got {
                    mismatch(problems, name, "exceptions", want, got);
                }
            }
            "capture"
            | "warn_evttypes"
            | "skip_if_unknown_filter"
            | "enabled"
            | "capture_duration"
            | "condition"
            | "priority" => {}
            other => return Err(format!("unknown collected prop '{other}'")),
        }
    }
    Ok(())
}
