//! Set-up shared by the CLI test files (`cli.rs`, `hostile.rs`, `triage.rs`): running the
//! `quell` binary, reading what it wrote, and the paths of the test data.
// Each test file uses a part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `quell` binary under test.
pub fn quell() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quell"))
}

/// Runs quell with `args` and collects its exit status and output.
pub fn run(args: &[&str]) -> Output {
    quell().args(args).output().expect("run quell")
}

/// Runs quell with `input` on its standard input (a reader that goes away early is fine).
pub fn run_stdin(args: &[&str], input: impl AsRef<[u8]>) -> Output {
    let mut child = quell()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn quell");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.as_ref().to_vec();
    // Written from a thread, so that output larger than a pipe's buffer cannot deadlock.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait quell");
    let _ = writer.join();
    out
}

/// Standard output, lossily decoded.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error, lossily decoded.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit status (-1 for a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Everything about a run, for an assertion's message.
pub fn show(o: &Output) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        code(o),
        out(o),
        err(o)
    )
}

/// A path below the crate's directory, as an argument.
pub fn root(rel: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), rel].iter().collect();
    p.display().to_string()
}

/// A data file of the CLI tests (`tests/cli/NAME`), as an argument.
pub fn cli_data(name: &str) -> String {
    root(&format!("tests/cli/{name}"))
}

/// A file of the demo's bundled recordings (`demo/NAME`).
pub fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo")
        .join(name)
}

/// [`demo`] as an argument.
pub fn demo_arg(name: &str) -> String {
    demo(name).display().to_string()
}

/// Writes `text` to `dir/name` and returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write a test file");
    p
}
