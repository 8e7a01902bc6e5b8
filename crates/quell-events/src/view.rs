//! The reader's fast path: a line parsed straight into a reusable event whose text borrows
//! from the line ([`EventRef`]).
//!
//! A purpose-built JSON scanner reads the line (strings eight bytes at a time, numbers and
//! literals checked against JSON's grammar and integers read as they are scanned, nesting
//! limited to 128 levels as in serde_json). Each key is resolved once per reader to a field
//! id. Every value is converted to its field's type as it is read (so a bad value in a field
//! no rule reads is still an error naming its key), into buffers that are reused from line
//! to line: a text value is a span of the line unless it holds escapes (then it is unescaped
//! into a scratch string kept by the reader). Reading a line allocates nothing once the
//! buffers have grown to the stream's lines, except for a Falco alert line's object and for
//! warnings.
//!
//! Two paths, one result: `Parser::one_pass` reads an event line in a single pass, each
//! member converted as soon as it is scanned. After each key, the parser remembers the
//! "glue" that followed its value in recent lines (every byte up to the next value: blanks,
//! comma, the next key with its quotes, colon; or the closing brace) with the key it names;
//! when the line holds the same bytes there (compared as five masked words), the next key is
//! known without scanning or looking it up, since those bytes are the only syntax between
//! the two values. The commonest values (plain text, short integers, booleans) are converted
//! inline.
//! Anything else (not an object, a syntax error, a bad value, a top-level `rule` or
//! `output_fields` that may make the line a Falco alert) goes to `Parser::two_pass`, which
//! scans the whole line before converting: a syntax error anywhere is reported before a bad
//! value, as before. The property test `one_pass_reads_as_two_pass` checks that the two
//! agree on random streams (event, warnings, type id, kind of line, or error).
//!
//! Duplicate keys: the last occurrence in the line wins (as for two spellings of one field,
//! `proc.aname[2]` and `proc.aname[02]`); every occurrence is converted, so a bad value in an
//! earlier one is still an error; each repeat is reported as a warning.
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
    /// A number; `long`: it has a fraction, an exponent or more than 19 characters (read
    /// by the general parser), else `mag` is its magnitude, read as it was scanned.
    Num {
        at: usize,
        end: usize,
        long: bool,
        mag: u64,
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
#[inline(always)]
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

/// The end of an escape whose backslash is at `i` (the index after it), or why it is not
/// one of JSON's.
fn escape_end(b: &[u8], i: usize) -> Result<usize, ScanErrorKind> {
    match b.get(i + 1).copied() {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
        Some(b'u') => {
            let Some(cp) = b.get(i + 2..).and_then(hex4) else {
                return Err(ScanErrorKind::InvalidEscape);
            };
            if (0xDC00..0xE000).contains(&cp) {
                return Err(ScanErrorKind::LoneSurrogate);
            }
            if (0xD800..0xDC00).contains(&cp) {
                let low = match b.get(i + 6..i + 8) {
                    Some(b"\\u") => b.get(i + 8..).and_then(hex4),
                    _ => None,
                };
                if !low.is_some_and(|l| (0xDC00..0xE000).contains(&l)) {
                    return Err(ScanErrorKind::LoneSurrogate);
                }
                Ok(i + 12)
            } else {
                Ok(i + 6)
            }
        }
        Some(_) => Err(ScanErrorKind::InvalidEscape),
        None => Err(ScanErrorKind::EofInString),
    }
}

/// The one-pass path's string: content starting at `i`; the index of its closing quote and
/// whether it holds escapes, or `None` when it is not a valid JSON string (the general path
/// then reports the error).
#[inline(always)]
fn string_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut esc = false;
    loop {
        i += special_byte(b.get(i..)?);
        match b.get(i)? {
            b'"' => return Some((i, esc)),
            b'\\' => {
                esc = true;
                i = escape_end(b, i).ok()?;
            }
            _ => return None,
        }
    }
}

/// An IPv4 address in its plain form (four decimal numbers up to 255 without leading zeros,
/// separated by dots), which `IpAddr`'s parser reads as the same address; `None` for
/// anything else (left to it).
fn ipv4(s: &[u8]) -> Option<std::net::Ipv4Addr> {
    let digit = |c: u8| {
        let d = c.wrapping_sub(b'0');
        (d <= 9).then_some(d)
    };
    let octet = |f: &[u8]| match *f {
        [a] => digit(a),
        [a, b] if a != b'0' => Some(digit(a)? * 10 + digit(b)?),
        [a, b, c] if a != b'0' => {
            let v = u32::from(digit(a)?) * 100 + u32::from(digit(b)?) * 10 + u32::from(digit(c)?);
            u8::try_from(v).ok()
        }
        _ => None,
    };
    let mut fields = s.split(|&c| c == b'.');
    let mut parts = [0u8; 4];
    for p in &mut parts {
        *p = octet(fields.next()?)?;
    }
    if fields.next().is_some() {
        return None;
    }
    Some(std::net::Ipv4Addr::from(parts))
}

/// The index of the first byte at or after `i` that is not a JSON blank.
#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).copied().is_some_and(is_ws) {
        i += 1;
    }
    i
}

/// The digits at `i`: the index after them and their value (wrapping: used only when there
/// are at most 19).
#[inline]
fn digits_at(b: &[u8], mut i: usize) -> (usize, u64) {
    let mut v = 0u64;
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (i, v)
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
        match escape_end(self.b, self.i) {
            Ok(end) => {
                self.i = end;
                Ok(())
            }
            Err(kind) => Err(self.err(kind)),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// Digits as a number (wrapping: only used when there are at most 19 of them).
    fn digits_value(&mut self) -> u64 {
        let mut v = 0u64;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            v = v.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
            self.i += 1;
        }
        v
    }

    /// A number, checked against JSON's grammar; one that does not fit a 64-bit float is
    /// an error, as in serde_json.
    fn number(&mut self) -> Scanned<Tok> {
        let at = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let mag = match self.peek() {
            Some(b'0') => {
                self.i += 1;
                0
            }
            Some(b'1'..=b'9') => self.digits_value(),
            Some(_) => return Err(self.err(ScanErrorKind::InvalidNumber)),
            None => return Err(self.err(ScanErrorKind::EofInValue)),
        };
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
        let long = float || self.i - at > 19;
        if long {
            let text = std::str::from_utf8(self.b.get(at..self.i).unwrap_or_default());
            if !text
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .is_some_and(f64::is_finite)
            {
                return Err(self.err(ScanErrorKind::NumberOutOfRange));
            }
        }
        Ok(Tok::Num {
            at,
            end: self.i,
            long,
            mag,
        })
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
            Some(b'-' | b'0'..=b'9') => self.number(),
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
    /// `rule` or `output_fields`: at the top level, the line may be a Falco alert (read by
    /// the general path); elsewhere an unknown key.
    Alert,
}

#[derive(Debug)]
struct KeyInfo {
    raw: Box<str>,
    canon: u32,
    kind: KeyKind,
    /// The reader already decided whether to report it.
    seen: bool,
    /// How the one-pass path converts its commonest values.
    quick: Quick,
}

/// How the one-pass path converts a key's value: the commonest values inline, the rest (and
/// every error) by the shared conversion; `one_pass_reads_as_two_pass` checks that both
/// give the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quick {
    /// A text field (not a timestamp rendering): a string without escapes is a span of the
    /// line (or missing, `<NA>`).
    Text,
    /// A signed integer field: a short integer.
    Int,
    /// An unsigned integer field: a short integer that is not negative.
    Uint,
    /// A boolean field: `true` or `false`.
    Bool,
    /// An IP address field: an IPv4 address in its plain form.
    Ip,
    /// Every value by the shared conversion.
    General,
    /// `rule` or `output_fields`: the line may be a Falco alert, read by the general path.
    Alert,
}

impl Quick {
    fn of(kind: KeyKind) -> Quick {
        match kind {
            KeyKind::Field { time: true, .. } | KeyKind::Unknown { .. } => Quick::General,
            KeyKind::Field { ty, .. } => match ty {
                FieldType::Str | FieldType::Path | FieldType::Bytes | FieldType::IpNet => {
                    Quick::Text
                }
                FieldType::Int => Quick::Int,
                FieldType::Uint => Quick::Uint,
                FieldType::Bool => Quick::Bool,
                FieldType::Ip => Quick::Ip,
            },
            KeyKind::Alert => Quick::Alert,
        }
    }
}

/// The longest glue a prediction holds, in 64-bit words and bytes.
const GLUE_WORDS: usize = 5;
const GLUE_MAX: usize = 8 * GLUE_WORDS;

/// What the one-pass path expects after a key's value (or at the start of a line): the
/// glue, every byte from the end of the value to the start of the next one (blanks, the
/// comma or the opening brace, the next key with its quotes, the colon), or to the end of
/// the object (its closing brace), as a line had it, and that next key. When the line has
/// these bytes there, the next key is this one, with no scanning or look-up.
#[derive(Clone, Copy, Debug)]
struct Pred {
    /// The glue as little-endian words, zero past its end.
    glue: [u64; GLUE_WORDS],
    /// The glue's length in bytes.
    len: u8,
    quick: Quick,
    /// The key's id, or `END`: the glue ends the object.
    id: u32,
    canon: u32,
}

/// The id of a prediction that the object ends.
const END: u32 = u32::MAX;

/// How many predictions are kept per key (after one key, the next may depend on the event
/// type: `evt.type` is followed by `evt.res` in some lines, `evt.failed` in others).
const WAYS: usize = 4;

/// No glue yet: one byte, 0xFF, which UTF-8 text never holds.
const NO_GLUE: Pred = Pred {
    glue: [0xFF, 0, 0, 0, 0],
    len: 1,
    quick: Quick::General,
    id: END,
    canon: u32::MAX,
};

/// Per glue length, the masks of its bytes in each word.
const MASKS: [[u64; GLUE_WORDS]; GLUE_MAX + 1] = {
    let mut t = [[0u64; GLUE_WORDS]; GLUE_MAX + 1];
    let mut n = 0;
    while n <= GLUE_MAX {
        let mut i = 0;
        while i < GLUE_WORDS {
            t[n][i] = if n >= 8 * i + 8 {
                u64::MAX
            } else if n <= 8 * i {
                0
            } else {
                (1u64 << (8 * (n - 8 * i))) - 1
            };
            i += 1;
        }
        n += 1;
    }
    t
};

fn word(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = b.get(i..i + 8) {
        w.copy_from_slice(s);
    }
    u64::from_le_bytes(w)
}

impl Pred {
    fn new(glue: &[u8], quick: Quick, id: u32, canon: u32) -> Option<Pred> {
        if glue.is_empty() || glue.len() > GLUE_MAX {
            return None;
        }
        let mut bytes = [0u8; GLUE_MAX];
        bytes.get_mut(..glue.len())?.copy_from_slice(glue);
        let mut p = Pred {
            glue: [0; GLUE_WORDS],
            len: glue.len() as u8,
            quick,
            id,
            canon,
        };
        for (i, w) in p.glue.iter_mut().enumerate() {
            *w = word(&bytes, 8 * i);
        }
        Some(p)
    }

    /// Whether `b` has this glue at `at`: five masked words compared, no loop, when the
    /// line has `GLUE_MAX` bytes there.
    #[inline(always)]
    fn at(&self, b: &[u8], at: usize) -> bool {
        let Some(w) = b
            .get(at..at + GLUE_MAX)
            .and_then(|w| <&[u8; GLUE_MAX]>::try_from(w).ok())
        else {
            return self.at_tail(b, at);
        };
        self.same(w)
    }

    #[inline(always)]
    fn same(&self, w: &[u8; GLUE_MAX]) -> bool {
        let Some(mask) = MASKS.get(usize::from(self.len)) else {
            return false;
        };
        let mut diff = 0;
        for (i, (m, g)) in mask.iter().zip(&self.glue).enumerate() {
            diff |= (word(w, 8 * i) & m) ^ g;
        }
        diff == 0
    }

    /// `Pred::at` near the end of the line: its rest, zero-padded, compared the same way.
    #[inline(never)]
    fn at_tail(&self, b: &[u8], at: usize) -> bool {
        let rest = b.get(at..).unwrap_or_default();
        if rest.len() < usize::from(self.len) {
            return false;
        }
        let mut w = [0u8; GLUE_MAX];
        if let Some(d) = w.get_mut(..rest.len()) {
            d.copy_from_slice(rest);
        }
        self.same(&w)
    }
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
    /// Per key id + 1 (0: the start of an object), the id of the key that followed it
    /// last time: tried first.
    next: Vec<u32>,
    /// Per key id + 1 (0: the start of a line), what followed it in the last lines that
    /// differed there, the latest first (one-pass path).
    preds: Vec<[Pred; WAYS]>,
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
            next: Vec::new(),
            preds: Vec::new(),
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
                if matches!(key, "rule" | "output_fields") {
                    KeyKind::Alert
                } else {
                    KeyKind::Unknown {
                        report: !key.starts_with("quell."),
                    }
                },
            ),
        };
        let id = self.infos.len() as u32;
        self.infos.push(KeyInfo {
            raw: key.into(),
            canon,
            kind,
            seen: false,
            quick: Quick::of(kind),
        });
        self.by_raw.insert(key.into(), id);
        id
    }

    /// Records that the key `id` (or `END`) followed the key of slot `slot` (see `preds`),
    /// after the glue `glue` (not recorded when longer than `GLUE_MAX`).
    fn learn(&mut self, slot: usize, glue: &[u8], id: u32) {
        let (quick, canon) = match self.infos.get(id as usize) {
            Some(info) => (info.quick, info.canon),
            None => (Quick::General, u32::MAX),
        };
        let Some(p) = Pred::new(glue, quick, id, canon) else {
            return;
        };
        if slot >= self.preds.len() {
            self.preds.resize(slot + 1, [NO_GLUE; WAYS]);
        }
        if let Some(ways) = self.preds.get_mut(slot) {
            ways.copy_within(..WAYS - 1, 1);
            ways[0] = p;
        }
    }

    /// The id of `key`, which follows the key `after` in the line's object (`None`: it is
    /// the first).
    #[inline]
    fn lookup(&mut self, after: Option<u32>, key: &str, reg: &Registry) -> u32 {
        let slot = after.map_or(0, |a| a as usize + 1);
        if let Some(&id) = self.next.get(slot) {
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
        if slot >= self.next.len() {
            self.next.resize(slot + 1, u32::MAX);
        }
        if let Some(n) = self.next.get_mut(slot) {
            *n = id;
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

/// A number token's value (`text` its text, `long` and `mag` as in [`Tok::Num`]).
fn num(text: &str, long: bool, mag: u64) -> Num {
    let float = || Num::F(text.parse::<f64>().unwrap_or(f64::NAN));
    // A short number is `-?(0|[1-9][0-9]*)` in at most 19 characters, its magnitude read by
    // the scanner: a u64, or (negative, at most 18 digits) an i64.
    if !long {
        return match (text.as_bytes().first() == Some(&b'-'), mag) {
            (false, v) => Num::U(v),
            // `-0` is a float for serde_json.
            (true, 0) => float(),
            (true, v) => Num::I(-(v as i64)),
        };
    }
    if text.contains(['.', 'e', 'E']) {
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
    /// Key ids of keys that repeat a field given earlier in the line.
    dups: Vec<u32>,
    /// Keys given twice in an alert line's own object.
    alert_dups: Vec<String>,
    /// `evt.type` as an id, resolved once per line.
    type_id: Option<EvtTypeId>,
    /// Whether a timestamp rendering was given as a number (a `Slot::Time`) in this line.
    has_time: bool,
}

impl EventBuf {
    fn start(&mut self) {
        self.has_time = false;
        self.entries.clear();
        self.scratch.clear();
        self.texts.clear();
        self.unknown.clear();
        self.dups.clear();
        self.alert_dups.clear();
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
    #[inline(always)]
    fn put(&mut self, canon: u32, slot: Slot) -> bool {
        let c = canon as usize;
        if c >= self.at.len() {
            self.at.resize(c + 1, (0, 0));
        }
        let Some(a) = self.at.get_mut(c) else {
            return false;
        };
        if a.0 == self.gen {
            if let Some(e) = self.entries.get_mut(a.1 as usize) {
                e.1 = slot;
            }
            return true;
        }
        *a = (self.gen, self.entries.len() as u32);
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

/// Why a value cannot be converted: plain data (`Copy`), made into an
/// [`EventError::BadValue`] (with its text) only when a line is refused.
#[derive(Clone, Copy, Debug)]
enum Bad {
    /// `expected {0}, found {kind} {json}`.
    Expected(&'static str, Tok),
    /// An array item that is not a scalar.
    ArrayItem(Tok),
    /// An array for a field that is not a list.
    NotAList,
    /// An object as a field's value.
    Object,
    /// A value an unknown key cannot hold.
    Unsupported(Tok),
}

type Converted<T> = Result<T, Bad>;

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

    /// A number token's value (`None` for another token).
    fn num(&self, t: Tok) -> Option<Num> {
        match t {
            Tok::Num { at, end, long, mag } => Some(num(self.raw(at, end), long, mag)),
            _ => None,
        }
    }

    /// A string token's text (`None` for another token).
    fn str_of(&mut self, t: Tok) -> Option<&str> {
        match t {
            Tok::Str { at, end, esc } => {
                let text = self.str_text(at, end, esc);
                Some(self.text(text))
            }
            _ => None,
        }
    }

    /// A number as text, as serde_json writes it.
    fn num_text(&mut self, at: usize, end: usize, long: bool, mag: u64) -> Text {
        if !(long || mag == 0 && self.raw(at, end) == "-0") {
            // At most 19 characters without a fraction or exponent: a 64-bit integer.
            return Text::Line(at, end);
        }
        match num(self.raw(at, end), long, mag) {
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
            Tok::Num { at, end, long, mag } => Some(self.num_text(at, end, long, mag)),
            Tok::Bool(b) => Some(Text::Static(if b { "true" } else { "false" })),
            _ => None,
        }
    }

    fn text_list(&mut self, first: usize, len: usize) -> Converted<Slot> {
        let start = self.ev.texts.len();
        let items = self.items.get(first..first + len).unwrap_or_default();
        for &item in items {
            match self.scalar_text(item) {
                Some(t) => self.ev.texts.push(t),
                None => return Err(Bad::ArrayItem(item)),
            }
        }
        Ok(Slot::List(start, self.ev.texts.len()))
    }

    /// A short rendering of a bad value for error messages (kind and JSON text).
    fn show(&mut self, t: Tok) -> String {
        let json = match t {
            Tok::Null => Json::Null,
            Tok::Bool(b) => Json::Bool(b),
            Tok::Num { .. } => self.num(t).map_or(Json::Null, Num::json),
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

    fn uint(&mut self, t: Tok) -> Converted<u64> {
        let v = match self.num(t) {
            Some(n) => n.as_u64(),
            None => self.str_of(t).and_then(|s| s.trim().parse().ok()),
        };
        v.ok_or(Bad::Expected("an unsigned integer", t))
    }

    fn int(&mut self, t: Tok) -> Converted<i64> {
        let v = match self.num(t) {
            Some(n) => n.as_i64(),
            None => self.str_of(t).and_then(|s| s.trim().parse().ok()),
        };
        v.ok_or(Bad::Expected("an integer", t))
    }

    /// The error a [`Bad`] value of key `key` is reported as.
    fn error(&mut self, key: &str, bad: Bad) -> EventError {
        let message = match bad {
            Bad::Expected(what, t) => format!("expected {what}, found {}", self.show(t)),
            Bad::ArrayItem(t) => format!("array elements must be strings, found {}", kind(&t)),
            Bad::NotAList => "an array is only allowed for a list field".into(),
            Bad::Object => "an object is not a field value".into(),
            Bad::Unsupported(t) => format!("unsupported value: {}", kind(&t)),
        };
        EventError::BadValue {
            key: key.to_string(),
            message,
        }
    }

    /// Converts a value of a registry field.
    fn field(&mut self, ty: FieldType, list_ok: bool, t: Tok) -> Converted<Slot> {
        if self.is_missing(t) {
            return Ok(Slot::Missing);
        }
        match t {
            Tok::Arr { first, len } if list_ok => return self.text_list(first, len),
            Tok::Arr { .. } | Tok::NestedArr => return Err(Bad::NotAList),
            Tok::Obj => return Err(Bad::Object),
            _ => {}
        }
        Ok(match ty {
            FieldType::Str | FieldType::Path | FieldType::Bytes | FieldType::IpNet => {
                Slot::Str(self.scalar_text(t).unwrap_or(Text::Static("")))
            }
            FieldType::Int => Slot::Int(self.int(t)?),
            FieldType::Uint => Slot::Uint(self.uint(t)?),
            FieldType::Bool => {
                let b = match t {
                    Tok::Bool(b) => Some(b),
                    Tok::Num { .. } => match self.num(t).and_then(Num::as_u64) {
                        Some(0) => Some(false),
                        Some(1) => Some(true),
                        _ => None,
                    },
                    _ => match self.str_of(t) {
                        Some("true") => Some(true),
                        Some("false") => Some(false),
                        _ => None,
                    },
                };
                Slot::Bool(b.ok_or(Bad::Expected("true or false", t))?)
            }
            FieldType::Ip => {
                let ip = self.str_of(t).and_then(|s| s.trim().parse::<IpAddr>().ok());
                Slot::Ip(ip.ok_or(Bad::Expected("an IP address", t))?)
            }
        })
    }

    /// Converts a value of a key that is not a field name: kept as close to the input as
    /// possible.
    fn untyped(&mut self, t: Tok) -> Converted<Slot> {
        if self.is_missing(t) {
            return Ok(Slot::Missing);
        }
        Ok(match t {
            Tok::Str { at, end, esc } => Slot::Str(self.str_text(at, end, esc)),
            Tok::Bool(b) => Slot::Bool(b),
            Tok::Num { at, end, long, mag } => match num(self.raw(at, end), long, mag) {
                Num::I(i) => Slot::Int(i),
                Num::U(u) => match i64::try_from(u) {
                    Ok(i) => Slot::Int(i),
                    Err(_) => Slot::Uint(u),
                },
                Num::F(_) => Slot::Str(self.num_text(at, end, long, mag)),
            },
            Tok::Arr { first, len } => self.text_list(first, len)?,
            Tok::Null | Tok::NestedArr | Tok::Obj => return Err(Bad::Unsupported(t)),
        })
    }
}

// ------------------------------------------------------------------------------ parser

/// The longest event type name [`TypeCache`] keeps.
const TYPE_MAX: usize = 23;
const TYPE_SLOTS: usize = 64;

/// Event type names resolved to ids, direct-mapped: a name is looked up in the table of
/// types (a binary search of string compares) only when its slot holds another name.
#[derive(Debug)]
struct TypeCache {
    /// Per slot: the name's length (0: empty) and bytes, and its id.
    slots: [(u8, [u8; TYPE_MAX], Option<EvtTypeId>); TYPE_SLOTS],
}

impl Default for TypeCache {
    fn default() -> Self {
        TypeCache {
            slots: [(0, [0; TYPE_MAX], None); TYPE_SLOTS],
        }
    }
}

impl TypeCache {
    fn id(&mut self, name: &str) -> Option<EvtTypeId> {
        let b = name.as_bytes();
        let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
            return evttypes::type_id(name);
        };
        if b.len() > TYPE_MAX {
            return evttypes::type_id(name);
        }
        let h = (b.len() * 31 + usize::from(first) * 7 + usize::from(last)) % TYPE_SLOTS;
        let Some(slot) = self.slots.get_mut(h) else {
            return evttypes::type_id(name);
        };
        if usize::from(slot.0) == b.len()
            && same_bytes(slot.1.get(..b.len()).unwrap_or_default(), b)
        {
            return slot.2;
        }
        let id = evttypes::type_id(name);
        let mut bytes = [0; TYPE_MAX];
        if let Some(d) = bytes.get_mut(..b.len()) {
            d.copy_from_slice(b);
        }
        *slot = (b.len() as u8, bytes, id);
        id
    }
}

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
    /// Event type texts resolved to ids (most lines repeat a few types).
    types: TypeCache,
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
            types: TypeCache::default(),
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
        if self.one_pass(line, reg) {
            self.finish(line, None);
            return Ok(None);
        }
        self.two_pass(line, reg)
    }

    /// The common case in one pass: an object whose members are converted as they are
    /// scanned. False when the line needs `Parser::two_pass` (it is not an object, has a
    /// syntax error or a bad value, or may be a Falco alert), which reads it again from the
    /// start: a syntax error anywhere in the line is then reported before a bad value, and
    /// the line is an event or an alert, exactly as if this path did not exist.
    fn one_pass(&mut self, line: &str, reg: &Registry) -> bool {
        self.ev.start();
        self.items.clear();
        let b = line.as_bytes();
        let mut pos = 0;
        // The prediction slot: the last key's id + 1, 0 at the start of the line.
        let mut slot = 0;
        loop {
            let glue_at = pos;
            let hit = self
                .keys
                .preds
                .get(slot)
                .and_then(|ways| ways.iter().find(|p| p.at(b, pos)));
            let (id, canon, quick) = match hit {
                // The glue expected here: the next key without scanning or look-up.
                Some(p) => {
                    pos += usize::from(p.len);
                    if p.id == END {
                        break;
                    }
                    (p.id, p.canon, p.quick)
                }
                _ => {
                    // Scanned: blanks, `{` or `,` (or the end of the object), the key, `:`.
                    pos = skip_ws(b, pos);
                    match (b.get(pos), slot) {
                        (Some(b'{'), 0) | (Some(b','), 1..) => pos += 1,
                        (Some(b'}'), 1..) => {
                            pos += 1;
                            self.keys
                                .learn(slot, b.get(glue_at..pos).unwrap_or_default(), END);
                            break;
                        }
                        _ => return false,
                    }
                    pos = skip_ws(b, pos);
                    match b.get(pos) {
                        Some(b'"') => {}
                        Some(b'}') if slot == 0 => {
                            pos += 1;
                            break;
                        }
                        _ => return false,
                    }
                    let Some((end, esc)) = string_end(b, pos + 1) else {
                        return false;
                    };
                    let raw = line.get(pos + 1..end).unwrap_or_default();
                    let key = if esc {
                        self.key_buf.clear();
                        unescape_into(raw, &mut self.key_buf);
                        self.key_buf.as_str()
                    } else {
                        raw
                    };
                    let after = slot.checked_sub(1).map(|a| a as u32);
                    let id = self.keys.lookup(after, key, reg);
                    pos = skip_ws(b, end + 1);
                    if b.get(pos) != Some(&b':') {
                        return false;
                    }
                    pos = skip_ws(b, pos + 1);
                    self.keys
                        .learn(slot, b.get(glue_at..pos).unwrap_or_default(), id);
                    let Some(info) = self.keys.infos.get(id as usize) else {
                        return false;
                    };
                    (id, info.canon, info.quick)
                }
            };
            slot = id as usize + 1;
            if quick == Quick::Alert {
                return false;
            }
            // The value: the commonest converted here (then on to the next member), the
            // rest (and every error) by `convert`.
            let val = match b.get(pos).copied() {
                Some(b'"') => {
                    let Some((end, esc)) = string_end(b, pos + 1) else {
                        return false;
                    };
                    let at = pos + 1;
                    pos = end + 1;
                    if !esc && matches!(quick, Quick::Text | Quick::Ip) {
                        let text = b.get(at..end).unwrap_or_default();
                        let s = if text == b"<NA>" {
                            Some(Slot::Missing)
                        } else if quick == Quick::Text {
                            Some(Slot::Str(Text::Line(at, end)))
                        } else {
                            ipv4(text).map(|ip| Slot::Ip(IpAddr::V4(ip)))
                        };
                        if let Some(s) = s {
                            self.put_quick(canon, id, s);
                            continue;
                        }
                    }
                    Tok::Str { at, end, esc }
                }
                Some(c @ (b'-' | b'0'..=b'9')) => {
                    let neg = c == b'-';
                    let digits = pos + usize::from(neg);
                    let (end, mag) = digits_at(b, digits);
                    // `-?(0|[1-9][0-9]*)` in at most 19 characters (a 64-bit integer read
                    // as scanned); anything else (a fraction, an exponent, a longer number,
                    // an error) by the scanner.
                    let short = end > digits
                        && end - pos <= 19
                        && (end - digits == 1 || b.get(digits) != Some(&b'0'))
                        && !matches!(b.get(end), Some(b'.' | b'e' | b'E'));
                    if !short {
                        let Some(t) = self.scan_value(b, &mut pos) else {
                            return false;
                        };
                        t
                    } else {
                        let at = pos;
                        pos = end;
                        let q = match (quick, neg) {
                            (Quick::Uint, false) => Some(Slot::Uint(mag)),
                            (Quick::Int, false) => i64::try_from(mag).ok().map(Slot::Int),
                            // At most 18 digits: an i64; `-0` is left to `convert`.
                            (Quick::Int, true) if mag != 0 => Some(Slot::Int(-(mag as i64))),
                            _ => None,
                        };
                        if let Some(s) = q {
                            self.put_quick(canon, id, s);
                            continue;
                        }
                        let long = false;
                        Tok::Num { at, end, long, mag }
                    }
                }
                Some(b't') if b.get(pos..pos + 4) == Some(b"true") => {
                    pos += 4;
                    if quick == Quick::Bool {
                        self.put_quick(canon, id, Slot::Bool(true));
                        continue;
                    }
                    Tok::Bool(true)
                }
                Some(b'f') if b.get(pos..pos + 5) == Some(b"false") => {
                    pos += 5;
                    if quick == Quick::Bool {
                        self.put_quick(canon, id, Slot::Bool(false));
                        continue;
                    }
                    Tok::Bool(false)
                }
                _ => {
                    pos = skip_ws(b, pos);
                    let Some(t) = self.scan_value(b, &mut pos) else {
                        return false;
                    };
                    t
                }
            };
            let Some(info) = self.keys.infos.get(id as usize) else {
                return false;
            };
            let mut conv = Conv {
                line,
                items: &self.items,
                ev: &mut self.ev,
            };
            if convert(&mut conv, info, id, val).is_err() {
                return false;
            }
        }
        // After the object's closing brace.
        skip_ws(b, pos) == b.len()
    }

    /// Stores a value converted inline (`id`: its key, reported if it repeats a field).
    #[inline(always)]
    fn put_quick(&mut self, canon: u32, id: u32, s: Slot) {
        if self.ev.put(canon, s) {
            self.ev.dups.push(id);
        }
    }

    /// A value at `b[*pos]` by the general scanner (its array items recorded), `*pos` moved
    /// past it; `None` on a syntax error.
    fn scan_value(&mut self, b: &[u8], pos: &mut usize) -> Option<Tok> {
        let mut scan = Scan {
            b,
            i: *pos,
            items: &mut self.items,
            top: &mut self.top,
            inner: &mut self.inner,
            inner_set: false,
            has_rule: false,
            fields: None,
            time: None,
        };
        let t = scan.value(1, true).ok()?;
        *pos = scan.i;
        Some(t)
    }

    /// Any line: scanned whole (a Falco alert told from an event), then converted.
    fn two_pass(
        &mut self,
        line: &str,
        reg: &Registry,
    ) -> Result<Option<Map<String, Json>>, EventError> {
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
        let mut after = None;
        for m in members.iter() {
            let key = member_key(line, m, &mut self.key_buf);
            let id = self.keys.lookup(after, key, reg);
            after = Some(id);
            let Some(info) = self.keys.infos.get(id as usize) else {
                continue;
            };
            if let Err(bad) = convert(&mut conv, info, id, m.val) {
                return Err(conv.error(&info.raw, bad));
            }
        }
        if alert.is_some() {
            // Keys given twice in the alert's own object.
            let mut seen = HashSet::new();
            for m in self.top.iter() {
                let key = member_key(line, m, &mut self.key_buf).to_string();
                if !seen.insert(key.clone()) {
                    self.ev.alert_dups.push(key);
                }
            }
        }
        self.finish(line, time_tok.filter(|_| alert.is_some()));
        Ok(alert)
    }

    /// After the members: the event time, and the event type as an id. `alert_time`: an
    /// alert line's own `time`.
    fn finish(&mut self, line: &str, alert_time: Option<Tok>) {
        // The event time from a timestamp rendering given as a number.
        let mut times = if self.ev.has_time {
            TIME_IDS.clone()
        } else {
            0..0
        };
        let ts = times
            .find_map(|c| match self.ev.slot(c) {
                Some(Slot::Time(ts)) => Some(*ts),
                _ => None,
            })
            .or_else(|| {
                // An alert line without the time in its fields: the alert's `time`.
                let Some(Tok::Str { at, end, esc }) = alert_time else {
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
            Some(t) => self.types.id(t),
            None => None,
        };
        self.ev.type_id = type_id;
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
        let infos = &self.keys.infos;
        let dups = self.ev.dups.drain(..);
        dups.filter_map(|id| infos.get(id as usize).map(|i| i.raw.to_string()))
            .chain(self.ev.alert_dups.drain(..))
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

/// Converts one member's value (its key resolved to `info`, id `id`) into the event.
fn convert(conv: &mut Conv<'_, '_>, info: &KeyInfo, id: u32, val: Tok) -> Converted<()> {
    let slot = match info.kind {
        KeyKind::Unknown { report } => {
            if report {
                conv.ev.unknown.push(id);
            }
            conv.untyped(val)?
        }
        // `rule` or `output_fields` not at the top level of an alert.
        KeyKind::Alert => {
            conv.ev.unknown.push(id);
            conv.untyped(val)?
        }
        KeyKind::Field { time: true, .. } if matches!(val, Tok::Num { .. }) => {
            // Falco's JSON gives timestamp renderings as integer nanoseconds.
            conv.ev.has_time = true;
            Slot::Time(conv.uint(val)?)
        }
        KeyKind::Field { ty, list_ok, .. } => conv.field(ty, list_ok, val)?,
    };
    if conv.ev.put(info.canon, slot) {
        conv.ev.dups.push(id);
    }
    Ok(())
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

    /// The inline IPv4 reading accepts only what `IpAddr`'s parser reads, as the same address.
    #[test]
    fn ipv4_reads_as_the_standard_parser() {
        for text in [
            "192.168.0.3",
            "0.0.0.0",
            "255.255.255.255",
            "1.2.3.4",
            "10.0.0.01",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "01.2.3.4",
            "1.2.3.4 ",
            "::1",
            "1.2.3.999",
            "00.1.2.3",
            "",
            "a.b.c.d",
            "1.2.3.-4",
        ] {
            let ours = ipv4(text.as_bytes());
            let std = text.parse::<std::net::Ipv4Addr>().ok();
            if ours.is_some() {
                assert_eq!(ours, std, "{text}");
            }
        }
        assert!(ipv4(b"192.168.0.3").is_some());
        assert!(ipv4(b"01.2.3.4").is_none());
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

    /// A number as the scanner reads it.
    fn scanned_num(text: &str) -> Num {
        let (mut items, mut top, mut inner) = (Vec::new(), Vec::new(), Vec::new());
        let mut s = Scan {
            b: text.as_bytes(),
            i: 0,
            items: &mut items,
            top: &mut top,
            inner: &mut inner,
            inner_set: false,
            has_rule: false,
            fields: None,
            time: None,
        };
        match s.value(0, false) {
            Ok(Tok::Num { at, end, long, mag }) if end == text.len() => {
                num(&text[at..end], long, mag)
            }
            other => panic!("{text:?}: {other:?}"),
        }
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
            let ours = scanned_num(text).json();
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

    /// What a parser made of a line: the event, its warnings and the line's kind, or the error.
    type Outcome =
        Result<(FlatEvent, Vec<String>, Vec<String>, Option<EvtTypeId>, bool), EventError>;

    fn outcome(
        p: &mut Parser,
        line: &str,
        r: Result<Option<Map<String, Json>>, EventError>,
    ) -> Outcome {
        let alert = r?.is_some();
        let dups: Vec<String> = p.duplicate_keys().collect();
        let view = p.view(line);
        let (flat, type_id) = (view.to_flat(), Event::evt_type_id(&view));
        Ok((flat, dups, p.unknown_keys(), type_id, alert))
    }

    /// A member's value for [`lines`]: each kind a field can be given as, right or wrong.
    fn member_value() -> impl Strategy<Value = Json> {
        prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<u64>().prop_map(Json::from),
            (0u64..3).prop_map(Json::from),
            (-1e6f64..1e6).prop_map(|f| Number::from_f64(f).map_or(Json::Null, Json::Number)),
            "\\PC{0,8}".prop_map(Json::String),
            prop::sample::select(
                &["<NA>", "10.1.2.3", "::1", " 42 ", "-7", "true", "false", "x\"y"][..]
            )
            .prop_map(|s| Json::String(s.to_string())),
            Just(serde_json::json!(["a", 1, true])),
            Just(serde_json::json!(["a", [1]])),
            Just(serde_json::json!({"proc.name": "x"})),
        ]
    }

    /// Lines as a stream gives them: objects of known, unknown and special keys, some
    /// keys spelled with escapes, some lines damaged.
    fn lines() -> impl Strategy<Value = Vec<String>> {
        let keys = prop::sample::select(
            &[
                "evt.type",
                "evt.num",
                "evt.rawtime",
                "evt.time",
                "evt.datetime",
                "proc.name",
                "proc.pid",
                "proc.aname[2]",
                "fd.sip",
                "fd.types",
                "evt.is_open_read",
                "evt.arg.flags",
                "x.y",
                "quell.decision",
                "rule",
                "output_fields",
                "time",
            ][..],
        );
        let object = prop::collection::vec((keys, member_value(), any::<bool>()), 0..12)
            .prop_map(|members| {
                let mut line = String::from("{");
                for (n, (k, v, esc)) in members.into_iter().enumerate() {
                    if n > 0 {
                        line.push(',');
                    }
                    let key = if esc {
                        k.replacen('e', "\\u0065", 1)
                    } else {
                        k.to_string()
                    };
                    let v = match (k, v) {
                        ("evt.type", Json::String(_)) => Json::from("openat"),
                        ("output_fields", Json::Object(_)) => {
                            serde_json::json!({"proc.name": "x", "evt.type": "execve"})
                        }
                        (_, v) => v,
                    };
                    line.push_str(&format!("\"{key}\": {v}"));
                }
                line.push('}');
                line
            })
            .boxed();
        let damaged = (
            object.clone(),
            any::<prop::sample::Index>(),
            prop::sample::select(&["", "\"", "\\", "}", ",", "0", " ", "{"][..]),
        )
            .prop_map(|(line, at, with)| {
                let mut cut = at.index(line.len() + 1);
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                let end = line[cut..]
                    .chars()
                    .next()
                    .map_or(cut, |c| cut + c.len_utf8());
                format!("{}{with}{}", &line[..cut], &line[end..])
            });
        prop::collection::vec(prop_oneof![4 => object, 1 => damaged], 1..8)
    }

    /// Lines as one producer gives them: a few key sequences (shapes) repeated line after
    /// line with other values, mostly one spacing, some keys escaped, some lines damaged;
    /// so that the one-pass path's predictions (glue compared in place of keys) hit, miss
    /// and mislead.
    fn shaped_lines() -> impl Strategy<Value = Vec<String>> {
        let key = prop::sample::select(
            &[
                "evt.type",
                "evt.num",
                "evt.rawtime",
                "evt.time",
                "proc.name",
                "proc.pid",
                "proc.aname[2]",
                "proc.aname[02]",
                "fd.sip",
                "fd.types",
                "evt.is_open_read",
                "evt.arg.flags",
                "x.y",
                "quell.decision",
                "rule",
                "a_key_that_is_rather_long_for_the_glue_to_hold",
            ][..],
        );
        let shape = prop::collection::vec((key, prop::bool::weighted(0.1)), 0..10);
        let line = (
            any::<prop::sample::Index>(),
            prop::collection::vec(member_value(), 10),
            prop::sample::select(&[(", ", ": "), (",", ":"), (" , ", " :  "), (",\t", ":")][..]),
            prop::bool::weighted(0.8),
            prop::option::weighted(
                0.1,
                (
                    any::<prop::sample::Index>(),
                    prop::sample::select(&["", "\"", "\\", "}", ",", "0", " ", "{", "\u{1}"][..]),
                ),
            ),
        );
        (
            prop::collection::vec(shape, 1..4),
            prop::collection::vec(line, 1..24),
        )
            .prop_map(|(shapes, lines)| {
                let mut out = Vec::new();
                for (pick, vals, (comma, colon), usual, damage) in lines {
                    let members = &shapes[pick.index(shapes.len())];
                    let (comma, colon) = if usual { (", ", ": ") } else { (comma, colon) };
                    let mut line = String::from("{");
                    for (n, ((k, esc), v)) in members.iter().zip(&vals).enumerate() {
                        if n > 0 {
                            line.push_str(comma);
                        }
                        let k = if *esc {
                            k.replacen('e', "\\u0065", 1)
                        } else {
                            k.to_string()
                        };
                        let v = match (k.as_str(), v) {
                            ("evt.type", Json::String(_)) => Json::from("openat"),
                            (_, v) => v.clone(),
                        };
                        line.push_str(&format!("\"{k}\"{colon}{v}"));
                    }
                    line.push('}');
                    if let Some((at, with)) = damage {
                        let mut cut = at.index(line.len() + 1);
                        while !line.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        let end = line[cut..]
                            .chars()
                            .next()
                            .map_or(cut, |c| cut + c.len_utf8());
                        line = format!("{}{with}{}", &line[..cut], &line[end..]);
                    }
                    out.push(line);
                }
                out
            })
    }

    proptest! {
        /// Whatever the inline IPv4 reading accepts, `IpAddr`'s parser reads as the same
        /// address; and it reads every address written plainly.
        #[test]
        fn ipv4_accepts_only_what_the_standard_parser_reads(text in "[0-9.]{0,17}", ip in any::<[u8; 4]>()) {
            if let Some(ours) = ipv4(text.as_bytes()) {
                prop_assert_eq!(Some(ours), text.parse::<std::net::Ipv4Addr>().ok(), "{}", text);
            }
            let plain = std::net::Ipv4Addr::from(ip);
            prop_assert_eq!(ipv4(plain.to_string().as_bytes()), Some(plain));
        }
    }

    /// Reads `lines` with one parser on the one-pass path and another on the general
    /// two-pass path, line after line (key tables and predictions carried over), and fails
    /// at the first line whose outcome differs.
    fn reads_as_two_pass(lines: &[String]) -> Result<(), TestCaseError> {
        let (mut fast, mut general) = (Parser::new(), Parser::new());
        for line in lines {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let r = fast.parse(line, registry());
            let ours = outcome(&mut fast, line, r);
            let r = general.two_pass(line, registry());
            let theirs = outcome(&mut general, line, r);
            prop_assert_eq!(ours, theirs, "{}", line);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        /// As `one_pass_reads_as_two_pass`, on streams of repeated shapes.
        #[test]
        fn one_pass_reads_repeated_shapes_as_two_pass(lines in shaped_lines()) {
            reads_as_two_pass(&lines)?;
        }
    }

    /// Plain event lines take the one-pass path; lines it leaves to the general path:
    /// alerts, a bad value, a syntax error.
    #[test]
    fn the_one_pass_path_takes_plain_events() {
        let mut p = Parser::new();
        for (line, one) in [
            (
                r#"{"evt.type":"openat","proc.pid":3,"fd.name":"/a","x.y":[1,"b"]}"#,
                true,
            ),
            (
                r#"{"evt.type":"openat","proc.pid":4,"fd.name":"/b","x.y":[]}"#,
                true,
            ),
            (r#"{"proc.n\u0061me":"a","proc.name":"b","rule":1}"#, false),
            (r#"{"evt.type":"openat","proc.pid":"x"}"#, false),
            (r#"{"evt.type":"openat","proc.pid":3,}"#, false),
            (r#"{"rule":"r","output_fields":{"proc.name":"x"}}"#, false),
            ("{}", true),
        ] {
            assert_eq!(p.one_pass(line, registry()), one, "{line}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// The one-pass path reads every line as the general path does: the same event,
        /// duplicate and unknown keys, type id and kind of line, or the same error; line
        /// after line with one parser (the key table and its predictions carried over).
        #[test]
        fn one_pass_reads_as_two_pass(lines in lines()) {
            reads_as_two_pass(&lines)?;
        }
    }
}
