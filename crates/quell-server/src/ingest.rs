//! The ingest parser: a request body and its content type → the alerts of the batch, or
//! the one error that rejects it, naming where (line or element) and which key.
//!
//! Accepted bodies, each alert read by [`FalcoAlert::from_json`] (the one reader of the
//! Falco alert):
//! - Falco's `http_output` (with `json_output: true`): one JSON alert object per request;
//! - falcosidekick's webhook output: the same object with a `uuid` key, which becomes the
//!   alert's [`Incoming::id`];
//! - a JSON array of such objects;
//! - JSON Lines: one object per line (content type `application/x-ndjson`,
//!   `application/jsonl` or `application/x-jsonlines`, or any body whose first line is a
//!   whole JSON value and which has more than one non-blank line). Blank lines are skipped.
//!
//! A batch is all or nothing: one malformed element rejects the whole body. The parser is a
//! pure function that never panics (a property test feeds it arbitrary bytes).

use quell_events::FalcoAlert;
use serde_json::value::RawValue;
use serde_json::Value as Json;

/// The most alerts one request may carry.
pub const MAX_ALERTS_PER_BATCH: usize = 100_000;

/// The longest `uuid` accepted as an alert's id (bytes).
pub const MAX_ID_BYTES: usize = 128;

/// How the body was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object (Falco's `http_output`, falcosidekick's webhook).
    Object,
    /// A JSON array of alert objects.
    Array,
    /// JSON Lines: one alert object per line.
    JsonLines,
}

impl Format {
    /// The name used in metrics and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Object => "object",
            Format::Array => "array",
            Format::JsonLines => "jsonl",
        }
    }
}

/// One alert of a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming {
    /// The alert as parsed.
    pub alert: FalcoAlert,
    /// The id its sender gave it (falcosidekick's `uuid`), if any.
    pub id: Option<String>,
    /// Its JSON text exactly as received (for an array element or a line: that element's
    /// bytes), to be stored and returned byte for byte.
    pub raw: String,
    /// `raw` parsed (the object [`FalcoAlert::from_json`] read), handed to the store with
    /// `raw` (`quell_store::NewAlert::parsed`) so that the alert is parsed once.
    pub object: serde_json::Map<String, Json>,
}

/// A parsed batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// How the body was read.
    pub format: Format,
    /// Its alerts, in order.
    pub alerts: Vec<Incoming>,
}

/// Where in the body an error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The body as a whole.
    Body,
    /// A line of a JSON Lines body (1-based).
    Line(usize),
    /// An element of a JSON array (0-based).
    Element(usize),
}

/// Why a body was rejected: where, and what is wrong (naming the key at fault). Its
/// `Display` is the message a client gets (`line 3: \`priority\` is missing`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestError {
    /// Where the problem is.
    pub place: Place,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for IngestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.place {
            Place::Body => {}
            Place::Line(n) => write!(f, "line {n}: ")?,
            Place::Element(i) => write!(f, "element {i}: ")?,
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for IngestError {}

impl IngestError {
    fn body(message: impl Into<String>) -> Self {
        IngestError {
            place: Place::Body,
            message: message.into(),
        }
    }

    fn at(place: Place, message: impl Into<String>) -> Self {
        IngestError {
            place,
            message: message.into(),
        }
    }
}

/// Whether a content type names JSON Lines.
fn is_json_lines(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        mime.as_str(),
        "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonl"
            | "application/jsonlines"
            | "application/x-jsonlines"
    )
}

/// The JSON type of `v`, for messages.
fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A JSON syntax error as a message (serde_json's text names its line and column).
fn syntax(e: &serde_json::Error) -> String {
    format!("invalid JSON: {e}")
}

/// One alert from its JSON text.
pub(crate) fn incoming(raw: &str, place: Place) -> Result<Incoming, IngestError> {
    let value: Json = serde_json::from_str(raw).map_err(|e| IngestError::at(place, syntax(&e)))?;
    let obj = match value {
        Json::Object(obj) => obj,
        other => {
            return Err(IngestError::at(
                place,
                format!("expected a JSON object, found {}", json_kind(&other)),
            ))
        }
    };
    let alert = FalcoAlert::from_json(&obj).map_err(|e| IngestError::at(place, e.to_string()))?;
    let id = match obj.get("uuid") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) if s.is_empty() => None,
        Some(Json::String(s)) if s.len() > MAX_ID_BYTES => {
            return Err(IngestError::at(
                place,
                format!("`uuid` is longer than {MAX_ID_BYTES} bytes"),
            ))
        }
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err(IngestError::at(place, "`uuid` must be a string")),
    };
    Ok(Incoming {
        alert,
        id,
        raw: raw.to_string(),
        object: obj,
    })
}

fn check_count(n: usize) -> Result<(), IngestError> {
    if n > MAX_ALERTS_PER_BATCH {
        return Err(IngestError::body(format!(
            "more than {MAX_ALERTS_PER_BATCH} alerts in one request: send smaller batches"
        )));
    }
    Ok(())
}

/// The alerts of JSON Lines text.
fn lines(text: &str) -> Result<Vec<Incoming>, IngestError> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        check_count(out.len() + 1)?;
        out.push(incoming(line, Place::Line(i + 1))?);
    }
    Ok(out)
}

/// Parses a request body sent to `POST /api/v1/alerts` ([module docs](self)). `content_type`
/// is the request's `Content-Type` header, if any; it only matters to tell JSON Lines.
pub fn parse_batch(body: &[u8], content_type: Option<&str>) -> Result<Batch, IngestError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        IngestError::body(format!("the body is not UTF-8 (byte {})", e.valid_up_to()))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if trimmed.trim_end().is_empty() {
        return Err(IngestError::body(
            "empty body: expected a Falco JSON alert, an array of them, or JSON Lines",
        ));
    }
    if is_json_lines(content_type) {
        return Ok(Batch {
            format: Format::JsonLines,
            alerts: lines(text)?,
        });
    }
    if trimmed.starts_with('[') {
        let elems: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|e| IngestError::body(syntax(&e)))?;
        check_count(elems.len())?;
        let alerts = elems
            .iter()
            .enumerate()
            .map(|(i, raw)| incoming(raw.get(), Place::Element(i)))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Batch {
            format: Format::Array,
            alerts,
        });
    }
    match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) => Ok(Batch {
            format: Format::Object,
            alerts: vec![incoming(raw.get(), Place::Body)?],
        }),
        Err(whole) => {
            // Several values on several lines, the first line a whole value: JSON Lines
            // sent without its content type.
            let mut non_blank = text.split('\n').filter(|l| !l.trim().is_empty());
            let first = non_blank.next().unwrap_or("");
            let first_is_value = serde_json::from_str::<&RawValue>(first.trim_end()).is_ok();
            if first_is_value && non_blank.next().is_some() {
                Ok(Batch {
                    format: Format::JsonLines,
                    alerts: lines(text)?,
                })
            } else {
                Err(IngestError::body(syntax(&whole)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn alert(rule: &str, host: &str) -> Json {
        json!({
            "hostname": host, "output": format!("12:00:00.000000000: Warning {rule}"),
            "output_fields": {"evt.time": 1_785_501_296_123_456_789u64, "proc.name": "sh", "k8s.ns.name": null},
            "priority": "Warning", "rule": rule, "source": "syscall", "tags": ["t1", "t2"],
            "time": "2026-07-31T12:34:56.123456789Z"
        })
    }

    fn err(body: &str, ct: Option<&str>) -> String {
        parse_batch(body.as_bytes(), ct).unwrap_err().to_string()
    }

    #[test]
    fn reads_each_format() {
        let one = alert("R1", "h1").to_string();
        let b = parse_batch(one.as_bytes(), Some("application/json")).unwrap();
        assert_eq!(b.format, Format::Object);
        assert_eq!(b.alerts.len(), 1);
        assert_eq!(b.alerts[0].raw, one);
        assert_eq!(b.alerts[0].alert.rule, "R1");
        assert_eq!(b.alerts[0].id, None);

        // Pretty-printed single object: still one object.
        let pretty = serde_json::to_string_pretty(&alert("R1", "h1")).unwrap();
        assert_eq!(
            parse_batch(pretty.as_bytes(), None).unwrap().format,
            Format::Object
        );

        let arr = format!("[{}, {}]", alert("A", "h"), alert("B", "h"));
        let b = parse_batch(arr.as_bytes(), None).unwrap();
        assert_eq!(b.format, Format::Array);
        let rules: Vec<_> = b.alerts.iter().map(|a| a.alert.rule.as_str()).collect();
        assert_eq!(rules, ["A", "B"]);
        assert_eq!(b.alerts[1].raw, alert("B", "h").to_string());

        let jl = format!("{}\r\n\n{}\n", alert("A", "h"), alert("B", "h"));
        for ct in [Some("application/x-ndjson"), None, Some("application/json")] {
            let b = parse_batch(jl.as_bytes(), ct).unwrap();
            assert_eq!(b.format, Format::JsonLines, "{ct:?}");
            assert_eq!(b.alerts.len(), 2);
            assert_eq!(b.alerts[0].raw, alert("A", "h").to_string());
        }

        // falcosidekick: the same object with a `uuid`.
        let mut sk = alert("R", "h");
        sk["uuid"] = json!("0b6f2f4e-7d6a-4d47-9a43-9cb2b8f0a6a1");
        sk["priority"] = json!("critical");
        let b = parse_batch(sk.to_string().as_bytes(), Some("application/json")).unwrap();
        assert_eq!(
            b.alerts[0].id.as_deref(),
            Some("0b6f2f4e-7d6a-4d47-9a43-9cb2b8f0a6a1")
        );
        assert_eq!(b.alerts[0].alert.priority, "Critical");
    }

    #[test]
    fn names_where_and_which_key() {
        let good = alert("A", "h").to_string();
        let mut bad = alert("B", "h");
        bad.as_object_mut().unwrap().remove("priority");
        let jl = format!("{good}\n{good}\n{bad}\n");
        assert_eq!(
            err(&jl, Some("application/x-ndjson")),
            "line 3: `priority` is missing"
        );
        assert_eq!(err(&jl, None), "line 3: `priority` is missing");
        let arr = format!("[{good}, {bad}]");
        assert_eq!(err(&arr, None), "element 1: `priority` is missing");
        assert_eq!(err(&bad.to_string(), None), "`priority` is missing");
        assert_eq!(
            err("[1]", None),
            "element 0: expected a JSON object, found a number"
        );
        assert!(err("{\"rule\":", None).starts_with("invalid JSON: EOF while parsing"));
        assert!(err(&format!("{good}\n{{oops\n"), None).starts_with("line 2: invalid JSON"));
        assert!(
            err("[1,", None).contains("line 1 column 3"),
            "{}",
            err("[1,", None)
        );
        assert!(err("   \n ", None).starts_with("empty body"));
        assert_eq!(
            parse_batch(b"\xff{}", None).unwrap_err().to_string(),
            "the body is not UTF-8 (byte 0)"
        );
        let mut long = alert("A", "h");
        long["uuid"] = json!("x".repeat(MAX_ID_BYTES + 1));
        assert_eq!(
            err(&long.to_string(), None),
            format!("`uuid` is longer than {MAX_ID_BYTES} bytes")
        );
        long["uuid"] = json!(7);
        assert_eq!(err(&long.to_string(), None), "`uuid` must be a string");
    }

    fn arb_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ._/-]{0,12}",
            any::<String>(),
            Just("\u{1b}[2J<script>alert(1)</script>\u{202e}\r\n\"\\".to_string()),
        ]
    }

    fn arb_alert() -> impl Strategy<Value = Json> {
        (
            arb_text().prop_filter("rule", |r| !r.is_empty()),
            arb_text(),
            prop::sample::select(vec!["Emergency", "warning", "INFO", "Debug", "notice"]),
            proptest::collection::btree_map(arb_text(), arb_text(), 0..4),
            proptest::option::of("[0-9a-f-]{1,36}"),
            0u64..4_000_000_000_000_000_000,
        )
            .prop_map(|(rule, host, prio, fields, uuid, ns)| {
                let mut v = json!({
                    "hostname": host, "output": rule.clone(), "rule": rule, "priority": prio,
                    "output_fields": fields, "source": "syscall", "tags": [],
                    "time": quell_rules::output::falco_time(ns),
                });
                if let Some(u) = uuid {
                    v["uuid"] = json!(u);
                }
                v
            })
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..512),
                                           jl in any::<bool>()) {
            let _ = parse_batch(&body, jl.then_some("application/x-ndjson"));
        }

        #[test]
        fn never_panics_on_json_like_text(body in "[\\[\\]{}\",:\\n 0-9a-z\\\\]{0,200}") {
            let _ = parse_batch(body.as_bytes(), None);
        }

        #[test]
        fn valid_batches_round_trip(alerts in proptest::collection::vec(arb_alert(), 1..5), form in 0..3u8) {
            let texts: Vec<String> = alerts.iter().map(|a| a.to_string()).collect();
            let body = match form {
                0 => texts[0].clone(),
                1 => format!("[{}]", texts.join(",")),
                _ => texts.join("\n"),
            };
            let n = if form == 0 { 1 } else { texts.len() };
            let b = parse_batch(body.as_bytes(), (form == 2).then_some("application/x-ndjson")).unwrap();
            prop_assert_eq!(b.alerts.len(), n);
            for (got, (want, text)) in b.alerts.iter().zip(alerts.iter().zip(&texts)) {
                prop_assert_eq!(&got.raw, text);
                prop_assert_eq!(&got.alert.rule, want["rule"].as_str().unwrap());
                prop_assert_eq!(&got.alert.hostname, want["hostname"].as_str().unwrap());
                prop_assert_eq!(got.alert.output_fields.clone(), want["output_fields"].as_object().unwrap().clone());
                prop_assert_eq!(got.id.as_deref(), want.get("uuid").and_then(Json::as_str));
                // The alert written back reads as the same alert.
                prop_assert_eq!(&FalcoAlert::from_json_str(&got.alert.to_json_line()).unwrap(), &got.alert);
            }
        }
    }
}
