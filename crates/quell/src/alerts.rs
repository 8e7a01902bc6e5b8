//! Alerts as Falco prints them: a text line, or a Falco JSON object ([`FalcoAlert`]).

use std::collections::BTreeMap;
use std::io::{self, Write};

use quell_events::{term, FalcoAlert};
use quell_rules::compile::CompiledRule;
use quell_rules::field::Event;

/// Falco's text alert, `<time>: <Priority> <output>`, made safe for a terminal (control
/// characters, escape sequences and bidi overrides escaped, as Falco escapes them).
pub fn alert_line(rule: &CompiledRule, ev: &dyn Event, ts_ns: u64) -> String {
    term::escape(&FalcoAlert::text_line(rule, ev, ts_ns)).into_owned()
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
            let line = FalcoAlert::new(rule, ev, ts_ns, &self.hostname).to_json_line();
            writeln!(self.out, "{line}")
        } else {
            writeln!(self.out, "{}", alert_line(rule, ev, ts_ns))
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
