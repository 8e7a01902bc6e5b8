//! Falco's schema check of a rules file (`rule_json_schema.h`, validated by valijson
//! with weak types on the yaml-cpp tree), reproduced on quell's YAML tree. Its result
//! is `schema_valid` in `falco -V`'s JSON; it never changes whether the file loads.
//!
//! What valijson's yaml-cpp adapter makes of the schema's types (weak typing):
//! - `string`: every node passes (the adapter calls everything a string);
//! - `boolean`: the scalars `true` and `false` (lowercase) only;
//! - `integer`: a scalar that is a whole signed 64-bit number (leading blanks allowed);
//! - `array`: a sequence, or an empty mapping; `object`: a mapping, or an empty sequence;
//! - `enum` (priorities, override operations): exact, case-sensitive text.
//!
//! Falco keeps one status per document (`"ok"`, or one `"failed for <where>: <what>"`
//! per problem) and calls the file schema-valid when the first status is `"ok"`. The
//! wording after `failed for` is quell's own (valijson's differs).

use super::yaml::{Kind, Node};

/// Falco's status of a valid document.
pub const VALIDATION_OK: &str = "ok";

const PRIORITIES: [&str; 9] = [
    "EMERGENCY",
    "ALERT",
    "CRITICAL",
    "ERROR",
    "WARNING",
    "NOTICE",
    "INFO",
    "INFORMATIONAL",
    "DEBUG",
];

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Bool,
    Int,
    Array(Items),
    Priority,
    Override,
}

#[derive(Clone, Copy)]
enum Items {
    Str,
    Exception,
    PluginVersion,
    Alternative,
}

const RULE_PROPS: [(&str, Ty); 20] = [
    ("required_engine_version", Ty::Str),
    ("required_plugin_versions", Ty::Array(Items::PluginVersion)),
    ("macro", Ty::Str),
    ("condition", Ty::Str),
    ("list", Ty::Str),
    ("items", Ty::Array(Items::Str)),
    ("rule", Ty::Str),
    ("desc", Ty::Str),
    ("enabled", Ty::Bool),
    ("output", Ty::Str),
    ("append", Ty::Bool),
    ("priority", Ty::Priority),
    ("capture", Ty::Bool),
    ("capture_duration", Ty::Int),
    ("source", Ty::Str),
    ("exceptions", Ty::Array(Items::Exception)),
    ("override", Ty::Override),
    ("tags", Ty::Array(Items::Str)),
    ("warn_evttypes", Ty::Bool),
    ("skip-if-unknown-filter", Ty::Bool),
];

const OVERRIDE_KEYS: [&str; 12] = [
    "items",
    "desc",
    "condition",
    "output",
    "priority",
    "enabled",
    "exceptions",
    "capture",
    "capture_duration",
    "tags",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

fn is_object(n: &Node) -> bool {
    match &n.kind {
        Kind::Map(_) => true,
        Kind::Seq(v) => v.is_empty(),
        _ => false,
    }
}

fn is_array(n: &Node) -> bool {
    match &n.kind {
        Kind::Seq(_) => true,
        Kind::Map(v) => v.is_empty(),
        _ => false,
    }
}

fn is_bool(n: &Node) -> bool {
    matches!(n.as_scalar(), Some("true" | "false"))
}

fn is_int(n: &Node) -> bool {
    n.as_scalar().is_some_and(|s| {
        let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
        let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && t.parse::<i64>().is_ok()
    })
}

struct Check {
    out: Vec<String>,
}

impl Check {
    fn fail(&mut self, at: &str, what: impl Into<String>) {
        self.out.push(format!("failed for {at}: {}", what.into()));
    }

    fn object_keys(&mut self, n: &Node, at: &str, allowed: &[&str], required: &[&str]) -> bool {
        if !is_object(n) {
            self.fail(at, "not a mapping");
            return false;
        }
        let entries = n.as_map().unwrap_or_default();
        for (k, _) in entries {
            let key = k.as_scalar().unwrap_or_default();
            if !allowed.contains(&key) {
                self.fail(at, format!("property '{key}' is not allowed"));
            }
        }
        for r in required {
            if n.get(r).is_none() {
                self.fail(at, format!("required property '{r}' is missing"));
            }
        }
        true
    }

    fn value(&mut self, n: &Node, ty: Ty, at: &str) {
        match ty {
            Ty::Str => {}
            Ty::Bool => {
                if !is_bool(n) {
                    self.fail(at, "not a boolean (true or false)");
                }
            }
            Ty::Int => {
                if !is_int(n) {
                    self.fail(at, "not an integer");
                }
            }
            Ty::Priority => {
                if !n.as_scalar().is_some_and(|s| PRIORITIES.contains(&s)) {
                    self.fail(at, format!("not one of {}", PRIORITIES.join(", ")));
                }
            }
            Ty::Override => {
                if self.object_keys(n, at, &OVERRIDE_KEYS, &[]) {
                    if n.as_map().is_none_or(<[(Node, Node)]>::is_empty) {
                        self.fail(at, "needs at least one key");
                    }
                    for (k, v) in n.as_map().unwrap_or_default() {
                        let key = k.as_scalar().unwrap_or_default();
                        if OVERRIDE_KEYS.contains(&key)
                            && !matches!(v.as_scalar(), Some("append" | "replace"))
                        {
                            self.fail(&format!("{at}[{key}]"), "not one of append, replace");
                        }
                    }
                }
            }
            Ty::Array(items) => {
                if !is_array(n) {
                    self.fail(at, "not a sequence");
                    return;
                }
                for (i, item) in n.as_seq().unwrap_or_default().iter().enumerate() {
                    let at = format!("{at}[{i}]");
                    match items {
                        Items::Str => {}
                        Items::Exception => {
                            self.object_keys(
                                item,
                                &at,
                                &["name", "fields", "comps", "values"],
                                &["name"],
                            );
                        }
                        Items::PluginVersion => {
                            if self.object_keys(
                                item,
                                &at,
                                &["name", "version", "alternatives"],
                                &["name", "version"],
                            ) {
                                if let Some(alt) = item.get("alternatives") {
                                    self.value(
                                        alt,
                                        Ty::Array(Items::Alternative),
                                        &format!("{at}[alternatives]"),
                                    );
                                }
                            }
                        }
                        Items::Alternative => {
                            self.object_keys(item, &at, &["name", "version"], &["name", "version"]);
                        }
                    }
                }
            }
        }
    }

    fn item(&mut self, item: &Node, at: &str) {
        let names: Vec<&str> = RULE_PROPS.iter().map(|(k, _)| *k).collect();
        if !self.object_keys(item, at, &names, &[]) {
            return;
        }
        for (k, v) in item.as_map().unwrap_or_default() {
            let key = k.as_scalar().unwrap_or_default();
            if let Some((_, ty)) = RULE_PROPS.iter().find(|(n, _)| *n == key) {
                self.value(v, *ty, &format!("{at}[{key}]"));
            }
        }
    }
}

/// Falco's schema statuses for the documents of a rules file (`None` stands for an
/// empty document): one `"ok"` per valid document, one `"failed for ..."` per
/// problem of an invalid one. No document gives no status (Falco then reports no
/// `schema_valid`).
pub fn validate(docs: &[Option<Node>]) -> Vec<String> {
    let mut out = Vec::new();
    for doc in docs {
        let mut c = Check { out: Vec::new() };
        match doc {
            Some(n) if is_array(n) => {
                for (i, item) in n.as_seq().unwrap_or_default().iter().enumerate() {
                    c.item(item, &format!("<root>[{i}]"));
                }
            }
            _ => c.fail("<root>", "not a sequence"),
        }
        if c.out.is_empty() {
            out.push(VALIDATION_OK.to_string());
        } else {
            out.extend(c.out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_all;

    fn statuses(src: &str) -> Vec<String> {
        validate(&parse_all("t.yaml", src).expect("parses"))
    }

    #[test]
    fn valid_and_invalid_files() {
        assert_eq!(statuses("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: WARNING\n  enabled: false\n  capture_duration: 5\n  tags: []\n"), vec!["ok"]);
        assert_eq!(
            statuses("- list: l\n  items: [1, a]\n- macro: m\n  condition: x\n"),
            vec!["ok"]
        );
        let s = statuses("- rule: r\n  priority: Warning\n  enabled: yes\n  foo: 1\n  override: {desc: merge}\n  exceptions:\n    - fields: [a]\n");
        assert_eq!(
            s,
            vec![
                "failed for <root>[0]: property 'foo' is not allowed",
                "failed for <root>[0][priority]: not one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO, INFORMATIONAL, DEBUG",
                "failed for <root>[0][enabled]: not a boolean (true or false)",
                "failed for <root>[0][override][desc]: not one of append, replace",
                "failed for <root>[0][exceptions][0]: required property 'name' is missing",
            ]
        );
        assert!(statuses("").is_empty());
        assert_eq!(
            statuses("a: b\n"),
            vec!["failed for <root>: not a sequence"]
        );
        // Empty values are null, not sequences or booleans.
        assert_eq!(statuses("- list: l\n  items:\n").len(), 1);
        assert_ne!(statuses("- list: l\n  items:\n"), vec!["ok"]);
        assert_eq!(
            statuses("- rule: r\n  capture_duration: ' 12'\n"),
            vec!["ok"]
        );
        assert_ne!(statuses("- rule: r\n  capture_duration: 1.5\n"), vec!["ok"]);
    }
}
