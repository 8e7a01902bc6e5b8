//! `quell rules`: list the loaded rules, or show one rule's compiled condition.

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::Write;

use anyhow::{bail, Result};
use quell_events::term::escape;
use quell_rules::compile::{CompiledRule, EvtTypes};
use serde_json::{json, Value as Json};

use crate::output::Out;
use crate::ruleset;

fn evttypes_json(e: &EvtTypes) -> Json {
    match e {
        EvtTypes::Only(s) => json!(s),
        EvtTypes::AllBut(s) if s.is_empty() => json!("all"),
        EvtTypes::AllBut(s) => json!({ "all_except": s }),
    }
}

fn evttypes_text(e: &EvtTypes) -> String {
    match e {
        EvtTypes::Only(s) => s.iter().cloned().collect::<Vec<_>>().join(","),
        EvtTypes::AllBut(s) if s.is_empty() => "(all)".into(),
        EvtTypes::AllBut(s) => format!(
            "(all except {})",
            s.iter().cloned().collect::<Vec<_>>().join(",")
        ),
    }
}

fn rule_json(r: &CompiledRule) -> Json {
    json!({
        "name": r.name,
        "desc": r.desc,
        "priority": r.priority.as_str(),
        "source": r.source,
        "tags": r.tags,
        "enabled": r.enabled,
        "capture": r.capture,
        "capture_duration": r.capture_duration,
        "output": r.output,
        "evttypes": evttypes_json(&r.evttypes),
        "exception_fields": r.exception_fields,
        "condition_compiled": r.condition_compiled,
    })
}

/// Runs `quell rules`.
pub fn run(
    rules: &[PathBuf],
    with_defaults: bool,
    json: bool,
    name: Option<&str>,
) -> Result<ExitCode> {
    let engine = ruleset::load(rules, with_defaults)?;
    let mut out = Out::new();
    match name {
        Some(n) => {
            let Some(r) = engine.rule(n) else {
                let close: Vec<&str> = engine
                    .rules()
                    .iter()
                    .map(|r| r.name.as_str())
                    .filter(|m| m.to_lowercase().contains(&n.to_lowercase()))
                    .take(5)
                    .collect();
                let n = escape(n);
                if close.is_empty() {
                    bail!("no rule named '{n}' (run `quell rules` to list them)");
                }
                let close: Vec<_> = close.into_iter().map(escape).collect();
                bail!("no rule named '{n}'; did you mean: {}?", close.join("; "));
            };
            if json {
                writeln!(out, "{}", rule_json(r))?;
            } else {
                writeln!(out, "rule:      {}", escape(&r.name))?;
                writeln!(out, "priority:  {}", r.priority.as_str())?;
                writeln!(out, "source:    {}", escape(&r.source))?;
                writeln!(out, "enabled:   {}", r.enabled)?;
                writeln!(out, "tags:      {}", escape(&r.tags.join(", ")))?;
                writeln!(out, "evttypes:  {}", escape(&evttypes_text(&r.evttypes)))?;
                writeln!(out, "output:    {}", escape(&r.output))?;
                writeln!(out, "condition_compiled:")?;
                writeln!(out, "{}", r.condition_compiled)?;
            }
        }
        None => {
            if json {
                let all: Vec<Json> = engine.rules().iter().map(rule_json).collect();
                writeln!(out, "{}", json!({ "rules": all }))?;
            } else {
                writeln!(
                    out,
                    "{:<60} {:<13} {:<8} {:<7} EVTTYPES",
                    "RULE", "PRIORITY", "SOURCE", "ENABLED"
                )?;
                for r in engine.rules() {
                    writeln!(
                        out,
                        "{:<60} {:<13} {:<8} {:<7} {}",
                        escape(&r.name),
                        r.priority.as_str(),
                        escape(&r.source),
                        r.enabled,
                        escape(&evttypes_text(&r.evttypes))
                    )?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
