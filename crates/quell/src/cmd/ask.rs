//! `quell ask`: a question in English or Japanese about the alerts in an events file,
//! answered by quell-assist from quell's own results (no model). Options and rendering only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use quell_assist::{Assistant, Question};
use quell_events::term::escape;
use quell_triage::Lang;

use crate::cli::InputOpts;
use crate::input::read_records;
use crate::output::Out;

/// Runs `quell ask`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    rules: &[PathBuf],
    default_rules: bool,
    events: &Path,
    about: Option<&str>,
    lang: Option<Lang>,
    json: bool,
    input: &InputOpts,
    question: &str,
) -> Result<ExitCode> {
    quell_triage::signals::table()?;
    let files = crate::cmd::tune::rules_files(rules, default_rules)?;
    let records = read_records(events, "events", input)?;
    let host = crate::alerts::host_name();
    let a = Assistant {
        rules: &files,
        records: &records,
        hostname: &host,
    };
    let answer = a.ask(&Question {
        text: question,
        about,
        lang,
    });
    let mut out = Out::new();
    if json {
        writeln!(out, "{}", serde_json::to_string(&answer)?)?;
    } else {
        // The answer's untrusted parts are escaped by quell-assist; its layout (newlines)
        // is its own. Diagnostics go to stderr with their codes.
        write!(out, "{}", answer.answer)?;
        if !answer.answer.ends_with('\n') {
            writeln!(out)?;
        }
    }
    out.flush()?;
    for d in &answer.diagnostics {
        crate::note!("quell ask: {}: {}", d.code, escape(&d.message));
    }
    // A pasted exception with problems fails as `quell tune --check` does.
    let check_failed = answer.check.as_ref().is_some_and(|c| !c.ok);
    Ok(if answer.diagnostics.is_empty() && !check_failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
