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

/// Compiles a `regex` operand with full-match semantics (RE2 `ANCHOR_BOTH`:
/// the whole subject must match). Errors read `invalid regex pattern: <err>`.
///
/// The syntax is the `regex` crate's, which is RE2's family (no
/// backreferences, no look-around). Known differences from libsinsp (RE2 with
/// POSIX syntax): the error text after the prefix differs, and Perl-only
/// constructs (`\d`, `\w`, `\b`, `(?i)`, lazy `*?`) are accepted here where RE2's
/// POSIX mode may reject them.
pub fn compile_regex(pat: &str) -> Result<regex::Regex, ValueError> {
    let pat = re2_literal_braces(c_str(pat));
    let pat = pat.as_str();
    let build = |p: &str| {
        regex::RegexBuilder::new(p)
            .size_limit(8 << 20)
            .dfa_size_limit(8 << 20)
            .build()
            .map_err(|e| ValueError::Regex(regex_error_text(&e)))
    };
    // Validate the pattern on its own first: wrapped, an unbalanced `)(` could
    // close the anchoring group and escape the full-match semantics.
    build(pat)?;
    build(&format!(r"\A(?:{pat})\z"))
}

/// RE2 reads a `{` that does not open a counted repetition (`{n}`, `{n,}`, `{n,m}`)
/// as a literal brace (`a{2` matches the text `a{2`, as left by Falco's exception text
/// rewriting when a list splits `a{2,4}` at its comma); the `regex` crate rejects it.
/// Such braces, and `}` outside a repetition, are escaped. Escapes and character
/// classes are copied as they are.
fn re2_literal_braces(pat: &str) -> String {
    let b = pat.as_bytes();
    let mut out = String::with_capacity(pat.len() + 4);
    let mut i = 0;
    let mut start = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'[' => {
                // A class: `]` right after `[` or `[^` is a member; escapes inside.
                i += 1;
                if b.get(i) == Some(&b'^') {
                    i += 1;
                }
                if b.get(i) == Some(&b']') {
                    i += 1;
                }
                while i < b.len() && b[i] != b']' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' => {
                let rep = counted_repetition(&b[i..]);
                if rep > 0 {
                    i += rep;
                } else {
                    out.push_str(&pat[start..i]);
                    out.push_str("\\{");
                    i += 1;
                    start = i;
                }
            }
            b'}' => {
                out.push_str(&pat[start..i]);
                out.push_str("\\}");
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(pat.get(start..).unwrap_or(""));
    out
}

/// The length of `{n}`, `{n,}` or `{n,m}` at the start of `s`, or 0.
fn counted_repetition(s: &[u8]) -> usize {
    let digits = |from: usize| {
        s.iter()
            .skip(from)
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let n = digits(1);
    if n == 0 {
        return 0;
    }
    let mut j = 1 + n;
    if s.get(j) == Some(&b',') {
        j += 1 + digits(j + 1);
    }
    if s.get(j) == Some(&b'}') {
        j + 1
    } else {
        0
    }
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
        assert_eq!(re2_literal_braces("a{2,4}b{"), "a{2,4}b\\{");
        assert_eq!(re2_literal_braces("[^]{}]"), "[^]{}]");
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
