//! `quell demo`: placeholder replaced below.
use std::process::ExitCode;
/// Runs `quell demo`.
pub fn run(_recorded: bool, _lang: &str) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the demo recording is not bundled yet")
}
