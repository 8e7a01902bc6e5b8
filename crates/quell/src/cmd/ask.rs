//! `quell ask`: a question in English or Japanese about the alerts in an events file,
//! answered by quell-assist from quell's own results; with `--llm-url`, a model writes the
//! prose and quell-assist's model module checks it. Options and rendering only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use quell_assist::{Assistant, Question};
use quell_events::term::escape;
use quell_triage::Lang;

use crate::cli::{InputOpts, LlmOpts};
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
    llm: &LlmOpts,
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
    let q = Question {
        text: question,
        about,
        lang,
    };
    let (answer, model) = match llm_config(llm)? {
        None => (a.ask(&q), None),
        Some(cfg) => {
            let m = quell_assist::model::ask(&a, &cfg, &q);
            (m.answer, Some(m.model))
        }
    };
    if let Some(f) = model.as_ref().and_then(|m| m.fallback.as_ref()) {
        crate::note!("quell ask: {}: {}", f.code, escape(&f.reason));
    }
    let mut out = Out::new();
    if json {
        let j = match model {
            Some(model) => serde_json::to_string(&quell_assist::model::ModelAnswer {
                answer: answer.clone(),
                model,
            })?,
            None => serde_json::to_string(&answer)?,
        };
        writeln!(out, "{j}")?;
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

/// The model's configuration from `--llm-*` (`None` without `--llm-url`).
fn llm_config(o: &LlmOpts) -> Result<Option<quell_assist::model::ModelConfig>> {
    use quell_assist::model;
    let (Some(url), Some(name)) = (&o.llm_url, &o.llm_model) else {
        return Ok(None);
    };
    let diag = |d: quell_assist::Diag| anyhow::anyhow!("{}: {}", d.code, d.message);
    let mut cfg = model::ModelConfig::new(url, name).map_err(diag)?;
    cfg.key = model::read_key(o.llm_key_file.as_deref()).map_err(diag)?;
    cfg.timeout = model::parse_timeout(&o.llm_timeout).map_err(diag)?;
    Ok(Some(cfg))
}
