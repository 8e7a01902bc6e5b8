//! Reading speed of the JSON Lines reader alone (no rules): every line of FILE read with
//! `RecordReader::next_ref`, the events and bad lines counted.
//!   cargo run --release -p quell-events --example read_speed -- FILE
//! Time it with `/usr/bin/time` (CPU seconds); `scripts/bench-fastread.sh` measures the whole
//! `quell replay`.

use std::process::ExitCode;

use quell_events::{open, RecordReader};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: read_speed FILE");
        return ExitCode::FAILURE;
    };
    let input = match open(path.as_ref()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut reader = RecordReader::new(input);
    let (mut events, mut fields, mut bad) = (0u64, 0u64, 0u64);
    while let Some(item) = reader.next_ref() {
        match item {
            Ok(line) => {
                events += 1;
                fields += line.event.len() as u64;
            }
            Err(_) => bad += 1,
        }
    }
    println!("{events} events, {fields} fields, {bad} bad lines");
    ExitCode::SUCCESS
}
