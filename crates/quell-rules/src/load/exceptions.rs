//! Rule exceptions: the data read from `exceptions:`, their validation (comps defaulting,
//! allowed comparison operators, field validity) and Falco's compilation of exceptions
//! into condition text (`build_rule_exception_infos`).

use crate::diagnostic::{Code, Diagnostic, Location};

use super::collector::RuleInfo;
use super::result::{make_diag, root_location};

/// A `fields`, `comps` or `values` entry: a scalar or a (nested) sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExValue {
    /// A scalar (an empty one stands for "not given").
    Scalar(String),
    /// A sequence.
    List(Vec<ExValue>),
}

impl Default for ExValue {
    fn default() -> Self {
        ExValue::Scalar(String::new())
    }
}

impl ExValue {
    /// Falco's `entry::is_valid`: a non-empty scalar or a non-empty list.
    pub fn is_valid(&self) -> bool {
        match self {
            ExValue::Scalar(s) => !s.is_empty(),
            ExValue::List(v) => !v.is_empty(),
        }
    }

    /// True for a list.
    pub fn is_list(&self) -> bool {
        matches!(self, ExValue::List(_))
    }

    /// The scalar text (`""` for a list, as Falco's `entry::item`).
    pub fn item(&self) -> &str {
        match self {
            ExValue::Scalar(s) => s,
            ExValue::List(_) => "",
        }
    }

    /// The list items (empty for a scalar, as Falco's `entry::items`).
    pub fn items(&self) -> &[ExValue] {
        match self {
            ExValue::Scalar(_) => &[],
            ExValue::List(v) => v,
        }
    }
}

/// One exception of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionInfo {
    /// Its name (unique within a rule, else a warning).
    pub name: String,
    /// One field (scalar form) or a list of fields.
    pub fields: ExValue,
    /// Comparison operator(s); defaulted by validation (`=` per field, or `in`).
    pub comps: ExValue,
    /// One entry per exception value (a tuple in list form).
    pub values: Vec<ExValue>,
    /// Where the exception is (`exception` item type, its name).
    pub loc: Location,
}

/// libsinsp's `parser::supported_operators()`.
pub(crate) const SUPPORTED_OPERATORS: [&str; 20] = [
    "=",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "contains",
    "icontains",
    "bcontains",
    "glob",
    "iglob",
    "bstartswith",
    "startswith",
    "endswith",
    "in",
    "intersects",
    "pmatch",
    "exists",
    "regex",
];

/// String operators that accept the `oneof`/`anyof`/`allof` modifiers.
const MODIFIABLE_OPERATORS: [&str; 12] = [
    "=",
    "==",
    "!=",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "glob",
    "iglob",
    "regex",
];

/// True for `<op> oneof|anyof|allof` with a string operator that takes modifiers.
pub(crate) fn is_modifier_operator(comp: &str) -> bool {
    let mut parts = comp.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(op), Some(m), None) => {
            MODIFIABLE_OPERATORS.contains(&op) && matches!(m, "oneof" | "anyof" | "allof")
        }
        _ => false,
    }
}

fn is_supported_comp(comp: &str) -> bool {
    SUPPORTED_OPERATORS.contains(&comp) || is_modifier_operator(comp)
}

/// Operators whose right-hand side is a list: a scalar value is parenthesised.
fn is_operator_for_list(comp: &str) -> bool {
    matches!(comp, "in" | "intersects" | "pmatch") || is_modifier_operator(comp)
}

/// Falco's `quote_item`: wraps in double quotes a value holding a space unless it already
/// starts with a quote. No escaping.
pub fn quote_item(e: &str) -> String {
    if e.contains(' ') && !e.starts_with('"') && !e.starts_with('\'') {
        format!("\"{e}\"")
    } else {
        e.to_string()
    }
}

/// Falco's `paren_item`: wraps in parentheses unless it already starts with `(`.
pub fn paren_item(e: &str) -> String {
    if e.starts_with('(') {
        e.to_string()
    } else {
        format!("({e})")
    }
}

/// Known transformers, for exception fields written as `toupper(proc.name)`.
const TRANSFORMERS: [&str; 9] = [
    "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt", "val",
];

/// Checks an exception field: a field name (with optional `[arg]`) or a transformer
/// around fields. `check` decides plain field names.
pub(crate) fn field_is_valid(field: &str, check: &dyn Fn(&str) -> bool, depth: usize) -> bool {
    let f = field.trim();
    if depth > 32 {
        return false;
    }
    if let Some(open) = f.find('(') {
        let name = f[..open].trim();
        if f.ends_with(')') && TRANSFORMERS.contains(&name) {
            let inner = &f[open + 1..f.len() - 1];
            // Split on top-level commas.
            let mut args = Vec::new();
            let mut level = 0i32;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '(' | '[' => level += 1,
                    ')' | ']' => level -= 1,
                    ',' if level == 0 => {
                        args.push(&inner[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            args.push(&inner[start..]);
            return args.iter().all(|a| {
                let a = a.trim();
                // join/concat/getopt may take literal string arguments.
                a.starts_with('"') || a.starts_with('\'') || field_is_valid(a, check, depth + 1)
            });
        }
        if !f[..open].contains('[') {
            return false;
        }
    }
    !f.is_empty() && check(f)
}

/// Why an exception definition is refused (Falco's `validate_exception_info`); the
/// `Display` is Falco's wording, carried by the `LOAD_ERR_VALIDATE` diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExceptionError {
    /// `fields` and `comps` are lists of different lengths.
    #[error("Fields and comps lists must have equal length")]
    LengthMismatch,
    /// A comparison operator exceptions do not support.
    #[error("'{0}' is not a supported comparison operator")]
    UnsupportedComp(String),
    /// A field (or transformer over fields) that is not valid for the rule's source.
    #[error("'{0}' is not a supported filter field")]
    UnsupportedField(String),
    /// `fields` is a single value but `comps` is a list.
    #[error("Fields and comps must both be strings")]
    NotBothStrings,
    /// `fields` is a single value and `comps` is not a list operator.
    #[error("When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)")]
    ScalarComp,
}

/// Validates one exception as Falco's `validate_exception_info` does, defaulting comps
/// (`=` for each field of a list, `in` for a single field). `check` decides field
/// validity; `None` skips field checks (unknown source).
pub(crate) fn validate_exception(
    ex: &mut ExceptionInfo,
    check: Option<&dyn Fn(&str) -> bool>,
) -> Result<(), ExceptionError> {
    match &ex.fields {
        ExValue::List(fields) => {
            if !ex.comps.is_valid() {
                ex.comps =
                    ExValue::List(fields.iter().map(|_| ExValue::Scalar("=".into())).collect());
            }
            if let ExValue::List(comps) = &mut ex.comps {
                for c in comps.iter_mut() {
                    if let ExValue::Scalar(s) = c {
                        let t = s.trim().to_string();
                        *s = t;
                    }
                }
            }
            if fields.len() != ex.comps.items().len() {
                return Err(ExceptionError::LengthMismatch);
            }
            for c in ex.comps.items() {
                if !is_supported_comp(c.item()) {
                    return Err(ExceptionError::UnsupportedComp(c.item().to_string()));
                }
            }
            if let Some(check) = check {
                for f in fields {
                    if !field_is_valid(f.item(), check, 0) {
                        return Err(ExceptionError::UnsupportedField(f.item().to_string()));
                    }
                }
            }
        }
        ExValue::Scalar(field) => {
            if !ex.comps.is_valid() {
                ex.comps = ExValue::Scalar("in".into());
            }
            if let ExValue::Scalar(s) = &mut ex.comps {
                let t = s.trim().to_string();
                *s = t;
            }
            if ex.comps.is_list() {
                return Err(ExceptionError::NotBothStrings);
            }
            let comp = ex.comps.item();
            if !matches!(comp, "in" | "pmatch" | "intersects") && !is_modifier_operator(comp) {
                return Err(ExceptionError::ScalarComp);
            }
            if let Some(check) = check {
                if !field_is_valid(field, check, 0) {
                    return Err(ExceptionError::UnsupportedField(field.to_string()));
                }
            }
        }
    }
    Ok(())
}

fn exception_error(rule: &RuleInfo, ex: &ExceptionInfo, msg: &str) -> Diagnostic {
    make_diag(
        Code::LoadErrValidate,
        msg,
        vec![
            root_location(&rule.loc.position.name),
            rule.loc.clone(),
            ex.loc.clone(),
        ],
    )
}

/// Falco's `build_rule_exception_infos`: `"(" + condition + ")"` followed by
/// `" and not (...)"` for every exception that has values, byte for byte.
pub fn build_exception_condition(rule: &RuleInfo) -> Result<String, Diagnostic> {
    build_exception_parts(rule).map(|(text, _)| text)
}

/// [`build_exception_condition`], with how many `" and not (...)"` clauses end it (the
/// exceptions that have values).
pub fn build_exception_parts(rule: &RuleInfo) -> Result<(String, usize), Diagnostic> {
    // Falco only rewrites (and parenthesises) conditions of rules that have exceptions.
    if rule.exceptions.is_empty() {
        return Ok((rule.cond.clone(), 0));
    }
    let mut clauses = 0;
    let mut condition = format!("({})", rule.cond);
    for ex in &rule.exceptions {
        let mut icond = String::new();
        match &ex.fields {
            ExValue::Scalar(field) => {
                for val in &ex.values {
                    if val.is_list() {
                        return Err(exception_error(
                            rule,
                            ex,
                            "Expected values array to contain a list of strings",
                        ));
                    }
                    if icond.is_empty() {
                        icond.push('(');
                        icond.push_str(field);
                        icond.push(' ');
                        icond.push_str(ex.comps.item());
                        icond.push_str(" (");
                    } else {
                        icond.push_str(", ");
                    }
                    icond.push_str(&quote_item(val.item()));
                }
                if !icond.is_empty() {
                    icond.push_str("))");
                }
            }
            ExValue::List(fields) => {
                icond.push('(');
                for tuple in &ex.values {
                    let vals = tuple.items();
                    if fields.len() != vals.len() {
                        return Err(exception_error(
                            rule,
                            ex,
                            "Fields and values lists must have equal length",
                        ));
                    }
                    if icond != "(" {
                        icond.push_str(" or ");
                    }
                    icond.push('(');
                    for (k, (field, val)) in fields.iter().zip(vals).enumerate() {
                        if k > 0 {
                            icond.push_str(" and ");
                        }
                        let comp = ex.comps.items().get(k).map_or("=", ExValue::item);
                        let istr = match val {
                            ExValue::List(items) => {
                                let quoted: Vec<String> =
                                    items.iter().map(|v| quote_item(v.item())).collect();
                                format!("({})", quoted.join(", "))
                            }
                            ExValue::Scalar(s) => {
                                if is_operator_for_list(comp) {
                                    paren_item(s)
                                } else {
                                    quote_item(s)
                                }
                            }
                        };
                        icond.push(' ');
                        icond.push_str(field.item());
                        icond.push(' ');
                        icond.push_str(comp);
                        icond.push(' ');
                        icond.push_str(&istr);
                    }
                    icond.push(')');
                }
                icond.push(')');
                if icond == "()" {
                    icond.clear();
                }
            }
        }
        if !icond.is_empty() {
            condition.push_str(" and not ");
            condition.push_str(&icond);
            clauses += 1;
        }
    }
    Ok((condition, clauses))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> ExValue {
        ExValue::Scalar(x.into())
    }
    fn l(v: &[ExValue]) -> ExValue {
        ExValue::List(v.to_vec())
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_item("a b"), "\"a b\"");
        assert_eq!(quote_item("\"a b\""), "\"a b\"");
        assert_eq!(quote_item("'a b'"), "'a b'");
        assert_eq!(quote_item("a\tb"), "a\tb");
        assert_eq!(paren_item("x"), "(x)");
        assert_eq!(paren_item("(x)"), "(x)");
        assert_eq!(paren_item(""), "()");
    }

    #[test]
    fn modifier_ops() {
        assert!(is_modifier_operator("startswith oneof"));
        assert!(is_modifier_operator("= anyof"));
        assert!(is_modifier_operator("contains  allof"));
        assert!(!is_modifier_operator("in oneof"));
        assert!(!is_modifier_operator("startswith"));
        assert!(!is_modifier_operator("startswith oneof x"));
        assert!(is_supported_comp("exists"));
        assert!(!is_supported_comp("no-comp"));
    }

    fn ex(fields: ExValue, comps: ExValue) -> ExceptionInfo {
        ExceptionInfo {
            name: "e".into(),
            fields,
            comps,
            values: vec![],
            loc: root_location("f"),
        }
    }

    #[test]
    fn validation_defaults_and_errors() {
        let ok = |f: &str| f.starts_with("proc.") || f.starts_with("fd.");
        let mut e = ex(l(&[s("proc.name"), s("fd.name")]), ExValue::default());
        validate_exception(&mut e, Some(&ok)).expect("valid");
        assert_eq!(e.comps, l(&[s("="), s("=")]));
        let mut e = ex(s("proc.name"), ExValue::default());
        validate_exception(&mut e, Some(&ok)).expect("valid");
        assert_eq!(e.comps, s("in"));
        let mut e = ex(l(&[s("proc.name")]), l(&[s("="), s("=")]));
        assert_eq!(
            validate_exception(&mut e, Some(&ok)).unwrap_err(),
            ExceptionError::LengthMismatch
        );
        let mut e = ex(l(&[s("proc.name")]), l(&[s("no-comp")]));
        assert_eq!(
            validate_exception(&mut e, Some(&ok))
                .unwrap_err()
                .to_string(),
            "'no-comp' is not a supported comparison operator"
        );
        let mut e = ex(l(&[s("proc.name")]), l(&[s(" startswith oneof ")]));
        validate_exception(&mut e, Some(&ok)).expect("trimmed modifier op is fine");
        assert_eq!(e.comps, l(&[s("startswith oneof")]));
        let mut e = ex(l(&[s("not.exist")]), ExValue::default());
        assert_eq!(
            validate_exception(&mut e, Some(&ok))
                .unwrap_err()
                .to_string(),
            "'not.exist' is not a supported filter field"
        );
        let mut e = ex(l(&[s("not.exist")]), ExValue::default());
        validate_exception(&mut e, None).expect("no field check without a source");
        let mut e = ex(s("proc.name"), l(&[s("in")]));
        assert_eq!(
            validate_exception(&mut e, Some(&ok)).unwrap_err(),
            ExceptionError::NotBothStrings
        );
        let mut e = ex(s("proc.name"), s("="));
        assert_eq!(
            validate_exception(&mut e, Some(&ok)).unwrap_err().to_string(),
            "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)"
        );
        let mut e = ex(s("proc.name"), s("startswith oneof"));
        validate_exception(&mut e, Some(&ok)).expect("modifier op allowed in scalar form");
        let mut e = ex(s("toupper(proc.name)"), ExValue::default());
        validate_exception(&mut e, Some(&ok)).expect("transformer field");
        let mut e = ex(s("toupper(nope.x)"), ExValue::default());
        assert!(validate_exception(&mut e, Some(&ok)).is_err());
    }

    #[test]
    fn never_panics_on_odd_fields() {
        let ok = |_: &str| true;
        for f in [
            "(",
            ")",
            "a(",
            "toupper(",
            "toupper()",
            "join(\",\", [a, b])",
            "((((",
            "x[",
            "]",
        ] {
            let _ = field_is_valid(f, &ok, 0);
        }
    }
}
