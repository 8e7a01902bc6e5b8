//! One module per subcommand.
pub mod replay;
pub mod rules;
pub mod run;
pub mod validate;
