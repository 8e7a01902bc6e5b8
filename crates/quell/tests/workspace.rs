//! Workspace hygiene that issue 12 asks to keep (and that no compiler warning checks):
//! every dependency a crate declares is used by the code it is declared for, every
//! dependency the workspace declares is used by a crate, and no library crate reads a
//! behaviour switch from the environment (libraries take explicit options; only the
//! `quell` binary and build scripts read the environment).
//!
//! Use is found in the source text, outside comments: a crate name as a word (`serde_json`,
//! `yaml_rust2`), or for `serde` its derives. A dependency used only in a build script or
//! only in tests must be declared there.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `.rs` files under `dir` (recursively), or `dir` itself if it is a file.
fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    if dir.is_file() {
        into.push(dir.to_path_buf());
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, into);
        } else if p.extension().is_some_and(|x| x == "rs") {
            into.push(p);
        }
    }
}

/// The code of a Rust file without its comment lines (`//`, `///`, `//!`).
fn code_of(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `word` occurs in `code` with no identifier character on either side.
fn has_word(code: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// Whether code uses the crate `dep` (as named in a manifest).
fn uses(code: &str, dep: &str) -> bool {
    let name = dep.replace('-', "_");
    if name == "serde" {
        return has_word(code, "serde")
            || has_word(code, "Serialize")
            || has_word(code, "Deserialize");
    }
    has_word(code, &name)
}

/// The dependency kinds of a manifest and the names under each:
/// (`dependencies` | `dev-dependencies` | `build-dependencies` | `workspace.dependencies`, name).
fn declared(manifest: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in manifest.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            section = l.trim_matches(['[', ']']).to_string();
            // `[target.'cfg(..)'.dependencies]` counts as its kind.
            if let Some(kind) = section.rsplit('.').next() {
                if section.starts_with("target.") {
                    section = kind.to_string();
                }
            }
            continue;
        }
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if matches!(
            section.as_str(),
            "dependencies" | "dev-dependencies" | "build-dependencies" | "workspace.dependencies"
        ) {
            let name = l
                .split(['=', '.', ' '])
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if !name.is_empty() {
                out.push((section.clone(), name));
            }
        }
    }
    out
}

/// The code a dependency of `kind` may be used from, in the crate at `dir`.
fn code_for(dir: &Path, kind: &str) -> String {
    let places: &[&str] = match kind {
        "dependencies" => &["src"],
        "build-dependencies" => &["build.rs"],
        _ => &["src", "tests", "benches", "examples", "build.rs"],
    };
    let mut files = Vec::new();
    for p in places {
        rust_files(&dir.join(p), &mut files);
    }
    let mut code = Vec::new();
    for f in &files {
        with_borrowed(f, 0, &mut code);
    }
    code.join("\n")
}

/// The code of file `f`, and of the modules it borrows with `#[path = "…"]` (from another
/// crate: code of this one too), and of theirs, a few levels deep.
fn with_borrowed(f: &Path, depth: usize, code: &mut Vec<String>) {
    let Ok(text) = std::fs::read_to_string(f) else {
        return;
    };
    if depth < 4 {
        for line in text.lines() {
            if let Some(rel) = line
                .trim()
                .strip_prefix("#[path = \"")
                .and_then(|r| r.strip_suffix("\"]"))
            {
                let base = f.parent().unwrap_or(Path::new("."));
                with_borrowed(&base.join(rel), depth + 1, code);
            }
        }
    }
    code.push(code_of(&text));
}

fn crates() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates"))
        .expect("crates/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    v.sort();
    v
}

/// Every dependency of every kind is used where it is declared; names the unused ones.
fn unused_dependencies() -> Vec<String> {
    let mut unused = Vec::new();
    for dir in crates() {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        for (kind, dep) in declared(&manifest) {
            if !uses(&code_for(&dir, &kind), &dep) {
                unused.push(format!("{}: {kind} {dep}", dir.display()));
            }
        }
    }
    unused
}

#[test]
fn every_declared_dependency_is_used() {
    assert_eq!(
        crates().len(),
        12,
        "the twelve crates are found (quell-console, quell-assist, quell-mcp)"
    );
    let unused = unused_dependencies();
    assert!(
        unused.is_empty(),
        "declared but not used (remove them, or move them to the kind that uses them):\n{}",
        unused.join("\n")
    );
}

#[test]
fn every_workspace_dependency_is_used_by_a_crate() {
    let root = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let ws: Vec<String> = declared(&root)
        .into_iter()
        .filter(|(k, _)| k == "workspace.dependencies")
        .map(|(_, n)| n)
        .collect();
    assert!(ws.len() > 10, "{ws:?}");
    let inherited: Vec<String> = crates()
        .iter()
        .flat_map(|d| declared(&std::fs::read_to_string(d.join("Cargo.toml")).unwrap()))
        .map(|(_, n)| n)
        .collect();
    let unused: Vec<&String> = ws.iter().filter(|n| !inherited.contains(n)).collect();
    assert!(
        unused.is_empty(),
        "workspace dependencies no crate uses: {unused:?}"
    );
}

/// `code_of` without the unit tests: the text up to a file's `#[cfg(test)]` module (by
/// convention the file's last item). A unit test may find its database server through the
/// environment, as the integration tests do; the library itself may not.
fn library_code_of(text: &str) -> String {
    let end = text
        .lines()
        .position(|l| l.trim() == "#[cfg(test)]")
        .unwrap_or(usize::MAX);
    code_of(&text.lines().take(end).collect::<Vec<_>>().join("\n"))
}

#[test]
fn libraries_read_no_switch_from_the_environment() {
    let mut hits = Vec::new();
    for dir in crates() {
        if dir.file_name().is_some_and(|n| n == "quell") {
            continue; // the binary parses options and the environment
        }
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        for f in files {
            let code = library_code_of(&std::fs::read_to_string(&f).unwrap());
            for needle in ["env::var", "env::var_os", "env::vars", "option_env!"] {
                if code.contains(needle) {
                    hits.push(format!("{}: {needle}", f.display()));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "library code reads the environment (make it an explicit option):\n{}",
        hits.join("\n")
    );
}

/// The checker itself, on a made-up crate: it must see an unused dependency, a used one, a
/// derive, a name only in a comment (unused), and the kinds.
#[test]
fn the_checker_finds_what_is_unused() {
    let m = "[package]\nname = \"x\"\n\n[dependencies]\nserde.workspace = true\nregex = \"1\"\nyaml-rust2 = { workspace = true }\n\n[dev-dependencies]\nproptest = \"1\"\n\n[target.'cfg(unix)'.dependencies]\nnix = \"0.30\"\n";
    let d = declared(m);
    assert_eq!(
        d,
        vec![
            ("dependencies".into(), "serde".into()),
            ("dependencies".into(), "regex".into()),
            ("dependencies".into(), "yaml-rust2".into()),
            ("dev-dependencies".into(), "proptest".into()),
            ("dependencies".into(), "nix".into()),
        ]
    );
    let code = code_of("// regex is mentioned here only\n#[derive(Serialize)]\nstruct A;\nuse yaml_rust2::Yaml;\nfn f() { my_regex_like(); }\n");
    assert!(uses(&code, "serde"));
    assert!(uses(&code, "yaml-rust2"));
    assert!(
        !uses(&code, "regex"),
        "a comment or a longer identifier is not a use"
    );
    assert!(!uses(&code, "nix"));
}

/// Every text the binary prints reaches the terminal through `output::Out` or `note!`, which
/// escape control characters, escape sequences and bidi overrides (their own tests, and
/// `hostile.rs`, check the escaping). A renderer that printed with `println!` or wrote to
/// `stdout()`/`stderr()` directly would bypass it; this holds for `demo` too, which reads no
/// user input a test could make hostile.
#[test]
fn the_binary_prints_only_through_the_escaping_writer() {
    let src = workspace().join("crates/quell/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 5, "the binary's sources are found");
    let bypass = [
        "println!",
        "print!(",
        "eprintln!",
        "eprint!(",
        "dbg!(",
        "stdout()",
        "stderr().write",
        "stderr().lock",
    ];
    let mut hits = Vec::new();
    for f in files.iter().filter(|f| !f.ends_with("output.rs")) {
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        for line in code.lines() {
            if let Some(b) = bypass.iter().find(|b| line.contains(*b)) {
                hits.push(format!("{}: {b} in `{}`", f.display(), line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "output that bypasses output::Out / note!:\n{}",
        hits.join("\n")
    );
}
