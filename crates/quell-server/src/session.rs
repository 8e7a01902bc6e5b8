//! The web console's sign-in: a token exchanged for a session cookie, and the console's files.
//!
//! `POST /api/v1/session {token}` checks the token and answers `{name, role, csrf}` with
//! `Set-Cookie: quell_session=…; HttpOnly; SameSite=Strict; Path=/` (and `Secure` under
//! TLS). Sessions live in the server's memory for [`SESSION_TTL`] (a restart signs everyone
//! out). A request carrying the cookie is authenticated as the token it was made from, with
//! the same [`crate::Access`] check (the token is verified again on every request, so a
//! revoked token ends its sessions); one that is not `GET`/`HEAD` must also carry
//! `X-Quell-CSRF` equal to the session's value, else 403.
//!
//! The console itself (`/` and `/assets/*`, from the `quell-console` crate) is served with a
//! Content-Security-Policy that forbids inline script, `X-Content-Type-Options: nosniff`,
//! an ETag and `Cache-Control: no-cache` (revalidate; 304 when unchanged). The page (`/`)
//! differs: each response has a new style nonce ([`page_csp`]) for the rules editor's
//! style element, so it is `no-store` without an ETag.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, ETAG, IF_NONE_MATCH, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use quell_store::Role;
use serde::{Deserialize, Serialize};

use crate::app::{read_body, ApiError, Shared, MAX_SMALL_BODY_BYTES};

/// How long a session lasts after sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// The session cookie's name.
pub const COOKIE_NAME: &str = "quell_session";

/// The header a write authenticated by the cookie must carry.
pub const CSRF_HEADER: &str = "x-quell-csrf";

/// The Content-Security-Policy of every console response (the page's adds a style nonce:
/// [`page_csp`]).
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The placeholder of `index.html`'s `<meta name="csp-nonce" nonce="…">` that the page
/// route (`GET /`) replaces with the response's style nonce.
pub const NONCE_PLACEHOLDER: &str = "QUELL_CSP_NONCE";

/// The CSP of the console's page: [`CSP`] with `style-src 'self' 'nonce-NONCE'`, so that the
/// rules editor (CodeMirror 6, which puts its styles in a `<style>` element carrying the nonce
/// it reads from the page) is styled. Scripts stay `'self'` only; style attributes stay
/// refused (no `'unsafe-inline'`).
pub fn page_csp(nonce: &str) -> String {
    CSP.replacen(
        "style-src 'self';",
        &format!("style-src 'self' 'nonce-{nonce}';"),
        1,
    )
}

/// At most this many sessions are kept: past it, expired ones go, then the oldest.
const MAX_SESSIONS: usize = 10_000;

#[derive(Clone)]
pub(crate) struct Session {
    /// The token it was made from (memory only): verified again on every request.
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) csrf: String,
    pub(crate) expires: Instant,
}

/// The signed-in sessions, by cookie value.
#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    // The OS's generator failing is not something a server can recover from sensibly.
    getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality that takes the same time wherever the first difference is.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn create(&self, token: String, name: String, role: Role) -> (String, Session) {
        let id = random_hex();
        let session = Session {
            token,
            name,
            role,
            csrf: random_hex(),
            expires: Instant::now() + SESSION_TTL,
        };
        let mut map = self.lock();
        if map.len() >= MAX_SESSIONS {
            let now = Instant::now();
            map.retain(|_, s| s.expires > now);
            if map.len() >= MAX_SESSIONS {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, s)| s.expires)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(id.clone(), session.clone());
        (id, session)
    }

    /// The live session of cookie value `id`.
    pub(crate) fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.lock();
        match map.get(id) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// The value of the session cookie in `headers`, if any.
pub(crate) fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether a request authenticated by the session may go on: reads need nothing more, any
/// other method needs the CSRF header.
pub(crate) fn csrf_ok(method: &Method, headers: &HeaderMap, session: &Session) -> bool {
    if method == Method::GET || method == Method::HEAD {
        return true;
    }
    headers
        .get(CSRF_HEADER)
        .is_some_and(|v| constant_time_eq(v.as_bytes(), session.csrf.as_bytes()))
}

fn csrf_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "a change made with the console's session needs the X-Quell-CSRF header of the session",
    )
}

#[derive(Serialize)]
pub(crate) struct SessionView {
    name: String,
    role: &'static str,
    csrf: String,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        SessionView {
            name: s.name.clone(),
            role: s.role.as_str(),
            csrf: s.csrf.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

fn set_cookie(value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("quell_session=; Max-Age=0"))
}

/// `POST /api/v1/session`: a token in, a session cookie out.
pub(crate) async fn post_session(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // JSON only: a form on another site cannot send `application/json` without CORS, so it
    // cannot sign someone in with the attacker's token (login CSRF).
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "sign in with `Content-Type: application/json` and {\"token\": \"...\"}",
        ));
    }
    let bytes = read_body(
        &headers,
        body,
        MAX_SMALL_BODY_BYTES,
        state.config.body_timeout,
    )
    .await?;
    let req: SignIn = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "invalid sign-in: {e} (send {{\"token\": \"...\"}})"
        ))
    })?;
    let token = req.token.trim().to_string();
    let info = match state.store.verify_token(&token).await? {
        Some(i) => i,
        None => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unknown or revoked token",
            ))
        }
    };
    if info.role == Role::Sensor {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "a sensor token cannot sign in to the console: use an admin or viewer token",
        ));
    }
    let (id, session) = state.sessions.create(token, info.name, info.role);
    let mut resp = axum::Json(SessionView::from(&session)).into_response();
    resp.headers_mut().insert(
        SET_COOKIE,
        set_cookie(&id, SESSION_TTL.as_secs(), state.config.secure_cookies),
    );
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The session of the request's cookie whose token is still valid.
async fn current(state: &Shared, headers: &HeaderMap) -> Result<(String, Session), ApiError> {
    let unauthorized = || ApiError::new(StatusCode::UNAUTHORIZED, "not signed in");
    let id = cookie(headers).ok_or_else(unauthorized)?;
    let session = state.sessions.get(&id).ok_or_else(unauthorized)?;
    if state.store.verify_token(&session.token).await?.is_none() {
        state.sessions.remove(&id);
        return Err(unauthorized());
    }
    Ok((id, session))
}

/// `GET /api/v1/session`: who is signed in, or 401.
pub(crate) async fn get_session(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, session) = current(&state, &headers).await?;
    let mut resp = axum::Json(SessionView::from(&session)).into_response();
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `DELETE /api/v1/session`: signs out (needs the CSRF header).
pub(crate) async fn delete_session(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, session) = current(&state, &headers).await?;
    if !csrf_ok(&Method::DELETE, &headers, &session) {
        return Err(csrf_refused());
    }
    state.sessions.remove(&id);
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(SET_COOKIE, set_cookie("", 0, state.config.secure_cookies));
    Ok(resp)
}

pub(crate) fn csrf_error() -> ApiError {
    csrf_refused()
}

/// The headers of every console response.
fn console_headers(h: &mut HeaderMap) {
    h.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(CSP),
    );
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
}

fn asset_response(asset: Option<&'static quell_console::Asset>, headers: &HeaderMap) -> Response {
    let Some(asset) = asset else {
        let mut r = (
            StatusCode::NOT_FOUND,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such file\n",
        )
            .into_response();
        console_headers(r.headers_mut());
        return r;
    };
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    let mut r = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Body::from(asset.bytes).into_response();
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        r
    };
    let h = r.headers_mut();
    h.insert(ETAG, HeaderValue::from_static(asset.etag));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    console_headers(h);
    r
}

/// `GET /`: the console's page, with a new style nonce in its CSP and in its
/// `<meta name="csp-nonce">` on every response (so never cached: `no-store`, no ETag).
pub(crate) async fn index() -> Response {
    let nonce = random_hex();
    let page = String::from_utf8_lossy(quell_console::index().bytes).replacen(
        NONCE_PLACEHOLDER,
        &nonce,
        1,
    );
    let mut r = Body::from(page).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(quell_console::index().content_type),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    console_headers(h);
    if let Ok(v) = HeaderValue::from_str(&page_csp(&nonce)) {
        h.insert(HeaderName::from_static("content-security-policy"), v);
    }
    r
}

/// `GET /assets/{*path}`: the console's scripts and styles.
pub(crate) async fn asset(
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let asset = quell_console::get(&format!("assets/{path}")).filter(|a| a.path != "index.html");
    asset_response(asset, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_csp_adds_a_style_nonce_and_nothing_else() {
        let csp = page_csp("abc123");
        assert_eq!(
            csp,
            CSP.replace("style-src 'self';", "style-src 'self' 'nonce-abc123';")
        );
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        let page = std::str::from_utf8(quell_console::index().bytes).unwrap();
        assert_eq!(
            page.matches(NONCE_PLACEHOLDER).count(),
            1,
            "index.html has one nonce placeholder: {page}"
        );
    }

    #[test]
    fn cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("a=1; quell_session=abc ; b=2"),
        );
        assert_eq!(cookie(&h).as_deref(), Some("abc"));
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("xquell_session=abc"));
        assert_eq!(cookie(&h), None);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn sessions_expire_and_are_bounded() {
        let s = Sessions::default();
        let (id, _) = s.create("t".into(), "n".into(), Role::Viewer);
        assert!(s.get(&id).is_some());
        s.lock().get_mut(&id).unwrap().expires = Instant::now() - Duration::from_secs(1);
        assert!(s.get(&id).is_none());
        assert!(s.lock().is_empty());
        for _ in 0..MAX_SESSIONS + 5 {
            s.create("t".into(), "n".into(), Role::Viewer);
        }
        assert!(s.lock().len() <= MAX_SESSIONS);
    }
}
