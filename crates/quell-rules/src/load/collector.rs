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
    content: &'a str,
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
        self.diags
            .push(make_diag(code, msg, ctx.locs.clone(), self.content));
    }
    fn fail(&mut self, f: Fail) {
        self.failed = true;
        self.diags
            .push(make_diag(f.code, f.msg, f.locs, self.content));
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
            content,
            diags,
            failed: false,
        };
        let root = Ctx {
            locs: vec![root_location(name)],
        };
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
            .map_or(true, |(v, _)| *v < version)
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
            let mut upd = RuleUpdate::default();
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
            validate_exception(ex, chk).map_err(|m| validate_err(m, &ectx))?;
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
                        validate_exception(&mut ex, chk).map_err(|m| validate_err(m, &ectx))?;
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
                validate_exception(ex, chk).map_err(|m| validate_err(m, &ectx))?;
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
