//! The condition language: parser, syntax tree and canonical string form.
//!
//! - [`parse`] / [`parse_with_max_depth`] turn condition text into an [`Expr`]
//!   with libsinsp's grammar, errors ([`ParseError`]) and positions;
//! - `Display` on [`Expr`], [`Check`], [`Operand`], [`Rhs`], [`Op`] and [`TArg`]
//!   gives libsinsp's `ast::as_string` form (Falco's `condition_compiled`);
//! - [`escape_str`] / [`unescape_str`] are libsinsp's value quoting rules;
//! - [`Expr::walk`], [`Expr::walk_checks`] and [`Expr::idents`] traverse the tree.
pub mod ast;
pub mod display;
pub mod escape;
pub mod parser;
mod walk;

pub use ast::*;
pub use escape::{escape_str, unescape_str, EscapeError};
pub use parser::{
    parse, parse_with_max_depth, supported_field_transformers, supported_operators, ParseError,
    DEFAULT_MAX_DEPTH,
};
