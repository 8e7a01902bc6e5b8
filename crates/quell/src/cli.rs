//! Command-line options and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cmd;

/// quell: Falco-compatible runtime security that explains and tunes its own alerts.
#[derive(Parser, Debug)]
#[command(name = "quell", version, propagate_version = true)]
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
/// The format of `quell run --record`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RecordFormat {
    /// Flat JSON Lines (one event per line, Falco field names).
    Jsonl,
    /// A scap capture, as `sysdig -w` writes (gzip-compressed for `.gz` names).
    Scap,
}

impl RecordFormat {
    /// The format named, or the one the file name's extension says (`.scap`, `.scap.gz`:
    /// scap; anything else: JSON Lines).
    pub fn choose(given: Option<RecordFormat>, path: &std::path::Path) -> RecordFormat {
        given.unwrap_or_else(|| {
            let name = path.to_string_lossy().to_ascii_lowercase();
            if name.ends_with(".scap") || name.ends_with(".scap.gz") {
                RecordFormat::Scap
            } else {
                RecordFormat::Jsonl
            }
        })
    }
}

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

/// The rules a command loads (shared by every command that loads rules).
#[derive(Args, Debug, Clone)]
pub struct RulesOpts {
    /// A rules file; repeat to load several in order. Without it, quell's bundled default ruleset.
    #[arg(short = 'r', long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Load quell's bundled default ruleset first, then the `-r` files (to tune the defaults with a local file).
    #[arg(long)]
    pub default_rules: bool,
}

/// `quell run --server`: sending alerts to a `quell serve`.
#[derive(Args, Debug, Clone)]
pub struct SensorOpts {
    /// Also send every alert, with quell's event context, to the `quell serve` at URL
    /// (`http://127.0.0.1:8765`, `https://…`), through a spool on disk: the capture never
    /// waits for the network, and alerts spooled while the server is away are delivered
    /// later, in order, once. The sensor registers itself, reports its drop counters every
    /// 10 s, and evaluates the server's active rule set when it has one (else the local
    /// rules), taking each new version within seconds without restarting the capture.
    #[arg(long, value_name = "URL", requires = "token_file")]
    pub server: Option<String>,
    /// A file holding the sensor's token (`quell token new --role sensor`).
    #[arg(long, value_name = "FILE", requires = "server")]
    pub token_file: Option<PathBuf>,
    /// The spool's directory. Default: $XDG_STATE_HOME/quell/spool, else
    /// ~/.local/state/quell/spool. One `quell run --server` at a time per directory.
    #[arg(long, value_name = "DIR", requires = "server")]
    pub spool_dir: Option<PathBuf>,
    /// The spool's size limit: when full, its oldest undelivered alerts are dropped (and
    /// counted: printed at exit and reported to the server).
    #[arg(long, value_name = "BYTES", requires = "server", default_value_t = quell_sensor::DEFAULT_SPOOL_BYTES)]
    pub spool_max_bytes: u64,
    /// A PEM file with the CA certificate(s) that signed the server's certificate, instead
    /// of the public roots (certificates are always verified).
    #[arg(long, value_name = "FILE", requires = "server")]
    pub ca_file: Option<PathBuf>,
    /// At exit, how long to keep delivering the spool before leaving the rest for the
    /// next run.
    #[arg(
        long,
        value_name = "SECONDS",
        requires = "server",
        default_value_t = 10
    )]
    pub flush_timeout: u64,
}

/// How event files are read (shared by every command that reads events).
#[derive(Args, Debug, Clone)]
pub struct InputOpts {
    /// Stop at the first bad event line, unknown field name or repeated key instead of
    /// reporting it and going on.
    #[arg(long)]
    pub strict: bool,
    /// The longest event line read, in bytes; a longer line is reported by number and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = quell_events::DEFAULT_MAX_LINE_BYTES)]
    pub max_line_bytes: usize,
}

/// `quell ask --llm-url`: an optional language model writes the prose; quell checks it.
#[derive(Args, Debug, Clone)]
pub struct LlmOpts {
    /// An OpenAI-compatible chat-completions endpoint (`http://127.0.0.1:11434/v1` for
    /// Ollama, llama.cpp's `llama-server` at `http://127.0.0.1:8080/v1`). The model gets
    /// quell's answer as quoted data and quell's tools; every exception it writes is checked
    /// as `quell tune --check` does, its verdict never replaces quell's, and a model that is
    /// down, slow or broken gives quell's own answer with a note.
    #[arg(long, value_name = "URL", requires = "llm_model")]
    pub llm_url: Option<String>,
    /// The model's name at that endpoint.
    #[arg(long, value_name = "NAME", requires = "llm_url")]
    pub llm_model: Option<String>,
    /// A file holding the endpoint's key (first line); else the environment's QUELL_LLM_KEY.
    #[arg(long, value_name = "FILE", requires = "llm_url")]
    pub llm_key_file: Option<PathBuf>,
    /// How long the whole exchange with the model may take: seconds (20, 1.5s) or
    /// milliseconds (500ms).
    #[arg(long, value_name = "DURATION", default_value = "20s")]
    pub llm_timeout: String,
}

/// The language of explanations.
#[derive(Clone, Copy, Debug, ValueEnum, Default)]
pub enum LangArg {
    /// English.
    #[default]
    En,
    /// Japanese.
    Ja,
}

impl From<LangArg> for quell_triage::Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::En => quell_triage::Lang::En,
            LangArg::Ja => quell_triage::Lang::Ja,
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
        #[command(flatten)]
        rules: RulesOpts,
        /// Stop at the first matching rule per event, or report them all.
        #[arg(long, value_enum, default_value_t = Matching::First)]
        rule_matching: Matching,
        /// Print alerts as Falco JSON, one per line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: InputOpts,
        /// A scap capture (`falco -e`, `sysdig -w`; plain or gzip) to read instead of JSON Lines.
        #[arg(
            short = 'e',
            long = "capture",
            value_name = "FILE",
            conflicts_with = "events"
        )]
        capture: Option<PathBuf>,
        /// Events file: JSON Lines, or a scap capture (recognised by its first bytes); `-` or
        /// nothing reads standard input.
        events: Option<PathBuf>,
    },
    /// Capture live syscalls with eBPF (root) and print alerts: the whole host until
    /// SIGINT/SIGTERM, or only the process tree of `-- CMD ARGS...` until CMD exits.
    Run {
        #[command(flatten)]
        rules: RulesOpts,
        /// Print alerts as Falco JSON, one per line.
        #[arg(long)]
        json: bool,
        /// Also write every captured event to FILE: flat JSON Lines, or a scap capture
        /// (sysdig/Falco's format) when FILE ends in `.scap` or `.scap.gz` or with
        /// `--record-format scap`. `quell replay` reads both.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// The format of `--record` (default: by the file name's extension).
        #[arg(long, value_enum, requires = "record")]
        record_format: Option<RecordFormat>,
        /// Stop at the first matching rule per event, or report them all.
        #[arg(long, value_enum, default_value_t = Matching::First)]
        rule_matching: Matching,
        #[command(flatten)]
        sensor: SensorOpts,
        /// The command to start and watch (after `--`).
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Group alerts into clusters and give each a verdict (likely false positive, uncertain,
    /// likely real) with a score, the reasons that moved it and what a person should confirm.
    ///
    /// A verdict is a score computed from the evidence quell saw (the process lineage, the
    /// target, the session around the alert, the known-benign catalogue, past decisions); it
    /// is not a proof. "Likely false positive" means quell saw nothing of an attack and, for
    /// every alert, benign evidence an intruder at the same terminal could not produce or
    /// that gains an intruder nothing (a job nobody entered, past decisions, repetition
    /// across hosts and days, an act harmless whoever runs it, housekeeping data removed in
    /// a session quell saw whole with nothing else in it, a person's session quell saw from
    /// its start with no step toward an attack anywhere in it; --json names it as
    /// "anchor"); a terminal alone is never enough, and a login from outside the site rules
    /// it out. An intruder who does nothing but what the person did is not told apart.
    /// "Likely real" means it saw
    /// evidence of an attack; "uncertain" means neither was strong enough. The decision is
    /// yours. Decisions
    /// recorded as "quell.decision": "benign" or "real" on the alerts passed with --history
    /// move the score of the same cluster next time; quell records nothing by itself.
    Triage {
        #[command(flatten)]
        rules: RulesOpts,
        /// Past alerts or events (JSON Lines, or a scap capture), optionally with a
        /// `quell.decision` field (`benign` or `real`) people recorded.
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Extra known-benign catalogue entries (YAML, same format as the bundled catalogue).
        #[arg(long, value_name = "FILE")]
        catalogue: Option<PathBuf>,
        /// Language of explanations.
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
        /// One JSON object per cluster, per line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: InputOpts,
        /// No progress or summary on stderr.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Progress on stderr even when it is not a terminal (plain lines: records read,
        /// alerts judged); on a terminal it is shown anyway, unless -q.
        #[arg(long)]
        progress: bool,
        /// A `quell run --record` recording, Falco JSON alerts or a scap capture (recognised
        /// by its first bytes); `-` reads standard input.
        events: PathBuf,
    },
    /// Ask a question in English or Japanese about the alerts in an events file ("is this
    /// likely a false positive?", "write an exception so that this no longer alerts",
    /// "このイベントは誤検知の可能性が高いですか？"...). Answered from quell's own results
    /// (triage, tune, --check, the rules), never by a model; an unrecognised question gets
    /// the list of what can be answered. A YAML block after the question (from a line
    /// starting with `- rule:`) is an exception to check. Exit 1 with diagnostics, or when a
    /// pasted exception has problems.
    Ask {
        #[command(flatten)]
        rules: RulesOpts,
        /// The events or Falco JSON alerts the question is about.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "server",
            conflicts_with = "server"
        )]
        events: Option<PathBuf>,
        /// Ask the `quell serve` at URL about its stored alerts instead (`POST
        /// /api/v1/assistant`, an admin or viewer token).
        #[arg(long, value_name = "URL", requires = "token_file")]
        server: Option<String>,
        /// A file holding the token for --server (`quell token new --role viewer`).
        #[arg(long, value_name = "FILE", requires = "server")]
        token_file: Option<PathBuf>,
        /// What the question is about: an alert number (1-based, in file order), a cluster
        /// id, or a condition such as `proc.cmdline="rm /var/log/dpkg.log"`. Default: the first alert.
        /// With --server: a stored alert's id, `cluster:ID` (a stored cluster), or a
        /// condition (matched against the newest 1000 stored alerts); default: the newest alert.
        #[arg(long, value_name = "SELECTOR")]
        about: Option<String>,
        /// Language of the answer (default: the question's).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
        /// The answer as one JSON object: intent, answer, verdict, exception, evidence.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: InputOpts,
        #[command(flatten)]
        llm: LlmOpts,
        /// The question.
        question: String,
    },
    /// Serve quell's tools to an MCP client (Claude Desktop, an IDE, any assistant) over
    /// stdin/stdout: validate_rules, replay, triage, explain_alert, search_alerts,
    /// propose_exception, check_exception, all read-only. Logs go to stderr; stdout is the
    /// protocol.
    Mcp {
        #[command(flatten)]
        rules: RulesOpts,
        /// Events or Falco JSON alerts the tools answer about when a call gives no `events`
        /// of its own (the history and the searchable alerts).
        #[arg(long, value_name = "FILE")]
        events: Option<PathBuf>,
        #[command(flatten)]
        input: InputOpts,
    },
    /// Synthesize a verified Falco exception for exactly the events a person judged benign
    /// (never the rest of their cluster); or, with --check, verify an exception written
    /// elsewhere. Exit 1 when every candidate would silence a keep event or a past alert
    /// outside the benign set that triage rates likely_real or uncertain (named).
    Tune {
        #[command(flatten)]
        rules: RulesOpts,
        /// The rule to tune.
        #[arg(long, value_name = "NAME", required_unless_present = "check")]
        rule: Option<String>,
        /// Events or alerts a person judged benign (JSON Lines, or a scap capture recognised
        /// by its first bytes).
        #[arg(long, value_name = "FILE", required_unless_present = "check")]
        benign: Option<PathBuf>,
        /// Events or alerts that must keep alerting (added to quell's true-positive catalogue;
        /// JSON Lines or a scap capture).
        #[arg(long, value_name = "FILE")]
        keep: Option<PathBuf>,
        /// Past alerts or events: triaged, and every alert among them outside the benign set
        /// that triage does not rate likely_false_positive (or a person marked real) must
        /// keep alerting; the rest is the blast radius.
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Emit the deprecated `append: true` form (Falco versions before `override`).
        #[arg(long)]
        legacy: bool,
        /// Print one JSON object (yaml, verification, alternatives).
        #[arg(long)]
        json: bool,
        /// Write the verified block to FILE.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Verify an exception someone else wrote instead of synthesizing one.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
        /// Do not add quell's bundled true-positive catalogue to the keep set.
        #[arg(long)]
        no_builtin_keep: bool,
        /// Progress on stderr (records read, candidates verified) even when stderr is not
        /// a terminal; on a terminal it is shown anyway.
        #[arg(long, conflicts_with = "quiet")]
        progress: bool,
        /// No progress on stderr.
        #[arg(long, short = 'q')]
        quiet: bool,
        #[command(flatten)]
        input: InputOpts,
    },
    /// The story end to end: an alert, its triage, a verified exception, applying it, the
    /// same action again without an alert, and an attack variant that still alerts.
    Demo {
        /// Replay the bundled recording even when live capture is possible.
        #[arg(long)]
        recorded: bool,
        /// Language of explanations.
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
    },
    /// Run quell's server: Falco alerts in over HTTP (Falco's http_output, falcosidekick,
    /// JSON Lines), stored in SQLite or PostgreSQL, queried and decided on under /api/v1 (OpenAPI at
    /// /api/v1/openapi.json). Every request but /healthz needs a bearer token from
    /// `quell token new`. Stops on SIGTERM or Ctrl-C once the requests in flight are answered.
    Serve {
        /// The address to listen on (loopback unless told otherwise).
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8765")]
        listen: std::net::SocketAddr,
        /// The SQLite database file (created if absent), or a PostgreSQL URL
        /// (postgres://USER@HOST/DB; several servers may share one database). Default:
        /// $XDG_DATA_HOME/quell/quell.db, else ~/.local/share/quell/quell.db.
        #[arg(long, value_name = "PATH|URL")]
        db: Option<PathBuf>,
        /// Keep alerts this long by their own time, in whole UTC days (e.g. 30d; units d, h,
        /// m, s): older ones are deleted at start and then hourly (PostgreSQL drops their day
        /// partitions). Default: keep everything.
        #[arg(long, value_name = "DURATION", value_parser = quell_server::serve::parse_retention)]
        retention: Option<std::time::Duration>,
        /// The rules triage uses for `GET /api/v1/alerts/{id}` (default: the bundled ruleset);
        /// checked at start: invalid rules stop the server.
        #[command(flatten)]
        rules: RulesOpts,
        /// The largest request body accepted, in bytes (a larger one gets 413).
        #[arg(long, value_name = "BYTES", default_value_t = quell_server::app::DEFAULT_MAX_BODY_BYTES)]
        max_body_bytes: usize,
        /// Serve HTTPS (rustls) with this PEM certificate chain (with --tls-key).
        #[arg(long, value_name = "PEM", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, value_name = "PEM", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// An optional language model for `POST /api/v1/assistant` and the console's
        /// assistant panel (checked as for `quell ask --llm-url`).
        #[command(flatten)]
        llm: LlmOpts,
        /// A `Host` name `/mcp` accepts besides the loopback names and a non-loopback
        /// --listen address (against DNS rebinding): the name clients reach the server by,
        /// `NAME` or `NAME:PORT`. Repeatable.
        #[arg(long, value_name = "NAME")]
        mcp_allowed_host: Vec<String>,
    },
    /// API tokens of `quell serve`.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// List the loaded rules, or show one rule's compiled condition.
    Rules {
        #[command(flatten)]
        rules: RulesOpts,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// A rule name: show its compiled condition (after exceptions, lists and macros).
        name: Option<String>,
    },
}

/// A token's role.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    /// Everything, including recording decisions.
    Admin,
    /// Ingest alerts (and, later, read rules): for Falco, falcosidekick and quell sensors.
    Sensor,
    /// Read only.
    Viewer,
}

impl From<RoleArg> for quell_store::Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => quell_store::Role::Admin,
            RoleArg::Sensor => quell_store::Role::Sensor,
            RoleArg::Viewer => quell_store::Role::Viewer,
        }
    }
}

/// `quell token` subcommands.
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it once (the store keeps only its hash).
    New {
        /// The SQLite database file or PostgreSQL URL of `quell serve` (same default as
        /// `quell serve`).
        #[arg(long, value_name = "PATH|URL")]
        db: Option<PathBuf>,
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Its name: recorded as who decided, or as the sensor alerts came from (default: the role).
        #[arg(long)]
        name: Option<String>,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let opts = match Opts::try_parse() {
        Ok(opts) => opts,
        Err(e) if e.use_stderr() => {
            // A usage error quotes the argument it refuses. An argument with a line break
            // would split the message into lines that look like clap's own, so the message
            // is taken from the same command line with every argument escaped (`\n` shown as
            // `\n`): it refuses the same argument, now on one line. Then each line of the
            // message is escaped too.
            let escaped_args = std::env::args_os()
                .map(|a| quell_events::term::escape(&a.to_string_lossy()).into_owned());
            let text = match Opts::try_parse_from(escaped_args) {
                Err(escaped) if escaped.kind() == e.kind() => escaped.render().to_string(),
                _ => e.render().to_string(),
            };
            let lines: Vec<_> = text
                .trim_end()
                .lines()
                .map(quell_events::term::escape)
                .collect();
            crate::note!("{}", lines.join("\n"));
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
        // --help and --version, on standard output.
        Err(e) => e.exit(),
    };
    crate::output::finish(dispatch(opts.command))
}

fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Validate { json, files } => cmd::validate::run(&files, json),
        Command::Replay {
            rules,
            rule_matching,
            json,
            input,
            capture,
            events,
        } => cmd::replay::run(
            &rules.rules,
            rules.default_rules,
            rule_matching.into(),
            json,
            &input,
            events.as_deref(),
            capture.as_deref(),
        ),
        Command::Rules { rules, json, name } => {
            cmd::rules::run(&rules.rules, rules.default_rules, json, name.as_deref())
        }
        Command::Triage {
            rules,
            history,
            catalogue,
            lang,
            json,
            input,
            quiet,
            progress,
            events,
        } => cmd::triage::run(
            &rules.rules,
            rules.default_rules,
            history.as_deref(),
            catalogue.as_deref(),
            lang.into(),
            json,
            &input,
            quiet,
            progress,
            &events,
        ),
        Command::Ask {
            rules,
            events,
            server,
            token_file,
            about,
            lang,
            json,
            input,
            llm,
            question,
        } => match (server, token_file, events) {
            (Some(_), Some(_), _) if llm.llm_url.is_some() => anyhow::bail!(
                "--llm-url applies to --events; with --server, the server's own model answers (quell serve --llm-url)"
            ),
            (Some(server), Some(token_file), _) => cmd::ask::run_server(
                &server,
                &token_file,
                about.as_deref(),
                lang.map(Into::into),
                json,
                &question,
            ),
            (_, _, events) => cmd::ask::run(
                &rules.rules,
                rules.default_rules,
                &events.unwrap_or_default(),
                about.as_deref(),
                lang.map(Into::into),
                json,
                &input,
                &llm,
                &question,
            ),
        },
        Command::Mcp {
            rules,
            events,
            input,
        } => cmd::mcp::run(&rules.rules, rules.default_rules, events.as_deref(), &input),
        Command::Tune {
            rules,
            rule,
            benign,
            keep,
            history,
            legacy,
            json,
            output,
            check,
            no_builtin_keep,
            progress,
            quiet,
            input,
        } => cmd::tune::run(&cmd::tune::TuneArgs {
            rules: &rules.rules,
            default_rules: rules.default_rules,
            rule: rule.as_deref(),
            benign: benign.as_deref(),
            keep: keep.as_deref(),
            history: history.as_deref(),
            legacy,
            json,
            output: output.as_deref(),
            check: check.as_deref(),
            no_builtin_keep,
            progress,
            quiet,
            input: &input,
        }),
        Command::Demo { recorded, lang } => cmd::demo::run(recorded, lang.into()),
        Command::Serve {
            listen,
            db,
            retention,
            rules,
            max_body_bytes,
            tls_cert,
            tls_key,
            llm,
            mcp_allowed_host,
        } => cmd::serve::run(
            listen,
            db.as_deref(),
            retention,
            &rules.rules,
            rules.default_rules,
            max_body_bytes,
            tls_cert.zip(tls_key),
            &llm,
            mcp_allowed_host,
        ),
        Command::Token {
            action: TokenCommand::New { db, role, name },
        } => cmd::serve::new_token(db.as_deref(), role.into(), name.as_deref()),
        Command::Run {
            rules,
            json,
            record,
            record_format,
            rule_matching,
            sensor,
            command,
        } => cmd::run::run(
            &rules.rules,
            rules.default_rules,
            rule_matching.into(),
            json,
            record
                .as_deref()
                .map(|p| (p, RecordFormat::choose(record_format, p))),
            sensor.server.is_some().then_some(&sensor),
            &command,
        ),
    }
}
