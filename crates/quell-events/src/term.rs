//! Terminal safety: the one place where text from events, rules and files is made safe to
//! show on a terminal.
//!
//! Every text renderer of quell passes what it shows through [`escape`] (one line) or
//! [`escape_lines`] (a block whose line breaks are its own). Control characters (C0, DEL,
//! C1: escape sequences, carriage returns, backspaces), the bidirectional overrides and
//! isolates (U+202A–U+202E, U+2066–U+2069), the bidi marks (U+200E, U+200F, U+061C) and the
//! Unicode line and paragraph separators are shown as escapes (`\n`, `\r`, `\t`, `\u001b`,
//! `\u202e`), so a value can neither move the cursor, recolour or retitle the terminal,
//! reorder what is shown, nor start a line of its own. Text without such characters is
//! returned as it is, without copying.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character that [`escape`] shows as an escape.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

fn escape_with(s: &str, keep_newline: bool) -> Cow<'_, str> {
    let unsafe_here = |c: char| is_unsafe(c) && !(keep_newline && (c == '\n' || c == '\t'));
    let Some(first) = s.find(unsafe_here) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if !unsafe_here(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// One line of text made safe for a terminal: every unsafe character (see the module
/// documentation), line breaks and tabs included, becomes an escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_with(s, false)
}

/// A block of text made safe for a terminal: as [`escape`], but `\n` and `\t` are kept (the
/// block's own layout). Use it only for text whose lines are the renderer's own, or whose
/// every line is shown as a line of its source (a rules file's snippet).
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_with(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_controls_sequences_and_bidi() {
        assert_eq!(escape("plain text ✓ 日本語"), "plain text ✓ 日本語");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}]0;pwned\u{7}b"), "a\\u001b]0;pwned\\u0007b");
        assert_eq!(escape("ok\rFORGED"), "ok\\rFORGED");
        assert_eq!(escape("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(escape("\u{7f}\u{9b}31m"), "\\u007f\\u009b31m");
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            let s = format!("x{c}y");
            assert_eq!(escape(&s), format!("x\\u{:04x}y", c as u32));
        }
        assert_eq!(escape("\u{2028}"), "\\u2028");
        assert_eq!(escape_lines("a\nb\u{1b}[2J\tc\r"), "a\nb\\u001b[2J\tc\\r");
    }

    proptest! {
        #[test]
        fn output_never_holds_an_unsafe_character(s in "\\PC*|[\\x00-\\x1f\\x7f-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a-z\\\\]{0,40}") {
            let e = escape(&s);
            prop_assert!(!e.chars().any(is_unsafe), "{:?}", e);
            let l = escape_lines(&s);
            prop_assert!(!l.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t'), "{:?}", l);
            // Each escaped line of a block is the escape of that line.
            prop_assert_eq!(l.split('\n').count(), s.split('\n').count());
        }
    }
}
