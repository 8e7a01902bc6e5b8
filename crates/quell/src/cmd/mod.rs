//! One module per subcommand.
pub mod replay;
pub mod rules;
pub mod run;
pub mod validate;
pub mod triage;
pub mod tune;
pub mod demo;
