//! Field transformers as pure functions: `tolower`, `toupper`, `b64`,
//! `basename`, `len`, `join`, `concat`, `getopt` (libsinsp
//! `sinsp_filter_transformers/*.cpp`, `sinsp_filtercheck_multivalue_transformer.cpp`).
//!
//! Values are C strings in libsinsp: inputs are cut at their first NUL
//! ([`c_str`]) before transforming.

use super::strings::c_str;

/// `tolower`: ASCII lower-casing (C locale `tolower`); other bytes unchanged.
pub fn tolower(s: &str) -> String {
    c_str(s).to_ascii_lowercase()
}

/// `toupper`: ASCII upper-casing (C locale `toupper`); other bytes unchanged.
pub fn toupper(s: &str) -> String {
    c_str(s).to_ascii_uppercase()
}

/// Value of a base64 digit (standard alphabet `A-Z a-z 0-9 + /`).
fn b64_digit(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `b64`: base64 **decode**, following libsinsp's `Base64::decodeWithoutPadding`.
///
/// `None` means the input is not valid base64 and the transformer fails: the
/// field is then missing and every comparison on it is false. Rules:
/// - the empty string decodes to the empty buffer;
/// - at most two trailing `=` are stripped; padding is optional and its count
///   is not checked against the length (`QQ`, `QQ=`, `QQ==` all decode to `A`);
/// - any other byte outside the standard alphabet (white space, `-`, `_`, a
///   third `=`) fails;
/// - a length of 1 mod 4 (after stripping) fails, and so do non-zero unused
///   bits in the last digit (`QR==` fails, `QQ==` is `A`).
///
/// The result is raw bytes; compared as a string it is a C string.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut b = c_str(s).as_bytes();
    if b.is_empty() {
        return Some(Vec::new());
    }
    for _ in 0..2 {
        if let Some(rest) = b.strip_suffix(b"=") {
            b = rest;
        }
    }
    // Nothing but padding ("=", "==") is invalid; so is a 1 mod 4 length.
    if b.is_empty() || b.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3 + 2);
    for chunk in b.chunks(4) {
        let mut v = [0u8; 4];
        for (slot, &c) in v.iter_mut().zip(chunk) {
            *slot = b64_digit(c)?;
        }
        let [a, bb, c, d] = v;
        out.push((a << 2) | (bb >> 4));
        match chunk.len() {
            2 => {
                if bb & 0x0f != 0 {
                    return None;
                }
            }
            3 => {
                out.push((bb << 4) | (c >> 2));
                if c & 0x03 != 0 {
                    return None;
                }
            }
            _ => {
                out.push((bb << 4) | (c >> 2));
                out.push((c << 6) | d);
            }
        }
    }
    Some(out)
}

/// `basename`: the text after the last `/` (`/usr/bin/cat` → `cat`). No
/// stripping of trailing slashes: `/hello/` → ``, `/` → ``, `` → ``,
/// `hello` → `hello`.
pub fn basename(s: &str) -> &str {
    let s = c_str(s);
    match s.rfind('/') {
        Some(i) => s.get(i + 1..).unwrap_or(""),
        None => s,
    }
}

/// `len` of a string field: its length in bytes up to the first NUL (`strnlen`).
pub fn len_str(s: &str) -> u64 {
    c_str(s).len() as u64
}

/// `len` of a byte-buffer field: its full length.
pub fn len_bytes(b: &[u8]) -> u64 {
    b.len() as u64
}

/// `len` of a list field (`proc.args`, ...): the number of items.
pub fn len_list<T>(items: &[T]) -> u64 {
    items.len() as u64
}

/// `join(sep, list)`: the items (each cut at NUL) separated by `sep`.
pub fn join<S: AsRef<str>>(sep: &str, items: &[S]) -> String {
    let sep = c_str(sep);
    let mut out = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(c_str(it.as_ref()));
    }
    out
}

/// `concat(a, b, ...)`: the arguments (each cut at NUL) end to end. The
/// compiler requires at least two string arguments; any count works here.
pub fn concat<S: AsRef<str>>(parts: &[S]) -> String {
    parts.iter().map(|p| c_str(p.as_ref())).collect()
}

/// A parsed `getopt` optstring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptString {
    valid: [bool; 256],
    with_arg: [bool; 256],
}

impl OptString {
    /// Parses a getopt(3) optstring: each byte is an option, a following `:`
    /// means it takes an argument; a leading `:` is accepted and ignored;
    /// `:` is never an option; `::` (optional argument) is treated as `:`
    /// followed by a stray `:`.
    pub fn parse(optstring: &str) -> OptString {
        let b = c_str(optstring).as_bytes();
        let mut o = OptString {
            valid: [false; 256],
            with_arg: [false; 256],
        };
        let mut i = usize::from(b.first() == Some(&b':'));
        while let Some(&c) = b.get(i) {
            if c != b':' {
                o.valid[usize::from(c)] = true;
                if b.get(i + 1) == Some(&b':') {
                    o.with_arg[usize::from(c)] = true;
                    i += 1;
                }
            }
            i += 1;
        }
        o
    }

    fn is_valid(&self, c: u8) -> bool {
        c != b':' && self.valid[usize::from(c)]
    }

    fn takes_arg(&self, c: u8) -> bool {
        self.with_arg[usize::from(c)]
    }
}

/// One step of the getopt scan.
enum Seen<'a> {
    /// An option byte not in the optstring.
    Unknown,
    /// An option and its argument: `Some(value)`, `Some("")` when the option
    /// needs an argument and argv ran out, `None` when it takes none.
    Opt(u8, Option<&'a [u8]>),
}

/// Walks argv with getopt's rules, calling `f` for each option seen:
/// stops at `--`, skips long options (`--exec`), stops at the first non-option
/// (including `-` and the empty string), expands clusters (`-nt`), and takes an
/// option's argument from the rest of the token (`-tvalue`) or the next item
/// (`-t value`). argv[0] is not skipped: pass the argument list only.
fn scan<'a, S: AsRef<str>>(args: &'a [S], opts: &OptString, mut f: impl FnMut(Seen<'a>)) {
    let mut k = 0;
    while let Some(item) = args.get(k) {
        let arg = c_str(item.as_ref()).as_bytes();
        if arg == b"--" {
            break;
        }
        if arg.len() > 2 && arg.starts_with(b"--") {
            k += 1;
            continue;
        }
        if arg.len() < 2 || arg.first() != Some(&b'-') {
            break;
        }
        let mut i = 1;
        while let Some(&c) = arg.get(i) {
            if !opts.is_valid(c) {
                f(Seen::Unknown);
                i += 1;
                continue;
            }
            if !opts.takes_arg(c) {
                f(Seen::Opt(c, None));
                i += 1;
                continue;
            }
            let value: &[u8] = if let Some(rest) = arg.get(i + 1..).filter(|r| !r.is_empty()) {
                rest
            } else if let Some(next) = args.get(k + 1) {
                k += 1;
                c_str(next.as_ref()).as_bytes()
            } else {
                f(Seen::Opt(c, Some(b"")));
                return;
            };
            f(Seen::Opt(c, Some(value)));
            break;
        }
        k += 1;
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `getopt(args, optstring)` without a selector: the list of options seen, in
/// order, each option byte as a one-character string followed by its argument
/// when it takes one; an unknown option yields `?`; an option missing its
/// argument at the end of argv yields `` (an empty string, not the option).
///
/// `-n -t value` with `nt:` → `[n, t, value]`; `-x -n` → `[?, n]`.
pub fn getopt_list<S: AsRef<str>>(args: &[S], optstring: &str) -> Vec<String> {
    let opts = OptString::parse(optstring);
    let mut out = Vec::new();
    scan(args, &opts, |seen| match seen {
        Seen::Unknown => out.push("?".to_string()),
        Seen::Opt(c, None) => out.push(text(&[c])),
        Seen::Opt(_, Some(b"")) => out.push(String::new()),
        Seen::Opt(c, Some(v)) => {
            out.push(text(&[c]));
            out.push(text(v));
        }
    });
    out
}

/// `getopt(args, optstring)[opt]`: the value of the **last** occurrence of
/// option `opt`: its argument if it takes one (`""` when argv ran out), else
/// the option itself as a one-character string. `None` when the option does
/// not occur (the field is missing: every comparison is false).
///
/// With `nt:`: `-n -t value` and `-tvalue` give `value` for `t`; `-nt v` gives
/// `v`; `-n` gives `n` for `n`; `-t` alone gives ``.
pub fn getopt_select<S: AsRef<str>>(args: &[S], optstring: &str, opt: u8) -> Option<String> {
    let opts = OptString::parse(optstring);
    let mut found: Option<String> = None;
    scan(args, &opts, |seen| {
        if let Seen::Opt(c, v) = seen {
            if c == opt {
                found = Some(match v {
                    None => text(&[c]),
                    Some(v) => text(v),
                });
            }
        }
    });
    found
}

/// Validates a `getopt(...)[arg]` field argument: exactly one byte
/// (libsinsp: `getopt() field argument must be a single option character`).
pub fn getopt_selector(arg: &str) -> Result<u8, super::ValueError> {
    match arg.as_bytes() {
        [c] => Ok(*c),
        _ => Err(super::ValueError::GetoptSelector),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// Cases from libsinsp's `filter_transformer.ut.cpp`.
    #[test]
    fn case_mapping() {
        assert_eq!(toupper("hello"), "HELLO");
        assert_eq!(toupper("eXcItED"), "EXCITED");
        assert_eq!(toupper(""), "");
        assert_eq!(tolower("HELLO"), "hello");
        assert_eq!(tolower("NoT_eXcItED"), "not_excited");
        assert_eq!(tolower("ÉCOLE"), "École"); // ASCII only
        assert_eq!(tolower("AB\0CD"), "ab");
    }

    #[test]
    fn base64() {
        assert_eq!(b64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(b64_decode("d29ybGQgIQ==").unwrap(), b"world !");
        assert_eq!(b64_decode("").unwrap(), b"");
        assert_eq!(b64_decode("dGVzdA==").unwrap(), b"test");
        // Padding is optional and not counted.
        assert_eq!(b64_decode("QQ").unwrap(), b"A");
        assert_eq!(b64_decode("QQ=").unwrap(), b"A");
        assert_eq!(b64_decode("QQ==").unwrap(), b"A");
        assert_eq!(b64_decode("QUJD=").unwrap(), b"ABC");
        assert_eq!(b64_decode("+/+/").unwrap(), vec![0xfb, 0xff, 0xbf]);
        // Invalid: rejected, the field is then missing.
        for bad in [
            "!!!",
            "=",
            "==",
            "Q",
            "QUJDR",
            "QR==",
            "QUJ=D",
            "QQ===",
            "aGVs bG8=",
            "a-_b",
        ] {
            assert_eq!(b64_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn base64_agrees_with_the_base64_crate_on_canonical_input() {
        use base64::Engine;
        for data in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            b"\x00\xff\x10",
        ] {
            let padded = base64::engine::general_purpose::STANDARD.encode(data);
            let bare = base64::engine::general_purpose::STANDARD_NO_PAD.encode(data);
            assert_eq!(b64_decode(&padded).as_deref(), Some(data), "{padded}");
            assert_eq!(b64_decode(&bare).as_deref(), Some(data), "{bare}");
        }
    }

    #[test]
    fn basenames() {
        assert_eq!(basename("/home/ubuntu/hello.txt"), "hello.txt");
        assert_eq!(basename("/usr/local/bin/cat"), "cat");
        assert_eq!(basename("/"), "");
        assert_eq!(basename(""), "");
        assert_eq!(basename("/hello/"), "");
        assert_eq!(basename("hello"), "hello");
        assert_eq!(basename("/tmp/file_to_run"), "file_to_run");
    }

    #[test]
    fn lengths() {
        assert_eq!(len_str("hello"), 5);
        assert_eq!(len_str(""), 0);
        assert_eq!(len_str("héllo"), 6); // bytes
        assert_eq!(len_str("ab\0cd"), 2); // strnlen
        assert_eq!(len_bytes(b"ab\0cd"), 5);
        assert_eq!(len_list(&v(&["a", "b", "c"])), 3);
        assert_eq!(len_list::<String>(&[]), 0);
    }

    #[test]
    fn join_and_concat() {
        assert_eq!(join(",", &v(&["a", "b", "c"])), "a,b,c");
        assert_eq!(join(" ", &v(&["-c", "echo hi"])), "-c echo hi");
        assert_eq!(join(",", &v(&[])), "");
        assert_eq!(join(",", &v(&["only"])), "only");
        assert_eq!(join("", &v(&["a", "b"])), "ab");
        assert_eq!(join("-", &v(&["a\0x", "b"])), "a-b");
        assert_eq!(concat(&v(&["/usr/bin/", "bash"])), "/usr/bin/bash");
        assert_eq!(concat(&v(&["a", "", "b", "c"])), "abc");
        assert_eq!(concat(&v(&["a\0z", "b"])), "ab");
    }

    #[test]
    fn getopt_selected_values() {
        let nt = "nt:";
        // The brief's cases: `-n -t value` and `-tvalue`.
        assert_eq!(
            getopt_select(&v(&["-n", "-t", "value"]), nt, b't').as_deref(),
            Some("value")
        );
        assert_eq!(
            getopt_select(&v(&["-tvalue"]), nt, b't').as_deref(),
            Some("value")
        );
        assert_eq!(
            getopt_select(&v(&["-ntvalue"]), nt, b't').as_deref(),
            Some("value")
        );
        assert_eq!(
            getopt_select(&v(&["-nt", "v"]), nt, b't').as_deref(),
            Some("v")
        );
        // An option without argument yields itself.
        assert_eq!(
            getopt_select(&v(&["-n", "-t", "value"]), nt, b'n').as_deref(),
            Some("n")
        );
        // The last occurrence wins.
        assert_eq!(
            getopt_select(&v(&["-t", "a", "-t", "b"]), nt, b't').as_deref(),
            Some("b")
        );
        // Missing argument at the end of argv: the empty string.
        assert_eq!(
            getopt_select(&v(&["-n", "-t"]), nt, b't').as_deref(),
            Some("")
        );
        // Attached values keep option-looking bytes.
        assert_eq!(getopt_select(&v(&["-t?"]), nt, b't').as_deref(), Some("?"));
        assert_eq!(getopt_select(&v(&["-t:"]), nt, b't').as_deref(), Some(":"));
        // The argument of -t is consumed even when not selected.
        assert_eq!(getopt_select(&v(&["-t", "-n"]), nt, b'n'), None);
        // Absent option: the field is missing.
        assert_eq!(getopt_select(&v(&["-n"]), nt, b't'), None);
        // Scanning stops at "--", at a non-option and at a lone "-".
        assert_eq!(getopt_select(&v(&["--", "-t", "x"]), nt, b't'), None);
        assert_eq!(getopt_select(&v(&["file", "-t", "x"]), nt, b't'), None);
        assert_eq!(getopt_select(&v(&["-", "-t", "x"]), nt, b't'), None);
        assert_eq!(getopt_select(&v(&["", "-t", "x"]), nt, b't'), None);
        // Long options are skipped, not parsed as clusters.
        assert_eq!(
            getopt_select(&v(&["--exec", "-t", "x"]), nt, b't').as_deref(),
            Some("x")
        );
        assert_eq!(getopt_select(&v(&["--nt", "-n"]), nt, b't'), None);
        // Unknown options are ignored in selector mode.
        assert_eq!(getopt_select(&v(&["-xn"]), nt, b'n').as_deref(), Some("n"));
        // ':' is never an option, even in an optstring starting with ':'.
        assert_eq!(getopt_select(&v(&["-:"]), ":nt:", b':'), None);
        assert_eq!(
            getopt_select(&v(&["-t", "x"]), ":nt:", b't').as_deref(),
            Some("x")
        );
    }

    #[test]
    fn getopt_lists() {
        let nt = "nt:";
        assert_eq!(
            getopt_list(&v(&["-n", "-t", "value"]), nt),
            v(&["n", "t", "value"])
        );
        assert_eq!(
            getopt_list(&v(&["-ntvalue", "rest"]), nt),
            v(&["n", "t", "value"])
        );
        assert_eq!(getopt_list(&v(&["-x", "-n"]), nt), v(&["?", "n"]));
        assert_eq!(getopt_list(&v(&["-n", "-t"]), nt), v(&["n", ""]));
        assert_eq!(getopt_list(&v(&["-nn", "--", "-n"]), nt), v(&["n", "n"]));
        assert_eq!(getopt_list(&v(&[]), nt), v(&[]));
        assert_eq!(getopt_list(&v(&["-c", "id"]), "c:"), v(&["c", "id"]));
    }

    #[test]
    fn getopt_selector_arg() {
        assert_eq!(getopt_selector("t"), Ok(b't'));
        let e = "getopt() field argument must be a single option character";
        assert_eq!(
            getopt_selector(""),
            Err(super::super::ValueError::GetoptSelector)
        );
        assert_eq!(getopt_selector("tt").unwrap_err().to_string(), e);
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,30}", args in proptest::collection::vec("\\PC{0,8}", 0..6), o in "\\PC{0,6}", sel in any::<u8>()) {
            let _ = tolower(&s);
            let _ = toupper(&s);
            let _ = b64_decode(&s);
            let _ = basename(&s);
            let _ = join(&o, &args);
            let _ = concat(&args);
            let _ = getopt_list(&args, &o);
            let _ = getopt_select(&args, &o, sel);
            let _ = getopt_selector(&o);
        }

        #[test]
        fn getopt_fuzz_shapes(args in proptest::collection::vec("-?[nt:x-]{0,4}", 0..6)) {
            let _ = getopt_list(&args, "nt:");
            let _ = getopt_select(&args, "nt:", b't');
        }

        #[test]
        fn b64_roundtrip(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            use base64::Engine;
            let enc = base64::engine::general_purpose::STANDARD.encode(&data);
            prop_assert_eq!(b64_decode(&enc), Some(data));
        }

        #[test]
        fn basename_has_no_slash(s in "[a/]{0,10}") {
            let b = basename(&s);
            prop_assert!(!b.contains('/'));
            prop_assert!(s.ends_with(b));
        }
    }
}
