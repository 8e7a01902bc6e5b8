//! Builds the web console with npm into `OUT_DIR/console` and writes `OUT_DIR/assets.rs`,
//! the table `src/lib.rs` embeds (path, bytes, content type, ETag).
//!
//! Steps: `npm ci` in `web/` when `web/node_modules` is missing or older than
//! `web/package-lock.json`; `npm run check` (TypeScript's type check); `node build.mjs DIR`
//! (esbuild). Node.js and npm must be on `PATH` (or named by `QUELL_NODE` / `QUELL_NPM`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fail(message: &str) -> ! {
    eprintln!("error: quell-console: {message}");
    std::process::exit(1);
}

fn tool(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn run(cmd: &mut Command, what: &str) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!("{what} failed ({s}); its output is above")),
        Err(e) => fail(&format!("{what} could not start: {e}")),
    }
}

fn mtime(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// FNV-1a, 64 bits: an ETag only has to change when the bytes do.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn files(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, base, out);
        } else {
            let rel = p
                .strip_prefix(base)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let web = manifest.join("web");
    for p in [
        "web/src",
        "web/package.json",
        "web/package-lock.json",
        "web/build.mjs",
        "web/tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-env-changed=QUELL_NODE");
    println!("cargo:rerun-if-env-changed=QUELL_NPM");
    let node = tool("QUELL_NODE", "node");
    let npm = tool("QUELL_NPM", "npm");
    for (t, what) in [(&node, "Node.js"), (&npm, "npm")] {
        let ok = Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            fail(&format!(
                "building the web console needs {what} (`{t} --version` failed): install Node.js 18 or newer \
                 with npm (Debian: `apt install nodejs npm`), or name them with QUELL_NODE / QUELL_NPM"
            ));
        }
    }
    // npm ci when node_modules is missing or older than the lock file.
    let lock = web.join("package-lock.json");
    let installed = web.join("node_modules/.package-lock.json");
    let stale = match (mtime(&installed), mtime(&lock)) {
        (Some(i), Some(l)) => i < l,
        _ => true,
    };
    if stale {
        run(
            Command::new(&npm)
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&web),
            "`npm ci` in crates/quell-console/web",
        );
    }
    run(
        Command::new(&npm)
            .args(["run", "--silent", "check"])
            .current_dir(&web),
        "the TypeScript check (`npm run check` in crates/quell-console/web)",
    );
    let dist = out_dir.join("console");
    let _ = std::fs::remove_dir_all(&dist);
    run(
        Command::new(&node)
            .arg("build.mjs")
            .arg(&dist)
            .current_dir(&web),
        "esbuild (`node build.mjs` in crates/quell-console/web)",
    );
    let mut found = Vec::new();
    files(&dist, &dist, &mut found);
    let mut table = String::from("&[\n");
    for (rel, path) in &found {
        let bytes = std::fs::read(path)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
        table.push_str(&format!(
            "    Asset {{ path: {rel:?}, bytes: include_bytes!({path:?}), content_type: {ct:?}, etag: \"\\\"{etag:016x}\\\"\" }},\n",
            path = path.to_string_lossy(),
            ct = content_type(rel),
            etag = fnv1a(&bytes),
        ));
    }
    table.push(']');
    if !found.iter().any(|(r, _)| r == "index.html") {
        fail("the build wrote no index.html");
    }
    std::fs::write(out_dir.join("assets.rs"), table)
        .unwrap_or_else(|e| fail(&format!("cannot write assets.rs: {e}")));
}
