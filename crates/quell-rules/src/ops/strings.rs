//! String and byte-buffer operator primitives: C-string cutting, `icontains`,
//! `bcontains` / `bstartswith` with their hex right-hand side, and `regex`.

use super::ValueError;

/// Falco's exact error for a non-hex `bcontains` / `bstartswith` operand.
pub const HEX_ONLY_ERROR: &str =
    "filter error: bcontains and bstartswith operator support hex strings only";

/// Falco compares strings as C strings: the part before the first NUL.
pub fn c_str(s: &str) -> &str {
    match s.find('\0') {
        Some(i) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// `icontains`: `strcasestr(haystack, needle) != NULL`, ASCII case folding,
/// both sides cut at their first NUL. An empty needle is always found.
pub fn icontains(haystack: &str, needle: &str) -> bool {
    let h = c_str(haystack).as_bytes();
    let n = c_str(needle).as_bytes();
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// `contains`: `strstr(haystack, needle) != NULL` on the C-string parts.
pub fn contains(haystack: &str, needle: &str) -> bool {
    c_str(haystack).contains(c_str(needle))
}

/// `startswith`: `strncmp(s, prefix, strlen(prefix)) == 0` on the C-string parts
/// (an empty prefix matches).
pub fn startswith(s: &str, prefix: &str) -> bool {
    c_str(s).starts_with(c_str(prefix))
}

/// `endswith` on the C-string parts (an empty suffix matches).
pub fn endswith(s: &str, suffix: &str) -> bool {
    c_str(s).ends_with(c_str(suffix))
}

/// Parses the hex right-hand side of `bcontains` / `bstartswith`: an even
/// number of hex digits (either case), no separators, no `0x`. The empty string
/// is the empty buffer. Errors with Falco's exact message ([`HEX_ONLY_ERROR`]).
pub fn parse_hex(s: &str) -> Result<Vec<u8>, ValueError> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 || !b.iter().all(u8::is_ascii_hexdigit) {
        return Err(ValueError::HexOnly);
    }
    let nib = |c: u8| -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c.wrapping_sub(b'A').wrapping_add(10) & 0x0f,
        }
    };
    Ok(b.chunks_exact(2)
        .map(|p| match p {
            [h, l] => (nib(*h) << 4) | nib(*l),
            _ => 0,
        })
        .collect())
}

/// `bcontains`: `memmem(haystack, needle)`; an empty needle is found.
pub fn bcontains(haystack: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// `bstartswith`: the buffer begins with `prefix` (an empty prefix matches).
pub fn bstartswith(buf: &[u8], prefix: &[u8]) -> bool {
    buf.starts_with(prefix)
}

/// Compiles a `regex` operand with Falco's semantics: libsinsp compiles it with RE2's
/// POSIX syntax (`RE2::POSIX`) and matches the whole subject (`ANCHOR_BOTH`). Errors read
/// `invalid regex pattern: <err>`.
///
/// The pattern is first read as RE2's POSIX syntax ([`re2_posix`]): what that syntax
/// refuses is refused here too (Perl's `\d`, `\w`, `\s`, `\b`, `(?:…)`, `(?i)`, …), and
/// what it reads differently from the `regex` crate (literal braces, stacked repetitions,
/// `^`/`$` at line boundaries, class members) is rewritten so that the crate matches what
/// RE2 matches. The remaining known difference is the error text after the prefix.
pub fn compile_regex(pat: &str) -> Result<regex::Regex, ValueError> {
    let pat = re2_posix(c_str(pat)).map_err(ValueError::Regex)?;
    let pat = pat.as_str();
    let build = |p: &str| {
        regex::RegexBuilder::new(p)
            .size_limit(8 << 20)
            .dfa_size_limit(8 << 20)
            .octal(true)
            .multi_line(true)
            .build()
            .map_err(|e| ValueError::Regex(regex_error_text(&e)))
    };
    // Validate the pattern on its own first: wrapped, an unbalanced `)(` could
    // close the anchoring group and escape the full-match semantics.
    build(pat)?;
    build(&format!(r"\A(?:{pat})\z"))
}

/// RE2's limit on a counted repetition (`{n,m}` with n or m over it is refused).
const RE2_MAX_REPEAT: u32 = 1000;

/// Reads `pat` as RE2 reads a pattern in its POSIX syntax (what libsinsp's `regex`
/// operator compiles) and returns the same pattern in the `regex` crate's syntax, or
/// RE2's reason for refusing it. Facts from RE2's parser (`posix_syntax` set, `perl_classes`,
/// `word_boundary` and `one_line` unset):
/// - no Perl extensions: `(?` is a `(` followed by a repetition with nothing to repeat;
///   `\d \s \w \D \S \W \b \B \A \z \C \Q \E \p \P` and any other letter escape but
///   `\a \f \n \r \t \v \x` are invalid escapes; a digit escape is octal (`\0`, or `\1`–`\7`
///   followed by an octal digit) and otherwise an invalid escape (no back-references);
/// - a repetition after a repetition repeats it (`a**`, and `a+?` is `(a+)?`, not a lazy
///   `a+`): rewritten as a group repeated;
/// - a `{` that does not open `{n}`, `{n,}` or `{n,m}`, and any `}` outside one, are literal;
///   counts over 1000 are refused;
/// - `^` and `$` match at line boundaries (the crate's multi-line mode, set by
///   [`compile_regex`]);
/// - in a class, every member is literal but `\` escapes, `[:name:]` and a `-` between two
///   members (a range); a `-` elsewhere but first or last is a bad range. The crate's own
///   class operators (`[`, `&&`, `--`, `~~`) are escaped.
pub fn re2_posix(pat: &str) -> Result<String, String> {
    let c: Vec<char> = pat.chars().collect();
    let mut out = String::with_capacity(pat.len() + 8);
    // Where, in `out`, each open group starts; where the last atom starts.
    let mut groups: Vec<usize> = Vec::new();
    let mut atom: Option<usize> = None;
    let mut prev_rep = false;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        match ch {
            '\\' => {
                let start = out.len();
                i += escape(&c, i, &mut out, false)?;
                atom = Some(start);
                prev_rep = false;
                continue;
            }
            '(' => {
                if c.get(i + 1) == Some(&'?') {
                    return Err("missing argument to repetition operator: ?".into());
                }
                groups.push(out.len());
                out.push('(');
                atom = None;
                prev_rep = false;
            }
            ')' => {
                let Some(start) = groups.pop() else {
                    return Err("unexpected ): no group to close".into());
                };
                out.push(')');
                atom = Some(start);
                prev_rep = false;
            }
            '|' => {
                out.push('|');
                atom = None;
                prev_rep = false;
            }
            '[' => {
                let start = out.len();
                i += class(&c, i, &mut out)?;
                atom = Some(start);
                prev_rep = false;
                continue;
            }
            '*' | '+' | '?' | '{' => {
                let rep = if ch == '{' {
                    counted_repetition(&c[i..])?
                } else {
                    1
                };
                if rep == 0 {
                    // A literal brace.
                    atom = Some(out.len());
                    out.push_str("\\{");
                    prev_rep = false;
                    i += 1;
                    continue;
                }
                let Some(start) = atom else {
                    let op: String = c[i..i + rep].iter().collect();
                    return Err(format!("missing argument to repetition operator: {op}"));
                };
                if prev_rep {
                    out.insert_str(start, "(?:");
                    out.push(')');
                }
                out.extend(&c[i..i + rep]);
                prev_rep = true;
                i += rep;
                continue;
            }
            '}' => {
                atom = Some(out.len());
                out.push_str("\\}");
                prev_rep = false;
            }
            _ => {
                atom = Some(out.len());
                out.push(ch);
                prev_rep = false;
            }
        }
        i += 1;
    }
    if !groups.is_empty() {
        return Err("missing ): a group is not closed".into());
    }
    Ok(out)
}

/// Reads the escape at `c[i]` (a `\`), writes it in the crate's syntax, and returns
/// its length; `in_class` for an escape inside `[...]`.
fn escape(c: &[char], i: usize, out: &mut String, in_class: bool) -> Result<usize, String> {
    let Some(&e) = c.get(i + 1) else {
        return Err("trailing \\".into());
    };
    let bad = || Err(format!("invalid escape sequence: \\{e}"));
    match e {
        'a' | 'f' | 'n' | 'r' | 't' | 'v' => {
            out.push('\\');
            out.push(e);
            Ok(2)
        }
        'x' => {
            // `\xHH` or `\x{H…}`: copied; the crate reads both as RE2 does.
            let mut n = 2;
            if c.get(i + 2) == Some(&'{') {
                while i + n < c.len() && c[i + n] != '}' {
                    n += 1;
                }
                n += 1;
            } else {
                n += 2;
            }
            let n = n.min(c.len() - i);
            out.extend(&c[i..i + n]);
            Ok(n)
        }
        '0'..='7' => {
            // `\0` then up to two more octal digits; `\1`–`\7` only with a second one
            // (otherwise it would be a back-reference, which RE2 has not).
            let octal = |k: usize| c.get(i + k).is_some_and(|d| ('0'..='7').contains(d));
            if e != '0' && !octal(2) {
                return bad();
            }
            let mut n = 2;
            while n < 4 && octal(n) {
                n += 1;
            }
            out.extend(&c[i..i + n]);
            Ok(n)
        }
        e if e.is_ascii_punctuation() || e == ' ' => {
            // A literal. Escaped for the crate only where it is an operator there (`\<`
            // is a word boundary in the crate, a `<` in RE2).
            let special = if in_class {
                "[]\\^-&~"
            } else {
                "\\.+*?()|[]{}^$"
            };
            if special.contains(e) {
                out.push('\\');
            }
            out.push(e);
            Ok(2)
        }
        _ => bad(),
    }
}

/// Reads the class at `c[i]` (a `[`), writes it in the crate's syntax, and returns its
/// length.
fn class(c: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    let mut j = i + 1;
    out.push('[');
    if c.get(j) == Some(&'^') {
        out.push('^');
        j += 1;
    }
    let first = j;
    // The last single member written, for a range.
    let mut last: Option<char> = None;
    loop {
        let Some(&ch) = c.get(j) else {
            return Err("missing ]: a character class is not closed".into());
        };
        if ch == ']' && j > first {
            out.push(']');
            return Ok(j + 1 - i);
        }
        if ch == '[' && c.get(j + 1) == Some(&':') {
            // `[:name:]` or `[:^name:]`: the crate reads it the same way.
            let rest: String = c[j..].iter().collect();
            let Some(end) = rest.find(":]") else {
                return Err("missing ]: a character class is not closed".into());
            };
            let name: String = rest[..end + 2].to_string();
            out.push_str(&name);
            j += name.chars().count();
            last = None;
            continue;
        }
        if ch == '-' && j > first && c.get(j + 1) != Some(&']') {
            // A range: the member before, this `-`, and the member after.
            let Some(lo) = last.take() else {
                return Err("bad character class range: a `-` between two ranges".into());
            };
            let mut hi_out = String::new();
            let (hi, n) = member(c, j + 1, &mut hi_out)?;
            if hi < lo {
                return Err(format!("bad character class range: {lo}-{hi}"));
            }
            out.push('-');
            out.push_str(&hi_out);
            j += 1 + n;
            continue;
        }
        let (m, n) = member(c, j, out)?;
        last = Some(m);
        j += n;
    }
}

/// One class member at `c[j]` (a character or an escape): writes it, returns the
/// character it stands for (for ranges) and its length.
fn member(c: &[char], j: usize, out: &mut String) -> Result<(char, usize), String> {
    let Some(&ch) = c.get(j) else {
        return Err("missing ]: a character class is not closed".into());
    };
    if ch == '\\' {
        let at = out.len();
        let n = escape(c, j, out, true)?;
        let written = &out[at..];
        let value = match written.strip_prefix('\\') {
            Some(rest) if rest.starts_with(|d: char| d.is_ascii_digit()) => {
                u32::from_str_radix(rest, 8)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or(ch)
            }
            Some(rest) if rest.len() == 1 => match rest {
                "a" => '\u{7}',
                "f" => '\u{c}',
                "n" => '\n',
                "r" => '\r',
                "t" => '\t',
                "v" => '\u{b}',
                _ => rest.chars().next().unwrap_or(ch),
            },
            Some(rest) if rest.starts_with('x') => {
                let hex = rest[1..].trim_matches(|x| x == '{' || x == '}');
                u32::from_str_radix(hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or(ch)
            }
            Some(_) => ch,
            None => written.chars().next().unwrap_or(ch),
        };
        return Ok((value, n));
    }
    if "[]\\^-&~".contains(ch) {
        out.push('\\');
    }
    out.push(ch);
    Ok((ch, 1))
}

/// The length of `{n}`, `{n,}` or `{n,m}` at the start of `s`, or 0 when the `{` opens
/// none (a literal brace); counts over RE2's limit, or `n > m`, are refused.
fn counted_repetition(s: &[char]) -> Result<usize, String> {
    let number = |from: usize| {
        let n = s
            .iter()
            .skip(from)
            .take_while(|c| c.is_ascii_digit())
            .count();
        let v: String = s.iter().skip(from).take(n).collect();
        (n, v.parse::<u64>().unwrap_or(u64::MAX))
    };
    let (n, lo) = number(1);
    if n == 0 {
        return Ok(0);
    }
    let mut j = 1 + n;
    let mut hi = Some(lo);
    if s.get(j) == Some(&',') {
        let (m, v) = number(j + 1);
        hi = (m > 0).then_some(v);
        j += 1 + m;
    }
    if s.get(j) != Some(&'}') {
        return Ok(0);
    }
    let text: String = s[..=j].iter().collect();
    if lo > u64::from(RE2_MAX_REPEAT) || hi.is_some_and(|h| h > u64::from(RE2_MAX_REPEAT) || h < lo)
    {
        return Err(format!("bad repetition operator: {text}"));
    }
    Ok(j + 1)
}

/// The error text without the anchoring wrapper's noise.
fn regex_error_text(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(s) => s
            .lines()
            .rev()
            .find(|l| l.starts_with("error: "))
            .map(|l| l.trim_start_matches("error: ").to_string())
            .unwrap_or_else(|| s.clone()),
        regex::Error::CompiledTooBig(n) => format!("pattern too large (compiled size limit {n})"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn braces_outside_repetitions_are_literals_as_in_re2() {
        let full = |p: &str, t: &str| compile_regex(p).expect(p).is_match(t);
        assert!(full("a{2", "a{2"));
        assert!(full("4}", "4}"));
        assert!(full("a{,4}", "a{,4}"));
        assert!(full("x{y}", "x{y}"));
        assert!(full("a{2,4}", "aaa") && !full("a{2,4}", "a{2,4}"));
        assert!(full("a{2}", "aa") && full("a{2,}", "aaaaa"));
        assert!(full(r"\{a", "{a"));
        assert!(full("[{]a", "{a") && full("[]{]", "{"));
        assert_eq!(re2_posix("a{2,4}b{").unwrap(), "a{2,4}b\\{");
        assert_eq!(re2_posix("[^]{}]").unwrap(), "[^\\]{}]");
    }

    #[test]
    fn regex_reads_re2_posix_syntax_as_libsinsp_does() {
        // Refused by RE2's POSIX syntax (Perl extensions, back-references, big counts,
        // bad ranges), though the `regex` crate would take most of them.
        for bad in [
            r"\d+",
            r"a\w",
            r"\s",
            r"\bword",
            r"(?:a|b)",
            r"(?i)abc",
            r"[\d]",
            r"\pL",
            r"\p{Greek}",
            r"(a)\1",
            r"\A/etc",
            r"x\z",
            r"\Qa.b\E",
            "a{1001}",
            "a{2,1001}",
            "[a-b-c]",
            "[z-a]",
            "(?P<n>a)",
            "\\",
            "[a",
            "(a",
            "a)",
            "*a",
            "a|+",
        ] {
            let e = compile_regex(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid regex pattern: "), "{bad:?}: {e}");
        }
        let full = |p: &str, t: &str| compile_regex(p).expect(p).is_match(t);
        // A repetition after a repetition repeats it: `a+?` is `(a+)?`, not a lazy `a+`.
        assert!(full("a+?", "") && full("a+?", "aaa"));
        assert!(full("a{2}?", "") && full("a{2}?", "aa") && !full("a{2}?", "a"));
        assert!(full("a**", "aaa") && full("(ab)+*", "abab"));
        // Punctuation escapes are literals (`\<` is a word boundary in the crate).
        assert!(full(r"\<b\>", "<b>") && full(r"\.", ".") && !full(r"\.", "x"));
        // Class members are literal but ranges, escapes and `[:name:]`.
        assert!(full("[a&&b]", "&") && full("[[]", "[") && full("[a~~b]+", "~"));
        assert!(full("[a-c-]", "-") && full("[-a]", "-") && full(r"[\]]", "]"));
        assert!(full("[[:digit:]]+", "2026") && !full("[[:digit:]]", "x"));
        assert!(full(r"[\x41-\x43]", "B") && !full(r"[\x41-\x43]", "D"));
        // Octal and hex escapes.
        assert!(full(r"\012", "\n") && full(r"\0", "\0") && full(r"\x41", "A"));
        // `^` and `$` match at line boundaries (RE2 without `one_line`); the whole
        // value must still match.
        assert!(full("a\n^b", "a\nb") && full("a$\nb", "a\nb"));
        assert!(!full("^b", "a\nb"));
    }

    #[test]
    fn c_str_cuts_at_nul() {
        assert_eq!(c_str("abc"), "abc");
        assert_eq!(c_str("ab\0c"), "ab");
        assert_eq!(c_str("\0"), "");
        assert_eq!(c_str(""), "");
    }

    #[test]
    fn icontains_is_strcasestr() {
        assert!(icontains("/usr/bin/NC", "/nc"));
        assert!(icontains("Hello World", "WORLD"));
        assert!(icontains("abc", ""));
        assert!(icontains("", ""));
        assert!(!icontains("", "a"));
        assert!(!icontains("ab", "abc"));
        assert!(!icontains("ab\0cd", "cd")); // C string: stops at NUL
                                             // Only ASCII folds (C locale): 'É' and 'é' differ.
        assert!(!icontains("CAFÉ", "café"));
        assert!(icontains("CAFÉ", "cafÉ"));
    }

    #[test]
    fn plain_string_ops() {
        assert!(contains("/etc/shadow", "shad"));
        assert!(!contains("/etc/sha\0dow", "dow"));
        assert!(startswith("/etc/passwd", "/etc/"));
        assert!(startswith("x", ""));
        assert!(!startswith("/et", "/etc"));
        assert!(endswith("bash_history", "_history"));
        assert!(endswith("x", ""));
        assert!(!endswith("ab\0c", "c"));
    }

    #[test]
    fn hex_operands() {
        assert_eq!(parse_hex("cafebabe").unwrap(), vec![0xca, 0xfe, 0xba, 0xbe]);
        assert_eq!(parse_hex("48545450").unwrap(), b"HTTP".to_vec());
        assert_eq!(
            parse_hex("12AB001fC5").unwrap(),
            vec![0x12, 0xab, 0x00, 0x1f, 0xc5]
        );
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        for bad in ["abc", "0x12", "zz", "12 34", "ü1"] {
            assert_eq!(parse_hex(bad), Err(ValueError::HexOnly), "{bad:?}");
        }
        assert_eq!(ValueError::HexOnly.to_string(), HEX_ONLY_ERROR);
        assert_eq!(
            HEX_ONLY_ERROR,
            "filter error: bcontains and bstartswith operator support hex strings only"
        );
    }

    #[test]
    fn byte_ops() {
        let buf = b"\x00\x01GET / HTTP/1.1";
        assert!(bcontains(buf, b"HTTP"));
        assert!(bcontains(buf, b"\x00\x01"));
        assert!(bcontains(buf, b""));
        assert!(!bcontains(b"ab", b"abc"));
        assert!(bstartswith(buf, b"\x00\x01G"));
        assert!(!bstartswith(buf, b"GET"));
        assert!(bstartswith(buf, b""));
        assert!(!bstartswith(b"a", b"ab"));
    }

    #[test]
    fn regex_is_full_match() {
        let re = compile_regex("ab+c").unwrap();
        assert!(re.is_match("abbc"));
        assert!(!re.is_match("xabbc"));
        assert!(!re.is_match("abbcx"));
        // Alternation stays inside the anchors.
        let re = compile_regex("a|b").unwrap();
        assert!(re.is_match("b"));
        assert!(!re.is_match("ab"));
        let re = compile_regex("/usr/(s?bin)/.*").unwrap();
        assert!(re.is_match("/usr/sbin/sshd"));
        assert!(!re.is_match("x/usr/bin/sh"));
        // A trailing newline is not absorbed by the end anchor.
        assert!(!compile_regex("a").unwrap().is_match("a\n"));
        // The empty pattern matches only the empty string.
        assert!(compile_regex("").unwrap().is_match(""));
        assert!(!compile_regex("").unwrap().is_match("a"));
    }

    #[test]
    fn regex_errors() {
        for bad in ["(", "a)", "[a", "*a", "a{2,1}", "(?<n>"] {
            let e = compile_regex(bad).unwrap_err();
            assert!(
                matches!(&e, ValueError::Regex(r) if !r.is_empty()),
                "{bad:?}: {e}"
            );
            let e = e.to_string();
            assert!(e.starts_with("invalid regex pattern: "), "{bad:?}: {e}");
            assert!(e.len() > "invalid regex pattern: ".len(), "{bad:?}: {e}");
        }
        // Unbalanced parentheses cannot close the anchoring group early.
        assert!(compile_regex(")(").is_err());
        assert!(compile_regex("a)|(.*").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(h in "\\PC{0,30}", n in "\\PC{0,5}", p in "\\PC{0,20}") {
            let _ = icontains(&h, &n);
            let _ = contains(&h, &n);
            let _ = parse_hex(&n);
            let _ = bcontains(h.as_bytes(), n.as_bytes());
            if let Ok(re) = compile_regex(&p) {
                let _ = re.is_match(&h);
            }
        }

        #[test]
        fn icontains_matches_lowercased_contains(h in "[a-cA-C\\-]{0,12}", n in "[a-cA-C]{0,3}") {
            prop_assert_eq!(icontains(&h, &n), h.to_ascii_lowercase().contains(&n.to_ascii_lowercase()));
        }

        #[test]
        fn hex_roundtrip(b in proptest::collection::vec(any::<u8>(), 0..16)) {
            let s: String = b.iter().map(|x| format!("{x:02X}")).collect();
            prop_assert_eq!(parse_hex(&s).unwrap(), b);
        }
    }
}
