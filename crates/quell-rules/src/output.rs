//! Rule output strings (`%field` formatting) and the pieces of Falco's JSON alert
//! that depend on fields: typed `output_fields` and the timestamp formats.
//!
//! Syntax, after libsinsp's event formatter: `%field`, `%field[arg]`, `%evt.arg.flags`,
//! and `%NNfield`, which pads (with spaces) or truncates the value to NN characters.
//! A token is the longest field name the registry knows at that point, so
//! `%proc.name)` prints the name followed by `)`. A missing value prints `<NA>`.

use serde_json::{Map, Number, Value as Json};

use crate::field::{Event, FieldRef, FieldType, Value};
use crate::fields_table::{FieldError, Registry};

/// Printed for a field the event does not have.
pub const NA: &str = "<NA>";

#[derive(Clone, Debug)]
enum Token {
    Text(String),
    Field { idx: usize, width: Option<usize> },
}

/// A parsed output format.
#[derive(Clone, Debug)]
pub struct OutputFormat {
    tokens: Vec<Token>,
    fields: Vec<FieldRef>,
    rawtime: FieldRef,
}

/// Fields whose value is a rendering of the event timestamp; Falco's JSON gives them as
/// integer nanoseconds (and a number given for one of them in an event is the event time).
pub const TIME_FIELDS: &[&str] = &[
    "evt.time",
    "evt.time.s",
    "evt.time.iso8601",
    "evt.datetime",
    "evt.datetime.s",
];

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

fn is_arg_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Finds the field at the start of `rest`: the longest registered name, a dotted argument
/// where the field takes one, then an optional `[arg]`. Returns the resolved field and the
/// number of bytes it spans; `Ok(None)` when no field starts there.
fn parse_field(rest: &str, reg: &Registry) -> Result<Option<(FieldRef, usize)>, OutputError> {
    let bytes = rest.as_bytes();
    let run = bytes.iter().take_while(|b| is_name_byte(**b)).count();
    // Exact names, longest first.
    let mut best: Option<(&'static str, Option<&str>, usize)> = None;
    for end in (1..=run).rev() {
        if let Some(d) = rest.get(..end).and_then(|n| reg.lookup(n)) {
            best = Some((d.name, None, end));
            break;
        }
    }
    // Names with a dotted argument (`evt.arg.flags`).
    for d in reg.descriptors() {
        if d.arg != crate::field::ArgKind::DottedName {
            continue;
        }
        let n = d.name.len();
        if run > n + 1 && rest.get(..n) == Some(d.name) && bytes.get(n) == Some(&b'.') {
            let alen = bytes[n + 1..run]
                .iter()
                .take_while(|b| is_arg_byte(**b))
                .count();
            let total = n + 1 + alen;
            if alen > 0 && best.is_none_or(|(_, _, len)| total > len) {
                best = Some((d.name, rest.get(n + 1..total), total));
            }
        }
    }
    let Some((name, dotted, mut len)) = best else {
        return Ok(None);
    };
    let desc = reg
        .lookup(name)
        .ok_or_else(|| OutputError::InvalidToken(rest.to_string()))?;
    let mut arg = dotted;
    if arg.is_none() && desc.arg != crate::field::ArgKind::None && bytes.get(len) == Some(&b'[') {
        let close = rest[len..]
            .find(']')
            .ok_or_else(|| OutputError::InvalidToken(rest.to_string()))?;
        arg = Some(&rest[len + 1..len + close]);
        len += close + 1;
    }
    let f = reg.resolve(name, arg).map_err(OutputError::Field)?;
    if desc.filter_only {
        return Err(OutputError::FilterOnly(rest.to_string()));
    }
    Ok(Some((f, len)))
}

/// Why an output format does not parse. Its `Display` is Falco's wording, which the
/// `LOAD_ERR_COMPILE_OUTPUT` diagnostic carries as its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputError {
    /// `invalid formatting syntax: formatting cannot end with a %`.
    EndsWithPercent,
    /// `invalid formatting syntax: formatting cannot end with a number`.
    EndsWithNumber,
    /// `invalid formatting token <the rest of the format>`.
    InvalidToken(String),
    /// `<the rest> is filter only and cannot be used as a display field`.
    FilterOnly(String),
    /// A field that does not resolve.
    Field(FieldError),
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputError::EndsWithPercent => {
                f.write_str("invalid formatting syntax: formatting cannot end with a %")
            }
            OutputError::EndsWithNumber => {
                f.write_str("invalid formatting syntax: formatting cannot end with a number")
            }
            OutputError::InvalidToken(rest) => write!(f, "invalid formatting token {rest}"),
            OutputError::FilterOnly(rest) => {
                write!(
                    f,
                    "{rest} is filter only and cannot be used as a display field"
                )
            }
            OutputError::Field(e) => e.fmt(f),
        }
    }
}

impl OutputError {
    /// Whether this is an unknown field (Falco's `LOAD_UNKNOWN_FILTER` when the rule has
    /// `skip-if-unknown-filter: true`): an invalid token or a nonexistent field.
    pub fn is_unknown_filter(&self) -> bool {
        matches!(
            self,
            OutputError::InvalidToken(_) | OutputError::Field(FieldError::Nonexistent { .. })
        ) || crate::compile::falco_reads_as_unknown(&self.to_string())
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OutputError::Field(e) => Some(e),
            _ => None,
        }
    }
}

impl OutputFormat {
    /// Parses an output format against the registry. Errors carry Falco's wording
    /// (`invalid formatting syntax: formatting cannot end with a %`, `invalid formatting token <x>`).
    pub fn parse(fmt: &str, reg: &Registry) -> Result<OutputFormat, OutputError> {
        let bytes = fmt.as_bytes();
        let mut tokens = Vec::new();
        let mut fields: Vec<FieldRef> = Vec::new();
        let mut text_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'%' {
                i += 1;
                continue;
            }
            if i > text_start {
                tokens.push(Token::Text(fmt[text_start..i].to_string()));
            }
            if i + 1 == bytes.len() {
                return Err(OutputError::EndsWithPercent);
            }
            let mut j = i + 1;
            let mut width = None;
            if bytes[j].is_ascii_digit() {
                let digits = bytes[j..].iter().take_while(|b| b.is_ascii_digit()).count();
                if j + digits == bytes.len() {
                    return Err(OutputError::EndsWithNumber);
                }
                // Absurd widths are capped rather than trusted (untrusted rules text).
                width = Some(
                    fmt[j..j + digits]
                        .parse::<usize>()
                        .unwrap_or(usize::MAX)
                        .min(65536),
                );
                j += digits;
            }
            let rest = &fmt[j..];
            let Some((f, len)) = parse_field(rest, reg)? else {
                return Err(OutputError::InvalidToken(rest.to_string()));
            };
            let idx = match fields.iter().position(|x| *x == f) {
                Some(p) => p,
                None => {
                    fields.push(f);
                    fields.len() - 1
                }
            };
            tokens.push(Token::Field { idx, width });
            i = j + len;
            text_start = i;
        }
        if text_start < bytes.len() {
            tokens.push(Token::Text(fmt[text_start..].to_string()));
        }
        let rawtime = FieldRef {
            name: "evt.rawtime",
            arg: None,
            key: "evt.rawtime".into(),
            ty: FieldType::Uint,
            all_levels: false,
        };
        Ok(OutputFormat {
            tokens,
            fields,
            rawtime,
        })
    }

    /// The event's timestamp as the event gives it (`evt.rawtime`).
    fn timestamp(&self, ev: &dyn Event) -> Option<u64> {
        match ev.field(&self.rawtime)? {
            Value::Uint(u) => Some(u),
            Value::Int(i) => u64::try_from(i).ok(),
            Value::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// Renders the format for an event; a missing field prints `<NA>`.
    pub fn render(&self, ev: &dyn Event) -> String {
        let mut out = String::new();
        for t in &self.tokens {
            match t {
                Token::Text(s) => out.push_str(s),
                Token::Field { idx, width } => {
                    let Some(f) = self.fields.get(*idx) else {
                        continue;
                    };
                    let text = match ev.field(f) {
                        Some(v) => display(&v, f),
                        None => self
                            .timestamp(ev)
                            .and_then(|ts| time_field(f.key.as_str(), ts))
                            .unwrap_or_else(|| NA.to_string()),
                    };
                    match width {
                        Some(w) => {
                            let n = text.chars().count();
                            if n >= *w {
                                out.extend(text.chars().take(*w));
                            } else {
                                out.push_str(&text);
                                out.extend(std::iter::repeat_n(' ', w - n));
                            }
                        }
                        None => out.push_str(&text),
                    }
                }
            }
        }
        out
    }

    /// The `%fields`, in order of first appearance, without duplicates.
    pub fn fields(&self) -> &[FieldRef] {
        &self.fields
    }

    /// Falco's `output_fields`: each field's key to its typed value (numbers for numeric
    /// fields, booleans for booleans, strings otherwise, `null` when missing). Timestamp
    /// renderings (`evt.time`, ...) are integer nanoseconds, as in Falco.
    pub fn output_fields(&self, ev: &dyn Event) -> Map<String, Json> {
        let mut m = Map::new();
        for f in &self.fields {
            let v = if TIME_FIELDS.contains(&f.key.as_str()) {
                self.timestamp(ev)
                    .map_or(Json::Null, |ts| Json::Number(ts.into()))
            } else {
                ev.field(f).map_or(Json::Null, |v| to_json(&v, f))
            };
            m.insert(f.key.clone(), v);
        }
        m
    }
}

/// A value as Falco's text output prints it: list fields as `(a,b)`, every level of an
/// ancestor field written without an index space-separated.
fn display(v: &Value<'_>, f: &FieldRef) -> String {
    match v {
        Value::List(items) if !f.all_levels => {
            let parts: Vec<String> = items.iter().map(|x| display(x, f)).collect();
            format!("({})", parts.join(","))
        }
        _ => v.to_string(),
    }
}

/// A value as Falco's JSON gives it: numbers for numeric values, booleans, strings otherwise.
/// Every level of an ancestor field written without an index prints as one space-separated string.
pub fn to_json(v: &Value<'_>, f: &FieldRef) -> Json {
    match v {
        Value::Str(s) => Json::String(s.to_string()),
        Value::Int(i) => Json::Number(Number::from(*i)),
        Value::Uint(u) => Json::Number(Number::from(*u)),
        Value::Bool(b) => Json::Bool(*b),
        Value::Ip(ip) => Json::String(ip.to_string()),
        Value::List(_) if f.all_levels => Json::String(v.to_string()),
        Value::List(items) => Json::Array(items.iter().map(|x| to_json(x, f)).collect()),
    }
}

// ---------------------------------------------------------------------------------------
// Time

const NS: u64 = 1_000_000_000;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct Parts {
    y: i64,
    mo: u32,
    d: u32,
    h: u64,
    mi: u64,
    s: u64,
    ns: u64,
}

fn parts(ts_ns: u64) -> Parts {
    let secs = ts_ns / NS;
    let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
    let sod = secs % 86_400;
    Parts {
        y,
        mo,
        d,
        h: sod / 3600,
        mi: sod % 3600 / 60,
        s: sod % 60,
        ns: ts_ns % NS,
    }
}

/// Falco's alert `time`: `2026-07-31T12:34:56.123456789Z` (UTC, nine fractional digits).
pub fn falco_time(ts_ns: u64) -> String {
    let p = parts(ts_ns);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s, p.ns
    )
}

/// The `%evt.time` text of Falco's output prefix: `12:34:56.123456789` (UTC).
pub fn text_time(ts_ns: u64) -> String {
    let p = parts(ts_ns);
    format!("{:02}:{:02}:{:02}.{:09}", p.h, p.mi, p.s, p.ns)
}

/// The value of a timestamp-derived field (`evt.time`, `evt.time.s`, `evt.time.iso8601`,
/// `evt.datetime`, `evt.datetime.s`, `evt.rawtime.s`, `evt.rawtime.ns`) for a timestamp,
/// rendered as text; `None` for other fields.
pub fn time_field(name: &str, ts_ns: u64) -> Option<String> {
    let p = parts(ts_ns);
    Some(match name {
        "evt.time" => text_time(ts_ns),
        "evt.time.s" => format!("{:02}:{:02}:{:02}", p.h, p.mi, p.s),
        "evt.time.iso8601" => falco_time(ts_ns),
        "evt.datetime" => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:09}",
            p.y, p.mo, p.d, p.h, p.mi, p.s, p.ns
        ),
        "evt.datetime.s" => {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                p.y, p.mo, p.d, p.h, p.mi, p.s
            )
        }
        "evt.rawtime.s" => (ts_ns / NS).to_string(),
        "evt.rawtime.ns" => (ts_ns % NS).to_string(),
        _ => return None,
    })
}

/// Parses an RFC 3339 timestamp as Falco writes it (`2026-07-31T12:34:56.123456789Z`; an
/// offset such as `+02:00` or `+0000` is also accepted) into nanoseconds since the epoch.
/// `None` if it is malformed or before 1970.
pub fn parse_falco_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let t = s.get(r)?;
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac = 0u64;
    if b.get(i) == Some(&b'.') {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for k in 0..9 {
            let dgt = if k < digits {
                u64::from(b[i + 1 + k] - b'0')
            } else {
                0
            };
            frac = frac * 10 + dgt;
        }
        i += 1 + digits;
    }
    let offset: i64 = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) => {
            let rest = s.get(i + 1..)?;
            let (oh, om) = match rest.len() {
                5 if rest.as_bytes().get(2) == Some(&b':') => {
                    (num(i + 1..i + 3)?, num(i + 4..i + 6)?)
                }
                4 => (num(i + 1..i + 3)?, num(i + 3..i + 5)?),
                _ => return None,
            };
            let o = (oh * 3600 + om * 60) as i64;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        None => 0,
        _ => return None,
    };
    let days = days_from_civil(y as i64, mo as u32, d as u32);
    let secs = days * 86_400 + (h * 3600 + mi * 60 + sec) as i64 - offset;
    let secs = u64::try_from(secs).ok()?;
    secs.checked_mul(NS)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields_table::registry;
    use std::borrow::Cow;
    use std::collections::HashMap;

    /// A test event: keys to values, ancestors as `proc.aname[N]` keys.
    #[derive(Default)]
    struct Ev(HashMap<String, Value<'static>>);

    impl Ev {
        fn with(mut self, k: &str, v: Value<'static>) -> Self {
            self.0.insert(k.to_string(), v);
            self
        }
    }

    impl Event for Ev {
        fn evt_type(&self) -> Option<&str> {
            self.0.get("evt.type").and_then(|v| v.as_str())
        }
        fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
            if f.all_levels {
                let mut levels = Vec::new();
                for n in 1.. {
                    match self.0.get(&format!("{}[{n}]", f.name)) {
                        Some(v) => levels.push(v.borrowed()),
                        None => break,
                    }
                }
                return (!levels.is_empty()).then_some(Value::List(levels));
            }
            self.0.get(&f.key).map(|v| v.borrowed())
        }
    }

    fn s(x: &str) -> Value<'static> {
        Value::Str(Cow::Owned(x.to_string()))
    }

    fn sample() -> Ev {
        Ev::default()
            .with("evt.type", s("openat"))
            .with("evt.rawtime", Value::Uint(1_785_501_296_123_456_789))
            .with("fd.name", s("/var/log/dpkg.log"))
            .with("proc.name", s("bash"))
            .with("proc.tty", Value::Uint(34816))
            .with("user.loginuid", Value::Int(-1))
            .with("user.uid", Value::Uint(0))
            .with("evt.arg.flags", s("O_TRUNC|O_WRONLY"))
            .with("proc.aname[1]", s("sh"))
            .with("proc.aname[2]", s("sshd"))
            .with("fd.sip", Value::Ip("10.0.0.1".parse().unwrap()))
            .with("container.privileged", Value::Bool(false))
    }

    fn parse(f: &str) -> Result<OutputFormat, OutputError> {
        OutputFormat::parse(f, registry())
    }

    #[test]
    fn renders_fields_and_text() {
        let f =
            parse("file=%fd.name user=%user.uid (%proc.name) flags=%evt.arg.flags tty=%proc.tty")
                .unwrap();
        assert_eq!(
            f.render(&sample()),
            "file=/var/log/dpkg.log user=0 (bash) flags=O_TRUNC|O_WRONLY tty=34816"
        );
    }

    #[test]
    fn missing_is_na() {
        let f = parse("c=%container.id k=%k8s.pod.name").unwrap();
        assert_eq!(f.render(&sample()), "c=<NA> k=<NA>");
    }

    #[test]
    fn longest_match_and_trailing_text() {
        let f = parse("%proc.name. %fd.name_changed %fd.names").unwrap();
        let names: Vec<&str> = f.fields().iter().map(|x| x.key.as_str()).collect();
        assert_eq!(names, ["proc.name", "fd.name_changed", "fd.name"]);
        assert_eq!(f.render(&sample()), "bash. <NA> /var/log/dpkg.logs");
        // `evt.args` is a field; `evt.arg.flags` is evt.arg with an argument.
        let f = parse("%evt.args %evt.arg.flags %evt.arg[flags]").unwrap();
        let keys: Vec<&str> = f.fields().iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["evt.args", "evt.arg.flags"]);
    }

    #[test]
    fn brackets_and_ancestors() {
        let f = parse("%proc.aname[2] %proc.aname[1]|%proc.aname|%proc.aname[9]").unwrap();
        assert_eq!(f.render(&sample()), "sshd sh|sh sshd|<NA>");
        // A field that takes no argument leaves the bracket as text.
        let f = parse("%proc.name[x]").unwrap();
        assert_eq!(f.render(&sample()), "bash[x]");
        assert!(parse("%proc.aname[1").is_err());
        assert!(parse("%proc.aname[x]").is_err());
        assert_eq!(
            parse("%container.mount.dest").unwrap_err().to_string(),
            "field 'container.mount.dest' requires an argument"
        );
    }

    #[test]
    fn list_fields_print_in_parentheses() {
        let ev = sample().with("fd.types", Value::List(vec![s("file"), s("ipv4")]));
        let f = parse("%fd.types|%proc.aname").unwrap();
        assert_eq!(f.render(&ev), "(file,ipv4)|sh sshd");
        let m = serde_json::to_string(&f.output_fields(&ev)).unwrap();
        assert_eq!(m, r#"{"fd.types":["file","ipv4"],"proc.aname":"sh sshd"}"#);
    }

    #[test]
    fn width_pads_and_truncates() {
        let f = parse("[%6proc.name][%2fd.name][%3k8s.pod.name]").unwrap();
        assert_eq!(f.render(&sample()), "[bash  ][/v][<NA]");
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            parse("abc %").unwrap_err().to_string(),
            "invalid formatting syntax: formatting cannot end with a %"
        );
        assert_eq!(
            parse("abc %12").unwrap_err().to_string(),
            "invalid formatting syntax: formatting cannot end with a number"
        );
        assert_eq!(
            parse("x %proc.nobody y").unwrap_err().to_string(),
            "invalid formatting token proc.nobody y"
        );
        assert_eq!(
            parse("100%% sure").unwrap_err().to_string(),
            "invalid formatting token % sure"
        );
        assert_eq!(
            parse("% x").unwrap_err().to_string(),
            "invalid formatting token  x"
        );
        assert_eq!(
            parse("%fd.net x").unwrap_err().to_string(),
            "fd.net x is filter only and cannot be used as a display field"
        );
        assert!(parse("").unwrap().fields().is_empty());
        assert_eq!(parse("no fields").unwrap().render(&sample()), "no fields");
    }

    #[test]
    fn fields_are_deduplicated_in_order() {
        let f = parse("%proc.name %fd.name %proc.name %evt.type").unwrap();
        let keys: Vec<&str> = f.fields().iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["proc.name", "fd.name", "evt.type"]);
    }

    #[test]
    fn output_fields_are_typed() {
        let f = parse(
            "%proc.tty %user.loginuid %user.uid %fd.name %k8s.ns.name %evt.time %fd.sip \
             %container.privileged %proc.aname %proc.aname[2]",
        )
        .unwrap();
        let m = f.output_fields(&sample());
        let got = serde_json::to_string(&m).unwrap();
        assert_eq!(
            got,
            r#"{"container.privileged":false,"evt.time":1785501296123456789,"fd.name":"/var/log/dpkg.log","fd.sip":"10.0.0.1","k8s.ns.name":null,"proc.aname":"sh sshd","proc.aname[2]":"sshd","proc.tty":34816,"user.loginuid":-1,"user.uid":0}"#
        );
    }

    #[test]
    fn evt_time_falls_back_to_rawtime() {
        let f = parse("%evt.time %evt.datetime.s").unwrap();
        assert_eq!(
            f.render(&sample()),
            "12:34:56.123456789 2026-07-31 12:34:56"
        );
        assert_eq!(f.render(&Ev::default()), "<NA> <NA>");
    }

    #[test]
    fn time_formats() {
        assert_eq!(
            falco_time(1_785_501_296_123_456_789),
            "2026-07-31T12:34:56.123456789Z"
        );
        assert_eq!(text_time(1_785_501_296_123_456_789), "12:34:56.123456789");
        assert_eq!(falco_time(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            falco_time(951_782_400 * NS + 5),
            "2000-02-29T00:00:00.000000005Z"
        );
        assert_eq!(
            falco_time(1_470_327_477_881_781_397),
            "2016-08-04T16:17:57.881781397Z"
        );
        assert_eq!(
            time_field("evt.rawtime.ns", 1_500_000_000),
            Some("500000000".into())
        );
        assert_eq!(time_field("proc.name", 1), None);
    }

    #[test]
    fn parse_time_round_trips() {
        for ts in [
            0u64,
            1,
            951_782_400 * NS + 5,
            1_785_501_296_123_456_789,
            u64::MAX / 2,
        ] {
            assert_eq!(parse_falco_time(&falco_time(ts)), Some(ts), "{ts}");
        }
        assert_eq!(
            parse_falco_time("2016-08-04T16:17:57.881781397+0000"),
            Some(1_470_327_477_881_781_397)
        );
        assert_eq!(
            parse_falco_time("2016-08-04T18:17:57.5+02:00"),
            Some(1_470_327_477_500_000_000)
        );
        assert_eq!(
            parse_falco_time("2016-08-04T16:17:57Z"),
            Some(1_470_327_477 * NS)
        );
        for bad in [
            "",
            "2016",
            "2016-08-04",
            "2016-13-04T16:17:57Z",
            "2016-08-04T16:17:57.Z",
            "1969-12-31T23:59:59Z",
            "2016-08-04T16:17:57Zjunk",
            "２016-08-04T16:17:57Z",
        ] {
            assert_eq!(parse_falco_time(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = OutputFormat::parse(&s, registry());
        }

        #[test]
        fn parse_never_panics_on_percent_soup(s in "[%0-9a-z.\\[\\]_ ]{0,30}") {
            if let Ok(f) = OutputFormat::parse(&s, registry()) {
                let _ = f.render(&sample());
                let _ = f.output_fields(&sample());
            }
        }

        #[test]
        fn time_parse_never_panics(s in "\\PC{0,40}") {
            let _ = parse_falco_time(&s);
        }

        #[test]
        fn time_round_trip(ts in 0u64..=u64::MAX) {
            proptest::prop_assert_eq!(parse_falco_time(&falco_time(ts)), Some(ts));
        }
    }
}
