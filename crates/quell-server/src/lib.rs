#![recursion_limit = "256"]
//! quell's server, `quell serve`: an HTTP API (axum on tokio) over quell-store.
//!
//! - [`ingest`]: the request body of `POST /api/v1/alerts` → alerts (Falco's `http_output`
//!   object, an array, JSON Lines, falcosidekick's payload), all or nothing;
//! - [`app`]: the router: bearer-token authentication with roles (admin, sensor, viewer),
//!   body limits, the handlers;
//! - [`console`]: the console's data: the inbox of behaviour clusters with verdicts and
//!   trends, an alert's process lineage and its session's timeline;
//! - [`judge`]: quell-triage's verdict on one stored alert, in English or Japanese;
//! - [`assistant`]: `POST /api/v1/assistant`: quell ask's questions about stored alerts;
//! - [`metrics`]: Prometheus text at `/metrics`;
//! - [`openapi`]: the OpenAPI document at `/api/v1/openapi.json`;
//! - [`sensors`]: quell sensors' batches (alerts with event context), heartbeats, and
//!   what the server shows of them;
//! - [`rules`]: rule-set versions: base and local files, exceptions past their expiry
//!   removed, the active version and its change notifications;
//! - [`tune`]: `quell tune` from the store: verified exceptions for alerts or clusters
//!   judged benign, and checks of exceptions written elsewhere;
//! - [`session`]: the web console's sign-in (a session cookie made from a token, CSRF
//!   on writes) and its files (`/`, `/assets/*`) with their security headers;
//! - [`mcp`]: `/mcp`, quell's MCP tools (quell-mcp) over streamable HTTP, backed by the
//!   store;
//! - [`serve`]: binding, signals, graceful shutdown, and `quell token new`.
//!
//! The `quell` binary parses options and calls [`serve::run`] / [`serve::new_token`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub mod assistant;
pub mod console;
pub mod ingest;
pub mod judge;
pub mod mcp;
pub mod metrics;
pub mod openapi;
pub mod rules;
mod rulesets;
pub mod sensors;
pub mod serve;
pub mod session;
pub mod tune;

pub use app::{router, Access, Caller, Config, RouteInfo};
pub use serve::{
    new_token, run, serve_on, serve_on_tls, tls_config, Ready, ServeError, ServeOptions,
};
