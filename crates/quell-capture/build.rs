//! Compiles the BPF capture program (`src/bpf/quell.bpf.c`) with clang
//! (with the `bpf` feature only: without it no clang is needed).
//!
//! The object is embedded into the crate with `include_bytes!`. clang is found
//! through `$CLANG` or `PATH`; the libbpf headers come from the vendored
//! libbpf of `libbpf-sys` (`DEP_BPF_INCLUDE`) or the system (`/usr/include`).
//! `$QUELL_BPF_CFLAGS` adds clang flags (for experiments with `-D` switches
//! when measuring the program's cost; the shipped build uses none).

use std::env;
use std::path::PathBuf;
use std::process::Command;

// The syscall table and record layout (also compiled into the crate).
include!("src/table.rs");

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let src = manifest.join("src/bpf/quell.bpf.c");
    let obj = out.join("quell.bpf.o");
    println!("cargo:rerun-if-changed=src/bpf/quell.bpf.c");
    println!("cargo:rerun-if-changed=src/bpf/vmlinux_min.h");
    println!("cargo:rerun-if-changed=src/table.rs");
    std::fs::write(out.join("quell_gen.h"), c_header()).expect("write quell_gen.h in OUT_DIR");
    if env::var_os("CARGO_FEATURE_BPF").is_none() {
        return;
    }
    println!("cargo:rerun-if-env-changed=CLANG");

    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".to_string());
    let arch = match env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86",
        Ok(other) => {
            // The program reads x86_64 registers and syscall numbers.
            println!("cargo:warning=quell-capture: live capture supports x86_64 only, not {other}; building a stub");
            "x86"
        }
        Err(_) => "x86",
    };
    let mut cmd = Command::new(&clang);
    cmd.arg("-g")
        .arg("-O2")
        .arg("-target")
        .arg("bpf")
        .arg(format!("-D__TARGET_ARCH_{arch}"))
        .arg("-Wall")
        .arg("-Wno-unused-function")
        .arg("-I")
        .arg(manifest.join("src/bpf"))
        .arg("-I")
        .arg(&out);
    println!("cargo:rerun-if-env-changed=QUELL_BPF_CFLAGS");
    if let Ok(extra) = env::var("QUELL_BPF_CFLAGS") {
        cmd.args(extra.split_whitespace());
    }
    if let Ok(inc) = env::var("DEP_BPF_INCLUDE") {
        cmd.arg("-I").arg(inc);
    }
    cmd.arg("-c").arg(&src).arg("-o").arg(&obj);
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("error: clang failed ({s}) compiling {}", src.display());
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!(
                "error: quell-capture needs clang to compile its BPF program, but `{clang}` could not be run ({e}). \
                 Install it (Debian/Ubuntu: `apt-get install -y clang`) or point $CLANG at a clang binary."
            );
            std::process::exit(1);
        }
    }
}
