//! The HTTP API: routes, authentication, handlers. [`router`] builds it over a [`Store`].

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{
    ACCEPT_LANGUAGE, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Extension, Router};
use quell_store::{
    AlertQuery, ClusterQuery, NewAlert, NewDecision, Role, Store, StoredAlert, Target, Verdict,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value as Json};

use crate::ingest::parse_batch;
use crate::metrics::Metrics;
use quell_rules::engine::Engine;
use quell_triage::catalogue::Catalogue;

/// The default limit of a request body, in bytes (16 MiB: a batch of 500 large alerts fits).
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;

/// How long a request body may take to arrive by default (a client that trickles it gets 408).
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a request's head (request line and headers) may take to arrive by default: a
/// client that trickles it is disconnected.
pub const DEFAULT_HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The limit of a decision's body, in bytes.
const MAX_DECISION_BYTES: usize = 64 << 10;

/// The limit of a small body (a rollback's comment), in bytes.
pub(crate) const MAX_SMALL_BODY_BYTES: usize = 64 << 10;

/// What the server needs besides its store.
#[derive(Clone)]
pub struct Config {
    /// Request bodies larger than this get 413 and are not read further.
    pub max_body_bytes: usize,
    /// A request body that has not fully arrived after this gets 408.
    pub body_timeout: std::time::Duration,
    /// A request whose head (request line and headers) has not fully arrived after this is
    /// dropped with its connection.
    pub header_timeout: std::time::Duration,
    /// The rules triage uses (`quell serve -r`): to render samples and evaluate events.
    /// An alert names its rule, so an empty engine still triages stored alerts.
    pub rules: Arc<Engine>,
    /// The base rules files `(name, text)` in load order (`quell serve -r`, else the
    /// bundled ruleset). At start, [`crate::serve::run`] saves a new rule-set version when
    /// the newest one's base files differ ([`crate::rules::sync_base`]). Empty: no sync.
    pub base_rules: Vec<(String, String)>,
    /// Mark the console's session cookie `Secure` (set when serving TLS).
    pub secure_cookies: bool,
    /// Clusters one inbox request judges at most when it filters by verdict (default
    /// [`crate::console::VERDICT_SCAN`]); past it the page is partial.
    pub inbox_verdict_scan: usize,
    /// The optional language model of `POST /api/v1/assistant` (`quell serve --llm-url`):
    /// it writes the prose, quell-assist's model module checks it, quell's verdict stays.
    pub llm: Option<quell_assist::model::ModelConfig>,
    /// The `Host` names `/mcp` accepts besides the loopback ones
    /// ([`crate::mcp::LOOPBACK_HOSTS`]): the server's names as clients reach it
    /// (`quell serve --mcp-allowed-host`), a name or `name:port`.
    pub mcp_allowed_hosts: Vec<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("body_timeout", &self.body_timeout)
            .field("header_timeout", &self.header_timeout)
            .field("llm", &self.llm)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            rules: Arc::new(Engine::new()),
            base_rules: Vec::new(),
            secure_cookies: false,
            inbox_verdict_scan: crate::console::VERDICT_SCAN,
            llm: None,
            mcp_allowed_hosts: Vec::new(),
        }
    }
}

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token (`/healthz`, the console's sign-in).
    Public,
    /// Any valid token.
    AnyToken,
    /// Admin and sensor tokens: ingest (and, in a later slice, reading rules).
    Ingest,
    /// Admin and viewer tokens: reading alerts, clusters, metrics.
    Read,
    /// Admin tokens only: recording decisions, saving rules.
    Admin,
    /// Every role: reading rule sets (sensors fetch the active one).
    Rules,
}

impl Access {
    /// Whether a token of `role` may use a route of this access.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Public | Access::AnyToken | Access::Rules => true,
            Access::Ingest => matches!(role, Role::Admin | Role::Sensor),
            Access::Read => matches!(role, Role::Admin | Role::Viewer),
            Access::Admin => role == Role::Admin,
        }
    }

    /// The roles allowed, for the OpenAPI document's `x-quell-roles`.
    pub fn roles(self) -> Vec<&'static str> {
        if self == Access::Public {
            return Vec::new();
        }
        [Role::Admin, Role::Sensor, Role::Viewer]
            .into_iter()
            .filter(|r| self.allows(*r))
            .map(Role::as_str)
            .collect()
    }
}

/// One route the router serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    /// `GET`, `POST`.
    pub method: &'static str,
    /// The path pattern (`/api/v1/alerts/{id}`).
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
}

/// The identity a request was authenticated as (a request extension for handlers).
#[derive(Clone, Debug)]
pub struct Caller {
    /// The token's name: the actor recorded for decisions, the sensor recorded for alerts.
    pub name: String,
    /// The token's role.
    pub role: Role,
}

pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) metrics: Metrics,
    pub(crate) config: Config,
    pub(crate) catalogue: Arc<Catalogue>,
    /// The active rule-set version and its change notifications.
    pub(crate) rules: crate::rules::Rules,
    /// What sensors' latest heartbeats said beyond what the store keeps.
    pub(crate) sensors: crate::sensors::LiveStatus,
    /// The console's signed-in sessions.
    pub(crate) sessions: crate::session::Sessions,
    /// The inbox's verdicts, cached (crate::console).
    pub(crate) verdicts: crate::console::Verdicts,
    /// The assistant's exception answers, cached (crate::assistant).
    pub(crate) answers: crate::assistant::Answers,
}

/// An error answer: a status and a JSON body `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(json!({"error": self.message}))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<quell_store::Error> for ApiError {
    fn from(e: quell_store::Error) -> Self {
        use quell_store::Error as E;
        let status = match &e {
            E::InvalidAlert { .. } | E::Invalid(_) | E::InvalidCursor => StatusCode::BAD_REQUEST,
            E::NotFound(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::bad_request(e.body_text())
    }
}

pub(crate) type Shared = Arc<AppState>;

/// Registers routes with their access and metrics, recording each in [`RouteInfo`]s.
struct Builder {
    state: Shared,
    router: Router<Shared>,
    routes: Vec<RouteInfo>,
}

impl Builder {
    fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        mr: MethodRouter<Shared>,
    ) -> Self {
        let mut mr = mr;
        if access != Access::Public {
            mr = mr.route_layer(middleware::from_fn_with_state(
                (self.state.clone(), access),
                authenticate,
            ));
        }
        mr = mr.route_layer(middleware::from_fn_with_state(
            (self.state.clone(), path),
            track,
        ));
        self.router = self.router.route(path, mr);
        let method = match method {
            Method::POST => "POST",
            Method::DELETE => "DELETE",
            _ => "GET",
        };
        self.routes.push(RouteInfo {
            method,
            path,
            access,
        });
        self
    }
}

fn get_route<H, T>(h: H) -> MethodRouter<Shared>
where
    H: axum::handler::Handler<T, Shared>,
    T: 'static,
{
    on(MethodFilter::GET, h)
}

fn post_route<H, T>(h: H) -> MethodRouter<Shared>
where
    H: axum::handler::Handler<T, Shared>,
    T: 'static,
{
    on(MethodFilter::POST, h)
}

fn delete_route<H, T>(h: H) -> MethodRouter<Shared>
where
    H: axum::handler::Handler<T, Shared>,
    T: 'static,
{
    on(MethodFilter::DELETE, h)
}

/// The server's router over `store`, and the routes it serves (method, path, access).
pub fn router(store: Store, config: Config) -> (Router, Vec<RouteInfo>) {
    let state = Arc::new(AppState {
        store,
        metrics: Metrics::new(),
        config,
        catalogue: Arc::new(Catalogue::builtin()),
        sensors: crate::sensors::LiveStatus::default(),
        rules: crate::rules::Rules::default(),
        sessions: crate::session::Sessions::default(),
        verdicts: crate::console::Verdicts::default(),
        answers: crate::assistant::Answers::default(),
    });
    let b = Builder {
        state: state.clone(),
        router: Router::new(),
        routes: Vec::new(),
    };
    let b = b
        .add(Method::GET, "/healthz", Access::Public, get_route(healthz))
        .add(Method::GET, "/metrics", Access::Read, get_route(metrics))
        .add(
            Method::POST,
            "/api/v1/session",
            Access::Public,
            post_route(crate::session::post_session),
        )
        .add(
            Method::GET,
            "/api/v1/session",
            Access::Public,
            get_route(crate::session::get_session),
        )
        .add(
            Method::DELETE,
            "/api/v1/session",
            Access::Public,
            delete_route(crate::session::delete_session),
        )
        .add(
            Method::GET,
            "/api/v1/openapi.json",
            Access::AnyToken,
            get_route(openapi),
        )
        .add(
            Method::POST,
            "/api/v1/alerts",
            Access::Ingest,
            post_route(post_alerts),
        )
        .add(
            Method::GET,
            "/api/v1/alerts",
            Access::Read,
            get_route(get_alerts),
        )
        .add(
            Method::GET,
            "/api/v1/alerts/{id}",
            Access::Read,
            get_route(get_alert),
        )
        .add(
            Method::GET,
            "/api/v1/alerts/{id}/timeline",
            Access::Read,
            get_route(crate::console::get_timeline),
        )
        .add(
            Method::GET,
            "/api/v1/clusters",
            Access::Read,
            get_route(get_clusters),
        )
        .add(
            Method::GET,
            "/api/v1/clusters/{id}/alerts",
            Access::Read,
            get_route(get_cluster_alerts),
        )
        .add(
            Method::GET,
            "/api/v1/inbox",
            Access::Read,
            get_route(crate::console::get_inbox),
        )
        .add(
            Method::POST,
            "/api/v1/decisions",
            Access::Admin,
            post_route(post_decision),
        )
        .add(
            Method::POST,
            "/api/v1/sensors",
            Access::Ingest,
            post_route(post_sensor),
        )
        .add(
            Method::GET,
            "/api/v1/sensors",
            Access::Read,
            get_route(get_sensors),
        )
        .add(
            Method::GET,
            "/api/v1/rulesets/active",
            Access::Rules,
            get_route(crate::rulesets::get_active),
        )
        .add(
            Method::GET,
            "/api/v1/rulesets",
            Access::Rules,
            get_route(crate::rulesets::get_rulesets),
        )
        .add(
            Method::POST,
            "/api/v1/rulesets",
            Access::Admin,
            post_route(crate::rulesets::post_ruleset),
        )
        .add(
            Method::GET,
            "/api/v1/rulesets/diff",
            Access::Rules,
            get_route(crate::rulesets::get_diff),
        )
        .add(
            Method::POST,
            "/api/v1/rulesets/validate",
            Access::Read,
            post_route(crate::rulesets::post_validate),
        )
        .add(
            Method::GET,
            "/api/v1/rulesets/{version}",
            Access::Rules,
            get_route(crate::rulesets::get_ruleset),
        )
        .add(
            Method::POST,
            "/api/v1/rulesets/{version}/rollback",
            Access::Admin,
            post_route(crate::rulesets::post_rollback),
        )
        .add(
            Method::GET,
            "/api/v1/rulesets/{version}/export",
            Access::Rules,
            get_route(crate::rulesets::get_export),
        )
        .add(
            Method::POST,
            "/api/v1/tune",
            Access::Admin,
            post_route(crate::tune::post_tune),
        )
        .add(
            Method::POST,
            "/api/v1/assistant",
            Access::Read,
            post_route(crate::assistant::post_assistant),
        )
        .add(
            Method::POST,
            "/api/v1/tune/check",
            Access::Read,
            post_route(crate::tune::post_check),
        )
        // The MCP tools (streamable HTTP: POST, and GET/DELETE answered by rmcp).
        .add(
            Method::POST,
            "/mcp",
            Access::Read,
            crate::mcp::route(state.clone()),
        );
    let routes = b.routes;
    // The console's files: public (the page must load before sign-in), not API routes.
    let console = |path: &'static str, mr: MethodRouter<Shared>| {
        mr.route_layer(middleware::from_fn_with_state((state.clone(), path), track))
    };
    let router = b
        .router
        .route("/", console("/", get_route(crate::session::index)))
        .route(
            "/assets/{*path}",
            console("/assets/{*path}", get_route(crate::session::asset)),
        )
        .fallback(unmatched)
        .layer(middleware::map_response(nosniff))
        .with_state(state);
    (router, routes)
}

/// `X-Content-Type-Options: nosniff` on every answer: JSON holding attacker text is never
/// read as a page.
async fn nosniff(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        axum::http::HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// Counts every routed request: route, method, status, latency.
async fn track(
    State((state, route)): State<(Shared, &'static str)>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let resp = next.run(req).await;
    state.metrics.request(
        route,
        method.as_str(),
        resp.status().as_u16(),
        start.elapsed(),
    );
    resp
}

/// Checks the bearer token and the role; puts the [`Caller`] in the request.
async fn authenticate(
    State((state, access)): State<(Shared, Access)>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    // Without a bearer token, the console's session cookie stands for the token it was
    // made from; a change made with it needs the session's CSRF header.
    let token = match token {
        Some(t) => t,
        None => match crate::session::cookie(req.headers()) {
            Some(id) => {
                let Some(session) = state.sessions.get(&id) else {
                    return ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "the console's session has ended: sign in again",
                    )
                    .into_response();
                };
                if !crate::session::csrf_ok(req.method(), req.headers(), &session) {
                    return crate::session::csrf_error().into_response();
                }
                session.token
            }
            None => {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "missing bearer token: send `Authorization: Bearer TOKEN` (create one with `quell token new`)",
                )
                .into_response();
            }
        },
    };
    let info = match state.store.verify_token(&token).await {
        Ok(Some(info)) => info,
        Ok(None) => {
            return ApiError::new(StatusCode::UNAUTHORIZED, "unknown or revoked token")
                .into_response()
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    if !access.allows(info.role) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "a {} token may not use this route (allowed: {})",
                info.role.as_str(),
                access.roles().join(", ")
            ),
        )
        .into_response();
    }
    req.extensions_mut().insert(Caller {
        name: info.name,
        role: info.role,
    });
    next.run(req).await
}

async fn unmatched(State(state): State<Shared>, method: Method) -> ApiError {
    state.metrics.request(
        "(unmatched)",
        method.as_str(),
        404,
        std::time::Duration::ZERO,
    );
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such route (see /api/v1/openapi.json)",
    )
}

async fn healthz(State(state): State<Shared>) -> Response {
    match state.store.schema_version().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

async fn metrics(State(state): State<Shared>) -> Response {
    let mut text = state.metrics.render();
    match state.store.sensors().await {
        Ok(sensors) => text.push_str(&crate::sensors::render_metrics(&sensors)),
        Err(e) => return ApiError::from(e).into_response(),
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response()
}

async fn openapi() -> axum::Json<Json> {
    axum::Json(crate::openapi::document())
}

/// Reads a JSON body of at most `limit` bytes as `T` ([`read_body`]); a body that is not
/// a `T` is a 400 naming `what` and serde's reason (the key and position at fault).
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: std::time::Duration,
    what: &str,
) -> Result<T, ApiError> {
    let bytes = read_body(headers, body, limit, timeout).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid {what}: {e}")))
}

/// Reads a body of at most `limit` bytes (413 past it, without reading the rest).
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<axum::body::Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {limit} bytes: send smaller batches"),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // The body is read as sent: a compressed one would be parsed as garbage.
    if let Some(enc) = headers.get(CONTENT_ENCODING) {
        if !enc.as_bytes().eq_ignore_ascii_case(b"identity") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Encoding is not supported: send the body uncompressed",
            ));
        }
    }
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit));
    let Ok(read) = read.await else {
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body was not received within {} ms",
                timeout.as_millis()
            ),
        ));
    };
    read.map_err(|e| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if s.is::<http_body_util::LengthLimitError>() {
                return too_large();
            }
            source = s.source();
        }
        ApiError::bad_request(format!("could not read the body: {e}"))
    })
}

#[derive(Serialize)]
struct IngestAnswer {
    received: usize,
    stored: usize,
    duplicates: usize,
    format: &'static str,
    ids: Vec<i64>,
}

async fn post_alerts(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<IngestAnswer>, ApiError> {
    let bytes = match read_body(
        &headers,
        body,
        state.config.max_body_bytes,
        state.config.body_timeout,
    )
    .await
    {
        Ok(b) => b,
        Err(e) => {
            state.metrics.rejected(match e.status {
                StatusCode::PAYLOAD_TOO_LARGE => "too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "encoding",
                StatusCode::REQUEST_TIMEOUT => "timeout",
                _ => "unreadable",
            });
            return Err(e);
        }
    };
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Parsing a large batch is CPU work: off the async workers. A quell sensor's batch
    // carries each alert's event context (crate::sensors).
    let parsed = tokio::task::spawn_blocking(move || {
        if crate::sensors::is_sensor_batch(content_type.as_deref()) {
            crate::sensors::parse_sensor_batch(&bytes).map(|(b, c)| ("sensor", b, c))
        } else {
            parse_batch(&bytes, content_type.as_deref()).map(|b| {
                let none = vec![None; b.alerts.len()];
                (b.format.as_str(), b, none)
            })
        }
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("parsing failed: {e}"),
        )
    })?;
    let (format, mut batch, contexts) = parsed.map_err(|e| {
        state.metrics.rejected("malformed");
        ApiError::bad_request(e.to_string())
    })?;
    // Each alert's text and parsed object move to the store: parsed once, not copied.
    let new: Vec<NewAlert> = batch
        .alerts
        .iter_mut()
        .zip(contexts)
        .map(|(a, c)| {
            let alert = NewAlert::parsed(std::mem::take(&mut a.raw), std::mem::take(&mut a.object));
            match c {
                Some(c) => alert.with_context(c),
                None => alert,
            }
        })
        .collect();
    let outcome = state.store.ingest(&caller.name, new).await?;
    // The alerts stored now have the `stored` highest distinct ids of the batch (ids grow
    // with ingest order; a duplicate has the id of the alert stored before).
    let distinct: BTreeSet<i64> = outcome.ids.iter().copied().collect();
    let fresh: BTreeSet<i64> = distinct
        .iter()
        .rev()
        .take(outcome.stored)
        .copied()
        .collect();
    let mut seen = BTreeSet::new();
    let stored_alerts = batch
        .alerts
        .iter()
        .zip(&outcome.ids)
        .filter(|(_, id)| fresh.contains(id) && seen.insert(**id))
        .map(|(a, _)| (a.alert.rule.as_str(), a.alert.priority));
    state
        .metrics
        .ingested(format, stored_alerts, outcome.duplicates as u64);
    Ok(axum::Json(IngestAnswer {
        received: batch.alerts.len(),
        stored: outcome.stored,
        duplicates: outcome.duplicates,
        format,
        ids: outcome.ids,
    }))
}

/// An alert as the API returns it: the stored columns, and `alert`, the JSON text received,
/// embedded byte for byte.
#[derive(Serialize)]
struct AlertView {
    id: i64,
    received_ns: u64,
    time_ns: u64,
    rule: String,
    priority: String,
    hostname: String,
    container_id: Option<String>,
    container_image: Option<String>,
    k8s_namespace: Option<String>,
    source: String,
    sensor: String,
    cluster_id: i64,
    alert: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<Json>,
    /// quell's triage of the alert (one alert only).
    #[serde(skip_serializing_if = "Option::is_none")]
    triage: Option<Json>,
    /// The process tree, from the process up to its oldest known ancestor (one alert only).
    #[serde(skip_serializing_if = "Option::is_none")]
    lineage: Option<Vec<Json>>,
}

impl From<StoredAlert> for AlertView {
    fn from(a: StoredAlert) -> Self {
        // The store keeps only text that parsed as an alert object; should it not be JSON
        // any more, it is returned as a JSON string rather than dropped.
        let alert = RawValue::from_string(a.raw.clone()).unwrap_or_else(|_| {
            RawValue::from_string(Json::String(a.raw).to_string()).unwrap_or_default()
        });
        AlertView {
            id: a.id,
            received_ns: a.received_ns,
            time_ns: a.time_ns,
            rule: a.rule,
            priority: a.priority,
            hostname: a.hostname,
            container_id: a.container_id,
            container_image: a.container_image,
            k8s_namespace: a.k8s_namespace,
            source: a.source,
            sensor: a.sensor,
            cluster_id: a.cluster_id,
            alert,
            context: a.context,
            triage: None,
            lineage: None,
        }
    }
}

/// A time filter: RFC 3339 (`2026-07-31T12:00:00Z`) or nanoseconds since the epoch.
pub(crate) fn time_param(name: &str, v: Option<&str>) -> Result<Option<u64>, ApiError> {
    let Some(v) = v else { return Ok(None) };
    if let Ok(ns) = v.parse::<u64>() {
        return Ok(Some(ns));
    }
    quell_rules::output::parse_falco_time(v)
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "`{name}`: not an RFC 3339 time (2026-07-31T12:00:00Z) nor nanoseconds since the epoch"
            ))
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertParams {
    rule: Option<String>,
    priority: Option<String>,
    host: Option<String>,
    container: Option<String>,
    namespace: Option<String>,
    since: Option<String>,
    until: Option<String>,
    q: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct AlertsAnswer {
    alerts: Vec<AlertView>,
    next_cursor: Option<String>,
    /// The page stopped at the store's scan budget before it was full.
    partial: bool,
}

async fn get_alerts(
    State(state): State<Shared>,
    params: Result<Query<AlertParams>, QueryRejection>,
) -> Result<axum::Json<AlertsAnswer>, ApiError> {
    let Query(p) = params?;
    let mut q = AlertQuery::default();
    q.since_ns = time_param("since", p.since.as_deref())?;
    q.until_ns = time_param("until", p.until.as_deref())?;
    q.rule = p.rule;
    q.priority = p.priority;
    q.host = p.host;
    q.container = p.container;
    q.namespace = p.namespace;
    q.text = p.q;
    q.limit = p.limit;
    q.cursor = p.cursor;
    let page = state.store.alerts(q).await?;
    Ok(axum::Json(AlertsAnswer {
        alerts: page.alerts.into_iter().map(AlertView::from).collect(),
        next_cursor: page.next_cursor,
        partial: page.partial,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OneAlertParams {
    lang: Option<String>,
}

async fn get_alert(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Result<Query<OneAlertParams>, QueryRejection>,
) -> Result<axum::Json<AlertView>, ApiError> {
    let Query(p) = params?;
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = crate::judge::language(p.lang.as_deref(), accept).map_err(ApiError::bad_request)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("an alert id is a number"))?;
    let Some(a) = state.store.alert(id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no alert {id}"),
        ));
    };
    // quell-triage's verdict with the decisions as history (built once per state of the
    // decisions and of the active rules: crate::console), and the process lineage.
    let triage = crate::console::triage_one(&state, &a, lang).await?;
    let mut view = AlertView::from(a);
    (view.triage, view.lineage) = (triage.0, Some(triage.1));
    Ok(axum::Json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterParams {
    rule: Option<String>,
    host: Option<String>,
    image: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

async fn get_clusters(
    State(state): State<Shared>,
    params: Result<Query<ClusterParams>, QueryRejection>,
) -> Result<axum::Json<quell_store::ClusterPage>, ApiError> {
    let Query(p) = params?;
    let mut q = ClusterQuery::default();
    q.since_ns = time_param("since", p.since.as_deref())?;
    q.until_ns = time_param("until", p.until.as_deref())?;
    q.rule = p.rule;
    q.host = p.host;
    q.image = p.image;
    q.limit = p.limit;
    q.cursor = p.cursor;
    Ok(axum::Json(state.store.clusters(q).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageParams {
    limit: Option<usize>,
    cursor: Option<String>,
}

/// `GET /api/v1/clusters/{id}/alerts`: a cluster's alerts, newest first, by pages.
async fn get_cluster_alerts(
    State(state): State<Shared>,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<axum::Json<AlertsAnswer>, ApiError> {
    let Query(p) = params?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("a cluster id is a number"))?;
    if state.store.cluster(id).await?.is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no cluster {id}"),
        ));
    }
    let mut q = AlertQuery::default();
    q.cluster_id = Some(id);
    q.limit = p.limit;
    q.cursor = p.cursor;
    let page = state.store.alerts(q).await?;
    Ok(axum::Json(AlertsAnswer {
        alerts: page.alerts.into_iter().map(AlertView::from).collect(),
        next_cursor: page.next_cursor,
        partial: page.partial,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    alert_id: Option<i64>,
    cluster_id: Option<i64>,
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn post_decision(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<quell_store::Decision>), ApiError> {
    let d: DecisionBody = read_json(
        &headers,
        body,
        MAX_DECISION_BYTES,
        state.config.body_timeout,
        "decision",
    )
    .await?;
    let target = match (d.alert_id, d.cluster_id) {
        (Some(a), None) => Target::Alert(a),
        (None, Some(c)) => Target::Cluster(c),
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of `alert_id` and `cluster_id`",
            ))
        }
    };
    let verdict = Verdict::parse(&d.decision)
        .ok_or_else(|| ApiError::bad_request("`decision` is one of benign, real, investigating"))?;
    let recorded = state
        .store
        .decide(NewDecision::new(target, verdict, caller.name, d.reason))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(recorded)))
}

/// The limit of a heartbeat's body, in bytes.
const MAX_HEARTBEAT_BYTES: usize = 64 << 10;

/// `POST /api/v1/sensors`: a sensor's heartbeat, recorded under the token's name.
async fn post_sensor(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<crate::sensors::SensorView>, ApiError> {
    let hb: crate::sensors::Heartbeat = read_json(
        &headers,
        body,
        MAX_HEARTBEAT_BYTES,
        state.config.body_timeout,
        "heartbeat",
    )
    .await?;
    hb.check().map_err(ApiError::bad_request)?;
    let mut report = quell_store::SensorReport::new(caller.name.clone());
    report.host = hb.host;
    report.kernel = hb.kernel;
    report.quell_version = hb.quell_version;
    report.drops = hb.drops;
    let sensor = state.store.report_sensor(report).await?;
    let live = crate::sensors::Live {
        rules: hb.rules,
        spool: hb.spool,
    };
    state.sensors.set(&caller.name, live.clone());
    Ok(axum::Json(crate::sensors::SensorView {
        sensor,
        rules: live.rules,
        spool: live.spool,
    }))
}

#[derive(Serialize)]
struct SensorsAnswer {
    sensors: Vec<crate::sensors::SensorView>,
}

/// `GET /api/v1/sensors`: every sensor, with what its latest heartbeat said.
async fn get_sensors(State(state): State<Shared>) -> Result<axum::Json<SensorsAnswer>, ApiError> {
    let sensors = state.store.sensors().await?;
    Ok(axum::Json(SensorsAnswer {
        sensors: sensors
            .into_iter()
            .map(|sensor| {
                let live = state.sensors.get(&sensor.name).unwrap_or_default();
                crate::sensors::SensorView {
                    sensor,
                    rules: live.rules,
                    spool: live.spool,
                }
            })
            .collect(),
    }))
}
