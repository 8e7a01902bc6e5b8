//! The rules-file reader and collector: YAML items → lists, macros and rules, with
//! Falco's define / append / override / enable semantics, defaults, names, visibility,
//! required versions, exceptions and every load error and warning message.
//!
//! Unlike Falco, which stops a file at its first error, the reader reports an error and
//! goes on with the next item, so all problems of a file are reported. An item that
//! errors is not applied.

use std::collections::BTreeSet;

use crate::diagnostic::{Code, Diagnostic, Location, Position};

use super::exceptions::{validate_exception, ExValue, ExceptionInfo};
use super::lists::expand_nested;
use super::result::{make_diag, root_location};
use super::version::Version;
use super::yaml::{parse_documents, Kind, Mark, Node};
use super::Priority;

/// The engine version quell implements (Falco's `falco_engine_version.h`).
pub const ENGINE_VERSION: Version = Version {
    major: 0,
    minor: 63,
    patch: 0,
};

/// The only event source quell knows.
pub const SYSCALL_SOURCE: &str = "syscall";

const WARNING_APPEND: &str =
    "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const ERROR_NO_PREVIOUS_LIST: &str =
    "List uses 'append' or 'override.items: append' but no list by that name already exists";
const ERROR_NO_PREVIOUS_MACRO: &str =
    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
const ERROR_NO_PREVIOUS_RULE_APPEND: &str =
    "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
const ERROR_NO_PREVIOUS_RULE_REPLACE: &str =
    "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";
const ERROR_INVALID_MACRO_NAME: &str =
    "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)";
const ERROR_INVALID_LIST_NAME: &str =
    "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)";

const ENGINE_VERSION_KEYS: &[&str] = &["required_engine_version"];
const PLUGIN_VERSIONS_KEYS: &[&str] = &["required_plugin_versions"];
const LIST_KEYS: &[&str] = &["list", "items", "append", "override"];
const MACRO_KEYS: &[&str] = &["macro", "condition", "append", "override"];
const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "capture",
    "capture_duration",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "tags",
    "exceptions",
    "override",
    "append",
];
const RULE_APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "capture",
    "capture_duration",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

/// A list, as collected (items of visible nested lists inlined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListInfo {
    /// Its name.
    pub name: String,
    /// Its items.
    pub items: Vec<String>,
    /// Where it was (last) defined.
    pub loc: Location,
    /// Position in definition order (kept on redefinition).
    pub index: usize,
    /// Items may name lists whose index is below this.
    pub visibility: usize,
}

/// A macro, as collected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroInfo {
    /// Its name.
    pub name: String,
    /// Its condition text (appends concatenated with a space).
    pub cond: String,
    /// Where the condition scalar starts.
    pub cond_pos: Position,
    /// Where it was (last) defined.
    pub loc: Location,
    /// Position in definition order (kept on redefinition).
    pub index: usize,
    /// The condition may use macros whose index is below this.
    pub visibility: usize,
}

/// A rule, as collected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Its name.
    pub name: String,
    /// Its condition text (exceptions not yet applied).
    pub cond: String,
    /// Where the condition scalar starts.
    pub cond_pos: Position,
    /// Its output format (trimmed).
    pub output: String,
    /// Where the output scalar starts.
    pub output_pos: Position,
    /// Its description.
    pub desc: String,
    /// Its priority.
    pub priority: Priority,
    /// Its event source (`syscall`).
    pub source: String,
    /// Enabled (default true).
    pub enabled: bool,
    /// Capture (default false).
    pub capture: bool,
    /// Capture duration (default 0).
    pub capture_duration: u32,
    /// Warn when it matches too many event types (default true).
    pub warn_evttypes: bool,
    /// Skip instead of failing on unknown fields (default false).
    pub skip_if_unknown_filter: bool,
    /// Tags, sorted and de-duplicated.
    pub tags: BTreeSet<String>,
    /// Exceptions, validated (comps defaulted).
    pub exceptions: Vec<ExceptionInfo>,
    /// Where it was (last) defined.
    pub loc: Location,
    /// Position in definition order (kept on redefinition): evaluation order.
    pub index: usize,
}

/// One `required_plugin_versions` requirement: a plugin name and minimum version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRequirement {
    /// Plugin name.
    pub name: String,
    /// Minimum version (semver).
    pub version: String,
}

#[derive(Clone, Debug)]
struct RuleEntry {
    info: RuleInfo,
    unknown_source: bool,
}

/// Accumulates lists, macros and rules across rules files (later files append to and
/// override earlier ones), as Falco's `rule_loader::collector`.
#[derive(Clone, Debug)]
pub struct Collector {
    raw_lists: Vec<ListInfo>,
    lists: Vec<ListInfo>,
    nested_used: Vec<bool>,
    macros: Vec<MacroInfo>,
    all_rules: Vec<RuleEntry>,
    rules: Vec<RuleInfo>,
    cur_index: usize,
    engine_version: Option<(Version, String)>,
    plugins: Vec<Vec<PluginRequirement>>,
    field_check: fn(&str) -> bool,
    schema: Vec<String>,
}

fn registry_field_check(field: &str) -> bool {
    crate::fields_table::registry().resolve_text(field).is_ok()
}

impl Default for Collector {
    fn default() -> Self {
        Collector {
            raw_lists: Vec::new(),
            lists: Vec::new(),
            nested_used: Vec::new(),
            macros: Vec::new(),
            all_rules: Vec::new(),
            rules: Vec::new(),
            cur_index: 0,
            engine_version: None,
            plugins: Vec::new(),
            field_check: registry_field_check,
            schema: Vec::new(),
        }
    }
}

/// An error while reading an item: code, message and where.
struct Fail {
    code: Code,
    msg: String,
    locs: Vec<Location>,
}

type R<T> = Result<T, Fail>;

/// A context: the chain of locations down to the current spot.
#[derive(Clone)]
struct Ctx {
    locs: Vec<Location>,
}

impl Ctx {
    fn child(&self, item_type: &str, item_name: &str, pos: Position) -> Ctx {
        let mut locs = self.locs.clone();
        locs.push(Location {
            item_type: item_type.into(),
            item_name: item_name.into(),
            position: pos,
        });
        Ctx { locs }
    }
    fn last(&self) -> Location {
        self.locs
            .last()
            .cloned()
            .unwrap_or_else(|| root_location(""))
    }
}

fn yaml_err(msg: impl Into<String>, ctx: &Ctx) -> Fail {
    Fail {
        code: Code::LoadErrYamlValidate,
        msg: msg.into(),
        locs: ctx.locs.clone(),
    }
}

fn validate_err(msg: impl Into<String>, ctx: &Ctx) -> Fail {
    Fail {
        code: Code::LoadErrValidate,
        msg: msg.into(),
        locs: ctx.locs.clone(),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

fn parse_u32(s: &str) -> Option<u32> {
    let t = s.strip_prefix('+').unwrap_or(s);
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    if let Some(o) = t.strip_prefix("0o") {
        return u32::from_str_radix(o, 8).ok();
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn is_macro_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => chars.all(|c| c.is_ascii_alphanumeric() || c == '_'),
        _ => false,
    }
}

fn is_list_name(name: &str) -> bool {
    !name.is_empty()
        && !name.chars().any(|c| {
            matches!(
                c,
                '(' | ')' | '"' | '\'' | '=' | ',' | ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'
            )
        })
}

/// Update data for append / replace of a rule (Falco's `rule_update_info`).
#[derive(Default)]
struct RuleUpdate {
    /// The item's `source` when Falco passes it on (with a condition, or `append: true`);
    /// empty otherwise. A different source than the rule's is an error.
    source: String,
    cond: Option<(String, Position)>,
    output: Option<(String, Position)>,
    desc: Option<String>,
    tags: Option<BTreeSet<String>>,
    exceptions: Option<Vec<ExceptionInfo>>,
    priority: Option<Priority>,
    enabled: Option<bool>,
    warn_evttypes: Option<bool>,
    skip_if_unknown_filter: Option<bool>,
    capture: Option<bool>,
    capture_duration: Option<u32>,
}

impl RuleUpdate {
    fn has_any_value(&self) -> bool {
        self.cond.is_some()
            || self.output.is_some()
            || self.desc.is_some()
            || self.tags.is_some()
            || self.exceptions.is_some()
            || self.priority.is_some()
            || self.enabled.is_some()
            || self.warn_evttypes.is_some()
            || self.skip_if_unknown_filter.is_some()
            || self.capture.is_some()
            || self.capture_duration.is_some()
    }
}

/// Reads one file's items into a collector.
struct Reader<'a> {
    name: &'a str,
    diags: &'a mut Vec<Diagnostic>,
    failed: bool,
}

impl Reader<'_> {
    fn pos(&self, m: Mark) -> Position {
        Position {
            name: self.name.to_string(),
            line: m.line,
            column: m.column,
            offset: m.offset,
        }
    }
    fn warn(&mut self, code: Code, msg: impl Into<String>, ctx: &Ctx) {
        self.diags.push(make_diag(code, msg, ctx.locs.clone()));
    }
    fn fail(&mut self, f: Fail) {
        self.failed = true;
        self.diags.push(make_diag(f.code, f.msg, f.locs));
    }

    // ---- decoders (Falco's decode_val / decode_seq / ...) ----

    /// A required non-empty scalar.
    fn decode_str<'n>(&self, item: &'n Node, key: &str, ctx: &Ctx) -> R<(String, &'n Node)> {
        let val = item
            .get(key)
            .ok_or_else(|| yaml_err(format!("Item has no mapping for key '{key}'"), ctx))?;
        if val.is_null() {
            return Err(yaml_err(format!("Mapping for key '{key}' is empty"), ctx));
        }
        let valctx = ctx.child("value for", key, self.pos(val.mark));
        match val.as_scalar() {
            None => Err(yaml_err("Value is not a scalar value", &valctx)),
            Some("") => Err(yaml_err("Value must be non-empty", &valctx)),
            Some(s) => Ok((s.to_string(), val)),
        }
    }

    fn decode_bool(&self, item: &Node, key: &str, ctx: &Ctx) -> R<bool> {
        let (s, node) = self.decode_str(item, key, ctx)?;
        parse_bool(&s).ok_or_else(|| {
            yaml_err(
                "Can't decode YAML scalar value",
                &ctx.child("value for", key, self.pos(node.mark)),
            )
        })
    }

    fn decode_opt_bool(&self, item: &Node, key: &str, ctx: &Ctx) -> R<Option<bool>> {
        if item.has(key) {
            self.decode_bool(item, key, ctx).map(Some)
        } else {
            Ok(None)
        }
    }

    fn decode_u32(&self, item: &Node, key: &str, ctx: &Ctx) -> R<u32> {
        let (s, node) = self.decode_str(item, key, ctx)?;
        parse_u32(&s).ok_or_else(|| {
            yaml_err(
                "Can't decode YAML scalar value",
                &ctx.child("value for", key, self.pos(node.mark)),
            )
        })
    }

    /// A sequence of scalars (`items`, `tags`).
    fn decode_seq(&self, item: &Node, key: &str, ctx: &Ctx) -> R<Vec<String>> {
        let val = item
            .get(key)
            .ok_or_else(|| yaml_err(format!("Item has no mapping for key '{key}'"), ctx))?;
        let valctx = ctx.child("value for", key, self.pos(val.mark));
        let seq = val
            .as_seq()
            .ok_or_else(|| yaml_err("Value is not a sequence", &valctx))?;
        let mut out = Vec::with_capacity(seq.len());
        for v in seq {
            match v.as_scalar() {
                Some(s) => out.push(s.to_string()),
                None => {
                    return Err(yaml_err(
                        "sequence value is not scalar",
                        &valctx.child("list item", "", self.pos(v.mark)),
                    ))
                }
            }
        }
        Ok(out)
    }

    fn decode_tags(&self, item: &Node, ctx: &Ctx) -> R<BTreeSet<String>> {
        Ok(self.decode_seq(item, "tags", ctx)?.into_iter().collect())
    }

    /// Warns about every key given twice in a mapping anywhere inside `item`. yaml-cpp
    /// keeps both and Falco's lookups see the first, silently; quell says so.
    fn warn_duplicate_keys(&mut self, item: &Node, root: &Ctx) {
        let mut todo = vec![item];
        while let Some(n) = todo.pop() {
            match &n.kind {
                Kind::Seq(v) => todo.extend(v.iter().rev()),
                Kind::Map(entries) => {
                    for (first, dup) in n.duplicate_keys() {
                        let key = dup.as_scalar().unwrap_or_default();
                        let ctx = root
                            .child("rules content item", "", self.pos(item.mark))
                            .child("key", key, self.pos(dup.mark));
                        self.warn(
                            Code::QuellDuplicateKey,
                            format!(
                                "Key '{key}' is given more than once in this mapping (first at line {}). Falco silently uses the first value and ignores this one.",
                                first.mark.line
                            ),
                            &ctx,
                        );
                    }
                    for (_, v) in entries.iter().rev() {
                        todo.push(v);
                    }
                }
                _ => {}
            }
        }
    }

    fn warn_unknown_keys(&mut self, item: &Node, expected: &[&str], ctx: &Ctx) {
        let Some(entries) = item.as_map() else { return };
        for (k, _) in entries {
            if let Some(key) = k.as_scalar() {
                if !expected.contains(&key) {
                    self.warn(
                        Code::LoadUnknownKey,
                        format!("Unknown key '{key}'. The key will be ignored."),
                        ctx,
                    );
                }
            }
        }
    }

    /// Falco's `decode_overrides`: the keys to append and to replace.
    fn decode_overrides(
        &self,
        item: &Node,
        appendable: &[&str],
        replaceable: &[&str],
        ctx: &Ctx,
    ) -> R<(BTreeSet<String>, BTreeSet<String>)> {
        let mut out_append = BTreeSet::new();
        let mut out_replace = BTreeSet::new();
        let Some(val) = item.get("override") else {
            return Ok((out_append, out_replace));
        };
        let overridectx = ctx.child("overrides", "", self.pos(item.mark));
        let entries = match &val.kind {
            Kind::Map(e) => e,
            Kind::Null => return Ok((out_append, out_replace)),
            _ => {
                return Err(yaml_err(
                    "Value of override must be a mapping",
                    &overridectx.child("value for", "override", self.pos(val.mark)),
                ))
            }
        };
        for (k, v) in entries {
            let key = k.as_scalar().unwrap_or("").to_string();
            let op = v.as_scalar().unwrap_or("");
            let can_append = appendable.contains(&key.as_str());
            let can_replace = replaceable.contains(&key.as_str());
            match op {
                "append" => {
                    if !can_append {
                        let keyctx = overridectx.child("overrides", &key, self.pos(k.mark));
                        return Err(yaml_err(
                            format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                            &keyctx,
                        ));
                    }
                    out_append.insert(key);
                }
                "replace" => {
                    if !can_replace {
                        let keyctx = overridectx.child("overrides", &key, self.pos(k.mark));
                        return Err(yaml_err(format!("Key '{key}' cannot be replaced"), &keyctx));
                    }
                    out_replace.insert(key);
                }
                _ => {
                    let opctx = overridectx.child("value for", &key, self.pos(v.mark));
                    let mut msg = format!(
                        "Invalid override operation for key '{key}': '{op}'. Allowed values are: "
                    );
                    if can_append {
                        msg.push_str("append ");
                    }
                    if can_replace {
                        msg.push_str("replace ");
                    }
                    return Err(yaml_err(msg, &opctx));
                }
            }
        }
        Ok((out_append, out_replace))
    }

    // ---- exceptions ----

    fn decode_entry_node(&self, val: &Node, parent: &Ctx, key: &str, depth: usize) -> R<ExValue> {
        let valctx = parent.child("value for", key, self.pos(val.mark));
        if depth > 64 {
            return Err(yaml_err("Exception value nesting is too deep", &valctx));
        }
        match &val.kind {
            Kind::Scalar(s) if s.is_empty() => Err(yaml_err("Value must be non-empty", &valctx)),
            Kind::Scalar(s) => Ok(ExValue::Scalar(s.clone())),
            Kind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    let lctx = valctx.child("exception", "", self.pos(v.mark));
                    out.push(self.decode_entry_node(v, &lctx, "", depth + 1)?);
                }
                Ok(ExValue::List(out))
            }
            // yaml-cpp: neither scalar nor sequence leaves the entry empty.
            Kind::Null | Kind::Map(_) => Ok(ExValue::default()),
        }
    }

    fn decode_entry(&self, item: &Node, key: &str, ctx: &Ctx, optional: bool) -> R<ExValue> {
        match item.get(key) {
            None if optional => Ok(ExValue::default()),
            None => Err(yaml_err(
                format!("Item has no mapping for key '{key}'"),
                ctx,
            )),
            Some(val) => self.decode_entry_node(val, ctx, key, 0),
        }
    }

    /// Falco's `read_rule_exceptions`. `ctx` is the rule's context.
    fn read_exceptions(&mut self, item: &Node, ctx: &Ctx, append: bool) -> R<Vec<ExceptionInfo>> {
        let mut out: Vec<ExceptionInfo> = Vec::new();
        let Some(exs) = item.get("exceptions") else {
            return Ok(out);
        };
        if exs.is_null() {
            return Ok(out);
        }
        let exes_ctx = ctx.child("exceptions", "", self.pos(exs.mark));
        let seq = exs
            .as_seq()
            .ok_or_else(|| yaml_err("Rule exceptions must be a sequence", &exes_ctx))?;
        for ex in seq {
            let tmp = exes_ctx.child("exception", "", self.pos(ex.mark));
            if !ex.is_map() {
                return Err(yaml_err("Rule exception must be a mapping", &tmp));
            }
            let (name, _) = self.decode_str(ex, "name", &tmp)?;
            let ex_ctx = ctx.child("exception", &name, self.pos(ex.mark));
            if out.iter().any(|e| e.name == name) {
                self.warn(
                    Code::LoadExceptionNameNotUnique,
                    format!("Multiple definitions of exception '{name}' in the same rule"),
                    &ex_ctx,
                );
            }
            let fields = self.decode_entry(ex, "fields", &ex_ctx, append)?;
            let comps = self.decode_entry(ex, "comps", &ex_ctx, true)?;
            let mut values = Vec::new();
            match ex.get("values") {
                Some(exvals) => {
                    let vals_ctx = ex_ctx.child("exception values", "", self.pos(exvals.mark));
                    let vseq = exvals.as_seq().ok_or_else(|| {
                        yaml_err("Rule exception values must be a sequence", &vals_ctx)
                    })?;
                    for v in vseq {
                        let vctx = vals_ctx.child("exception value", "", self.pos(v.mark));
                        values.push(self.decode_entry_node(v, &vctx, "", 0)?);
                    }
                }
                None if append => self.warn(
                    Code::LoadAppendNoValues,
                    "Overriding/appending exception with no values",
                    &ex_ctx,
                ),
                None => {}
            }
            out.push(ExceptionInfo {
                name,
                fields,
                comps,
                values,
                loc: ex_ctx.last(),
            });
        }
        Ok(out)
    }
}

/// `expected` minus `key`, if the override names `key` (Falco's `check_update_expected`).
/// The `source` an item names, as Falco's `decode_optional_empty_val` (absent: empty).
fn item_source(item: &Node) -> String {
    item.get("source")
        .and_then(Node::as_scalar)
        .unwrap_or_default()
        .to_string()
}

/// Falco's `find_prev_rule`: appending to or replacing parts of a rule with an explicit
/// source different from the rule's is an error.
fn check_same_source(prev: Option<&RuleEntry>, source: &str, ctx: &Ctx) -> R<()> {
    match prev {
        Some(p) if !source.is_empty() && !p.info.source.is_empty() && p.info.source != source => {
            Err(validate_err(
                "Rule has been re-defined with a different source",
                ctx,
            ))
        }
        _ => Ok(()),
    }
}

fn check_update_expected(
    expected: &mut BTreeSet<String>,
    overrides: &BTreeSet<String>,
    kind: &str,
    key: &str,
    ctx: &Ctx,
) -> R<bool> {
    if !overrides.contains(key) {
        return Ok(false);
    }
    if !expected.remove(key) {
        return Err(yaml_err(
            format!("An {kind} override for '{key}' was specified but '{key}' is not defined"),
            ctx,
        ));
    }
    Ok(true)
}

fn ex_ctx(rule_ctx: &Ctx, ex: &ExceptionInfo) -> Ctx {
    let mut c = rule_ctx.clone();
    c.locs.push(ex.loc.clone());
    c
}

impl Collector {
    /// Falco's schema statuses of the file read last ([`super::schema::validate`]).
    pub fn schema_validation(&self) -> &[String] {
        &self.schema
    }

    /// Lists in index order, with the items of visible nested lists inlined.
    pub fn lists(&self) -> &[ListInfo] {
        &self.lists
    }

    /// For each list of [`Collector::lists`], whether another list inlined it (Falco
    /// counts that as a use for the unused-list warning).
    pub fn lists_used_by_lists(&self) -> &[bool] {
        &self.nested_used
    }

    /// Macros in index order.
    pub fn macros(&self) -> &[MacroInfo] {
        &self.macros
    }

    /// Rules of known sources in index (evaluation) order.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// The highest `required_engine_version` seen, as `x.y.z`.
    pub fn required_engine_version(&self) -> Option<&str> {
        self.engine_version.as_ref().map(|(_, s)| s.as_str())
    }

    /// Every `required_plugin_versions` entry: the alternatives of each requirement.
    pub fn required_plugin_versions(&self) -> &[Vec<PluginRequirement>] {
        &self.plugins
    }

    /// Replaces the field-validity check used for exception fields (default: the
    /// built-in field registry).
    pub fn set_field_check(&mut self, check: fn(&str) -> bool) {
        self.field_check = check;
    }

    /// Reads one rules file into the collection. Pushes errors and warnings to `diags`
    /// (errors with `Code::LoadErr*`). Returns false if the file had any error. An item
    /// with an error is not applied; reading goes on with the next item.
    pub fn read(&mut self, name: &str, content: &str, diags: &mut Vec<Diagnostic>) -> bool {
        let mut r = Reader {
            name,
            diags,
            failed: false,
        };
        let root = Ctx {
            locs: vec![root_location(name)],
        };
        self.schema = Vec::new();
        match parse_documents(content) {
            Err(e) => {
                let ctx = root.child("value for", "", r.pos(e.mark));
                r.fail(Fail {
                    code: Code::LoadErrYamlParse,
                    msg: e.message,
                    locs: ctx.locs,
                });
            }
            Ok(docs) => {
                self.schema = super::schema::validate(&docs);
                for doc in docs.iter().flatten() {
                    match &doc.kind {
                        Kind::Null => {}
                        Kind::Scalar(_) => r.fail(yaml_err("Rules content is not yaml", &root)),
                        Kind::Map(_) => r.fail(yaml_err(
                            "Rules content is not yaml array of objects",
                            &root,
                        )),
                        Kind::Seq(items) => {
                            for item in items.iter().filter(|i| !i.is_null()) {
                                r.warn_duplicate_keys(item, &root);
                                if let Err(f) = self.read_item(&mut r, item, &root) {
                                    r.fail(f);
                                }
                            }
                        }
                    }
                }
            }
        }
        let (lists, used) = expand_nested(&self.raw_lists);
        self.lists = lists;
        self.nested_used = used;
        self.rules = self
            .all_rules
            .iter()
            .filter(|e| !e.unknown_source)
            .map(|e| e.info.clone())
            .collect();
        !r.failed
    }

    fn next_index(&mut self) -> usize {
        let i = self.cur_index;
        self.cur_index += 1;
        i
    }

    fn read_item(&mut self, r: &mut Reader<'_>, item: &Node, root: &Ctx) -> R<()> {
        if !item.is_map() {
            let tmp = root.child("rules content item", "", r.pos(item.mark));
            return Err(yaml_err(
                "Unexpected element type. Each element should be a yaml associative array.",
                &tmp,
            ));
        }
        if item.has("required_engine_version") {
            self.read_engine_version(r, item, root)
        } else if item.has("required_plugin_versions") {
            self.read_plugin_versions(r, item, root)
        } else if item.has("list") {
            self.read_list(r, item, root)
        } else if item.has("macro") {
            self.read_macro(r, item, root)
        } else if item.has("rule") {
            self.read_rule(r, item, root)
        } else {
            let ctx = root.child("rules content item", "", r.pos(item.mark));
            r.warn(Code::LoadUnknownItem, "Unknown top level item", &ctx);
            Ok(())
        }
    }

    fn read_engine_version(&mut self, r: &mut Reader<'_>, item: &Node, root: &Ctx) -> R<()> {
        let ctx = root.child("required_engine_version", "", r.pos(item.mark));
        r.warn_unknown_keys(item, ENGINE_VERSION_KEYS, &ctx);
        let key = "required_engine_version";
        let implicit = r
            .decode_str(item, key, &ctx)
            .ok()
            .and_then(|(s, _)| parse_u32(&s));
        let version = match implicit {
            Some(n) => Version {
                major: 0,
                minor: u64::from(n),
                patch: 0,
            },
            None => {
                let (s, _) = r.decode_str(item, key, &ctx)?;
                Version::parse(&s).ok_or_else(|| {
                    yaml_err(
                        format!("Unable to parse engine version '{s}' as a semver string. Expected \"x.y.z\" semver format."),
                        &ctx,
                    )
                })?
            }
        };
        if !ENGINE_VERSION.compatible_with(&version) {
            return Err(validate_err(
                format!("Rules require engine version {version}, but engine version is {ENGINE_VERSION}"),
                &ctx,
            ));
        }
        if self
            .engine_version
            .as_ref()
            .is_none_or(|(v, _)| *v < version)
        {
            self.engine_version = Some((version, version.to_string()));
        }
        Ok(())
    }

    fn read_plugin_versions(&mut self, r: &mut Reader<'_>, item: &Node, root: &Ctx) -> R<()> {
        let val = item.get("required_plugin_versions").unwrap_or(item);
        let ctx = root.child("required plugin versions", "", r.pos(val.mark));
        r.warn_unknown_keys(item, PLUGIN_VERSIONS_KEYS, &ctx);
        let plugins = val.as_seq().ok_or_else(|| {
            yaml_err("Value of required_plugin_versions must be a sequence", &ctx)
        })?;
        for plugin in plugins {
            let tmp = ctx.child("required plugin versions entry", "", r.pos(plugin.mark));
            if !plugin.is_map() {
                return Err(yaml_err("Plugin version must be a mapping", &tmp));
            }
            let (name, _) = r.decode_str(plugin, "name", &tmp)?;
            let pctx = ctx.child("required plugin versions entry", &name, r.pos(plugin.mark));
            let (version, _) = r.decode_str(plugin, "version", &pctx)?;
            let mut alternatives = vec![PluginRequirement { name, version }];
            if let Some(alts) = plugin.get("alternatives") {
                let alts = alts.as_seq().ok_or_else(|| {
                    yaml_err(
                        "Value of plugin version alternatives must be a sequence",
                        &pctx,
                    )
                })?;
                for alt in alts {
                    let tmp =
                        pctx.child("required plugin versions alternative", "", r.pos(alt.mark));
                    if !alt.is_map() {
                        return Err(yaml_err(
                            "Plugin version alternative must be a mapping",
                            &tmp,
                        ));
                    }
                    let (aname, _) = r.decode_str(alt, "name", &tmp)?;
                    let tmp = pctx.child(
                        "required plugin versions alternative",
                        &aname,
                        r.pos(alt.mark),
                    );
                    let (aversion, _) = r.decode_str(alt, "version", &tmp)?;
                    alternatives.push(PluginRequirement {
                        name: aname,
                        version: aversion,
                    });
                }
            }
            // Collector checks.
            let mut seen = BTreeSet::new();
            for req in &alternatives {
                if Version::parse(&req.version).is_none() {
                    return Err(validate_err(
                        format!(
                            "Invalid required version '{}' for plugin '{}'",
                            req.version, req.name
                        ),
                        &pctx,
                    ));
                }
                if !seen.insert(req.name.as_str()) {
                    return Err(validate_err(
                        format!(
                            "Defined multiple alternative version requirements for plugin '{}'",
                            req.name
                        ),
                        &pctx,
                    ));
                }
            }
            // quell's built-in container fields satisfy any `container` requirement;
            // quell loads no plugins, so nothing else can be satisfied.
            if !alternatives.iter().any(|a| a.name == "container") {
                let list: Vec<String> = alternatives
                    .iter()
                    .map(|a| format!("{} (>= {})", a.name, a.version))
                    .collect();
                return Err(validate_err(
                    format!(
                        "Plugin requirement not satisfied, must load one of: {}",
                        list.join(", ")
                    ),
                    &pctx,
                ));
            }
            self.plugins.push(alternatives);
        }
        Ok(())
    }

    fn read_list(&mut self, r: &mut Reader<'_>, item: &Node, root: &Ctx) -> R<()> {
        let tmp = root.child("list", "", r.pos(item.mark));
        let (name, _) = r.decode_str(item, "list", &tmp)?;
        let ctx = root.child("list", &name, r.pos(item.mark));
        if !is_list_name(&name) {
            r.warn(Code::LoadInvalidListName, ERROR_INVALID_LIST_NAME, &ctx);
        }
        r.warn_unknown_keys(item, LIST_KEYS, &ctx);
        let items = r.decode_seq(item, "items", &ctx)?;
        let mut append = r.decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if append {
            r.warn(Code::LoadDeprecatedItem, WARNING_APPEND, &ctx);
        }
        let (oa, or) = r.decode_overrides(item, &["items"], &["items"], &ctx)?;
        if append && (!oa.is_empty() || !or.is_empty()) {
            return Err(yaml_err(ERROR_OVERRIDE_APPEND, &ctx));
        }
        append |= oa.contains("items");
        if append {
            let Some(pi) = self.raw_lists.iter().position(|l| l.name == name) else {
                return Err(validate_err(ERROR_NO_PREVIOUS_LIST, &ctx));
            };
            let id = self.next_index();
            if let Some(prev) = self.raw_lists.get_mut(pi) {
                prev.items.extend(items);
                prev.visibility = id;
            }
        } else {
            let id = self.next_index();
            let mut info = ListInfo {
                name,
                items,
                loc: ctx.last(),
                index: id,
                visibility: id,
            };
            match self.raw_lists.iter_mut().find(|l| l.name == info.name) {
                Some(prev) => {
                    info.index = prev.index;
                    *prev = info;
                }
                None => self.raw_lists.push(info),
            }
        }
        Ok(())
    }

    fn read_macro(&mut self, r: &mut Reader<'_>, item: &Node, root: &Ctx) -> R<()> {
        let tmp = root.child("macro", "", r.pos(item.mark));
        let (name, _) = r.decode_str(item, "macro", &tmp)?;
        let ctx = root.child("macro", &name, r.pos(item.mark));
        if !is_macro_name(&name) {
            r.warn(Code::LoadInvalidMacroName, ERROR_INVALID_MACRO_NAME, &ctx);
        }
        r.warn_unknown_keys(item, MACRO_KEYS, &ctx);
        let (cond, cond_node) = r.decode_str(item, "condition", &ctx)?;
        let cond_pos = r.pos(cond_node.mark);
        let mut append = r.decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if append {
            r.warn(Code::LoadDeprecatedItem, WARNING_APPEND, &ctx);
        }
        let (oa, or) = r.decode_overrides(item, &["condition"], &["condition"], &ctx)?;
        if append && (!oa.is_empty() || !or.is_empty()) {
            return Err(yaml_err(ERROR_OVERRIDE_APPEND, &ctx));
        }
        append |= oa.contains("condition");
        if append {
            let Some(pi) = self.macros.iter().position(|m| m.name == name) else {
                return Err(validate_err(ERROR_NO_PREVIOUS_MACRO, &ctx));
            };
            let id = self.next_index();
            if let Some(prev) = self.macros.get_mut(pi) {
                prev.cond.push(' ');
                prev.cond.push_str(&cond);
                prev.visibility = id;
            }
        } else {
            let id = self.next_index();
            let mut info = MacroInfo {
                name,
                cond,
                cond_pos,
                loc: ctx.last(),
                index: id,
                visibility: id,
            };
            match self.macros.iter_mut().find(|m| m.name == info.name) {
                Some(prev) => {
                    info.index = prev.index;
                    *prev = info;
                }
                None => self.macros.push(info),
            }
        }
        Ok(())
    }

    fn read_rule(&mut self, r: &mut Reader<'_>, item: &Node, root: &Ctx) -> R<()> {
        let tmp = root.child("rule", "", r.pos(item.mark));
        let (name, _) = r.decode_str(item, "rule", &tmp)?;
        let ctx = root.child("rule", &name, r.pos(item.mark));
        r.warn_unknown_keys(item, RULE_KEYS, &ctx);
        let has_append_flag = r.decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if has_append_flag {
            r.warn(Code::LoadDeprecatedItem, WARNING_APPEND, &ctx);
        }
        let (oa, or) = r.decode_overrides(item, RULE_APPENDABLE, RULE_REPLACEABLE, &ctx)?;
        let has_overrides = !oa.is_empty() || !or.is_empty();
        if has_append_flag && has_overrides {
            return Err(yaml_err(ERROR_OVERRIDE_APPEND, &ctx));
        }
        if has_overrides {
            self.read_rule_overrides(r, item, &name, &ctx, &oa, &or)
        } else if has_append_flag {
            let mut upd = RuleUpdate {
                source: item_source(item),
                ..RuleUpdate::default()
            };
            if item.has("condition") {
                let (c, n) = r.decode_str(item, "condition", &ctx)?;
                upd.cond = Some((c, r.pos(n.mark)));
            }
            if item.has("exceptions") {
                upd.exceptions = Some(r.read_exceptions(item, &ctx, true)?);
            }
            let pi = self.all_rules.iter().position(|e| e.info.name == name);
            let mut working = pi.and_then(|i| self.all_rules.get(i)).cloned();
            self.apply_append(working.as_mut(), upd, &ctx)?;
            self.commit_rule(pi, working, 1);
            Ok(())
        } else if !item.has("condition")
            && !item.has("output")
            && !item.has("desc")
            && !item.has("priority")
        {
            let enabled = r.decode_bool(item, "enabled", &ctx)?;
            r.warn(Code::LoadDeprecatedItem, WARNING_ENABLED, &ctx);
            match self.all_rules.iter_mut().find(|e| e.info.name == name) {
                Some(prev) => {
                    prev.info.enabled = enabled;
                    Ok(())
                }
                None => Err(validate_err(
                    "Rule has 'enabled' key but no rule by that name already exists",
                    &ctx,
                )),
            }
        } else {
            self.define_rule(r, item, name, &ctx)
        }
    }

    fn define_rule(&mut self, r: &mut Reader<'_>, item: &Node, name: String, ctx: &Ctx) -> R<()> {
        let (cond, cn) = r.decode_str(item, "condition", ctx)?;
        let cond_pos = r.pos(cn.mark);
        let (output, on) = r.decode_str(item, "output", ctx)?;
        let output_pos = r.pos(on.mark);
        let (desc, _) = r.decode_str(item, "desc", ctx)?;
        let (prio, pn) = r.decode_str(item, "priority", ctx)?;
        let output = output
            .trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b')
            .to_string();
        let prictx = ctx.child("rule priority", "", r.pos(pn.mark));
        let priority =
            Priority::parse(&prio).ok_or_else(|| yaml_err("Invalid priority", &prictx))?;
        let source = match item.get("source") {
            None => SYSCALL_SOURCE.to_string(),
            Some(n) if n.is_null() || n.as_scalar() == Some("") => SYSCALL_SOURCE.to_string(),
            Some(_) => r.decode_str(item, "source", ctx)?.0,
        };
        let enabled = r.decode_opt_bool(item, "enabled", ctx)?.unwrap_or(true);
        let warn_evttypes = r
            .decode_opt_bool(item, "warn_evttypes", ctx)?
            .unwrap_or(true);
        let skip_if_unknown_filter = r
            .decode_opt_bool(item, "skip-if-unknown-filter", ctx)?
            .unwrap_or(false);
        let capture = r.decode_opt_bool(item, "capture", ctx)?.unwrap_or(false);
        let capture_duration = if item.has("capture_duration") {
            r.decode_u32(item, "capture_duration", ctx)?
        } else {
            0
        };
        let tags = if item.has("tags") {
            r.decode_tags(item, ctx)?
        } else {
            BTreeSet::new()
        };
        let mut exceptions = r.read_exceptions(item, ctx, false)?;

        // Collector `define`.
        let pi = self.all_rules.iter().position(|e| e.info.name == name);
        if let Some(prev) = pi.and_then(|i| self.all_rules.get(i)) {
            if prev.info.source != source {
                return Err(validate_err(
                    "Rule has been re-defined with a different source",
                    ctx,
                ));
            }
        }
        let unknown_source = source != SYSCALL_SOURCE;
        if unknown_source {
            r.warn(
                Code::LoadUnknownSource,
                format!("Unknown source {source}, skipping"),
                ctx,
            );
        }
        let check = self.field_check;
        let check_fn = move |f: &str| check(f);
        for ex in &mut exceptions {
            let ectx = ex_ctx(ctx, ex);
            if !ex.fields.is_valid() {
                return Err(validate_err(
                    "Rule exception item must have fields property with a list of fields",
                    &ectx,
                ));
            }
            let chk: Option<&dyn Fn(&str) -> bool> = if unknown_source {
                None
            } else {
                Some(&check_fn)
            };
            validate_exception(ex, chk).map_err(|e| validate_err(e.to_string(), &ectx))?;
        }
        let id = self.next_index();
        let info = RuleInfo {
            name,
            cond,
            cond_pos,
            output,
            output_pos,
            desc,
            priority,
            source,
            enabled,
            capture,
            capture_duration,
            warn_evttypes,
            skip_if_unknown_filter,
            tags,
            exceptions,
            loc: ctx.last(),
            index: id,
        };
        let entry = RuleEntry {
            info,
            unknown_source,
        };
        match pi.and_then(|i| self.all_rules.get_mut(i)) {
            Some(prev) => {
                let index = prev.info.index;
                *prev = entry;
                prev.info.index = index;
            }
            None => self.all_rules.push(entry),
        }
        Ok(())
    }

    fn read_update(
        &self,
        r: &mut Reader<'_>,
        item: &Node,
        keys: &BTreeSet<String>,
        expected: &mut BTreeSet<String>,
        kind: &str,
        ctx: &Ctx,
    ) -> R<RuleUpdate> {
        let mut u = RuleUpdate::default();
        if check_update_expected(expected, keys, kind, "condition", ctx)? {
            u.source = item_source(item);
            let (c, n) = r.decode_str(item, "condition", ctx)?;
            u.cond = Some((c, r.pos(n.mark)));
        }
        if check_update_expected(expected, keys, kind, "exceptions", ctx)? {
            u.exceptions = Some(r.read_exceptions(item, ctx, kind == "append")?);
        }
        if check_update_expected(expected, keys, kind, "output", ctx)? {
            let (o, n) = r.decode_str(item, "output", ctx)?;
            u.output = Some((o, r.pos(n.mark)));
        }
        if check_update_expected(expected, keys, kind, "desc", ctx)? {
            u.desc = Some(r.decode_str(item, "desc", ctx)?.0);
        }
        if check_update_expected(expected, keys, kind, "tags", ctx)? {
            u.tags = Some(r.decode_tags(item, ctx)?);
        }
        if check_update_expected(expected, keys, kind, "priority", ctx)? {
            let (p, n) = r.decode_str(item, "priority", ctx)?;
            let prictx = ctx.child("rule priority", "", r.pos(n.mark));
            u.priority =
                Some(Priority::parse(&p).ok_or_else(|| yaml_err("Invalid priority", &prictx))?);
        }
        if check_update_expected(expected, keys, kind, "enabled", ctx)? {
            u.enabled = Some(r.decode_bool(item, "enabled", ctx)?);
        }
        if check_update_expected(expected, keys, kind, "warn_evttypes", ctx)? {
            u.warn_evttypes = Some(r.decode_bool(item, "warn_evttypes", ctx)?);
        }
        if check_update_expected(expected, keys, kind, "skip-if-unknown-filter", ctx)? {
            u.skip_if_unknown_filter = Some(r.decode_bool(item, "skip-if-unknown-filter", ctx)?);
        }
        if check_update_expected(expected, keys, kind, "capture", ctx)? {
            u.capture = Some(r.decode_bool(item, "capture", ctx)?);
        }
        if check_update_expected(expected, keys, kind, "capture_duration", ctx)? {
            u.capture_duration = Some(r.decode_u32(item, "capture_duration", ctx)?);
        }
        Ok(u)
    }

    fn read_rule_overrides(
        &mut self,
        r: &mut Reader<'_>,
        item: &Node,
        name: &str,
        ctx: &Ctx,
        oa: &BTreeSet<String>,
        or: &BTreeSet<String>,
    ) -> R<()> {
        let mut expected: BTreeSet<String> = RULE_APPENDABLE
            .iter()
            .chain(RULE_REPLACEABLE.iter())
            .filter(|k| item.has(k))
            .map(|k| k.to_string())
            .collect();
        let pi = self.all_rules.iter().position(|e| e.info.name == name);
        let mut working = pi.and_then(|i| self.all_rules.get(i)).cloned();
        let mut ops = 0;
        if !oa.is_empty() {
            let upd = self.read_update(r, item, oa, &mut expected, "append", ctx)?;
            self.apply_append(working.as_mut(), upd, ctx)?;
            ops += 1;
        }
        if !or.is_empty() {
            let upd = self.read_update(r, item, or, &mut expected, "replace", ctx)?;
            self.apply_replace(working.as_mut(), upd, ctx)?;
            ops += 1;
        }
        if let Some(key) = expected.iter().next() {
            let kpos = item.get(key).map_or(item.mark, |n| n.mark);
            let keyctx = ctx.child("overrides", key, r.pos(kpos));
            return Err(yaml_err(
                format!(
                    "Unexpected key '{key}': no corresponding entry under 'override' is defined."
                ),
                &keyctx,
            ));
        }
        self.commit_rule(pi, working, ops);
        Ok(())
    }

    fn commit_rule(&mut self, pi: Option<usize>, working: Option<RuleEntry>, ops: usize) {
        if let (Some(i), Some(w)) = (pi, working) {
            if let Some(slot) = self.all_rules.get_mut(i) {
                *slot = w;
            }
        }
        self.cur_index += ops;
    }

    fn field_checker(&self, unknown_source: bool) -> Option<impl Fn(&str) -> bool> {
        let check = self.field_check;
        (!unknown_source).then_some(move |f: &str| check(f))
    }

    /// Falco's `collector::append` for rules, applied to `prev` (a working copy).
    fn apply_append(&self, prev: Option<&mut RuleEntry>, upd: RuleUpdate, ctx: &Ctx) -> R<()> {
        check_same_source(prev.as_deref(), &upd.source, ctx)?;
        let prev = prev.ok_or_else(|| validate_err(ERROR_NO_PREVIOUS_RULE_APPEND, ctx))?;
        if !upd.has_any_value() {
            return Err(validate_err(
                "Appended rule must have exceptions or condition property",
                ctx,
            ));
        }
        let checker = self.field_checker(prev.unknown_source);
        let info = &mut prev.info;
        if let Some((c, _)) = upd.cond {
            if !c.is_empty() {
                info.cond.push(' ');
                info.cond.push_str(&c);
            }
        }
        if let Some((o, _)) = upd.output {
            if !o.is_empty() {
                info.output.push(' ');
                info.output.push_str(&o);
            }
        }
        if let Some(d) = upd.desc {
            if !d.is_empty() {
                info.desc.push(' ');
                info.desc.push_str(&d);
            }
        }
        if let Some(tags) = upd.tags {
            info.tags.extend(tags);
        }
        if let Some(exs) = upd.exceptions {
            for mut ex in exs {
                let ectx = ex_ctx(ctx, &ex);
                match info.exceptions.iter_mut().find(|e| e.name == ex.name) {
                    None => {
                        if !ex.fields.is_valid() {
                            return Err(validate_err(
                                "Rule exception must have fields property with a list of fields",
                                &ectx,
                            ));
                        }
                        if ex.values.is_empty() {
                            return Err(validate_err(
                                "Rule exception must have values property with a list of values",
                                &ectx,
                            ));
                        }
                        let chk: Option<&dyn Fn(&str) -> bool> =
                            checker.as_ref().map(|c| c as &dyn Fn(&str) -> bool);
                        validate_exception(&mut ex, chk)
                            .map_err(|e| validate_err(e.to_string(), &ectx))?;
                        info.exceptions.push(ex);
                    }
                    Some(pe) => {
                        if ex.fields.is_valid() {
                            return Err(validate_err("Can not append exception fields to existing exception, only values", &ectx));
                        }
                        if ex.comps.is_valid() {
                            return Err(validate_err(
                                "Can not append exception comps to existing exception, only values",
                                &ectx,
                            ));
                        }
                        pe.values.extend(ex.values);
                    }
                }
            }
        }
        Ok(())
    }

    /// Falco's `collector::selective_replace`, applied to `prev` (a working copy).
    /// Unlike Falco, replacing exceptions validates them and defaults their comps.
    fn apply_replace(&self, prev: Option<&mut RuleEntry>, upd: RuleUpdate, ctx: &Ctx) -> R<()> {
        check_same_source(prev.as_deref(), &upd.source, ctx)?;
        let prev = prev.ok_or_else(|| validate_err(ERROR_NO_PREVIOUS_RULE_REPLACE, ctx))?;
        if !upd.has_any_value() {
            return Err(validate_err(
                "The rule must have at least one field that can be replaced",
                ctx,
            ));
        }
        let checker = self.field_checker(prev.unknown_source);
        let info = &mut prev.info;
        if let Some((c, p)) = upd.cond {
            info.cond = c;
            info.cond_pos = p;
        }
        if let Some((o, p)) = upd.output {
            info.output = o;
            info.output_pos = p;
        }
        if let Some(d) = upd.desc {
            info.desc = d;
        }
        if let Some(t) = upd.tags {
            info.tags = t;
        }
        if let Some(mut exs) = upd.exceptions {
            for ex in &mut exs {
                let ectx = ex_ctx(ctx, ex);
                if !ex.fields.is_valid() {
                    return Err(validate_err(
                        "Rule exception item must have fields property with a list of fields",
                        &ectx,
                    ));
                }
                let chk: Option<&dyn Fn(&str) -> bool> =
                    checker.as_ref().map(|c| c as &dyn Fn(&str) -> bool);
                validate_exception(ex, chk).map_err(|e| validate_err(e.to_string(), &ectx))?;
            }
            info.exceptions = exs;
        }
        if let Some(p) = upd.priority {
            info.priority = p;
        }
        if let Some(e) = upd.enabled {
            info.enabled = e;
        }
        if let Some(w) = upd.warn_evttypes {
            info.warn_evttypes = w;
        }
        if let Some(s) = upd.skip_if_unknown_filter {
            info.skip_if_unknown_filter = s;
        }
        if let Some(c) = upd.capture {
            info.capture = c;
        }
        if let Some(d) = upd.capture_duration {
            info.capture_duration = d;
        }
        Ok(())
    }
}

/// Lookup helper for tests and callers: a rule by name.
impl Collector {
    /// The rule called `name`, if collected with a known source.
    pub fn rule(&self, name: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{build_exception_condition, substitute_lists};
    use proptest::prelude::*;

    fn test_fields(f: &str) -> bool {
        ["proc.", "fd.", "evt.", "container.", "user."]
            .iter()
            .any(|p| f.starts_with(p))
            && f != "proc.nobody"
    }

    fn collector() -> Collector {
        let mut c = Collector::default();
        c.set_field_check(test_fields);
        c
    }

    struct Loaded {
        c: Collector,
        diags: Vec<Diagnostic>,
        ok: bool,
        /// The text loaded as `rules.yaml`, for rendering snippets.
        src: [(String, String); 1],
    }

    impl Loaded {
        fn errors(&self) -> Vec<&Diagnostic> {
            self.diags
                .iter()
                .filter(|d| d.code.severity() == crate::Severity::Error)
                .collect()
        }
        fn warnings(&self) -> Vec<&Diagnostic> {
            self.diags
                .iter()
                .filter(|d| d.code.severity() == crate::Severity::Warning)
                .collect()
        }
        /// Asserts exactly one error with this code and message, at this line; returns it.
        fn only_error(&self, code: Code, msg: &str, line: u32) -> &Diagnostic {
            let errs = self.errors();
            assert_eq!(errs.len(), 1, "errors: {:#?}", self.diags);
            let e = errs[0];
            assert_eq!((e.code, e.message.as_str()), (code, msg), "{e:#?}");
            assert_eq!(e.position().map(|p| p.line), Some(line), "{e:#?}");
            assert!(!self.ok);
            e
        }
        fn has_warning(&self, code: Code, msg: &str, line: u32) {
            assert!(
                self.warnings().iter().any(|w| w.code == code
                    && w.message == msg
                    && w.position().map(|p| p.line) == Some(line)),
                "no warning {code:?} {msg:?} at line {line}: {:#?}",
                self.diags
            );
        }
        /// A diagnostic's snippet, rendered from the loaded text.
        fn snippet(&self, d: &Diagnostic) -> String {
            d.snippet(&self.src).expect("a position in rules.yaml")
        }
        fn clean(&self) {
            assert!(self.ok && self.diags.is_empty(), "{:#?}", self.diags);
        }
        fn rule(&self, name: &str) -> &RuleInfo {
            self.c
                .rule(name)
                .unwrap_or_else(|| panic!("no rule {name}: {:#?}", self.c.rules()))
        }
        fn cond(&self, name: &str) -> String {
            build_exception_condition(self.rule(name)).expect("builds")
        }
    }

    fn load(src: &str) -> Loaded {
        let mut c = collector();
        let mut diags = Vec::new();
        let ok = c.read("rules.yaml", src, &mut diags);
        Loaded {
            c,
            diags,
            ok,
            src: [("rules.yaml".to_string(), src.to_string())],
        }
    }

    const BASE_RULE: &str =
        "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n";

    fn with_base(extra: &str) -> Loaded {
        load(&format!("{BASE_RULE}{extra}"))
    }

    // ---------------------------------------------------------------- upstream files

    fn upstream(file: &str) -> String {
        let p = format!(
            "{}/../../../shared/corpus/falco-rules/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn upstream_files_read_cleanly() {
        for (file, rules, macros, lists, disabled) in [
            ("falco_rules.yaml", 25, 87, 49, 0),
            ("falco-incubating_rules.yaml", 31, 82, 54, 0),
            ("falco-sandbox_rules.yaml", 37, 183, 60, 12),
        ] {
            let mut c = Collector::default(); // the real registry: no exceptions upstream
            let mut diags = Vec::new();
            let ok = c.read(file, &upstream(file), &mut diags);
            assert!(ok && diags.is_empty(), "{file}: {diags:#?}");
            assert_eq!(c.rules().len(), rules, "{file}");
            assert_eq!(c.macros().len(), macros, "{file}");
            assert_eq!(c.lists().len(), lists, "{file}");
            assert_eq!(
                c.rules().iter().filter(|r| !r.enabled).count(),
                disabled,
                "{file}"
            );
            assert_eq!(c.required_engine_version(), Some("0.57.0"));
            assert_eq!(c.required_plugin_versions().len(), 1);
            assert!(c
                .rules()
                .iter()
                .all(|r| r.source == "syscall" && r.exceptions.is_empty()));
            let idx: Vec<usize> = c.rules().iter().map(|r| r.index).collect();
            assert!(idx.windows(2).all(|w| w[0] < w[1]), "rules in index order");
        }
    }

    #[test]
    fn upstream_clear_log_activities() {
        let l = Loaded {
            c: {
                let mut c = Collector::default();
                let mut d = Vec::new();
                assert!(c.read("falco_rules.yaml", &upstream("falco_rules.yaml"), &mut d));
                c
            },
            diags: vec![],
            ok: true,
            src: Default::default(),
        };
        let r = l.rule("Clear Log Activities");
        assert_eq!(r.priority, Priority::Warning);
        assert!(r
            .output
            .starts_with("Log files were tampered | file=%fd.name"));
        assert!(r.tags.contains("maturity_stable") && r.tags.contains("T1070"));
        assert_eq!(
            r.cond,
            "open_write and access_log_files and evt.arg.flags contains \"O_TRUNC\" and not containerd_activities and not trusted_logging_images and not allowed_clear_log_files\n"
        );
        let lists = l.c.lists();
        let mut used = vec![false; lists.len()];
        let s = substitute_lists(
            "fd.directory in (log_directories) or fd.filename in (log_files)",
            lists,
            &mut used,
        );
        assert_eq!(
            s,
            "fd.directory in ( /var/log, /dev/log ) or fd.filename in ( syslog, auth.log, secure, kern.log, cron, user.log, dpkg.log, last.log, yum.log, access_log, mysql.log, mysqld.log )"
        );
        assert_eq!(used.iter().filter(|u| **u).count(), 2);
        // The condition scalar position: where the folded scalar content starts.
        assert_eq!(
            (r.cond_pos.line, r.cond_pos.column),
            (940, 5),
            "{:?}",
            r.cond_pos
        );
    }

    // ---------------------------------------------------------------- file shape

    #[test]
    fn content_shape_errors() {
        load("This is not yaml").only_error(
            Code::LoadErrYamlValidate,
            "Rules content is not yaml",
            1,
        );
        load("a: b\n").only_error(
            Code::LoadErrYamlValidate,
            "Rules content is not yaml array of objects",
            1,
        );
        load("- foo\n").only_error(
            Code::LoadErrYamlValidate,
            "Unexpected element type. Each element should be a yaml associative array.",
            1,
        );
        load("").clean();
        load("# just a comment\n").clean();
        load("- ~\n-\n").clean();
        let l = load("- list: a\n  items: [x]\n---\n- list: b\n  items: [a]\n");
        l.clean();
        assert_eq!(l.c.lists()[1].items, vec!["x"]);
    }

    #[test]
    fn yaml_parse_error() {
        let l = load("- rule: x\n  condition: [a, b\n  output: c\n");
        let e = &l.errors()[0];
        assert_eq!(e.code, Code::LoadErrYamlParse);
        assert!(
            e.message.starts_with("yaml: error at line"),
            "{}",
            e.message
        );
        assert!(e.position().is_some_and(|p| p.line >= 2));
        assert!(l.c.rules().is_empty());
        // A map value on the same line as a key: yaml-cpp's "illegal map value" case.
        let l = load("- list: a: b\n");
        assert_eq!(l.errors()[0].code, Code::LoadErrYamlParse);
    }

    #[test]
    fn unknown_item_and_keys() {
        let l = load("- foo: bar\n");
        assert!(l.ok);
        l.has_warning(Code::LoadUnknownItem, "Unknown top level item", 1);
        let l = load("- list: a\n  items: []\n  colour: red\n- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  bogus: 1\n");
        assert!(l.ok);
        l.has_warning(
            Code::LoadUnknownKey,
            "Unknown key 'colour'. The key will be ignored.",
            1,
        );
        l.has_warning(
            Code::LoadUnknownKey,
            "Unknown key 'bogus'. The key will be ignored.",
            4,
        );
        let l = load(
            "- macro: m\n  condition: c\n  items: [x]\n- required_engine_version: 10\n  extra: 1\n",
        );
        l.has_warning(
            Code::LoadUnknownKey,
            "Unknown key 'items'. The key will be ignored.",
            1,
        );
        l.has_warning(
            Code::LoadUnknownKey,
            "Unknown key 'extra'. The key will be ignored.",
            4,
        );
    }

    #[test]
    fn item_kind_by_first_key_in_falco_order() {
        // `list` wins over `rule`, whatever the key order in the item.
        let l = load("- rule: r\n  list: a\n  items: [x]\n");
        assert_eq!(l.c.lists().len(), 1);
        assert!(l.c.rules().is_empty());
        l.has_warning(
            Code::LoadUnknownKey,
            "Unknown key 'rule'. The key will be ignored.",
            1,
        );
    }

    // ---------------------------------------------------------------- versions

    #[test]
    fn required_engine_version() {
        let l = load("- required_engine_version: 9\n");
        l.clean();
        assert_eq!(l.c.required_engine_version(), Some("0.9.0"));
        let l = load("- required_engine_version: 0.57.0\n- required_engine_version: 0.31.0\n");
        l.clean();
        assert_eq!(l.c.required_engine_version(), Some("0.57.0"));
        load("- required_engine_version: not-a-number\n").only_error(
            Code::LoadErrYamlValidate,
            "Unable to parse engine version 'not-a-number' as a semver string. Expected \"x.y.z\" semver format.",
            1,
        );
        load("\n- required_engine_version: 0.64.0\n").only_error(
            Code::LoadErrValidate,
            "Rules require engine version 0.64.0, but engine version is 0.63.0",
            2,
        );
        load("- required_engine_version: 1.0.0\n").only_error(
            Code::LoadErrValidate,
            "Rules require engine version 1.0.0, but engine version is 0.63.0",
            1,
        );
        load("- required_engine_version: 64\n").only_error(
            Code::LoadErrValidate,
            "Rules require engine version 0.64.0, but engine version is 0.63.0",
            1,
        );
        load("- required_engine_version:\n").only_error(
            Code::LoadErrYamlValidate,
            "Mapping for key 'required_engine_version' is empty",
            1,
        );
        load("- required_engine_version: [1]\n").only_error(
            Code::LoadErrYamlValidate,
            "Value is not a scalar value",
            1,
        );
        // Cumulative across files: the maximum is kept.
        let mut c = collector();
        let mut d = Vec::new();
        assert!(c.read("a.yaml", "- required_engine_version: 0.50.0\n", &mut d));
        assert!(c.read("b.yaml", "- required_engine_version: 20\n", &mut d));
        assert_eq!(c.required_engine_version(), Some("0.50.0"));
    }

    #[test]
    fn required_plugin_versions() {
        let l = load("- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n");
        l.clean();
        assert_eq!(l.c.required_plugin_versions()[0][0].name, "container");
        load("- required_plugin_versions: container\n").only_error(
            Code::LoadErrYamlValidate,
            "Value of required_plugin_versions must be a sequence",
            1,
        );
        load("- required_plugin_versions:\n  - container\n").only_error(
            Code::LoadErrYamlValidate,
            "Plugin version must be a mapping",
            2,
        );
        load("- required_plugin_versions:\n  - version: 1.0.0\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'name'",
            2,
        );
        load("- required_plugin_versions:\n  - name: k8saudit\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'version'",
            2,
        );
        load("- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n    alternatives: x\n").only_error(
            Code::LoadErrYamlValidate,
            "Value of plugin version alternatives must be a sequence",
            2,
        );
        load("- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n    alternatives:\n      - x\n")
            .only_error(Code::LoadErrYamlValidate, "Plugin version alternative must be a mapping", 5);
        load("- required_plugin_versions:\n  - name: container\n    version: latest\n").only_error(
            Code::LoadErrValidate,
            "Invalid required version 'latest' for plugin 'container'",
            2,
        );
        load("- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n    alternatives:\n      - name: container\n        version: 0.5.0\n")
            .only_error(Code::LoadErrValidate, "Defined multiple alternative version requirements for plugin 'container'", 2);
        load("- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.4.0\n")
            .only_error(
                Code::LoadErrValidate,
                "Plugin requirement not satisfied, must load one of: k8saudit (>= 0.7.0), k8saudit-eks (>= 0.4.0)",
                2,
            );
        // An alternative naming `container` is satisfied by quell's built-in fields.
        load("- required_plugin_versions:\n  - name: other\n    version: 1.0.0\n    alternatives:\n      - name: container\n        version: 9.0.0\n")
            .clean();
    }

    // ---------------------------------------------------------------- lists

    #[test]
    fn list_errors_and_warnings() {
        load("- list:\n  items: [a]\n").only_error(
            Code::LoadErrYamlValidate,
            "Mapping for key 'list' is empty",
            1,
        );
        load("- list: a\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'items'",
            1,
        );
        load("- list: a\n  items: x\n").only_error(
            Code::LoadErrYamlValidate,
            "Value is not a sequence",
            2,
        );
        load("- list: a\n  items:\n    - x\n    - [y]\n").only_error(
            Code::LoadErrYamlValidate,
            "sequence value is not scalar",
            4,
        );
        load("- list: ''\n  items: []\n").only_error(
            Code::LoadErrYamlValidate,
            "Value must be non-empty",
            1,
        );
        let l = load("- list: \"a b\"\n  items: []\n");
        assert!(l.ok);
        l.has_warning(
            Code::LoadInvalidListName,
            "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
            1,
        );
        load("- list: a/b.c-d\n  items: []\n").clean();
    }

    #[test]
    fn list_append_and_override() {
        let l = load("- list: a\n  items: [x]\n- list: a\n  items: [y]\n  append: true\n");
        assert!(l.ok);
        assert_eq!(l.c.lists()[0].items, vec!["x", "y"]);
        l.has_warning(
            Code::LoadDeprecatedItem,
            "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
            3,
        );
        let l = load(
            "- list: a\n  items: [x]\n- list: a\n  items: [y]\n  override:\n    items: append\n",
        );
        l.clean();
        assert_eq!(l.c.lists()[0].items, vec!["x", "y"]);
        assert_eq!((l.c.lists()[0].index, l.c.lists()[0].visibility), (0, 1));
        let l = load(
            "- list: a\n  items: [x]\n- list: a\n  items: [y]\n  override:\n    items: replace\n",
        );
        l.clean();
        assert_eq!(l.c.lists()[0].items, vec!["y"]);
        load("- list: a\n  items: [y]\n  override:\n    items: append\n").only_error(
            Code::LoadErrValidate,
            "List uses 'append' or 'override.items: append' but no list by that name already exists",
            1,
        );
        load("- list: a\n  items: [y]\n  append: true\n").only_error(
            Code::LoadErrValidate,
            "List uses 'append' or 'override.items: append' but no list by that name already exists",
            1,
        );
        load("- list: a\n  items: [x]\n- list: a\n  items: [y]\n  append: true\n  override:\n    items: append\n").only_error(
            Code::LoadErrYamlValidate,
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
            3,
        );
        load("- list: a\n  items: [x]\n  override:\n    items: prepend\n").only_error(
            Code::LoadErrYamlValidate,
            "Invalid override operation for key 'items': 'prepend'. Allowed values are: append replace ",
            4,
        );
        load("- list: a\n  items: [x]\n  override:\n    condition: append\n").only_error(
            Code::LoadErrYamlValidate,
            "Key 'condition' cannot be appended to, use 'replace' instead",
            4,
        );
        load("- list: a\n  items: [x]\n  override:\n    condition: replace\n").only_error(
            Code::LoadErrYamlValidate,
            "Key 'condition' cannot be replaced",
            4,
        );
    }

    #[test]
    fn nested_lists_and_visibility() {
        let l = load(
            "- list: a\n  items: [x, y]\n- list: b\n  items: [a, z, c]\n- list: c\n  items: [w]\n- list: a\n  items: [v]\n  override:\n    items: append\n",
        );
        l.clean();
        let ls = l.c.lists();
        // b sees a (defined before it) but not c (defined after it); a's later append is
        // visible because inlining happens over the final collection, as in Falco.
        assert_eq!(ls[1].items, vec!["x", "y", "v", "z", "c"]);
        assert_eq!(l.c.lists_used_by_lists(), &[true, false, false]);
        assert_eq!(
            ls.iter()
                .map(|x| (x.index, x.visibility))
                .collect::<Vec<_>>(),
            vec![(0, 3), (1, 1), (2, 2)]
        );
    }

    // ---------------------------------------------------------------- macros

    #[test]
    fn macros() {
        load("- macro:\n  condition: x\n").only_error(
            Code::LoadErrYamlValidate,
            "Mapping for key 'macro' is empty",
            1,
        );
        load("- macro: m\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'condition'",
            1,
        );
        let l = load("- macro: 1bad\n  condition: x\n");
        assert!(l.ok);
        l.has_warning(
            Code::LoadInvalidMacroName,
            "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
            1,
        );
        let l = load("- macro: m\n  condition: evt.type in (open,openat)\n- macro: m\n  condition: or evt.type = openat2\n  override:\n    condition: append\n");
        l.clean();
        assert_eq!(
            l.c.macros()[0].cond,
            "evt.type in (open,openat) or evt.type = openat2"
        );
        let l = load("- macro: m\n  condition: a\n- macro: m\n  condition: or b\n  append: true\n");
        assert_eq!(l.c.macros()[0].cond, "a or b");
        l.has_warning(
            Code::LoadDeprecatedItem,
            "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
            3,
        );
        load("- macro: m\n  condition: or b\n  override:\n    condition: append\n").only_error(
            Code::LoadErrValidate,
            "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
            1,
        );
        // replace before definition is a definition; the later definition replaces it.
        let l = load("- macro: m\n  condition: or b\n  override:\n    condition: replace\n- macro: m\n  condition: evt.type in (open,openat)\n");
        l.clean();
        assert_eq!(l.c.macros()[0].cond, "evt.type in (open,openat)");
        load("- macro: m\n  condition: a\n- macro: m\n  condition: b\n  append: true\n  override:\n    condition: append\n")
            .only_error(
                Code::LoadErrYamlValidate,
                "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
                3,
            );
        let l = load("- macro: m\n  condition: >\n    a and\n    b\n");
        assert_eq!(l.c.macros()[0].cond, "a and b\n");
        // Block scalars are positioned where their content starts.
        assert_eq!(
            (
                l.c.macros()[0].cond_pos.line,
                l.c.macros()[0].cond_pos.column
            ),
            (3, 5)
        );
    }

    // ---------------------------------------------------------------- rules

    #[test]
    fn rule_defaults() {
        let l = load("- rule: r\n  desc: d\n  condition: evt.type=open\n  output: \"  out %proc.name  \"\n  priority: info\n  tags: [b, a, b]\n");
        l.clean();
        let r = l.rule("r");
        assert_eq!(r.output, "out %proc.name");
        assert_eq!(r.priority, Priority::Informational);
        assert_eq!(r.source, "syscall");
        assert!(r.enabled && r.warn_evttypes && !r.capture && !r.skip_if_unknown_filter);
        assert_eq!(r.capture_duration, 0);
        assert_eq!(r.tags.iter().cloned().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(
            (
                r.loc.item_type.as_str(),
                r.loc.item_name.as_str(),
                r.loc.position.line
            ),
            ("rule", "r", 1)
        );
        assert_eq!((r.cond_pos.line, r.cond_pos.column), (3, 14));
        assert_eq!((r.output_pos.line, r.output_pos.column), (4, 11));
        let l = load("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: EMERGENCY\n  enabled: false\n  capture: true\n  capture_duration: 5000\n  warn_evttypes: no\n  skip-if-unknown-filter: yes\n  source: syscall\n");
        l.clean();
        let r = l.rule("r");
        assert!(!r.enabled && r.capture && !r.warn_evttypes && r.skip_if_unknown_filter);
        assert_eq!(
            (r.capture_duration, r.priority),
            (5000, Priority::Emergency)
        );
    }

    #[test]
    fn rule_errors() {
        load("- rule:\n  desc: d\n").only_error(
            Code::LoadErrYamlValidate,
            "Mapping for key 'rule' is empty",
            1,
        );
        load("- rule: r\n  desc: d\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'condition'",
            1,
        );
        load("- rule: r\n  condition: c\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'output'",
            1,
        );
        load("- rule: r\n  condition: c\n  output: o\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'desc'",
            1,
        );
        load("- rule: r\n  condition: c\n  output: o\n  desc: d\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'priority'",
            1,
        );
        load("- rule: r\n  condition: c\n  output: o\n  desc: d\n  priority: loud\n").only_error(
            Code::LoadErrYamlValidate,
            "Invalid priority",
            5,
        );
        let l = load("- rule: r\n  condition: c\n  output: o\n  desc: d\n  priority: loud\n");
        let e = l.only_error(Code::LoadErrYamlValidate, "Invalid priority", 5);
        assert_eq!(
            e.locations.last().map(|l| l.item_type.as_str()),
            Some("rule priority")
        );
        assert_eq!(e.locations[1].item_name, "r");
        assert_eq!(l.snippet(e), "  priority: loud\n            ^\n");
        load("- rule: r\n  condition: [a]\n  output: o\n  desc: d\n  priority: INFO\n").only_error(
            Code::LoadErrYamlValidate,
            "Value is not a scalar value",
            2,
        );
        load("- rule: r\n  condition: ''\n  output: o\n  desc: d\n  priority: INFO\n").only_error(
            Code::LoadErrYamlValidate,
            "Value must be non-empty",
            2,
        );
        load(&format!("{BASE_RULE}  enabled: maybe\n")).only_error(
            Code::LoadErrYamlValidate,
            "Can't decode YAML scalar value",
            6,
        );
        load(&format!("{BASE_RULE}  capture_duration: -1\n")).only_error(
            Code::LoadErrYamlValidate,
            "Can't decode YAML scalar value",
            6,
        );
        load(&format!("{BASE_RULE}  tags: x\n")).only_error(
            Code::LoadErrYamlValidate,
            "Value is not a sequence",
            6,
        );
        load(&format!("{BASE_RULE}  tags: [[x]]\n")).only_error(
            Code::LoadErrYamlValidate,
            "sequence value is not scalar",
            6,
        );
    }

    #[test]
    fn sources() {
        let l = load("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  source: aws_cloudtrail\n");
        assert!(l.ok);
        l.has_warning(
            Code::LoadUnknownSource,
            "Unknown source aws_cloudtrail, skipping",
            1,
        );
        assert!(l.c.rules().is_empty());
        // A skipped rule can still be appended to (no error), and stays skipped.
        let l = load("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  source: mysource\n- rule: r\n  condition: and x\n  override:\n    condition: append\n");
        assert!(l.ok, "{:#?}", l.diags);
        assert!(l.c.rules().is_empty());
        with_base("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  source: k8s_audit\n").only_error(
            Code::LoadErrValidate,
            "Rule has been re-defined with a different source",
            6,
        );
        let l = load(
            "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  source: ''\n",
        );
        l.clean();
        assert_eq!(l.rule("r").source, "syscall");
    }

    #[test]
    fn enabled_only_items() {
        let l = with_base("- rule: r\n  enabled: false\n");
        assert!(l.ok);
        assert!(!l.rule("r").enabled);
        l.has_warning(
            Code::LoadDeprecatedItem,
            "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').",
            6,
        );
        load("- rule: r\n  enabled: false\n").only_error(
            Code::LoadErrValidate,
            "Rule has 'enabled' key but no rule by that name already exists",
            1,
        );
        with_base("- rule: r\n  tags: [x]\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'enabled'",
            6,
        );
    }

    #[test]
    fn redefinition_keeps_index_and_order() {
        let l = load(
            "- rule: a\n  desc: d\n  condition: c1\n  output: o\n  priority: INFO\n- rule: b\n  desc: d\n  condition: c2\n  output: o\n  priority: INFO\n- rule: a\n  desc: d2\n  condition: c3\n  output: o\n  priority: ERROR\n",
        );
        l.clean();
        let names: Vec<_> =
            l.c.rules()
                .iter()
                .map(|r| (r.name.as_str(), r.cond.as_str(), r.index))
                .collect();
        assert_eq!(names, vec![("a", "c3", 0), ("b", "c2", 1)]);
        assert_eq!(l.rule("a").loc.position.line, 11);
        // Lists and macros too, and indexes are shared across kinds.
        let l = load("- list: l\n  items: [x]\n- macro: m\n  condition: a\n- list: l\n  items: [y]\n- macro: m2\n  condition: b\n");
        assert_eq!(
            (
                l.c.lists()[0].index,
                l.c.lists()[0].visibility,
                l.c.lists()[0].items.clone()
            ),
            (0, 2, vec!["y".to_string()])
        );
        assert_eq!(
            l.c.macros().iter().map(|m| m.index).collect::<Vec<_>>(),
            vec![1, 3]
        );
        // Across files.
        let mut c = collector();
        let mut d = Vec::new();
        assert!(c.read("a.yaml", BASE_RULE, &mut d));
        assert!(c.read(
            "b.yaml",
            "- rule: r\n  condition: and proc.name=cat\n  override:\n    condition: append\n",
            &mut d
        ));
        assert_eq!(
            c.rule("r").map(|r| r.cond.as_str()),
            Some("evt.type=open and proc.name=cat")
        );
        assert!(d.is_empty());
    }

    // ---------------------------------------------------------------- append / override

    #[test]
    fn override_append_every_key() {
        let l = with_base(
            "- rule: r\n  desc: with append\n  condition: and proc.name = cat\n  output: proc=%proc.name\n  tags: [t1]\n  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[cat]]\n  override:\n    desc: append\n    condition: append\n    output: append\n    tags: append\n    exceptions: append\n",
        );
        l.clean();
        let r = l.rule("r");
        assert_eq!(r.cond, "evt.type=open and proc.name = cat");
        assert_eq!(r.output, "o proc=%proc.name");
        assert_eq!(r.desc, "d with append");
        assert!(r.tags.contains("t1"));
        assert_eq!(r.exceptions.len(), 1);
        assert_eq!(l.c.rules()[0].index, 0);
    }

    #[test]
    fn override_replace_every_key() {
        let l = with_base(
            "- rule: r\n  desc: nd\n  condition: evt.type = close\n  output: no\n  priority: WARNING\n  tags: [x]\n  enabled: false\n  warn_evttypes: false\n  skip-if-unknown-filter: true\n  capture: true\n  capture_duration: 7\n  exceptions:\n    - name: e\n      fields: proc.name\n      values: [a]\n  override:\n    desc: replace\n    condition: replace\n    output: replace\n    priority: replace\n    tags: replace\n    enabled: replace\n    warn_evttypes: replace\n    skip-if-unknown-filter: replace\n    capture: replace\n    capture_duration: replace\n    exceptions: replace\n",
        );
        l.clean();
        let r = l.rule("r");
        assert_eq!(
            (r.desc.as_str(), r.cond.as_str(), r.output.as_str()),
            ("nd", "evt.type = close", "no")
        );
        assert_eq!(r.priority, Priority::Warning);
        assert_eq!(r.tags.iter().cloned().collect::<Vec<_>>(), vec!["x"]);
        assert!(!r.enabled && !r.warn_evttypes && r.skip_if_unknown_filter && r.capture);
        assert_eq!(r.capture_duration, 7);
        assert_eq!(
            r.exceptions[0].comps,
            ExValue::Scalar("in".into()),
            "replaced exceptions get defaulted comps"
        );
        assert_eq!(r.cond_pos.line, 8);
    }

    #[test]
    fn override_append_then_replace() {
        let l = load("- rule: r\n  desc: d\n  condition: evt.type = close\n  output: o\n  priority: INFO\n- rule: r\n  desc: a replaced legit description\n  condition: and proc.name = cat\n  priority: WARNING\n  override:\n    desc: replace\n    condition: append\n    priority: replace\n");
        l.clean();
        let r = l.rule("r");
        assert_eq!(r.cond, "evt.type = close and proc.name = cat");
        assert_eq!(r.desc, "a replaced legit description");
        assert_eq!(r.priority, Priority::Warning);
    }

    #[test]
    fn override_errors() {
        let e = with_base("- rule: r\n  desc: x\n  condition: and y\n  priority: WARNING\n  override:\n    desc: replace\n    condition: append\n    priority: append\n");
        let d = e.only_error(
            Code::LoadErrYamlValidate,
            "Key 'priority' cannot be appended to, use 'replace' instead",
            13,
        );
        assert!(
            e.snippet(d).contains("priority: append"),
            "{}",
            e.snippet(d)
        );
        with_base("- rule: r\n  source: x\n  override:\n    source: replace\n").only_error(
            Code::LoadErrYamlValidate,
            "Key 'source' cannot be replaced",
            9,
        );
        with_base("- rule: r\n  enabled: false\n  override:\n    enabled: prepend\n").only_error(
            Code::LoadErrYamlValidate,
            "Invalid override operation for key 'enabled': 'prepend'. Allowed values are: replace ",
            9,
        );
        with_base("- rule: r\n  desc: x\n  override:\n    desc: merge\n").only_error(
            Code::LoadErrYamlValidate,
            "Invalid override operation for key 'desc': 'merge'. Allowed values are: append replace ",
            9,
        );
        with_base("- rule: r\n  condition: and x\n  override:\n    output: append\n").only_error(
            Code::LoadErrYamlValidate,
            "An append override for 'output' was specified but 'output' is not defined",
            6,
        );
        with_base("- rule: r\n  condition: and x\n  override:\n    output: replace\n").only_error(
            Code::LoadErrYamlValidate,
            "An replace override for 'output' was specified but 'output' is not defined",
            6,
        );
        with_base(
            "- rule: r\n  condition: and x\n  desc: more\n  override:\n    condition: append\n",
        )
        .only_error(
            Code::LoadErrYamlValidate,
            "Unexpected key 'desc': no corresponding entry under 'override' is defined.",
            8,
        );
        load("- rule: r\n  condition: and x\n  override:\n    condition: append\n").only_error(
            Code::LoadErrValidate,
            "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
            1,
        );
        load("- rule: r\n  condition: and x\n  override:\n    condition: replace\n").only_error(
            Code::LoadErrValidate,
            "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
            1,
        );
        with_base("- rule: r\n  condition: and x\n  append: true\n  override:\n    condition: append\n").only_error(
            Code::LoadErrYamlValidate,
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
            6,
        );
        with_base("- rule: r\n  priority: LOUD\n  override:\n    priority: replace\n").only_error(
            Code::LoadErrYamlValidate,
            "Invalid priority",
            7,
        );
        with_base("- rule: r\n  exceptions:\n    - name: e\n      values: [[a]]\n  override:\n    exceptions: replace\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'fields'",
            8,
        );
        // A null `exceptions` replaces with nothing (Falco decodes an empty vector); the
        // "at least one field" error cannot be reached through the reader.
        let l = load(&format!("{EX_RULE}    - name: e\n      fields: proc.name\n      values: [a]\n- rule: r\n  exceptions:\n  override:\n    exceptions: replace\n"));
        l.clean();
        assert!(l.rule("r").exceptions.is_empty());
        with_base("- rule: r\n  override: [condition]\n  condition: x\n").only_error(
            Code::LoadErrYamlValidate,
            "Value of override must be a mapping",
            7,
        );
    }

    #[test]
    fn failed_item_is_not_applied_and_reading_goes_on() {
        // Append is fine, the replace part fails: nothing of the item applies.
        let l = with_base("- rule: r\n  condition: and x\n  priority: LOUD\n  override:\n    condition: append\n    priority: replace\n- list: after\n  items: [z]\n- rule: q\n  condition: c\n");
        assert_eq!(l.errors().len(), 2, "{:#?}", l.diags);
        assert_eq!(l.rule("r").cond, "evt.type=open");
        assert_eq!(l.c.lists().len(), 1, "later items still read");
        assert_eq!(
            l.errors()[1].message,
            "Item has no mapping for key 'output'"
        );
        // Indexes are not consumed by failed items.
        let l = with_base("- rule: x\n  condition: c\n- rule: y\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n");
        assert_eq!(l.rule("y").index, 1);
    }

    #[test]
    fn legacy_append() {
        let l = with_base(
            "- rule: r\n  condition: and proc.name = cat\n  output: ignored\n  append: true\n",
        );
        assert!(l.ok);
        assert_eq!(l.rule("r").cond, "evt.type=open and proc.name = cat");
        assert_eq!(l.rule("r").output, "o");
        l.has_warning(
            Code::LoadDeprecatedItem,
            "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
            6,
        );
        with_base("- rule: r\n  output: x\n  append: true\n").only_error(
            Code::LoadErrValidate,
            "Appended rule must have exceptions or condition property",
            6,
        );
        load("- rule: r\n  condition: and x\n  append: true\n").only_error(
            Code::LoadErrValidate,
            "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
            1,
        );
        let l = with_base("- rule: r\n  exceptions:\n    - name: e\n      fields: proc.name\n      values: [x]\n  append: true\n");
        assert!(l.ok);
        assert_eq!(l.cond("r"), "(evt.type=open) and not (proc.name in (x))");
    }

    // ---------------------------------------------------------------- exceptions

    const EX_RULE: &str = "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  exceptions:\n";

    fn ex(body: &str) -> Loaded {
        load(&format!("{EX_RULE}{body}"))
    }

    #[test]
    fn exception_reader_errors() {
        load(&format!("{BASE_RULE}  exceptions: x\n")).only_error(
            Code::LoadErrYamlValidate,
            "Rule exceptions must be a sequence",
            6,
        );
        ex("    - x\n").only_error(
            Code::LoadErrYamlValidate,
            "Rule exception must be a mapping",
            7,
        );
        ex("    - fields: [proc.name]\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'name'",
            7,
        );
        ex("    - name: e\n      values: [[a]]\n").only_error(
            Code::LoadErrYamlValidate,
            "Item has no mapping for key 'fields'",
            7,
        );
        ex("    - name: e\n      fields: ''\n").only_error(
            Code::LoadErrYamlValidate,
            "Value must be non-empty",
            8,
        );
        ex("    - name: e\n      fields: [proc.name]\n      values: x\n").only_error(
            Code::LoadErrYamlValidate,
            "Rule exception values must be a sequence",
            9,
        );
        ex("    - name: e\n      fields: [proc.name]\n      values: [['']]\n").only_error(
            Code::LoadErrYamlValidate,
            "Value must be non-empty",
            9,
        );
        let l = ex("    - name: e\n      fields: [proc.name]\n      values: [[a]]\n    - name: e\n      fields: [fd.name]\n      values: [[b]]\n");
        assert!(l.ok);
        l.has_warning(
            Code::LoadExceptionNameNotUnique,
            "Multiple definitions of exception 'e' in the same rule",
            10,
        );
        assert_eq!(l.rule("r").exceptions.len(), 2);
        load(&format!("{BASE_RULE}  exceptions:\n")).clean();
    }

    #[test]
    fn exception_validation_errors() {
        ex("    - name: e\n      fields: []\n").only_error(
            Code::LoadErrValidate,
            "Rule exception item must have fields property with a list of fields",
            7,
        );
        ex("    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=]\n").only_error(
            Code::LoadErrValidate,
            "Fields and comps lists must have equal length",
            7,
        );
        ex("    - name: e\n      fields: [proc.name]\n      comps: [no-comp]\n").only_error(
            Code::LoadErrValidate,
            "'no-comp' is not a supported comparison operator",
            7,
        );
        ex("    - name: e\n      fields: [not.exist]\n").only_error(
            Code::LoadErrValidate,
            "'not.exist' is not a supported filter field",
            7,
        );
        ex("    - name: e\n      fields: proc.name\n      comps: [in]\n").only_error(
            Code::LoadErrValidate,
            "Fields and comps must both be strings",
            7,
        );
        ex("    - name: e\n      fields: proc.name\n      comps: =\n").only_error(
            Code::LoadErrValidate,
            "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)",
            7,
        );
        // Every allowed comp in list form, including modifier ops.
        let comps = crate::load::exceptions::SUPPORTED_OPERATORS
            .iter()
            .map(|c| format!("\"{c}\""))
            .chain([
                "\"startswith oneof\"".to_string(),
                "\"contains allof\"".into(),
                "\"endswith anyof\"".into(),
                "\"glob oneof\"".into(),
                "\"icontains oneof\"".into(),
                "\"regex oneof\"".into(),
            ])
            .collect::<Vec<_>>();
        let fields = vec!["proc.name"; comps.len()].join(", ");
        ex(&format!(
            "    - name: e\n      fields: [{fields}]\n      comps: [{}]\n",
            comps.join(", ")
        ))
        .clean();
        ex("    - name: e\n      fields: [proc.name]\n      comps: [in oneof]\n").only_error(
            Code::LoadErrValidate,
            "'in oneof' is not a supported comparison operator",
            7,
        );
    }

    #[test]
    fn exception_append_merge() {
        let base = "    - name: proc_names\n      fields: [proc.name]\n      values: [[cat]]\n";
        let l = load(&format!("{EX_RULE}{base}- rule: r\n  exceptions:\n    - name: proc_names\n      values: [[dog]]\n    - name: new_one\n      fields: fd.name\n      values: [/tmp]\n  override:\n    exceptions: append\n"));
        l.clean();
        let r = l.rule("r");
        assert_eq!(r.exceptions[0].values.len(), 2);
        assert_eq!(l.cond("r"), "(evt.type=open) and not (( proc.name = cat) or ( proc.name = dog)) and not (fd.name in (/tmp))");
        let app = |body: &str| {
            load(&format!("{EX_RULE}{base}- rule: r\n  exceptions:\n{body}  override:\n    exceptions: append\n"))
        };
        app("    - name: proc_names\n      fields: [fd.name]\n      values: [[x]]\n").only_error(
            Code::LoadErrValidate,
            "Can not append exception fields to existing exception, only values",
            12,
        );
        app("    - name: proc_names\n      comps: [=]\n      values: [[x]]\n").only_error(
            Code::LoadErrValidate,
            "Can not append exception comps to existing exception, only values",
            12,
        );
        app("    - name: other\n      values: [[x]]\n").only_error(
            Code::LoadErrValidate,
            "Rule exception must have fields property with a list of fields",
            12,
        );
        let l = app("    - name: other\n      fields: [proc.name]\n");
        l.only_error(
            Code::LoadErrValidate,
            "Rule exception must have values property with a list of values",
            12,
        );
        l.has_warning(
            Code::LoadAppendNoValues,
            "Overriding/appending exception with no values",
            12,
        );
        app("    - name: other\n      fields: [nope.x]\n      values: [[x]]\n").only_error(
            Code::LoadErrValidate,
            "'nope.x' is not a supported filter field",
            12,
        );
        // A mistyped `values` key: warning only (the existing exception gets nothing).
        let l = app("    - name: proc_names\n      value: [[x]]\n");
        assert!(l.ok);
        l.has_warning(
            Code::LoadAppendNoValues,
            "Overriding/appending exception with no values",
            12,
        );
    }

    #[test]
    fn exception_override_replace_is_validated() {
        let base = "    - name: proc_names\n      fields: [proc.name]\n      values: [[cat]]\n";
        let l = load(&format!("{EX_RULE}{base}- rule: r\n  exceptions:\n    - name: n\n      fields: [proc.name, fd.name]\n      values: [[a, b]]\n  override:\n    exceptions: replace\n"));
        l.clean();
        assert_eq!(
            l.cond("r"),
            "(evt.type=open) and not (( proc.name = a and  fd.name = b))"
        );
        load(&format!("{EX_RULE}{base}- rule: r\n  exceptions:\n    - name: n\n      fields: [proc.name]\n      comps: [bogus]\n      values: [[a]]\n  override:\n    exceptions: replace\n"))
            .only_error(Code::LoadErrValidate, "'bogus' is not a supported comparison operator", 12);
    }

    fn rule_with(cond: &str, exceptions: &str) -> Loaded {
        load(&format!("- rule: r\n  desc: d\n  condition: {cond}\n  output: o\n  priority: INFO\n  exceptions:\n{exceptions}"))
    }

    #[test]
    fn compiled_exception_text_from_the_reference() {
        // §1.6 example.
        let l = rule_with("evt.type=open", "    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values: [[cat, /tmp], [dd, /var]]\n");
        assert_eq!(
            l.cond("r"),
            "(evt.type=open) and not (( proc.name = cat and  fd.name startswith /tmp) or ( proc.name = dd and  fd.name startswith /var))"
        );
        // A list value with `in`; a list name as a scalar value is parenthesised.
        let l = rule_with("evt.type=open", "    - name: e\n      fields: [proc.name, fd.name]\n      comps: [in, startswith]\n      values: [[[a, b], /tmp], [my_list_name, /x]]\n");
        assert_eq!(
            l.cond("r"),
            "(evt.type=open) and not (( proc.name in (a, b) and  fd.name startswith /tmp) or ( proc.name in (my_list_name) and  fd.name startswith /x))"
        );
        // listref without parens (falco 0.34.1 test/rules/exceptions/rule_exception_values_listref_noparens.yaml).
        let l = rule_with("evt.type=open", "    - name: e\n      fields: [proc.name, proc.cmdline]\n      comps: [=, in]\n      values: [[cat, cat_cmdlines]]\n");
        assert_eq!(
            l.cond("r"),
            "(evt.type=open) and not (( proc.name = cat and  proc.cmdline in (cat_cmdlines)))"
        );
        // exceptions_condition.
        let l = rule_with(
            "proc.cmdline contains curl or proc.cmdline contains wget",
            "    - name: curl_self_ip\n      fields: [proc.cmdline]\n      comps: [contains]\n      values:\n        - [curl 127.0.0.1]\n",
        );
        assert_eq!(
            l.cond("r"),
            "(proc.cmdline contains curl or proc.cmdline contains wget) and not (( proc.cmdline contains \"curl 127.0.0.1\"))"
        );
        // exceptions_modifier_op_multi_field_mixed.
        let l = rule_with("evt.type = open", "    - name: e\n      fields: [proc.name, fd.name]\n      comps: [startswith oneof, startswith]\n      values:\n        - [[sshd, sudo], /etc/]\n");
        assert_eq!(l.cond("r"), "(evt.type = open) and not (( proc.name startswith oneof (sshd, sudo) and  fd.name startswith /etc/))");
        // exceptions_values_rhs_field_ambiguous / _transformer_space: values stay constants.
        let l = rule_with("evt.type = open", "    - name: e\n      fields: [proc.name]\n      comps: [=]\n      values:\n        - [proc.pname]\n");
        assert_eq!(
            l.cond("r"),
            "(evt.type = open) and not (( proc.name = proc.pname))"
        );
        let l = rule_with("evt.type = open", "    - name: e\n      fields: [proc.name]\n      comps: [=]\n      values:\n        - [toupper( proc.pname)]\n");
        assert_eq!(
            l.cond("r"),
            "(evt.type = open) and not (( proc.name = \"toupper( proc.pname)\"))"
        );
        // Scalar form, default comp `in`, quoting.
        let l = rule_with(
            "evt.type=open",
            "    - name: e\n      fields: proc.name\n      values: [a, \"b c\", \"'d e'\"]\n",
        );
        assert_eq!(
            l.cond("r"),
            "(evt.type=open) and not (proc.name in (a, \"b c\", 'd e'))"
        );
        // No values: nothing.
        let l = rule_with(
            "evt.type=open",
            "    - name: e\n      fields: [proc.name]\n",
        );
        assert_eq!(l.cond("r"), "(evt.type=open)");
    }

    #[test]
    fn pre_revert_default_ruleset_examples() {
        let l = load(
            r#"
- rule: Clear Log Activities
  desc: Detect clearing of critical log files
  condition: open_write and access_log_files and evt.arg.flags contains "O_TRUNC" and not allowed_clear_log_files
  exceptions:
    - name: proc_file_prefix
      fields: [proc.name, fd.name]
      comps: [in, startswith]
    - name: image_suffix
      fields: [container.image.repository]
      comps: [endswith]
      values:
        - ["splunk/fluentd-hec"]
        - ["fluent/fluentd-kubernetes-daemonset"]
        - ["openshift3/ose-logging-fluentd"]
        - ["containernetworking/azure-npm"]
  output: >
    Log files were tampered (user=%user.name user_loginuid=%user.loginuid command=%proc.cmdline file=%fd.name container_id=%container.id image=%container.image.repository)
  priority:
    WARNING
  tags: [file, mitre_defense_evasion]

- rule: Write below binary dir
  desc: an attempt to write to any file below a set of binary directories
  condition: bin_dir and evt.dir = < and open_write
  exceptions:
    - name: proc_names
      fields: proc.name
      comps: in
      values: [package_mgmt_binaries]
    - name: known_bin_writers
      fields: [proc.name, fd.name]
      comps: [=, contains]
  output: File below a known binary directory opened for writing
  priority: ERROR
  tags: [filesystem, mitre_persistence]

- rule: Launch Privileged Container
  desc: Detect the initial process started in a privileged container.
  condition: container_started and container and container.privileged=true
  exceptions:
    - name: image_repo
      fields: container.image.repository
      comps: in
      values: [trusted_images, falco_privileged_images]
    - name: image_repo_prefix
      fields: [container.image.repository]
      comps: [startswith]
      values:
        - [istio/proxy_]
        - [quay.io/sysdig/]
  output: Privileged container started
  priority: INFO
  tags: [container, cis, mitre_privilege_escalation, mitre_lateral_movement]

- rule: Disallowed SSH Connection
  desc: Detect any new ssh connection to a host other than those in an allowed group of hosts
  condition: (inbound_outbound) and ssh_port and not allowed_ssh_hosts
  exceptions:
    - name: allowed_ssh_ipaddrs
      fields: fd.sip
  output: Disallowed SSH Connection
  priority: NOTICE
  tags: [network, mitre_remote_service]

- rule: Non sudo setuid
  desc: an attempt to change users by calling setuid.
  condition: evt.type=setuid and evt.dir=>
  exceptions:
    - name: proc_names
      fields: proc.name
      comps: in
      values: [known_setuid_binaries, userexec_binaries, mail_binaries, docker_binaries,
               nomachine_binaries]
    - name: proc_cmdline
      fields: [proc.name, proc.cmdline]
      comps: [in, contains]
      values:
        - [[java], sdjagent.jar]
    - name: proc_new_uid
      fields: [proc.name, evt.arg.uid]
      values:
        - [nrpe, nagios]
    - name: user_new_uid
      fields: [user.name, evt.arg.uid]
      values:
        - [nobody, nobody]
        - [www-data, www-data]
  output: Unexpected setuid call by non-sudo, non-root program
  priority: NOTICE
  tags: [users, mitre_privilege_escalation]
"#,
        );
        l.clean();
        assert_eq!(
            l.cond("Clear Log Activities"),
            "(open_write and access_log_files and evt.arg.flags contains \"O_TRUNC\" and not allowed_clear_log_files) and not (( container.image.repository endswith splunk/fluentd-hec) or ( container.image.repository endswith fluent/fluentd-kubernetes-daemonset) or ( container.image.repository endswith openshift3/ose-logging-fluentd) or ( container.image.repository endswith containernetworking/azure-npm))"
        );
        assert_eq!(
            l.cond("Write below binary dir"),
            "(bin_dir and evt.dir = < and open_write) and not (proc.name in (package_mgmt_binaries))"
        );
        assert_eq!(
            l.cond("Launch Privileged Container"),
            "(container_started and container and container.privileged=true) and not (container.image.repository in (trusted_images, falco_privileged_images)) and not (( container.image.repository startswith istio/proxy_) or ( container.image.repository startswith quay.io/sysdig/))"
        );
        assert_eq!(
            l.cond("Disallowed SSH Connection"),
            "((inbound_outbound) and ssh_port and not allowed_ssh_hosts)"
        );
        assert_eq!(
            l.cond("Non sudo setuid"),
            "(evt.type=setuid and evt.dir=>) and not (proc.name in (known_setuid_binaries, userexec_binaries, mail_binaries, docker_binaries, nomachine_binaries)) and not (( proc.name in (java) and  proc.cmdline contains sdjagent.jar)) and not (( proc.name = nrpe and  evt.arg.uid = nagios)) and not (( user.name = nobody and  evt.arg.uid = nobody) or ( user.name = www-data and  evt.arg.uid = www-data))"
        );
        // Then list substitution over the text, as the compile stage does.
        let l2 = load("- list: package_mgmt_binaries\n  items: [rpm_binaries, deb_binaries, update-alternat, gem]\n");
        let mut used = [false];
        assert_eq!(
            substitute_lists(&l.cond("Write below binary dir"), l2.c.lists(), &mut used),
            "(bin_dir and evt.dir = < and open_write) and not (proc.name in ( rpm_binaries, deb_binaries, update-alternat, gem ))"
        );
        assert!(used[0]);
    }

    #[test]
    fn build_errors() {
        let l = rule_with(
            "c",
            "    - name: e\n      fields: proc.name\n      values: [[a]]\n",
        );
        let e = build_exception_condition(l.rule("r")).expect_err("list in scalar form");
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                Code::LoadErrValidate,
                "Expected values array to contain a list of strings"
            )
        );
        assert_eq!(
            e.locations
                .iter()
                .map(|l| l.item_type.as_str())
                .collect::<Vec<_>>(),
            vec!["rules content", "rule", "exception"]
        );
        let l = rule_with(
            "c",
            "    - name: e\n      fields: [proc.name, fd.name]\n      values: [[a]]\n",
        );
        let e = build_exception_condition(l.rule("r")).expect_err("length mismatch");
        assert_eq!(e.message, "Fields and values lists must have equal length");
        assert_eq!(e.position().map(|p| p.line), Some(7));
        let l = rule_with(
            "c",
            "    - name: e\n      fields: [proc.name]\n      values: [a]\n",
        );
        assert_eq!(
            build_exception_condition(l.rule("r"))
                .expect_err("scalar tuple")
                .message,
            "Fields and values lists must have equal length"
        );
    }

    #[test]
    fn all_errors_of_a_file_are_reported() {
        let l = load("- list: a\n- macro: m\n- rule: r\n  desc: d\n- rule: r2\n  enabled: true\n");
        let msgs: Vec<_> = l.errors().iter().map(|e| e.message.clone()).collect();
        assert_eq!(
            msgs,
            vec![
                "Item has no mapping for key 'items'",
                "Item has no mapping for key 'condition'",
                "Item has no mapping for key 'condition'",
                "Rule has 'enabled' key but no rule by that name already exists",
            ]
        );
        assert_eq!(
            l.errors()
                .iter()
                .map(|e| e.position().map(|p| p.line))
                .collect::<Vec<_>>(),
            vec![Some(1), Some(2), Some(3), Some(5)]
        );
    }

    #[test]
    fn summary_of_a_real_load() {
        let l = load("- list: a\n  items: [x]\n  bogus: 1\n- rule: r\n");
        let res = crate::diagnostic::LoadResult {
            name: "rules.yaml".into(),
            successful: l.ok,
            errors: l.errors().into_iter().cloned().collect(),
            warnings: l.warnings().into_iter().cloned().collect(),
            ..Default::default()
        };
        assert_eq!(
            res.summary(),
            "rules.yaml: Invalid\n 1 errors: [LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file)]\n 1 warnings: [LOAD_UNKNOWN_KEY (Unknown key in item definition)]"
        );
        let j = res.to_json(&l.src);
        assert_eq!(
            j["errors"][0]["message"],
            "Item has no mapping for key 'enabled'"
        );
        assert_eq!(
            j["errors"][0]["context"]["locations"][1]["item_type"],
            "rule"
        );
        assert_eq!(
            j["errors"][0]["context"]["locations"][1]["position"]["line"],
            4
        );
        assert_eq!(j["errors"][0]["context"]["snippet"], "- rule: r\n  ^\n");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn read_never_panics_on_text(s in "\\PC{0,200}") {
            let mut c = collector();
            let mut d = Vec::new();
            let _ = c.read("f", &s, &mut d);
        }

        #[test]
        fn read_never_panics_on_rule_shapes(
            keys in proptest::collection::vec(prop_oneof![
                Just("rule"), Just("list"), Just("macro"), Just("condition"), Just("output"), Just("desc"),
                Just("priority"), Just("items"), Just("append"), Just("override"), Just("exceptions"),
                Just("enabled"), Just("tags"), Just("source"), Just("fields"), Just("values"), Just("comps"),
                Just("name"), Just("required_engine_version"), Just("required_plugin_versions"), Just("capture_duration")
            ], 1..6),
            vals in proptest::collection::vec(prop_oneof![
                Just("x"), Just("~"), Just("''"), Just("[a, [b]]"), Just("{a: b}"), Just("true"), Just("append"),
                Just("{condition: append}"), Just("{exceptions: replace, tags: append}"), Just("[{name: e, fields: [proc.name], values: [[a]]}]"),
                Just("[{name: e}]"), Just("0.1.0"), Just("[{name: container, version: 1.0.0}]"), Just("-5"), Just("[[]]")
            ], 1..6),
            n in 1usize..4,
        ) {
            let mut src = String::new();
            for i in 0..n {
                for (j, k) in keys.iter().enumerate() {
                    let v = vals[(i + j) % vals.len()];
                    src.push_str(if j == 0 { "- " } else { "  " });
                    src.push_str(&format!("{k}: {v}\n"));
                }
            }
            let mut c = collector();
            let mut d = Vec::new();
            let ok = c.read("f", &src, &mut d);
            prop_assert_eq!(ok, !d.iter().any(|x| x.code.severity() == crate::Severity::Error));
            for r in c.rules() {
                let _ = build_exception_condition(r);
            }
        }
    }
}
