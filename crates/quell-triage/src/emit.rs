//! Emitting exception blocks as Falco rules YAML.

use serde::Serialize;

/// One field's value in an exception tuple: a scalar, or a list (for `in`, `pmatch`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum ExVal {
    /// A scalar.
    One(String),
    /// A list.
    Many(Vec<String>),
}

/// One exception: `name`, `fields`, `comps`, `values` (one tuple per entry).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ExceptionSpec {
    /// Its name.
    pub name: String,
    /// The fields.
    pub fields: Vec<String>,
    /// One comparison operator per field.
    pub comps: Vec<String>,
    /// Value tuples, one value per field.
    pub values: Vec<Vec<ExVal>>,
}

/// How the block attaches to the rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    /// `override: {exceptions: append}` (current Falco).
    #[default]
    Override,
    /// `append: true` (deprecated; Falco versions before `override`).
    Legacy,
}

/// A YAML scalar: plain when that reads back as the same string; single-quoted when only
/// YAML's indicators are in the way; double-quoted with escapes (`\t`, `\x1b`, `\u2028`)
/// when it holds a control character or anything outside YAML's printable set, which no
/// other style can carry. `flow` is for scalars inside `[...]`.
pub fn yaml_scalar(s: &str, flow: bool) -> String {
    if s.chars().any(|c| !yaml_printable(c)) {
        return yaml_double_quoted(s);
    }
    let plain_ok = !s.is_empty()
        && s.trim() == s
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !(flow && s.contains(|c: char| ",[]{}".contains(c)))
        && !looks_typed(s);
    if plain_ok {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Characters YAML lets stand for themselves in a quoted scalar (its printable set,
/// minus the line breaks and the byte-order mark, which a scalar must not hold raw).
fn yaml_printable(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
        && !quell_events::term::is_unsafe(c)
}

/// A double-quoted YAML scalar with every non-printable character escaped.
fn yaml_double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if yaml_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Scalars YAML would read as something other than a string.
fn looks_typed(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    ) || s.parse::<f64>().is_ok()
        || s.starts_with("0x")
        || s.starts_with("0o")
}

fn flow_list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| yaml_scalar(s, true)).collect();
    format!("[{}]", v.join(", "))
}

/// The YAML block: `- rule: NAME`, `exceptions:` and the append form.
pub fn block_yaml(rule: &str, exceptions: &[ExceptionSpec], style: Style) -> String {
    let mut out = String::new();
    out.push_str(&format!("- rule: {}\n", yaml_scalar(rule, false)));
    out.push_str("  exceptions:\n");
    for ex in exceptions {
        out.push_str(&format!("    - name: {}\n", yaml_scalar(&ex.name, false)));
        out.push_str(&format!("      fields: {}\n", flow_list(&ex.fields)));
        out.push_str(&format!("      comps: {}\n", flow_list(&ex.comps)));
        out.push_str("      values:\n");
        for tuple in &ex.values {
            let parts: Vec<String> = tuple
                .iter()
                .map(|v| match v {
                    ExVal::One(s) => yaml_scalar(s, true),
                    ExVal::Many(items) => flow_list(items),
                })
                .collect();
            out.push_str(&format!("        - [{}]\n", parts.join(", ")));
        }
    }
    match style {
        Style::Override => out.push_str("  override:\n    exceptions: append\n"),
        Style::Legacy => out.push_str("  append: true\n"),
    }
    out
}

/// Comment lines (`# ...`), one per input line.
pub fn comments(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        for part in l.split('\n') {
            if part.is_empty() {
                out.push_str("#\n");
            } else {
                out.push_str("# ");
                out.push_str(&quell_events::term::escape(part));
                out.push('\n');
            }
        }
    }
    out
}

/// An exception name from free text: lowercase ASCII letters, digits and `_`.
pub fn slug(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        let s: String = p
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let s = s.trim_matches('_').to_string();
        if s.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&s);
    }
    let mut collapsed = String::new();
    for c in out.chars() {
        if !(c == '_' && collapsed.ends_with('_')) {
            collapsed.push(c);
        }
    }
    collapsed.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quell_rules::yaml::{self, Node};

    /// The scalar at `[0]` (flow) or `k` of a one-document text, read by the one loader.
    fn read_back(doc: &str, flow: bool) -> Option<String> {
        let n = yaml::parse("t", doc).unwrap()?;
        let v = if flow {
            n.as_seq()?.first()?.clone()
        } else {
            n.get("k")?.clone()
        };
        v.as_scalar().map(str::to_string)
    }

    #[test]
    fn scalars_round_trip_through_yaml() {
        for s in [
            "/var/log/dpkg.log",
            "sh -c rm /var/log/x",
            "a: b",
            "- x",
            "[x]",
            "it's",
            "true",
            "123",
            " lead",
            "a,b",
            "#c",
            "x #y",
            "'q'",
            "\"dq\"",
            "日本語",
        ] {
            for flow in [false, true] {
                let doc = if flow {
                    format!("[{}]", yaml_scalar(s, true))
                } else {
                    format!("k: {}", yaml_scalar(s, false))
                };
                let got = read_back(&doc, flow);
                assert_eq!(got.as_deref(), Some(s), "{doc}");
            }
        }
        assert_eq!(yaml_scalar("/usr/bin/rm", true), "/usr/bin/rm");
    }

    /// Control characters and bytes outside YAML's printable set are escaped in a
    /// double-quoted scalar and read back as the same string; none reaches the text raw.
    #[test]
    fn odd_characters_are_escaped_as_yaml_does() {
        for s in [
            "a\u{7}b",
            "\u{1b}[31mred\u{1b}[0m",
            "tab\there",
            "line\nbreak",
            "cr\r",
            "nul\u{0}x",
            "del\u{7f}",
            "nel\u{85}",
            "ls\u{2028}ps\u{2029}",
            "bom\u{feff}",
            "c1\u{9b}31m",
            "quote \" and \\ with \u{1}",
        ] {
            for flow in [false, true] {
                let y = yaml_scalar(s, flow);
                assert!(y.starts_with('"') && y.ends_with('"'), "{y}");
                assert!(
                    !y.chars().any(
                        |c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
                    ),
                    "{y:?}"
                );
                let doc = if flow {
                    format!("[{y}]")
                } else {
                    format!("k: {y}")
                };
                let got = read_back(&doc, flow);
                assert_eq!(got.as_deref(), Some(s), "{doc}");
            }
        }
        assert_eq!(yaml_scalar("a\u{7}b", false), "\"a\\x07b\"");
        // In a whole block (the rule name is the user's text) and in comments.
        let ex = ExceptionSpec {
            name: "n".into(),
            fields: vec!["proc.name".into()],
            comps: vec!["=".into()],
            values: vec![vec![ExVal::One("x\u{1b}y".into())]],
        };
        let b = block_yaml("rule\u{1b}]0;t\u{7}", &[ex], Style::Override);
        assert!(!b.contains('\u{1b}') && !b.contains('\u{7}'), "{b:?}");
        let d = yaml::parse("b", &b).unwrap().unwrap();
        let first = &d.as_seq().unwrap()[0];
        assert_eq!(
            first.get("rule").and_then(Node::as_scalar),
            Some("rule\u{1b}]0;t\u{7}")
        );
        assert_eq!(comments(&["e\u{1b}[2Jx".into()]), "# e\\u001b[2Jx\n");
        // Bidi overrides are printable for YAML but not for a terminal: escaped too.
        assert_eq!(
            yaml_scalar("x\u{1b}]0;pwned\u{7}\r\u{202e}", true),
            "\"x\\x1b]0;pwned\\x07\\r\\u202e\""
        );
    }

    #[test]
    fn block_shape() {
        let ex = ExceptionSpec {
            name: "quell_rm_dpkg_log".into(),
            fields: vec![
                "proc.exepath".into(),
                "proc.pname".into(),
                "fs.path.name".into(),
            ],
            comps: vec!["=".into(), "in".into(), "startswith".into()],
            values: vec![vec![
                ExVal::One("/usr/bin/rm".into()),
                ExVal::Many(vec!["bash".into(), "sh".into()]),
                ExVal::One("/var/log/dpkg.log".into()),
            ]],
        };
        let y = block_yaml(
            "Clear Log Activities",
            std::slice::from_ref(&ex),
            Style::Override,
        );
        assert_eq!(
            y,
            "- rule: Clear Log Activities\n  exceptions:\n    - name: quell_rm_dpkg_log\n      fields: [proc.exepath, proc.pname, fs.path.name]\n      comps: [=, in, startswith]\n      values:\n        - [/usr/bin/rm, [bash, sh], /var/log/dpkg.log]\n  override:\n    exceptions: append\n"
        );
        let l = block_yaml("Clear Log Activities", &[ex], Style::Legacy);
        assert!(l.ends_with("  append: true\n"));
        assert!(yaml::parse("l", &l).unwrap().is_some());
    }

    #[test]
    fn slugs_and_comments() {
        assert_eq!(
            slug(&["quell", "/usr/bin/rm", "dpkg.log"]),
            "quell_usr_bin_rm_dpkg_log"
        );
        assert_eq!(slug(&["", "__"]), "");
        assert_eq!(
            comments(&["a".into(), "b\n\nc".into()]),
            "# a\n# b\n#\n# c\n"
        );
    }
}
