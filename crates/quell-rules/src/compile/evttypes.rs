//! Which event types a condition can match, from its `evt.type` checks (libsinsp
//! `ppm_codes.cpp` semantics): `=`/`in` give a set, `!=` its complement, `and`
//! intersects, `or` unites, `not` complements; a check on `evt.num` that its runtime
//! invariant (it starts at 1) decides is no type (`evt.num = 0`, never true) or every
//! type (`evt.num != 0`, always true); any other check allows every type.

use std::collections::BTreeSet;

use crate::syntax::{BaseOp, Check, Expr, Operand, Rhs};

/// An event type as an integer: its index in the table of event types Falco knows (the
/// engine indexes its rules with it, without hashing the name for every event).
pub type EvtTypeId = u16;

/// The id of an event type name, or `None` for a name Falco does not know.
pub fn type_id(name: &str) -> Option<EvtTypeId> {
    super::evttypes_table::EVENT_TYPES
        .binary_search(&name)
        .ok()
        .and_then(|i| EvtTypeId::try_from(i).ok())
}

/// The name of an event type id.
pub fn type_name(id: EvtTypeId) -> Option<&'static str> {
    super::evttypes_table::EVENT_TYPES
        .get(usize::from(id))
        .copied()
}

/// How many event type ids there are (ids are `0..type_count()`).
pub fn type_count() -> usize {
    super::evttypes_table::EVENT_TYPES.len()
}

/// A set of event types, closed under complement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvtTypes {
    /// Exactly these types.
    Only(BTreeSet<String>),
    /// Every type except these (an empty set: no restriction).
    AllBut(BTreeSet<String>),
}

impl EvtTypes {
    /// Every event type.
    pub fn all() -> Self {
        EvtTypes::AllBut(BTreeSet::new())
    }
    /// Whether an event of type `t` can match.
    pub fn contains(&self, t: &str) -> bool {
        match self {
            EvtTypes::Only(s) => s.contains(t),
            EvtTypes::AllBut(s) => !s.contains(t),
        }
    }
    /// No event type.
    pub fn none() -> Self {
        EvtTypes::Only(BTreeSet::new())
    }
    /// No restriction at all.
    pub fn is_all(&self) -> bool {
        matches!(self, EvtTypes::AllBut(s) if s.is_empty())
    }
    /// Falco warns when a rule matches more than 100 event types. Since engine 0.63 an
    /// empty set (a condition that can never be true, such as the `never_true`
    /// placeholder idiom) no longer warns (falco commit 188630e2, "do not emit
    /// LOAD_NO_EVTTYPE for unsatisfiable conditions"); before, it did.
    pub fn too_many(&self) -> bool {
        match self {
            EvtTypes::Only(s) => s.len() > 100,
            EvtTypes::AllBut(s) => {
                super::evttypes_table::EVENT_TYPES
                    .len()
                    .saturating_sub(s.len())
                    > 100
            }
        }
    }
    /// The complement.
    pub fn complement(self) -> Self {
        match self {
            EvtTypes::Only(s) => EvtTypes::AllBut(s),
            EvtTypes::AllBut(s) => EvtTypes::Only(s),
        }
    }
    /// Intersection.
    pub fn and(self, o: Self) -> Self {
        use EvtTypes::*;
        match (self, o) {
            (Only(a), Only(b)) => Only(a.intersection(&b).cloned().collect()),
            (Only(a), AllBut(b)) | (AllBut(b), Only(a)) => {
                Only(a.difference(&b).cloned().collect())
            }
            (AllBut(a), AllBut(b)) => AllBut(a.union(&b).cloned().collect()),
        }
    }
    /// Union.
    pub fn or(self, o: Self) -> Self {
        self.complement().and(o.complement()).complement()
    }
    /// The names, when the set is finite.
    pub fn names(&self) -> Option<&BTreeSet<String>> {
        match self {
            EvtTypes::Only(s) => Some(s),
            EvtTypes::AllBut(_) => None,
        }
    }
}

fn is_evt_type(c: &Check) -> bool {
    matches!(&c.lhs, Operand::Field { name, arg: None, .. } if name == "evt.type")
}

/// An unsigned literal as libsinsp's `tryparseu64` (`sscanf("%" PRIu64 "%c")`) reads
/// it: leading blanks, an optional sign (a minus wraps around), decimal digits, nothing
/// after them.
fn parse_u64_like_sscanf(v: &str) -> Option<u64> {
    let t = v.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.parse::<u64>().unwrap_or(u64::MAX);
    Some(if neg { n.wrapping_neg() } else { n })
}

/// `evt.num` starts at 1 for every event (libsinsp `ppm_codes.cpp`,
/// `evaluate_field_invariant`): `Some(false)` for a check that is never true,
/// `Some(true)` for one always true, `None` when the invariant does not decide.
fn evt_num_invariant(c: &Check) -> Option<bool> {
    if !matches!(&c.lhs, Operand::Field { name, arg: None, .. } if name == "evt.num")
        || c.op.modifier.is_some()
    {
        return None;
    }
    match (&c.op.base, &c.rhs) {
        (BaseOp::In, Rhs::List(items)) => items
            .iter()
            .all(|v| parse_u64_like_sscanf(v) == Some(0))
            .then_some(false),
        (op, Rhs::Value(v)) => {
            let n = parse_u64_like_sscanf(v)?;
            match op {
                BaseOp::Eq | BaseOp::EqEq if n == 0 => Some(false),
                BaseOp::Ne if n == 0 => Some(true),
                BaseOp::Lt if n <= 1 => Some(false),
                BaseOp::Le if n == 0 => Some(false),
                BaseOp::Gt if n == 0 => Some(true),
                BaseOp::Ge if n <= 1 => Some(true),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The event types an expanded condition can match. Negations are pushed down
/// (De Morgan), so that a check on another field never narrows the set.
pub fn extract(e: &Expr) -> EvtTypes {
    extract_neg(e, false)
}

fn extract_neg(e: &Expr, neg: bool) -> EvtTypes {
    match e {
        Expr::And(v) if !neg => v
            .iter()
            .map(|x| extract_neg(x, false))
            .fold(EvtTypes::all(), EvtTypes::and),
        Expr::And(v) => v
            .iter()
            .map(|x| extract_neg(x, true))
            .fold(EvtTypes::none(), EvtTypes::or),
        Expr::Or(v) if !neg => v
            .iter()
            .map(|x| extract_neg(x, false))
            .fold(EvtTypes::none(), EvtTypes::or),
        Expr::Or(v) => v
            .iter()
            .map(|x| extract_neg(x, true))
            .fold(EvtTypes::all(), EvtTypes::and),
        Expr::Not(inner) => extract_neg(inner, !neg),
        Expr::Ident { .. } => EvtTypes::all(),
        Expr::Check(c) => {
            if let Some(always) = evt_num_invariant(c) {
                let set = if always {
                    EvtTypes::all()
                } else {
                    EvtTypes::none()
                };
                return if neg { set.complement() } else { set };
            }
            if !is_evt_type(c) || c.op.modifier.is_some() {
                return EvtTypes::all();
            }
            let values: BTreeSet<String> = match &c.rhs {
                Rhs::Value(v) => [v.clone()].into(),
                Rhs::List(v) => v.iter().cloned().collect(),
                _ => return EvtTypes::all(),
            };
            let set = match c.op.base {
                BaseOp::Eq | BaseOp::EqEq | BaseOp::In | BaseOp::Intersects => {
                    EvtTypes::Only(values)
                }
                BaseOp::Ne => EvtTypes::AllBut(values),
                _ => return EvtTypes::all(),
            };
            if neg {
                set.complement()
            } else {
                set
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(cond: &str) -> EvtTypes {
        extract(&crate::syntax::parse(cond).expect("parses"))
    }

    #[test]
    fn evt_num_invariant_as_libsinsp() {
        for never in [
            "evt.num = 0",
            "evt.num == 00",
            "evt.num < 1",
            "evt.num <= 0",
            "evt.num in (0, -0, +0)",
            "evt.num = ' 0'",
            "evt.type = open and evt.num = 0",
            "not evt.num != 0",
            "not evt.num >= 1",
        ] {
            assert_eq!(types(never), EvtTypes::none(), "{never}");
        }
        for all in [
            "evt.num != 0",
            "evt.num > 0",
            "evt.num >= 1",
            "not evt.num = 0",
        ] {
            assert!(types(all).is_all(), "{all}");
        }
        for undecided in [
            "evt.num = 1",
            "evt.num = -1",
            "evt.num < 2",
            "evt.num in (0, 1)",
            "evt.num = 0x0",
            "evt.num = '0 '",
            "evt.num[0] = 0",
            "evt.num = proc.pid",
        ] {
            assert!(types(undecided).is_all(), "{undecided}");
        }
        assert_eq!(
            types("evt.type = open and not evt.num = 0"),
            EvtTypes::Only(["open".to_string()].into())
        );
    }
}
