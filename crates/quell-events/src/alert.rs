//! [`FalcoAlert`]: the alert quell raises, in Falco's JSON shape and text line.

use quell_rules::compile::CompiledRule;
use quell_rules::load::Priority;
use quell_rules::output::{falco_time, parse_falco_time, text_time};
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

    /// Reads an alert from the JSON object Falco's `http_output`/`json_output` writes (also
    /// falcosidekick's payload, whose extra keys such as `uuid` are ignored here).
    ///
    /// `rule` (a string), `priority` (a Falco priority, any case) and `time` (RFC 3339) are
    /// required; `output`, `hostname` and `source` default to empty, empty and `syscall`,
    /// `output_fields` to an empty object (also for `null`), `tags` to none. A value of the
    /// wrong type is an error, never coerced. The error names the key, never echoes the value.
    pub fn from_json(obj: &Map<String, Json>) -> Result<FalcoAlert, AlertError> {
        fn text(
            obj: &Map<String, Json>,
            key: &'static str,
            default: Option<&str>,
        ) -> Result<String, AlertError> {
            match (obj.get(key), default) {
                (Some(Json::String(s)), _) => Ok(s.clone()),
                (None | Some(Json::Null), Some(d)) => Ok(d.to_string()),
                (None | Some(Json::Null), None) => Err(AlertError::Missing(key)),
                (Some(_), _) => Err(AlertError::NotAString(key)),
            }
        }
        let rule = text(obj, "rule", None)?;
        let priority = Priority::parse(&text(obj, "priority", None)?)
            .ok_or(AlertError::UnknownPriority)?
            .as_str();
        let time = text(obj, "time", None)?;
        if parse_falco_time(&time).is_none() {
            return Err(AlertError::BadTime);
        }
        let output_fields = match obj.get("output_fields") {
            None | Some(Json::Null) => Map::new(),
            Some(Json::Object(m)) => m.clone(),
            Some(_) => return Err(AlertError::NotAnObject("output_fields")),
        };
        let tags = match obj.get("tags") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(a)) => a
                .iter()
                .map(|t| t.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or(AlertError::NotAString("tags"))?,
            Some(_) => return Err(AlertError::NotAString("tags")),
        };
        Ok(FalcoAlert {
            hostname: text(obj, "hostname", Some(""))?,
            output: text(obj, "output", Some(""))?,
            output_fields,
            priority,
            rule,
            source: text(obj, "source", Some("syscall"))?,
            tags,
            time,
        })
    }

    /// [`FalcoAlert::from_json`] of a JSON text that must be one object.
    pub fn from_json_str(text: &str) -> Result<FalcoAlert, AlertError> {
        match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(obj)) => FalcoAlert::from_json(&obj),
            Ok(_) => Err(AlertError::NotAnObject("alert")),
            Err(e) => Err(AlertError::Json {
                line: e.line(),
                column: e.column(),
            }),
        }
    }

    /// The alert's `time` in nanoseconds since the epoch (`None` if it is not RFC 3339).
    pub fn time_ns(&self) -> Option<u64> {
        parse_falco_time(&self.time)
    }
}

/// Why a JSON text is not a Falco alert ([`FalcoAlert::from_json`]). The messages name the
/// key at fault, never the value (an alert's values are untrusted).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// The text is not JSON.
    #[error("invalid JSON at line {line}, column {column}")]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The alert, or one of its keys, is not a JSON object.
    #[error("`{0}` must be a JSON object")]
    NotAnObject(&'static str),
    /// A required key is absent or null.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// A key that must be a string (or, for `tags`, an array of strings) is not.
    #[error("`{0}` must be a string")]
    NotAString(&'static str),
    /// `priority` is not one of Falco's priorities.
    #[error("`priority` is not a Falco priority (Emergency ... Debug)")]
    UnknownPriority,
    /// `time` is not an RFC 3339 time after 1970.
    #[error("`time` is not an RFC 3339 time")]
    BadTime,
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

    #[test]
    fn reads_falcos_json_and_refuses_wrong_types() {
        let mut engine = Engine::new();
        assert!(engine.load("r.yaml", RULES).successful);
        let ev = FlatEvent::from_json_line(
            r#"{"evt.type":"execve","proc.name":"sh","proc.cmdline":"sh -c x","user.name":"root"}"#,
        )
        .unwrap();
        let a = FalcoAlert::new(
            engine.rule("Shell").unwrap(),
            &ev,
            1_500_000_000_000_000_001,
            "n",
        );
        // What quell writes, quell reads back as the same alert.
        assert_eq!(FalcoAlert::from_json_str(&a.to_json_line()), Ok(a.clone()));
        assert_eq!(a.time_ns(), Some(1_500_000_000_000_000_001));
        // falcosidekick's payload: extra keys ignored, priority in any case, defaults.
        let b = FalcoAlert::from_json_str(
            r#"{"uuid":"u-1","rule":"R","priority":"warning","time":"2024-01-01T00:00:00Z","output_fields":null}"#,
        )
        .unwrap();
        assert_eq!(
            (b.priority, b.source.as_str(), b.hostname.as_str()),
            ("Warning", "syscall", "")
        );
        assert!(b.output_fields.is_empty() && b.tags.is_empty());
        let bad = |t: &str| FalcoAlert::from_json_str(t).unwrap_err();
        let ok = r#""rule":"R","priority":"Notice","time":"2024-01-01T00:00:00Z""#;
        assert_eq!(bad("[1]"), AlertError::NotAnObject("alert"));
        assert!(matches!(bad("{"), AlertError::Json { .. }));
        assert_eq!(
            bad(r#"{"priority":"Notice","time":"2024-01-01T00:00:00Z"}"#),
            AlertError::Missing("rule")
        );
        assert_eq!(
            bad(r#"{"rule":1,"priority":"Notice","time":"2024-01-01T00:00:00Z"}"#),
            AlertError::NotAString("rule")
        );
        assert_eq!(
            bad(r#"{"rule":"R","priority":"Loud","time":"2024-01-01T00:00:00Z"}"#),
            AlertError::UnknownPriority
        );
        assert_eq!(
            bad(r#"{"rule":"R","priority":"Notice","time":"yesterday"}"#),
            AlertError::BadTime
        );
        assert_eq!(
            bad(&format!(r#"{{{ok},"output_fields":[]}}"#)),
            AlertError::NotAnObject("output_fields")
        );
        assert_eq!(
            bad(&format!(r#"{{{ok},"tags":["a",1]}}"#)),
            AlertError::NotAString("tags")
        );
        assert_eq!(
            bad(&format!(r#"{{{ok},"hostname":7}}"#)),
            AlertError::NotAString("hostname")
        );
    }
}
