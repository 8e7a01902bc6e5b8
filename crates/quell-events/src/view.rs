//! The reader's fast path: a line parsed straight into a reusable event whose text borrows
//! from the line ([`EventRef`]).
//!
//! A purpose-built JSON scanner reads the line once (strings found with `memchr`, numbers and
//! literals checked against JSON's grammar, nesting limited to 128 levels as in serde_json).
//! Each key is resolved once per reader to a field id: the keys of the previous line are
//! tried first, position by position, then a hash map, then the registry. Every value is
//! converted to its field's type as it is read (so a bad value in a field no rule reads is
//! still an error naming its key), into buffers that are reused from line to line: a text
//! value is a span of the line unless it holds escapes (then it is unescaped into a scratch
//! string kept by the reader). Reading a line allocates nothing once the buffers have grown
//! to the stream's lines, except for a Falco alert line's object and for warnings.
//!
//! Semantics are those of [`FlatEvent::from_json_line`], which is built on this parser:
//! the owned event is the view's fields, copied.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use quell_rules::compile::evttypes::{self, EvtTypeId};
use quell_rules::fields_table::{registry, Registry};
use quell_rules::output::{parse_falco_time, TIME_FIELDS};
use quell_rules::{Event, FieldRef, FieldType, Value};
use serde_json::{Map, Number, Value as Json};

use crate::flat::{field_from, EventError, FlatEvent};

type Hasher = foldhash::fast::RandomState;

/// Nesting limit of arrays and objects (serde_json's default).
const MAX_DEPTH: usize = 128;

/// Past this many distinct keys the key table is emptied before the next line, so that an
/// adversarial stream of distinct keys costs time, not memory.
const MAX_KEYS: usize = 8192;

// ------------------------------------------------------------------------------ scanning

/// A value as scanned: literals and spans of the line (content between the quotes for a
/// string), arrays with their items recorded where the caller needs them.
#[derive(Clone, Copy, Debug)]
enum Tok {
    Null,
    Bool(bool),
    Str {
        at: usize,
        end: usize,
        esc: bool,
    },
    Num {
        at: usize,
        end: usize,
        float: bool,
    },
    /// An array whose items are `items[first..first + len]`.
    Arr {
        first: usize,
        len: usize,
    },
    /// An array nested in an array: checked and skipped.
    NestedArr,
    /// An object (its members recorded only for a top-level `output_fields`).
    Obj,
}

fn kind(t: &Tok) -> &'static str {
    match t {
        Tok::Null => "null",
        Tok::Bool(_) => "a boolean",
        Tok::Num { .. } => "a number",
        Tok::Str { .. } => "a string",
        Tok::Arr { .. } | Tok::NestedArr => "an array",
        Tok::Obj => "an object",
    }
}

/// One member of an object: its key's span (content between the quotes) and its value.
#[derive(Clone, Copy, Debug)]
struct Member {
    key_at: usize,
    key_end: usize,
    key_esc: bool,
    val: Tok,
}

/// Where an object's members go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    Skip,
    Top,
    Inner,
}

struct Scan<'s, 'p> {
    b: &'s [u8],
    i: usize,
    items: &'p mut Vec<Tok>,
    top: &'p mut Vec<Member>,
    inner: &'p mut Vec<Member>,
    /// Whether a top-level `output_fields` object was recorded into `inner`.
    inner_set: bool,
    /// Whether the top-level object has a `rule`.
    has_rule: bool,
    /// The top-level `output_fields` and `time` (the last of each).
    fields: Option<Tok>,
    time: Option<Tok>,
}

type Scanned<T> = Result<T, ScanError>;

/// Why the scanner refused a line: what it found (serde_json's wording) and where.
/// Plain data (`Copy`): building one allocates nothing; the text is made only when shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at column {column}")]
pub struct ScanError {
    /// What is wrong.
    pub kind: ScanErrorKind,
    /// The 1-based column (byte) where the scanner stopped.
    pub column: usize,
}

/// The kinds of JSON syntax error the scanner reports, worded as serde_json words them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScanErrorKind {
    /// A raw control character inside a string.
    #[error("control character (\\u0000-\\u001F) found while parsing a string")]
    ControlCharacter,
    /// The line ends inside a string.
    #[error("EOF while parsing a string")]
    EofInString,
    /// A backslash escape JSON does not have.
    #[error("invalid escape")]
    InvalidEscape,
    /// A `\u` surrogate without its pair.
    #[error("lone leading surrogate in hex escape")]
    LoneSurrogate,
    /// Not a JSON number.
    #[error("invalid number")]
    InvalidNumber,
    /// The line ends where a value was expected.
    #[error("EOF while parsing a value")]
    EofInValue,
    /// A number that does not fit a finite 64-bit float.
    #[error("number out of range")]
    NumberOutOfRange,
    /// No value where one was expected.
    #[error("expected value")]
    ExpectedValue,
    /// Nested deeper than the scanner's limit.
    #[error("recursion limit exceeded")]
    RecursionLimit,
    /// A comma before `]` or `}`.
    #[error("trailing comma")]
    TrailingComma,
    /// Something else after an array item.
    #[error("expected `,` or `]`")]
    ExpectedCommaOrBracket,
    /// The line ends inside an array.
    #[error("EOF while parsing a list")]
    EofInList,
    /// An object key that is not a string.
    #[error("key must be a string")]
    KeyMustBeString,
    /// The line ends inside an object.
    #[error("EOF while parsing an object")]
    EofInObject,
    /// No `:` after an object key.
    #[error("expected `:`")]
    ExpectedColon,
    /// Something else after an object member.
    #[error("expected `,` or `}}`")]
    ExpectedCommaOrBrace,
    /// Text after the line's value.
    #[error("trailing characters")]
    TrailingCharacters,
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The position of the first byte that ends a run of plain string content (a quote, a
/// backslash or a control character), or the length: eight bytes at a time.
fn special_byte(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        // Bytes below 0x20, equal to `"`, equal to `\` (the lowest flag is exact).
        let hits = (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | zero_byte(x ^ (ONES * u64::from(b'"')))
            | zero_byte(x ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + chunks
        .remainder()
        .iter()
        .position(|&c| c < 0x20 || c == b'"' || c == b'\\')
        .unwrap_or(chunks.remainder().len())
}

fn hex4(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b.get(..4)? {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

impl Scan<'_, '_> {
    fn err(&self, kind: ScanErrorKind) -> ScanError {
        ScanError {
            kind,
            column: self.i + 1,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.i += 1;
        }
    }

    /// A string starting at its opening quote: the span of its content, and whether it
    /// holds escapes.
    fn string(&mut self) -> Scanned<(usize, usize, bool)> {
        self.i += 1;
        let at = self.i;
        let mut esc = false;
        loop {
            self.i += special_byte(self.b.get(self.i..).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    let end = self.i;
                    self.i += 1;
                    return Ok((at, end, esc));
                }
                Some(b'\\') => {
                    esc = true;
                    self.escape()?;
                }
                Some(_) => return Err(self.err(ScanErrorKind::ControlCharacter)),
                None => return Err(self.err(ScanErrorKind::EofInString)),
            }
        }
    }

    /// An escape at its backslash.
    fn escape(&mut self) -> Scanned<()> {
        match self.b.get(self.i + 1).copied() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.i += 2;
                Ok(())
            }
            Some(b'u') => {
                let Some(cp) = self.b.get(self.i + 2..).and_then(hex4) else {
                    return Err(self.err(ScanErrorKind::InvalidEscape));
                };
                if (0xDC00..0xE000).contains(&cp) {
                    return Err(self.err(ScanErrorKind::LoneSurrogate));
                }
                if (0xD800..0xDC00).contains(&cp) {
                    let low = match self.b.get(self.i + 6..self.i + 8) {
                        Some(b"\\u") => self.b.get(self.i + 8..).and_then(hex4),
                        _ => None,
                    };
                    if !low.is_some_and(|l| (0xDC00..0xE000).contains(&l)) {
                        return Err(self.err(ScanErrorKind::LoneSurrogate));
                    }
                    self.i += 12;
                } else {
                    self.i += 6;
                }
                Ok(())
            }
            Some(_) => Err(self.err(ScanErrorKind::InvalidEscape)),
            None => Err(self.err(ScanErrorKind::EofInString)),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// A number, checked against JSON's grammar; one that does not fit a 64-bit float is
    /// an error, as in serde_json.
    fn number(&mut self) -> Scanned<(usize, usize, bool)> {
        let at = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            Some(_) => return Err(self.err(ScanErrorKind::InvalidNumber)),
            None => return Err(self.err(ScanErrorKind::EofInValue)),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            float = true;
            if self.digits() == 0 {
                return Err(self.err(ScanErrorKind::InvalidNumber));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err(ScanErrorKind::InvalidNumber));
            }
        }
        if float || self.i - at > 19 {
            let text = std::str::from_utf8(self.b.get(at..self.i).unwrap_or_default());
            if !text
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .is_some_and(f64::is_finite)
            {
                return Err(self.err(ScanErrorKind::NumberOutOfRange));
            }
        }
        Ok((at, self.i, float || self.i - at > 19))
    }

    fn literal(&mut self, word: &[u8], t: Tok) -> Scanned<Tok> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(t)
        } else {
            Err(self.err(ScanErrorKind::ExpectedValue))
        }
    }

    /// A value at its first byte. `record`: an array's items are recorded.
    fn value(&mut self, depth: usize, record: bool) -> Scanned<Tok> {
        match self.peek() {
            Some(b'"') => {
                let (at, end, esc) = self.string()?;
                Ok(Tok::Str { at, end, esc })
            }
            Some(b'-' | b'0'..=b'9') => {
                let (at, end, float) = self.number()?;
                Ok(Tok::Num { at, end, float })
            }
            Some(b't') => self.literal(b"true", Tok::Bool(true)),
            Some(b'f') => self.literal(b"false", Tok::Bool(false)),
            Some(b'n') => self.literal(b"null", Tok::Null),
            Some(b'[') => self.array(depth + 1, record),
            Some(b'{') => {
                self.object(depth + 1, Dest::Skip)?;
                Ok(Tok::Obj)
            }
            Some(_) => Err(self.err(ScanErrorKind::ExpectedValue)),
            None => Err(self.err(ScanErrorKind::EofInValue)),
        }
    }

    fn array(&mut self, depth: usize, record: bool) -> Scanned<Tok> {
        if depth > MAX_DEPTH {
            return Err(self.err(ScanErrorKind::RecursionLimit));
        }
        self.i += 1;
        let first = self.items.len();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                let t = self.value(depth, false)?;
                if record {
                    self.items.push(t);
                }
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        self.ws();
                        if self.peek() == Some(b']') {
                            return Err(self.err(ScanErrorKind::TrailingComma));
                        }
                    }
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    Some(_) => return Err(self.err(ScanErrorKind::ExpectedCommaOrBracket)),
                    None => return Err(self.err(ScanErrorKind::EofInList)),
                }
            }
        }
        Ok(if record {
            Tok::Arr {
                first,
                len: self.items.len() - first,
            }
        } else {
            Tok::NestedArr
        })
    }

    /// Whether a key (its span) is `word`.
    fn key_is(&self, at: usize, end: usize, esc: bool, word: &str) -> bool {
        let raw = self.b.get(at..end).unwrap_or_default();
        if !esc {
            return raw == word.as_bytes();
        }
        let mut s = String::new();
        unescape_into(std::str::from_utf8(raw).unwrap_or_default(), &mut s);
        s == word
    }

    fn object(&mut self, depth: usize, dest: Dest) -> Scanned<()> {
        if depth > MAX_DEPTH {
            return Err(self.err(ScanErrorKind::RecursionLimit));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {}
                Some(_) => return Err(self.err(ScanErrorKind::KeyMustBeString)),
                None => return Err(self.err(ScanErrorKind::EofInObject)),
            }
            let (key_at, key_end, key_esc) = self.string()?;
            self.ws();
            match self.peek() {
                Some(b':') => self.i += 1,
                Some(_) => return Err(self.err(ScanErrorKind::ExpectedColon)),
                None => return Err(self.err(ScanErrorKind::EofInObject)),
            }
            self.ws();
            // A Falco alert's keys: `rule`, `output_fields` and `time` at the top level.
            let special = if dest == Dest::Top && (key_esc || matches!(key_end - key_at, 4 | 13)) {
                ["rule", "output_fields", "time"]
                    .into_iter()
                    .find(|w| self.key_is(key_at, key_end, key_esc, w))
            } else {
                None
            };
            let val = if special == Some("output_fields") && self.peek() == Some(b'{') {
                self.inner.clear();
                self.object(depth + 1, Dest::Inner)?;
                self.inner_set = true;
                Tok::Obj
            } else {
                self.value(depth, dest != Dest::Skip)?
            };
            match special {
                Some("rule") => self.has_rule = true,
                Some("output_fields") => self.fields = Some(val),
                Some("time") => self.time = Some(val),
                _ => {}
            }
            let m = Member {
                key_at,
                key_end,
                key_esc,
                val,
            };
            match dest {
                Dest::Top => self.top.push(m),
                Dest::Inner => self.inner.push(m),
                Dest::Skip => {}
            }
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        return Err(self.err(ScanErrorKind::TrailingComma));
                    }
                }
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(_) => return Err(self.err(ScanErrorKind::ExpectedCommaOrBrace)),
                None => return Err(self.err(ScanErrorKind::EofInObject)),
            }
        }
    }
}

/// Appends the unescaped content of a JSON string (already checked by the scanner).
fn unescape_into(raw: &str, out: &mut String) {
    let mut rest = raw;
    while let Some(k) = rest.find('\\') {
        out.push_str(rest.get(..k).unwrap_or_default());
        let b = rest.as_bytes();
        let (ch, used) = match b.get(k + 1).copied() {
            Some(b'"') => ('"', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'/') => ('/', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => {
                let hi = b.get(k + 2..).and_then(hex4).unwrap_or(0xFFFD);
                if (0xD800..0xDC00).contains(&hi) {
                    let lo = b.get(k + 8..).and_then(hex4).unwrap_or(0);
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + lo.wrapping_sub(0xDC00);
                    (char::from_u32(cp).unwrap_or('\u{FFFD}'), 12)
                } else {
                    (char::from_u32(hi).unwrap_or('\u{FFFD}'), 6)
                }
            }
            _ => ('\u{FFFD}', 2),
        };
        out.push(ch);
        rest = rest.get(k + used..).unwrap_or_default();
    }
    out.push_str(rest);
}

// ------------------------------------------------------------------------------ key table

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    /// A registry field: its type, whether an array is accepted (a list field or an
    /// unindexed ancestor field), whether a number is the event time.
    Field {
        ty: FieldType,
        list_ok: bool,
        time: bool,
    },
    /// Not a field name; `report` unless it is one of quell's own (`quell.*`).
    Unknown { report: bool },
}

#[derive(Debug)]
struct KeyInfo {
    raw: Box<str>,
    canon: u32,
    kind: KeyKind,
    /// The reader already decided whether to report it.
    seen: bool,
}

/// Whether two short byte strings (keys) are equal: eight bytes at a time, inline (a call
/// to `memcmp` per key cost more than the comparison itself).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        u64::from_ne_bytes(w)
    };
    let (mut ca, mut cb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut ca).zip(&mut cb) {
        if word(x) != word(y) {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(x, y)| x == y)
}

/// Keys resolved once: raw key → canonical key id (two spellings of one field share it).
#[derive(Debug)]
pub(crate) struct Keys {
    by_raw: HashMap<Box<str>, u32, Hasher>,
    infos: Vec<KeyInfo>,
    by_canon: HashMap<Box<str>, u32, Hasher>,
    /// Canonical keys; a registry field's own name is `'static` (an owned event's key then
    /// costs no allocation).
    canon_names: Vec<Cow<'static, str>>,
    /// The key ids of the previous line, by position: tried first.
    prev: Vec<u32>,
    /// Which registry the table was built against (its address).
    reg: usize,
}

/// Fixed canonical ids.
const EVT_TYPE: u32 = 0;
const EVT_RAWTIME: u32 = 1;
/// The canonical ids of the timestamp renderings, in key order: a number given for the
/// first of them in this order is the event time.
const TIME_IDS: std::ops::Range<u32> = 2..7;

impl Keys {
    fn new(reg: &Registry) -> Keys {
        let mut k = Keys {
            by_raw: HashMap::default(),
            infos: Vec::new(),
            by_canon: HashMap::default(),
            canon_names: Vec::new(),
            prev: Vec::new(),
            reg: reg as *const Registry as usize,
        };
        k.canon_id("evt.type");
        k.canon_id("evt.rawtime");
        let mut times: Vec<&str> = TIME_FIELDS.to_vec();
        times.sort_unstable();
        for t in times {
            k.canon_id(t);
        }
        debug_assert_eq!(k.canon_names.len(), TIME_IDS.end as usize);
        k
    }

    fn canon_id(&mut self, name: &str) -> u32 {
        self.canon_id_of(Cow::Owned(name.to_string()))
    }

    fn canon_id_of(&mut self, name: Cow<'static, str>) -> u32 {
        if let Some(&id) = self.by_canon.get(name.as_ref()) {
            return id;
        }
        let id = self.canon_names.len() as u32;
        self.by_canon.insert(name.as_ref().into(), id);
        self.canon_names.push(name);
        id
    }

    fn intern(&mut self, key: &str, reg: &Registry) -> u32 {
        let (canon, kind) = match reg.resolve_text(key) {
            Ok(f) => (
                if f.arg.is_none() && f.key == f.name {
                    self.canon_id_of(Cow::Borrowed(f.name))
                } else {
                    self.canon_id(&f.key)
                },
                KeyKind::Field {
                    ty: f.ty,
                    list_ok: f.name == "fd.types" || f.all_levels,
                    time: TIME_FIELDS.contains(&f.key.as_str()),
                },
            ),
            Err(_) => (
                self.canon_id(key),
                KeyKind::Unknown {
                    report: !key.starts_with("quell."),
                },
            ),
        };
        let id = self.infos.len() as u32;
        self.infos.push(KeyInfo {
            raw: key.into(),
            canon,
            kind,
            seen: false,
        });
        self.by_raw.insert(key.into(), id);
        id
    }

    /// The id of the key at position `pos` of the line's object.
    fn lookup(&mut self, pos: usize, key: &str, reg: &Registry) -> u32 {
        if let Some(&id) = self.prev.get(pos) {
            if self
                .infos
                .get(id as usize)
                .is_some_and(|i| same_bytes(i.raw.as_bytes(), key.as_bytes()))
            {
                return id;
            }
        }
        let id = match self.by_raw.get(key) {
            Some(&id) => id,
            None => self.intern(key, reg),
        };
        match self.prev.get_mut(pos) {
            Some(p) => *p = id,
            None => self.prev.push(id),
        }
        id
    }
}

// ------------------------------------------------------------------------------ values

/// Where a text value is.
#[derive(Clone, Copy, Debug)]
enum Text {
    Line(usize, usize),
    Scratch(usize, usize),
    Static(&'static str),
}

/// A converted value.
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// Given as `null` or `<NA>`.
    Missing,
    /// A timestamp rendering given as a number: the event time, not a field value.
    Time(u64),
    Str(Text),
    Int(i64),
    Uint(u64),
    Bool(bool),
    Ip(IpAddr),
    /// `texts[first..end]`.
    List(usize, usize),
}

/// A number as serde_json reads it.
#[derive(Clone, Copy, Debug)]
enum Num {
    U(u64),
    I(i64),
    F(f64),
}

/// A number token's value; `long`: it has a fraction, an exponent or more than 19 digits.
fn num(text: &str, long: bool) -> Num {
    let float = || Num::F(text.parse::<f64>().unwrap_or(f64::NAN));
    // The scanner's short numbers are `-?(0|[1-9][0-9]*)` in at most 19 characters: a u64,
    // or (negative) an i64, read without the general parser.
    if !long {
        let (neg, digits) = match text.as_bytes() {
            [b'-', rest @ ..] => (true, rest),
            d => (false, d),
        };
        if digits.len() <= 19 && !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
            let v = digits
                .iter()
                .fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
            return match (neg, v) {
                (false, v) => Num::U(v),
                // `-0` is a float for serde_json.
                (true, 0) => float(),
                (true, v) => i64::try_from(v).map_or_else(|_| float(), |v| Num::I(-v)),
            };
        }
    }
    if text == "-0" || (long && text.contains(['.', 'e', 'E'])) {
        return float();
    }
    if text.starts_with('-') {
        text.parse().map(Num::I).unwrap_or_else(|_| float())
    } else {
        text.parse().map(Num::U).unwrap_or_else(|_| float())
    }
}

impl Num {
    fn as_i64(self) -> Option<i64> {
        match self {
            Num::U(u) => i64::try_from(u).ok(),
            Num::I(i) => Some(i),
            Num::F(_) => None,
        }
    }
    fn as_u64(self) -> Option<u64> {
        match self {
            Num::U(u) => Some(u),
            Num::I(i) => u64::try_from(i).ok(),
            Num::F(_) => None,
        }
    }
    fn json(self) -> Json {
        match self {
            Num::U(u) => Json::from(u),
            Num::I(i) => Json::from(i),
            Num::F(f) => Number::from_f64(f).map_or(Json::Null, Json::Number),
        }
    }
}

/// The reusable storage of one event.
#[derive(Debug, Default)]
pub(crate) struct EventBuf {
    /// (canonical id, value), one per field, in order of first appearance.
    entries: Vec<(u32, Slot)>,
    /// Per canonical id: (generation, index in `entries`).
    at: Vec<(u32, u32)>,
    gen: u32,
    scratch: String,
    texts: Vec<Text>,
    /// Key ids of unknown keys, in line order.
    unknown: Vec<u32>,
    /// Keys that repeat a field given earlier in the line.
    dups: Vec<String>,
    /// `evt.type` as an id, resolved once per line.
    type_id: Option<EvtTypeId>,
}

impl EventBuf {
    fn start(&mut self) {
        self.entries.clear();
        self.scratch.clear();
        self.texts.clear();
        self.unknown.clear();
        self.dups.clear();
        self.type_id = None;
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.at.iter_mut().for_each(|x| *x = (0, 0));
            self.gen = 1;
        }
    }

    fn index(&self, canon: u32) -> Option<usize> {
        match self.at.get(canon as usize) {
            Some(&(g, i)) if g == self.gen => Some(i as usize),
            _ => None,
        }
    }

    fn slot(&self, canon: u32) -> Option<&Slot> {
        self.entries.get(self.index(canon)?).map(|e| &e.1)
    }

    /// Stores a field's value; true when the field was already given in this line.
    fn put(&mut self, canon: u32, slot: Slot) -> bool {
        if let Some(i) = self.index(canon) {
            if let Some(e) = self.entries.get_mut(i) {
                e.1 = slot;
            }
            return true;
        }
        let c = canon as usize;
        if c >= self.at.len() {
            self.at.resize(c + 1, (0, 0));
        }
        if let Some(a) = self.at.get_mut(c) {
            *a = (self.gen, self.entries.len() as u32);
        }
        self.entries.push((canon, slot));
        false
    }

    fn unescaped(&mut self, raw: &str) -> Text {
        let start = self.scratch.len();
        unescape_into(raw, &mut self.scratch);
        Text::Scratch(start, self.scratch.len())
    }
}

/// Converting one line's members into an [`EventBuf`].
struct Conv<'l, 'p> {
    line: &'l str,
    items: &'p [Tok],
    ev: &'p mut EventBuf,
}

fn bad(key: &str, message: String) -> EventError {
    EventError::BadValue {
        key: key.to_string(),
        message,
    }
}

impl Conv<'_, '_> {
    fn raw(&self, at: usize, end: usize) -> &str {
        self.line.get(at..end).unwrap_or_default()
    }

    /// A string token's text.
    fn str_text(&mut self, at: usize, end: usize, esc: bool) -> Text {
        if esc {
            let raw = self.line.get(at..end).unwrap_or_default();
            self.ev.unescaped(raw)
        } else {
            Text::Line(at, end)
        }
    }

    fn text(&self, t: Text) -> &str {
        match t {
            Text::Line(a, b) => self.line.get(a..b).unwrap_or_default(),
            Text::Scratch(a, b) => self.ev.scratch.get(a..b).unwrap_or_default(),
            Text::Static(s) => s,
        }
    }

    /// A number as text, as serde_json writes it.
    fn num_text(&mut self, at: usize, end: usize, float: bool) -> Text {
        if !float && self.raw(at, end) != "-0" {
            // At most 19 characters without a fraction or exponent: a 64-bit integer.
            return Text::Line(at, end);
        }
        match num(self.raw(at, end), float) {
            Num::U(_) | Num::I(_) => Text::Line(at, end),
            Num::F(f) => {
                let start = self.ev.scratch.len();
                let n = Number::from_f64(f).map_or_else(|| "null".to_string(), |n| n.to_string());
                let _ = write!(self.ev.scratch, "{n}");
                Text::Scratch(start, self.ev.scratch.len())
            }
        }
    }

    /// A number, boolean or string as text (`None` for anything else).
    fn scalar_text(&mut self, t: Tok) -> Option<Text> {
        match t {
            Tok::Str { at, end, esc } => Some(self.str_text(at, end, esc)),
            Tok::Num { at, end, float } => Some(self.num_text(at, end, float)),
            Tok::Bool(b) => Some(Text::Static(if b { "true" } else { "false" })),
            _ => None,
        }
    }

    fn text_list(&mut self, key: &str, first: usize, len: usize) -> Result<Slot, EventError> {
        let start = self.ev.texts.len();
        let items = self.items.get(first..first + len).unwrap_or_default();
        for &item in items {
            match self.scalar_text(item) {
                Some(t) => self.ev.texts.push(t),
                None => {
                    return Err(bad(
                        key,
                        format!("array elements must be strings, found {}", kind(&item)),
                    ))
                }
            }
        }
        Ok(Slot::List(start, self.ev.texts.len()))
    }

    /// A short rendering of a bad value for error messages (kind and JSON text).
    fn show(&mut self, t: Tok) -> String {
        let json = match t {
            Tok::Null => Json::Null,
            Tok::Bool(b) => Json::Bool(b),
            Tok::Num { at, end, float } => num(self.raw(at, end), float).json(),
            Tok::Str { at, end, esc } => {
                let text = self.str_text(at, end, esc);
                Json::String(self.text(text).to_string())
            }
            Tok::Arr { .. } | Tok::NestedArr => Json::Array(Vec::new()),
            Tok::Obj => Json::Object(Map::new()),
        };
        let mut s = json.to_string();
        if s.len() > 60 {
            let mut end = 57;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
            s.push_str("...");
        }
        format!("{} {s}", kind(&t))
    }

    /// Whether a token is a missing value (`null` or the string `<NA>`).
    fn is_missing(&mut self, t: Tok) -> bool {
        match t {
            Tok::Null => true,
            Tok::Str { at, end, esc } => {
                if !esc {
                    return end - at == 4 && self.raw(at, end) == "<NA>";
                }
                // Unescaped into the scratch buffer and taken back (no allocation).
                let start = self.ev.scratch.len();
                let raw = self.line.get(at..end).unwrap_or_default();
                unescape_into(raw, &mut self.ev.scratch);
                let missing = self.ev.scratch.get(start..) == Some("<NA>");
                self.ev.scratch.truncate(start);
                missing
            }
            _ => false,
        }
    }

    fn uint(&mut self, key: &str, t: Tok) -> Result<u64, EventError> {
        let v = match t {
            Tok::Num { at, end, float } => num(self.raw(at, end), float).as_u64(),
            Tok::Str { at, end, esc } => {
                let text = self.str_text(at, end, esc);
                self.text(text).trim().parse().ok()
            }
            _ => None,
        };
        match v {
            Some(v) => Ok(v),
            None => Err(bad(
                key,
                format!("expected an unsigned integer, found {}", self.show(t)),
            )),
        }
    }

    fn int(&mut self, key: &str, t: Tok) -> Result<i64, EventError> {
        let v = match t {
            Tok::Num { at, end, float } => num(self.raw(at, end), float).as_i64(),
            Tok::Str { at, end, esc } => {
                let text = self.str_text(at, end, esc);
                self.text(text).trim().parse().ok()
            }
            _ => None,
        };
        match v {
            Some(v) => Ok(v),
            None => Err(bad(
                key,
                format!("expected an integer, found {}", self.show(t)),
            )),
        }
    }

    /// Converts a value of a registry field.
    fn field(
        &mut self,
        key: &str,
        ty: FieldType,
        list_ok: bool,
        t: Tok,
    ) -> Result<Slot, EventError> {
        if self.is_missing(t) {
            return Ok(Slot::Missing);
        }
        match t {
            Tok::Arr { first, len } if list_ok => return self.text_list(key, first, len),
            Tok::Arr { .. } | Tok::NestedArr => {
                return Err(bad(key, "an array is only allowed for a list field".into()))
            }
            Tok::Obj => return Err(bad(key, "an object is not a field value".into())),
            _ => {}
        }
        Ok(match ty {
            FieldType::Str | FieldType::Path | FieldType::Bytes | FieldType::IpNet => {
                Slot::Str(self.scalar_text(t).unwrap_or(Text::Static("")))
            }
            FieldType::Int => Slot::Int(self.int(key, t)?),
            FieldType::Uint => Slot::Uint(self.uint(key, t)?),
            FieldType::Bool => {
                let b = match t {
                    Tok::Bool(b) => Some(b),
                    Tok::Str { at, end, esc } => {
                        let text = self.str_text(at, end, esc);
                        match self.text(text) {
                            "true" => Some(true),
                            "false" => Some(false),
                            _ => None,
                        }
                    }
                    Tok::Num { at, end, float } => match num(self.raw(at, end), float).as_u64() {
                        Some(1) => Some(true),
                        Some(0) => Some(false),
                        _ => None,
                    },
                    _ => None,
                };
                match b {
                    Some(b) => Slot::Bool(b),
                    None => {
                        return Err(bad(
                            key,
                            format!("expected true or false, found {}", self.show(t)),
                        ))
                    }
                }
            }
            FieldType::Ip => {
                let ip = match t {
                    Tok::Str { at, end, esc } => {
                        let text = self.str_text(at, end, esc);
                        self.text(text).trim().parse::<IpAddr>().ok()
                    }
                    _ => None,
                };
                match ip {
                    Some(ip) => Slot::Ip(ip),
                    None => {
                        return Err(bad(
                            key,
                            format!("expected an IP address, found {}", self.show(t)),
                        ))
                    }
                }
            }
        })
    }

    /// Converts a value of a key that is not a field name: kept as close to the input as
    /// possible.
    fn untyped(&mut self, key: &str, t: Tok) -> Result<Slot, EventError> {
        if self.is_missing(t) {
            return Ok(Slot::Missing);
        }
        Ok(match t {
            Tok::Str { at, end, esc } => Slot::Str(self.str_text(at, end, esc)),
            Tok::Bool(b) => Slot::Bool(b),
            Tok::Num { at, end, float } => match num(self.raw(at, end), float) {
                Num::I(i) => Slot::Int(i),
                Num::U(u) => match i64::try_from(u) {
                    Ok(i) => Slot::Int(i),
                    Err(_) => Slot::Uint(u),
                },
                Num::F(_) => Slot::Str(self.num_text(at, end, float)),
            },
            Tok::Arr { first, len } => self.text_list(key, first, len)?,
            Tok::Null | Tok::NestedArr | Tok::Obj => {
                return Err(bad(key, format!("unsupported value: {}", kind(&t))));
            }
        })
    }
}

// ------------------------------------------------------------------------------ parser

/// Parses lines into a reusable event; one per reader (and one per thread for
/// [`FlatEvent::from_json_line`]).
#[derive(Debug)]
pub(crate) struct Parser {
    keys: Keys,
    ev: EventBuf,
    top: Vec<Member>,
    inner: Vec<Member>,
    items: Vec<Tok>,
    key_buf: String,
    /// The last `evt.type` text resolved to an id, and its id: most lines repeat a type.
    last_type: (String, Option<EvtTypeId>),
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl Parser {
    pub(crate) fn new() -> Parser {
        Parser {
            keys: Keys::new(registry()),
            ev: EventBuf::default(),
            top: Vec::new(),
            inner: Vec::new(),
            items: Vec::new(),
            key_buf: String::new(),
            last_type: (String::new(), None),
        }
    }

    /// Parses one line (trimmed, not empty) into the parser's event; for a Falco alert line,
    /// returns its object.
    pub(crate) fn parse(
        &mut self,
        line: &str,
        reg: &Registry,
    ) -> Result<Option<Map<String, Json>>, EventError> {
        if self.keys.reg != reg as *const Registry as usize
            || self.keys.infos.len() > MAX_KEYS
            || self.keys.canon_names.len() > MAX_KEYS
        {
            self.keys = Keys::new(reg);
        }
        self.ev.start();
        self.top.clear();
        self.inner.clear();
        self.items.clear();
        let mut scan = Scan {
            b: line.as_bytes(),
            i: 0,
            items: &mut self.items,
            top: &mut self.top,
            inner: &mut self.inner,
            inner_set: false,
            has_rule: false,
            fields: None,
            time: None,
        };
        scan.ws();
        if scan.peek() != Some(b'{') {
            let t = scan
                .value(0, false)
                .map_err(|e| EventError::Json(e.to_string()))?;
            scan.ws();
            if scan.i < line.len() {
                return Err(EventError::Json(
                    scan.err(ScanErrorKind::TrailingCharacters).to_string(),
                ));
            }
            return Err(EventError::NotAnObject(kind(&t)));
        }
        scan.object(1, Dest::Top)
            .map_err(|e| EventError::Json(e.to_string()))?;
        scan.ws();
        if scan.i < line.len() {
            return Err(EventError::Json(
                scan.err(ScanErrorKind::TrailingCharacters).to_string(),
            ));
        }
        let (inner_set, time_tok) = (scan.inner_set, scan.time);

        // A Falco alert: an object with `rule` and `output_fields`.
        let alert = match (scan.has_rule, scan.fields) {
            (true, Some(t)) => {
                if !matches!(t, Tok::Obj) || !inner_set {
                    return Err(EventError::BadAlert(kind(&t)));
                }
                let obj: Map<String, Json> =
                    serde_json::from_str(line).map_err(|e| EventError::Json(e.to_string()))?;
                Some(obj)
            }
            _ => None,
        };
        let members = if alert.is_some() {
            &self.inner
        } else {
            &self.top
        };
        let mut conv = Conv {
            line,
            items: &self.items,
            ev: &mut self.ev,
        };
        for (pos, m) in members.iter().enumerate() {
            let key = member_key(line, m, &mut self.key_buf);
            let id = self.keys.lookup(pos, key, reg);
            let Some(info) = self.keys.infos.get(id as usize) else {
                continue;
            };
            let slot = match info.kind {
                KeyKind::Unknown { report } => {
                    if report {
                        conv.ev.unknown.push(id);
                    }
                    conv.untyped(key, m.val)?
                }
                KeyKind::Field { time: true, .. } if matches!(m.val, Tok::Num { .. }) => {
                    // Falco's JSON gives timestamp renderings as integer nanoseconds.
                    Slot::Time(conv.uint(key, m.val)?)
                }
                KeyKind::Field { ty, list_ok, .. } => conv.field(key, ty, list_ok, m.val)?,
            };
            if conv.ev.put(info.canon, slot) {
                conv.ev.dups.push(key.to_string());
            }
        }
        if alert.is_some() {
            // Keys given twice in the alert's own object.
            let mut seen = HashSet::new();
            for m in self.top.iter() {
                let key = member_key(line, m, &mut self.key_buf).to_string();
                if !seen.insert(key.clone()) {
                    self.ev.dups.push(key);
                }
            }
        }
        // The event time from a timestamp rendering given as a number.
        let ts = TIME_IDS
            .clone()
            .find_map(|c| match self.ev.slot(c) {
                Some(Slot::Time(ts)) => Some(*ts),
                _ => None,
            })
            .or_else(|| {
                // An alert line without the time in its fields: the alert's `time`.
                let Some(Tok::Str { at, end, esc }) = time_tok.filter(|_| alert.is_some()) else {
                    return None;
                };
                let mut s = String::new();
                let raw = line.get(at..end).unwrap_or_default();
                if esc {
                    unescape_into(raw, &mut s);
                } else {
                    s.push_str(raw);
                }
                let view = EventRef {
                    line,
                    buf: &self.ev,
                    keys: &self.keys,
                };
                if view.timestamp_ns().is_some() {
                    return None;
                }
                parse_falco_time(&s)
            });
        if let Some(ts) = ts {
            let given = self
                .ev
                .slot(EVT_RAWTIME)
                .is_some_and(|s| !matches!(s, Slot::Missing | Slot::Time(_)));
            if !given {
                self.ev.put(EVT_RAWTIME, Slot::Uint(ts));
            }
        }
        // The event type as an id, for the engine's index of rules.
        let view = EventRef {
            line,
            buf: &self.ev,
            keys: &self.keys,
        };
        let type_id = match view.evt_type() {
            Some(t) if t == self.last_type.0 => self.last_type.1,
            Some(t) => {
                let id = evttypes::type_id(t);
                self.last_type.0.clear();
                self.last_type.0.push_str(t);
                self.last_type.1 = id;
                id
            }
            None => None,
        };
        self.ev.type_id = type_id;
        Ok(alert)
    }

    /// The event of the last line parsed (`line` is that line).
    pub(crate) fn view<'a>(&'a self, line: &'a str) -> EventRef<'a> {
        EventRef {
            line,
            buf: &self.ev,
            keys: &self.keys,
        }
    }

    /// The keys of the last line that repeat a field given earlier in it.
    pub(crate) fn duplicate_keys(&mut self) -> impl Iterator<Item = String> + '_ {
        self.ev.dups.drain(..)
    }

    /// The unknown keys of the last line not reported before, marking them reported;
    /// `report` decides whether a key not seen before is reported.
    pub(crate) fn new_unknown_keys(&mut self, mut report: impl FnMut(&str) -> bool) -> Vec<String> {
        let mut out = Vec::new();
        for &id in &self.ev.unknown {
            if let Some(info) = self.keys.infos.get_mut(id as usize) {
                if !info.seen {
                    info.seen = true;
                    if report(&info.raw) {
                        out.push(info.raw.to_string());
                    }
                }
            }
        }
        out
    }

    /// Every unknown key of the last line, in order (repeats included).
    pub(crate) fn unknown_keys(&self) -> Vec<String> {
        self.ev
            .unknown
            .iter()
            .filter_map(|&id| self.keys.infos.get(id as usize))
            .map(|i| i.raw.to_string())
            .collect()
    }
}

/// A member's key as text (unescaped into `buf` when it holds escapes).
fn member_key<'a>(line: &'a str, m: &Member, buf: &'a mut String) -> &'a str {
    let raw = line.get(m.key_at..m.key_end).unwrap_or_default();
    if m.key_esc {
        buf.clear();
        unescape_into(raw, buf);
        buf.as_str()
    } else {
        raw
    }
}

// ------------------------------------------------------------------------------ the view

/// One event as read by [`RecordReader::next_ref`](crate::RecordReader::next_ref): its text
/// borrows from the line and the reader's buffers, valid until the next line is read.
///
/// It reads as the [`FlatEvent`] of the same line does (it implements
/// [`quell_rules::Event`] with the same rules: ancestor fallbacks, unindexed ancestor
/// lists, timestamp renderings), and [`EventRef::to_flat`] copies it into one.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    line: &'a str,
    buf: &'a EventBuf,
    keys: &'a Keys,
}

impl std::fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> EventRef<'a> {
    fn text(&self, t: Text) -> &'a str {
        match t {
            Text::Line(a, b) => self.line.get(a..b).unwrap_or_default(),
            Text::Scratch(a, b) => self.buf.scratch.get(a..b).unwrap_or_default(),
            Text::Static(s) => s,
        }
    }

    fn value(&self, s: &Slot) -> Option<Value<'a>> {
        Some(match *s {
            Slot::Missing | Slot::Time(_) => return None,
            Slot::Str(t) => Value::Str(Cow::Borrowed(self.text(t))),
            Slot::Int(i) => Value::Int(i),
            Slot::Uint(u) => Value::Uint(u),
            Slot::Bool(b) => Value::Bool(b),
            Slot::Ip(ip) => Value::Ip(ip),
            Slot::List(a, b) => Value::List(
                self.buf
                    .texts
                    .get(a..b)
                    .unwrap_or_default()
                    .iter()
                    .map(|t| Value::Str(Cow::Borrowed(self.text(*t))))
                    .collect(),
            ),
        })
    }

    fn get_id(&self, canon: u32) -> Option<Value<'a>> {
        self.value(self.buf.slot(canon)?)
    }

    /// The value stored under a canonical key (`proc.aname[2]`, `evt.arg.flags`), as
    /// [`FlatEvent::get`].
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        let &c = self.keys.by_canon.get(key)?;
        self.get_id(c)
    }

    /// The event type (`evt.type`), when it is text.
    pub fn evt_type(&self) -> Option<&'a str> {
        match self.buf.slot(EVT_TYPE)? {
            Slot::Str(t) => Some(self.text(*t)),
            _ => None,
        }
    }

    /// Every field and its value, in order of first appearance in the line.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + 'a {
        let this = *self;
        this.buf.entries.iter().filter_map(move |(c, s)| {
            let key = this.keys.canon_names.get(*c as usize)?;
            Some((key.as_ref(), this.value(s)?))
        })
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.buf
            .entries
            .iter()
            .filter(|(_, s)| !matches!(s, Slot::Missing | Slot::Time(_)))
            .count()
    }

    /// True when the event has no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The event time in nanoseconds, as [`FlatEvent::timestamp_ns`].
    pub fn timestamp_ns(&self) -> Option<u64> {
        let num = |v: Option<Value<'_>>| match v? {
            Value::Uint(u) => Some(u),
            Value::Int(i) => u64::try_from(i).ok(),
            _ => None,
        };
        num(self.get_id(EVT_RAWTIME)).or_else(|| num(self.get("evt.time")))
    }

    /// The event as an owned [`FlatEvent`].
    pub fn to_flat(&self) -> FlatEvent {
        FlatEvent::from_pairs(self.buf.entries.iter().filter_map(|(c, s)| {
            let key = self.keys.canon_names.get(*c as usize)?;
            Some((key.clone(), self.value(s)?.into_owned()))
        }))
    }
}

impl Event for EventRef<'_> {
    fn evt_type(&self) -> Option<&str> {
        EventRef::evt_type(self)
    }

    fn evt_type_id(&self) -> Option<EvtTypeId> {
        self.buf.type_id
    }

    fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
        field_from(f, &|k| self.get(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(p: &mut Parser, line: &str) -> Result<FlatEvent, EventError> {
        p.parse(line, registry())?;
        Ok(p.view(line).to_flat())
    }

    /// Scans one line as the parser does: a value, then nothing but blanks.
    fn scan(line: &str) -> Result<(), ScanError> {
        let (mut items, mut top, mut inner) = (Vec::new(), Vec::new(), Vec::new());
        let mut s = Scan {
            b: line.as_bytes(),
            i: 0,
            items: &mut items,
            top: &mut top,
            inner: &mut inner,
            inner_set: false,
            has_rule: false,
            fields: None,
            time: None,
        };
        s.ws();
        s.value(0, false)?;
        s.ws();
        if s.i < line.len() {
            return Err(s.err(ScanErrorKind::TrailingCharacters));
        }
        Ok(())
    }

    /// The scanner's errors are typed (a kind and a column, no text until shown), and
    /// each kind is worded as serde_json words the same error.
    #[test]
    fn scan_errors_are_typed_and_worded_as_serde_json() {
        use ScanErrorKind::*;
        let cases: [(&str, ScanErrorKind, usize); 17] = [
            ("\"a\u{1}\"", ControlCharacter, 3),
            ("\"abc", EofInString, 5),
            ("\"a\\x\"", InvalidEscape, 3),
            ("\"\\udc00\"", LoneSurrogate, 2),
            ("-x", InvalidNumber, 2),
            ("-", EofInValue, 2),
            ("1e999", NumberOutOfRange, 6),
            ("x", ExpectedValue, 1),
            (&"[".repeat(200), RecursionLimit, 129),
            ("[1,]", TrailingComma, 4),
            ("[1 2]", ExpectedCommaOrBracket, 4),
            ("[1", EofInList, 3),
            ("{1:2}", KeyMustBeString, 2),
            ("{\"a\":1", EofInObject, 7),
            ("{\"a\" 1}", ExpectedColon, 6),
            ("{\"a\":1 2}", ExpectedCommaOrBrace, 8),
            ("{} x", TrailingCharacters, 4),
        ];
        for (line, kind, column) in cases {
            let e = scan(line).unwrap_err();
            assert_eq!(e, ScanError { kind, column }, "{line:?}");
            assert_eq!(e.to_string(), format!("{kind} at column {column}"));
            let theirs = serde_json::from_str::<Json>(line).unwrap_err().to_string();
            let theirs = theirs.split(" at line ").next().unwrap_or_default();
            assert_eq!(kind.to_string(), theirs, "{line:?}");
        }
        assert_eq!(scan(" {\"a\": [1, \"x\"]} "), Ok(()));
    }

    #[test]
    fn text_borrows_from_the_line_unless_escaped() {
        let mut p = Parser::new();
        let line = r#"{"evt.type":"openat","fd.name":"/etc/passwd","proc.name":"a\tb\u00e9\ud83d\ude00","proc.cmdline":"x\"y"}"#;
        p.parse(line, registry()).unwrap();
        let v = p.view(line);
        match v.get("fd.name") {
            Some(Value::Str(Cow::Borrowed(s))) => {
                let range = line.as_bytes().as_ptr_range();
                assert!(range.contains(&s.as_ptr()), "a span of the line");
                assert_eq!(s, "/etc/passwd");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(v.get("proc.name"), Some(Value::Str("a\tbé😀".into())));
        assert_eq!(v.get("proc.cmdline"), Some(Value::Str("x\"y".into())));
        assert_eq!(v.evt_type(), Some("openat"));
        assert_eq!(v.len(), 4);
    }

    #[test]
    fn the_view_reads_as_the_owned_event() {
        let line = r#"{"evt.rawtime":1500000000,"evt.type":"execve","proc.name":"cat","proc.pname":"bash","proc.aname[2]":"sshd","fd.types":["file",3],"x.y":1.5,"quell.decision":"fp"}"#;
        let mut p = Parser::new();
        p.parse(line, registry()).unwrap();
        let view = p.view(line);
        let owned = view.to_flat();
        for name in [
            "proc.name",
            "proc.aname[1]",
            "proc.aname",
            "evt.time",
            "evt.rawtime.s",
            "fd.types",
            "fd.name",
        ] {
            let f = registry().resolve_text(name).unwrap();
            assert_eq!(Event::field(&view, &f), owned.field(&f), "{name}");
        }
        assert_eq!(view.timestamp_ns(), owned.timestamp_ns());
        assert_eq!(owned.get("x.y"), Some(&Value::Str("1.5".into())));
        assert_eq!(p.unknown_keys(), ["x.y"], "quell.* keys are not reported");
    }

    /// The event type id kept per line agrees with the type's text, line after line (a
    /// repeated type, a new one, an escaped one, an unknown one, a type that is not text, none).
    #[test]
    fn the_type_id_follows_the_type() {
        let mut p = Parser::new();
        for line in [
            r#"{"evt.type":"openat"}"#,
            r#"{"evt.type":"openat","proc.name":"x"}"#,
            r#"{"evt.type":"execve"}"#,
            r#"{"evt.type":"exec\u0076e"}"#,
            r#"{"evt.type":"no_such_type"}"#,
            r#"{"proc.name":"x"}"#,
            r#"{"evt.type":"openat","evt.type":"connect"}"#,
            r#"{"evt.type":null}"#,
        ] {
            p.parse(line, registry()).unwrap();
            let v = p.view(line);
            let want = Event::evt_type(&v).and_then(evttypes::type_id);
            assert_eq!(Event::evt_type_id(&v), want, "{line}");
        }
        let line = r#"{"evt.type":"exec\u0076e"}"#;
        p.parse(line, registry()).unwrap();
        assert_eq!(
            Event::evt_type_id(&p.view(line)),
            evttypes::type_id("execve")
        );
        assert!(evttypes::type_id("execve").is_some());
    }

    #[test]
    fn same_bytes_is_equality() {
        let base: Vec<u8> = (0..20u8).map(|i| b'a' + i).collect();
        for len in 0..base.len() {
            let a = &base[..len];
            assert!(same_bytes(a, a), "{len}");
            assert!(!same_bytes(a, &base[..len + 1]), "{len}");
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!same_bytes(a, &b), "{len} {at}");
            }
        }
    }

    #[test]
    fn buffers_are_reused_from_line_to_line() {
        let mut p = Parser::new();
        let a = r#"{"evt.type":"open","proc.name":"a\u0041","fd.types":["x","y"]}"#;
        let b = r#"{"evt.type":"close","proc.pid":3}"#;
        p.parse(a, registry()).unwrap();
        assert_eq!(p.view(a).get("proc.name"), Some(Value::Str("aA".into())));
        // Nothing of the first line is left in the second.
        p.parse(b, registry()).unwrap();
        let v = p.view(b);
        assert_eq!(v.get("proc.name"), None);
        assert_eq!(v.get("fd.types"), None);
        assert_eq!(v.evt_type(), Some("close"));
        assert_eq!(v.len(), 2);
        let (entries, scratch) = (p.ev.entries.capacity(), p.ev.scratch.capacity());
        for _ in 0..100 {
            p.parse(a, registry()).unwrap();
            p.parse(b, registry()).unwrap();
        }
        assert_eq!(p.ev.entries.capacity(), entries);
        assert_eq!(p.ev.scratch.capacity(), scratch);
        assert!(p.keys.infos.len() <= 4, "{:?}", p.keys.infos);
    }

    #[test]
    fn the_key_table_is_bounded() {
        let mut p = Parser::new();
        for i in 0..3 * MAX_KEYS {
            let line = format!(r#"{{"k{i}":1}}"#);
            let e = parse(&mut p, &line).unwrap();
            assert_eq!(e.get(&format!("k{i}")), Some(&Value::Int(1)));
            assert!(p.keys.infos.len() <= MAX_KEYS + 1);
        }
    }

    #[test]
    fn numbers_as_serde_json_reads_them() {
        let mut p = Parser::new();
        let e = parse(
            &mut p,
            r#"{"a":-0,"b":1E2,"c":99999999999999999999,"d":18446744073709551615,"e":-9223372036854775808,"evt.arg.x":1.50}"#,
        )
        .unwrap();
        assert_eq!(e.get("a"), Some(&Value::Str("-0.0".into())));
        assert_eq!(e.get("b"), Some(&Value::Str("100.0".into())));
        assert_eq!(e.get("c"), Some(&Value::Str("1e+20".into())));
        assert_eq!(e.get("d"), Some(&Value::Uint(u64::MAX)));
        assert_eq!(e.get("e"), Some(&Value::Int(i64::MIN)));
        assert_eq!(e.get("evt.arg.x"), Some(&Value::Str("1.5".into())));
        assert!(parse(&mut p, r#"{"a":1e400}"#).is_err());
    }

    /// The short-number fast path reads what serde_json reads.
    #[test]
    fn short_numbers_as_serde_json_reads_them() {
        for text in [
            "0",
            "-0",
            "7",
            "-7",
            "10",
            "1234567890123456789",
            "9999999999999999999",
            "-123456789012345678",
            "-999999999999999999",
        ] {
            let ours = num(text, false).json();
            let theirs: Json = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
            assert_eq!(ours.to_string(), theirs.to_string(), "{text}");
        }
    }

    #[test]
    fn timestamps_from_renderings_in_key_order() {
        let mut p = Parser::new();
        // Whatever the order in the line, `evt.datetime` < `evt.time` in key order.
        let e = parse(&mut p, r#"{"evt.time":7,"evt.datetime":5}"#).unwrap();
        assert_eq!(e.timestamp_ns(), Some(5));
        assert_eq!(e.get("evt.time"), None);
        let e = parse(&mut p, r#"{"evt.time":7,"evt.rawtime":9}"#).unwrap();
        assert_eq!(e.timestamp_ns(), Some(9));
    }

    /// JSON-ish text: pieces of valid JSON and the characters that break it.
    fn jsonish() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("{".to_string()),
                Just("}".to_string()),
                Just("[".to_string()),
                Just("]".to_string()),
                Just(",".to_string()),
                Just(":".to_string()),
                Just(" ".to_string()),
                Just("\"proc.name\"".to_string()),
                Just("\"fd.types\"".to_string()),
                Just("\"".to_string()),
                Just("\\".to_string()),
                Just("\\u".to_string()),
                Just("\\ud83d".to_string()),
                Just("\\ude00".to_string()),
                Just("\u{1}".to_string()),
                Just("true".to_string()),
                Just("nul".to_string()),
                Just("null".to_string()),
                Just("-".to_string()),
                Just(".".to_string()),
                Just("e".to_string()),
                "[0-9]{1,22}",
                "[a-z]{1,3}",
            ],
            0..24,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// The scanner accepts exactly the JSON serde_json accepts, and tells an object
        /// from the rest as it does.
        #[test]
        fn accepts_what_serde_json_accepts(text in jsonish()) {
            let mut p = Parser::new();
            let ours = p.parse(&text, registry());
            let theirs = serde_json::from_str::<Json>(&text);
            match (&ours, &theirs) {
                (Err(EventError::Json(_)), Err(_)) => {}
                (Err(EventError::Json(e)), Ok(v)) => prop_assert!(false, "{text:?}: we refuse ({e}), serde reads {v}"),
                (_, Err(e)) => prop_assert!(false, "{text:?}: we read {ours:?}, serde refuses ({e})"),
                (Err(EventError::NotAnObject(_)), Ok(v)) => prop_assert!(!v.is_object()),
                (_, Ok(v)) => prop_assert!(v.is_object(), "{text:?}"),
            }
        }

        /// Valid JSON with one character changed: still the same decision as serde_json.
        #[test]
        fn damaged_json_is_judged_as_serde_json_judges_it(
            keys in prop::collection::vec(prop::sample::select(&["proc.name", "fd.sip", "x", "evt.time", "a\"b"][..]), 0..6),
            vals in prop::collection::vec(prop_oneof![
                Just(Json::Null), any::<i64>().prop_map(Json::from), "\\PC{0,6}".prop_map(Json::from),
                Just(serde_json::json!(["a", 1, [2]])), Just(serde_json::json!({"k": [1.5e3]}))
            ], 6),
            at in any::<prop::sample::Index>(),
            with in prop::sample::select(&["", "\"", "\\", "}", "]", ",", "0", "-", "\u{0}", "e", "{"][..]),
        ) {
            let obj: Map<String, Json> = keys.iter().zip(vals).map(|(k, v)| (k.to_string(), v)).collect();
            let text = Json::Object(obj).to_string();
            let mut cut = at.index(text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let end = text[cut..].chars().next().map_or(cut, |c| cut + c.len_utf8());
            let damaged = format!("{}{with}{}", &text[..cut], &text[end..]);
            for t in [&text, &damaged] {
                let mut p = Parser::new();
                let ours = matches!(p.parse(t, registry()), Err(EventError::Json(_)));
                let theirs = serde_json::from_str::<Json>(t).is_err();
                prop_assert_eq!(ours, theirs, "{:?}", t);
            }
        }
    }
}
