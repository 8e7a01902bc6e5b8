//! quell's web console: the files `quell serve` answers at `/` and `/assets/*`.
//!
//! The sources are TypeScript under `web/src` (no framework); `build.rs` builds them with
//! npm and esbuild into Cargo's `OUT_DIR` and this crate embeds the result, so the binary
//! serves the console without any file or network access. Building needs Node.js and npm.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// One embedded file of the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asset {
    /// Its path under the console's root, without a leading slash: `index.html`,
    /// `assets/app.js`.
    pub path: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// A strong ETag (quoted) that changes when the bytes do.
    pub etag: &'static str,
}

/// Every file of the console, as built.
pub static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The file at `path` (`index.html`, `assets/app.js`), if there is one.
pub fn get(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The console's page (`index.html`).
pub fn index() -> &'static Asset {
    // build.rs refuses to finish without an index.html.
    get("index.html").unwrap_or(&ASSETS[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_its_assets_by_relative_urls() {
        let page = std::str::from_utf8(index().bytes).unwrap();
        assert!(page.contains("src=\"assets/app.js\""), "{page}");
        assert!(page.contains("href=\"assets/app.css\""), "{page}");
        assert!(!page.contains("src=\"/"), "no absolute URL: {page}");
        assert!(!page.contains("<script>"), "no inline script: {page}");
        let js = get("assets/app.js").unwrap();
        assert_eq!(js.content_type, "text/javascript; charset=utf-8");
        assert!(!js.bytes.is_empty());
        assert_eq!(
            get("assets/app.css").unwrap().content_type,
            "text/css; charset=utf-8"
        );
        assert!(get("assets/nope.js").is_none());
    }

    #[test]
    fn etags_are_quoted_and_differ_between_files() {
        let tags: std::collections::BTreeSet<_> = ASSETS.iter().map(|a| a.etag).collect();
        assert_eq!(tags.len(), ASSETS.len());
        for t in tags {
            assert!(
                t.starts_with('"') && t.ends_with('"') && t.len() == 18,
                "{t}"
            );
        }
    }

    #[test]
    fn the_sources_never_write_markup() {
        // Data is rendered with DOM nodes and textContent only (web/src/dom.ts). Checked on
        // our sources, not the bundle: libraries from npm are not ours to police here.
        let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web/src")];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "ts") {
                    seen += 1;
                    let text = std::fs::read_to_string(&p).unwrap();
                    // Text only through h()/mount(), which show control and bidi
                    // characters visibly: no direct textContent or innerText either.
                    for bad in [
                        "innerHTML",
                        "outerHTML",
                        "insertAdjacentHTML",
                        "document.write",
                        "eval(",
                        "textContent =",
                        "innerText =",
                    ] {
                        assert!(!text.contains(bad), "{} uses {bad}", p.display());
                    }
                }
            }
        }
        assert!(seen >= 4, "read {seen} sources");
    }
}
