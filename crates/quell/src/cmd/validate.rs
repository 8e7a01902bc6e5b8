//! `quell validate`: load rules files in order and report their diagnostics.

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::Write;

use anyhow::Result;
use quell_rules::diagnostic::{Code, LoadResult};
use quell_rules::engine::Engine;
use quell_rules::load::make_diag;

/// Runs `quell validate`.
pub fn run(files: &[PathBuf], json: bool) -> Result<ExitCode> {
    let mut engine = Engine::new();
    let mut results = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let res = match std::fs::read_to_string(f) {
            Ok(text) => {
                texts.push((name.clone(), text.clone()));
                engine.load(&name, &text)
            }
            Err(e) => LoadResult {
                name: name.clone(),
                successful: false,
                errors: vec![make_diag(
                    Code::LoadErrFileRead,
                    format!("Could not read file: {e}"),
                    vec![],
                )],
                warnings: vec![],
                schema_validation: vec![],
            },
        };
        results.push(res);
    }
    let failed = results.iter().any(|r| !r.successful);
    let mut out = crate::output::Out::new();
    if json {
        let arr: Vec<_> = results.iter().map(|r| r.to_json(&texts)).collect();
        writeln!(out, "{}", serde_json::json!({ "falco_load_results": arr }))?;
    } else {
        for r in &results {
            let v = crate::diagnostics::verbose(r, &texts);
            writeln!(out, "{}", v.trim_end())?;
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
