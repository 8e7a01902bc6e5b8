//! One module per subcommand.
pub mod ask;
pub mod demo;
pub mod mcp;
pub mod replay;
pub mod rules;
pub mod run;
pub mod serve;
pub mod triage;
pub mod tune;
pub mod validate;
