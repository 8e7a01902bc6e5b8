//! Command-line options and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::cmd;

/// quell: Falco-compatible runtime security that explains and tunes its own alerts.
#[derive(Parser, Debug)]
#[command(name = "quell", version, about, propagate_version = true)]
#[command(after_help = "Examples:
  quell validate /etc/falco/falco_rules.yaml /etc/falco/falco_rules.local.yaml
  quell replay events.jsonl                        # the bundled default ruleset
  quell replay -r falco_rules.yaml --json events.jsonl
  quell rules -r falco_rules.yaml 'Clear Log Activities'

Exit status: 0 success; 1 invalid rules, an error, or (validate) a file with errors; 2 usage error.")]
pub struct Opts {
    #[command(subcommand)]
    pub command: Command,
}

/// Which rules stop the evaluation of an event.
#[derive(Clone, Copy, Debug, ValueEnum, Default)]
pub enum Matching {
    /// Stop at the first matching rule (Falco's default).
    #[default]
    First,
    /// Report every matching rule.
    All,
}

impl From<Matching> for quell_rules::engine::RuleMatching {
    fn from(m: Matching) -> Self {
        match m {
            Matching::First => quell_rules::engine::RuleMatching::First,
            Matching::All => quell_rules::engine::RuleMatching::All,
        }
    }
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load rules files in order, as Falco does, and report every error and warning.
    Validate {
        /// Print Falco's `falco -V` JSON (`{"falco_load_results": [...]}`).
        #[arg(long)]
        json: bool,
        /// Rules files, loaded in this order (later files append to or override earlier ones).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Evaluate recorded events (flat JSON Lines, or Falco JSON alerts) against rules and print alerts.
    Replay {
        /// A rules file; repeat to load several in order. Without it, quell's bundled default ruleset.
        #[arg(short = 'r', long = "rules")]
        rules: Vec<PathBuf>,
        /// Load quell's bundled default ruleset first, then the `-r` files (to tune the defaults with a local file).
        #[arg(long)]
        default_rules: bool,
        /// Stop at the first matching rule per event, or report them all.
        #[arg(long, value_enum, default_value_t = Matching::First)]
        rule_matching: Matching,
        /// Print alerts as Falco JSON, one per line.
        #[arg(long)]
        json: bool,
        /// Stop at the first bad event line instead of skipping it.
        #[arg(long)]
        strict: bool,
        /// Events file (JSON Lines); `-` or nothing reads standard input.
        events: Option<PathBuf>,
    },
    /// Capture live syscalls with eBPF (root) and print alerts: the whole host until
    /// SIGINT/SIGTERM, or only the process tree of `-- CMD ARGS...` until CMD exits.
    Run {
        /// A rules file; repeat to load several in order. Without it, quell's bundled default ruleset.
        #[arg(short = 'r', long = "rules")]
        rules: Vec<PathBuf>,
        /// Print alerts as Falco JSON, one per line.
        #[arg(long)]
        json: bool,
        /// Also write every captured event to FILE as flat JSON Lines (what `quell replay` reads).
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// Stop at the first matching rule per event, or report them all.
        #[arg(long, value_enum, default_value_t = Matching::First)]
        rule_matching: Matching,
        /// The command to start and watch (after `--`).
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// List the loaded rules, or show one rule's compiled condition.
    Rules {
        /// A rules file; repeat to load several in order. Without it, quell's bundled default ruleset.
        #[arg(short = 'r', long = "rules")]
        rules: Vec<PathBuf>,
        /// Load quell's bundled default ruleset first, then the `-r` files.
        #[arg(long)]
        default_rules: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// A rule name: show its compiled condition (after exceptions, lists and macros).
        name: Option<String>,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let opts = Opts::parse();
    let result = match opts.command {
        Command::Validate { json, files } => cmd::validate::run(&files, json),
        Command::Replay { rules, default_rules, rule_matching, json, strict, events } => {
            cmd::replay::run(&rules, default_rules, rule_matching.into(), json, strict, events.as_deref())
        }
        Command::Rules { rules, default_rules, json, name } => {
            cmd::rules::run(&rules, default_rules, json, name.as_deref())
        }
        Command::Run { rules, json, record, rule_matching, command } => {
            cmd::run::run(&rules, rule_matching.into(), json, record.as_deref(), &command)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("quell: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .map(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            .unwrap_or(false)
    })
}
