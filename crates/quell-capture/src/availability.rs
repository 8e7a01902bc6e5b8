//! Which loaded rules can never fire under live capture, and why.
//!
//! A field `quell run` never produces ([`quell_rules::fields_table::NOT_LIVE`])
//! is missing from every live event, and with Falco's semantics a check on a
//! missing field is false (even `!=` and `exists`). A rule's condition is
//! evaluated in three-valued logic with those checks false and every other
//! check unknown: when the result is false whatever the other checks give,
//! the rule can never fire live. So can a rule whose event types are all
//! types quell does not capture. Rules that merely read such a field in one
//! branch (and can still fire through another) are not reported.

use std::collections::BTreeSet;

use quell_rules::compile::{CompiledRule, EvtTypes};
use quell_rules::fields_table::{not_live_reason, registry};
use quell_rules::syntax::{Expr, Operand, Rhs, TArg};

use crate::syscalls;

/// A loaded rule that cannot fire under `quell run`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeverFires {
    /// The rule's name.
    pub rule: String,
    /// Why, one entry per cause (`fd.sip.name: host names are not resolved ...`).
    pub why: Vec<String>,
}

/// Kleene's three truth values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tri {
    False,
    Unknown,
    True,
}

/// The enabled rules among `rules` that can never fire live, in load order.
pub fn never_firing(rules: &[CompiledRule]) -> Vec<NeverFires> {
    let mut out = Vec::new();
    for r in rules.iter().filter(|r| r.enabled) {
        if let EvtTypes::Only(types) = &r.evttypes {
            if !types.is_empty() && types.iter().all(|t| !captured_type(t)) {
                let list: Vec<&str> = types.iter().map(String::as_str).collect();
                out.push(NeverFires {
                    rule: r.name.clone(),
                    why: vec![format!(
                        "event types {} are not captured live",
                        list.join(", ")
                    )],
                });
                continue;
            }
        }
        let mut missing = BTreeSet::new();
        if eval(&r.expr, &mut missing) == Tri::False && !missing.is_empty() {
            out.push(NeverFires {
                rule: r.name.clone(),
                why: missing
                    .into_iter()
                    .map(|(f, why)| format!("{f}: {why}"))
                    .collect(),
            });
        }
    }
    out
}

/// Whether live capture produces events of type `t`.
fn captured_type(t: &str) -> bool {
    syscalls::number_of(t).is_some() || matches!(t, "clone" | "procexit")
}

fn eval(e: &Expr, missing: &mut BTreeSet<(String, &'static str)>) -> Tri {
    match e {
        Expr::And(xs) => {
            let vs: Vec<Tri> = xs.iter().map(|x| eval(x, missing)).collect();
            if vs.contains(&Tri::False) {
                Tri::False
            } else if vs.iter().all(|v| *v == Tri::True) {
                Tri::True
            } else {
                Tri::Unknown
            }
        }
        Expr::Or(xs) => {
            let vs: Vec<Tri> = xs.iter().map(|x| eval(x, missing)).collect();
            if vs.contains(&Tri::True) {
                Tri::True
            } else if vs.iter().all(|v| *v == Tri::False) {
                Tri::False
            } else {
                Tri::Unknown
            }
        }
        Expr::Not(x) => match eval(x, missing) {
            Tri::False => Tri::True,
            Tri::True => Tri::False,
            Tri::Unknown => Tri::Unknown,
        },
        Expr::Ident { .. } => Tri::Unknown,
        Expr::Check(c) => {
            let mut fields = Vec::new();
            operand_fields(&c.lhs, &mut fields);
            if let Rhs::Operand(o) = &c.rhs {
                operand_fields(o, &mut fields);
            }
            let mut out = Tri::Unknown;
            for (name, arg) in fields {
                if let Some(why) = unavailable(&name, arg.as_deref()) {
                    missing.insert((name, why));
                    out = Tri::False;
                }
            }
            out
        }
    }
}

/// Why field `name` (with its bracketed argument) is missing from live
/// events, or `None` when `quell run` produces it.
pub fn unavailable(name: &str, arg: Option<&str>) -> Option<&'static str> {
    let f = registry().resolve(name, arg).ok()?;
    not_live_reason(f.name)
}

fn operand_fields(o: &Operand, out: &mut Vec<(String, Option<String>)>) {
    match o {
        Operand::Field { name, arg, .. } => out.push((name.clone(), arg.clone())),
        Operand::Transformer { args, .. } => {
            for a in args {
                targ_fields(a, out);
            }
        }
    }
}

fn targ_fields(a: &TArg, out: &mut Vec<(String, Option<String>)>) {
    match a {
        TArg::Operand(o) => operand_fields(o, out),
        TArg::List(xs) => xs.iter().for_each(|x| targ_fields(x, out)),
        TArg::Value(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quell_rules::engine::Engine;

    fn load(yaml: &str) -> Engine {
        let mut e = Engine::new();
        e.load("t.yaml", yaml);
        e
    }

    fn rule(name: &str, cond: &str) -> String {
        format!("- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o\n  priority: INFO\n")
    }

    #[test]
    fn rules_that_need_a_missing_field_never_fire() {
        let yaml = [
            rule("dns", "evt.type = connect and fd.sip.name = api.example"),
            rule(
                "dns or",
                "evt.type = connect and (fd.sip.name = x or fd.sport = 443)",
            ),
            rule("not dns", "evt.type = connect and not fd.sip.name = x"),
            rule(
                "env",
                "evt.type = execve and proc.aenv[2] contains X and proc.name = sh",
            ),
            rule(
                "mount",
                "evt.type = open and container.mount.dest[/etc] exists",
            ),
            rule("fine", "evt.type = open and fd.name = /etc/shadow"),
            rule("read", "evt.type = read and fd.name = /etc/shadow"),
            rule(
                "transformer",
                "evt.type = open and tolower(proc.aenv[1]) contains x",
            ),
        ]
        .concat();
        let e = load(&yaml);
        let got = never_firing(e.rules());
        let names: Vec<&str> = got.iter().map(|n| n.rule.as_str()).collect();
        // fd.sip.name and proc.env are produced (the names conditions
        // mention are resolved; the environment comes with the exec)
        assert_eq!(names, ["env", "mount", "read", "transformer"]);
        assert!(
            got[1].why[0].starts_with("container.mount.dest: "),
            "{:?}",
            got[1]
        );
        assert_eq!(got[2].why, ["event types read are not captured live"]);
    }

    #[test]
    fn disabled_rules_are_not_reported() {
        let yaml = format!(
            "{}  enabled: false\n",
            rule(
                "mount",
                "evt.type = open and container.mount.dest[/etc] exists"
            )
        );
        assert!(never_firing(load(&yaml).rules()).is_empty());
    }
}
