//! Building diagnostics (locations and snippets) and the two forms of a [`LoadResult`]
//! that are Falco's data formats: the one-line summary and the `falco -V` JSON element.
//! The verbose text for a terminal is rendered at the edge (the `quell` binary), where
//! every string from a rules file is escaped for the terminal.

use serde_json::{json, Value};

use crate::diagnostic::{Code, Diagnostic, LoadResult, Location, Position, Sources};

/// Falco's default snippet width (characters either side of the caret: half of it).
const SNIPPET_WIDTH: usize = 160;

/// The outermost location of every loader diagnostic: the whole rules content of a file
/// (Falco's root context, item type `rules content`, no name).
pub fn root_location(file_name: &str) -> Location {
    Location {
        item_type: "rules content".to_string(),
        item_name: String::new(),
        position: Position {
            name: file_name.to_string(),
            line: 1,
            column: 1,
            offset: 0,
        },
    }
}

/// Falco's name for a condition context: the condition in double quotes when it has at
/// most 20 bytes, else its first 17 bytes and `...`, newlines and carriage returns
/// replaced by spaces.
pub fn condition_context_name(condition: &str) -> String {
    let name = if condition.len() > 20 {
        let mut cut = 17;
        while cut > 0 && !condition.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("\"{}...\"", &condition[..cut])
    } else {
        format!("\"{condition}\"")
    };
    name.replace(['\n', '\r'], " ")
}

/// The location of a spot inside a condition (Falco's `condition expression` context):
/// `line`/`column` are the condition parser's 1-based position, `offset` its byte index,
/// `start` where the condition scalar starts in the file. As in Falco, the parser's
/// position is added to the scalar's start (both 1-based here, so one is taken off).
pub fn condition_location(
    condition: &str,
    line: u32,
    column: u32,
    offset: usize,
    start: &Position,
) -> Location {
    Location {
        item_type: "condition expression".to_string(),
        item_name: String::new(),
        position: Position {
            name: condition_context_name(condition),
            line: start.line.saturating_add(line).saturating_sub(1),
            column: start.column.saturating_add(column).saturating_sub(1),
            offset: start.offset.saturating_add(offset),
        },
    }
}

/// Falco's snippet: the line holding byte `offset` of `content` (capped to 80 bytes
/// either side, cut ends shown as `...`), then a caret line pointing at the spot.
pub fn snippet(content: &str, offset: usize) -> String {
    let c = content.as_bytes();
    if c.is_empty() {
        return "<No context available>\n".to_string();
    }
    let half = SNIPPET_WIDTH / 2;
    let mut pos = offset;
    while pos > 0 && (pos >= c.len() || c[pos] == b'\n') {
        pos -= 1;
    }
    let mut from = pos;
    while from > 0 && c[from] != b'\n' && (pos - from) < half {
        from -= 1;
    }
    let mut to = pos;
    while to + 1 < c.len() && c[to] != b'\n' && (to - pos) < half {
        to += 1;
    }
    if c[from] == b'\n' {
        from += 1;
    }
    let mut empty = false;
    if c[to] == b'\n' {
        if to == 0 {
            empty = true;
        } else {
            to -= 1;
        }
    }
    if empty || from > to {
        return "<No context available>\n".to_string();
    }
    let mut ret: Vec<u8> = c[from..=to].to_vec();
    if pos - from >= half && ret.len() >= 3 {
        ret.splice(0..3, b"...".iter().copied());
    }
    if to - pos >= half && ret.len() >= 3 {
        let n = ret.len();
        ret.splice(n - 3..n, b"...".iter().copied());
    }
    let mut out = String::from_utf8_lossy(&ret).into_owned();
    out.push('\n');
    if pos >= from && pos - from < out.len() {
        out.push_str(&" ".repeat(pos - from));
        out.push_str("^\n");
    }
    out
}

/// Builds a diagnostic: a code, a message and where (outermost location first). Its
/// snippet is rendered when shown, from the file the innermost location names.
pub fn make_diag(code: Code, message: impl Into<String>, locations: Vec<Location>) -> Diagnostic {
    Diagnostic {
        code,
        message: message.into(),
        locations,
        deprecated_field: None,
    }
}

fn diag_json(d: &Diagnostic, sources: &dyn Sources) -> Value {
    let locations: Vec<Value> = d
        .locations
        .iter()
        .map(|l| {
            json!({
                "item_type": l.item_type,
                "item_name": l.item_name,
                "position": {
                    "name": l.position.name,
                    "line": l.position.line,
                    "column": l.position.column,
                    "offset": l.position.offset,
                }
            })
        })
        .collect();
    let mut j = json!({
        "context": { "locations": locations, "snippet": d.snippet(sources).unwrap_or_default() },
        "code": d.code.name(),
        "codedesc": d.code.desc(),
        "message": d.message,
    });
    if let Some(f) = &d.deprecated_field {
        j["deprecated_field"] = json!(f);
    }
    j
}

impl LoadResult {
    fn status_line(&self) -> String {
        let mut out = String::new();
        if !self.name.is_empty() {
            out.push_str(&self.name);
            out.push_str(": ");
        }
        if self.successful {
            out.push_str("Ok");
            if !self.warnings.is_empty() {
                out.push_str(", with warnings");
            }
        } else {
            out.push_str("Invalid");
        }
        out
    }

    /// Falco's summary: `<name>: Ok`, `<name>: Ok, with warnings` or `<name>: Invalid`,
    /// then ` N errors: [CODE (desc) ...]` and ` N warnings: [...]` lines.
    pub fn summary(&self) -> String {
        let mut out = self.status_line();
        if self.schema_valid() == Some(false) {
            out.push_str(&format!(
                "\n {} schema warnings: [{}]",
                self.schema_validation.len(),
                self.schema_validation.join(" ")
            ));
        }
        for (label, list) in [("errors", &self.errors), ("warnings", &self.warnings)] {
            if list.is_empty() {
                continue;
            }
            let codes: Vec<String> = list
                .iter()
                .map(|d| format!("{} ({})", d.code.name(), d.code.desc()))
                .collect();
            out.push_str(&format!(
                "\n {} {}: [{}]",
                list.len(),
                label,
                codes.join(" ")
            ));
        }
        out
    }

    /// The element of `falco -V`'s `falco_load_results` array for this file.
    /// `schema_valid` and `schema_warnings` (the statuses, when not valid) appear only
    /// when the file was schema-checked, as in Falco. Snippets are rendered from
    /// `sources` (empty for a file it lacks).
    pub fn to_json(&self, sources: &dyn Sources) -> Value {
        let mut j = json!({
            "name": self.name,
            "successful": self.successful,
        });
        if let Some(valid) = self.schema_valid() {
            j["schema_valid"] = json!(valid);
            j["schema_warnings"] = if valid {
                json!([])
            } else {
                json!(self.schema_validation)
            };
        }
        let diags = |list: &[Diagnostic]| -> Vec<Value> {
            list.iter().map(|d| diag_json(d, sources)).collect()
        };
        j["errors"] = json!(diags(&self.errors));
        j["warnings"] = json!(diags(&self.warnings));
        j
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    #[test]
    fn snippet_points_at_the_spot() {
        let text = "- rule: a\n  priority: append\n";
        let off = text.find("append").expect("found");
        assert_eq!(snippet(text, off), "  priority: append\n            ^\n");
        assert_eq!(snippet(text, 0), "- rule: a\n^\n");
        // Past the end (dangling value): walks back to the last line.
        assert_eq!(
            snippet(text, text.len() + 5),
            "  priority: append\n                 ^\n"
        );
        assert_eq!(snippet("", 0), "<No context available>\n");
        assert_eq!(snippet("\n", 0), "<No context available>\n");
    }

    #[test]
    fn long_lines_are_cut() {
        let line = "x".repeat(300);
        let s = snippet(&line, 150);
        let first = s.lines().next().expect("line");
        assert!(
            first.starts_with("...") && first.ends_with("..."),
            "{first}"
        );
        assert_eq!(first.len(), 161);
        assert_eq!(
            s.lines().nth(1),
            Some(format!("{}^", " ".repeat(80)).as_str())
        );
    }

    #[test]
    fn condition_names() {
        assert_eq!(condition_context_name("evt.type=open"), "\"evt.type=open\"");
        assert_eq!(
            condition_context_name("evt.type=open and\nproc.name=cat"),
            "\"evt.type=open and...\""
        );
        assert_eq!(condition_context_name("a\nb"), "\"a b\"");
        let l = condition_location(
            "evt.type=open",
            1,
            5,
            4,
            &Position {
                name: "f".into(),
                line: 3,
                column: 14,
                offset: 40,
            },
        );
        assert_eq!(
            (l.position.line, l.position.column, l.position.offset),
            (3, 18, 44)
        );
        assert_eq!(l.item_type, "condition expression");
    }

    fn sources() -> [(String, String); 1] {
        [(
            "rules.yaml".to_string(),
            "- rule: r\n  priority: append\n".to_string(),
        )]
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
    fn summary_text() {
        let r = sample();
        assert_eq!(
            r.summary(),
            "rules.yaml: Invalid\n 1 errors: [LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file)]\n 1 warnings: [LOAD_UNKNOWN_KEY (Unknown key in item definition)]"
        );
        let ok = LoadResult {
            name: "a.yaml".into(),
            successful: true,
            ..Default::default()
        };
        assert_eq!(ok.summary(), "a.yaml: Ok");
        let okw = LoadResult {
            warnings: r.warnings.clone(),
            ..ok
        };
        assert!(okw
            .summary()
            .starts_with("a.yaml: Ok, with warnings\n 1 warnings: [LOAD_UNKNOWN_KEY"));
    }

    #[test]
    fn json_shape() {
        let j = sample().to_json(&sources());
        assert_eq!(j["name"], "rules.yaml");
        assert_eq!(j["successful"], false);
        let e = &j["errors"][0];
        assert_eq!(e["code"], "LOAD_ERR_YAML_VALIDATE");
        assert_eq!(
            e["codedesc"],
            "Error validating internal structure of YAML file"
        );
        assert_eq!(e["context"]["locations"][2]["item_type"], "overrides");
        assert_eq!(e["context"]["locations"][2]["position"]["line"], 2);
        assert_eq!(e["context"]["locations"][0]["item_name"], "");
        assert_eq!(e["context"]["snippet"], "  priority: append\n  ^\n");
        assert_eq!(
            j["warnings"][0]["message"],
            "Unknown key 'foo'. The key will be ignored."
        );
        assert_eq!(j["warnings"][0]["context"]["snippet"], "- rule: r\n  ^\n");
    }

    /// A diagnostic holds where it points, not a rendered snippet: the snippet comes from
    /// the text given when it is shown (none without it), and follows that text.
    #[test]
    fn snippets_are_rendered_from_the_sources_at_hand() {
        let r = sample();
        let j = r.to_json(&());
        assert_eq!(j["errors"][0]["context"]["snippet"], "");
        assert_eq!(j["warnings"][0]["context"]["snippet"], "");
        assert_eq!(r.errors[0].snippet(&()), None);
        let other = [(
            "rules.yaml".to_string(),
            "- rule: r\n  priority: loud\n".to_string(),
        )];
        assert_eq!(
            r.errors[0].snippet(&other).as_deref(),
            Some("  priority: loud\n  ^\n")
        );
        assert_eq!(
            r.errors[0].snippet(&sources()).as_deref(),
            Some("  priority: append\n  ^\n")
        );
        // A diagnostic without a position has no snippet.
        let none = make_diag(Code::LoadErrFileRead, "Could not read file", vec![]);
        assert_eq!(none.snippet(&sources()), None);
    }

    proptest! {
        #[test]
        fn snippet_never_panics(s in ".{0,300}", off in 0usize..400) {
            let _ = snippet(&s, off);
        }
        #[test]
        fn condition_name_never_panics(s in ".{0,40}") {
            let _ = condition_context_name(&s);
        }
    }
}
