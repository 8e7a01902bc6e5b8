//! `quell ask --llm-url`: the options reach quell-assist's model module (the checks on the
//! model's reply are tested there, against a scripted bad model): a model that answers, one
//! that is not there, and configurations that are refused.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seed.jsonl");
const OP: &str = r#"proc.cmdline="rm /var/log/dpkg.log""#;

fn ask(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quell"))
        .env_remove("QUELL_LLM_KEY")
        .arg("ask")
        .args(["--events", SEED])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A one-request OpenAI-compatible server on loopback answering `text`; gives back the
/// request's head.
fn one_reply(text: &'static str) -> (String, std::thread::JoinHandle<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", l.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 65536];
        let (head, len) = loop {
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0, "the request ended early");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..p]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())
                            .flatten()
                    })
                    .unwrap();
                break (head, p + 4 + len);
            }
        };
        while buf.len() < len {
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0);
            buf.extend_from_slice(&chunk[..n]);
        }
        let body =
            serde_json::json!({"choices": [{"message": {"role": "assistant", "content": text}}]})
                .to_string();
        write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        head
    });
    (url, h)
}

#[test]
fn a_model_writes_the_prose_and_quell_checks_it() {
    let (url, h) = one_reply("It is benign.\nVERDICT: likely_false_positive\n");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "sk-local-1\n").unwrap();
    let (code, out, err) = ask(&[
        "--about",
        OP,
        "--llm-url",
        &url,
        "--llm-model",
        "local",
        "--llm-key-file",
        key.to_str().unwrap(),
        "--json",
        "is this likely a false positive?",
    ]);
    assert_eq!(code, 0, "{err}");
    let head = h.join().unwrap();
    assert!(head.starts_with("POST /v1/chat/completions "), "{head}");
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case("authorization: Bearer sk-local-1")),
        "{head}"
    );
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["model"]["used"], true);
    assert_eq!(j["model"]["name"], "local");
    assert_eq!(j["verdict"]["verdict"], "likely_false_positive");
    assert_eq!(j["model"]["verdict"]["agrees"], true);
    assert!(j["answer"].as_str().unwrap().starts_with("It is benign."));
    assert!(!out.contains("sk-local-1") && !err.contains("sk-local-1"));
}

#[test]
fn a_model_that_is_not_there_gives_quells_answer_with_a_note() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/v1");
    let (code, out, err) = ask(&[
        "--about",
        OP,
        "--llm-url",
        &url,
        "--llm-model",
        "gone",
        "is this likely a false positive?",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("ASK_MODEL_UNREACHABLE"), "{err}");
    assert!(
        out.starts_with("Note: the model \"gone\" was not used (ASK_MODEL_UNREACHABLE"),
        "{out}"
    );
    assert!(out.contains("likely false positive"), "{out}");
}

#[test]
fn unusable_model_options_are_refused() {
    for (args, want) in [
        (
            vec!["--llm-url", "ftp://x/v1", "--llm-model", "m"],
            "ASK_MODEL_CONFIG",
        ),
        (
            vec![
                "--llm-url",
                "http://127.0.0.1:9/v1",
                "--llm-model",
                "m",
                "--llm-timeout",
                "0",
            ],
            "ASK_MODEL_CONFIG",
        ),
        (
            vec![
                "--llm-url",
                "http://127.0.0.1:9/v1",
                "--llm-model",
                "m",
                "--llm-key-file",
                "/nonexistent/quell-key",
            ],
            "ASK_MODEL_CONFIG",
        ),
        (vec!["--llm-url", "http://127.0.0.1:9/v1"], "--llm-model"),
    ] {
        let mut a = args.clone();
        a.push("is this likely a false positive?");
        let (code, _, err) = ask(&a);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
