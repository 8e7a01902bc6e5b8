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
                    // glibc accepts a..y only ('z' ends a name): no class name has a 'z'.
                    if !(b'a'..=b'y').contains(&n) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Exponential reference: plain recursive backtracking over the same tokens.
    fn reference(g: &Glob, s: &[u8]) -> bool {
        fn rec(g: &Glob, t: &[Tok], s: &[u8]) -> bool {
            match t.split_first() {
                None => s.is_empty(),
                Some((Tok::Star, rest)) => (0..=s.len()).any(|k| rec(g, rest, &s[k..])),
                Some((tok, rest)) => match s.split_first() {
                    Some((&b, srest)) => g.one(tok, b) && rec(g, rest, srest),
                    None => false,
                },
            }
        }
        rec(g, &g.toks, s)
    }

    /// (pattern, subject, casefold, glibc's answer). Every answer was checked
    /// against glibc `fnmatch` (see `against_c_fnmatch`).
    const CASES: &[(&str, &str, bool, bool)] = &[
        ("*", "", false, true),
        ("*", "/etc/passwd", false, true),
        ("*", ".hidden", false, true),
        ("/home/*/.ssh/*", "/home/bob/.ssh/id_rsa", false, true),
        ("/home/*/.ssh/*", "/home/a/b/.ssh/x", false, true), // '*' crosses '/'
        ("/home/*/.ssh/*", "/home/bob/.ssh", false, false),
        ("*../*../*", "a/../../b", false, true),
        ("/proc/*/environ", "/proc/1/environ", false, true),
        ("?", "", false, false),
        ("?", "/", false, true),
        ("a?c", "abc", false, true),
        ("a?c", "ac", false, false),
        ("[abc]", "b", false, true),
        ("[abc]", "d", false, false),
        ("[a-z]", "m", false, true),
        ("[a-z]", "M", false, false),
        ("[a-z]", "M", true, true),
        ("[!a]", "b", false, true),
        ("[!a]", "a", false, false),
        ("[^a]", "b", false, true),
        ("[^a]", "a", false, false),
        ("[]]", "]", false, true),
        ("[!]]", "]", false, false),
        ("[!]]", "a", false, true),
        ("[a-]", "-", false, true),
        ("[-a]", "-", false, true),
        ("[z-a]", "m", false, false),
        ("[[:alpha:]]", "x", false, true),
        ("[[:alpha:]]", "1", false, false),
        ("[[:digit:][:upper:]]", "Q", false, true),
        ("[[:upper:]]", "a", true, false), // classes test the unfolded byte
        ("[[:foo:]]", "x", false, false),  // unknown class: matches nothing
        ("[[:foo:]]*", "xyz", false, false),
        ("[[.a.]]", "a", false, true),
        ("[[=a=]]", "a", false, true),
        ("[\\]]", "]", false, true),
        ("[\\", "[", false, false),
        ("[a", "[a", false, true), // unterminated: literal '['
        ("[a", "a", false, false),
        ("[[", "[[", false, true),
        ("[]", "[]", false, true),
        ("x[", "x[", false, true),
        ("[!", "[!", false, true),
        ("\\*", "*", false, true),
        ("\\*", "a", false, false),
        ("\\", "\\", false, false), // trailing backslash matches nothing
        ("a\\", "a\\", false, false),
        ("\\a", "a", false, true),
        ("{a,b}", "a", false, false), // no brace alternation
        ("{a,b}", "{a,b}", false, true),
        ("*.TXT", "notes.txt", true, true),
        ("*.TXT", "notes.txt", false, false),
        ("ABC", "abc", true, true),
        ("[A-Z]x", "qX", true, true),
        ("**a**b", "xxaxxbxx", false, false),
        ("**a**b", "xxaxxb", false, true),
        (
            "*a*a*a*a*a*a*a*a*b",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            false,
            false,
        ),
    ];

    #[test]
    fn table() {
        for &(p, s, cf, want) in CASES {
            assert_eq!(
                fnmatch(p, s, cf),
                want,
                "fnmatch({p:?}, {s:?}, casefold={cf})"
            );
        }
    }

    #[test]
    fn nul_cuts_both_sides() {
        assert!(fnmatch("abc\0zzz", "abc", false));
        assert!(fnmatch("abc", "abc\0zzz", false));
        assert!(!fnmatch("abc", "ab\0c", false));
    }

    #[test]
    fn long_inputs_are_fast() {
        // A pattern that is exponential for naive backtracking.
        let p = "*a".repeat(40) + "b";
        let s = "a".repeat(5000);
        let t = std::time::Instant::now();
        assert!(!fnmatch(&p, &s, false));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }

    /// Where Falco's `glob` differs from the `globset` crate (default builder:
    /// `*` crosses `/`, like fnmatch with flags 0).
    #[test]
    fn differs_from_globset() {
        let gs = |p: &str, s: &str| {
            globset::Glob::new(p)
                .map(|g| g.compile_matcher().is_match(s))
                .unwrap_or(false)
        };
        // Brace alternation: globset expands it, fnmatch treats braces literally.
        assert!(gs("{a,b}", "a"));
        assert!(!fnmatch("{a,b}", "a", false));
        assert!(fnmatch("{a,b}", "{a,b}", false));
        // An unterminated '[' is an error for globset, a literal for fnmatch.
        assert!(globset::Glob::new("[a").is_err());
        assert!(fnmatch("[a", "[a", false));
        // `[^a]` is negation in both.
        assert!(fnmatch("[^a]", "b", false));
        assert!(gs("[^a]", "b"));
        // Malformed pieces: errors in globset, defined (literal or no match) in fnmatch.
        assert!(globset::Glob::new("\\").is_err()); // dangling escape
        assert!(!fnmatch("\\", "\\", false));
        assert!(globset::Glob::new("[z-a]").is_err()); // reversed range
        assert!(!fnmatch("[z-a]", "m", false));
        // An unknown class makes the bracket match nothing in glibc.
        assert!(!fnmatch("[[:foo:]]", "f", false));
        assert!(!fnmatch("[[:foo:]]", "f]", false));
        // POSIX classes work in both.
        assert!(fnmatch("[[:digit:]]", "7", false));
        assert!(gs("[[:digit:]]", "7"));
        // Same answers: '*' crosses '/', a leading '.' is not special, '\*' escapes.
        for (p, s) in [
            ("/home/*", "/home/a/b"),
            ("*", ".x"),
            ("\\*", "*"),
            ("a?c", "abc"),
        ] {
            assert_eq!(gs(p, s), fnmatch(p, s, false), "{p:?} {s:?}");
            assert!(fnmatch(p, s, false));
        }
        // `**` is special in globset only as a whole path component; fnmatch
        // treats it as `*`.
        assert!(fnmatch("a**b", "a/x/b", false));
    }

    /// Differential check against the real glibc `fnmatch` through a tiny C
    /// program built in a scratch directory (a C compiler is required: CI has gcc).
    #[test]
    fn against_c_fnmatch() {
        let oracle = c_oracle().expect("the glibc differential test needs a C compiler (cc)");
        let mut inputs: Vec<Query> = CASES
            .iter()
            .map(|&(p, s, cf, _)| (p.to_string(), s.to_string(), cf))
            .collect();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        const ATOMS: &[&str] = &[
            "a",
            "b",
            "A",
            "/",
            ".",
            "-",
            "!",
            "^",
            "]",
            "[",
            "*",
            "?",
            "\\",
            ":",
            "=",
            "{",
            ",",
            "[:alpha:]",
            "[:upper:]",
            "[:nope:]",
            "[.a.]",
            "[=b=]",
            "[a-c]",
            "[!b]",
            "[]a]",
        ];
        const CHARS: &[u8] = b"abAB/.-!^][*?\\:={,x";
        for _ in 0..20_000 {
            let n = (next() % 7) as usize;
            let p: String = (0..n)
                .map(|_| ATOMS[(next() % ATOMS.len() as u64) as usize])
                .collect();
            let m = (next() % 6) as usize;
            let s: String = (0..m)
                .map(|_| CHARS[(next() % CHARS.len() as u64) as usize] as char)
                .collect();
            inputs.push((p, s, next() % 4 == 0));
        }
        let want = oracle(&inputs);
        // The oracle's scratch directory (see `c_oracle`) is not needed any more.
        let _ = std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("quell-fnmatch-{}", std::process::id())),
        );
        let mut bad = Vec::new();
        for ((p, s, cf), w) in inputs.iter().zip(&want) {
            if fnmatch(p, s, *cf) != *w {
                bad.push(format!("fnmatch({p:?}, {s:?}, casefold={cf}) glibc={w}"));
            }
        }
        for &(p, s, cf, w) in CASES {
            let i = inputs
                .iter()
                .position(|x| x.0 == p && x.1 == s && x.2 == cf);
            assert_eq!(
                i.map(|i| want[i]),
                Some(w),
                "table entry {p:?} {s:?} vs glibc"
            );
        }
        assert!(
            bad.is_empty(),
            "{} mismatches:\n{}",
            bad.len(),
            bad[..bad.len().min(30)].join("\n")
        );
    }

    /// (pattern, subject, casefold)
    type Query = (String, String, bool);

    /// Builds the C oracle; returns a function answering a batch of queries.
    fn c_oracle() -> Option<impl Fn(&[Query]) -> Vec<bool>> {
        use std::io::Write;
        use std::process::{Command, Stdio};
        const SRC: &str = r#"
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
static void unhex(const char *h, char *out) {
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) { unsigned v; sscanf(h + 2 * i, "%2x", &v); out[i] = (char)v; }
    out[n] = 0;
}
int main(void) {
    static char line[8192], p[4096], s[4096], hp[4096], hs[4096];
    int f;
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "%4095s %4095s %d", hp, hs, &f) != 3) continue;
        unhex(strcmp(hp, "-") ? hp : "", p);
        unhex(strcmp(hs, "-") ? hs : "", s);
        printf("%d\n", fnmatch(p, s, f ? FNM_CASEFOLD : 0) == 0);
    }
    return 0;
}
"#;
        let dir = std::env::temp_dir().join(format!("quell-fnmatch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let src = dir.join("fnm.c");
        let bin = dir.join("fnm");
        std::fs::write(&src, SRC).ok()?;
        let ok = Command::new("cc")
            .arg("-O1")
            .arg("-o")
            .arg(&bin)
            .arg(&src)
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        Some(move |qs: &[Query]| {
            let hex = |x: &str| {
                if x.is_empty() {
                    "-".to_string()
                } else {
                    x.bytes().map(|b| format!("{b:02x}")).collect()
                }
            };
            let input: String = qs
                .iter()
                .map(|(p, s, cf)| format!("{} {} {}\n", hex(p), hex(s), u8::from(*cf)))
                .collect();
            let mut child = Command::new(&bin)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("run the C oracle");
            let mut stdin = child.stdin.take().expect("stdin");
            let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
            let out = child.wait_with_output().expect("oracle output");
            writer.join().expect("writer").expect("write");
            let res: Vec<bool> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l == "1")
                .collect();
            assert_eq!(res.len(), qs.len(), "oracle answered every query");
            res
        })
    }

    proptest! {
        #[test]
        fn never_panics(p in "\\PC{0,40}", s in "\\PC{0,40}", cf in any::<bool>()) {
            let _ = fnmatch(&p, &s, cf);
        }

        #[test]
        fn never_panics_on_bracket_soup(p in "[\\[\\]!^:a-c.=\\\\*?-]{0,24}", s in "[\\[\\]!^:a-c.=\\\\*?-]{0,12}") {
            let _ = fnmatch(&p, &s, false);
            let _ = fnmatch(&p, &s, true);
        }

        #[test]
        fn agrees_with_reference(p in "[ab*?\\[\\]!^\\\\/.-]{0,10}", s in "[ab/.\\[\\]*?-]{0,10}", cf in any::<bool>()) {
            let g = Glob::new(&p, cf);
            prop_assert_eq!(g.matches(&s), reference(&g, s.as_bytes()));
        }
    }
}
