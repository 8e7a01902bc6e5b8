//! The server's metrics, rendered in Prometheus' text exposition format at `GET /metrics`.
//!
//! Counters and one histogram, kept in memory behind a mutex (updated once per request or
//! batch, not per alert field):
//! - `quell_alerts_ingested_total{rule,priority}`: alerts stored (duplicates not counted);
//! - `quell_alerts_duplicate_total`: alerts of a batch already stored (a retried batch);
//! - `quell_ingest_batches_total{format}` and `quell_ingest_rejected_total{reason}`;
//! - `quell_http_requests_total{route,method,status}`;
//! - `quell_http_request_duration_seconds{route}`: a latency histogram.
//!
//! Rule names come from the senders: label values are escaped as the format requires, and
//! past [`MAX_RULE_SERIES`] distinct (rule, priority) pairs further rules are counted under
//! `rule="(other)"`, so a sender cannot grow the server's memory without bound.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// The most distinct (rule, priority) series kept; more are counted as `(other)`.
pub const MAX_RULE_SERIES: usize = 2_000;

/// The upper bounds of the latency histogram's buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    /// Counts per bucket of [`LATENCY_BUCKETS`] (not cumulative), then the `+Inf` bucket.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    ingested: BTreeMap<(String, &'static str), u64>,
    duplicates: u64,
    batches: BTreeMap<&'static str, u64>,
    rejected: BTreeMap<&'static str, u64>,
    requests: BTreeMap<(&'static str, String, u16), u64>,
    latency: BTreeMap<&'static str, Histogram>,
}

/// The metrics of one server.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// Escapes a label value: backslash, double quote and line feed, as the text format says.
pub(crate) fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Metrics {
    /// Empty metrics.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain counters: still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a committed batch: `stored` are the (rule, priority) of the alerts newly
    /// stored, `duplicates` how many were already there; `format` how the body was read.
    pub fn ingested<'a>(
        &self,
        format: &'static str,
        stored: impl IntoIterator<Item = (&'a str, &'static str)>,
        duplicates: u64,
    ) {
        let mut m = self.lock();
        *m.batches.entry(format).or_default() += 1;
        m.duplicates += duplicates;
        for (rule, priority) in stored {
            let key = (rule.to_string(), priority);
            if let Some(n) = m.ingested.get_mut(&key) {
                *n += 1;
            } else if m.ingested.len() < MAX_RULE_SERIES {
                m.ingested.insert(key, 1);
            } else {
                *m.ingested
                    .entry(("(other)".to_string(), priority))
                    .or_default() += 1;
            }
        }
    }

    /// Counts a rejected ingest request (`reason`: `malformed`, `too_large`, ...).
    pub fn rejected(&self, reason: &'static str) {
        *self.lock().rejected.entry(reason).or_default() += 1;
    }

    /// Counts a request to `route` (the route's pattern, e.g. `/api/v1/alerts/{id}`, or
    /// `(unmatched)`), with its status and how long it took.
    pub fn request(&self, route: &'static str, method: &str, status: u16, took: Duration) {
        let mut m = self.lock();
        *m.requests
            .entry((route, method.to_string(), status))
            .or_default() += 1;
        let h = m.latency.entry(route).or_default();
        let secs = took.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        h.buckets[i] += 1;
        h.sum += secs;
        h.count += 1;
    }

    /// The metrics in Prometheus' text format (version 0.0.4).
    pub fn render(&self) -> String {
        let m = self.lock();
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# HELP quell_alerts_ingested_total Alerts stored, by rule and priority (duplicates not counted).\n# TYPE quell_alerts_ingested_total counter"
        );
        for ((rule, prio), n) in &m.ingested {
            let _ = writeln!(
                o,
                "quell_alerts_ingested_total{{rule=\"{}\",priority=\"{}\"}} {n}",
                escape_label(rule),
                prio
            );
        }
        let _ = writeln!(
            o,
            "# HELP quell_alerts_duplicate_total Alerts received again (a retried batch) and not stored twice.\n# TYPE quell_alerts_duplicate_total counter\nquell_alerts_duplicate_total {}",
            m.duplicates
        );
        let _ = writeln!(
            o,
            "# HELP quell_ingest_batches_total Ingest requests committed, by body format.\n# TYPE quell_ingest_batches_total counter"
        );
        for (f, n) in &m.batches {
            let _ = writeln!(o, "quell_ingest_batches_total{{format=\"{f}\"}} {n}");
        }
        let _ = writeln!(
            o,
            "# HELP quell_ingest_rejected_total Ingest requests refused, by reason.\n# TYPE quell_ingest_rejected_total counter"
        );
        for (r, n) in &m.rejected {
            let _ = writeln!(o, "quell_ingest_rejected_total{{reason=\"{r}\"}} {n}");
        }
        let _ = writeln!(
            o,
            "# HELP quell_http_requests_total HTTP requests, by route, method and status.\n# TYPE quell_http_requests_total counter"
        );
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(
                o,
                "quell_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                escape_label(route),
                escape_label(method)
            );
        }
        let _ = writeln!(
            o,
            "# HELP quell_http_request_duration_seconds Time to answer a request, by route.\n# TYPE quell_http_request_duration_seconds histogram"
        );
        for (route, h) in &m.latency {
            let route = escape_label(route);
            let mut cumulative = 0;
            for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i];
                let _ = writeln!(
                    o,
                    "quell_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                );
            }
            cumulative += h.buckets[LATENCY_BUCKETS.len()];
            let _ = writeln!(
                o,
                "quell_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}\nquell_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\nquell_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.sum, h.count
            );
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_escape_and_cap() {
        let m = Metrics::new();
        m.ingested(
            "array",
            [("Write below etc", "Error"), ("Write below etc", "Error")],
            1,
        );
        m.ingested("jsonl", [("a\"b\\c\nd", "Warning")], 0);
        m.rejected("malformed");
        m.request("/api/v1/alerts", "POST", 200, Duration::from_millis(3));
        m.request("/api/v1/alerts", "POST", 200, Duration::from_secs(20));
        let t = m.render();
        assert!(
            t.contains(
                "quell_alerts_ingested_total{rule=\"Write below etc\",priority=\"Error\"} 2\n"
            ),
            "{t}"
        );
        assert!(
            t.contains(r#"quell_alerts_ingested_total{rule="a\"b\\c\nd",priority="Warning"} 1"#),
            "{t}"
        );
        assert!(t.contains("quell_alerts_duplicate_total 1\n"));
        assert!(t.contains("quell_ingest_batches_total{format=\"array\"} 1\n"));
        assert!(t.contains("quell_ingest_rejected_total{reason=\"malformed\"} 1\n"));
        assert!(t.contains("quell_http_requests_total{route=\"/api/v1/alerts\",method=\"POST\",status=\"200\"} 2\n"));
        // 3 ms is in the 5 ms bucket and above; 20 s only in +Inf.
        assert!(t.contains("quell_http_request_duration_seconds_bucket{route=\"/api/v1/alerts\",le=\"0.0025\"} 0\n"), "{t}");
        assert!(t.contains("quell_http_request_duration_seconds_bucket{route=\"/api/v1/alerts\",le=\"0.005\"} 1\n"), "{t}");
        assert!(t.contains("quell_http_request_duration_seconds_bucket{route=\"/api/v1/alerts\",le=\"10\"} 1\n"), "{t}");
        assert!(t.contains("quell_http_request_duration_seconds_bucket{route=\"/api/v1/alerts\",le=\"+Inf\"} 2\n"), "{t}");
        assert!(
            t.contains("quell_http_request_duration_seconds_count{route=\"/api/v1/alerts\"} 2\n")
        );
        // No raw line break inside a label: every line is a comment or `name{...} value`.
        for line in t.lines() {
            assert!(
                line.starts_with("# ") || line.starts_with("quell_"),
                "{line:?}"
            );
        }

        let many: Vec<String> = (0..MAX_RULE_SERIES + 10).map(|i| format!("r{i}")).collect();
        m.ingested("array", many.iter().map(|r| (r.as_str(), "Notice")), 0);
        let t = m.render();
        assert!(
            t.contains("quell_alerts_ingested_total{rule=\"(other)\",priority=\"Notice\"} 12\n"),
            "cap"
        );
    }
}
