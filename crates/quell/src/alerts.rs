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
    /// The line being written, reused from alert to alert.
    line: Vec<u8>,
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
            line: Vec::new(),
            counts: BTreeMap::new(),
        }
    }

    /// Prints one alert.
    pub fn emit(&mut self, rule: &CompiledRule, ev: &dyn Event, ts_ns: u64) -> io::Result<()> {
        match self.counts.get_mut(&rule.name) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(rule.name.clone(), 1);
            }
        }
        self.line.clear();
        if self.json {
            FalcoAlert::write_json_line(&mut self.line, rule, ev, ts_ns, &self.hostname);
        } else {
            self.line
                .extend_from_slice(alert_line(rule, ev, ts_ns).as_bytes());
        }
        // One write per alert: the stream sees whole lines (and whole characters).
        self.line.push(b'\n');
        self.out.write_all(&self.line)
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
