//! Untrusted input never panics: arbitrary rules text (random and mutated upstream
//! files) through `Engine::load`, and arbitrary event lines through evaluation and
//! output rendering against the upstream stable rules.

use std::sync::OnceLock;

use proptest::prelude::*;
use quell_events::FlatEvent;
use quell_rules::engine::{Engine, RuleMatching};

use crate::common::upstream;

fn stable_text() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| upstream("falco_rules.yaml"))
}

fn stable_engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let mut e = Engine::new();
        let r = e.load("falco_rules.yaml", stable_text());
        assert!(r.successful, "upstream stable rules must load");
        e
    })
}

/// Loads text into a fresh engine and exercises everything a caller may touch afterwards.
fn load_all(text: &str) {
    let mut e = Engine::new();
    let r = e.load("fuzz.yaml", text);
    // Diagnostics render without panicking too.
    let _ = r.summary();
    let _ = r.to_json(&e);
    // A second load on top (append/override paths across files).
    let _ = e.load("fuzz2.yaml", text);
    // What `quell run` derives from the rules before capturing.
    let _ = quell_rules::prefilter::open_filter(e.rules());
    let ev = FlatEvent::from_json_line(
        r#"{"evt.type":"open","proc.name":"bash","fd.name":"/etc/shadow"}"#,
    )
    .expect("fixed event");
    for r in e.evaluate(&ev, RuleMatching::All) {
        let _ = r.format.render(&ev);
    }
}

/// Pieces of rules files, so random sequences reach deep into the loader and compiler.
const TOKENS: &[&str] = &[
    "- rule: ",
    "- macro: ",
    "- list: ",
    "- required_engine_version: ",
    "- required_plugin_versions:",
    "\n",
    "\n  ",
    "\n    ",
    "\n      ",
    "  desc: d",
    "  condition: ",
    "  output: ",
    "  priority: WARNING",
    "  priority: ",
    "  enabled: false",
    "  source: ",
    "  tags: [a, b]",
    "  items: [",
    "]",
    "[",
    "{",
    "}",
    "  exceptions:",
    "- name: e",
    "fields: [proc.name, fd.name]",
    "fields: proc.name",
    "comps: [=, in]",
    "comps: startswith oneof",
    "values:",
    "- [cat, /tmp]",
    "- [[a, b], x]",
    "values: [l]",
    "  override:",
    "condition: append",
    "items: replace",
    "exceptions: replace",
    "  append: true",
    "evt.type",
    " = ",
    " in ",
    " and ",
    " or ",
    "not ",
    "(",
    ")",
    ", ",
    "open",
    "proc.name",
    "fd.name",
    "proc.aname[2]",
    "fd.net",
    " pmatch ",
    " glob ",
    " regex ",
    " startswith oneof ",
    "'",
    "\"",
    "\\",
    "%proc.name",
    "%",
    "val(",
    "tolower(",
    "getopt(",
    "join(",
    "len(",
    " exists",
    " > ",
    "0x",
    "99",
    "R",
    "m",
    "l",
    ":",
    "-",
    "#",
    "&a",
    "*a",
    "!!str ",
    "---",
    "...",
    "\t",
    "~",
    "null",
    "<NA>",
    "é",
    "\u{0}",
];

fn token_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|v| v.concat())
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    SwapLines(usize, usize),
    Replace(Vec<(usize, char)>),
    DeleteLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        prop::collection::vec(
            (
                any::<usize>(),
                prop::sample::select(vec![
                    '(', ')', ':', '-', ' ', '\n', '"', '\'', '[', ']', 'x', '{', '\t', '%', '='
                ])
            ),
            1..8
        )
        .prop_map(Mutation::Replace),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::DeleteLines(a, n)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    match m {
        Mutation::Truncate(at) => {
            let mut i = at % (text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            text[..i].to_string()
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let n = lines.len();
                lines.swap(a % n, b % n);
            }
            lines.join("\n")
        }
        Mutation::Replace(edits) => {
            let mut chars: Vec<char> = text.chars().collect();
            if !chars.is_empty() {
                let n = chars.len();
                for (at, c) in edits {
                    chars[at % n] = *c;
                }
            }
            chars.into_iter().collect()
        }
        Mutation::DeleteLines(a, count) => {
            let lines: Vec<&str> = text.lines().collect();
            let n = lines.len().max(1);
            let start = a % n;
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < start || *i >= start + count)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

const EVENT_KEYS: &[&str] = &[
    "evt.type",
    "proc.name",
    "proc.pname",
    "proc.cmdline",
    "proc.args",
    "proc.exepath",
    "proc.aname[2]",
    "proc.aname[1]",
    "proc.aname",
    "proc.pid",
    "proc.tty",
    "fd.name",
    "fd.directory",
    "fd.filename",
    "fd.typechar",
    "fd.num",
    "fd.sip",
    "fd.cip",
    "fd.snet",
    "fd.types",
    "evt.arg.flags",
    "evt.res",
    "evt.rawres",
    "evt.is_open_write",
    "evt.buffer",
    "user.uid",
    "user.name",
    "container.id",
    "container.image.repository",
    "container.privileged",
    "evt.time",
    "evt.rawtime",
    "k8s.ns.name",
    "unknown.key",
    "evt.arg[0]",
];

const EVT_TYPES: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "execve",
    "execveat",
    "connect",
    "ptrace",
    "unlinkat",
    "symlinkat",
    "linkat",
    "init_module",
    "socket",
    "dup2",
    "sendto",
    "memfd_create",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<u64>().prop_map(J::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(J::from),
        "\\PC{0,40}".prop_map(J::String),
        prop::sample::select(EVT_TYPES).prop_map(|s| J::String(s.to_string())),
        prop::sample::select(vec![
            "/etc/shadow",
            "/var/log/syslog",
            "bash",
            "10.0.0.1",
            "::1",
            "<NA>",
            "O_TRUNC|O_WRONLY",
            "f",
            "-1",
            "ENOENT",
            "sshd"
        ])
        .prop_map(|s| J::String(s.to_string())),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            prop::collection::btree_map("[a-z.]{1,8}", inner, 0..3)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

fn event_line() -> impl Strategy<Value = String> {
    prop::collection::btree_map(prop::sample::select(EVENT_KEYS), json_value(), 0..10).prop_map(
        |m| {
            let obj: serde_json::Map<String, serde_json::Value> =
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            serde_json::Value::Object(obj).to_string()
        },
    )
}

fn evaluate_line(line: &str) {
    let e = stable_engine();
    if let Ok(ev) = FlatEvent::from_json_line(line) {
        for r in e.evaluate(&ev, RuleMatching::All) {
            let _ = r.format.render(&ev);
            let _ = r.format.output_fields(&ev);
        }
        let _ = e.evaluate(&ev, RuleMatching::First);
        for r in e.rules() {
            let _ = e.matches(r, &ev);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        load_all(&text);
    }

    #[test]
    fn token_soup_never_panics(text in token_text()) {
        load_all(&text);
    }

    #[test]
    fn arbitrary_event_lines_never_panic(line in event_line()) {
        evaluate_line(&line);
    }

    #[test]
    fn raw_lines_never_panic(line in "\\PC{0,200}") {
        evaluate_line(&line);
    }
}

proptest! {
    // Each case loads a ~64 KB file twice in a debug build: keep the count modest.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_upstream_rules_never_panic(muts in prop::collection::vec(mutation(), 1..4)) {
        let mut text = stable_text().to_string();
        for m in &muts {
            text = apply(&text, m);
        }
        load_all(&text);
    }
}

#[test]
fn mutations_change_the_text() {
    // The mutation helpers do what they say (so the proptest above explores something).
    let t = "a: 1\nb: 2\nc: 3";
    assert_eq!(apply(t, &Mutation::Truncate(4)), "a: 1");
    assert_eq!(apply(t, &Mutation::SwapLines(0, 2)), "c: 3\nb: 2\na: 1");
    assert_eq!(
        apply(t, &Mutation::Replace(vec![(0, 'x')])),
        "x: 1\nb: 2\nc: 3"
    );
    assert_eq!(apply(t, &Mutation::DeleteLines(1, 1)), "a: 1\nc: 3");
}

/// Macros that double at every level: `m{i} = (m{i-1} or m{i-1})`. Substituted as trees,
/// 40 levels would be 2^40 nodes (terabytes); compilation stops at the stated budget
/// with a diagnostic naming the rule and the macro, and the engine keeps the rest.
#[test]
fn doubling_macros_stop_at_the_expansion_budget() {
    let mut text = String::from("- macro: m0\n  condition: proc.name = x\n");
    for i in 1..=40 {
        text.push_str(&format!(
            "- macro: m{i}\n  condition: (m{p} or m{p})\n",
            p = i - 1
        ));
    }
    text.push_str("- rule: Big\n  desc: d\n  condition: evt.type = open and m40\n  output: o\n  priority: WARNING\n");
    text.push_str("- rule: Fine\n  desc: d\n  condition: evt.type = open and m3\n  output: o\n  priority: WARNING\n");
    let mut e = Engine::new();
    let r = e.load("bomb.yaml", &text);
    assert!(!r.successful);
    let codes: Vec<&str> = r.errors.iter().map(|d| d.code.name()).collect();
    assert!(
        codes.iter().all(|c| *c == "QUELL_ERR_CONDITION_TOO_LARGE"),
        "{codes:?}"
    );
    // Once at the first macro beyond the budget, once at the rule.
    assert_eq!(r.errors.len(), 2, "{:#?}", r.errors);
    let limit = quell_rules::compile::MAX_EXPANDED_NODES;
    // 2^k nodes for m_k plus the or nodes: m16 is the first beyond 100,000.
    let at_macro = &r.errors[0];
    assert_eq!(
        at_macro.message,
        format!("Condition too large after macro expansion: more than {limit} nodes when macro 'm15' is substituted while expanding macro 'm16'")
    );
    assert_eq!(at_macro.locations[1].item_name, "m16");
    let at_rule = &r.errors[1];
    assert_eq!(at_rule.locations[1].item_name, "Big");
    assert!(
        at_rule.message.contains("macro 'm16'"),
        "{}",
        at_rule.message
    );
    assert!(e.rule("Fine").is_some() && e.rule("Big").is_none());
}

/// 2,000 macros each nesting the previous one (`(m{i-1} and proc.pid > i)`): each
/// parses within the parser's depth limit, the chain does not; stopped at the
/// stated depth instead of overflowing the stack downstream.
#[test]
fn chained_macros_stop_at_the_expansion_depth() {
    let mut text = String::from("- macro: m0\n  condition: proc.name = x\n");
    for i in 1..=2000 {
        text.push_str(&format!(
            "- macro: m{i}\n  condition: not (m{p} and proc.pid > {i})\n",
            p = i - 1
        ));
    }
    text.push_str("- rule: Deep\n  desc: d\n  condition: evt.type = open and m2000\n  output: o\n  priority: WARNING\n");
    let mut e = Engine::new();
    let r = e.load("deep.yaml", &text);
    assert!(!r.successful);
    assert!(
        r.errors
            .iter()
            .all(|d| d.code.name() == "QUELL_ERR_CONDITION_TOO_LARGE"),
        "{:#?}",
        r.errors.first()
    );
    let limit = quell_rules::compile::MAX_EXPANDED_DEPTH;
    assert!(
        r.errors[0]
            .message
            .contains(&format!("more than {limit} levels of nesting")),
        "{}",
        r.errors[0].message
    );
    assert_eq!(
        r.errors.last().map(|d| d.locations[1].item_name.as_str()),
        Some("Deep")
    );
}

/// Falco's deprecated-field warning shows the condition in its snippet, also for a
/// folded scalar (not the `condition: >` line), and names the field in its JSON.
#[test]
fn deprecated_field_warning_snippet_shows_the_condition() {
    let text = "- rule: Folded\n  desc: d\n  condition: >\n    evt.type = open\n    and evt.dir = <\n  output: o\n  priority: WARNING\n";
    let mut e = Engine::new();
    let r = e.load("f.yaml", text);
    assert!(r.successful && r.warnings.len() == 1, "{r:#?}");
    let w = &r.warnings[0];
    let snippet = w.snippet(&e).expect("a snippet");
    assert!(snippet.contains("evt.type = open"), "{snippet}");
    assert!(!snippet.contains("condition: >"), "{snippet}");
    assert_eq!(w.deprecated_field.as_deref(), Some("evt.dir"));
    let j = r.to_json(&e);
    assert_eq!(j["warnings"][0]["deprecated_field"], "evt.dir");
}
