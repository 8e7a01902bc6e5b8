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
    let value = match model {
        Some(model) => serde_json::to_value(quell_assist::model::ModelAnswer { answer, model })?,
        None => serde_json::to_value(&answer)?,
    };
    render(&value, json)
}

/// Runs `quell ask --server URL --token-file F`: the question to the server's
/// `POST /api/v1/assistant` (through quell-sensor's client, as `quell run --server`),
/// rendered as the file path's answer is.
pub fn run_server(
    server: &str,
    token_file: &Path,
    about: Option<&str>,
    lang: Option<Lang>,
    json: bool,
    question: &str,
) -> Result<ExitCode> {
    let token = crate::ruleset::read(token_file)?;
    let client = quell_sensor::Client::new(server, &token, None)?;
    let mut body = serde_json::json!({ "question": question });
    if let Some(a) = about.map(str::trim) {
        body["about"] = if let Ok(id) = a.parse::<i64>() {
            serde_json::json!({ "alert_id": id })
        } else if let Some(id) = a
            .strip_prefix("cluster:")
            .and_then(|c| c.trim().parse::<i64>().ok())
        {
            serde_json::json!({ "cluster_id": id })
        } else {
            serde_json::json!({ "filter": a })
        };
    }
    if let Some(l) = lang {
        body["lang"] = serde_json::json!(match l {
            Lang::En => "en",
            Lang::Ja => "ja",
        });
    }
    let answer = client
        .post_assistant(&body, std::time::Duration::from_secs(120))
        .map_err(|e| anyhow::anyhow!("{}: {}", escape(server), escape(&e.to_string())))?;
    render(&answer, json)
}

/// Prints an answer (`quell_assist::Answer` as JSON, from this process or a server): the
/// JSON itself, or its text with the diagnostics on stderr. Exit 1 with diagnostics, or
/// when a pasted exception has problems (as `quell tune --check`).
fn render(answer: &serde_json::Value, json: bool) -> Result<ExitCode> {
    let mut out = Out::new();
    if json {
        writeln!(out, "{}", serde_json::to_string(answer)?)?;
    } else {
        // The answer's untrusted parts are escaped by quell-assist; its layout (newlines)
        // is its own. Diagnostics go to stderr with their codes.
        let text = answer["answer"].as_str().unwrap_or_default();
        write!(out, "{text}")?;
        if !text.ends_with('\n') {
            writeln!(out)?;
        }
    }
    out.flush()?;
    let diagnostics = answer["diagnostics"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    for d in diagnostics {
        crate::note!(
            "quell ask: {}: {}",
            escape(d["code"].as_str().unwrap_or_default()),
            escape(d["message"].as_str().unwrap_or_default())
        );
    }
    // A pasted exception with problems fails as `quell tune --check` does.
    let check_failed = answer["check"]["ok"] == serde_json::json!(false);
    Ok(if diagnostics.is_empty() && !check_failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The model's configuration from `--llm-*` (`None` without `--llm-url`).
pub(crate) fn llm_config(o: &LlmOpts) -> Result<Option<quell_assist::model::ModelConfig>> {
    use quell_assist::model;
    let (Some(url), Some(name)) = (&o.llm_url, &o.llm_model) else {
        return Ok(None);
    };
    let diag = |d: quell_assist::Diag| anyhow::anyhow!("{}: {}", d.code, d.message);
    let mut cfg = model::ModelConfig::new(url, name).map_err(diag)?;
    cfg.key = model::read_key(
        o.llm_key_file.as_deref(),
        std::env::var(model::KEY_ENV).ok(),
    )
    .map_err(diag)?;
    cfg.timeout = model::parse_timeout(&o.llm_timeout).map_err(diag)?;
    Ok(Some(cfg))
}
