//! The engine: load rules files in order (as Falco's `load_rules` does), keep the
//! compiled rules, and evaluate events against them.
//!
//! ```
//! use quell_rules::engine::{Engine, RuleMatching};
//! let mut engine = Engine::new();
//! let res = engine.load("rules.yaml", r#"
//! - rule: Shell in container
//!   desc: a shell ran
//!   condition: evt.type = execve and proc.name in (bash, sh)
//!   output: shell %proc.name
//!   priority: WARNING
//! "#);
//! assert!(res.successful, "{res:?}");
//! let rule = engine.rule("Shell in container").unwrap();
//! assert_eq!(rule.condition_compiled, "(evt.type = execve and proc.name in (bash, sh))");
//! ```

use std::collections::{HashMap, HashSet};

use crate::compile::{self, evttypes, CompiledRule};
use crate::diagnostic::{Diagnostic, LoadResult, Severity};
use crate::field::Event;
use crate::fields_table::{registry, Registry};
use crate::load::Collector;

/// Whether evaluation stops at the first matching rule (Falco's default) or runs them all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RuleMatching {
    /// Stop at the first rule that matches.
    #[default]
    First,
    /// Report every rule that matches.
    All,
}

/// Loaded and compiled rules, indexed by event type.
///
/// `Clone` is cheap next to loading: a clone shares nothing mutable with its original, so
/// loading one more file into a clone (an exception block under test, say) leaves the
/// original as it was, without parsing and compiling the earlier files again.
#[derive(Clone, Default)]
pub struct Engine {
    collector: Collector,
    sources: HashMap<String, String>,
    rules: Vec<CompiledRule>,
    /// Candidate lists: rule indices in load order, unrestricted rules last. List 0 is the
    /// fallback (for event types no rule names: rules excluding some types, then
    /// unrestricted rules).
    lists: Vec<Vec<usize>>,
    /// Per event type id ([`evttypes::type_id`]): its list in `lists`.
    by_id: Vec<u32>,
    /// Named types without an id (not in Falco's table): their list in `lists`.
    by_name: HashMap<String, u32>,
    /// For events without a type: unrestricted rules only.
    untyped: Vec<usize>,
    /// Diagnostics of the previous compilation, to attribute only new ones to the next file.
    seen: HashSet<String>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.len())
            .finish()
    }
}

fn diag_key(d: &Diagnostic) -> String {
    format!("{:?}|{}|{:?}", d.code, d.message, d.locations)
}

/// The text of every file loaded so far, by name: what a diagnostic's snippet is rendered from.
impl crate::diagnostic::Sources for Engine {
    fn source(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(String::as_str)
    }
}

impl Engine {
    /// An engine with no rules.
    pub fn new() -> Self {
        Self::default()
    }

    /// The field registry the engine compiles against.
    pub fn registry(&self) -> &'static Registry {
        registry()
    }

    /// Loads one rules file on top of what is already loaded (later files append
    /// to and override earlier ones) and recompiles everything. Returns this
    /// file's diagnostics. Rules that fail to compile are left out; nothing
    /// already accepted is lost.
    pub fn load(&mut self, name: &str, content: &str) -> LoadResult {
        self.sources.insert(name.to_string(), content.to_string());
        let mut diags = Vec::new();
        self.collector.read(name, content, &mut diags);
        let mut compile_diags = Vec::new();
        self.rules = compile::compile(
            &self.collector,
            registry(),
            &self.sources,
            &mut compile_diags,
        );
        // A compilation re-reports problems of earlier files: keep only new ones.
        let mut seen = HashSet::new();
        for d in compile_diags {
            let k = diag_key(&d);
            if !self.seen.contains(&k) {
                diags.push(d);
            }
            seen.insert(k);
        }
        self.seen = seen;
        self.reindex();
        let (errors, warnings): (Vec<_>, Vec<_>) = diags
            .into_iter()
            .partition(|d| d.severity() == Severity::Error);
        LoadResult {
            name: name.to_string(),
            successful: errors.is_empty(),
            errors,
            warnings,
            schema_validation: self.collector.schema_validation().to_vec(),
        }
    }

    fn reindex(&mut self) {
        let mut named: HashSet<&str> = HashSet::new();
        for r in &self.rules {
            match &r.evttypes {
                compile::EvtTypes::Only(s) | compile::EvtTypes::AllBut(s) => {
                    named.extend(s.iter().map(String::as_str))
                }
            }
        }
        let unrestricted: Vec<usize> = (0..self.rules.len())
            .filter(|&i| self.rules[i].evttypes.is_all())
            .collect();
        let order = |t: Option<&str>| -> Vec<usize> {
            let mut v: Vec<usize> = (0..self.rules.len())
                .filter(|&i| {
                    let e = &self.rules[i].evttypes;
                    !e.is_all()
                        && match t {
                            Some(t) => e.contains(t),
                            None => matches!(e, compile::EvtTypes::AllBut(_)),
                        }
                })
                .collect();
            v.extend(&unrestricted);
            v
        };
        self.lists = vec![order(None)];
        self.by_id = vec![0; evttypes::type_count()];
        self.by_name = HashMap::new();
        for t in named {
            let list = self.lists.len() as u32;
            self.lists.push(order(Some(t)));
            match evttypes::type_id(t).and_then(|id| self.by_id.get_mut(usize::from(id))) {
                Some(slot) => *slot = list,
                None => {
                    self.by_name.insert(t.to_string(), list);
                }
            }
        }
        self.untyped = unrestricted;
    }

    /// Every compiled rule, in evaluation (first definition) order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// A rule by name.
    pub fn rule(&self, name: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// Enables or disables a rule; returns false when no rule has that name.
    pub fn set_enabled(&mut self, name: &str, enabled: bool) -> bool {
        let mut found = false;
        for r in self.rules.iter_mut().filter(|r| r.name == name) {
            r.enabled = enabled;
            found = true;
        }
        found
    }

    /// Whether one rule's condition matches an event (ignores `enabled`).
    pub fn matches(&self, rule: &CompiledRule, ev: &dyn Event) -> bool {
        rule.matches(ev)
    }

    /// The enabled rules that match an event, in evaluation order (at most one with [`RuleMatching::First`]).
    pub fn evaluate<'a>(&'a self, ev: &dyn Event, matching: RuleMatching) -> Vec<&'a CompiledRule> {
        let list = match ev.evt_type_id() {
            Some(id) => self.by_id.get(usize::from(id)).copied(),
            None => ev
                .evt_type()
                .map(|t| self.by_name.get(t).copied().unwrap_or(0)),
        };
        let candidates = match list {
            Some(l) => self.lists.get(l as usize).map_or(&[][..], Vec::as_slice),
            None => &self.untyped[..],
        };
        let mut out = Vec::new();
        for &i in candidates {
            let r = &self.rules[i];
            if r.enabled && r.matches(ev) {
                out.push(r);
                if matching == RuleMatching::First {
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{FieldRef, Value};
    use std::borrow::Cow;

    /// A deletion event with just the fields the rule below names.
    struct Del(&'static str, &'static str);

    impl Event for Del {
        fn evt_type(&self) -> Option<&str> {
            Some("unlinkat")
        }
        fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
            match f.key.as_str() {
                "evt.type" => Some(Value::Str(Cow::Borrowed("unlinkat"))),
                "proc.name" => Some(Value::Str(Cow::Borrowed(self.0))),
                "fs.path.name" => Some(Value::Str(Cow::Borrowed(self.1))),
                _ => None,
            }
        }
    }

    /// An event of any type (or none) with a `proc.name`.
    struct Typed(Option<&'static str>, &'static str);

    impl Event for Typed {
        fn evt_type(&self) -> Option<&str> {
            self.0
        }
        fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
            match f.key.as_str() {
                "evt.type" => self.0.map(|t| Value::Str(Cow::Borrowed(t))),
                "proc.name" => Some(Value::Str(Cow::Borrowed(self.1))),
                _ => None,
            }
        }
    }

    /// An event with the string fields given.
    struct Fields(Vec<(&'static str, &'static str)>);

    impl Event for Fields {
        fn evt_type(&self) -> Option<&str> {
            self.0
                .iter()
                .find(|(k, _)| *k == "evt.type")
                .map(|(_, v)| *v)
        }
        fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
            self.0
                .iter()
                .find(|(k, _)| *k == f.key.as_str())
                .map(|(_, v)| Value::Str(Cow::Borrowed(*v)))
        }
    }

    /// A rule's exceptions evaluate on their own, whatever its condition gives (an alert
    /// line lacks the condition's fields); the rule matches exactly when its condition does
    /// and its exceptions do not, also when the condition ends in `and not` itself.
    #[test]
    fn exceptions_evaluate_alone() {
        let rules = "\
- rule: Del
  desc: d
  condition: evt.type = unlinkat and fs.path.name startswith /var/log/ and not proc.name = logrotate
  output: o
  priority: WARNING
  exceptions:
    - name: ops
      fields: [proc.name, fs.path.name]
      values:
        - [rm, /var/log/dpkg.log]
    - name: empty
      fields: [proc.pname]
      values: []
    - name: parents
      fields: proc.pname
      comps: in
      values: [cron, anacron]
- rule: Plain
  desc: d
  condition: evt.type = unlinkat and not proc.name = logrotate
  output: o
  priority: WARNING
";
        let mut e = Engine::new();
        let r = e.load("r.yaml", rules);
        assert!(r.successful, "{:?}", r.errors);
        let del = e.rule("Del").unwrap();
        let plain = e.rule("Plain").unwrap();
        let ev = |f: &[(&'static str, &'static str)]| Fields(f.to_vec());
        let unlink = |name, parent, path| {
            ev(&[
                ("evt.type", "unlinkat"),
                ("proc.name", name),
                ("proc.pname", parent),
                ("fs.path.name", path),
            ])
        };
        assert_eq!(plain.excepts(&unlink("rm", "bash", "/x")), Some(false));
        let cases = [
            ("rm", "bash", "/var/log/dpkg.log", true),
            ("rm", "bash", "/var/log/syslog", false),
            ("rm", "cron", "/var/log/syslog", true),
            ("logrotate", "bash", "/var/log/syslog", false),
            ("logrotate", "anacron", "/tmp/x", true),
            ("sh", "bash", "/tmp/x", false),
        ];
        for (name, parent, path, excepted) in cases {
            let event = unlink(name, parent, path);
            assert_eq!(
                del.excepts(&event),
                Some(excepted),
                "{name} {parent} {path}"
            );
            let cond = path.starts_with("/var/log/") && name != "logrotate";
            assert_eq!(
                del.matches(&event),
                cond && !excepted,
                "{name} {parent} {path}"
            );
        }
        // An alert line: the output's fields only, no event type or path.
        let line = ev(&[("proc.name", "rm"), ("proc.pname", "cron")]);
        assert!(!del.matches(&line));
        assert_eq!(del.excepts(&line), Some(true));
        let line = ev(&[("proc.name", "rm"), ("proc.pname", "bash")]);
        assert_eq!(del.excepts(&line), Some(false));
    }

    /// Candidate rules by event type id: a named type gets its rules, an unnamed or unknown
    /// type the rules excluding other types and the unrestricted ones, an untyped event the
    /// unrestricted ones only; each in load order.
    #[test]
    fn rules_are_picked_by_event_type_id() {
        let rules = "\
- rule: Open
  desc: d
  condition: evt.type in (open, openat) and proc.name = sh
  output: o
  priority: WARNING
- rule: Not exec
  desc: d
  condition: evt.type != execve and proc.name = sh
  output: o
  priority: WARNING
- rule: Any
  desc: d
  condition: proc.name = sh
  output: o
  priority: WARNING
";
        let mut e = Engine::new();
        let res = e.load("r.yaml", rules);
        assert!(res.successful, "{res:?}");
        let names = |ev: &Typed| -> Vec<String> {
            e.evaluate(ev, RuleMatching::All)
                .into_iter()
                .map(|r| r.name.clone())
                .collect()
        };
        assert_eq!(
            names(&Typed(Some("openat"), "sh")),
            ["Open", "Not exec", "Any"]
        );
        assert_eq!(names(&Typed(Some("execve"), "sh")), ["Any"]);
        assert_eq!(names(&Typed(Some("connect"), "sh")), ["Not exec", "Any"]);
        assert_eq!(
            names(&Typed(Some("no_such_type"), "sh")),
            ["Not exec", "Any"]
        );
        assert_eq!(names(&Typed(None, "sh")), ["Any"]);
        assert!(names(&Typed(Some("openat"), "bash")).is_empty());
        assert_eq!(
            evttypes::type_id("openat").and_then(evttypes::type_name),
            Some("openat")
        );
        assert_eq!(evttypes::type_id("no_such_type"), None);
    }

    /// The table ids index is a sorted, duplicate-free table (binary search finds every name).
    #[test]
    fn every_event_type_has_its_own_id() {
        for id in 0..evttypes::type_count() {
            let id = EvtTypeIdFor::try_from(id).unwrap();
            let name = evttypes::type_name(id).unwrap();
            assert_eq!(evttypes::type_id(name), Some(id), "{name}");
        }
    }

    type EvtTypeIdFor = evttypes::EvtTypeId;

    const RULES: &str = "- rule: Clear Log Activities\n  desc: d\n  condition: evt.type = unlinkat and fs.path.name startswith /var/log/\n  output: o %proc.name\n  priority: WARNING\n";
    const BLOCK: &str = "- rule: Clear Log Activities\n  exceptions:\n    - name: rm_dpkg\n      fields: [proc.name, fs.path.name]\n      values:\n        - [rm, /var/log/dpkg.log]\n  override:\n    exceptions: append\n";

    /// A clone is independent of its original: a block loaded into the clone changes the
    /// clone only, and gives the same diagnostics and matches as loading every file again.
    #[test]
    fn clone_then_load_equals_loading_again_and_leaves_the_original() {
        let mut base = Engine::new();
        assert!(base.load("rules.yaml", RULES).successful);
        let mut cloned = base.clone();
        let via_clone = cloned.load("block.yaml", BLOCK);
        let mut fresh = Engine::new();
        fresh.load("rules.yaml", RULES);
        let via_fresh = fresh.load("block.yaml", BLOCK);
        assert!(via_clone.successful, "{via_clone:?}");
        assert_eq!(format!("{via_clone:?}"), format!("{via_fresh:?}"));
        let benign = Del("rm", "/var/log/dpkg.log");
        let other = Del("rm", "/var/log/auth.log");
        let hits = |e: &Engine, ev: &Del| e.evaluate(ev, RuleMatching::First).len();
        assert_eq!((hits(&cloned, &benign), hits(&cloned, &other)), (0, 1));
        assert_eq!((hits(&fresh, &benign), hits(&fresh, &other)), (0, 1));
        // The original still alerts on both.
        assert_eq!((hits(&base, &benign), hits(&base, &other)), (1, 1));
        assert_eq!(
            base.rule("Clear Log Activities")
                .map(|r| r.exception_fields.len()),
            Some(0)
        );
        // A bad block in a clone reports the same error as after a fresh load.
        let bad = BLOCK.replace("fields: [proc.name, fs.path.name]", "fields: [proc.nme]");
        let e1 = base.clone().load("block.yaml", &bad);
        let mut f2 = Engine::new();
        f2.load("rules.yaml", RULES);
        let e2 = f2.load("block.yaml", &bad);
        assert!(!e1.successful);
        assert_eq!(format!("{e1:?}"), format!("{e2:?}"));
    }
}
