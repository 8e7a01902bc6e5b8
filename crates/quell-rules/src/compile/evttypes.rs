//! Which event types a condition can match, from its `evt.type` checks (libsinsp
//! `ppm_codes.cpp` semantics): `=`/`in` give a set, `!=` its complement, `and`
//! intersects, `or` unites, `not` complements; any other check allows every type.

use std::collections::BTreeSet;

use crate::syntax::{BaseOp, Check, Expr, Operand, Rhs};

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
    /// Falco warns when a rule matches more than 100 event types, and also when it
    /// matches none (`evttypes.empty() || evttypes.size() > 100` in Falco's compiler).
    pub fn too_many(&self) -> bool {
        match self {
            EvtTypes::Only(s) => s.is_empty() || s.len() > 100,
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
