//! Inputs: recordings (flat JSON Lines events from `quell run --record`) and Falco JSON
//! alerts, read into [`Record`]s, and the alerts a rules engine raises on them.

use std::collections::BTreeMap;

use quell_events::FlatEvent;
use quell_rules::engine::{Engine, RuleMatching};
use quell_rules::Value;
use serde_json::Value as Json;

/// What a person decided about an alert, recorded as `quell.decision` in history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// A false positive (benign activity).
    Benign,
    /// A real incident (true positive).
    Real,
}

impl Decision {
    /// Reads a decision: `benign`, `false_positive`, `fp` → benign; `real`, `true_positive`,
    /// `tp`, `malicious` → real. Anything else is not a decision.
    pub fn parse(s: &str) -> Option<Decision> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "benign" | "false_positive" | "fp" | "likely_false_positive" => Some(Decision::Benign),
            "real" | "true_positive" | "tp" | "malicious" | "likely_real" => Some(Decision::Real),
            _ => None,
        }
    }
}

/// One input line: an event, and for a Falco alert line the rule it names.
#[derive(Clone, Debug)]
pub struct Record {
    /// The event (for an alert: its output fields).
    pub event: FlatEvent,
    /// The rule a Falco JSON alert line names; `None` for a plain event.
    pub rule: Option<String>,
    /// The host an alert line names (`hostname`), if any.
    pub hostname: Option<String>,
    /// A recorded decision (`quell.decision`), if any.
    pub decision: Option<Decision>,
    /// 1-based line number in its input.
    pub line: usize,
    /// The alert line as read, for an alert line.
    pub raw_alert: Option<Json>,
}

/// A line that is not an event or an alert.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {message}")]
pub struct InputError {
    /// The input's name (a file name).
    pub source_name: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses one line (a flat event or a Falco JSON alert).
pub fn parse_line(line: &str, number: usize, source_name: &str) -> Result<Record, InputError> {
    let parsed =
        quell_events::parse_line(line, quell_rules::fields_table::registry()).map_err(|e| {
            InputError {
                source_name: source_name.to_string(),
                line: number,
                message: e.to_string(),
            }
        })?;
    from_line(
        quell_events::Line {
            number,
            event: parsed.event,
            alert: parsed.alert,
            warnings: Vec::new(),
        },
        source_name,
    )
}

/// The record of a line read by quell-events' reader (the one reader of every command).
pub fn from_line(line: quell_events::Line, source_name: &str) -> Result<Record, InputError> {
    let number = line.number;
    let err = |message: String| InputError {
        source_name: source_name.to_string(),
        line: number,
        message,
    };
    let mut event = line.event;
    let (rule, hostname, decision, raw_alert) = match line.alert {
        Some(obj) => {
            let rule = match obj.get("rule") {
                Some(Json::String(s)) => s.clone(),
                _ => return Err(err("alert line: `rule` must be a string".into())),
            };
            let hostname = obj
                .get("hostname")
                .and_then(Json::as_str)
                .map(str::to_string);
            let decision = obj
                .get("quell.decision")
                .or_else(|| {
                    obj.get("output_fields")
                        .and_then(|o| o.get("quell.decision"))
                })
                .and_then(Json::as_str)
                .and_then(Decision::parse);
            (Some(rule), hostname, decision, Some(Json::Object(obj)))
        }
        None => {
            let decision = event
                .get("quell.decision")
                .and_then(|v| v.as_str())
                .and_then(Decision::parse);
            let hostname = event
                .get("hostname")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            (None, hostname, decision, None)
        }
    };
    event.remove("quell.decision");
    Ok(Record {
        event,
        rule,
        hostname,
        decision,
        line: number,
        raw_alert,
    })
}

/// Parses every non-blank line of a text with quell-events' reader. The first bad line is
/// an error naming it (for bundled data and tests; commands read files through the reader
/// themselves, reporting and skipping bad lines).
pub fn parse_records(text: &str, source_name: &str) -> Result<Vec<Record>, InputError> {
    let mut out = Vec::new();
    for item in quell_events::RecordReader::new(text.as_bytes()) {
        match item {
            Ok(line) => out.push(from_line(line, source_name)?),
            Err(quell_events::ReadError::Bad(e)) => {
                return Err(InputError {
                    source_name: source_name.to_string(),
                    line: e.line,
                    message: e.problem.to_string(),
                })
            }
            Err(quell_events::ReadError::Io { line, source }) => {
                return Err(InputError {
                    source_name: source_name.to_string(),
                    line: line + 1,
                    message: format!("read error: {source}"),
                })
            }
        }
    }
    Ok(out)
}

/// Read access to an event's fields by canonical key: the owned [`FlatEvent`] records keep,
/// and the borrowed [`quell_events::EventRef`] the reader yields (which reads the same), so
/// that a record can be looked at before it is copied.
pub trait Fields {
    /// The value under `key`, as `FlatEvent::get` (text borrowed).
    fn value(&self, key: &str) -> Option<Value<'_>>;
}

impl Fields for FlatEvent {
    fn value(&self, key: &str) -> Option<Value<'_>> {
        self.get(key).map(Value::borrowed)
    }
}

impl Fields for quell_events::EventRef<'_> {
    fn value(&self, key: &str) -> Option<Value<'_>> {
        self.get(key)
    }
}

/// A value as text, borrowed when it is text: `None` for a list, `<NA>` or an empty string.
pub fn value_text<'v>(v: &'v Value<'_>) -> Option<std::borrow::Cow<'v, str>> {
    let s = match v {
        Value::Str(s) => std::borrow::Cow::Borrowed(s.as_ref()),
        Value::List(_) => return None,
        other => std::borrow::Cow::Owned(other.to_string()),
    };
    if s.is_empty() || s == "<NA>" {
        None
    } else {
        Some(s)
    }
}

/// A value as an integer, if it is one (or a numeric string).
pub fn value_int(v: &Value<'_>) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Uint(u) => i64::try_from(*u).ok(),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A field as text: `None` when absent, `<NA>`, or an empty string.
pub fn text(ev: &FlatEvent, key: &str) -> Option<String> {
    value_text(ev.get(key)?).map(std::borrow::Cow::into_owned)
}

/// A field as an integer, if it is one (or a numeric string).
pub fn int(ev: &FlatEvent, key: &str) -> Option<i64> {
    value_int(ev.get(key)?)
}

/// The event time in nanoseconds, when the event has one.
pub fn time_ns(ev: &FlatEvent) -> Option<u64> {
    ev.timestamp_ns()
}

/// One alert: a rule that matched a record.
#[derive(Clone, Debug)]
pub struct Alert {
    /// The rule's name.
    pub rule: String,
    /// Index of the record in its slice.
    pub index: usize,
}

/// The alerts a set of records stands for: an alert line is an alert of the rule it names
/// (when the engine has that rule, its condition is not re-checked: Falco already decided);
/// an event is evaluated against the engine's enabled rules, first match wins as in Falco.
pub fn alerts(engine: &Engine, records: &[Record]) -> Vec<Alert> {
    let mut out = Vec::new();
    for (index, r) in records.iter().enumerate() {
        match &r.rule {
            Some(rule) => out.push(Alert {
                rule: rule.clone(),
                index,
            }),
            None => {
                for rule in engine.evaluate(&r.event, RuleMatching::First) {
                    out.push(Alert {
                        rule: rule.name.clone(),
                        index,
                    });
                }
            }
        }
    }
    out
}

/// Alerts of one rule over records: alert lines naming it, and events its condition matches.
pub fn rule_alerts(engine: &Engine, rule: &str, records: &[Record]) -> Vec<usize> {
    let compiled = engine.rule(rule);
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| match (&r.rule, compiled) {
            (Some(name), _) => name == rule,
            (None, Some(c)) => c.matches(&r.event),
            (None, None) => false,
        })
        .map(|(i, _)| i)
        .collect()
}

/// Counts values, for summaries.
pub fn count<'a>(items: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for s in items {
        *m.entry(s).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_events_and_alerts() {
        let text = concat!(
            r#"{"evt.type":"unlinkat","proc.name":"rm","fs.path.name":"/var/log/dpkg.log"}"#,
            "\n\n",
            r#"{"hostname":"h1","rule":"Clear Log Activities","output_fields":{"proc.name":"rm","container.image.repository":null},"quell.decision":"false_positive"}"#,
            "\n"
        );
        let recs = parse_records(text, "x.jsonl").unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].rule, None);
        assert_eq!(text_of(&recs[0], "proc.name"), Some("rm".into()));
        assert_eq!(recs[1].rule.as_deref(), Some("Clear Log Activities"));
        assert_eq!(recs[1].hostname.as_deref(), Some("h1"));
        assert_eq!(recs[1].decision, Some(Decision::Benign));
        assert_eq!(recs[1].line, 3);
        assert_eq!(text_of(&recs[1], "container.image.repository"), None);
    }

    fn text_of(r: &Record, k: &str) -> Option<String> {
        text(&r.event, k)
    }

    #[test]
    fn bad_lines_name_their_place() {
        let e = parse_records("{}\n[1]\n", "in.jsonl").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.to_string()
                .starts_with("in.jsonl:2: expected a JSON object"),
            "{e}"
        );
        let e = parse_records("{\"rule\": 3, \"output_fields\": {}}", "a").unwrap_err();
        assert!(e.message.contains("`rule` must be a string"), "{e}");
        assert!(parse_records("not json", "a").is_err());
    }

    #[test]
    fn decisions() {
        assert_eq!(Decision::parse("True-Positive"), Some(Decision::Real));
        assert_eq!(Decision::parse("fp"), Some(Decision::Benign));
        assert_eq!(Decision::parse("maybe"), None);
    }
}
