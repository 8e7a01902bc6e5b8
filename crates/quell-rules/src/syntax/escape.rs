//! Quoting and unquoting of string values, with libsinsp's rules
//! (`userspace/libsinsp/filter/escaping.cpp`).
//!
//! [`escape_str`] is what the canonical string form uses for values, list items
//! and field arguments; [`unescape_str`] is applied by the parser to every quoted
//! string token.

/// Renders a value the way `ast::as_string` does.
///
/// The value is returned unchanged unless it contains a space, `=`, `"`, `'`,
/// `\`, NUL or one of `\b \f \n \r \t`; in that case it is wrapped in double
/// quotes, with `\` → `\\`, `"` → `\"`, the control characters → `\b \f \n \r \t`,
/// NUL → `\x00`. Spaces, `=` and `'` are kept as they are inside the quotes.
///
/// As in Falco, the empty string renders as nothing, and other characters that a
/// bare string cannot hold (`(`, `)`, `,`) do not trigger quoting.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let mut quote = false;
    for c in s.chars() {
        match c {
            '\u{8}' => {
                quote = true;
                out.push_str("\\b");
            }
            '\u{c}' => {
                quote = true;
                out.push_str("\\f");
            }
            '\n' => {
                quote = true;
                out.push_str("\\n");
            }
            '\r' => {
                quote = true;
                out.push_str("\\r");
            }
            '\t' => {
                quote = true;
                out.push_str("\\t");
            }
            '\\' => {
                quote = true;
                out.push_str("\\\\");
            }
            '"' => {
                quote = true;
                out.push_str("\\\"");
            }
            '\0' => {
                quote = true;
                out.push_str("\\x00");
            }
            ' ' | '=' | '\'' => {
                quote = true;
                out.push(c);
            }
            other => out.push(other),
        }
    }
    if quote {
        let mut q = String::with_capacity(out.len() + 2);
        q.push('"');
        q.push_str(&out);
        q.push('"');
        q
    } else {
        out
    }
}

/// Unquotes a quoted-string token **including its delimiters** (`"..."` or
/// `'...'`), as libsinsp's `unescape_str` does.
///
/// Why a quoted string token does not unescape. The `Display` is Falco's wording where
/// Falco has one (the condition parser's error message).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EscapeError {
    /// quell: an empty token.
    #[error("quoted string is empty")]
    Empty,
    /// quell: a token not delimited by matching quotes.
    #[error("not a quoted string: {0}")]
    NotQuoted(String),
    /// `\"` inside a `'`-quoted string.
    #[error("invalid \\\" escape in '-quoted string")]
    DoubleQuoteInSingle,
    /// `\'` inside a `"`-quoted string.
    #[error("invalid \\' escape in \"-quoted string")]
    SingleQuoteInDouble,
    /// `\x` without two characters after it.
    #[error("truncated hex char escape sequence")]
    TruncatedHex,
    /// `\x` followed by two characters that are not both hex digits.
    #[error("invalid hex char escape sequence: {0}")]
    InvalidHex(String),
    /// A backslash before a character that has no escape.
    #[error("unsupported string escape sequence: \\{0}")]
    Unsupported(char),
    /// quell: `\xHH` escapes that leave invalid UTF-8.
    #[error("quoted string is not valid UTF-8 after unescaping hex escapes")]
    NotUtf8,
}

/// Supported escapes: `\b \f \n \r \t \\ \/`, `\"` (only in `"`-strings),
/// `\'` (only in `'`-strings), `\xHH` (exactly two hex digits) and, for
/// compatibility with old rules, `\ ` (backslash-space), which yields a single
/// backslash. Errors carry Falco's exact messages:
/// `invalid \" escape in '-quoted string`, `invalid \' escape in "-quoted string`,
/// `truncated hex char escape sequence`, `invalid hex char escape sequence: XX`,
/// `unsupported string escape sequence: \c`.
///
/// Two quell-specific errors exist: a token that is not delimited by matching
/// quotes, and `\xHH` escapes that leave the bytes as invalid UTF-8.
pub fn unescape_str(quoted: &str) -> Result<String, EscapeError> {
    let bytes = quoted.as_bytes();
    let (Some(&delim), Some(&last)) = (bytes.first(), bytes.last()) else {
        return Err(EscapeError::Empty);
    };
    if bytes.len() < 2 || !(delim == b'"' || delim == b'\'') || last != delim {
        return Err(EscapeError::NotQuoted(quoted.to_string()));
    }
    let end = bytes.len() - 1;
    let mut out: Vec<u8> = Vec::with_capacity(end);
    let mut i = 1;
    while i < end {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        // An escape sequence; a lone trailing backslash is ignored (as upstream).
        let Some(&e) = bytes.get(i + 1).filter(|_| i + 1 < end) else {
            break;
        };
        match e {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            // `\ ` is accepted for legacy rules and yields a backslash.
            b' ' | b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'"' => {
                if delim != b'"' {
                    return Err(EscapeError::DoubleQuoteInSingle);
                }
                out.push(b'"');
            }
            b'\'' => {
                if delim != b'\'' {
                    return Err(EscapeError::SingleQuoteInDouble);
                }
                out.push(b'\'');
            }
            b'x' => {
                if i + 3 >= end {
                    return Err(EscapeError::TruncatedHex);
                }
                let h = &bytes[i + 2..i + 4];
                match (hex_val(h[0]), hex_val(h[1])) {
                    (Some(hi), Some(lo)) => out.push(hi * 16 + lo),
                    _ => {
                        return Err(EscapeError::InvalidHex(
                            String::from_utf8_lossy(h).into_owned(),
                        ))
                    }
                }
                i += 4;
                continue;
            }
            _ => {
                // Name the whole character, not just its first byte.
                let c = quoted
                    .get(i + 1..)
                    .and_then(|r| r.chars().next())
                    .unwrap_or(char::REPLACEMENT_CHARACTER);
                return Err(EscapeError::Unsupported(c));
            }
        }
        i += 2;
    }
    String::from_utf8(out).map_err(|_| EscapeError::NotUtf8)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_plain_values_unchanged() {
        assert_eq!(escape_str("bash"), "bash");
        assert_eq!(escape_str("/var/log"), "/var/log");
        assert_eq!(escape_str("a(b),c"), "a(b),c");
        assert_eq!(escape_str(""), "");
        assert_eq!(escape_str("héllo"), "héllo");
    }

    #[test]
    fn escape_quotes_when_needed() {
        assert_eq!(escape_str("a b"), "\"a b\"");
        assert_eq!(escape_str("dGVzdA=="), "\"dGVzdA==\"");
        assert_eq!(escape_str("it's"), "\"it's\"");
        assert_eq!(escape_str("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(escape_str("a\\b"), "\"a\\\\b\"");
        assert_eq!(escape_str("\t\n\r\u{8}\u{c}"), "\"\\t\\n\\r\\b\\f\"");
        assert_eq!(escape_str("a\0b"), "\"a\\x00b\"");
    }

    #[test]
    fn unescape_basic() {
        assert_eq!(unescape_str("\"\"").unwrap(), "");
        assert_eq!(unescape_str("''").unwrap(), "");
        assert_eq!(unescape_str("\"a b\"").unwrap(), "a b");
        assert_eq!(unescape_str(r#""a\"b""#).unwrap(), "a\"b");
        assert_eq!(unescape_str(r"'a\'b'").unwrap(), "a'b");
        assert_eq!(
            unescape_str(r#""\b\f\n\r\t\\\/""#).unwrap(),
            "\u{8}\u{c}\n\r\t\\/"
        );
        assert_eq!(unescape_str(r#""x\ y""#).unwrap(), "x\\y");
        assert_eq!(unescape_str(r#""\x41\x7a""#).unwrap(), "Az");
        assert_eq!(unescape_str(r#""mixed '""#).unwrap(), "mixed '");
        assert_eq!(unescape_str(r#"'mixed "'"#).unwrap(), "mixed \"");
    }

    #[test]
    fn unescape_errors_have_falco_messages() {
        assert_eq!(
            unescape_str(r#""mixed \'""#).unwrap_err(),
            EscapeError::SingleQuoteInDouble
        );
        assert_eq!(
            unescape_str(r#""mixed \'""#).unwrap_err().to_string(),
            "invalid \\' escape in \"-quoted string"
        );
        assert_eq!(
            unescape_str(r#"'mixed \"'"#).unwrap_err().to_string(),
            "invalid \\\" escape in '-quoted string"
        );
        assert_eq!(
            unescape_str(r#""\q""#).unwrap_err().to_string(),
            "unsupported string escape sequence: \\q"
        );
        assert_eq!(
            unescape_str(r#""\x4""#).unwrap_err().to_string(),
            "truncated hex char escape sequence"
        );
        assert_eq!(
            unescape_str(r#""\x""#).unwrap_err(),
            EscapeError::TruncatedHex
        );
        assert_eq!(
            unescape_str(r#""\xZ1""#).unwrap_err().to_string(),
            "invalid hex char escape sequence: Z1"
        );
        assert_eq!(unescape_str(r#""\xff""#), Err(EscapeError::NotUtf8));
        assert_eq!(unescape_str("\"\\é\""), Err(EscapeError::Unsupported('é')));
        assert!(unescape_str("abc").is_err());
        assert!(unescape_str("\"").is_err());
        assert!(unescape_str("").is_err());
    }

    proptest! {
        #[test]
        fn escape_then_unescape_round_trips(s in "\\PC*") {
            let e = escape_str(&s);
            if e.starts_with('"') {
                prop_assert_eq!(unescape_str(&e).unwrap(), s);
            } else {
                prop_assert_eq!(e, s);
            }
        }

        #[test]
        fn unescape_never_panics(s in ".*") {
            let _ = unescape_str(&s);
            let _ = unescape_str(&format!("\"{s}\""));
            let _ = unescape_str(&format!("'{s}'"));
        }
    }
}
