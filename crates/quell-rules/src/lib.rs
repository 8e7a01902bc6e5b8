//! # quell-rules: a Falco-compatible rules engine
//!
//! Loads Falco rules files (lists, macros, rules, exceptions, `append`/`override`),
//! compiles their conditions with Falco's semantics and evaluates them against
//! events read through the [`field::Event`] trait.
//!
//! The crate is pure: no file or network I/O, no async, no database. It takes
//! the text of rules files and returns compiled rules and diagnostics as data.
//!
//! Pipeline, one module per stage:
//! - [`load`]: YAML → items, the collector (define, append, override, enable), exceptions
//!   compiled into condition text, lists substituted as text;
//! - [`syntax`]: the condition language (lexer/parser, AST, canonical string form);
//! - [`compile`]: macro resolution on the AST, field resolution against the registry,
//!   operator/type checks, event-type extraction, lowering to an evaluable form;
//! - [`eval`]: rules indexed by event type, evaluated in load order;
//! - [`output`]: `%field` output strings and Falco's JSON alert.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compile;
pub mod diagnostic;
pub mod engine;
pub mod eval;
pub mod field;
pub mod fields_table;
pub mod load;
pub mod ops;
pub mod output;
pub mod prefilter;
pub mod syntax;

pub use diagnostic::{Code, Diagnostic, Location, Position, Severity};
pub use field::{Event, FieldRef, FieldType, Value};
pub use load::yaml;
