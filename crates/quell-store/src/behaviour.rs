//! An alert with quell's event context as one event, and its behaviour signature: the last
//! part of the store's cluster key (schema 4), computed at ingest by quell-triage's
//! [`quell_triage::cluster::Signature`].
//!
//! A Falco alert carries only the fields of its rule's output; a quell sensor sends beside
//! it the event context (`{"process": {field: value}, "lineage": [{level, pid, name,
//! exepath, cmdline}], "session": {...}}`, quell-sensor's `context` module). The event read
//! here is the alert's output fields with the context's process fields and ancestors added
//! where the alert lacks them: the alert's own values always win.

use std::borrow::Cow;

use quell_events::FlatEvent;
use quell_rules::Value;
use serde_json::Value as Json;

/// Ancestor levels read from a context's lineage at most (quell-sensor sends 8).
const MAX_LEVELS: u64 = 64;

/// The alert whose JSON text is `raw` as one event ([`object_event`] of it parsed), and the
/// alert object. `None` when `raw` is not a JSON object.
pub fn alert_event(
    raw: &str,
    context: Option<&Json>,
) -> Option<(FlatEvent, serde_json::Map<String, Json>)> {
    let Ok(Json::Object(obj)) = serde_json::from_str::<Json>(raw) else {
        return None;
    };
    Some((object_event(&obj, context), obj))
}

/// An alert object (a Falco alert as parsed JSON) as one event: its `output_fields` (text,
/// integers and booleans; `null`, `<NA>`, lists and objects are not read), with the event
/// context's process fields (`proc.*`, `user.*`, `container.*`, `evt.type`) and lineage
/// (`proc.apid[N]`, `proc.aname[N]`, `proc.aexepath[N]`, `proc.acmdline[N]`; the parent also
/// as `proc.ppid`, `proc.pname`, `proc.pexepath`, `proc.pcmdline`) added where the alert has
/// no value.
///
/// Built from the JSON the store already parsed rather than by quell-events' reader: at
/// ingest a second parse of every alert cost more than the signature itself (BENCHMARKS.md),
/// and what reads this event (the signature, the lineage) takes text and integers as they
/// come (quell-triage's `input::text` and `input::int`).
pub fn object_event(obj: &serde_json::Map<String, Json>, context: Option<&Json>) -> FlatEvent {
    let fields = obj.get("output_fields").and_then(Json::as_object);
    let mut ev = FlatEvent::from_pairs(fields.into_iter().flatten().filter_map(|(k, v)| {
        let v = value_of(v)?;
        Some((Cow::Owned(k.clone()), v))
    }));
    if let Some(ctx) = context {
        add_context(&mut ev, ctx);
    }
    ev
}

/// Adds what `ctx` knows and `ev` lacks.
pub fn add_context(ev: &mut FlatEvent, ctx: &Json) {
    if let Some(process) = ctx.get("process").and_then(Json::as_object) {
        for (k, v) in process {
            let known = k.starts_with("proc.")
                || k.starts_with("user.")
                || k.starts_with("container.")
                || k == "evt.type";
            if known && ev.get(k).is_none() {
                if let Some(v) = value_of(v) {
                    ev.set(k.clone(), v);
                }
            }
        }
    }
    let Some(lineage) = ctx.get("lineage").and_then(Json::as_array) else {
        return;
    };
    for entry in lineage {
        let Some(level) = entry.get("level").and_then(Json::as_u64) else {
            continue;
        };
        if level == 0 || level > MAX_LEVELS {
            continue;
        }
        for (key, field, parent) in [
            ("pid", "proc.apid", "proc.ppid"),
            ("name", "proc.aname", "proc.pname"),
            ("exepath", "proc.aexepath", "proc.pexepath"),
            ("cmdline", "proc.acmdline", "proc.pcmdline"),
        ] {
            let Some(v) = entry.get(key).and_then(value_of) else {
                continue;
            };
            let indexed = format!("{field}[{level}]");
            if level == 1 && ev.get(parent).is_none() {
                ev.set_static(parent, v.clone());
            }
            if ev.get(&indexed).is_none() {
                ev.set(indexed, v);
            }
        }
    }
}

/// A context value as a field value (text, integer, boolean); anything else is not read.
fn value_of(v: &Json) -> Option<Value<'static>> {
    match v {
        Json::String(s) if s.is_empty() || s == "<NA>" => None,
        Json::String(s) => Some(Value::Str(Cow::Owned(s.clone()))),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| n.as_u64().map(Value::Uint)),
        Json::Bool(b) => Some(Value::Bool(*b)),
        _ => None,
    }
}

/// The behaviour signature of an alert of `rule` (quell-triage's
/// [`quell_triage::cluster::Signature::of`] on [`object_event`]'s event, as its stable id):
/// an operator's `rm` at a runtime's terminal and a web shell's `rm -f` of the same file in
/// the same container differ.
pub fn signature(
    rule: &str,
    obj: &serde_json::Map<String, Json>,
    context: Option<&Json>,
) -> String {
    quell_triage::cluster::Signature::of(rule, &object_event(obj, context)).id()
}
