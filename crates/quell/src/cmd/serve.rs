//! `quell serve` and `quell token new`: options in, quell-server's library does the work.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use quell_server::{Config, ServeOptions};
use quell_store::Role;

/// The store's default file: `$XDG_DATA_HOME/quell/quell.db`, else
/// `$HOME/.local/share/quell/quell.db`; its directory is created.
pub fn default_db() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })
        .context("no data directory: set HOME or XDG_DATA_HOME, or give --db PATH")?;
    let dir = base.join("quell");
    std::fs::create_dir_all(&dir).with_context(|| {
        format!(
            "cannot create {}",
            quell_events::term::escape(&dir.display().to_string())
        )
    })?;
    Ok(dir.join("quell.db"))
}

fn db_spec(db: Option<&Path>) -> Result<String> {
    let path = match db {
        Some(p) => p.to_path_buf(),
        None => default_db()?,
    };
    Ok(path.to_string_lossy().into_owned())
}

/// Runs `quell serve`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    listen: SocketAddr,
    db: Option<&Path>,
    retention: Option<std::time::Duration>,
    rules: &[PathBuf],
    default_rules: bool,
    max_body_bytes: usize,
    tls: Option<(PathBuf, PathBuf)>,
    llm: &crate::cli::LlmOpts,
    mut mcp_allowed_hosts: Vec<String>,
) -> Result<ExitCode> {
    let llm = crate::cmd::ask::llm_config(llm)?;
    let model_note = llm.as_ref().map(|m| {
        format!(
            "quell serve: assistant model {} at {} (optional; its answers are checked, quell's verdict stays; quell's own answer if it fails)",
            quell_events::term::escape(&m.model),
            quell_events::term::escape(&m.url)
        )
    });
    // `/mcp` accepts the address the server listens on as a `Host` too, when it is a
    // specific one (not loopback, named already, nor the unspecified 0.0.0.0 / ::).
    if !listen.ip().is_loopback() && !listen.ip().is_unspecified() {
        mcp_allowed_hosts.push(listen.ip().to_string());
    }
    // The rules triage uses; checked before the server starts: invalid rules stop it here.
    let engine = crate::ruleset::load(rules, default_rules)?;
    // The same files, as the base files of the server's rule-set versions.
    let base_rules = crate::cmd::tune::rules_files(rules, default_rules)?
        .into_iter()
        .map(|f| (f.name, f.text))
        .collect();
    let db = db_spec(db)?;
    if !listen.ip().is_loopback() {
        crate::note!(
            "quell serve: listening on {listen}, reachable from other machines; every request but /healthz needs a token"
        );
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    let options = ServeOptions {
        tls,
        listen,
        db: db.clone(),
        config: Config {
            max_body_bytes,
            rules: std::sync::Arc::new(engine),
            base_rules,
            llm,
            mcp_allowed_hosts,
            ..Config::default()
        },
        retention,
    };
    quell_server::run(options, |ready| {
        let addr = ready.addr;
        crate::note!(
            "quell serve: listening on {scheme}://{addr} (store {}); SIGTERM or Ctrl-C stops it",
            quell_events::term::escape(&quell_store::redacted(&db))
        );
        crate::note!("quell serve: console: {scheme}://{addr}/");
        if let Some(n) = &model_note {
            crate::note!("{n}");
        }
        match ready.first_admin_token {
            Some(token) => crate::note!(
                "quell serve: first admin token (shown only now; the store keeps only its hash; sign in to the console with it): {token}"
            ),
            None => crate::note!(
                "quell serve: sign in to the console with an admin or viewer token (make one with `quell token new --role admin`)"
            ),
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `quell token new`: prints the token once, on standard output.
pub fn new_token(db: Option<&Path>, role: Role, name: Option<&str>) -> Result<ExitCode> {
    let db = db_spec(db)?;
    let name = name.unwrap_or(role.as_str());
    let actor = std::env::var("USER").unwrap_or_else(|_| "quell token new".to_string());
    let created = quell_server::new_token(&db, name, role, &actor)?;
    let mut out = crate::output::Out::new();
    use std::io::Write;
    writeln!(out, "{}", created.token)?;
    out.flush()?;
    crate::note!(
        "quell token new: token {} (id {}, role {}); it is shown only now: the store keeps only its hash",
        quell_events::term::escape(name),
        created.info.id,
        role.as_str()
    );
    Ok(ExitCode::SUCCESS)
}
