//! Alerts as Falco prints them: a text line, or a Falco JSON object.

use std::collections::BTreeMap;
use std::io::{self, Write};

use quell_rules::compile::CompiledRule;
use quell_rules::field::Event;
use quell_rules::output::{falco_time, text_time};
use serde_json::{json, Value as Json};

/// Builds Falco's JSON alert for a rule that matched an event at `ts_ns`.
/// Keys come out in alphabetical order, as Falco's JSON does.
pub fn alert_json(rule: &CompiledRule, ev: &dyn Event, ts_ns: u64, hostname: &str) -> Json {
    let mut fields = rule.format.output_fields(ev);
    fields.insert("evt.time".to_string(), json!(ts_ns));
    json!({
        "hostname": hostname,
        "output": alert_line(rule, ev, ts_ns),
        "output_fields": fields,
        "priority": rule.priority.as_str(),
        "rule": rule.name,
        "source": rule.source,
        "tags": rule.tags,
        "time": falco_time(ts_ns),
    })
}

/// Falco's text alert: `<time>: <Priority> <output>`.
pub fn alert_line(rule: &CompiledRule, ev: &dyn Event, ts_ns: u64) -> String {
    format!(
        "{}: {} {}",
        text_time(ts_ns),
        rule.priority.as_str(),
        rule.format.render(ev)
    )
}

/// Escapes control characters, as Falco does for text output.
fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Writes alerts to a stream and counts them per rule.
pub struct AlertSink<W: Write> {
    out: W,
    json: bool,
    hostname: String,
    /// Alerts per rule name.
    pub counts: BTreeMap<String, u64>,
}

impl<W: Write> AlertSink<W> {
    /// A sink printing text lines, or JSON with `json`.
    pub fn new(out: W, json: bool) -> Self {
        let hostname = host_name();
        AlertSink {
            out,
            json,
            hostname,
            counts: BTreeMap::new(),
        }
    }

    /// Prints one alert.
    pub fn emit(&mut self, rule: &CompiledRule, ev: &dyn Event, ts_ns: u64) -> io::Result<()> {
        *self.counts.entry(rule.name.clone()).or_default() += 1;
        if self.json {
            let v = alert_json(rule, ev, ts_ns, &self.hostname);
            writeln!(self.out, "{v}")
        } else {
            writeln!(
                self.out,
                "{}",
                escape_controls(&alert_line(rule, ev, ts_ns))
            )
        }
    }

    /// Flushes the stream.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Total alerts.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// The current time in nanoseconds since the epoch, for events without a timestamp.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// This machine's host name, as alerts carry it (empty when it cannot be read).
pub fn host_name() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}
