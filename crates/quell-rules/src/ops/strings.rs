//! String and byte-buffer operator primitives: C-string cutting, `icontains`,
//! `bcontains` / `bstartswith` with their hex right-hand side, and `regex`.

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
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 || !b.iter().all(u8::is_ascii_hexdigit) {
        return Err(HEX_ONLY_ERROR.to_string());
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
pub fn compile_regex(pat: &str) -> Result<regex::Regex, String> {
    let anchored = format!(r"\A(?:{})\z", c_str(pat));
    regex::RegexBuilder::new(&anchored)
        .size_limit(8 << 20)
        .dfa_size_limit(8 << 20)
        .build()
        .map_err(|e| format!("invalid regex pattern: {}", regex_error_text(&e)))
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
