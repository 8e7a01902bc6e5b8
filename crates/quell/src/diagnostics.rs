//! The text form of rules diagnostics (`quell validate`, and the diagnostics every command
//! prints when it loads rules): Falco's verbose layout, rendered here at the edge from the
//! data `quell_rules` returns.
//!
//! Every string that comes from a rules file or its name (file and item names, messages,
//! snippets, schema statuses) passes through `quell_events::term::escape` one line at a
//! time, so a rule named `"a\nFORGED"` (a YAML escape) can neither start a line of its own
//! nor carry an escape sequence or a bidi override to the terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

use quell_events::term::escape;
use quell_rules::diagnostic::{Diagnostic, LoadResult, Sources};

fn status_line(r: &LoadResult) -> String {
    let mut out = String::new();
    if !r.name.is_empty() {
        out.push_str(&escape(&r.name));
        out.push_str(": ");
    }
    if r.successful {
        out.push_str("Ok");
        if !r.warnings.is_empty() {
            out.push_str(", with warnings");
        }
    } else {
        out.push_str("Invalid");
    }
    out
}

fn context_text(d: &Diagnostic, out: &mut String) {
    for (i, loc) in d.locations.iter().enumerate() {
        out.push_str(if i == 0 { "In " } else { "    " });
        out.push_str(&escape(&loc.item_type));
        if !loc.item_name.is_empty() {
            out.push_str(" '");
            out.push_str(&escape(&loc.item_name));
            out.push('\'');
        }
        let _ = writeln!(
            out,
            ": ({}:{}:{})",
            escape(&loc.position.name),
            loc.position.line,
            loc.position.column
        );
    }
}

/// Falco's snippet (a source line, then a caret line), each line escaped; the caret moves
/// right by what escaping added before it, so it still points at the spot.
fn escaped_snippet(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len() + 8);
    let mut lines = snippet
        .split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').map_or((l, false), |l| (l, true)))
        .peekable();
    while let Some((line, newline)) = lines.next() {
        let escaped = escape(line);
        out.push_str(&escaped);
        if newline {
            out.push('\n');
        }
        let Some(&(caret, caret_newline)) = lines.peek() else {
            break;
        };
        let Some(col) = caret
            .strip_suffix('^')
            .filter(|s| s.bytes().all(|b| b == b' '))
        else {
            continue;
        };
        if let (Cow::Owned(_), Some(before)) = (&escaped, line.get(..col.len())) {
            let _ = lines.next();
            out.push_str(&" ".repeat(escape(before).len()));
            out.push('^');
            if caret_newline {
                out.push('\n');
            }
        }
    }
    out
}

/// The snippet of a diagnostic, rendered here from the file its innermost position names.
fn snippet_for(d: &Diagnostic, sources: &dyn Sources) -> String {
    let raw = match (d.position(), d.snippet(sources)) {
        (_, Some(s)) => s,
        (None, None) => "<No context available>\n".to_string(),
        (Some(p), None) => format!("<No context for file + {}>\n", p.name),
    };
    escaped_snippet(&raw)
}

/// Falco's verbose text for one file: the status line, then each error and warning with
/// its context lines, a snippet between `------` lines and `CODE (desc): message`.
/// `sources` gives a file's text by name: snippets are rendered from it.
pub fn verbose(r: &LoadResult, sources: &dyn Sources) -> String {
    let mut out = status_line(r);
    if r.schema_valid() == Some(false) {
        let _ = write!(out, "\n{} Schema warnings:\n", r.schema_validation.len());
        for s in &r.schema_validation {
            out.push_str("------\n");
            out.push_str(&escape(s));
            out.push('\n');
        }
        out.push_str("------");
    }
    for (label, list) in [("Errors", &r.errors), ("Warnings", &r.warnings)] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(out, "\n{} {}:\n", list.len(), label);
        for d in list {
            context_text(d, &mut out);
            out.push_str("------\n");
            out.push_str(&snippet_for(d, sources));
            out.push_str("------\n");
            let _ = writeln!(
                out,
                "{} ({}): {}",
                d.code.name(),
                d.code.desc(),
                escape(&d.message)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quell_rules::diagnostic::{Code, Location, Position};
    use quell_rules::load::{make_diag, root_location};

    fn loc(t: &str, n: &str, line: u32, col: u32, off: usize) -> Location {
        Location {
            item_type: t.into(),
            item_name: n.into(),
            position: Position {
                name: "rules.yaml".into(),
                line,
                column: col,
                offset: off,
            },
        }
    }

    fn sample() -> LoadResult {
        let e = make_diag(
            Code::LoadErrYamlValidate,
            "Key 'priority' cannot be appended to, use 'replace' instead",
            vec![
                root_location("rules.yaml"),
                loc("rule", "r", 1, 3, 2),
                loc("overrides", "priority", 2, 3, 12),
            ],
        );
        let w = make_diag(
            Code::LoadUnknownKey,
            "Unknown key 'foo'. The key will be ignored.",
            vec![root_location("rules.yaml"), loc("rule", "r", 1, 3, 2)],
        );
        LoadResult {
            name: "rules.yaml".into(),
            successful: false,
            errors: vec![e],
            warnings: vec![w],
            schema_validation: vec![],
        }
    }

    #[test]
    fn verbose_text_is_falcos_layout() {
        let r = sample();
        let text = "- rule: r\n  priority: append\n".to_string();
        let sources = [("rules.yaml".to_string(), text)];
        let v = verbose(&r, &sources);
        let expected = "rules.yaml: Invalid\n1 Errors:\nIn rules content: (rules.yaml:1:1)\n    rule 'r': (rules.yaml:1:3)\n    overrides 'priority': (rules.yaml:2:3)\n------\n  priority: append\n  ^\n------\nLOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): Key 'priority' cannot be appended to, use 'replace' instead\n\n1 Warnings:\nIn rules content: (rules.yaml:1:1)\n    rule 'r': (rules.yaml:1:3)\n------\n- rule: r\n  ^\n------\nLOAD_UNKNOWN_KEY (Unknown key in item definition): Unknown key 'foo'. The key will be ignored.\n";
        assert_eq!(v, expected);
        let v2 = verbose(&r, &());
        assert!(v2.contains("<No context for file + rules.yaml>\n"));
    }

    #[test]
    fn attacker_text_cannot_start_a_line_or_reach_the_terminal_raw() {
        let hostile = "a\nFORGED: line\r\u{1b}]0;pwned\u{7}\u{202e}x";
        let mut r = sample();
        r.name = format!("f{hostile}.yaml");
        r.errors[0].locations[1].item_name = hostile.to_string();
        r.errors[0].locations[1].position.name = hostile.to_string();
        r.errors[0].message = format!("Undefined macro '{hostile}'");
        r.schema_validation = vec![format!("failed for {hostile}")];
        // A source line with an escape sequence; the warning points at its `y`.
        r.warnings[0].locations[1].position.offset = 9;
        let sources = [("rules.yaml".to_string(), "  x: \u{1b}[2Jy\n".to_string())];
        let v = verbose(&r, &sources);
        // Every line is one of the renderer's own: none starts with the forged text.
        assert!(!v.lines().any(|l| l.starts_with("FORGED")), "{v}");
        assert!(
            !v.chars()
                .any(|c| c != '\n' && quell_events::term::is_unsafe(c)),
            "{v:?}"
        );
        let escaped = r"a\nFORGED: line\r\u001b]0;pwned\u0007\u202ex";
        assert!(v.starts_with(&format!("f{escaped}.yaml: Invalid\n")), "{v}");
        assert!(
            v.contains(&format!("    rule '{escaped}': ({escaped}:1:3)\n")),
            "{v}"
        );
        assert!(
            v.contains(&format!(": Undefined macro '{escaped}'\n")),
            "{v}"
        );
        assert!(
            v.contains(&format!("------\nfailed for {escaped}\n------")),
            "{v}"
        );
        // The caret still points at `y`, after the escape grew the line.
        let caret = format!(
            "  x: \\u001b[2Jy\n{}^\n",
            " ".repeat(r"  x: \u001b[2J".len())
        );
        assert!(v.contains(&caret), "{v}");
    }

    #[test]
    fn clean_snippets_are_unchanged() {
        let s = "  priority: append\n            ^\n";
        assert_eq!(escaped_snippet(s), s);
        assert_eq!(
            escaped_snippet("<No context available>\n"),
            "<No context available>\n"
        );
    }
}
