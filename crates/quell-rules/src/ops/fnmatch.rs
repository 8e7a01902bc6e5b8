//! POSIX `fnmatch(3)` as Falco's `glob` / `iglob` operators and `pmatch` glob
//! components use it: glibc semantics in the C locale with flags `0` or
//! `FNM_CASEFOLD`.
//!
//! What that means, byte for byte (strings are C strings, so both pattern and
//! subject are cut at their first NUL):
//! - `*` matches any run of bytes, including `/` and a leading `.` (no
//!   `FNM_PATHNAME`, no `FNM_PERIOD`); `?` matches exactly one byte.
//! - `[...]` bracket expressions: `[abc]`, ranges `[a-z]` (byte order), negation
//!   with `[!...]` or `[^...]`, `]` first in the bracket is a member, `-` first or
//!   last is a member, POSIX classes `[[:alpha:]]` (the twelve C-locale classes),
//!   collating symbols `[[.c.]]` and equivalence classes `[[=c=]]` of one byte.
//!   A backslash escapes the next byte inside a bracket too.
//! - An unknown class name (`[[:foo:]]`), a backslash ending the pattern inside a
//!   bracket, or a range with no end make that bracket match nothing (glibc
//!   returns an error, which Falco treats as "no match").
//! - An unterminated `[` matches a literal `[` and matching goes on with the
//!   bytes after it.
//! - A backslash escapes the next byte; a backslash ending the pattern matches
//!   nothing.
//! - No brace alternation: `{a,b}` is literal.
//! - `FNM_CASEFOLD` folds ASCII letters on both sides (bytes ≥ 0x80 are never
//!   folded: the C locale); like glibc, POSIX classes test the subject byte
//!   unfolded (`[[:upper:]]` still needs an upper-case byte).
//!
//! Matching is the two-pointer star algorithm: every token but `*` consumes
//! exactly one byte, so only the last `*` ever needs to be retried and the
//! running time is O(|pattern| × |subject|) at worst, never exponential.

use super::strings::c_str;

/// Matches `s` against the glob `pattern` like glibc's
/// `fnmatch(pattern, s, casefold ? FNM_CASEFOLD : 0) == 0`.
///
/// For repeated matching against one pattern, compile it once with [`Glob::new`].
pub fn fnmatch(pattern: &str, s: &str, casefold: bool) -> bool {
    Glob::new(pattern, casefold).matches(s)
}

/// A compiled `fnmatch` pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    toks: Vec<Tok>,
    casefold: bool,
}

/// One token of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// `*`: any run of bytes.
    Star,
    /// `?`: any one byte.
    Any,
    /// One literal byte (already folded when case-folding).
    Byte(u8),
    /// A bracket expression: the set of subject bytes it accepts.
    Set(Box<ByteSet>),
    /// A token that matches nothing (invalid bracket, trailing backslash).
    Never,
}

/// A set of bytes as a 256-bit table.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn empty() -> Self {
        ByteSet([0; 4])
    }
    fn insert(&mut self, b: u8) {
        if let Some(w) = self.0.get_mut(usize::from(b >> 6)) {
            *w |= 1u64 << (b & 63);
        }
    }
    fn contains(&self, b: u8) -> bool {
        self.0
            .get(usize::from(b >> 6))
            .is_some_and(|w| w & (1u64 << (b & 63)) != 0)
    }
}

/// The C locale's `tolower` used by `FNM_CASEFOLD`.
fn fold(b: u8, casefold: bool) -> u8 {
    if casefold {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

/// One of the twelve POSIX character classes of the C locale.
fn class_test(name: &[u8]) -> Option<fn(u8) -> bool> {
    let f: fn(u8) -> bool = match name {
        b"alnum" => |b| b.is_ascii_alphanumeric(),
        b"alpha" => |b| b.is_ascii_alphabetic(),
        b"blank" => |b| b == b' ' || b == b'\t',
        b"cntrl" => |b| b.is_ascii_control(),
        b"digit" => |b| b.is_ascii_digit(),
        b"graph" => |b| b.is_ascii_graphic(),
        b"lower" => |b| b.is_ascii_lowercase(),
        b"print" => |b| b.is_ascii_graphic() || b == b' ',
        b"punct" => |b| b.is_ascii_punctuation(),
        b"space" => |b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b"upper" => |b| b.is_ascii_uppercase(),
        b"xdigit" => |b| b.is_ascii_hexdigit(),
        _ => return None,
    };
    Some(f)
}

/// The outcome of parsing a bracket expression starting right after its `[`.
enum Bracket {
    /// A well-formed bracket: its byte set and the index after its closing `]`.
    Set(ByteSet, usize),
    /// A bracket that can never match (glibc returns an error for it), and the
    /// index after it if it is terminated (else the rest of the pattern).
    Never(usize),
    /// No closing `]`: the `[` is a literal.
    Unterminated,
}

/// Reads one bracket element's byte at `i` (a plain byte, `\x`, or `[.x.]`).
/// Returns `Ok(Some((byte, next)))`, `Ok(None)` when `[` does not start a
/// collating symbol, or `Err(())` for an invalid element.
fn collating_symbol(p: &[u8], i: usize) -> Result<Option<(u8, usize)>, ()> {
    // p[i] == '[' and p[i+1] == '.' expected by the caller.
    match (p.get(i + 2), p.get(i + 3), p.get(i + 4)) {
        (Some(&c), Some(b'.'), Some(b']')) if c != 0 => Ok(Some((c, i + 5))),
        _ => Err(()),
    }
}

/// Parses a bracket expression; `start` indexes the byte after `[`.
fn parse_bracket(p: &[u8], start: usize, casefold: bool) -> Bracket {
    let mut i = start;
    let negate = matches!(p.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    // Membership is decided on the folded subject byte for single bytes and
    // ranges, on the raw subject byte for classes.
    let mut folded_members = ByteSet::empty();
    let mut classes: Vec<fn(u8) -> bool> = Vec::new();
    let mut invalid = false;
    let mut first = true;
    loop {
        let Some(&c) = p.get(i) else {
            return Bracket::Unterminated;
        };
        if c == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        // The element's start byte (for a single byte or a range).
        let lo: u8;
        match c {
            b'\\' => {
                let Some(&e) = p.get(i + 1) else {
                    // Backslash at the end inside a bracket: an error in glibc.
                    return Bracket::Never(p.len());
                };
                lo = e;
                i += 2;
            }
            b'[' if p.get(i + 1) == Some(&b':') => {
                // A class name is lower-case letters a..y up to ":]"; anything
                // else makes the '[' an ordinary member.
                let mut j = i + 2;
                let mut is_class = false;
                while let Some(&n) = p.get(j) {
                    if n == b':' && p.get(j + 1) == Some(&b']') {
                        is_class = true;
                        break;
                    }
                    if !(b'a'..b'z').contains(&n) {
                        break;
                    }
                    j += 1;
                }
                if is_class {
                    match p.get(i + 2..j).and_then(class_test) {
                        Some(f) => classes.push(f),
                        None => invalid = true,
                    }
                    i = j + 2;
                    continue;
                }
                lo = b'[';
                i += 1;
            }
            b'[' if p.get(i + 1) == Some(&b'=') => {
                match (p.get(i + 2), p.get(i + 3), p.get(i + 4)) {
                    (Some(&e), Some(b'='), Some(b']')) => {
                        // Equivalence class of one byte: a member like any other.
                        folded_members.insert(fold(e, casefold));
                        i += 5;
                        continue;
                    }
                    _ => {
                        invalid = true;
                        lo = b'[';
                        i += 1;
                    }
                }
            }
            b'[' if p.get(i + 1) == Some(&b'.') => match collating_symbol(p, i) {
                Ok(Some((e, next))) => {
                    lo = e;
                    i = next;
                }
                _ => {
                    invalid = true;
                    lo = b'[';
                    i += 1;
                }
            },
            _ => {
                lo = c;
                i += 1;
            }
        }
        // A range if '-' follows and is not the last member.
        if p.get(i) == Some(&b'-') && p.get(i + 1).is_some_and(|&n| n != b']') {
            let mut j = i + 1;
            let hi = match p.get(j) {
                Some(b'\\') => {
                    let Some(&e) = p.get(j + 1) else {
                        return Bracket::Never(p.len());
                    };
                    j += 2;
                    e
                }
                Some(b'[') if p.get(j + 1) == Some(&b'.') => match collating_symbol(p, j) {
                    Ok(Some((e, next))) => {
                        j = next;
                        e
                    }
                    _ => {
                        invalid = true;
                        j += 1;
                        b'['
                    }
                },
                Some(&e) => {
                    j += 1;
                    e
                }
                None => return Bracket::Unterminated,
            };
            let (flo, fhi) = (fold(lo, casefold), fold(hi, casefold));
            for b in flo..=fhi {
                folded_members.insert(b);
            }
            i = j;
        } else {
            folded_members.insert(fold(lo, casefold));
        }
    }
    if invalid {
        return Bracket::Never(i);
    }
    let mut set = ByteSet::empty();
    for b in 1..=255u8 {
        let hit = folded_members.contains(fold(b, casefold)) || classes.iter().any(|f| f(b));
        if hit != negate {
            set.insert(b);
        }
    }
    Bracket::Set(set, i)
}

impl Glob {
    /// Compiles `pattern` (cut at its first NUL). Never fails: malformed parts
    /// follow glibc (see the module docs).
    pub fn new(pattern: &str, casefold: bool) -> Glob {
        let p = c_str(pattern).as_bytes();
        let mut toks = Vec::with_capacity(p.len());
        let mut i = 0;
        while let Some(&c) = p.get(i) {
            match c {
                b'*' => {
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                    i += 1;
                }
                b'?' => {
                    toks.push(Tok::Any);
                    i += 1;
                }
                b'\\' => {
                    match p.get(i + 1) {
                        Some(&e) => toks.push(Tok::Byte(fold(e, casefold))),
                        None => toks.push(Tok::Never),
                    }
                    i += 2;
                }
                b'[' => match parse_bracket(p, i + 1, casefold) {
                    Bracket::Set(set, next) => {
                        toks.push(Tok::Set(Box::new(set)));
                        i = next;
                    }
                    Bracket::Never(next) => {
                        toks.push(Tok::Never);
                        i = next;
                    }
                    Bracket::Unterminated => {
                        toks.push(Tok::Byte(b'['));
                        i += 1;
                    }
                },
                _ => {
                    toks.push(Tok::Byte(fold(c, casefold)));
                    i += 1;
                }
            }
        }
        Glob { toks, casefold }
    }

    /// Whether `s` (cut at its first NUL) matches.
    pub fn matches(&self, s: &str) -> bool {
        self.matches_bytes(c_str(s).as_bytes())
    }

    /// Whether the byte string `s` matches (no NUL cutting).
    pub fn matches_bytes(&self, s: &[u8]) -> bool {
        let toks = &self.toks;
        let (mut t, mut i) = (0usize, 0usize);
        // (token index after the last star, subject index that star resumes at)
        let mut star: Option<(usize, usize)> = None;
        loop {
            if let Some(tok) = toks.get(t) {
                let ok = match tok {
                    Tok::Star => {
                        star = Some((t + 1, i));
                        t += 1;
                        continue;
                    }
                    _ => s.get(i).is_some_and(|&b| self.one(tok, b)),
                };
                if ok {
                    t += 1;
                    i += 1;
                    continue;
                }
            } else if i == s.len() {
                return true;
            }
            // Mismatch: let the last star swallow one more byte.
            match star {
                Some((st, si)) if si < s.len() => {
                    star = Some((st, si + 1));
                    t = st;
                    i = si + 1;
                }
                _ => return false,
            }
        }
    }

    fn one(&self, tok: &Tok, b: u8) -> bool {
        match tok {
            Tok::Any => true,
            Tok::Byte(x) => fold(b, self.casefold) == *x,
            Tok::Set(set) => set.contains(b),
            Tok::Never | Tok::Star => false,
        }
    }
}
