//! Headless Chromium for the console's end-to-end tests (`console*.rs`): chromedriver started
//! by the test on a free loopback port (its pid kept, stopped at the end), driven with
//! fantoccini; screenshots under `target/console-artifacts/`.
//!
//! Gate: the tests are reported as ignored where Chromium or chromedriver is missing, unless
//! `QUELL_LIVE_TESTS=1` (CI), where they fail instead.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value as Json};

/// Chromium's binary (`QUELL_CHROMIUM`, else Debian's).
pub fn chromium() -> PathBuf {
    std::env::var_os("QUELL_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// chromedriver's binary (`QUELL_CHROMEDRIVER`, else Debian's).
pub fn chromedriver() -> PathBuf {
    std::env::var_os("QUELL_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

/// Why the browser tests cannot run here, if they cannot.
pub fn browser_missing() -> Option<String> {
    for p in [chromium(), chromedriver()] {
        if !p.exists() {
            return Some(format!(
                "{} not found (Debian: apt install chromium chromium-driver)",
                p.display()
            ));
        }
    }
    None
}

/// Where screenshots go: `target/console-artifacts/` of this workspace.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join("target")
        });
    let dir = target.join("console-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/console-artifacts");
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A headless Chromium session, its chromedriver and a runtime to drive them.
pub struct Browser {
    pub rt: tokio::runtime::Runtime,
    pub client: Option<Client>,
    driver: Child,
    profile: tempfile::TempDir,
    /// Screenshot names are prefixed with this (`en-`, `ja-`, `inert-`).
    pub prefix: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose languages are `lang` (`en`, `ja`).
    pub fn start(lang: &str, prefix: &str) -> Browser {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let port = free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::Builder::new()
            .prefix("quell-console-chromium-")
            .tempdir()
            .unwrap();
        let mut b = Browser {
            rt,
            client: None,
            driver,
            profile,
            prefix: prefix.to_string(),
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let accept = if lang == "ja" { "ja-JP,ja" } else { "en-US,en" };
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium().to_string_lossy(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1400,1000", format!("--lang={}", if lang == "ja" { "ja-JP" } else { "en-US" }),
                    format!("--user-data-dir={}", b.profile.path().display()),
                    "--no-first-run", "--disable-extensions", "--disable-background-networking",
                ],
                "prefs": {"intl.accept_languages": accept},
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let client =
            b.rt.block_on(async {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                ClientBuilder::new(connector)
                    .capabilities(caps)
                    .connect(&url)
                    .await
            })
            .expect("start a Chromium session through chromedriver");
        b.client = Some(client);
        b
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    pub fn goto(&self, url: &str) {
        self.rt.block_on(self.c().goto(url)).expect("goto");
    }

    /// Waits until `css` matches an element, up to 30 s.
    pub fn wait(&self, css: &str) -> fantoccini::elements::Element {
        self.rt
            .block_on(async {
                self.c()
                    .wait()
                    .at_most(Duration::from_secs(30))
                    .for_element(Locator::Css(css))
                    .await
            })
            .unwrap_or_else(|e| {
                self.screenshot("failed-wait");
                panic!("{css} did not appear: {e}\npage text: {}", self.body_text())
            })
    }

    /// Whether `css` matches an element now.
    pub fn exists(&self, css: &str) -> bool {
        self.rt
            .block_on(self.c().find_all(Locator::Css(css)))
            .map(|v| !v.is_empty())
            .unwrap_or(false)
    }

    pub fn click(&self, css: &str) {
        let e = self.wait(css);
        self.rt.block_on(e.click()).expect("click");
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.wait(css);
        self.rt.block_on(e.send_keys(text)).expect("type");
    }

    /// Sends `keys` to the element that has the focus (the page's body when none has).
    pub fn press(&self, keys: &str) {
        self.rt
            .block_on(async {
                let e = self.c().active_element().await?;
                e.send_keys(keys).await
            })
            .expect("press keys");
    }

    /// The text of the first element matching `css` (waits for it).
    pub fn text(&self, css: &str) -> String {
        let e = self.wait(css);
        self.rt.block_on(e.text()).expect("text")
    }

    /// Runs `script` (a function body; `arguments` holds nothing) and returns its value.
    pub fn js(&self, script: &str) -> Json {
        self.rt
            .block_on(self.c().execute(script, vec![]))
            .expect("execute script")
    }

    /// The page's visible text.
    pub fn body_text(&self) -> String {
        self.js("return document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits until `css`'s text contains `needle`, up to `secs`.
    pub fn wait_text(&self, css: &str, needle: &str, secs: u64) -> String {
        let start = Instant::now();
        loop {
            let t = if self.exists(css) {
                self.text(css)
            } else {
                String::new()
            };
            if t.contains(needle) {
                return t;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                self.screenshot("failed-wait-text");
                panic!("{css} never contained {needle:?}; it holds {t:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Writes a PNG of the page to `target/console-artifacts/PREFIX-NAME.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.rt.block_on(self.c().screenshot()).expect("screenshot");
        let path = artifacts_dir().join(format!("{}{name}.png", self.prefix));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Signs in on the console at `url` with `token`, waits for the shell.
    pub fn sign_in(&self, url: &str, token: &str) {
        self.goto(url);
        self.wait("#signin");
        self.screenshot("01-signin");
        self.type_into("#token", token);
        self.click("#signin button[type=submit]");
        self.wait("#signout");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self.rt.block_on(c.close());
        }
        // chromedriver was started by this test: stopped by its pid.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A test: its name, its function, and why it cannot run here (if it cannot).
pub type Test = (&'static str, fn(), Option<String>);

/// Runs `tests` under libtest-mimic: ignored (with the reason) where `missing` says they
/// cannot run, unless `QUELL_LIVE_TESTS=1`, where they run (and fail).
pub fn run(tests: Vec<Test>) -> ! {
    use libtest_mimic::{Arguments, Trial};
    let args = Arguments::from_args();
    let strict = std::env::var("QUELL_LIVE_TESTS").as_deref() == Ok("1");
    let trials = tests
        .into_iter()
        .map(|(name, f, why_not)| {
            if let (Some(why), false) = (&why_not, strict) {
                eprintln!("{name} ignored: {why} (set QUELL_LIVE_TESTS=1 to run it anyway)");
            }
            Trial::test(name, move || {
                f();
                Ok(())
            })
            .with_ignored_flag(why_not.is_some() && !strict)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit()
}
