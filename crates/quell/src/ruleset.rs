//! Loading rules for a command: the files given with `-r`, in order, or the
//! bundled default ruleset.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use quell_rules::engine::Engine;

/// quell's own default ruleset, bundled into the binary.
pub const DEFAULT_RULES: &str = include_str!("../rules/default_rules.yaml");
/// The name the default ruleset is reported under.
pub const DEFAULT_RULES_NAME: &str = "<bundled>/default_rules.yaml";

/// Loads `files` in order (or the default ruleset when empty; with `with_defaults`,
/// the default ruleset first and then the files). Prints every diagnostic to
/// stderr; fails when any file has an error.
pub fn load(files: &[PathBuf], with_defaults: bool) -> Result<Engine> {
    let mut engine = Engine::new();
    let mut inputs: Vec<(String, String)> = Vec::new();
    if files.is_empty() || with_defaults {
        inputs.push((DEFAULT_RULES_NAME.to_string(), DEFAULT_RULES.to_string()));
    }
    for f in files {
        inputs.push((f.display().to_string(), read(f)?));
    }
    let mut failed = Vec::new();
    for (name, text) in &inputs {
        let res = engine.load(name, text);
        if !res.errors.is_empty() || !res.warnings.is_empty() {
            crate::note!("{}", crate::diagnostics::verbose(&res, &inputs).trim_end());
        }
        if !res.successful {
            failed.push(name.clone());
        }
    }
    if !failed.is_empty() {
        anyhow::bail!(
            "invalid rules in {} (run `quell validate` on it for every problem)",
            quell_events::term::escape(&failed.join(", "))
        );
    }
    Ok(engine)
}

/// Reads a file with an error that names it.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {}",
            quell_events::term::escape(&path.display().to_string())
        )
    })
}
