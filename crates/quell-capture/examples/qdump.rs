//! Prints captured events as JSON lines: `qdump [-- CMD ARGS...]`.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd: Vec<String> = match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => Vec::new(),
    };
    let cfg = quell_capture::CaptureConfig {
        event_types: None,
        follow_children: !cmd.is_empty(),
        open_filter: None,
        skip_unknown_closes: false,
        ..quell_capture::CaptureConfig::default()
    };
    let mut cap = match quell_capture::Capture::start(&cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("qdump: {e}");
            std::process::exit(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    quell_capture::stop_on_signals(Arc::clone(&stop)).ok();
    let mut child = if cmd.is_empty() {
        None
    } else {
        Some(
            std::process::Command::new(&cmd[0])
                .args(&cmd[1..])
                .spawn()
                .expect("spawn"),
        )
    };
    let mut print = |ev: quell_capture::FlatEvent| println!("{}", ev.to_json_line());
    loop {
        cap.poll(Duration::from_millis(50), &mut print)
            .expect("poll");
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(c) = child.as_mut() {
            if c.try_wait().ok().flatten().is_some() {
                break;
            }
        }
    }
    cap.drain(&mut print).expect("drain");
    eprintln!("{:?}", cap.stats());
}
