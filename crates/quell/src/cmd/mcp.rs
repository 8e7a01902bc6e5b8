//! `quell mcp`: quell's MCP tools over stdin/stdout (quell-mcp). Options only: the tools,
//! the protocol and the bounds are quell-mcp's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use quell_mcp::{FileBackend, Recorded};

use crate::cli::InputOpts;
use crate::input::read_records;

/// Runs `quell mcp` until the client closes stdin.
pub fn run(
    rules: &[PathBuf],
    default_rules: bool,
    events: Option<&Path>,
    input: &InputOpts,
) -> Result<ExitCode> {
    quell_triage::signals::table()?;
    let files = crate::cmd::tune::rules_files(rules, default_rules)?;
    // The rules must load: a server whose every tool fails is no use.
    quell_triage::verify::load_rules(&files)?;
    let records = match events {
        Some(p) => read_records(p, "events", input)?,
        None => Vec::new(),
    };
    crate::note!(
        "quell mcp: serving {} rules file(s){} on stdio",
        files.len(),
        match events {
            Some(p) => format!(" and {} records of {}", records.len(), p.display()),
            None => String::new(),
        }
    );
    let backend = FileBackend {
        recorded: Arc::new(Recorded {
            rules: files,
            records,
            hostname: crate::alerts::host_name(),
        }),
        events_name: events.map(|p| p.display().to_string()),
    };
    quell_mcp::run_stdio(Arc::new(backend)).map_err(|e| anyhow!("quell mcp: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
