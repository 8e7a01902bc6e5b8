//! The tools over recorded events (a recording or Falco JSON alert lines): what `quell mcp
//! --events FILE` serves, and what every server answers for a call that carries an
//! `events` argument. Each tool calls what exists: quell-rules' loader and engine,
//! quell-triage's triage, quell-assist's answers (why a rule fired, the verdict, the
//! verified exception, the check of a pasted one).

use std::collections::{BTreeMap, HashMap};

use quell_assist::{Answer, Assistant, Intent, Question};
use quell_events::term::escape;
use quell_events::FalcoAlert;
use quell_rules::engine::{Engine, RuleMatching};
use quell_triage::catalogue::Catalogue;
use quell_triage::history::History;
use quell_triage::input::{alerts, parse_records, Record};
use quell_triage::verify::{load_rules, RulesFile};
use quell_triage::{Lang, Triage};
use serde_json::json;

use crate::args::{
    CheckArgs, ExplainArgs, ProposeArgs, ReplayArgs, SearchArgs, TriageArgs, ValidateArgs,
    DEFAULT_RESULTS,
};
use crate::{clip, Output, ToolError};

/// Rules and the events the tools look at.
pub struct Recorded {
    /// The rules files, in load order.
    pub rules: Vec<RulesFile>,
    /// The events or alerts.
    pub records: Vec<Record>,
    /// The host name samples built from events carry.
    pub hostname: String,
}

/// Parses JSON Lines text given as the argument `arg`: the first bad line is a tool error
/// naming the argument and the line.
pub fn parse_events(arg: &'static str, text: &str) -> Result<Vec<Record>, ToolError> {
    parse_records(text, arg).map_err(|e| {
        ToolError::arg(
            arg,
            format!(
                "`{arg}` line {}: {} (JSON Lines: one event or Falco JSON alert per line)",
                e.line,
                clip(&e.message)
            ),
        )
    })
}

fn lang(l: Option<crate::args::LangArg>) -> Lang {
    l.unwrap_or_default().into()
}

fn engine(rules: &[RulesFile]) -> Result<Engine, ToolError> {
    load_rules(rules).map_err(|e| ToolError::internal(format!("the rules do not load: {e}")))
}

fn signals() -> Result<(), ToolError> {
    quell_triage::signals::table()
        .map(|_| ())
        .map_err(|e| ToolError::internal(e.to_string()))
}

/// An answer's selector problems as a tool error naming `arg`, when it has no subject.
fn selector_error(arg: &'static str, a: &Answer) -> ToolError {
    let msgs: Vec<String> = a
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    ToolError::arg(arg, format!("`{arg}`: {}", msgs.join("; ")))
}

/// `validate_rules`: the loader's diagnostics for `yaml`, loaded after `base` or alone.
pub fn validate(base: &[RulesFile], a: &ValidateArgs) -> Result<Output, ToolError> {
    let name = a.name.clone().unwrap_or_else(|| "rules.yaml".to_string());
    let mut e = Engine::new();
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut base_failed = Vec::new();
    if a.over_loaded_rules.unwrap_or(true) {
        for f in base {
            texts.insert(f.name.clone(), f.text.clone());
            if !e.load(&f.name, &f.text).successful {
                base_failed.push(f.name.clone());
            }
        }
    }
    texts.insert(name.clone(), a.yaml.clone());
    let r = e.load(&name, &a.yaml);
    let mut text = if r.successful {
        format!("{} loads: {} warning(s).", escape(&name), r.warnings.len())
    } else {
        format!(
            "{} does not load: {} error(s), {} warning(s).",
            escape(&name),
            r.errors.len(),
            r.warnings.len()
        )
    };
    for d in r.errors.iter().chain(&r.warnings).take(10) {
        text.push_str(&format!("\n- {}: {}", d.code.name(), clip(&d.message)));
    }
    Ok(Output {
        text,
        json: json!({
            "ok": r.successful,
            "over_loaded_rules": a.over_loaded_rules.unwrap_or(true),
            "base_rules": base.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            "base_failed": base_failed,
            "falco_load_results": [r.to_json(&texts)],
        }),
    })
}

/// `replay`: the alerts the events raise under `base` (and `rules_yaml`).
pub fn replay(base: &[RulesFile], a: &ReplayArgs) -> Result<Output, ToolError> {
    let mut e = engine(base)?;
    if let Some(extra) = &a.rules_yaml {
        let r = e.load("rules_yaml", extra);
        if !r.successful {
            let first = r
                .errors
                .first()
                .map(|d| format!("{}: {}", d.code.name(), clip(&d.message)))
                .unwrap_or_default();
            return Err(ToolError::arg(
                "rules_yaml",
                format!(
                    "`rules_yaml` does not load ({first}); `validate_rules` shows every problem"
                ),
            ));
        }
    }
    let records = parse_events("events", &a.events)?;
    let limit = a.limit.unwrap_or(DEFAULT_RESULTS);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        for rule in e.evaluate(&r.event, RuleMatching::First) {
            *counts.entry(rule.name.clone()).or_default() += 1;
            if out.len() < limit {
                let ts = quell_triage::input::time_ns(&r.event).unwrap_or(0);
                out.push(json!({
                    "record": i + 1,
                    "line": r.line,
                    "rule": rule.name,
                    "priority": rule.priority.as_str(),
                    "output": escape(&FalcoAlert::text_line(rule, &r.event, ts)),
                }));
            }
        }
    }
    let total: usize = counts.values().sum();
    let mut text = format!("{} events, {total} alerts", records.len());
    for (rule, n) in &counts {
        text.push_str(&format!("\n- {n} {}", escape(rule)));
    }
    Ok(Output {
        text,
        json: json!({
            "events": records.len(),
            "alerts_total": total,
            "counts": counts,
            "alerts": out,
            "truncated": total > out.len(),
        }),
    })
}

impl Recorded {
    /// Rules and events given as text (the `events` argument).
    pub fn from_text(rules: Vec<RulesFile>, events: &str) -> Result<Self, ToolError> {
        Ok(Recorded {
            rules,
            records: parse_events("events", events)?,
            hostname: String::new(),
        })
    }

    fn ask(&self, intent: Intent, text: &str, about: Option<&str>, lang: Lang) -> Answer {
        Assistant {
            rules: &self.rules,
            records: &self.records,
            hostname: &self.hostname,
        }
        .answer(
            intent,
            &Question {
                text,
                about,
                lang: Some(lang),
            },
        )
    }

    /// `triage`: the verdict of the alert's cluster, or of every cluster.
    pub fn triage(&self, a: &TriageArgs) -> Result<Output, ToolError> {
        signals()?;
        let lang = lang(a.lang);
        if let Some(sel) = a.alert.as_deref() {
            let ans = self.ask(Intent::FalsePositive, "", Some(sel), lang);
            let Some(v) = ans.verdict.clone() else {
                return Err(selector_error("alert", &ans));
            };
            return Ok(Output {
                text: ans.answer.clone(),
                json: json!({"verdict": v, "evidence": ans.evidence, "diagnostics": ans.diagnostics}),
            });
        }
        let e = engine(&self.rules)?;
        let cat = Catalogue::builtin();
        let hist = History::empty();
        let reports = Triage {
            engine: &e,
            catalogue: &cat,
            history: &hist,
            lang,
            hostname: &self.hostname,
        }
        .run(&self.records);
        let mut text = format!("{} cluster(s) of alerts:", reports.len());
        for r in reports.iter().take(20) {
            text.push_str(&format!(
                "\n- {} {} ({} alert(s)): {}",
                r.cluster,
                escape(&r.rule),
                r.alerts,
                r.verdict.text(lang)
            ));
        }
        Ok(Output {
            text,
            json: json!({
                "clusters": reports.iter().take(100).map(|r| r.to_json()).collect::<Vec<_>>(),
                "total": reports.len(),
            }),
        })
    }

    /// Why the rule fired on the alert `alert` picks (the first without one): its
    /// condition clause by clause with the event's values (quell-assist's `why_fired`).
    pub fn why_fired(
        &self,
        alert: Option<&str>,
        lang: Option<crate::args::LangArg>,
    ) -> Result<Output, ToolError> {
        let why = self.ask(Intent::WhyFired, "", alert, self::lang(lang));
        if why.evidence.is_empty() && !why.diagnostics.is_empty() {
            return Err(selector_error("alert", &why));
        }
        Ok(Output {
            text: why.answer.clone(),
            json: json!({"answer": why.answer, "evidence": why.evidence, "diagnostics": why.diagnostics}),
        })
    }

    /// `explain_alert`: why the rule fired (clause by clause) and the verdict.
    pub fn explain(&self, a: &ExplainArgs) -> Result<Output, ToolError> {
        signals()?;
        let sel = a.alert.as_deref();
        let why = self.why_fired(sel, a.lang)?;
        let fp = self.ask(Intent::FalsePositive, "", sel, lang(a.lang));
        Ok(Output {
            text: format!("{}\n{}", why.text.trim_end(), fp.answer.trim_end()),
            json: json!({
                "why_fired": why.json,
                "verdict": fp.verdict,
                "reasons": {"answer": fp.answer, "evidence": fp.evidence},
            }),
        })
    }

    /// `search_alerts`: the alerts matching the filters, numbered as selectors number them.
    pub fn search(&self, a: &SearchArgs) -> Result<Output, ToolError> {
        let e = engine(&self.rules)?;
        let limit = a.limit.unwrap_or(DEFAULT_RESULTS);
        let text = a.text.as_deref().map(str::to_lowercase);
        let mut out = Vec::new();
        let mut matched = 0usize;
        for (n, al) in alerts(&e, &self.records).iter().enumerate() {
            let r = &self.records[al.index];
            let compiled = e.rule(&al.rule);
            let (priority, output) = match (&r.raw_alert, compiled) {
                (Some(raw), _) => (
                    raw["priority"].as_str().unwrap_or("").to_string(),
                    raw["output"].as_str().unwrap_or("").to_string(),
                ),
                (None, Some(c)) => (
                    c.priority.as_str().to_string(),
                    FalcoAlert::text_line(
                        c,
                        &r.event,
                        quell_triage::input::time_ns(&r.event).unwrap_or(0),
                    ),
                ),
                (None, None) => (String::new(), String::new()),
            };
            if a.rule.as_deref().is_some_and(|x| x != al.rule)
                || a.priority
                    .as_deref()
                    .is_some_and(|p| !p.eq_ignore_ascii_case(&priority))
                || text
                    .as_deref()
                    .is_some_and(|t| !output.to_lowercase().contains(t))
            {
                continue;
            }
            matched += 1;
            if out.len() < limit {
                out.push(json!({
                    "alert": (n + 1).to_string(),
                    "line": r.line,
                    "rule": al.rule,
                    "priority": priority,
                    "output": escape(&output),
                }));
            }
        }
        Ok(Output {
            text: format!(
                "{matched} alert(s) match; {} shown. Name one as `alert` in triage, explain_alert or propose_exception.",
                out.len()
            ),
            json: json!({"alerts": out, "matched": matched, "truncated": matched > out.len()}),
        })
    }

    /// `propose_exception`: quell-assist's verified exception for the alerts judged benign.
    pub fn propose(&self, a: &ProposeArgs) -> Result<Output, ToolError> {
        signals()?;
        let [sel] = a.alerts.as_slice() else {
            return Err(ToolError::arg(
                "alerts",
                "`alerts`: over events give one selector (an alert number, a cluster id, or a condition that picks several alerts)",
            ));
        };
        let ans = self.ask(Intent::WriteException, "", Some(sel), lang(a.lang));
        if ans.verdict.is_none() {
            return Err(selector_error("alerts", &ans));
        }
        Ok(Output {
            text: ans.answer.clone(),
            json: json!({
                "verdict": ans.verdict,
                "exception": ans.exception,
                "refused": ans.exception.is_none(),
                "evidence": ans.evidence,
                "diagnostics": ans.diagnostics,
            }),
        })
    }

    /// `check_exception`: quell-triage's check (`quell tune --check`) of a pasted block.
    pub fn check(&self, a: &CheckArgs) -> Result<Output, ToolError> {
        signals()?;
        let sel = match a.alerts.as_deref().unwrap_or_default() {
            [] => None,
            [one] => Some(one.as_str()),
            _ => {
                return Err(ToolError::arg(
                    "alerts",
                    "`alerts`: over events give at most one selector",
                ))
            }
        };
        if !a
            .yaml
            .lines()
            .any(|l| l.trim_start().starts_with("- rule:") || l.trim_start().starts_with("```"))
        {
            return Err(ToolError::arg(
                "yaml",
                "`yaml` holds no exception block: it starts with a line `- rule: NAME`",
            ));
        }
        let ans = self.ask(Intent::CheckException, &a.yaml, sel, lang(a.lang));
        let Some(report) = &ans.check else {
            if sel.is_some() {
                return Err(selector_error("alerts", &ans));
            }
            return Err(ToolError::internal(
                ans.diagnostics
                    .iter()
                    .map(|d| d.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        };
        Ok(Output {
            text: ans.answer.clone(),
            json: json!({
                "ok": report.ok,
                "problems": report.problems,
                "rules": report.rules,
                "diagnostics": ans.diagnostics,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<RulesFile> {
        vec![RulesFile {
            name: "r.yaml".into(),
            text: "- rule: Clear Log Activities\n  desc: d\n  condition: evt.type = unlinkat and fs.path.name startswith /var/log/\n  output: log cleared (file=%fs.path.name cmd=%proc.cmdline)\n  priority: WARNING\n".into(),
        }]
    }

    #[test]
    fn a_bad_events_line_names_the_argument_and_line() {
        let e = Recorded::from_text(rules(), "{\"evt.type\":\"unlinkat\"}\n{oops\n").err();
        let e = e.expect("a bad line is an error");
        assert_eq!(e.argument, Some("events"));
        assert!(e.message.contains("line 2"), "{}", e.message);
    }

    #[test]
    fn replay_counts_and_escapes() {
        let ev = "{\"evt.type\":\"unlinkat\",\"fs.path.name\":\"/var/log/x\",\"proc.cmdline\":\"rm \\u001b[31mred\"}\n{\"evt.type\":\"open\"}\n";
        let out = replay(
            &rules(),
            &ReplayArgs {
                events: ev.into(),
                rules_yaml: None,
                limit: None,
            },
        )
        .unwrap();
        assert_eq!(out.json["alerts_total"], 1);
        let o = out.json["alerts"][0]["output"].as_str().unwrap();
        assert!(!o.contains('\u{1b}') && o.contains("red"), "{o}");
    }
}
