//! The `quell` command-line tool. See `quell --help`.
mod alerts;
mod cli;
mod cmd;
mod diagnostics;
mod input;
mod output;
mod progress;
mod ruleset;

fn main() -> std::process::ExitCode {
    cli::main()
}
