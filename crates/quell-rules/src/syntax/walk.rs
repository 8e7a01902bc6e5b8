//! Traversal helpers on the syntax tree.

use super::ast::{Check, Expr, Pos};

impl Expr {
    /// Visits every node, parents before children, left to right.
    pub fn walk(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::And(children) | Expr::Or(children) => {
                for c in children {
                    c.walk(f);
                }
            }
            Expr::Not(child) => child.walk(f),
            Expr::Ident { .. } | Expr::Check(_) => {}
        }
    }

    /// Visits every field check, left to right.
    pub fn walk_checks(&self, f: &mut impl FnMut(&Check)) {
        self.walk(&mut |e| {
            if let Expr::Check(c) = e {
                f(c);
            }
        });
    }

    /// The bare identifiers (macro references), in source order, with their positions.
    /// Identifiers used as values (`in my_list`) are not included.
    pub fn idents(&self) -> Vec<(&str, Pos)> {
        let mut out = Vec::new();
        self.collect_idents(&mut out);
        out
    }

    fn collect_idents<'a>(&'a self, out: &mut Vec<(&'a str, Pos)>) {
        match self {
            Expr::And(children) | Expr::Or(children) => {
                for c in children {
                    c.collect_idents(out);
                }
            }
            Expr::Not(child) => child.collect_idents(out),
            Expr::Ident { name, pos } => out.push((name.as_str(), *pos)),
            Expr::Check(_) => {}
        }
    }
}
