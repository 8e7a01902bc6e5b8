//! A quell-written capture read by the real sysdig (Debian's 0.29.3, libs of March 2022):
//! it must show the syscalls, process names and file names quell saw live. sysdig missing
//! is a failure, not a skip (CI installs it).

mod common;

use std::process::Command;

use common::txt;

fn sysdig(file: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("sysdig could not be started ({e}): this test needs sysdig installed")
        });
    assert!(
        out.status.success(),
        "sysdig failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sysdig_shows_the_syscalls_processes_and_files_quell_saw() {
    let (live, bytes) = common::record_scenario();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.scap");
    std::fs::write(&file, &bytes).unwrap();

    // every event, both directions: the capture reads to its end
    let all = sysdig(&file, &["-p", "*%evt.num %evt.dir %evt.type"]);
    let events = all.lines().count();
    // an enter and an exit per live syscall event, one event per process exit
    let exits = live
        .iter()
        .filter(|e| txt(e, "evt.type") != "procexit")
        .count();
    let procexits = live.len() - exits;
    assert_eq!(events, 2 * exits + procexits, "{all}");

    let out = sysdig(
        &file,
        &[
            "-p",
            "*%evt.type|%proc.name|%fd.name|%user.name",
            "evt.dir=<",
        ],
    );
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split('|').collect()).collect();
    let live: Vec<_> = live
        .iter()
        .filter(|e| txt(e, "evt.type") != "procexit")
        .collect();
    assert_eq!(rows.len(), live.len(), "{out}");
    let mut files = 0;
    for (row, l) in rows.iter().zip(&live) {
        let ty = txt(l, "evt.type");
        assert_eq!(row[0], ty, "{out}");
        assert_eq!(row[1], txt(l, "proc.name"), "{ty}: {out}");
        assert_eq!(row[3], txt(l, "user.name"), "{ty}: {out}");
        // file and socket names: where quell names the fd of a file or an IP socket,
        // sysdig names the same one
        if ["f", "4", "6"].contains(&txt(l, "fd.typechar").as_str()) && row[2] != "<NA>" {
            assert_eq!(row[2], txt(l, "fd.name"), "{ty}: {out}");
            files += 1;
        }
    }
    assert!(files >= 5, "{files} file names compared\n{out}");
    for name in [
        "/etc/shadow",
        "/home/alice/notes.txt",
        "/etc/passwd",
        "10.0.0.1:40000->10.0.0.2:443",
    ] {
        assert!(out.contains(name), "{name} missing: {out}");
    }
}
