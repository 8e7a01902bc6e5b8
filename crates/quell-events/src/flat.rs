//! [`FlatEvent`]: one flat JSON event, and its coercion to field types.

use std::borrow::Cow;
use std::cell::RefCell;

use quell_rules::fields_table::{registry, Registry};
use quell_rules::output::{time_field, TIME_FIELDS};
use quell_rules::{Event, FieldRef, Value};
use serde_json::{Map, Number, Value as Json};

use crate::view::Parser;

/// Why a line is not an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The line is not JSON.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// The line is JSON but not an object.
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// A value cannot be converted to its field's type.
    #[error("key `{key}`: {message}")]
    BadValue {
        /// The key as written in the line.
        key: String,
        /// What is wrong with its value.
        message: String,
    },
    /// A Falco alert line whose `output_fields` is not an object.
    #[error("alert line: `output_fields` must be an object, found {0}")]
    BadAlert(&'static str),
}

/// One event: Falco field names (canonical keys: `evt.arg.flags`, `proc.aname[2]`) to values.
///
/// Keys set with [`FlatEvent::set`] are used as given, so they should be in canonical form.
/// Keys are `Cow<'static, str>`: the fixed field names a producer such as live capture sets
/// ([`FlatEvent::set_static`], [`FlatEvent::from_pairs`]) cost no allocation.
///
/// The fields are a vector sorted by key (found by binary search): cheaper to build and to
/// read than a tree for the few dozen fields of an event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlatEvent {
    fields: Vec<(Cow<'static, str>, Value<'static>)>,
}

/// How many ancestor levels an unindexed ancestor field looks at, at most.
const MAX_LEVELS: usize = 256;

/// For ancestor level 0 and 1: the plain field that holds the same value.
/// The value of variable `name` in an environment as `proc.env` gives it
/// (`NAME=value` entries joined by one space), with spaces around it
/// stripped, as libsinsp's `proc.env[NAME]`; empty when the variable is
/// not set. A value that itself contains ` WORD=` ends there (the joined
/// text cannot tell it from the next variable).
pub fn env_var<'t>(env: &'t str, name: &str) -> &'t str {
    if name.is_empty() {
        return "";
    }
    let starts_entry = |i: usize| i == 0 || env.as_bytes().get(i - 1) == Some(&b' ');
    let mut from = 0;
    while let Some(rel) = env.get(from..).and_then(|s| s.find(name)) {
        let at = from + rel;
        let eq = at + name.len();
        if starts_entry(at) && env.as_bytes().get(eq) == Some(&b'=') {
            let rest = env.get(eq + 1..).unwrap_or("");
            let end = next_entry(rest).unwrap_or(rest.len());
            return rest.get(..end).unwrap_or("").trim_matches(' ');
        }
        from = at + 1;
    }
    ""
}

/// Where the next ` NAME=` entry starts in `rest` (at its space).
fn next_entry(rest: &str) -> Option<usize> {
    let b = rest.as_bytes();
    let mut i = 0;
    while let Some(rel) = rest.get(i..).and_then(|s| s.find(' ')) {
        let sp = i + rel;
        let word = b.get(sp + 1..).unwrap_or(&[]);
        let len = word
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let starts_ident = word.first().is_some_and(|c| !c.is_ascii_digit());
        if len > 0 && starts_ident && word.get(len) == Some(&b'=') {
            return Some(sp);
        }
        i = sp + 1;
    }
    None
}

fn ancestor_fallback(name: &str, level: &str) -> Option<&'static str> {
    Some(match (name, level) {
        ("proc.aname", "0") => "proc.name",
        ("proc.aname", "1") => "proc.pname",
        ("proc.apid", "0") => "proc.pid",
        ("proc.apid", "1") => "proc.ppid",
        ("proc.aexe", "0") => "proc.exe",
        ("proc.aexe", "1") => "proc.pexe",
        ("proc.aexepath", "0") => "proc.exepath",
        ("proc.aexepath", "1") => "proc.pexepath",
        ("proc.acmdline", "0") => "proc.cmdline",
        ("proc.acmdline", "1") => "proc.pcmdline",
        ("proc.aenv", "0") => "proc.env",
        _ => return None,
    })
}

/// Sorts `(key, value)` pairs by key; of a repeated key, the last value is kept.
fn sorted_last_wins(
    mut v: Vec<(Cow<'static, str>, Value<'static>)>,
) -> Vec<(Cow<'static, str>, Value<'static>)> {
    // A stable sort keeps repeats in input order: the last of each run wins.
    v.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(Cow<'static, str>, Value<'static>)> = Vec::with_capacity(v.len());
    for (k, val) in v {
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 = val,
            _ => out.push((k, val)),
        }
    }
    out
}

/// The byte order of two keys (the order `str::cmp` gives), compared eight bytes at a time.
/// Keys are short and share long prefixes (`proc.aname[`, `container.`): a library
/// `memcmp` call at every step of a binary search costs more than the comparison itself,
/// and triage and exception checks look fields up millions of times.
#[inline]
fn key_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let word = |s: &[u8]| {
            s.get(i..i + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map_or(0, u64::from_be_bytes)
        };
        let (x, y) = (word(a), word(b));
        if x != y {
            return x.cmp(&y);
        }
        i += 8;
    }
    while i < n {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            return x.cmp(&y);
        }
        i += 1;
    }
    a.len().cmp(&b.len())
}

impl FlatEvent {
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.fields
            .binary_search_by(|(k, _)| key_cmp(k.as_bytes(), key.as_bytes()))
    }

    fn insert(&mut self, key: Cow<'static, str>, v: Value<'static>) {
        match self.find(&key) {
            Ok(i) => {
                if let Some(slot) = self.fields.get_mut(i) {
                    slot.1 = v;
                }
            }
            Err(i) => self.fields.insert(i, (key, v)),
        }
    }

    /// An empty event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a field. The key is used as given: write it in canonical form
    /// (`evt.arg.flags`, `proc.aname[2]`).
    pub fn set(&mut self, key: impl Into<String>, v: Value<'static>) {
        self.insert(Cow::Owned(key.into()), v);
    }

    /// Sets a field under a `'static` key (no allocation for the key). Canonical form, as
    /// for [`FlatEvent::set`].
    pub fn set_static(&mut self, key: &'static str, v: Value<'static>) {
        self.insert(Cow::Borrowed(key), v);
    }

    /// An event made of `(key, value)` pairs in any order; when a key repeats, the last
    /// value wins (as with repeated [`FlatEvent::set`] calls). Sorts once instead of
    /// inserting key by key.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (Cow<'static, str>, Value<'static>)>,
    ) -> Self {
        FlatEvent {
            fields: sorted_last_wins(pairs.into_iter().collect()),
        }
    }

    /// The value stored under a key.
    pub fn get(&self, key: &str) -> Option<&Value<'static>> {
        let i = self.find(key).ok()?;
        self.fields.get(i).map(|(_, v)| v)
    }

    /// Removes a field, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value<'static>> {
        let i = self.find(key).ok()?;
        Some(self.fields.remove(i).1)
    }

    /// Every key and value, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value<'static>)> {
        self.fields.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when the event has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Parses one line: a flat event object, or a Falco JSON alert (an object with `rule`
    /// and `output_fields`), which becomes an event made of its output fields (and its
    /// `time` as `evt.rawtime` when the fields do not give the time).
    pub fn from_json_line(line: &str) -> Result<FlatEvent, EventError> {
        Self::from_json_line_with(line, registry())
    }

    /// [`FlatEvent::from_json_line`] against a given registry.
    pub fn from_json_line_with(line: &str, reg: &Registry) -> Result<FlatEvent, EventError> {
        parse_line(line, reg).map(|p| p.event)
    }

    /// The event as one JSON line (keys in order); reading it back gives the same event.
    pub fn to_json_line(&self) -> String {
        let map: Map<String, Json> = self
            .fields
            .iter()
            .map(|(k, v)| (k.to_string(), value_to_json(v)))
            .collect();
        Json::Object(map).to_string()
    }

    /// The event time in nanoseconds since the epoch: `evt.rawtime`, else a numeric `evt.time`.
    /// (An alert line's `time` is stored as `evt.rawtime` when it is read.)
    pub fn timestamp_ns(&self) -> Option<u64> {
        timestamp_from(&|k| self.get(k).map(Value::borrowed))
    }
}

/// One line as read: the event, the alert object for a Falco alert line, and what a reader
/// reports about the line without rejecting it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedLine {
    /// The event (for an alert line: made of its output fields).
    pub event: FlatEvent,
    /// For a Falco alert line, the whole object as read (`rule`, `hostname`, `output_fields`, ...).
    pub alert: Option<Map<String, Json>>,
    /// Keys that appear more than once in the line's object (or in its `output_fields`), or
    /// two spellings of one field; the last value is the one used.
    pub duplicate_keys: Vec<String>,
    /// Keys that are not field names of the registry (a typo such as `fs.path.nmae` matches
    /// no rule); they are kept in the event. Keys starting with `quell.` are quell's own
    /// annotations and not listed.
    pub unknown_keys: Vec<String>,
}

/// Parses one line ([`FlatEvent::from_json_line`]), keeping what a reader reports: duplicate
/// keys and keys that are not field names.
pub fn parse_line(line: &str, reg: &Registry) -> Result<ParsedLine, EventError> {
    thread_local! {
        static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
    }
    let parse = |p: &mut Parser| {
        let alert = p.parse(line, reg)?;
        let event = p.view(line).to_flat();
        let unknown_keys = p.unknown_keys();
        let duplicate_keys = p.duplicate_keys().collect();
        Ok(ParsedLine {
            event,
            alert,
            duplicate_keys,
            unknown_keys,
        })
    };
    PARSER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut p) => parse(&mut p),
        Err(_) => parse(&mut Parser::new()),
    })
}

/// [`FlatEvent::timestamp_ns`] for any key-value view of an event.
pub fn timestamp_from<'a>(get: &dyn Fn(&str) -> Option<Value<'a>>) -> Option<u64> {
    let num = |v: Value<'_>| match v {
        Value::Uint(u) => Some(u),
        Value::Int(i) => u64::try_from(i).ok(),
        _ => None,
    };
    get("evt.rawtime")
        .and_then(num)
        .or_else(|| get("evt.time").and_then(num))
}

fn all_levels<'a>(f: &FieldRef, get: &dyn Fn(&str) -> Option<Value<'a>>) -> Option<Value<'a>> {
    let mut levels = Vec::new();
    let mut key = String::with_capacity(f.name.len() + 5);
    for n in 1..=MAX_LEVELS {
        key.clear();
        key.push_str(f.name);
        key.push('[');
        key.push_str(itoa(n, &mut [0u8; 20]));
        key.push(']');
        let v = get(key.as_str()).or_else(|| {
            if n == 1 {
                ancestor_fallback(f.name, "1").and_then(get)
            } else {
                None
            }
        });
        match v {
            Some(v) => levels.push(v),
            None => break,
        }
    }
    if levels.is_empty() {
        // An event may also give every level at once, as an array under the plain name.
        if let Some(list @ Value::List(_)) = get(f.key.as_str()) {
            return Some(list);
        }
        return None;
    }
    Some(Value::List(levels))
}

/// Formats a small number without allocating.
fn itoa(mut n: usize, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

fn value_to_json(v: &Value<'_>) -> Json {
    match v {
        Value::Str(s) => Json::String(s.to_string()),
        Value::Int(i) => Json::Number(Number::from(*i)),
        Value::Uint(u) => Json::Number(Number::from(*u)),
        Value::Bool(b) => Json::Bool(*b),
        Value::Ip(ip) => Json::String(ip.to_string()),
        Value::List(items) => Json::Array(items.iter().map(value_to_json).collect()),
    }
}

impl Event for FlatEvent {
    fn evt_type(&self) -> Option<&str> {
        self.get("evt.type").and_then(|v| v.as_str())
    }

    fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
        field_from(f, &|k| self.get(k).map(Value::borrowed))
    }
}

/// The value of field `f` for an event whose stored keys `get` looks up (canonical keys, as
/// a [`FlatEvent`] stores them), with [`FlatEvent`]'s reading rules: ancestor levels 0 and 1
/// fall back to the plain process fields, an unindexed ancestor field lists levels 1..N,
/// and timestamp renderings are derived from `evt.rawtime`. Other event views (such as live
/// capture's lazily extracted events) use it to read exactly as a [`FlatEvent`] with the
/// same keys would.
pub fn field_from<'a>(f: &FieldRef, get: &dyn Fn(&str) -> Option<Value<'a>>) -> Option<Value<'a>> {
    if f.all_levels {
        return all_levels(f, get);
    }
    if let Some(v) = get(f.key.as_str()) {
        return Some(v);
    }
    // `proc.env[NAME]`: the variable's value, read from the environment
    // (live capture and recordings carry `proc.env` only)
    if let ("proc.env", Some(name)) = (f.name, f.arg.as_deref()) {
        let env = get("proc.env")?;
        let text = env.as_str()?;
        return Some(Value::Str(Cow::Owned(env_var(text, name).to_string())));
    }
    // Level 0 is the process itself, level 1 its parent.
    if let Some(level) = f.arg.as_deref() {
        if let Some(plain) = ancestor_fallback(f.name, level) {
            return get(plain);
        }
        return None;
    }
    // Renderings of the timestamp are derived from it when the event does not carry them.
    match f.name {
        "evt.rawtime" => timestamp_from(get).map(Value::Uint),
        "evt.rawtime.s" => timestamp_from(get).map(|ts| Value::Uint(ts / 1_000_000_000)),
        "evt.rawtime.ns" => timestamp_from(get).map(|ts| Value::Uint(ts % 1_000_000_000)),
        name if TIME_FIELDS.contains(&name) => {
            let ts = timestamp_from(get)?;
            time_field(name, ts).map(|s| Value::Str(Cow::Owned(s)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ev(line: &str) -> FlatEvent {
        FlatEvent::from_json_line(line).unwrap()
    }

    fn err(line: &str) -> String {
        FlatEvent::from_json_line(line).unwrap_err().to_string()
    }

    fn fref(text: &str) -> FieldRef {
        registry().resolve_text(text).unwrap()
    }

    fn s(x: &str) -> Value<'static> {
        Value::Str(Cow::Owned(x.to_string()))
    }

    #[test]
    fn env_variables_from_the_joined_environment() {
        let env = "HOME=/root PATH=/usr/bin:/bin MSG= hello world  LANG=C.UTF-8 X=a=b";
        assert_eq!(env_var(env, "HOME"), "/root");
        assert_eq!(env_var(env, "PATH"), "/usr/bin:/bin");
        assert_eq!(env_var(env, "MSG"), "hello world");
        assert_eq!(env_var(env, "LANG"), "C.UTF-8");
        assert_eq!(env_var(env, "X"), "a=b");
        assert_eq!(
            env_var(env, "OME"),
            "",
            "a suffix of a name is not the name"
        );
        assert_eq!(env_var(env, "NOPE"), "");
        assert_eq!(env_var("", "HOME"), "");
        let e = ev(r#"{"proc.env":"HOME=/root TERM=xterm"}"#);
        let get = |k: &str| e.get(k).map(|v| v.borrowed());
        assert_eq!(field_from(&fref("proc.env[TERM]"), &get), Some(s("xterm")));
        assert_eq!(field_from(&fref("proc.env[NOPE]"), &get), Some(s("")));
        let none = FlatEvent::new();
        let get = |k: &str| none.get(k).map(|v| v.borrowed());
        assert_eq!(field_from(&fref("proc.env[TERM]"), &get), None);
    }

    #[test]
    fn coerces_each_type() {
        let e = ev(
            r#"{"proc.name":"bash","proc.pid":"42","fd.num":-1,"proc.tty":"34816",
            "user.uid":0,"evt.failed":"true","fd.connected":false,"container.privileged":1,
            "fd.sip":"10.0.0.1","fd.cip":" ::1 ","evt.arg.uid":1000,"evt.arg.flags":"O_RDONLY",
            "fd.types":["file","ipv4"],"evt.buffer":"abc","user.loginuid":-1}"#,
        );
        assert_eq!(e.get("proc.name"), Some(&s("bash")));
        assert_eq!(e.get("proc.pid"), Some(&Value::Int(42)));
        assert_eq!(e.get("fd.num"), Some(&Value::Int(-1)));
        assert_eq!(e.get("proc.tty"), Some(&Value::Uint(34816)));
        assert_eq!(e.get("user.uid"), Some(&Value::Uint(0)));
        assert_eq!(e.get("user.loginuid"), Some(&Value::Int(-1)));
        assert_eq!(e.get("evt.failed"), Some(&Value::Bool(true)));
        assert_eq!(e.get("fd.connected"), Some(&Value::Bool(false)));
        assert_eq!(e.get("container.privileged"), Some(&Value::Bool(true)));
        assert_eq!(
            e.get("fd.sip"),
            Some(&Value::Ip("10.0.0.1".parse().unwrap()))
        );
        assert_eq!(e.get("fd.cip"), Some(&Value::Ip("::1".parse().unwrap())));
        // evt.arg.* are text: a number becomes its decimal text.
        assert_eq!(e.get("evt.arg.uid"), Some(&s("1000")));
        assert_eq!(e.get("evt.arg.flags"), Some(&s("O_RDONLY")));
        assert_eq!(
            e.get("fd.types"),
            Some(&Value::List(vec![s("file"), s("ipv4")]))
        );
        assert_eq!(e.get("evt.buffer"), Some(&s("abc")));
    }

    #[test]
    fn keys_are_canonical() {
        let e = ev(r#"{"evt.arg[flags]":"O_TRUNC","proc.aname[02]":"sshd"}"#);
        assert_eq!(e.get("evt.arg.flags"), Some(&s("O_TRUNC")));
        assert_eq!(e.get("proc.aname[2]"), Some(&s("sshd")));
        assert_eq!(e.get("evt.arg[flags]"), None);
    }

    #[test]
    fn missing_values() {
        let e = ev(
            r#"{"proc.name":"<NA>","fd.name":null,"proc.pid":"<NA>","x.unknown":"<NA>","evt.type":"open"}"#,
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e.field(&fref("proc.name")), None);
        assert_eq!(e.field(&fref("proc.pid")), None);
        assert_eq!(e.evt_type(), Some("open"));
        assert_eq!(FlatEvent::new().evt_type(), None);
    }

    #[test]
    fn unknown_keys_are_kept() {
        let e = ev(r#"{"my.field":"x","other":3,"neg":-3,"flt":1.5,"b":true,"arr":["a",1]}"#);
        assert_eq!(e.get("my.field"), Some(&s("x")));
        assert_eq!(e.get("other"), Some(&Value::Int(3)));
        assert_eq!(e.get("neg"), Some(&Value::Int(-3)));
        assert_eq!(e.get("flt"), Some(&s("1.5")));
        assert_eq!(e.get("b"), Some(&Value::Bool(true)));
        assert_eq!(e.get("arr"), Some(&Value::List(vec![s("a"), s("1")])));
        assert!(err(r#"{"x":{"a":1}}"#).contains("`x`"));
    }

    #[test]
    fn wrong_typed_values_name_the_key() {
        for (line, key) in [
            (r#"{"proc.pid":"abc"}"#, "proc.pid"),
            (r#"{"proc.pid":1.5}"#, "proc.pid"),
            (r#"{"proc.tty":-1}"#, "proc.tty"),
            (r#"{"evt.num":true}"#, "evt.num"),
            (r#"{"evt.failed":"yes"}"#, "evt.failed"),
            (r#"{"evt.failed":2}"#, "evt.failed"),
            (r#"{"fd.sip":"not-an-ip"}"#, "fd.sip"),
            (r#"{"fd.sip":17}"#, "fd.sip"),
            (r#"{"proc.name":["a"]}"#, "proc.name"),
            (r#"{"proc.name":{"a":1}}"#, "proc.name"),
            (r#"{"fd.types":[{}]}"#, "fd.types"),
            (r#"{"proc.pid":99999999999999999999}"#, "proc.pid"),
        ] {
            let e = err(line);
            assert!(e.starts_with(&format!("key `{key}`: ")), "{line}: {e}");
        }
    }

    #[test]
    fn not_an_object() {
        assert_eq!(err("[1]"), "expected a JSON object, found an array");
        assert_eq!(err("3"), "expected a JSON object, found a number");
        assert!(err("{").starts_with("not valid JSON"));
        assert!(err("").starts_with("not valid JSON"));
        assert!(err(r#"{"a":1} x"#).starts_with("not valid JSON"));
    }

    #[test]
    fn alert_lines() {
        let line = r#"{"hostname":"node-1","output":"x","output_fields":{"container.id":"3ad7b26ded6d","evt.time":1785501296123456789,"evt.type":"openat","fd.name":"/var/log/dpkg.log","k8s.ns.name":null,"proc.tty":34816,"user.loginuid":-1,"proc.aname[2]":"systemd","proc.aname[3]":null},"priority":"Warning","rule":"Clear Log Activities","source":"syscall","tags":["a"],"time":"2026-07-31T12:34:56.123456789Z"}"#;
        let e = ev(line);
        assert_eq!(e.evt_type(), Some("openat"));
        assert_eq!(e.get("proc.tty"), Some(&Value::Uint(34816)));
        assert_eq!(e.get("user.loginuid"), Some(&Value::Int(-1)));
        assert_eq!(e.get("k8s.ns.name"), None);
        assert_eq!(e.get("rule"), None);
        assert_eq!(e.get("evt.time"), None);
        assert_eq!(e.timestamp_ns(), Some(1_785_501_296_123_456_789));
        assert_eq!(e.field(&fref("evt.time")), Some(s("12:34:56.123456789")));
        assert_eq!(e.field(&fref("proc.aname[2]")), Some(s("systemd")));
        // Without evt.time in the fields, the alert's time is used.
        let e = ev(
            r#"{"rule":"r","output_fields":{"proc.name":"cat"},"time":"2016-08-04T16:17:57.881781397Z"}"#,
        );
        assert_eq!(e.timestamp_ns(), Some(1_470_327_477_881_781_397));
        assert_eq!(e.get("proc.name"), Some(&s("cat")));
        assert_eq!(
            err(r#"{"rule":"r","output_fields":3}"#),
            "alert line: `output_fields` must be an object, found a number"
        );
        assert!(err(r#"{"rule":"r","output_fields":{"proc.pid":"x"}}"#).contains("proc.pid"));
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            ev(r#"{"evt.rawtime":5,"evt.time":7}"#).timestamp_ns(),
            Some(5)
        );
        assert_eq!(ev(r#"{"evt.time":7}"#).timestamp_ns(), Some(7));
        assert_eq!(ev(r#"{"evt.rawtime":"9"}"#).timestamp_ns(), Some(9));
        assert_eq!(ev(r#"{"evt.type":"x"}"#).timestamp_ns(), None);
        let e = ev(r#"{"evt.rawtime":1500000000}"#);
        assert_eq!(e.field(&fref("evt.rawtime.s")), Some(Value::Uint(1)));
        assert_eq!(
            e.field(&fref("evt.rawtime.ns")),
            Some(Value::Uint(500_000_000))
        );
        assert_eq!(e.field(&fref("evt.time.s")), Some(s("00:00:01")));
        // A textual evt.time is kept as given.
        let e = ev(r#"{"evt.rawtime":1500000000,"evt.time":"whenever"}"#);
        assert_eq!(e.field(&fref("evt.time")), Some(s("whenever")));
    }

    #[test]
    fn ancestors() {
        let e = ev(
            r#"{"proc.name":"cat","proc.pid":10,"proc.pname":"bash","proc.ppid":9,
            "proc.aname[2]":"sshd","proc.aname[3]":"systemd","proc.apid[2]":1}"#,
        );
        assert_eq!(e.field(&fref("proc.aname[0]")), Some(s("cat")));
        assert_eq!(e.field(&fref("proc.aname[1]")), Some(s("bash")));
        assert_eq!(e.field(&fref("proc.aname[2]")), Some(s("sshd")));
        assert_eq!(e.field(&fref("proc.aname[4]")), None);
        assert_eq!(e.field(&fref("proc.apid[0]")), Some(Value::Int(10)));
        assert_eq!(e.field(&fref("proc.apid[1]")), Some(Value::Int(9)));
        // Without an index: levels 1..N (the process itself is not included, as in libsinsp).
        assert_eq!(
            e.field(&fref("proc.aname")),
            Some(Value::List(vec![s("bash"), s("sshd"), s("systemd")]))
        );
        assert_eq!(
            e.field(&fref("proc.apid")),
            Some(Value::List(vec![Value::Int(9), Value::Int(1)]))
        );
        // Stops at the first missing level.
        let gap = ev(r#"{"proc.aname[1]":"a","proc.aname[3]":"c"}"#);
        assert_eq!(
            gap.field(&fref("proc.aname")),
            Some(Value::List(vec![s("a")]))
        );
        assert_eq!(ev(r#"{"proc.name":"x"}"#).field(&fref("proc.aname")), None);
        assert_eq!(ev(r#"{"proc.name":"x"}"#).field(&fref("proc.aexe")), None);
        // An explicit level key wins over the fallback.
        let both = ev(r#"{"proc.pname":"p","proc.aname[1]":"q"}"#);
        assert_eq!(both.field(&fref("proc.aname[1]")), Some(s("q")));
        assert_eq!(
            both.field(&fref("proc.aname")),
            Some(Value::List(vec![s("q")]))
        );
    }

    #[test]
    fn field_borrows_text() {
        let e = ev(r#"{"fd.name":"/etc/passwd"}"#);
        match e.field(&fref("fd.name")) {
            Some(Value::Str(Cow::Borrowed(x))) => assert_eq!(x, "/etc/passwd"),
            other => panic!("expected borrowed text, got {other:?}"),
        }
    }

    #[test]
    fn set_get_remove_iter() {
        let mut e = FlatEvent::new();
        assert!(e.is_empty());
        e.set("proc.name", s("a"));
        e.set("evt.num", Value::Uint(3));
        assert_eq!(e.get("proc.name"), Some(&s("a")));
        let keys: Vec<&str> = e.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["evt.num", "proc.name"]);
        assert_eq!(e.remove("proc.name"), Some(s("a")));
        assert_eq!(e.get("proc.name"), None);
        assert_eq!(e.to_json_line(), r#"{"evt.num":3}"#);
    }

    #[test]
    fn static_keys_and_pairs() {
        let mut a = FlatEvent::new();
        a.set("proc.name", s("x"));
        a.set("evt.num", Value::Uint(1));
        a.set("evt.num", Value::Uint(2));
        let mut b = FlatEvent::new();
        b.set_static("evt.num", Value::Uint(2));
        b.set_static("proc.name", s("x"));
        assert_eq!(a, b, "static and owned keys compare equal");
        let c = FlatEvent::from_pairs(vec![
            (Cow::Borrowed("proc.name"), s("y")),
            (Cow::Borrowed("evt.num"), Value::Uint(1)),
            (Cow::Owned("proc.name".to_string()), s("x")),
            (Cow::Borrowed("evt.num"), Value::Uint(2)),
        ]);
        assert_eq!(c, a, "the last value of a repeated key wins");
        assert_eq!(c.to_json_line(), r#"{"evt.num":2,"proc.name":"x"}"#);
    }

    proptest! {
        /// The fast key comparison orders keys as `str::cmp` does (the order the fields
        /// are kept in, and `iter` gives).
        #[test]
        fn keys_compare_in_byte_order(a in "[a-z.\\[\\]0-9_]{0,40}", b in "[a-z.\\[\\]0-9_]{0,40}", p in "[a-z.]{0,20}") {
            let (a, b) = (format!("{p}{a}"), format!("{p}{b}"));
            prop_assert_eq!(key_cmp(a.as_bytes(), b.as_bytes()), a.cmp(&b));
            prop_assert_eq!(key_cmp(a.as_bytes(), a.as_bytes()), std::cmp::Ordering::Equal);
        }

        #[test]
        fn any_bytes_compare_in_byte_order(a in proptest::collection::vec(any::<u8>(), 0..40), b in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(key_cmp(&a, &b), a.cmp(&b));
        }
    }

    #[test]
    fn field_from_reads_like_a_flat_event() {
        let e = ev(
            r#"{"evt.rawtime":1500000000,"proc.name":"cat","proc.pname":"bash","proc.aname[2]":"sshd"}"#,
        );
        let get = |k: &str| e.get(k).map(Value::borrowed);
        for name in [
            "proc.name",
            "proc.aname[0]",
            "proc.aname[1]",
            "proc.aname[2]",
            "proc.aname",
            "evt.time",
            "evt.rawtime.s",
            "fd.name",
        ] {
            let f = fref(name);
            assert_eq!(field_from(&f, &get), e.field(&f), "{name}");
        }
        assert_eq!(
            field_from(&fref("proc.aname"), &get),
            Some(Value::List(vec![s("bash"), s("sshd")]))
        );
    }

    #[test]
    fn to_json_line_round_trips() {
        let line = r#"{"evt.type":"connect","fd.sip":"2001:db8::1","fd.types":["a"],"proc.aname[1]":"x","user.loginuid":-1,"evt.arg.uid":5,"x.y":1.25,"evt.failed":false}"#;
        let e = ev(line);
        assert_eq!(ev(&e.to_json_line()), e);
    }

    const KEYS: &[&str] = &[
        "evt.type",
        "evt.num",
        "evt.rawtime",
        "evt.time",
        "proc.name",
        "proc.pid",
        "proc.tty",
        "user.loginuid",
        "fd.sip",
        "fd.types",
        "evt.failed",
        "proc.aname[1]",
        "proc.aname[2]",
        "evt.arg.flags",
        "evt.arg[mode]",
        "container.mount.dest[/etc]",
        "unknown.key",
        "rule",
    ];

    fn json_value() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(|i| Json::Number(i.into())),
            any::<u64>().prop_map(|u| Json::Number(u.into())),
            (-1e6f64..1e6)
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)),
            "\\PC{0,12}".prop_map(Json::String),
            Just(Json::String("<NA>".into())),
            Just(Json::String("10.1.2.3".into())),
            Just(Json::String("42".into())),
            Just(Json::String("true".into())),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                prop::collection::btree_map("[a-z.]{1,6}", inner, 0..3)
                    .prop_map(|m| Json::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_lines_never_panic(line in "\\PC{0,80}") {
            let _ = FlatEvent::from_json_line(&line);
        }

        #[test]
        fn arbitrary_objects_never_panic_and_round_trip(
            entries in prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..10),
            alert in any::<bool>(),
        ) {
            let mut obj = Map::new();
            for (k, v) in entries {
                obj.insert(k.to_string(), v);
            }
            let line = if alert {
                serde_json::json!({"rule": "r", "output_fields": Json::Object(obj), "time": "2020-01-01T00:00:00Z"}).to_string()
            } else {
                Json::Object(obj).to_string()
            };
            if let Ok(e) = FlatEvent::from_json_line(&line) {
                let again = FlatEvent::from_json_line(&e.to_json_line());
                prop_assert_eq!(again.as_ref(), Ok(&e));
                for k in KEYS {
                    if let Ok(f) = registry().resolve_text(k) {
                        let _ = e.field(&f);
                    }
                }
            }
        }
    }
}
