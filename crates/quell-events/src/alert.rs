//! [`FalcoAlert`]: the alert quell raises, in Falco's JSON shape and text line.

use quell_rules::compile::CompiledRule;
use quell_rules::output::{falco_time, text_time};
use quell_rules::Event;
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// A Falco alert: what `quell replay --json` and `quell run --json` print, one per line, and
/// what triage shows as a cluster's sample. The fields are declared in alphabetical order,
/// so its JSON has Falco's key order (`hostname`, `output`, `output_fields`, `priority`,
/// `rule`, `source`, `tags`, `time`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FalcoAlert {
    /// The host the event was seen on.
    pub hostname: String,
    /// The text alert line ([`FalcoAlert::text_line`]).
    pub output: String,
    /// The values of the fields the rule's output names (`evt.time` as integer nanoseconds).
    pub output_fields: Map<String, Json>,
    /// The rule's priority, as Falco spells it.
    pub priority: &'static str,
    /// The rule's name.
    pub rule: String,
    /// The rule's source (`syscall`).
    pub source: String,
    /// The rule's tags.
    pub tags: Vec<String>,
    /// The event time in Falco's RFC 3339 form.
    pub time: String,
}

/// [`FalcoAlert`] borrowed, for [`FalcoAlert::write_json_line`]: the same fields in the same
/// order (a test compares the two).
#[derive(Serialize)]
struct AlertRef<'a> {
    hostname: &'a str,
    output: &'a str,
    output_fields: &'a Map<String, Json>,
    priority: &'static str,
    rule: &'a str,
    source: &'a str,
    tags: &'a [String],
    time: &'a str,
}

impl FalcoAlert {
    /// The alert of `rule` on `ev`, at `ts_ns` nanoseconds since the epoch, on `hostname`.
    pub fn new(rule: &CompiledRule, ev: &dyn Event, ts_ns: u64, hostname: &str) -> Self {
        let mut output_fields = rule.format.output_fields(ev);
        output_fields.insert("evt.time".to_string(), Json::from(ts_ns));
        FalcoAlert {
            hostname: hostname.to_string(),
            output: Self::text_line(rule, ev, ts_ns),
            output_fields,
            priority: rule.priority.as_str(),
            rule: rule.name.clone(),
            source: rule.source.clone(),
            tags: rule.tags.clone(),
            time: falco_time(ts_ns),
        }
    }

    /// Falco's text alert: `<time>: <Priority> <output>`. The values are as the event holds
    /// them: show it on a terminal through [`crate::term::escape`].
    pub fn text_line(rule: &CompiledRule, ev: &dyn Event, ts_ns: u64) -> String {
        format!(
            "{}: {} {}",
            text_time(ts_ns),
            rule.priority.as_str(),
            rule.format.render(ev)
        )
    }

    /// Appends the JSON line of the alert of `rule` on `ev` to `out` (no line break): the
    /// bytes [`FalcoAlert::new`] then [`FalcoAlert::to_json_line`] give, without building
    /// the owned alert (the rule's name, source and tags and the host name are borrowed).
    pub fn write_json_line(
        out: &mut Vec<u8>,
        rule: &CompiledRule,
        ev: &dyn Event,
        ts_ns: u64,
        hostname: &str,
    ) {
        let mut output_fields = rule.format.output_fields(ev);
        output_fields.insert("evt.time".to_string(), Json::from(ts_ns));
        let alert = AlertRef {
            hostname,
            output: &Self::text_line(rule, ev, ts_ns),
            output_fields: &output_fields,
            priority: rule.priority.as_str(),
            rule: &rule.name,
            source: &rule.source,
            tags: &rule.tags,
            time: &falco_time(ts_ns),
        };
        // Writing into a vector fails only if serialisation does, which these types cannot.
        let _ = serde_json::to_writer(out, &alert);
    }

    /// The alert as a JSON value.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// The alert as one line of JSON (no line break): control characters are escaped by
    /// JSON's own rules.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlatEvent;
    use quell_rules::engine::Engine;

    const RULES: &str = r#"
- rule: Shell
  desc: d
  condition: evt.type = execve and proc.name = sh
  output: "shell %proc.cmdline by %user.name"
  priority: WARNING
  tags: [b, a]
"#;

    #[test]
    fn json_has_falcos_shape_and_escapes_controls() {
        let mut engine = Engine::new();
        assert!(engine.load("r.yaml", RULES).successful);
        let ev = FlatEvent::from_json_line(
            r#"{"evt.type":"execve","proc.name":"sh","proc.cmdline":"sh -c \u001b]0;pwned\u0007\r\u202e","user.name":"root"}"#,
        )
        .unwrap();
        let rule = engine.rule("Shell").unwrap();
        let a = FalcoAlert::new(rule, &ev, 1_500_000_000_123_456_789, "node-1");
        let line = a.to_json_line();
        let keys: Vec<String> = match serde_json::from_str::<Json>(&line).unwrap() {
            Json::Object(m) => m.keys().cloned().collect(),
            _ => unreachable!(),
        };
        assert_eq!(
            keys,
            [
                "hostname",
                "output",
                "output_fields",
                "priority",
                "rule",
                "source",
                "tags",
                "time"
            ]
        );
        assert!(
            line.starts_with(r#"{"hostname":"node-1","output":"#),
            "{line}"
        );
        assert!(line.contains(r#""priority":"Warning","rule":"Shell","source":"syscall","tags":["a","b"],"time":"2017-07-14T02:40:00.123456789Z"}"#), "{line}");
        assert!(line.contains(r#""evt.time":1500000000123456789"#), "{line}");
        // JSON escapes the control characters itself: none reaches the line raw.
        assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        assert!(line.contains(r#"\u001b]0;pwned\u0007\r"#), "{line}");
        assert_eq!(a.to_json(), serde_json::from_str::<Json>(&line).unwrap());
        // Written straight from the rule and the event: the same bytes.
        let mut direct = b"kept ".to_vec();
        FalcoAlert::write_json_line(&mut direct, rule, &ev, 1_500_000_000_123_456_789, "node-1");
        assert_eq!(String::from_utf8(direct).unwrap(), format!("kept {line}"));
        assert!(a
            .output
            .starts_with("02:40:00.123456789: Warning shell sh -c"));
    }
}
