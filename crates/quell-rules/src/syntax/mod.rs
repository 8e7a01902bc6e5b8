//! The condition language: parser, syntax tree and canonical string form.
pub mod ast;
pub use ast::*;
