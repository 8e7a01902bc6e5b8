//! The console's rules editor and sensors view end to end, in headless Chromium
//! (chromedriver, fantoccini; the harness of `console_common`) against a real `quell serve`:
//!
//! - `rules_editor_lints_saves_diffs_rolls_back_exports` (admin): the editor renders and
//!   highlights under the page's CSP (CodeMirror's style element carries the page's nonce);
//!   an invalid rule typed into a new local file is underlined at the line quell-rules
//!   names; fixed, the underline goes; saved as a version with a comment, it is in the
//!   versions list; the diff with the previous version shows the added lines; a rollback
//!   makes a new version with the old content; the export button's download (the Blob the
//!   page builds, read in the page) equals the API's export and loads back through the
//!   server's validate route.
//! - `viewer_reads_rules_and_sensors_in_japanese`: a viewer token (browser in Japanese) sees
//!   the editor read-only (no save, no new file, typing changes nothing, rollback disabled),
//!   and the sensors view lists a sensor after a heartbeat posted with a sensor token: host,
//!   version, kernel, drops, the rule-set revision it runs, a refused version and its spool.
//!
//! Screenshots: `target/console-artifacts/rules-NN-step.png`, `viewer-ja-NN-step.png`.
//!
//! Gate: ignored where Chromium or chromedriver is missing, unless `QUELL_LIVE_TESTS=1`,
//! where they fail instead.

mod common;
mod console_common;
mod server_common;

use std::time::{Duration, Instant};

use console_common::Browser;
use serde_json::{json, Value as Json};
use server_common::{http, http_body, serve_with, stop, token};

const ENTER: &str = "\u{E007}";
const END: &str = "\u{E010}";
const UP: &str = "\u{E013}";

/// The editor's document as its lines show it.
fn editor_text(b: &Browser) -> String {
    b.js("return Array.from(document.querySelectorAll('#editor .cm-content > .cm-line')).map(l => l.textContent).join('\\n')")
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// The 1-based line of the editor holding `needle`, if any.
fn line_of(b: &Browser, needle: &str) -> Option<usize> {
    editor_text(b)
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
}

/// The 1-based editor lines that hold an error underline (lint range).
fn underlined_lines(b: &Browser) -> Vec<usize> {
    let v = b.js(
        "var lines = Array.from(document.querySelectorAll('#editor .cm-content > .cm-line')); \
         return Array.from(document.querySelectorAll('#editor .cm-lintRange-error')) \
           .map(m => lines.indexOf(m.closest('.cm-line')) + 1);",
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// Polls `f` until it is true, up to `secs`.
fn until(b: &Browser, what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        if start.elapsed() > Duration::from_secs(secs) {
            b.screenshot("failed-until");
            panic!("{what}: not within {secs} s\npage text: {}", b.body_text());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn get_json(addr: &str, path: &str, tok: &str) -> Json {
    let (st, body) = http(addr, "GET", path, tok);
    assert_eq!(st, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The local files of stored version `v`, as (name, contents).
fn local_files(addr: &str, admin: &str, v: i64) -> Vec<(String, String)> {
    get_json(addr, &format!("/api/v1/rulesets/{v}"), admin)["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "local")
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["contents"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// How many distinct text colours the editor's highlighted tokens have: 1 when CodeMirror's
/// styles (its highlight classes) were refused by the CSP.
fn token_colours(b: &Browser) -> usize {
    b.js("return new Set(Array.from(document.querySelectorAll('#editor .cm-line span')).map(s => getComputedStyle(s).color)).size")
        .as_u64()
        .unwrap() as usize
}

fn rules_editor_lints_saves_diffs_rolls_back_exports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quell.db");
    let db = db.to_str().unwrap();
    let admin = token(db, "admin", "ops");
    let (mut server, addr) = serve_with(db, "127.0.0.1:0", &[]);
    // quell serve saved its base files as version 1.
    assert_eq!(get_json(&addr, "/api/v1/rulesets", &admin)["active"], 1);

    let b = Browser::start("en", "rules-");
    let url = format!("http://{addr}/");
    b.sign_in(&url, &admin);
    b.goto(&format!("{url}#/rules"));
    b.wait("#editor .cm-content .cm-line");
    b.wait("#versions tr[data-version='1']");
    // Under the CSP: CodeMirror's own styles apply (its editor is a flex column) and the
    // YAML is highlighted (tokens in several colours), so its style element was allowed by
    // the page's nonce.
    let display =
        b.js("return getComputedStyle(document.querySelector('#editor .cm-editor')).display");
    assert_eq!(
        display,
        json!("flex"),
        "CodeMirror's base theme did not apply"
    );
    until(&b, "the base file highlighted", 10, || {
        token_colours(&b) >= 2
    });
    b.screenshot("02-base-file");
    // The base file is read-only.
    assert_eq!(
        b.js("return document.querySelector('#editor .cm-content').getAttribute('aria-readonly')"),
        json!("true")
    );

    // A new local file, an invalid rule typed into it (auto-indentation does the nesting).
    b.type_into("#new-file-name", "console_test.yaml");
    b.click("#new-file");
    b.wait("#files li.current[data-file='console_test.yaml']");
    b.type_into(
        "#editor .cm-content",
        &[
            "# typed in the console test",
            ENTER,
            "- rule: Console test rule",
            ENTER,
            "desc: a rule typed in the browser",
            ENTER,
            "output: console test %proc.name",
            ENTER,
            "priority: WARNING",
            ENTER,
            "condition: evt.type = open and",
            ENTER,
            "# the end of the rule",
        ]
        .concat(),
    );
    let text = editor_text(&b);
    let bad_line = line_of(&b, "condition: evt.type = open and").expect("the condition line");
    assert!(bad_line > 2 && text.lines().count() > bad_line, "{text}");
    until(&b, "an error underlined", 20, || {
        !underlined_lines(&b).is_empty()
    });
    b.screenshot("03-diagnostic");
    assert_eq!(
        underlined_lines(&b),
        vec![bad_line],
        "the error is underlined at the condition's line:\n{text}"
    );
    let listed = b.js(
        "return Array.from(document.querySelectorAll('#problems li.error')).map(li => [li.dataset.file, li.dataset.line, li.dataset.code])",
    );
    assert_eq!(
        listed,
        json!([[
            "console_test.yaml",
            bad_line.to_string(),
            "LOAD_ERR_COMPILE_CONDITION"
        ]]),
        "{}",
        b.body_text()
    );
    // Save stays disabled without a comment.
    assert_eq!(
        b.js("return document.querySelector('#save').disabled"),
        json!(true)
    );

    // Fixed: the underline and the listed error go.
    b.press(&[UP, END, " proc.name = nope_console_test"].concat());
    until(&b, "the error gone", 20, || {
        underlined_lines(&b).is_empty() && !b.exists("#problems li.error")
    });
    let fixed = editor_text(&b);
    assert!(
        fixed.contains("evt.type = open and proc.name = nope_console_test"),
        "{fixed}"
    );
    b.screenshot("04-fixed");

    // Saved as version 2 with a comment.
    b.type_into("#save-comment", "console test: a typed rule");
    b.click("#save");
    b.wait("#saved");
    b.wait("#versions tr[data-version='2']");
    let row = b.text("#versions tr[data-version='2']");
    assert!(
        row.contains("console test: a typed rule") && row.contains("ops"),
        "{row}"
    );
    b.screenshot("05-saved");
    let v2 = local_files(&addr, &admin, 2);
    assert_eq!(v2.len(), 1, "{v2:?}");
    assert_eq!(v2[0].0, "console_test.yaml");
    assert_eq!(v2[0].1, fixed, "the stored file is the editor's text");

    // The diff with the previous version: the file added, its lines as additions.
    b.click("#versions a[data-diff='2']");
    b.wait("#diff .diff-file[data-file='console_test.yaml'][data-status='added']");
    let added = b.js(
        "return Array.from(document.querySelectorAll('#diff .diff-file .d-add')).map(s => s.textContent)",
    );
    let added: Vec<String> = added
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().trim_end().to_string())
        .collect();
    for l in fixed.lines() {
        assert!(
            added.contains(&format!("+{l}")),
            "{l:?} not among {added:?}"
        );
    }
    assert!(!b.exists("#diff .d-del"), "nothing removed");
    b.screenshot("06-diff");

    // Roll back to version 1: a new version 3 without the local file.
    b.goto(&format!("{url}#/rules"));
    b.click("#versions button[data-rollback='1']");
    b.type_into("#rollback-comment", "undo the test rule");
    b.click("#rollback-ok");
    b.wait("#rolled");
    b.wait("#versions tr[data-version='3']");
    let row = b.text("#versions tr[data-version='3']");
    assert!(
        row.contains("rollback to version 1: undo the test rule"),
        "{row}"
    );
    assert!(local_files(&addr, &admin, 3).is_empty());
    assert_eq!(get_json(&addr, "/api/v1/rulesets", &admin)["active"], 3);
    assert!(!b.exists("#files li[data-file='console_test.yaml']"));
    b.screenshot("07-rolled-back");

    // Export version 2 as falco_rules.local.yaml: the Blob the page downloads is read in the
    // page (URL.createObjectURL is wrapped to keep it).
    b.js("window.__blobs = []; var o = URL.createObjectURL; URL.createObjectURL = function (x) { window.__blobs.push(x); return o.call(URL, x); }; return 1");
    let downloads = b.js("var n = []; document.addEventListener('click', e => { if (e.target.download) n.push(e.target.download); }, true); window.__names = n; return 1");
    assert_eq!(downloads, json!(1));
    // Clicked through the DOM, not at coordinates: the rolled-back page may still be laying
    // out, and a coordinate click could land on version 3's row (seen once in a full run).
    dom_click(
        &b,
        "#versions button[data-export='local'][data-version='2']",
    );
    until(&b, "the download", 10, || {
        b.js("return window.__blobs.length").as_u64() == Some(1)
    });
    let got =
        b.rt.block_on(b.client.as_ref().unwrap().execute_async(
            "var done = arguments[arguments.length - 1]; window.__blobs[0].text().then(done)",
            vec![],
        ))
        .expect("read the Blob");
    let got = got.as_str().unwrap().to_string();
    assert_eq!(
        b.js("return window.__names"),
        json!(["falco_rules.local.yaml"])
    );
    let (st, api_export) = http(&addr, "GET", "/api/v1/rulesets/2/export?form=local", &admin);
    assert_eq!(st, 200);
    assert_eq!(got, api_export, "the download is the API's export");
    assert!(got.contains("Console test rule"), "{got}");
    // It loads back: the base files and it, as one local file, are a valid set.
    let (st, body) = http_body(
        &addr,
        "POST",
        "/api/v1/rulesets/validate",
        &admin,
        &json!({"files": [{"name": "falco_rules.local.yaml", "contents": got}]}).to_string(),
    );
    assert_eq!(st, 200, "{body}");
    let v: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ok"], true, "{body}");
    assert_eq!(v["errors"], 0, "{body}");
    // The rules.d form is offered under its own name.
    dom_click(
        &b,
        "#versions button[data-export='rulesd'][data-version='2']",
    );
    until(&b, "the second download", 10, || {
        b.js("return window.__blobs.length").as_u64() == Some(2)
    });
    assert_eq!(
        b.js("return window.__names"),
        json!(["falco_rules.local.yaml", "quell-ruleset-v2.yaml"])
    );
    drop(b);
    stop(&mut server);
}

/// Waits for `css` and clicks it with the element's own `click()`, so the click reaches that
/// element even if the page moves under the pointer.
fn dom_click(b: &Browser, css: &str) {
    b.wait(css);
    let quoted = serde_json::to_string(css).unwrap();
    assert_eq!(
        b.js(&format!(
            "var e = document.querySelector({quoted}); if (!e) return 0; e.click(); return 1"
        )),
        json!(1),
        "{css} to click"
    );
}

fn viewer_reads_rules_and_sensors_in_japanese() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quell.db");
    let db = db.to_str().unwrap();
    let viewer = token(db, "viewer", "auditor");
    let admin = token(db, "admin", "ops");
    let sensor = token(db, "sensor", "edge-sensor");
    let (mut server, addr) = serve_with(db, "127.0.0.1:0", &[]);
    // A version with a local file, which an admin could edit.
    let local = "- macro: console_viewer_macro\n  condition: proc.name = nope_viewer\n";
    let (st, body) = http_body(
        &addr,
        "POST",
        "/api/v1/rulesets",
        &admin,
        &json!({"comment": "a local file", "files": [{"name": "local.yaml", "contents": local}]})
            .to_string(),
    );
    assert_eq!(st, 201, "{body}");
    let b = Browser::start("ja", "viewer-ja-");
    let url = format!("http://{addr}/");
    b.sign_in(&url, &viewer);
    b.goto(&format!("{url}#/rules"));
    b.wait("#files li.current[data-file='local.yaml']");
    until(&b, "the local file shown", 10, || editor_text(&b) == local);
    assert_eq!(b.text("h1"), "ルール");
    assert_eq!(
        b.js("return document.querySelector('#editor .cm-content').getAttribute('aria-readonly')"),
        json!("true")
    );
    assert_eq!(b.text("#save"), "新しいバージョンとして保存");
    assert_eq!(
        b.js("return document.querySelector('#save').disabled"),
        json!(true)
    );
    assert_eq!(
        b.js("return document.querySelector('#save-comment').disabled"),
        json!(true)
    );
    assert!(!b.exists("#new-file"), "no new file for a viewer");
    assert!(!b.exists("#remove-file"));
    assert_eq!(
        b.js("return Array.from(document.querySelectorAll('#versions button[data-rollback]')).map(x => x.disabled)"),
        json!([true, true])
    );
    let before = editor_text(&b);
    b.type_into("#editor .cm-content", "typed by a viewer");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        editor_text(&b),
        before,
        "the viewer's typing changed nothing"
    );
    b.screenshot("01-rules-readonly");

    // A heartbeat from a sensor, then the sensors view.
    let hb = json!({
        "host": "edge-host-1",
        "kernel": "6.1.0-test-amd64",
        "quell_version": "0.1.0-test",
        "drops": {"kernel": 3, "spool": 0},
        "rules": {"source": "server", "version": 2, "revision": "2.0",
                  "refused": {"version": 3, "error": "local.yaml:3:14: LOAD_ERR_COMPILE_CONDITION"},
                  "warning": null},
        "spool": {"pending": 7, "bytes": 2048},
    });
    let (st, body) = http_body(&addr, "POST", "/api/v1/sensors", &sensor, &hb.to_string());
    assert!(st == 200 || st == 204, "{st} {body}");
    b.goto(&format!("{url}#/sensors"));
    let row = b.text("#sensors tr[data-sensor='edge-sensor']");
    b.screenshot("02-sensors");
    for needle in [
        "edge-host-1",
        "0.1.0-test",
        "6.1.0-test-amd64",
        "kernel: 3",
        "バージョン 2（リビジョン 2.0）",
        "バージョン 3 を拒否: local.yaml:3:14: LOAD_ERR_COMPILE_CONDITION",
        "7 件待ち（2.0 KiB）",
        "報告中",
    ] {
        assert!(row.contains(needle), "{needle:?} not in {row:?}");
    }
    assert_eq!(
        b.js("return document.querySelector(\"#sensors tr[data-sensor='edge-sensor']\").dataset.stale"),
        json!("false")
    );
    // Two minutes later (the page's clock moved on), the sensor is marked stale.
    b.js("var now = Date.now; Date.now = function () { return now() + 120000; }; location.hash = '#/inbox'; return 1");
    b.wait("#inbox-status");
    b.js("location.hash = '#/sensors'; return 1");
    b.wait("#sensors tr[data-sensor='edge-sensor'][data-stale='true']");
    let row = b.text("#sensors tr[data-sensor='edge-sensor']");
    assert!(row.contains("停止中"), "{row}");
    assert!(b.text("#sensors p").contains("停止中 1 台"));
    b.screenshot("03-sensors-stale");
    drop(b);
    stop(&mut server);
}

fn main() {
    let browser = console_common::browser_missing();
    console_common::run(vec![
        (
            "rules_editor_lints_saves_diffs_rolls_back_exports",
            rules_editor_lints_saves_diffs_rolls_back_exports as fn(),
            browser.clone(),
        ),
        (
            "viewer_reads_rules_and_sensors_in_japanese",
            viewer_reads_rules_and_sensors_in_japanese,
            browser,
        ),
    ]);
}
