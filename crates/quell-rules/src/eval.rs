//! Evaluation: the compiled form of a condition and how it is run against an event.
//!
//! Falco's semantics: a missing field makes every comparison false (even `!=`);
//! an ancestor field without an index matches when any level matches; list
//! fields use subset (`in`) and overlap (`intersects`) semantics; filter-only
//! network fields (`fd.net`, `fd.ip`, ...) look at both ends of a connection.

use std::borrow::Cow;
use std::collections::HashSet;
use std::net::IpAddr;

use crate::field::{Event, FieldRef, FieldType, Value};
use crate::ops;
use crate::syntax::{BaseOp, Modifier, TransformerKind};

/// A compiled condition.
#[derive(Clone, Debug)]
pub enum Node {
    /// All children true.
    And(Vec<Node>),
    /// Any child true.
    Or(Vec<Node>),
    /// Negation.
    Not(Box<Node>),
    /// A field check.
    Check(Box<CheckNode>),
}

/// A compiled check.
#[derive(Clone, Debug)]
pub struct CheckNode {
    /// Where the value comes from.
    pub lhs: Extractor,
    /// The operator.
    pub op: BaseOp,
    /// The string-operator modifier, if any.
    pub modifier: Option<Modifier>,
    /// What it is compared with.
    pub rhs: RhsNode,
}

/// Extracts a value from an event.
#[derive(Clone, Debug)]
pub enum Extractor {
    /// A field.
    Field(FieldRef),
    /// A filter-only field that stands for two fields (`fd.net` = client or server address):
    /// `=`-like checks pass when either side passes, `!=` when both do.
    Either(FieldRef, FieldRef),
    /// A transformer over other extractors and constants.
    Transform {
        /// Which transformer.
        kind: TransformerKind,
        /// Its arguments.
        args: Vec<TArgNode>,
        /// The bracketed argument (`getopt(...)[t]`).
        arg: Option<String>,
    },
}

/// A transformer argument.
#[derive(Clone, Debug)]
pub enum TArgNode {
    /// A field or a nested transformer.
    Ex(Extractor),
    /// A constant.
    Const(String),
    /// A list of arguments.
    List(Vec<TArgNode>),
}

/// A constant on the right-hand side, already converted to the left-hand side's type.
#[derive(Clone, Debug)]
pub enum Const {
    /// Text.
    Str(String),
    /// A number (wide enough for every signed and unsigned field).
    Int(i128),
    /// A boolean.
    Bool(bool),
    /// An IP address.
    Ip(IpAddr),
    /// A network (`fd.net = 10.0.0.0/8`).
    Net(ops::IpNet),
    /// Bytes (`bcontains 0a0b`).
    Bytes(Vec<u8>),
    /// A compiled regular expression (full match).
    Regex(regex::Regex),
    /// A compiled fnmatch pattern (`glob`, `iglob`).
    Glob(ops::Glob),
}

/// The right-hand side of a compiled check.
#[derive(Clone, Debug)]
pub enum RhsNode {
    /// `exists`.
    None,
    /// A single constant.
    One(Const),
    /// A list of constants (for modifiers, or `in` over non-text types).
    Many(Vec<Const>),
    /// A set of strings, for `in`/`intersects` over text.
    StrSet(HashSet<String>),
    /// Path prefixes, for `pmatch`.
    Paths(ops::PathPrefixSet),
    /// Another field (`val(proc.pname)`, or a transformer).
    Field(Extractor),
}

impl Extractor {
    /// The type of the extracted value.
    pub fn ty(&self) -> FieldType {
        match self {
            Extractor::Field(f) | Extractor::Either(f, _) => f.ty,
            Extractor::Transform { kind, .. } => match kind {
                TransformerKind::Len => FieldType::Uint,
                _ => FieldType::Str,
            },
        }
    }

    /// Extracts the value, or `None` when the event lacks it.
    pub fn extract<'e>(&self, ev: &'e dyn Event) -> Option<Value<'e>> {
        match self {
            Extractor::Field(f) => ev.field(f),
            Extractor::Either(a, b) => {
                let mut both = Vec::with_capacity(2);
                both.extend(ev.field(a));
                both.extend(ev.field(b));
                if both.is_empty() {
                    None
                } else {
                    Some(Value::List(both))
                }
            }
            Extractor::Transform { kind, args, arg } => transform(*kind, args, arg.as_deref(), ev),
        }
    }
}

fn targ_values<'e>(a: &TArgNode, ev: &'e dyn Event, out: &mut Vec<Value<'e>>) -> bool {
    match a {
        TArgNode::Ex(e) => match e.extract(ev) {
            Some(Value::List(v)) => {
                out.extend(v);
                true
            }
            Some(v) => {
                out.push(v);
                true
            }
            None => false,
        },
        TArgNode::Const(s) => {
            out.push(Value::Str(Cow::Owned(s.clone())));
            true
        }
        TArgNode::List(items) => items.iter().all(|i| targ_values(i, ev, out)),
    }
}

fn transform<'e>(
    kind: TransformerKind,
    args: &[TArgNode],
    arg: Option<&str>,
    ev: &'e dyn Event,
) -> Option<Value<'e>> {
    // One-argument string transformers map each value of the argument (every level of a list).
    let single = |f: &dyn Fn(&str) -> Option<String>| -> Option<Value<'e>> {
        let apply = |v: &Value<'_>| -> Option<Value<'e>> {
            let out = match v {
                Value::Str(s) => f(s),
                other => f(&other.to_string()),
            };
            out.map(|s| Value::Str(Cow::Owned(s)))
        };
        match args.first()? {
            TArgNode::Ex(e) => match e.extract(ev)? {
                Value::List(items) => items
                    .iter()
                    .map(apply)
                    .collect::<Option<Vec<_>>>()
                    .map(Value::List),
                v => apply(&v),
            },
            TArgNode::Const(c) => apply(&Value::Str(Cow::Borrowed(c.as_str()))),
            TArgNode::List(_) => None,
        }
    };
    match kind {
        TransformerKind::Val => {
            let TArgNode::Ex(e) = args.first()? else {
                return None;
            };
            e.extract(ev)
        }
        TransformerKind::ToLower => single(&|s| Some(s.to_ascii_lowercase())),
        TransformerKind::ToUpper => single(&|s| Some(s.to_ascii_uppercase())),
        TransformerKind::B64 => {
            single(&|s| ops::b64_decode(s).map(|b| String::from_utf8_lossy(&b).into_owned()))
        }
        TransformerKind::Basename => single(&|s| Some(ops::basename(s).to_string())),
        TransformerKind::Len => {
            let first = args.first()?;
            match first {
                TArgNode::Ex(e) => match e.extract(ev)? {
                    Value::List(v) => Some(Value::Uint(v.len() as u64)),
                    Value::Str(s) => Some(Value::Uint(s.len() as u64)),
                    other => Some(Value::Uint(other.to_string().len() as u64)),
                },
                _ => {
                    let mut vals = Vec::new();
                    targ_values(first, ev, &mut vals);
                    Some(Value::Uint(vals.len() as u64))
                }
            }
        }
        TransformerKind::Join => {
            let mut sep = Vec::new();
            if !targ_values(args.first()?, ev, &mut sep) {
                return None;
            }
            let mut items = Vec::new();
            if !targ_values(args.get(1)?, ev, &mut items) {
                return None;
            }
            let items: Vec<String> = items.iter().map(|v| v.to_string()).collect();
            let sep = sep.first().map(|s| s.to_string()).unwrap_or_default();
            Some(Value::Str(Cow::Owned(items.join(&sep))))
        }
        TransformerKind::Concat => {
            let mut out = String::new();
            for a in args {
                let mut vals = Vec::new();
                if !targ_values(a, ev, &mut vals) {
                    return None;
                }
                for v in vals {
                    out.push_str(&v.to_string());
                }
            }
            Some(Value::Str(Cow::Owned(out)))
        }
        TransformerKind::GetOpt => {
            let mut argv = Vec::new();
            if !targ_values(args.first()?, ev, &mut argv) {
                return None;
            }
            let mut opts = Vec::new();
            if !targ_values(args.get(1)?, ev, &mut opts) {
                return None;
            }
            let argv: Vec<String> = argv.iter().flat_map(|v| split_args(v)).collect();
            let optstring = opts.first().map(|v| v.to_string()).unwrap_or_default();
            let opt = ops::getopt_selector(arg?).ok()?;
            ops::getopt_select(&argv, &optstring, opt).map(|s| Value::Str(Cow::Owned(s)))
        }
    }
}

/// `proc.args` arrives as one string in flat events: split it on blanks for getopt.
fn split_args(v: &Value<'_>) -> Vec<String> {
    match v {
        Value::Str(s) => s.split_whitespace().map(str::to_string).collect(),
        other => vec![other.to_string()],
    }
}

impl Node {
    /// Evaluates the condition on an event.
    pub fn eval(&self, ev: &dyn Event) -> bool {
        match self {
            Node::And(v) => v.iter().all(|n| n.eval(ev)),
            Node::Or(v) => v.iter().any(|n| n.eval(ev)),
            Node::Not(n) => !n.eval(ev),
            Node::Check(c) => c.eval(ev),
        }
    }
}

impl CheckNode {
    fn eval(&self, ev: &dyn Event) -> bool {
        let Some(v) = self.lhs.extract(ev) else {
            return false;
        };
        if self.op == BaseOp::Exists {
            return true;
        }
        match (&self.lhs, v) {
            (Extractor::Either(..), Value::List(items)) => {
                if self.op == BaseOp::Ne {
                    items.iter().all(|x| self.cmp_one(x, ev))
                } else {
                    items.iter().any(|x| self.cmp_one(x, ev))
                }
            }
            (Extractor::Field(f), Value::List(items)) if f.all_levels => {
                items.iter().any(|x| self.cmp_one(x, ev))
            }
            (_, Value::List(items)) => self.cmp_list(&items, ev),
            (_, v) => self.cmp_one(&v, ev),
        }
    }

    /// A list-valued field: `in` is a subset test, `intersects` an overlap test.
    fn cmp_list(&self, items: &[Value<'_>], ev: &dyn Event) -> bool {
        match self.op {
            BaseOp::In => !items.is_empty() && items.iter().all(|x| self.cmp_one(x, ev)),
            BaseOp::Intersects => items.iter().any(|x| self.cmp_one(x, ev)),
            _ => false,
        }
    }

    fn cmp_one(&self, v: &Value<'_>, ev: &dyn Event) -> bool {
        match &self.rhs {
            RhsNode::None => true,
            RhsNode::One(c) => cmp(self.op, v, c),
            RhsNode::StrSet(set) => match v {
                Value::Str(s) => set.contains(ops::c_str(s)),
                other => set.contains(&other.to_string()),
            },
            RhsNode::Paths(p) => match v {
                Value::Str(s) => p.matches(s),
                _ => false,
            },
            RhsNode::Many(cs) => match self.modifier {
                None | Some(Modifier::AnyOf) => {
                    let op = list_elem_op(self.op);
                    cs.iter().any(|c| cmp(op, v, c))
                }
                Some(Modifier::AllOf) => !cs.is_empty() && cs.iter().all(|c| cmp(self.op, v, c)),
                Some(Modifier::OneOf) => {
                    cs.iter().filter(|c| cmp(self.op, v, c)).take(2).count() == 1
                }
            },
            RhsNode::Field(e) => {
                let Some(r) = e.extract(ev) else {
                    return false;
                };
                match r {
                    Value::List(items) => items.iter().any(|r| cmp_values(self.op, v, r)),
                    r => cmp_values(self.op, v, &r),
                }
            }
        }
    }
}

/// `in`/`intersects` compare each element for equality.
fn list_elem_op(op: BaseOp) -> BaseOp {
    match op {
        BaseOp::In | BaseOp::Intersects => BaseOp::Eq,
        other => other,
    }
}

fn as_int(v: &Value<'_>) -> Option<i128> {
    match v {
        Value::Int(i) => Some(*i as i128),
        Value::Uint(u) => Some(*u as i128),
        Value::Bool(b) => Some(*b as i128),
        Value::Str(s) => ops::parse_int(s).ok().map(|i| i as i128),
        _ => None,
    }
}

fn ord_result(op: BaseOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        BaseOp::Eq | BaseOp::EqEq | BaseOp::In | BaseOp::Intersects => o == Equal,
        BaseOp::Ne => o != Equal,
        BaseOp::Lt => o == Less,
        BaseOp::Le => o != Greater,
        BaseOp::Gt => o == Greater,
        BaseOp::Ge => o != Less,
        _ => false,
    }
}

/// Compares an extracted value with a constant.
pub fn cmp(op: BaseOp, v: &Value<'_>, c: &Const) -> bool {
    match c {
        Const::Str(t) => {
            let s: Cow<'_, str> = match v {
                Value::Str(s) => Cow::Borrowed(ops::c_str(s)),
                other => Cow::Owned(other.to_string()),
            };
            cmp_str(op, &s, ops::c_str(t))
        }
        Const::Glob(g) => match v {
            Value::Str(s) => g.matches(ops::c_str(s)),
            other => g.matches(&other.to_string()),
        },
        Const::Regex(r) => match v {
            Value::Str(s) => r.is_match(s),
            other => r.is_match(&other.to_string()),
        },
        Const::Int(n) => match as_int(v) {
            Some(x) => ord_result(op, x.cmp(n)),
            None => false,
        },
        Const::Bool(b) => match v {
            Value::Bool(x) => ord_result(op, x.cmp(b)),
            Value::Str(s) => match s.as_ref() {
                "true" => ord_result(op, true.cmp(b)),
                "false" => ord_result(op, false.cmp(b)),
                _ => false,
            },
            _ => false,
        },
        Const::Ip(ip) => match ip_of(v) {
            Some(x) => match op {
                BaseOp::Eq | BaseOp::EqEq | BaseOp::In | BaseOp::Intersects => x == *ip,
                BaseOp::Ne => x != *ip,
                _ => false,
            },
            None => false,
        },
        Const::Net(net) => match ip_of(v) {
            Some(x) => match op {
                BaseOp::Eq | BaseOp::EqEq | BaseOp::In | BaseOp::Intersects => net.contains(x),
                BaseOp::Ne => !net.contains(x),
                _ => false,
            },
            None => false,
        },
        Const::Bytes(b) => {
            let owned;
            let hay: &[u8] = match v {
                Value::Str(s) => s.as_bytes(),
                other => {
                    owned = other.to_string();
                    owned.as_bytes()
                }
            };
            match op {
                BaseOp::BContains | BaseOp::Contains => {
                    b.is_empty() || hay.windows(b.len()).any(|w| w == b.as_slice())
                }
                BaseOp::BStartsWith | BaseOp::StartsWith => hay.starts_with(b),
                BaseOp::EndsWith => hay.ends_with(b),
                BaseOp::Eq | BaseOp::EqEq | BaseOp::In | BaseOp::Intersects => hay == b.as_slice(),
                BaseOp::Ne => hay != b.as_slice(),
                _ => false,
            }
        }
    }
}

fn ip_of(v: &Value<'_>) -> Option<IpAddr> {
    match v {
        Value::Ip(ip) => Some(*ip),
        Value::Str(s) => s.parse().ok(),
        _ => None,
    }
}

/// String comparison with Falco's operators (C-string semantics already applied).
pub fn cmp_str(op: BaseOp, s: &str, t: &str) -> bool {
    match op {
        BaseOp::Eq | BaseOp::EqEq | BaseOp::In | BaseOp::Intersects => s == t,
        BaseOp::Ne => s != t,
        BaseOp::Contains => s.contains(t),
        BaseOp::IContains => ops::icontains(s, t),
        BaseOp::StartsWith => s.starts_with(t),
        BaseOp::EndsWith => s.ends_with(t),
        BaseOp::Glob => ops::fnmatch(t, s, false),
        BaseOp::IGlob => ops::fnmatch(t, s, true),
        BaseOp::Lt | BaseOp::Le | BaseOp::Gt | BaseOp::Ge => ord_result(op, s.cmp(t)),
        BaseOp::BContains => s.contains(t),
        BaseOp::BStartsWith => s.starts_with(t),
        // pmatch always compiles to a prefix set (RhsNode::Paths), never to a single string.
        BaseOp::PMatch => false,
        BaseOp::Regex | BaseOp::Exists => false,
    }
}

/// Compares two extracted values (right-hand-side fields): numerically when both are numbers, else as text.
fn cmp_values(op: BaseOp, a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Int(_) | Value::Uint(_), Value::Int(_) | Value::Uint(_)) => {
            match (as_int(a), as_int(b)) {
                (Some(x), Some(y)) => ord_result(op, x.cmp(&y)),
                _ => false,
            }
        }
        _ => cmp_str(op, ops::c_str(&a.to_string()), ops::c_str(&b.to_string())),
    }
}
