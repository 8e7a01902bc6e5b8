//! The server's side of quell sensors (`quell run --server`): their batches of alerts with
//! event context, their heartbeats, and what the server shows of them.
//!
//! - A sensor's batch (`Content-Type: application/x-quell-sensor+jsonl`) is JSON Lines of
//!   envelopes `{"alert": {…Falco alert…}, "context": {…}}`. The alert is read by the same
//!   reader as every other ingest ([`crate::ingest`]) and stored byte for byte as its
//!   `alert` member was sent; the context is stored as the alert's event context. A retried
//!   batch sends the same alerts, so the store's content key drops the repeats.
//! - `POST /api/v1/sensors` (sensor or admin token): a heartbeat, recorded with
//!   [`quell_store::Store::report_sensor`] under the token's name. Its `rules` and `spool`
//!   members (which rule-set version the sensor evaluates, a version it refused and why,
//!   its spool's backlog) are kept in memory and shown by `GET /api/v1/sensors` until the
//!   server restarts; the sensor repeats them every heartbeat.
//! - `/metrics` gets each sensor's drop counters ([`render_metrics`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;

use quell_store::Sensor;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value as Json;

use crate::ingest::{incoming, Batch, Format, IngestError, Place, MAX_ALERTS_PER_BATCH};

/// The content type of a sensor's batch.
pub const SENSOR_BATCH_CONTENT_TYPE: &str = "application/x-quell-sensor+jsonl";

/// The longest host name, kernel release or version a heartbeat may give (bytes).
pub const MAX_TEXT: usize = 256;

/// The most drop counters a heartbeat may give.
pub const MAX_DROP_KINDS: usize = 16;

/// The largest `rules` and `spool` members a heartbeat may give, serialised (bytes).
pub const MAX_STATUS_BYTES: usize = 16 << 10;

/// Whether a content type is a sensor's batch.
pub fn is_sensor_batch(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(SENSOR_BATCH_CONTENT_TYPE))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    alert: &'a RawValue,
    #[serde(default)]
    context: Option<Json>,
}

/// A sensor's batch: the alerts (as [`crate::ingest::parse_batch`] gives them) and each
/// one's context (`None` when the line had none or `null`). All or nothing; the error names
/// the line.
pub fn parse_sensor_batch(body: &[u8]) -> Result<(Batch, Vec<Option<Json>>), IngestError> {
    let text = std::str::from_utf8(body).map_err(|e| IngestError {
        place: Place::Body,
        message: format!("the body is not UTF-8 (byte {})", e.valid_up_to()),
    })?;
    let mut alerts = Vec::new();
    let mut contexts = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let place = Place::Line(i + 1);
        if alerts.len() >= MAX_ALERTS_PER_BATCH {
            return Err(IngestError {
                place: Place::Body,
                message: format!(
                    "more than {MAX_ALERTS_PER_BATCH} alerts in one request: send smaller batches"
                ),
            });
        }
        let env: Envelope<'_> = serde_json::from_str(line).map_err(|e| IngestError {
            place,
            message: format!("not a sensor envelope {{\"alert\": {{…}}, \"context\": {{…}}}}: {e}"),
        })?;
        let context = match env.context {
            None | Some(Json::Null) => None,
            Some(c @ Json::Object(_)) => Some(c),
            Some(_) => {
                return Err(IngestError {
                    place,
                    message: "`context` must be an object".into(),
                })
            }
        };
        alerts.push(incoming(env.alert.get(), place)?);
        contexts.push(context);
    }
    if alerts.is_empty() {
        return Err(IngestError {
            place: Place::Body,
            message: "empty body: expected JSON Lines of sensor envelopes".into(),
        });
    }
    Ok((
        Batch {
            format: Format::JsonLines,
            alerts,
        },
        contexts,
    ))
}

/// A heartbeat's body.
#[derive(Clone, Debug, Deserialize)]
pub struct Heartbeat {
    /// The sensor's host name.
    #[serde(default)]
    pub host: String,
    /// Its kernel release.
    #[serde(default)]
    pub kernel: String,
    /// Its quell version.
    #[serde(default)]
    pub quell_version: String,
    /// Drop counters by kind (`kernel`: the ring buffers were full; `spool`: the spool was
    /// full), totals since the sensor started.
    #[serde(default)]
    pub drops: BTreeMap<String, u64>,
    /// Which rules the sensor evaluates (source, version, a refused version and why).
    #[serde(default)]
    pub rules: Option<Json>,
    /// Its spool's backlog.
    #[serde(default)]
    pub spool: Option<Json>,
}

impl Heartbeat {
    /// Checks the limits; the message is the 400's.
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("host", &self.host),
            ("kernel", &self.kernel),
            ("quell_version", &self.quell_version),
        ] {
            if v.len() > MAX_TEXT {
                return Err(format!("`{name}` is longer than {MAX_TEXT} bytes"));
            }
        }
        if self.drops.len() > MAX_DROP_KINDS {
            return Err(format!("more than {MAX_DROP_KINDS} drop counters"));
        }
        for (k, v) in &self.drops {
            let ok = !k.is_empty()
                && k.len() <= 32
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(
                    "a drop counter's name is 1 to 32 of a-z, 0-9 and `_` (kernel, spool)".into(),
                );
            }
            if i64::try_from(*v).is_err() {
                return Err("a drop counter is out of range".into());
            }
        }
        for (name, v) in [("rules", &self.rules), ("spool", &self.spool)] {
            if let Some(v) = v {
                if !v.is_object() {
                    return Err(format!("`{name}` must be an object"));
                }
                if serde_json::to_string(v).map_or(0, |s| s.len()) > MAX_STATUS_BYTES {
                    return Err(format!("`{name}` is larger than {MAX_STATUS_BYTES} bytes"));
                }
            }
        }
        Ok(())
    }
}

/// What the latest heartbeat of each sensor said beyond what the store keeps.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Live {
    /// The rules the sensor evaluates.
    pub rules: Option<Json>,
    /// Its spool's backlog.
    pub spool: Option<Json>,
}

/// The latest [`Live`] of each sensor, by name (sensors are bounded by the tokens an admin
/// created, so the map is too).
#[derive(Debug, Default)]
pub struct LiveStatus {
    by_name: Mutex<HashMap<String, Live>>,
}

impl LiveStatus {
    /// Records `name`'s latest status.
    pub fn set(&self, name: &str, live: Live) {
        self.by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), live);
    }

    /// `name`'s latest status, if it reported since the server started.
    pub fn get(&self, name: &str) -> Option<Live> {
        self.by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }
}

/// A sensor as `GET /api/v1/sensors` shows it.
#[derive(Debug, Serialize)]
pub struct SensorView {
    /// What the store keeps.
    #[serde(flatten)]
    pub sensor: Sensor,
    /// The rules it evaluates (`null` until it reports after a server restart).
    pub rules: Option<Json>,
    /// Its spool's backlog.
    pub spool: Option<Json>,
}

/// The sensors' lines of `/metrics`: how many, and each one's drop counters and last report.
pub fn render_metrics(sensors: &[Sensor]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# HELP quell_sensors Sensors registered.\n# TYPE quell_sensors gauge\nquell_sensors {}",
        sensors.len()
    );
    let _ = writeln!(
        o,
        "# HELP quell_sensor_drops Events or alerts a sensor lost, by kind (kernel: its ring buffers were full; spool: its spool was full), as its latest heartbeat reported since it started.\n# TYPE quell_sensor_drops gauge"
    );
    for s in sensors {
        for (kind, n) in &s.drops {
            let _ = writeln!(
                o,
                "quell_sensor_drops{{sensor=\"{}\",kind=\"{}\"}} {n}",
                crate::metrics::escape_label(&s.name),
                crate::metrics::escape_label(kind)
            );
        }
    }
    let _ = writeln!(
        o,
        "# HELP quell_sensor_last_seen_seconds When a sensor last reported, in seconds since the epoch.\n# TYPE quell_sensor_last_seen_seconds gauge"
    );
    for s in sensors {
        let _ = writeln!(
            o,
            "quell_sensor_last_seen_seconds{{sensor=\"{}\"}} {}",
            crate::metrics::escape_label(&s.name),
            s.last_seen_ns / 1_000_000_000
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALERT: &str = r#"{"hostname":"h","output":"o","output_fields":{},"priority":"Warning","rule":"R","source":"syscall","tags":[],"time":"2026-07-31T12:34:56.123456789Z"}"#;

    #[test]
    fn envelopes_keep_the_alert_bytes_and_the_context() {
        let body = format!(
            "{{\"alert\":{ALERT},\"context\":{{\"lineage\":[]}}}}\n{{\"alert\":{ALERT}}}\n"
        );
        let (b, ctx) = parse_sensor_batch(body.as_bytes()).unwrap();
        assert_eq!(b.alerts.len(), 2);
        assert_eq!(b.alerts[0].raw, ALERT);
        assert_eq!(ctx[0], Some(serde_json::json!({"lineage": []})));
        assert_eq!(ctx[1], None);
        let e = parse_sensor_batch(format!("{{\"alert\":{ALERT}}}\n{{\"alert\":{{}}}}").as_bytes())
            .unwrap_err();
        assert_eq!(e.place, Place::Line(2));
        let e = parse_sensor_batch(format!("{{\"alert\":{ALERT},\"context\":3}}").as_bytes())
            .unwrap_err();
        assert!(e.message.contains("context"), "{e}");
        assert!(parse_sensor_batch(b"").is_err());
        assert!(parse_sensor_batch(ALERT.as_bytes()).is_err());
        assert!(is_sensor_batch(Some(
            "application/x-quell-sensor+jsonl; charset=utf-8"
        )));
        assert!(!is_sensor_batch(Some("application/x-ndjson")));
    }

    #[test]
    fn heartbeat_limits() {
        let hb = |v: serde_json::Value| -> Heartbeat { serde_json::from_value(v).unwrap() };
        assert!(
            hb(serde_json::json!({"host": "h", "drops": {"kernel": 1, "spool": 0}}))
                .check()
                .is_ok()
        );
        assert!(hb(serde_json::json!({"drops": {"Kernel drops": 1}}))
            .check()
            .is_err());
        assert!(hb(serde_json::json!({"host": "x".repeat(300)}))
            .check()
            .is_err());
        assert!(hb(serde_json::json!({"rules": "v1"})).check().is_err());
        assert!(hb(serde_json::json!({"drops": {"kernel": u64::MAX}}))
            .check()
            .is_err());
    }
}
