//! Compilation: from collected items to evaluable rules.
//!
//! Falco's order, reproduced: exceptions are built into the condition text,
//! lists are substituted textually, the text is parsed, macros are resolved on
//! the syntax tree, fields are resolved against the registry and operators are
//! checked against field types. The fully expanded tree, printed in canonical
//! form, is the rule's `condition_compiled`.

mod error;
pub mod evttypes;
mod evttypes_table;
mod lower;

use std::collections::{BTreeSet, HashMap};

use crate::diagnostic::{Code, Diagnostic, Location, Position};
use crate::eval::Node;
use crate::fields_table::Registry;
use crate::load::{self, Collector, Priority};
use crate::output::OutputFormat;
use crate::syntax::{self, Expr, Pos};

pub use error::{falco_reads_as_unknown, CompileError, CompileWarning, TOO_LARGE};
pub use evttypes::EvtTypes;

/// A rule ready to evaluate.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    /// The rule's name.
    pub name: String,
    /// Its description.
    pub desc: String,
    /// Its priority.
    pub priority: Priority,
    /// Its event source (`syscall`).
    pub source: String,
    /// Its tags, sorted and de-duplicated (Falco keeps them in a set).
    pub tags: Vec<String>,
    /// Whether it runs by default.
    pub enabled: bool,
    /// Falco's `capture`: save a capture around the events it matches.
    pub capture: bool,
    /// Falco's `capture_duration` (milliseconds; 0 = the configured default).
    pub capture_duration: u32,
    /// The output template (`%field` tokens).
    pub output: String,
    /// The fully expanded condition in Falco's canonical string form.
    pub condition_compiled: String,
    /// The event types the condition can match.
    pub evttypes: EvtTypes,
    /// Fields named by the rule's exceptions.
    pub exception_fields: BTreeSet<String>,
    /// The parsed output template.
    pub format: OutputFormat,
    /// The expanded condition tree (macros resolved).
    pub expr: Expr,
    pub(crate) node: Node,
    /// How many exception clauses end the condition (the exceptions with values).
    pub(crate) exception_clauses: usize,
    /// Those clauses alone (any of them true), when they end the expanded tree as Falco's
    /// text puts them.
    pub(crate) exceptions: Option<Node>,
}

impl CompiledRule {
    /// Evaluates this rule's condition on an event (ignores `enabled`).
    pub fn matches(&self, ev: &dyn crate::field::Event) -> bool {
        self.node.eval(ev)
    }

    /// Whether the rule's exceptions match an event, whatever its condition gives (a Falco
    /// alert carries only the output's fields: its condition cannot be evaluated again,
    /// its exceptions can). `Some(false)` when no exception has values; `None` when the
    /// exceptions could not be told apart from the condition.
    pub fn excepts(&self, ev: &dyn crate::field::Event) -> Option<bool> {
        match (&self.exceptions, self.exception_clauses) {
            (_, 0) => Some(false),
            (Some(n), _) => Some(n.eval(ev)),
            (None, _) => None,
        }
    }
}

/// The exceptions' clauses of an expanded condition built as
/// `(condition) and not (e1) and not (e2) ...` with `clauses` exception clauses: the last
/// `clauses` operands of its top `and`, each a `not`, lowered as one `or` of what they
/// negate. `None` when there are none, or the tree does not end that way.
fn exceptions_node(expr: &Expr, clauses: usize, registry: &Registry) -> Option<Node> {
    if clauses == 0 {
        return None;
    }
    let Expr::And(children) = expr else {
        return None;
    };
    let first = children.len().checked_sub(clauses).filter(|&f| f >= 1)?;
    let inner: Vec<Expr> = children[first..]
        .iter()
        .map(|c| match c {
            Expr::Not(x) => Some((**x).clone()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let any = if inner.len() == 1 {
        inner.into_iter().next()?
    } else {
        Expr::Or(inner)
    };
    lower::lower(&any, registry, &mut Vec::new()).ok()
}

/// Maps a position inside a condition string onto the rules file, as Falco does
/// (parser position plus the YAML node's mark). Used when the source text is not
/// at hand; [`locate_in_source`] is exact when it is.
pub fn file_position(base: &Position, pos: Pos) -> Position {
    let line = base.line + pos.line.saturating_sub(1);
    let column = if pos.line <= 1 {
        base.column + pos.col.saturating_sub(1)
    } else {
        pos.col
    };
    Position {
        name: base.name.clone(),
        line,
        column,
        offset: base.offset + pos.idx,
    }
}

/// Finds where byte `idx` of a condition string sits in the rules file, by walking
/// the scalar's source text from `base` and matching the condition's characters in
/// order. YAML folding and indentation only change blanks (and quotes and block
/// indicators), which are skipped, so this lands on the exact line and column for
/// plain, quoted and block scalars. When the text was rewritten before `idx`
/// (a list substituted), it falls back to Falco's own approximation.
pub fn locate_in_source(src: &str, base: &Position, cond: &str, idx: usize, pos: Pos) -> Position {
    let fallback = || file_position(base, pos);
    let Some(tail) = src.get(base.offset..) else {
        return fallback();
    };
    let mut it = tail.char_indices().peekable();
    for (ci, want) in cond.char_indices() {
        loop {
            let Some(&(si, got)) = it.peek() else {
                return fallback();
            };
            let same = got == want || (got.is_whitespace() && want.is_whitespace());
            if same {
                if ci >= idx {
                    return position_of(src, &base.name, base.offset + si);
                }
                it.next();
                break;
            }
            if got.is_whitespace() || matches!(got, '>' | '|' | '-' | '+' | '"' | '\'') {
                it.next();
                continue;
            }
            return fallback();
        }
    }
    let end = it.peek().map(|&(i, _)| i).unwrap_or(tail.len());
    position_of(src, &base.name, base.offset + end)
}

/// Line and column (1-based) of a byte offset.
pub fn position_of(src: &str, name: &str, off: usize) -> Position {
    let off = off.min(src.len());
    let before = src.get(..off).unwrap_or("");
    let line = before.matches('\n').count() as u32 + 1;
    let col_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = src
        .get(col_start..off)
        .map(|s| s.chars().count())
        .unwrap_or(0) as u32
        + 1;
    Position {
        name: name.to_string(),
        line,
        column,
        offset: off,
    }
}

/// The "condition expression" location of a position inside the compiled text of a condition.
fn cond_location(
    sources: &HashMap<String, String>,
    base: &Position,
    cond: &str,
    text: &str,
    pos: Pos,
) -> Location {
    // The compiled text is the original condition, maybe wrapped in "(...)" by exceptions
    // and with lists substituted (past a substituted list, the walk falls back).
    let shift = usize::from(
        !text.starts_with(cond) && text.get(1..).map(|t| t.starts_with(cond)).unwrap_or(false),
    );
    let position = match (sources.get(&base.name), text.get(shift..)) {
        (Some(src), Some(t)) if pos.idx >= shift => {
            let t = if t.starts_with(cond) { cond } else { t };
            locate_in_source(src, base, t, (pos.idx - shift).min(t.len()), pos)
        }
        _ => file_position(base, pos),
    };
    Location {
        item_type: "condition expression".into(),
        item_name: load::condition_context_name(cond),
        position,
    }
}

/// Builds a diagnostic (its snippet is rendered when shown).
pub(crate) fn diag(code: Code, message: impl Into<String>, locations: Vec<Location>) -> Diagnostic {
    load::make_diag(code, message.into(), locations)
}

/// The most syntax-tree nodes a condition may have once its macros are substituted.
/// Macros are substituted as trees, so a macro used twice by the next one doubles in
/// size at every level (40 such macros would need terabytes); compilation stops at
/// this size with `QUELL_ERR_CONDITION_TOO_LARGE`, naming the rule or macro. The
/// largest condition of the upstream rules expands to a few hundred nodes.
pub const MAX_EXPANDED_NODES: usize = 100_000;

/// The deepest a condition's tree may be once its macros are substituted (each macro
/// is bounded by the parser's depth limit, but a chain of macros is not).
pub const MAX_EXPANDED_DEPTH: usize = 1_000;

/// How deeply macros may refer to one another (`m2` uses `m1`, `m3` uses `m2`, ...).
pub const MAX_MACRO_NESTING: usize = 256;

/// Fields Falco 0.63 reports as deprecated (`falco_load_result.cpp`), in its order,
/// with the message of its warning for a use in a condition.
const DEPRECATED_FIELDS: [(&str, &str); 6] = [
    ("evt.dir", "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'"),
    ("evt.latency", LATENCY_DEPRECATED),
    ("evt.latency.s", LATENCY_DEPRECATED),
    ("evt.latency.ns", LATENCY_DEPRECATED),
    ("evt.latency.human", LATENCY_DEPRECATED),
    ("evt.wait_latency", LATENCY_DEPRECATED),
];
const LATENCY_DEPRECATED: &str = "field is not available due to the drop of enter events.";

/// `%container.info` in an output: removed, with Falco's deprecation warning.
const CONTAINER_INFO: &str = "%container.info";
const CONTAINER_INFO_DEPRECATED: &str = "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.";

/// The fields named on the left of the checks of `expr` (inside transformers too), as
/// Falco's warning resolver visits them.
fn lhs_fields(expr: &Expr) -> BTreeSet<String> {
    fn operand(o: &syntax::Operand, out: &mut BTreeSet<String>) {
        match o {
            syntax::Operand::Field { name, .. } => {
                out.insert(name.clone());
            }
            syntax::Operand::Transformer { args, .. } => args.iter().for_each(|a| targ(a, out)),
        }
    }
    fn targ(a: &syntax::TArg, out: &mut BTreeSet<String>) {
        match a {
            syntax::TArg::Operand(o) => operand(o, out),
            syntax::TArg::List(v) => v.iter().for_each(|x| targ(x, out)),
            syntax::TArg::Value(_) => {}
        }
    }
    let mut out = BTreeSet::new();
    expr.walk_checks(&mut |c| operand(&c.lhs, &mut out));
    out
}

struct MacroSlot {
    parsed: Option<Expr>,
    resolved: Option<Result<Expr, (CompileError, Pos)>>,
    /// Nodes and depth of the resolved tree.
    size: (usize, usize),
    visibility: usize,
    index: usize,
}

/// Running totals of one expansion, against the budget.
#[derive(Default)]
struct Budget {
    nodes: usize,
    /// The macro being expanded (its name in errors), or `None` for a rule's condition.
    owner: Option<usize>,
    deepest: usize,
}

fn too_large(what: String, owner: Option<usize>, names: &[String]) -> CompileError {
    CompileError::TooLarge {
        what,
        owner: owner.map(|o| names[o].clone()),
    }
}

/// Resolves macro references in `expr`, using the macros visible below `visibility`.
/// Marks referenced macros as used. Errors name the first undefined macro, or a loop,
/// or the macro whose substitution exceeds the expansion budget.
#[allow(clippy::too_many_arguments)]
fn resolve_macros(
    expr: &Expr,
    visibility: usize,
    slots: &mut Vec<MacroSlot>,
    by_name: &HashMap<String, usize>,
    used: &mut [bool],
    stack: &mut Vec<usize>,
    names: &[String],
    budget: &mut Budget,
    depth: usize,
) -> Result<Expr, (CompileError, Pos)> {
    budget.nodes += 1;
    budget.deepest = budget.deepest.max(depth);
    if budget.nodes > MAX_EXPANDED_NODES {
        return Err((
            too_large(
                format!("more than {MAX_EXPANDED_NODES} nodes"),
                budget.owner,
                names,
            ),
            Pos::default(),
        ));
    }
    // The sub-expressions of `and`, `or` and `not`, one level deeper.
    let mut sub = |e: &Expr| {
        resolve_macros(
            e,
            visibility,
            slots,
            by_name,
            used,
            stack,
            names,
            budget,
            depth + 1,
        )
    };
    Ok(match expr {
        Expr::And(v) => Expr::And(v.iter().map(&mut sub).collect::<Result<_, _>>()?),
        Expr::Or(v) => Expr::Or(v.iter().map(&mut sub).collect::<Result<_, _>>()?),
        Expr::Not(e) => Expr::Not(Box::new(sub(e.as_ref())?)),
        Expr::Check(c) => Expr::Check(c.clone()),
        Expr::Ident { name, pos } => {
            let Some(&i) = by_name.get(name) else {
                return Err((CompileError::UndefinedMacro(name.clone()), *pos));
            };
            if slots[i].index >= visibility {
                return Err((CompileError::UndefinedMacro(name.clone()), *pos));
            }
            used[i] = true;
            budget.nodes -= 1;
            let body =
                macro_body(i, slots, by_name, used, stack, names).map_err(|(m, _)| (m, *pos))?;
            let (n, d) = slots[i].size;
            let over = if budget.nodes + n > MAX_EXPANDED_NODES {
                Some(format!("more than {MAX_EXPANDED_NODES} nodes"))
            } else if depth + d > MAX_EXPANDED_DEPTH {
                Some(format!("more than {MAX_EXPANDED_DEPTH} levels of nesting"))
            } else {
                None
            };
            if let Some(what) = over {
                return Err((
                    too_large(
                        format!("{what} when macro '{name}' is substituted"),
                        budget.owner,
                        names,
                    ),
                    *pos,
                ));
            }
            budget.nodes += n;
            budget.deepest = budget.deepest.max(depth + d);
            body
        }
    })
}

fn macro_body(
    i: usize,
    slots: &mut Vec<MacroSlot>,
    by_name: &HashMap<String, usize>,
    used: &mut [bool],
    stack: &mut Vec<usize>,
    names: &[String],
) -> Result<Expr, (CompileError, Pos)> {
    if let Some(r) = &slots[i].resolved {
        return r.clone();
    }
    if stack.contains(&i) {
        return Err((
            CompileError::ReferenceLoop(names[i].clone()),
            Pos::default(),
        ));
    }
    if stack.len() >= MAX_MACRO_NESTING {
        let r = Err((
            too_large(
                format!("macros refer to one another more than {MAX_MACRO_NESTING} levels deep"),
                Some(i),
                names,
            ),
            Pos::default(),
        ));
        slots[i].resolved = Some(r.clone());
        return r;
    }
    let Some(parsed) = slots[i].parsed.clone() else {
        // The macro's own condition did not parse: that error is reported on the macro.
        return Err((
            CompileError::UndefinedMacro(names[i].clone()),
            Pos::default(),
        ));
    };
    stack.push(i);
    let vis = slots[i].visibility;
    let mut budget = Budget {
        owner: Some(i),
        ..Budget::default()
    };
    let r = resolve_macros(
        &parsed,
        vis,
        slots,
        by_name,
        used,
        stack,
        names,
        &mut budget,
        0,
    );
    stack.pop();
    slots[i].size = (budget.nodes, budget.deepest + 1);
    slots[i].resolved = Some(r.clone());
    r
}

/// Compiles everything collected so far. Diagnostics go to `diags`; rules with
/// errors are left out of the result.
pub fn compile(
    col: &Collector,
    registry: &Registry,
    sources: &HashMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<CompiledRule> {
    let lists = col.lists();
    let mut list_used: Vec<bool> = col.lists_used_by_lists().to_vec();
    list_used.resize(lists.len(), false);

    // Macros: substitute visible lists, parse.
    let macros = col.macros();
    let names: Vec<String> = macros.iter().map(|m| m.name.clone()).collect();
    let by_name: HashMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    let mut slots = Vec::with_capacity(macros.len());
    let mut texts = Vec::with_capacity(macros.len());
    for m in macros {
        // No visibility order between conditions and lists: every list is substituted.
        let text = load::substitute_lists(&m.cond, lists, &mut list_used);
        let parsed = match syntax::parse(&text) {
            Ok(e) => Some(e),
            Err(e) => {
                diags.push(diag(
                    Code::LoadErrCompileCondition,
                    e.message.clone(),
                    vec![
                        load::root_location(&m.loc.position.name),
                        m.loc.clone(),
                        cond_location(sources, &m.cond_pos, &m.cond, &text, e.pos),
                    ],
                ));
                None
            }
        };
        slots.push(MacroSlot {
            parsed,
            resolved: None,
            size: (0, 0),
            visibility: m.visibility,
            index: m.index,
        });
        texts.push(text);
    }
    let mut macro_used = vec![false; macros.len()];
    // Resolve every macro (so that errors inside unused macros are reported too).
    for (i, m) in macros.iter().enumerate() {
        if slots[i].parsed.is_none() {
            continue;
        }
        let mut stack = Vec::new();
        if let Err((err, pos)) =
            macro_body(i, &mut slots, &by_name, &mut macro_used, &mut stack, &names)
        {
            // Report only errors that originate in this macro's own text.
            let own = slots[i]
                .parsed
                .as_ref()
                .map(|p| direct_error(p, &err, &by_name, &slots, m.visibility))
                .unwrap_or(false);
            let too_large_here = matches!(
                &err,
                CompileError::TooLarge { owner: Some(o), .. } if *o == names[i]
            );
            if too_large_here {
                diags.push(diag(
                    Code::QuellErrConditionTooLarge,
                    err.to_string(),
                    vec![
                        load::root_location(&m.loc.position.name),
                        m.loc.clone(),
                        cond_location(sources, &m.cond_pos, &m.cond, &texts[i], pos),
                    ],
                ));
            } else if own || matches!(err, CompileError::ReferenceLoop(_)) {
                diags.push(diag(
                    Code::LoadErrValidate,
                    err.to_string(),
                    vec![
                        load::root_location(&m.loc.position.name),
                        m.loc.clone(),
                        cond_location(sources, &m.cond_pos, &m.cond, &texts[i], pos),
                    ],
                ));
            }
        }
    }

    let mut out = Vec::new();
    for r in col.rules() {
        let rule_loc = r.loc.clone();
        let root = load::root_location(&r.loc.position.name);
        let (text, clauses) = match load::build_exception_parts(r) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        // Falco's order: the output (`%container.info` dropped with a warning, then
        // deprecated fields), before the condition.
        let mut output = r.output.clone();
        if output.contains(CONTAINER_INFO) {
            diags.push(diag(
                Code::LoadDeprecatedItem,
                CONTAINER_INFO_DEPRECATED,
                vec![root.clone(), rule_loc.clone()],
            ));
            output = output.replace(CONTAINER_INFO, "");
        }
        let format = OutputFormat::parse(&output, registry);
        if format.is_ok() {
            for (field, _) in DEPRECATED_FIELDS {
                // A substring search, as Falco's.
                if output.contains(field) {
                    let loc = Location {
                        item_type: "rule output".into(),
                        item_name: String::new(),
                        position: r.output_pos.clone(),
                    };
                    let mut d = diag(
                        Code::LoadDeprecatedItem,
                        format!("usage of deprecated field '{field}' has been detected in the rule output"),
                        vec![root.clone(), rule_loc.clone(), loc]);
                    d.deprecated_field = Some(field.to_string());
                    diags.push(d);
                }
            }
        }
        let text = load::substitute_lists(&text, lists, &mut list_used);
        let cond_loc = |pos: Pos| cond_location(sources, &r.cond_pos, &r.cond, &text, pos);
        let parsed = match syntax::parse(&text) {
            Ok(e) => e,
            Err(e) => {
                diags.push(diag(
                    Code::LoadErrCompileCondition,
                    e.message,
                    vec![root, rule_loc, cond_loc(e.pos)],
                ));
                continue;
            }
        };
        let mut stack = Vec::new();
        let expr = match resolve_macros(
            &parsed,
            usize::MAX,
            &mut slots,
            &by_name,
            &mut macro_used,
            &mut stack,
            &names,
            &mut Budget::default(),
            0,
        ) {
            Ok(e) => e,
            Err((err @ CompileError::TooLarge { .. }, pos)) => {
                // The rule is named by its location; the macro by the message.
                diags.push(diag(
                    Code::QuellErrConditionTooLarge,
                    err.to_string(),
                    vec![root, rule_loc, cond_loc(pos)],
                ));
                continue;
            }
            Err((err, pos)) => {
                // A macro that failed on its own has reported that already: only report
                // undefined macros this rule names itself.
                if direct_error(&parsed, &err, &by_name, &slots, usize::MAX)
                    || matches!(err, CompileError::ReferenceLoop(_))
                {
                    diags.push(diag(
                        Code::LoadErrValidate,
                        err.to_string(),
                        vec![root, rule_loc, cond_loc(pos)],
                    ));
                }
                continue;
            }
        };
        if r.source != "syscall" {
            continue;
        }
        // Deprecated fields anywhere in the expanded condition (macros included): one
        // warning per field at the start of the rule's condition, whose text the
        // snippet shows (also when it is a folded or literal block scalar).
        let used_fields = lhs_fields(&expr);
        for (field, message) in DEPRECATED_FIELDS {
            if used_fields.contains(field) {
                let position = match sources.get(&r.cond_pos.name) {
                    Some(src) => locate_in_source(src, &r.cond_pos, &r.cond, 0, Pos::default()),
                    None => r.cond_pos.clone(),
                };
                let loc = Location {
                    item_type: "condition expression".into(),
                    item_name: load::condition_context_name(&r.cond),
                    position,
                };
                let mut d = diag(
                    Code::LoadDeprecatedItem,
                    message,
                    vec![root.clone(), rule_loc.clone(), loc],
                );
                d.deprecated_field = Some(field.to_string());
                diags.push(d);
            }
        }
        let mut warnings = Vec::new();
        let lowered = lower::lower(&expr, registry, &mut warnings);
        // Falco's `skip-if-unknown-filter`: an unknown field or event type is a warning
        // and the rule is skipped. Chosen from the error's kind, not from its text.
        let node = match lowered {
            Ok(n) => n,
            Err((err, pos)) => {
                let code = if r.skip_if_unknown_filter && err.is_unknown_filter() {
                    Code::LoadUnknownFilter
                } else {
                    Code::LoadErrCompileCondition
                };
                diags.push(diag(
                    code,
                    err.to_string(),
                    vec![root, rule_loc, cond_loc(pos)],
                ));
                continue;
            }
        };
        let format = match format {
            Ok(f) => f,
            Err(e) => {
                let code = if r.skip_if_unknown_filter && e.is_unknown_filter() {
                    Code::LoadUnknownFilter
                } else {
                    Code::LoadErrCompileOutput
                };
                let loc = Location {
                    item_type: "rule output".into(),
                    item_name: String::new(),
                    position: r.output_pos.clone(),
                };
                diags.push(diag(code, e.to_string(), vec![root, rule_loc, loc]));
                continue;
            }
        };
        for (warning, pos) in warnings {
            diags.push(diag(
                Code::LoadCompileCondition,
                warning.to_string(),
                vec![root.clone(), rule_loc.clone(), cond_loc(pos)],
            ));
        }
        let evttypes = evttypes::extract(&expr);
        if r.warn_evttypes && evttypes.too_many() {
            diags.push(diag(
                Code::LoadNoEvttype,
                "Rule matches too many evt.type values. This has a significant performance penalty.",
                vec![root.clone(), rule_loc.clone()]));
        }
        let exception_fields = r
            .exceptions
            .iter()
            .flat_map(|e| scalars(&e.fields))
            .collect();
        let exceptions = exceptions_node(&expr, clauses, registry);
        out.push(CompiledRule {
            name: r.name.clone(),
            desc: r.desc.clone(),
            priority: r.priority,
            source: r.source.clone(),
            tags: r.tags.iter().cloned().collect(),
            enabled: r.enabled,
            capture: r.capture,
            capture_duration: r.capture_duration,
            output,
            condition_compiled: expr.to_string(),
            evttypes,
            exception_fields,
            format,
            expr,
            node,
            exception_clauses: clauses,
            exceptions,
        });
    }

    let unused = macros
        .iter()
        .zip(&macro_used)
        .map(|(m, used)| {
            (
                Code::LoadUnusedMacro,
                "Macro not referred to by any other rule/macro",
                &m.loc,
                *used,
            )
        })
        .chain(lists.iter().zip(&list_used).map(|(l, used)| {
            (
                Code::LoadUnusedList,
                "List not referred to by any other rule/macro",
                &l.loc,
                *used,
            )
        }));
    for (code, message, loc, used) in unused {
        if !used {
            let locations = vec![load::root_location(&loc.position.name), loc.clone()];
            diags.push(diag(code, message, locations));
        }
    }
    out
}

/// True when an undefined-macro error comes from this expression's own identifiers
/// (not from a macro it references, which reports its own error).
fn direct_error(
    expr: &Expr,
    err: &CompileError,
    by_name: &HashMap<String, usize>,
    slots: &[MacroSlot],
    visibility: usize,
) -> bool {
    expr.idents().iter().any(|(name, _)| {
        matches!(err, CompileError::UndefinedMacro(m) if m == name)
            && by_name
                .get(*name)
                .map(|&i| slots[i].index >= visibility)
                .unwrap_or(true)
    })
}

/// Every scalar in an exception entry (`fields: proc.name` or `fields: [proc.name, fd.name]`).
fn scalars(v: &load::ExValue) -> Vec<String> {
    match v {
        load::ExValue::Scalar(s) if !s.is_empty() => vec![s.clone()],
        load::ExValue::Scalar(_) => vec![],
        load::ExValue::List(items) => items.iter().flat_map(scalars).collect(),
    }
}
