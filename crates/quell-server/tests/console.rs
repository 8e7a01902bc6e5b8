//! The web console's serving and sign-in: the page and its assets with their security
//! headers, the session cookie, CSRF on writes made with it, a viewer's session read-only.

mod common;

use common::{alert, start, Resp, Server};
use serde_json::json;

const CSP: &str = "content-security-policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn header<'a>(r: &'a Resp, name: &str) -> Option<&'a str> {
    r.headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A request with extra header lines (`Cookie: ...`, `X-Quell-CSRF: ...`) and a JSON body.
fn send(s: &Server, method: &str, path: &str, extra: &[String], body: Option<&str>) -> Resp {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        s.addr
    );
    for e in extra {
        r.push_str(e);
        r.push_str("\r\n");
    }
    if let Some(b) = body {
        r.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    r.push_str("\r\n");
    if let Some(b) = body {
        r.push_str(b);
    }
    s.raw(r.as_bytes())
}

/// Signs in with `token`: the cookie header line to send and the CSRF value.
fn sign_in(s: &Server, token: &str) -> (String, String, Resp) {
    let r = send(
        s,
        "POST",
        "/api/v1/session",
        &[],
        Some(&json!({ "token": token }).to_string()),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let set = header(&r, "set-cookie")
        .expect("a Set-Cookie header")
        .to_string();
    let value = set
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("quell_session=")
        .unwrap()
        .to_string();
    assert_eq!(value.len(), 64, "32 random bytes in hex: {set}");
    let csrf = r.json()["csrf"].as_str().unwrap().to_string();
    (format!("Cookie: quell_session={value}"), csrf, r)
}

#[test]
fn the_page_and_its_assets_are_served_with_a_csp_that_forbids_inline_script() {
    let s = start();
    let page = send(&s, "GET", "/", &[], None);
    assert_eq!(page.status, 200);
    assert_eq!(
        header(&page, "content-type"),
        Some("text/html; charset=utf-8")
    );
    // The page's CSP is the assets' with a style nonce (the rules editor's style element),
    // new on every response and the one the page's `<meta name="csp-nonce">` carries.
    let nonce_of = |page: &Resp| -> String {
        let text = page.text();
        let nonce = text
            .split("<meta name=\"csp-nonce\" nonce=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_else(|| panic!("no csp-nonce meta: {text}"))
            .to_string();
        assert!(
            nonce.len() == 64 && nonce.bytes().all(|b| b.is_ascii_hexdigit()),
            "{nonce}"
        );
        assert_eq!(
            header(page, "content-security-policy"),
            Some(quell_server::session::page_csp(&nonce).as_str()),
            "{}",
            page.headers
        );
        nonce
    };
    let first = nonce_of(&page);
    let again = send(&s, "GET", "/", &[], None);
    assert_ne!(first, nonce_of(&again), "a new nonce per response");
    let csp = header(&page, "content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(
        format!(
            "content-security-policy: {}",
            csp.replace(&format!(" 'nonce-{first}'"), "")
        ),
        CSP
    );
    assert_eq!(header(&page, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&page, "cache-control"), Some("no-store"));
    assert_eq!(
        header(&page, "etag"),
        None,
        "the page changes on every response"
    );
    // Relative URLs: the console works under a reverse proxy's sub-path.
    assert!(
        page.text().contains("src=\"assets/app.js\""),
        "{}",
        page.text()
    );
    let js = send(&s, "GET", "/assets/app.js", &[], None);
    assert_eq!(js.status, 200);
    assert_eq!(
        header(&js, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(js.headers.to_ascii_lowercase().contains(CSP));
    assert_eq!(
        js.body,
        quell_console::get("assets/app.js").unwrap().bytes,
        "the embedded bundle, byte for byte"
    );
    let etag = header(&js, "etag").unwrap().to_string();
    // Revalidation: the same ETag gives 304 without a body.
    let again = send(
        &s,
        "GET",
        "/assets/app.js",
        &[format!("If-None-Match: {etag}")],
        None,
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let css = send(&s, "GET", "/assets/app.css", &[], None);
    assert_eq!(
        header(&css, "content-type"),
        Some("text/css; charset=utf-8")
    );
    for missing in [
        "/assets/nope.js",
        "/assets/../index.html",
        "/assets/index.html",
    ] {
        let r = send(&s, "GET", missing, &[], None);
        assert_eq!(r.status, 404, "{missing}");
        assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"));
    }
    // The API's answers are never sniffed as pages either.
    let api = s.get("/api/v1/alerts", &s.viewer);
    assert_eq!(header(&api, "x-content-type-options"), Some("nosniff"));
}

#[test]
fn a_session_cookie_stands_for_its_token_and_writes_need_the_csrf_header() {
    let s = start();
    // An unknown token, a sensor token, a malformed body: no session.
    let r = send(
        &s,
        "POST",
        "/api/v1/session",
        &[],
        Some(r#"{"token":"quell_nope"}"#),
    );
    assert_eq!(r.status, 401);
    assert!(header(&r, "set-cookie").is_none());
    let r = send(
        &s,
        "POST",
        "/api/v1/session",
        &[],
        Some(&json!({ "token": s.sensor }).to_string()),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        send(&s, "POST", "/api/v1/session", &[], Some("{}")).status,
        400
    );
    assert_eq!(send(&s, "GET", "/api/v1/session", &[], None).status, 401);
    // A form post (another site's `text/plain` form can send a JSON-looking body): refused.
    let form = s.req(
        "POST",
        "/api/v1/session",
        None,
        Some("text/plain"),
        json!({ "token": s.admin }).to_string().as_bytes(),
    );
    assert_eq!(form.status, 415, "{}", form.text());
    assert!(header(&form, "set-cookie").is_none());

    let (cookie, csrf, r) = sign_in(&s, &s.admin);
    let set = header(&r, "set-cookie").unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "no TLS here: {set}");
    assert_eq!(r.json()["name"], "alice");
    assert_eq!(r.json()["role"], "admin");
    let me = send(
        &s,
        "GET",
        "/api/v1/session",
        std::slice::from_ref(&cookie),
        None,
    );
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["csrf"], csrf.as_str());

    // Reads with the cookie alone.
    s.post(
        "/api/v1/alerts",
        "application/json",
        alert("Console rule", 1).to_string().as_bytes(),
    );
    let list = send(
        &s,
        "GET",
        "/api/v1/alerts",
        std::slice::from_ref(&cookie),
        None,
    );
    assert_eq!(list.status, 200, "{}", list.text());
    let id = list.json()["alerts"][0]["id"].as_i64().unwrap();

    // A write with the cookie but without the CSRF header, or with a wrong one: 403,
    // nothing recorded.
    let decision = json!({"alert_id": id, "decision": "benign", "reason": "r"}).to_string();
    let r = send(
        &s,
        "POST",
        "/api/v1/decisions",
        std::slice::from_ref(&cookie),
        Some(&decision),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    let wrong = format!("X-Quell-CSRF: {}", "0".repeat(64));
    let r = send(
        &s,
        "POST",
        "/api/v1/decisions",
        &[cookie.clone(), wrong],
        Some(&decision),
    );
    assert_eq!(r.status, 403);
    let decided = s.rt.block_on(s.store.decisions(None)).unwrap();
    assert!(decided.is_empty(), "{decided:?}");
    // With it: recorded, under the token's name.
    let r = send(
        &s,
        "POST",
        "/api/v1/decisions",
        &[cookie.clone(), format!("X-Quell-CSRF: {csrf}")],
        Some(&decision),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["actor"], "alice");
    // A bearer token needs no CSRF header.
    let r = s.req(
        "POST",
        "/api/v1/decisions",
        Some(&s.admin),
        Some("application/json"),
        decision.as_bytes(),
    );
    assert_eq!(r.status, 201);

    // Sign-out needs the header too, then the cookie is worth nothing.
    let r = send(
        &s,
        "DELETE",
        "/api/v1/session",
        std::slice::from_ref(&cookie),
        None,
    );
    assert_eq!(r.status, 403);
    let r = send(
        &s,
        "DELETE",
        "/api/v1/session",
        &[cookie.clone(), format!("X-Quell-CSRF: {csrf}")],
        None,
    );
    assert_eq!(r.status, 204);
    assert!(header(&r, "set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(
        send(
            &s,
            "GET",
            "/api/v1/alerts",
            std::slice::from_ref(&cookie),
            None
        )
        .status,
        401
    );
    assert_eq!(
        send(&s, "GET", "/api/v1/session", &[cookie], None).status,
        401
    );
}

#[test]
fn a_viewers_session_reads_and_changes_nothing() {
    let s = start();
    let (cookie, csrf, r) = sign_in(&s, &s.viewer);
    assert_eq!(r.json()["role"], "viewer");
    s.post(
        "/api/v1/alerts",
        "application/json",
        alert("Viewer rule", 1).to_string().as_bytes(),
    );
    let list = send(
        &s,
        "GET",
        "/api/v1/alerts",
        std::slice::from_ref(&cookie),
        None,
    );
    assert_eq!(list.status, 200);
    let id = list.json()["alerts"][0]["id"].as_i64().unwrap();
    let with = [cookie.clone(), format!("X-Quell-CSRF: {csrf}")];
    let decision = json!({"alert_id": id, "decision": "benign"}).to_string();
    for (path, body) in [
        ("/api/v1/decisions", decision.as_str()),
        ("/api/v1/tune", r#"{"alert_ids":[1]}"#),
        ("/api/v1/rulesets", r#"{"files":[],"comment":"x"}"#),
    ] {
        let r = send(&s, "POST", path, &with, Some(body));
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    assert!(s.rt.block_on(s.store.decisions(None)).unwrap().is_empty());
    assert!(s.rt.block_on(s.store.rulesets()).unwrap().is_empty());
}

#[test]
fn revoking_the_token_ends_its_sessions() {
    let s = start();
    let (cookie, _csrf, _) = sign_in(&s, &s.viewer);
    assert_eq!(
        send(
            &s,
            "GET",
            "/api/v1/alerts",
            std::slice::from_ref(&cookie),
            None
        )
        .status,
        200
    );
    let id =
        s.rt.block_on(s.store.tokens())
            .unwrap()
            .into_iter()
            .find(|t| t.name == "bob")
            .unwrap()
            .id;
    assert!(s.rt.block_on(s.store.revoke_token(id, "test")).unwrap());
    assert_eq!(
        send(
            &s,
            "GET",
            "/api/v1/alerts",
            std::slice::from_ref(&cookie),
            None
        )
        .status,
        401
    );
    assert_eq!(
        send(&s, "GET", "/api/v1/session", &[cookie], None).status,
        401
    );
}

#[test]
fn the_first_admin_token_is_made_once() {
    let s = start();
    // The test server's store already has an admin token (alice).
    assert_eq!(
        s.rt.block_on(quell_server::serve::first_admin_token(&s.store))
            .unwrap(),
        None
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    s.rt.block_on(async {
        let store = quell_store::Store::open(db.to_str().unwrap())
            .await
            .unwrap();
        let token = quell_server::serve::first_admin_token(&store)
            .await
            .unwrap()
            .expect("a token for an empty store");
        let info = store.verify_token(&token).await.unwrap().unwrap();
        assert_eq!(info.role, quell_store::Role::Admin);
        assert_eq!(
            quell_server::serve::first_admin_token(&store)
                .await
                .unwrap(),
            None
        );
        store.close().await.unwrap();
    });
}
