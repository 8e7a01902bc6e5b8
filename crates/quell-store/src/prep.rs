//! Backend-neutral work before a write: alerts parsed and keyed, tokens made and hashed.

use quell_events::FalcoAlert;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::{Error, NewAlert, Result};

/// An alert ready to insert.
pub(crate) struct Prepared {
    pub key: String,
    pub time_ns: i64,
    pub rule: String,
    pub priority: &'static str,
    pub hostname: String,
    pub container_id: Option<String>,
    pub container_image: Option<String>,
    pub k8s_namespace: Option<String>,
    pub source: String,
    pub output: String,
    pub raw: String,
    pub context: Option<String>,
    /// quell-triage's behaviour signature (the cluster key's last part, schema 4).
    pub signature: String,
    /// The priority's rank (0 Emergency … 7 Debug), for the inbox's minimum priority.
    pub prio: i64,
}

/// A batch ready to insert.
pub(crate) struct Batch {
    pub sensor: String,
    pub received_ns: i64,
    pub alerts: Vec<Prepared>,
}

/// Parses and keys every alert of a batch; the first that is not a Falco alert refuses it.
pub(crate) fn prepare(sensor: &str, alerts: Vec<NewAlert>, now_ns: u64) -> Result<Batch> {
    let mut out = Vec::with_capacity(alerts.len());
    for (index, mut a) in alerts.into_iter().enumerate() {
        let invalid = |reason| Error::InvalidAlert { index, reason };
        // Parsed once: by the caller when it already did (`NewAlert::parsed`), else here.
        let obj = match a.take_object() {
            Some(obj) => obj,
            None => match serde_json::from_str::<Json>(&a.raw) {
                Ok(Json::Object(obj)) => obj,
                Ok(_) => return Err(invalid(quell_events::AlertError::NotAnObject("alert"))),
                Err(e) => {
                    return Err(invalid(quell_events::AlertError::Json {
                        line: e.line(),
                        column: e.column(),
                    }))
                }
            },
        };
        let alert = FalcoAlert::from_json(&obj).map_err(invalid)?;
        let time_ns = alert
            .time_ns()
            .and_then(|t| i64::try_from(t).ok())
            .ok_or(invalid(quell_events::AlertError::BadTime))?;
        let field = |k: &str| {
            alert
                .output_fields
                .get(k)
                .and_then(Json::as_str)
                .map(str::to_string)
        };
        let container_image =
            field("container.image.repository").or_else(|| field("container.image"));
        let context = match &a.context {
            None | Some(Json::Null) => None,
            Some(c) => Some(serde_json::to_string(c).map_err(|e| Error::Invalid(e.to_string()))?),
        };
        let ctx = a.context.as_ref().filter(|c| !c.is_null());
        let signature = crate::behaviour::signature(&alert.rule, &obj, ctx);
        let prio = quell_rules::load::Priority::parse(alert.priority).map_or(8, |p| p as i64);
        out.push(Prepared {
            key: alert_key(sensor, &obj),
            time_ns,
            container_id: field("container.id"),
            container_image,
            k8s_namespace: field("k8s.ns.name"),
            rule: alert.rule,
            priority: alert.priority,
            hostname: alert.hostname,
            source: alert.source,
            output: alert.output,
            raw: a.raw,
            context,
            signature,
            prio,
        });
    }
    Ok(Batch {
        sensor: sensor.to_string(),
        received_ns: i64::try_from(now_ns).unwrap_or(i64::MAX),
        alerts: out,
    })
}

/// The idempotency key: hex SHA-256 of the sensor and the whole object in canonical form
/// (keys sorted, so a retry that re-serialises the same alert in another key order is
/// still the same alert). A sender's id (falcosidekick's `uuid`) is part of the object: a
/// retry repeats it with the same content, while a sender that reused an id for another
/// alert does not get that alert dropped as a duplicate.
pub(crate) fn alert_key(sensor: &str, obj: &Map<String, Json>) -> String {
    let mut h = Sha256::new();
    h.update(b"quell-alert-key\0");
    h.update((sensor.len() as u64).to_le_bytes());
    h.update(sensor.as_bytes());
    h.update(b"\0content\0");
    let mut text = String::with_capacity(1024);
    canonical_map(obj, &mut text);
    h.update(text.as_bytes());
    hex(&h.finalize())
}

/// JSON with object keys sorted at every level, whatever serde_json's map order.
fn canonical(v: &Json, out: &mut String) {
    match v {
        Json::Object(m) => canonical_map(m, out),
        Json::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        Json::String(t) => string(t, out),
        other => out.push_str(&other.to_string()),
    }
}

/// A decided alert as a line of triage history: the alert as received with
/// `"quell.decision": verdict` at its top level; a `quell.decision` the sender wrote in
/// `output_fields` is removed, so only recorded decisions reach triage. `None` if `raw` is
/// not a JSON object (stored alerts were parsed as objects at ingest).
pub(crate) fn history_line(raw: &str, verdict: String) -> Option<String> {
    let Ok(Json::Object(mut obj)) = serde_json::from_str::<Json>(raw) else {
        return None;
    };
    if let Some(Json::Object(of)) = obj.get_mut("output_fields") {
        of.remove("quell.decision");
    }
    obj.insert("quell.decision".into(), Json::String(verdict));
    Some(Json::Object(obj).to_string())
}

/// An object with its keys sorted (serde_json's map may keep insertion order).
fn canonical_map(m: &Map<String, Json>, out: &mut String) {
    let mut entries: Vec<(&String, &Json)> = m.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (k, x)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(k, out);
        out.push(':');
        canonical(x, out);
    }
    out.push('}');
}

/// A JSON string, escaped as serde_json writes it.
fn string(s: &str, out: &mut String) {
    // Writing into a String cannot fail.
    if let Ok(text) = serde_json::to_string(s) {
        out.push_str(&text);
    }
}

/// A new token: `quell_` and 32 random bytes in hex.
pub(crate) fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Database(format!("no random source for a token: {e}")))?;
    Ok(format!("quell_{}", hex(&bytes)))
}

/// What is stored of a token: hex SHA-256 of its text.
pub(crate) fn token_hash(plain: &str) -> String {
    hex(&Sha256::digest(plain.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(t: &str) -> Map<String, Json> {
        match serde_json::from_str(t).unwrap() {
            Json::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn key_ignores_key_order_but_not_content_time_sensor_or_uuid() {
        let a = obj(r#"{"rule":"R","time":"t1","output_fields":{"a":1,"b":[{"y":1,"x":2}]}}"#);
        let b = obj(r#"{"output_fields":{"b":[{"x":2,"y":1}],"a":1},"time":"t1","rule":"R"}"#);
        assert_eq!(alert_key("s", &a), alert_key("s", &b));
        let c = obj(r#"{"rule":"R","time":"t2","output_fields":{"a":1,"b":[{"y":1,"x":2}]}}"#);
        assert_ne!(alert_key("s", &a), alert_key("s", &c));
        let d = obj(r#"{"rule":"R","time":"t1","output_fields":{"a":2,"b":[{"y":1,"x":2}]}}"#);
        assert_ne!(alert_key("s", &a), alert_key("s", &d));
        assert_ne!(alert_key("s", &a), alert_key("t", &a));
        // A uuid is part of the content: a retry (same uuid, same alert) is the same key;
        // a reused uuid on another alert, or another uuid on the same alert, is not.
        let u1 = obj(r#"{"uuid":"u","rule":"R","time":"t1"}"#);
        let u1_again = obj(r#"{"time":"t1","rule":"R","uuid":"u"}"#);
        let u2 = obj(r#"{"uuid":"u","rule":"R","time":"t2"}"#);
        let u3 = obj(r#"{"uuid":"v","rule":"R","time":"t1"}"#);
        assert_eq!(alert_key("s", &u1), alert_key("s", &u1_again));
        assert_ne!(alert_key("s", &u1), alert_key("s", &u2));
        assert_ne!(alert_key("s", &u1), alert_key("s", &u3));
        assert_ne!(alert_key("s", &u1), alert_key("t", &u1));
        assert_eq!(alert_key("s", &a).len(), 64);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), "quell_".len() + 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert!(!token_hash(&a).contains(&a[6..]));
    }
}
