//! The bundled default ruleset (`rules/default_rules.yaml`): it loads with no errors
//! and no warnings, its rules are well-formed, and every rule has fixture events
//! that fire it and near-miss events that do not (`tests/default_rules/cases.json`).
//!
//! Fixture format (see the `about` block of cases.json): one entry per rule with a
//! base `event` (flat JSON: keys are Falco field names), and `fires` / `near_miss`
//! variants; each variant's `patch` sets keys on a copy of the base event, a `null`
//! value removes the key.

use std::collections::BTreeSet;

use quell_events::FlatEvent;
use quell_rules::engine::{Engine, RuleMatching};
use serde_json::{Map, Value as Json};

const RULES: &str = include_str!("../rules/default_rules.yaml");
const CASES: &str = include_str!("default_rules/cases.json");

/// Fields every rule output must print, besides the rule's own target.
const CONTEXT_FIELDS: [&str; 5] = [
    "%container.id",
    "%container.image.repository",
    "%proc.pname",
    "%proc.cmdline",
    "%user.name",
];

fn engine() -> Engine {
    let mut engine = Engine::new();
    let res = engine.load("default_rules.yaml", RULES);
    assert!(
        res.successful && res.errors.is_empty() && res.warnings.is_empty(),
        "default_rules.yaml must load cleanly; errors: {:#?}\nwarnings: {:#?}",
        res.errors,
        res.warnings
    );
    engine
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fires,
    NearMiss,
}

/// One fixture event, ready to evaluate.
struct Variant {
    rule: String,
    kind: Kind,
    why: String,
    /// Whether the variant changes the base event.
    patched: bool,
    line: String,
}

impl Variant {
    fn label(&self) -> String {
        let kind = match self.kind {
            Kind::Fires => "fires",
            Kind::NearMiss => "near_miss",
        };
        format!("[{}] {kind}: {}", self.rule, self.why)
    }

    fn event(&self) -> FlatEvent {
        match FlatEvent::from_json_line(&self.line) {
            Ok(ev) => ev,
            Err(e) => panic!(
                "{}: fixture event does not parse: {e:?}\n{}",
                self.label(),
                self.line
            ),
        }
    }
}

fn obj<'a>(v: &'a Json, what: &str) -> &'a Map<String, Json> {
    v.as_object()
        .unwrap_or_else(|| panic!("cases.json: {what} must be an object"))
}

fn arr<'a>(v: Option<&'a Json>, what: &str) -> &'a Vec<Json> {
    v.and_then(Json::as_array)
        .unwrap_or_else(|| panic!("cases.json: {what} must be an array"))
}

fn text<'a>(v: Option<&'a Json>, what: &str) -> &'a str {
    v.and_then(Json::as_str)
        .unwrap_or_else(|| panic!("cases.json: {what} must be a string"))
}

/// Reads cases.json: (rule names in file order, every variant).
fn cases() -> (Vec<String>, Vec<Variant>) {
    let doc: Json = serde_json::from_str(CASES).expect("cases.json is valid JSON");
    let mut rules = Vec::new();
    let mut out = Vec::new();
    for (i, case) in arr(obj(&doc, "the document").get("cases"), "cases")
        .iter()
        .enumerate()
    {
        let case = obj(case, &format!("cases[{i}]"));
        let rule = text(case.get("rule"), &format!("cases[{i}].rule")).to_string();
        let base = obj(
            case.get("event").unwrap_or(&Json::Null),
            &format!("[{rule}].event"),
        );
        for (key, kind) in [("fires", Kind::Fires), ("near_miss", Kind::NearMiss)] {
            for (j, variant) in arr(case.get(key), &format!("[{rule}].{key}"))
                .iter()
                .enumerate()
            {
                let variant = obj(variant, &format!("[{rule}].{key}[{j}]"));
                let why = text(variant.get("why"), &format!("[{rule}].{key}[{j}].why")).to_string();
                let mut event = base.clone();
                let mut patched = false;
                if let Some(patch) = variant.get("patch") {
                    for (k, v) in obj(patch, &format!("[{rule}].{key}[{j}].patch")) {
                        patched = true;
                        if v.is_null() {
                            event.remove(k);
                        } else {
                            event.insert(k.clone(), v.clone());
                        }
                    }
                }
                let line = Json::Object(event).to_string();
                out.push(Variant {
                    rule: rule.clone(),
                    kind,
                    why,
                    patched,
                    line,
                });
            }
        }
        rules.push(rule);
    }
    (rules, out)
}

/// Rule names in file order, read from the YAML text (independent of the engine).
fn rule_names_in_yaml() -> Vec<String> {
    RULES
        .lines()
        .filter_map(|l| l.strip_prefix("- rule: "))
        .map(|n| n.trim().to_string())
        .collect()
}

#[test]
fn loads_with_no_errors_and_no_warnings() {
    let engine = engine();
    let names: Vec<&str> = engine.rules().iter().map(|r| r.name.as_str()).collect();
    let in_yaml = rule_names_in_yaml();
    assert_eq!(
        names,
        in_yaml.iter().map(String::as_str).collect::<Vec<_>>(),
        "every rule loads, in file order"
    );
}

#[test]
fn rules_are_well_formed() {
    let engine = engine();
    let rules = engine.rules();
    assert!(
        (20..=30).contains(&rules.len()),
        "20-30 rules expected, found {}",
        rules.len()
    );
    let mut problems = Vec::new();
    for r in rules {
        if !r.enabled {
            problems.push(format!("{}: disabled", r.name));
        }
        if r.condition_compiled.trim().is_empty() {
            problems.push(format!("{}: empty compiled condition", r.name));
        }
        let tags: Vec<&str> = r.tags.iter().map(|t| t.as_str()).collect();
        let has = |p: &dyn Fn(&str) -> bool| tags.iter().any(|t| p(t));
        if !has(&|t| t == "quell") {
            problems.push(format!("{}: no `quell` tag", r.name));
        }
        if !has(&|t| t == "host" || t == "container") {
            problems.push(format!("{}: no host/container tag", r.name));
        }
        if !has(&|t| matches!(t, "filesystem" | "process" | "network" | "users")) {
            problems.push(format!("{}: no category tag", r.name));
        }
        if !has(&|t| t.starts_with("mitre_")) {
            problems.push(format!("{}: no MITRE tactic tag", r.name));
        }
        if !has(&|t| {
            t.len() >= 5 && t.starts_with('T') && t[1..5].bytes().all(|b| b.is_ascii_digit())
        }) {
            problems.push(format!("{}: no MITRE technique id tag", r.name));
        }
        if has(&|t| t.starts_with("maturity_")) {
            problems.push(format!(
                "{}: maturity tags are upstream's, not ours",
                r.name
            ));
        }
        // A rule must be restricted to the event types a live capture provides.
        if !r.condition_compiled.contains("evt.type") {
            problems.push(format!("{}: no evt.type restriction", r.name));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // Priorities are not all the same: the set is graded.
    let priorities: BTreeSet<String> = rules.iter().map(|r| format!("{:?}", r.priority)).collect();
    assert!(priorities.len() >= 3, "priorities: {priorities:?}");
}

#[test]
fn outputs_print_the_context_fields() {
    let outputs: Vec<&str> = RULES
        .lines()
        .filter_map(|l| l.strip_prefix("  output: "))
        .collect();
    assert_eq!(
        outputs.len(),
        rule_names_in_yaml().len(),
        "one single-line output per rule"
    );
    let mut problems = Vec::new();
    for (name, out) in rule_names_in_yaml().iter().zip(&outputs) {
        for f in CONTEXT_FIELDS {
            // `%proc.pname` must not be satisfied by `%proc.pname2`-like tokens.
            let found = out.match_indices(f).any(|(i, _)| {
                !out[i + f.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            });
            if !found {
                problems.push(format!("{name}: output lacks {f}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_rule_has_cases_and_every_case_names_a_rule() {
    let engine = engine();
    let (case_rules, variants) = cases();
    let loaded: BTreeSet<&str> = engine.rules().iter().map(|r| r.name.as_str()).collect();
    let with_case: BTreeSet<&str> = case_rules.iter().map(String::as_str).collect();
    let missing: Vec<&&str> = loaded.difference(&with_case).collect();
    assert!(
        missing.is_empty(),
        "rules without an entry in cases.json: {missing:?}"
    );
    let unknown: Vec<&&str> = with_case.difference(&loaded).collect();
    assert!(
        unknown.is_empty(),
        "cases.json names rules that do not exist: {unknown:?}"
    );
    assert_eq!(
        case_rules.len(),
        with_case.len(),
        "one entry per rule in cases.json"
    );
    for rule in &loaded {
        let fires = variants
            .iter()
            .filter(|v| v.rule == *rule && v.kind == Kind::Fires)
            .count();
        let near = variants
            .iter()
            .filter(|v| v.rule == *rule && v.kind == Kind::NearMiss)
            .count();
        assert!(fires >= 1, "{rule}: needs at least one firing event");
        assert!(near >= 1, "{rule}: needs at least one near-miss event");
    }
    let unpatched: Vec<String> = variants
        .iter()
        .filter(|v| v.kind == Kind::NearMiss && !v.patched)
        .map(Variant::label)
        .collect();
    assert!(
        unpatched.is_empty(),
        "a near miss must differ from the firing base event: {unpatched:#?}"
    );
}

/// Checks every variant of one kind: a firing variant must match its rule (directly and
/// through the engine's evt.type dispatch), a near miss must match neither way.
/// Returns the failures; a variant naming an unknown rule is a failure too.
fn check_variants(kind: Kind) -> Vec<String> {
    let engine = engine();
    let (_, variants) = cases();
    let should_fire = kind == Kind::Fires;
    let mut failures = Vec::new();
    let mut checked = 0;
    for v in variants.iter().filter(|v| v.kind == kind) {
        let Some(rule) = engine.rule(&v.rule) else {
            failures.push(format!("{}: no rule named {:?}", v.label(), v.rule));
            continue;
        };
        checked += 1;
        let ev = v.event();
        if engine.matches(rule, &ev) != should_fire {
            failures.push(format!(
                "{}\n    condition: {}\n    event: {}",
                v.label(),
                rule.condition_compiled,
                v.line
            ));
        }
        let fired: Vec<&str> = engine
            .evaluate(&ev, RuleMatching::All)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        if fired.contains(&v.rule.as_str()) != should_fire {
            failures.push(format!(
                "{}: evaluate(All) disagrees (it gave {fired:?})",
                v.label()
            ));
        }
    }
    assert!(checked > 0, "no {kind:?} variants were checked");
    failures
}

#[test]
fn firing_events_fire_their_rule() {
    let failures = check_variants(Kind::Fires);
    assert!(
        failures.is_empty(),
        "{} firing fixture(s) did not fire:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn near_misses_do_not_fire_their_rule() {
    let failures = check_variants(Kind::NearMiss);
    assert!(
        failures.is_empty(),
        "{} near miss(es) fired:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The seed scenario, spelled out independently of the fixture file:
/// `rm /var/log/dpkg.log` inside an httpd container.
#[test]
fn seed_scenario_rm_dpkg_log_in_httpd_container() {
    let engine = engine();
    let line = r#"{"evt.type":"unlinkat","evt.res":"SUCCESS","evt.rawres":0,
        "evt.arg.dirfd":"-100(AT_FDCWD)","evt.arg.name":"/var/log/dpkg.log","evt.arg.flags":"0",
        "fs.path.name":"/var/log/dpkg.log",
        "proc.name":"rm","proc.exe":"/bin/rm","proc.cmdline":"rm /var/log/dpkg.log","proc.pname":"sh",
        "proc.aname[2]":"httpd","user.name":"root","user.uid":0,
        "container.id":"3ad1c5e0b7f2","container.image.repository":"docker.io/library/httpd"}"#
        .replace('\n', "");
    let ev = FlatEvent::from_json_line(&line).expect("seed event parses");
    let all: Vec<&str> = engine
        .evaluate(&ev, RuleMatching::All)
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        all,
        ["Clear Log Activities"],
        "exactly the log-clearing rule fires"
    );
    let first: Vec<&str> = engine
        .evaluate(&ev, RuleMatching::First)
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(first, ["Clear Log Activities"]);

    // The same call failing (the file was not there) is not log clearing.
    let failed = line.replace(
        r#""evt.res":"SUCCESS","evt.rawres":0"#,
        r#""evt.res":"ENOENT","evt.rawres":-2"#,
    );
    assert_ne!(failed, line);
    let ev = FlatEvent::from_json_line(&failed).expect("failed seed event parses");
    assert!(engine.evaluate(&ev, RuleMatching::All).is_empty());
}

/// The local rules file shown in `rules/README.md` (its only ```yaml block) works when
/// copied: it loads after the defaults with no errors or warnings, and each of its
/// examples has the effect the README describes.
#[test]
fn readme_local_file_works() {
    let readme = include_str!("../rules/README.md");
    let start = readme
        .find("```yaml\n")
        .expect("README has a ```yaml block")
        + "```yaml\n".len();
    let len = readme[start..]
        .find("```")
        .expect("the ```yaml block is closed");
    let local = &readme[start..start + len];
    assert_eq!(
        readme.matches("```yaml").count(),
        1,
        "exactly one yaml block in the README"
    );

    let mut engine = engine();
    let res = engine.load("local_rules.yaml", local);
    assert!(
        res.successful && res.errors.is_empty() && res.warnings.is_empty(),
        "README local file: errors {:#?} warnings {:#?}",
        res.errors,
        res.warnings
    );
    let fired = |line: &str| -> Vec<String> {
        let ev = FlatEvent::from_json_line(line).expect("event parses");
        engine
            .evaluate(&ev, RuleMatching::All)
            .iter()
            .map(|r| r.name.clone())
            .collect()
    };
    let fires = |line: &str, rule: &str| fired(line).iter().any(|n| n == rule);

    // 1. allowed_log_clearing replaced.
    let rm = |path: &str| {
        format!(
            r#"{{"evt.type":"unlinkat","evt.res":"SUCCESS","evt.rawres":0,"fs.path.name":"{path}","proc.name":"rm","container.id":"host"}}"#
        )
    };
    assert!(!fires(
        &rm("/var/log/myapp/old.log"),
        "Clear Log Activities"
    ));
    assert!(fires(&rm("/var/log/auth.log"), "Clear Log Activities"));

    // 2. exception appended to Write Below Etc.
    let write = |proc: &str| {
        format!(
            r#"{{"evt.type":"openat","evt.res":"SUCCESS","evt.rawres":3,"evt.is_open_write":true,"fd.num":3,"fd.typechar":"f","fd.name":"/etc/motd","fd.directory":"/etc","fd.filename":"motd","evt.arg.flags":"O_WRONLY|O_TRUNC","proc.name":"{proc}","container.id":"host"}}"#
        )
    };
    assert!(!fires(&write("puppet"), "Write Below Etc"));
    assert!(!fires(&write("chef-client"), "Write Below Etc"));
    assert!(fires(&write("python3"), "Write Below Etc"));
    let rule = engine.rule("Write Below Etc").expect("rule exists");
    assert!(
        rule.condition_compiled.contains("puppet"),
        "{}",
        rule.condition_compiled
    );

    // 3. list extended.
    let attach = |proc: &str| {
        format!(
            r#"{{"evt.type":"ptrace","evt.res":"SUCCESS","evt.rawres":0,"evt.arg.request":"PTRACE_ATTACH","proc.name":"{proc}","container.id":"host"}}"#
        )
    };
    assert!(!fires(&attach("gdb"), "PTRACE Attach to Process"));
    assert!(fires(&attach("inject"), "PTRACE Attach to Process"));

    // 4. priority replaced.
    let rule = engine
        .rule("Terminal Shell in Container")
        .expect("rule exists");
    assert_eq!(format!("{:?}", rule.priority), "Warning");

    // 5. rule disabled.
    let rule = engine
        .rule("Outbound Connection to Suspicious Port")
        .expect("rule exists");
    assert!(!rule.enabled);
    let connect = r#"{"evt.type":"connect","evt.res":"SUCCESS","evt.rawres":0,"fd.typechar":"4","fd.sip":"198.51.100.23","fd.sport":4444,"proc.name":"python3","container.id":"host"}"#;
    assert!(
        !fires(connect, "Outbound Connection to Suspicious Port"),
        "{:?}",
        fired(connect)
    );

    // 6. a new rule built on the default macros.
    let kubectl = |cid: &str| {
        format!(
            r#"{{"evt.type":"execve","evt.res":"SUCCESS","evt.rawres":0,"proc.name":"kubectl","proc.cmdline":"kubectl get secrets","container.id":"{cid}"}}"#
        )
    };
    assert!(fires(
        &kubectl("3ad1c5e0b7f2"),
        "Cluster Admin Tool in Container"
    ));
    assert!(!fires(&kubectl("host"), "Cluster Admin Tool in Container"));
}

/// Real, benign captures (curl, an HTTP 502 investigation, IPv6 client/server) raise
/// no alert: the default set is not trivially noisy.
#[test]
fn benign_corpus_raises_no_alerts() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/events");
    let engine = engine();
    let mut files = 0;
    let mut events = 0;
    let mut alerts = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("corpus {dir}: {e}"));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).expect("corpus file reads");
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let ev = FlatEvent::from_json_line(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e:?}", path.display(), n + 1));
            events += 1;
            for r in engine.evaluate(&ev, RuleMatching::All) {
                alerts.push(format!("{}:{}: {}", path.display(), n + 1, r.name));
            }
        }
    }
    assert!(
        files >= 5 && events > 1000,
        "corpus too small: {files} files, {events} events"
    );
    assert!(
        alerts.is_empty(),
        "{} alert(s) on benign captures:\n{}",
        alerts.len(),
        alerts.join("\n")
    );
}
