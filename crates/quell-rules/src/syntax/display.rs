//! Falco's canonical string form (libsinsp `ast::as_string`), as `Display`.
//!
//! | node | rendering |
//! |---|---|
//! | `and` / `or` | `(a and b and c)` / `(a or b)` |
//! | `not` | `not ` + child |
//! | identifier | as written |
//! | value | [`escape_str`] |
//! | list | `(a, b)` (each item through [`escape_str`]) |
//! | check | `lhs op` / `lhs op rhs`; a modifier prints as `== oneof` |
//! | field | `name` or `name[arg]` (arg through [`escape_str`], omitted when empty) |
//! | transformer | `name(a,b)` / `name(a,b)[arg]`, no space after commas; `val(f)` likewise |
//! | transformer list | `(a,b)`, no space after commas |
//!
//! Rendering is a pure function of the tree, so `display(parse(display(t)))`
//! equals `display(t)` whenever the rendered values re-lex as themselves
//! (Falco leaves empty values and bare values containing `(`, `)` or `,`
//! unquoted, which do not; and a value ending in a backslash prints as
//! `"...\\"`, whose closing quote follows a backslash and so, in libsinsp's
//! lexer, does not close the string).

use std::fmt::{self, Display, Formatter, Write};

use super::ast::{Check, Expr, Op, Operand, Rhs, TArg};
use super::escape::escape_str;

fn join<T: Display>(f: &mut Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{it}")?;
    }
    Ok(())
}

fn bracket_arg(f: &mut Formatter<'_>, arg: &Option<String>) -> fmt::Result {
    match arg {
        Some(a) if !a.is_empty() => {
            f.write_char('[')?;
            f.write_str(&escape_str(a))?;
            f.write_char(']')
        }
        _ => Ok(()),
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(children) => {
                f.write_char('(')?;
                join(f, children, " and ")?;
                f.write_char(')')
            }
            Expr::Or(children) => {
                f.write_char('(')?;
                join(f, children, " or ")?;
                f.write_char(')')
            }
            Expr::Not(child) => write!(f, "not {child}"),
            Expr::Ident { name, .. } => f.write_str(name),
            Expr::Check(c) => c.fmt(f),
        }
    }
}

impl Display for Check {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.lhs, self.op)?;
        match &self.rhs {
            Rhs::None => Ok(()),
            rhs => write!(f, " {rhs}"),
        }
    }
}

impl Display for Op {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.base.as_str())?;
        if let Some(m) = self.modifier {
            f.write_char(' ')?;
            f.write_str(m.as_str())?;
        }
        Ok(())
    }
}

impl Display for Operand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field { name, arg, .. } => {
                f.write_str(name)?;
                bracket_arg(f, arg)
            }
            Operand::Transformer {
                kind, args, arg, ..
            } => {
                f.write_str(kind.as_str())?;
                f.write_char('(')?;
                join(f, args, ",")?;
                f.write_char(')')?;
                bracket_arg(f, arg)
            }
        }
    }
}

impl Display for TArg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TArg::Operand(o) => o.fmt(f),
            TArg::Value(v) => f.write_str(&escape_str(v)),
            TArg::List(items) => {
                f.write_char('(')?;
                join(f, items, ",")?;
                f.write_char(')')
            }
        }
    }
}

impl Display for Rhs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::None => Ok(()),
            Rhs::Value(v) => f.write_str(&escape_str(v)),
            Rhs::List(values) => {
                f.write_char('(')?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&escape_str(v))?;
                }
                f.write_char(')')
            }
            Rhs::Operand(o) => o.fmt(f),
        }
    }
}
