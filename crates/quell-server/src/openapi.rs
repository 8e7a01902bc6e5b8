//! The OpenAPI 3.1 document served at `GET /api/v1/openapi.json`: every route the router
//! serves, with its parameters, bodies, answers and the roles allowed (`x-quell-roles`).
//! A test compares its operations with the routes [`crate::router`] registers.

use serde_json::{json, Value as Json};

/// The error body every 4xx and 5xx answer carries.
fn error_response(description: &str) -> Json {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn q(name: &str, description: &str) -> Json {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": description})
}

fn roles(r: &[&str]) -> Json {
    json!(r)
}

/// The document.
pub fn document() -> Json {
    let auth_errors = json!({
        "401": error_response("No bearer token, or a token the server does not know."),
        "403": error_response("The token's role may not use this route."),
    });
    let with_auth = |mut responses: Json| {
        if let (Some(r), Some(a)) = (responses.as_object_mut(), auth_errors.as_object()) {
            for (k, v) in a {
                r.insert(k.clone(), v.clone());
            }
        }
        responses
    };
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "quell serve",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "quell's server: Falco alerts in (Falco http_output, falcosidekick, JSON Lines), stored in SQLite, queried, triaged and decided on. Every route but /healthz needs `Authorization: Bearer TOKEN` (`quell token new`). Errors are JSON: {\"error\": \"...\"}."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "Session": {"type": "object", "required": ["name", "role", "csrf"], "properties": {
                    "name": {"type": "string", "description": "The token's name."},
                    "role": {"type": "string", "enum": ["admin", "viewer"]},
                    "csrf": {"type": "string", "description": "The value of `X-Quell-CSRF` on writes made with the cookie."}
                }},
                "FalcoAlert": {
                    "type": "object",
                    "description": "A Falco JSON alert as Falco's json_output writes it; falcosidekick's `uuid` is the alert's id for idempotent ingest.",
                    "required": ["rule", "priority", "time"],
                    "properties": {
                        "hostname": {"type": "string"}, "output": {"type": "string"},
                        "output_fields": {"type": "object"}, "priority": {"type": "string"},
                        "rule": {"type": "string"}, "source": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "time": {"type": "string", "format": "date-time"},
                        "uuid": {"type": "string"}
                    }
                },
                "StoredAlert": {
                    "type": "object",
                    "description": "An alert as stored: `alert` is the JSON text received, byte for byte.",
                    "properties": {
                        "id": {"type": "integer"}, "received_ns": {"type": "integer"},
                        "time_ns": {"type": "integer"}, "rule": {"type": "string"},
                        "priority": {"type": "string"}, "hostname": {"type": "string"},
                        "container_id": {"type": ["string", "null"]}, "container_image": {"type": ["string", "null"]},
                        "k8s_namespace": {"type": ["string", "null"]}, "source": {"type": "string"},
                        "sensor": {"type": "string", "description": "The name of the token that sent it."},
                        "cluster_id": {"type": "integer"},
                        "alert": {"$ref": "#/components/schemas/FalcoAlert"},
                        "context": {"type": "object", "description": "quell's event context, when a sensor sent it (one alert only)."},
                        "triage": {"$ref": "#/components/schemas/Triage"}
                    }
                },
                "Triage": {
                    "type": "object",
                    "description": "quell's triage of one alert (GET /api/v1/alerts/{id} only), with the decisions recorded in the store as history. A score from the evidence quell saw, not a proof.",
                    "properties": {
                        "lang": {"type": "string", "enum": ["en", "ja"]},
                        "verdict": {"type": "string", "enum": ["likely_false_positive", "uncertain", "likely_real"]},
                        "verdict_text": {"type": "string"}, "score": {"type": "number"},
                        "summary": {"type": "string"},
                        "reasons": {"type": "array", "items": {"type": "object", "properties": {
                            "signal": {"type": "string"}, "evidence": {"type": "string"}, "effect": {"type": "number"}}}},
                        "confirm": {"type": "array", "items": {"type": "string"}},
                        "anchor": {"type": ["string", "null"]}, "cluster": {"type": "string"}
                    }
                },
                "IngestResult": {
                    "type": "object",
                    "properties": {
                        "received": {"type": "integer"}, "stored": {"type": "integer"},
                        "duplicates": {"type": "integer"}, "format": {"type": "string", "enum": ["object", "array", "jsonl", "sensor"]},
                        "ids": {"type": "array", "items": {"type": "integer"}, "description": "Each alert's id in the batch's order (a duplicate's is the id stored before)."}
                    }
                },
                "Heartbeat": {
                    "type": "object",
                    "description": "What a sensor reports every ~10 s. Its name is the token's.",
                    "properties": {
                        "host": {"type": "string"}, "kernel": {"type": "string"}, "quell_version": {"type": "string"},
                        "drops": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "Totals since the sensor started, by kind: `kernel` (ring buffers full), `spool` (spool full)."},
                        "rules": {"type": "object", "description": "The rules it evaluates: `source` (server or local), `version`, `refused` ({version, error}: a version that did not compile), `warning`."},
                        "spool": {"type": "object", "description": "Its spool: `pending` alerts, `bytes`."}
                    }
                },
                "Sensor": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"}, "host": {"type": "string"},
                        "kernel": {"type": "string"}, "quell_version": {"type": "string"},
                        "first_seen_ns": {"type": "integer"}, "last_seen_ns": {"type": "integer"},
                        "drops": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "rules": {"type": ["object", "null"], "description": "From its latest heartbeat since the server started."},
                        "spool": {"type": ["object", "null"]}
                    }
                },
                "RuleFile": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "description": "Base files are named `base/NN-FILE` (NN: their place in `quell serve -r`); every other file is local."},
                        "kind": {"type": "string", "enum": ["base", "local"]},
                        "contents": {"type": "string"}
                    }
                },
                "ExceptionProvenance": {
                    "type": "object",
                    "properties": {
                        "rule": {"type": "string"}, "name": {"type": "string"},
                        "proposer": {"type": "string", "description": "Who or what proposed it (`quell tune`, a person)."},
                        "verification": {"description": "quell tune's proof, as JSON."},
                        "comment": {"type": "string"},
                        "expires_ns": {"type": ["integer", "null"], "description": "When it stops applying (nanoseconds since the epoch)."},
                        "expired": {"type": "boolean"}
                    }
                },
                "RuleSetBody": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "comment": {"type": "string", "description": "Why (required to save)."},
                        "files": {"type": "array", "items": {"type": "object", "required": ["name", "contents"], "properties": {
                            "name": {"type": "string", "description": "NAME.yaml or DIR/NAME.yaml (ASCII letters, digits, `.`, `_`, `-`); not base/…"},
                            "contents": {"type": "string"}}}},
                        "exceptions": {"type": "array", "items": {"type": "object", "required": ["rule", "name"], "properties": {
                            "rule": {"type": "string"}, "name": {"type": "string"},
                            "proposer": {"type": "string", "description": "Default: the token's name."},
                            "verification": {}, "comment": {"type": "string"},
                            "expires": {"type": "string", "format": "date-time"}, "expires_ns": {"type": "integer"}}}}
                    }
                },
                "Validation": {
                    "type": "object",
                    "properties": {
                        "ok": {"type": "boolean"}, "errors": {"type": "integer"}, "warnings": {"type": "integer"},
                        "diagnostics": {"type": "array", "items": {"type": "object", "properties": {
                            "code": {"type": "string", "description": "quell-rules' stable code (Falco's: LOAD_ERR_YAML_PARSE, …) or QUELL_*."},
                            "severity": {"type": "string", "enum": ["error", "warning"]},
                            "message": {"type": "string"},
                            "file": {"type": ["string", "null"]}, "line": {"type": ["integer", "null"]}, "column": {"type": ["integer", "null"]},
                            "item_type": {"type": ["string", "null"]}, "item_name": {"type": ["string", "null"]}}}}
                    }
                },
                "ActiveRuleSet": {
                    "type": "object",
                    "properties": {
                        "version": {"type": "integer"},
                        "revision": {"type": "string", "description": "`V.E`: the version and how many of its exceptions have expired; grows with every save, rollback and expiry. Pass it back as `after`."},
                        "author": {"type": "string"}, "at_ns": {"type": "integer"}, "comment": {"type": "string"},
                        "files": {"type": "array", "items": {"$ref": "#/components/schemas/RuleFile"}, "description": "In load order, as in effect now."},
                        "exceptions": {"type": "array", "items": {"$ref": "#/components/schemas/ExceptionProvenance"}},
                        "expired": {"type": "array", "items": {"type": "object", "properties": {
                            "rule": {"type": "string"}, "name": {"type": "string"}, "expires_ns": {"type": "integer"},
                            "removed": {"type": "integer", "description": "Entries removed from the local files."}}}},
                        "next_expiry_ns": {"type": ["integer", "null"]}
                    }
                },
                "Decision": {
                    "type": "object",
                    "required": ["decision"],
                    "properties": {
                        "alert_id": {"type": "integer", "description": "The alert decided on (or give `cluster_id`)."},
                        "cluster_id": {"type": "integer", "description": "The cluster decided on (from GET /api/v1/clusters)."},
                        "decision": {"type": "string", "enum": ["benign", "real", "investigating"]},
                        "reason": {"type": "string"}
                    }
                }
            }
        },
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {"get": {
                "summary": "Liveness: 200 and `ok` while the server runs and its database answers.",
                "security": [],
                "x-quell-roles": roles(&[]),
                "responses": {"200": {"description": "ok", "content": {"text/plain": {}}}, "503": error_response("The database does not answer.")}
            }},
            "/metrics": {"get": {
                "summary": "Prometheus text format: alerts ingested by rule and priority, duplicates, rejected requests, requests and latency by route.",
                "x-quell-roles": roles(&["admin", "viewer"]),
                "responses": with_auth(json!({"200": {"description": "metrics", "content": {"text/plain; version=0.0.4": {}}}}))
            }},
            "/api/v1/session": {
                "post": {
                    "summary": "The web console's sign-in: an admin or viewer token in; `{name, role, csrf}` out with `Set-Cookie: quell_session=...; HttpOnly; SameSite=Strict; Path=/` (`Secure` under TLS), valid 12 h in the server's memory. The cookie then authenticates like the token (same roles; a revoked token ends it); a request with the cookie that is not GET or HEAD must carry `X-Quell-CSRF: csrf`, else 403.",
                    "security": [],
                    "x-quell-roles": roles(&[]),
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}}}},
                    "responses": {
                        "200": {"description": "signed in", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}},
                        "400": error_response("Not `{token}`."),
                        "401": error_response("An unknown or revoked token."),
                        "403": error_response("A sensor token."),
                        "415": error_response("Not `Content-Type: application/json`.")
                    }
                },
                "get": {
                    "summary": "Who the session cookie signs in, or 401.",
                    "security": [],
                    "x-quell-roles": roles(&[]),
                    "responses": {
                        "200": {"description": "the session", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}},
                        "401": error_response("No session, an ended one, or its token revoked.")
                    }
                },
                "delete": {
                    "summary": "Sign out: ends the cookie's session (needs `X-Quell-CSRF`).",
                    "security": [],
                    "x-quell-roles": roles(&[]),
                    "responses": {
                        "204": {"description": "signed out; the cookie is cleared"},
                        "401": error_response("No session."),
                        "403": error_response("No or a wrong `X-Quell-CSRF` header.")
                    }
                }
            },
            "/api/v1/openapi.json": {"get": {
                "summary": "This document.",
                "x-quell-roles": roles(&["admin", "sensor", "viewer"]),
                "responses": with_auth(json!({"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}}))
            }},
            "/api/v1/alerts": {
                "post": {
                    "summary": "Ingest a batch of Falco alerts. Answers 2xx only after the batch is committed; an alert already stored (same `uuid`, or same content and time) is not stored twice. One malformed alert rejects the whole batch (400, nothing stored) with a message naming its line or element and key.",
                    "x-quell-roles": roles(&["admin", "sensor"]),
                    "requestBody": {"required": true, "content": {
                        "application/json": {"schema": {"oneOf": [
                            {"$ref": "#/components/schemas/FalcoAlert"},
                            {"type": "array", "items": {"$ref": "#/components/schemas/FalcoAlert"}}
                        ]}},
                        "application/x-ndjson": {"schema": {"type": "string", "description": "One FalcoAlert object per line."}},
                        "application/x-quell-sensor+jsonl": {"schema": {"type": "string", "description": "A quell sensor's batch: one `{\"alert\": FalcoAlert, \"context\": object}` per line; the alert is stored byte for byte, the context as its event context."}}
                    }},
                    "responses": with_auth(json!({
                        "200": {"description": "Committed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResult"}}}},
                        "400": error_response("Malformed body: nothing stored."),
                        "408": error_response("The body did not arrive in time (60 s by default): nothing stored."),
                        "413": error_response("Body over the size limit: nothing stored."),
                        "415": error_response("A Content-Encoding (compression) was given: send the body uncompressed."),
                        "503": error_response("The store failed: nothing acknowledged; retry.")
                    }))
                },
                "get": {
                    "summary": "Alerts, newest first, filtered; `next_cursor` gives the next page.",
                    "x-quell-roles": roles(&["admin", "viewer"]),
                    "parameters": [
                        q("rule", "Exact rule name."), q("priority", "A Falco priority (any case)."),
                        q("host", "Exact host name."), q("container", "Container id or image."),
                        q("namespace", "Kubernetes namespace."), q("since", "RFC 3339 time or nanoseconds: alerts at or after."),
                        q("until", "RFC 3339 time or nanoseconds: alerts before."), q("q", "Text contained in the alert's output."),
                        q("limit", "Page size (1 to 1000, default 100)."), q("cursor", "`next_cursor` of the previous page.")
                    ],
                    "responses": with_auth(json!({
                        "200": {"description": "A page.", "content": {"application/json": {"schema": {"type": "object", "properties": {
                            "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/StoredAlert"}},
                            "next_cursor": {"type": ["string", "null"]},
                            "partial": {"type": "boolean", "description": "The page stopped at the server's scan budget before it was full (filters matching few alerts): it may hold fewer alerts than asked, even none; `next_cursor` continues the search."}
                        }}}}},
                        "400": error_response("A filter or the cursor is malformed.")
                    }))
                }
            },
            "/api/v1/alerts/{id}": {"get": {
                "summary": "One alert: everything stored about it, and quell's triage verdict with its reasons in English or Japanese (`lang`, else Accept-Language).",
                "x-quell-roles": roles(&["admin", "viewer"]),
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                    q("lang", "`en` or `ja` for the triage text (else Accept-Language).")
                ],
                "responses": with_auth(json!({
                    "200": {"description": "The alert.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StoredAlert"}}}},
                    "400": error_response("The id is not a number, or `lang` is not en or ja."),
                    "404": error_response("No such alert.")
                }))
            }},
            "/api/v1/clusters": {"get": {
                "summary": "Alerts grouped by the store (rule, host, container image and quell-triage's behaviour signature): counts, first and last seen, the latest decision on the cluster; newest first, `next_cursor` gives the next page.",
                "x-quell-roles": roles(&["admin", "viewer"]),
                "parameters": [
                    q("rule", "Exact rule name."), q("host", "Exact host name."), q("image", "Container image."),
                    q("since", "RFC 3339 time or nanoseconds: last seen at or after."),
                    q("until", "RFC 3339 time or nanoseconds: first seen before."),
                    q("limit", "Page size (1 to 1000, default 100)."), q("cursor", "`next_cursor` of the previous page.")
                ],
                "responses": with_auth(json!({"200": {"description": "Clusters.", "content": {"application/json": {}}}}))
            }},
            "/api/v1/rulesets/active": {"get": {
                "summary": "The active rule set (the newest version) as in effect now: its files in load order (base files from `quell serve -r`, then local files), each exception's provenance, and the exceptions past their expiry (removed from the local files served). With `after`, answers at once only when the active revision is newer; otherwise waits up to `wait` seconds (at most 30) for a save, a rollback or an expiry, then answers 204. Sensors long-poll it.",
                "x-quell-roles": roles(&["admin", "sensor", "viewer"]),
                "parameters": [
                    q("after", "The `revision` of the previous answer (`3.1`: version 3 with 1 exception expired), or a version number (`3`, read as `3.0`)."),
                    q("wait", "Seconds to wait for a newer revision (0 to 30, default 0).")
                ],
                "responses": with_auth(json!({
                    "200": {"description": "The active version.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActiveRuleSet"}}}},
                    "204": {"description": "No revision newer than `after` within `wait`."},
                    "400": error_response("`after` or `wait` is malformed, or an unknown parameter was given."),
                    "404": error_response("No rule set has been saved yet (without `after`).")
                }))
            }},
            "/api/v1/rulesets": {
                "get": {
                    "summary": "Every rule-set version, newest first (the first is the active one): version, author, time, comment, how many files and exceptions.",
                    "x-quell-roles": roles(&["admin", "sensor", "viewer"]),
                    "responses": with_auth(json!({"200": {"description": "`{active, versions}`.", "content": {"application/json": {}}}}))
                },
                "post": {
                    "summary": "Save a new version: the local files (base files are the active version's) and exceptions' provenance (proposer, verification, comment, expiry as `expires` RFC 3339 or `expires_ns`). The whole set is loaded through quell-rules first; any error refuses it (422 with the diagnostics) and nothing is saved. Provenance of the previous version carries over for exceptions still present. `comment` is required. Audited; sensors long-polling the active version are woken.",
                    "x-quell-roles": roles(&["admin"]),
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RuleSetBody"}}}},
                    "responses": with_auth(json!({
                        "201": {"description": "Saved: `{saved, diagnostics}` (warnings only).", "content": {"application/json": {}}},
                        "400": error_response("Malformed body, or no comment."),
                        "413": error_response("Body over the size limit."),
                        "422": {"description": "Invalid rules: `{error, ok, errors, warnings, diagnostics}`; nothing saved.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Validation"}}}}
                    }))
                }
            },
            "/api/v1/rulesets/diff": {"get": {
                "summary": "A unified diff per file between two versions (files equal in both are left out), and the exceptions whose provenance was added or removed.",
                "x-quell-roles": roles(&["admin", "sensor", "viewer"]),
                "parameters": [
                    {"name": "from", "in": "query", "required": true, "schema": {"type": "integer"}},
                    {"name": "to", "in": "query", "required": true, "schema": {"type": "integer"}}
                ],
                "responses": with_auth(json!({
                    "200": {"description": "`{from, to, files: [{name, kind, status, diff}], exceptions: {added, removed}}`.", "content": {"application/json": {}}},
                    "400": error_response("`from` or `to` is missing or not a version number."),
                    "404": error_response("No such version.")
                }))
            }},
            "/api/v1/rulesets/validate": {"post": {
                "summary": "Check local files (and exceptions' provenance) with the active version's base files, through quell-rules: diagnostics with stable codes, file, line and column. Nothing is saved.",
                "x-quell-roles": roles(&["admin", "viewer"]),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RuleSetBody"}}}},
                "responses": with_auth(json!({
                    "200": {"description": "The diagnostics (`ok` is false when any is an error).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Validation"}}}},
                    "400": error_response("Malformed body."),
                    "413": error_response("Body over the size limit.")
                }))
            }},
            "/api/v1/rulesets/{version}": {"get": {
                "summary": "One version as stored: files in load order with their kind, each exception's provenance and whether it has expired now, whether it is the active version.",
                "x-quell-roles": roles(&["admin", "sensor", "viewer"]),
                "parameters": [{"name": "version", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": with_auth(json!({
                    "200": {"description": "The version.", "content": {"application/json": {}}},
                    "400": error_response("Not a version number."),
                    "404": error_response("No such version.")
                }))
            }},
            "/api/v1/rulesets/{version}/rollback": {"post": {
                "summary": "Save a new version with this version's local files and exceptions (the base files stay the active version's); the comment says `rollback to version N`. History is never rewritten. Optional body `{\"comment\": \"...\"}`.",
                "x-quell-roles": roles(&["admin"]),
                "parameters": [{"name": "version", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": with_auth(json!({
                    "201": {"description": "Saved.", "content": {"application/json": {}}},
                    "400": error_response("Not a version number, or a malformed body."),
                    "404": error_response("No such version."),
                    "422": {"description": "That version's local files do not load with the current base files; nothing saved.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Validation"}}}}
                }))
            }},
            "/api/v1/rulesets/{version}/export": {"get": {
                "summary": "The version's local files as in effect now (expired exceptions removed) as one YAML file for a real Falco: `form=local` a falco_rules.local.yaml, `form=rulesd` a file for /etc/falco/rules.d/.",
                "x-quell-roles": roles(&["admin", "sensor", "viewer"]),
                "parameters": [
                    {"name": "version", "in": "path", "required": true, "schema": {"type": "integer"}},
                    q("form", "`local` (default) or `rulesd`.")
                ],
                "responses": with_auth(json!({
                    "200": {"description": "The file.", "content": {"application/yaml": {}}},
                    "400": error_response("Not a version number, or an unknown form."),
                    "404": error_response("No such version."),
                    "409": error_response("The local files cannot be joined into one file.")
                }))
            }},
            "/api/v1/tune": {"post": {
                "summary": "Alerts or clusters judged benign → quell-triage's proposed exception for their rule, verified as `quell tune` proves it: it loads after the active rules, silences the benign alerts, keeps quell's recorded attacks and near-attacks alerting, and its blast radius over the stored history (the newest 5000 stored alerts of the rule, people's decisions as `quell.decision`) with example alerts it would silence; alternatives; both YAML forms (`yaml`: the rules-editor block with `override`; `legacy.yaml`: the append form). Body: `{\"alert_ids\": [..]}` and/or `{\"cluster_ids\": [..]}` (one rule; at most 1000 alerts).",
                "x-quell-roles": roles(&["admin"]),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "alert_ids": {"type": "array", "items": {"type": "integer"}},
                    "cluster_ids": {"type": "array", "items": {"type": "integer"}}}}}}},
                "responses": with_auth(json!({
                    "200": {"description": "`{rule, template, generality, names, yaml, legacy: {yaml, verification}, verification, silences, alternatives, benign, history}`.", "content": {"application/json": {}}},
                    "400": error_response("Malformed body, no alerts, alerts of several rules, or a rule the active rules do not have."),
                    "404": error_response("No such alert or cluster."),
                    "422": error_response("No exception passes verification (the reason is said).")
                }))
            }},
            "/api/v1/assistant": {"post": {
                "summary": "A question in English or Japanese about stored alerts (is this likely a false positive, why did this rule fire, what happened in this session, write an exception, what would it silence, is this exception right, what to check next, what does rule R detect, which rules alert most), answered by quell's deterministic assistant (`quell ask`) from triage with the stored decisions, the rule's stored history (as `/api/v1/tune` reads it) and the store's counts per rule. An unrecognised question gets the list of what can be answered. A proposed exception is shown, never applied. Body: `{\"question\": \"...\", \"about\": {\"alert_id\": N} | {\"cluster_id\": N} | {\"filter\": \"condition\"}, \"lang\": \"en\"|\"ja\"}` (`about` omitted: the newest stored alert; a filter is matched against the newest 1000 alerts; a cluster's newest 50 alerts are read).",
                "x-quell-roles": roles(&["admin", "viewer"]),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["question"], "properties": {
                    "question": {"type": "string", "description": "The question; an exception block pasted after it (from a line starting with `- rule:` or a code fence) is checked."},
                    "about": {"type": "object", "properties": {
                        "alert_id": {"type": "integer"}, "cluster_id": {"type": "integer"},
                        "filter": {"type": "string", "description": "A condition compiled by quell-rules, e.g. `proc.cmdline=\"rm /var/log/dpkg.log\"`."}}},
                    "lang": {"type": "string", "enum": ["en", "ja"]}}}}}},
                "responses": with_auth(json!({
                    "200": {"description": "`quell ask --json`'s answer: `{intent, lang, answer, verdict, exception: {yaml, verification, legacy_yaml, legacy_verification}, check, evidence: [{kind, line, text}], diagnostics: [{code, message}]}` (`line`: the stored alert's id).", "content": {"application/json": {}}},
                    "400": error_response("Malformed body, an empty question, several `about`s, or a filter that does not compile."),
                    "404": error_response("No such alert or cluster."),
                    "413": error_response("Body over 64 KiB.")
                }))
            }},
            "/api/v1/tune/check": {"post": {
                "summary": "An exception block written elsewhere → every problem with its fix, its verification against the active rules and the stored history of the rules it names, and a corrected, verified block when one can be inferred (`quell tune --check`). Body: `{\"yaml\": \"...\", \"name\": \"file name\", \"alert_ids\": [..], \"cluster_ids\": [..]}` (benign alerts optional).",
                "x-quell-roles": roles(&["admin", "viewer"]),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["yaml"], "properties": {
                    "yaml": {"type": "string"}, "name": {"type": "string"},
                    "alert_ids": {"type": "array", "items": {"type": "integer"}},
                    "cluster_ids": {"type": "array", "items": {"type": "integer"}}}}}}},
                "responses": with_auth(json!({
                    "200": {"description": "`{ok, problems: [{what, fix}], rules: [{rule, verification, corrected}], history}`.", "content": {"application/json": {}}},
                    "400": error_response("Malformed body."),
                    "404": error_response("No such alert or cluster."),
                    "413": error_response("Body over 1 MiB.")
                }))
            }},
            "/mcp": {"post": {
                "summary": "quell's MCP tools over the Model Context Protocol's streamable HTTP transport (JSON-RPC 2.0 messages, not REST): validate_rules, replay, triage, explain_alert, search_alerts, propose_exception, check_exception, all read-only, backed by the store. The `Host` (and a browser's `Origin`) must be a loopback name or one of `quell serve --mcp-allowed-host`. Use an MCP client; see quell-mcp's README.",
                "x-quell-roles": roles(&["admin", "viewer"]),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "description": "A JSON-RPC 2.0 request or notification of the MCP protocol."}}}},
                "responses": with_auth(json!({
                    "200": {"description": "The JSON-RPC answer (a tool's failure is a result with `isError: true` naming the argument at fault).", "content": {"application/json": {}}},
                    "202": {"description": "A notification accepted."},
                    "400": error_response("Not a JSON-RPC message of the protocol."),
                    "406": error_response("The client does not accept `application/json` and `text/event-stream`."),
                    "413": error_response("Body over the server's limit.")
                }))
            }},
            "/api/v1/decisions": {"post": {
                "summary": "Record a person's decision on an alert or a cluster (benign, real, investigating), with why; the token is recorded as who.",
                "x-quell-roles": roles(&["admin"]),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Decision"}}}},
                "responses": with_auth(json!({
                    "201": {"description": "Recorded.", "content": {"application/json": {}}},
                    "400": error_response("Malformed decision."),
                    "404": error_response("No such alert.")
                }))
            }},
            "/api/v1/sensors": {
                "post": {
                    "summary": "A sensor's heartbeat (`quell run --server` sends one at start and every ~10 s): host, kernel, quell version, drop counters, the rules it evaluates. Recorded under the token's name.",
                    "x-quell-roles": roles(&["admin", "sensor"]),
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Heartbeat"}}}},
                    "responses": with_auth(json!({
                        "200": {"description": "Recorded.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Sensor"}}}},
                        "400": error_response("Malformed heartbeat, or a value over its limit.")
                    }))
                },
                "get": {
                    "summary": "Every sensor: host, kernel, version, first and last seen, drop counters, and the rules and spool of its latest heartbeat.",
                    "x-quell-roles": roles(&["admin", "viewer"]),
                    "responses": with_auth(json!({"200": {"description": "Sensors.", "content": {"application/json": {"schema": {"type": "object", "properties": {
                        "sensors": {"type": "array", "items": {"$ref": "#/components/schemas/Sensor"}}
                    }}}}}}))
                }
            }
        }
    });
    console_paths(&mut doc, &with_auth);
    doc
}

/// The console's data routes (crate::console), added to `doc`'s paths and schemas.
fn console_paths(doc: &mut Json, with_auth: &dyn Fn(Json) -> Json) {
    let inbox = json!({"get": {
        "summary": "The inbox: behaviour clusters (rule, host, container image and quell-triage's behaviour signature) by their latest alert, newest first, each with quell-triage's verdict on its latest alert (with its event context and the store's decisions as history; cached until the cluster, the decisions or the active rule set change), its latest decision and its hourly trend over 24 hours.",
        "x-quell-roles": roles(&["admin", "viewer"]),
        "parameters": [
            q("rule", "Exact rule name."), q("priority", "Minimum priority (any case): `warning` keeps Warning and more severe."),
            q("host", "Exact host name."), q("image", "Container image."), q("namespace", "Kubernetes namespace of the latest alert."),
            q("since", "RFC 3339 time or nanoseconds: last seen at or after."),
            q("until", "RFC 3339 time or nanoseconds: first seen before."),
            q("verdict", "likely_false_positive, uncertain or likely_real. A request judges at most 400 clusters: past that the page is partial and `next_cursor` continues."),
            q("decision", "The latest decision on the cluster: benign, real, investigating, or none."),
            q("q", "Text (literal, case-sensitive) in the rule, host, image or namespace."),
            q("limit", "Page size (1 to 200, default 50)."), q("cursor", "`next_cursor` of the previous page."),
            q("lang", "`en` or `ja` for the verdict's text (else Accept-Language).")
        ],
        "responses": with_auth(json!({
            "200": {"description": "A page.", "content": {"application/json": {"schema": {"type": "object", "properties": {
                "clusters": {"type": "array", "items": {"$ref": "#/components/schemas/InboxCluster"}},
                "next_cursor": {"type": ["string", "null"]},
                "partial": {"type": "boolean", "description": "The page stopped at a scan budget (the store's, or the verdicts judged) before it was full: follow `next_cursor`."}
            }}}}},
            "400": error_response("A filter, `lang` or the cursor is malformed.")
        }))
    }});
    let timeline = json!({"get": {
        "summary": "What the alert's session did before and after it: the stored alerts of the same host, container and session (quell-triage's session key: host, container, session id; else the alerts sharing the process's ancestors) within the window, and the process starts their event contexts carry, each classified (exec, download, connect, file).",
        "x-quell-roles": roles(&["admin", "viewer"]),
        "parameters": [
            {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
            q("window", "Seconds before and after the alert (1 to 86400, default 600).")
        ],
        "responses": with_auth(json!({
            "200": {"description": "The timeline.", "content": {"application/json": {"schema": {"type": "object", "properties": {
                "session": {"type": "object", "properties": {"key": {"type": "string"}, "kind": {"type": "string", "enum": ["session", "lineage", "alert"]}}},
                "window": {"type": "object", "properties": {"from_ns": {"type": "integer"}, "to_ns": {"type": "integer"}}},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "time_ns": {"type": "integer"}, "kind": {"type": "string", "enum": ["exec", "download", "connect", "file", "alert"]},
                    "text": {"type": "string"}, "alert_id": {"type": "integer"}, "rule": {"type": "string"},
                    "pid": {"type": ["integer", "null"]}, "this": {"type": "boolean"}
                }}},
                "truncated": {"type": "boolean", "description": "More than 5,000 alerts of the host and container in the window: the newest were read."}
            }}}}},
            "400": error_response("The id is not a number, or the window is out of range."),
            "404": error_response("No such alert.")
        }))
    }});
    let cluster_alerts = json!({"get": {
        "summary": "A cluster's alerts, newest first; `next_cursor` gives the next page.",
        "x-quell-roles": roles(&["admin", "viewer"]),
        "parameters": [
            {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
            q("limit", "Page size (1 to 1000, default 100)."), q("cursor", "`next_cursor` of the previous page.")
        ],
        "responses": with_auth(json!({
            "200": {"description": "A page.", "content": {"application/json": {"schema": {"type": "object", "properties": {
                "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/StoredAlert"}},
                "next_cursor": {"type": ["string", "null"]},
                "partial": {"type": "boolean"}
            }}}}},
            "400": error_response("The id is not a number, or the cursor is malformed."),
            "404": error_response("No such cluster.")
        }))
    }});
    let inbox_cluster = json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "rule": {"type": "string"}, "priority": {"type": "string"},
            "hostname": {"type": "string"}, "image": {"type": ["string", "null"]}, "namespace": {"type": ["string", "null"]},
            "signature": {"type": "string", "description": "quell-triage's behaviour signature id (empty for clusters made before schema 4)."},
            "count": {"type": "integer"}, "first_ns": {"type": "integer"}, "last_ns": {"type": "integer"},
            "verdict": {"type": ["string", "null"], "enum": ["likely_false_positive", "uncertain", "likely_real", null]},
            "verdict_text": {"type": ["string", "null"]}, "score": {"type": ["number", "null"]}, "summary": {"type": ["string", "null"]},
            "decision": {"type": ["object", "null"], "properties": {"decision": {"type": "string"}, "actor": {"type": "string"}, "at_ns": {"type": "integer"}, "reason": {"type": "string"}}},
            "trend": {"type": "object", "properties": {"start_ns": {"type": "integer"}, "bucket_ns": {"type": "integer"}, "counts": {"type": "array", "items": {"type": "integer"}, "minItems": 24, "maxItems": 24}}},
            "latest_alert_id": {"type": "integer"}
        }
    });
    let lineage = json!({"type": "array", "description": "GET /api/v1/alerts/{id} only: the process tree from the alert's process up to its oldest known ancestor, from the alert's fields and its event context.",
    "items": {"type": "object", "properties": {
        "pid": {"type": ["integer", "null"]}, "name": {"type": ["string", "null"]}, "exe": {"type": ["string", "null"]},
        "cmdline": {"type": ["string", "null"]}, "user": {"type": ["string", "null"]}, "tty": {"type": ["integer", "null"]}
    }}});
    if let Some(paths) = doc.get_mut("paths").and_then(Json::as_object_mut) {
        paths.insert("/api/v1/inbox".into(), inbox);
        paths.insert("/api/v1/alerts/{id}/timeline".into(), timeline);
        paths.insert("/api/v1/clusters/{id}/alerts".into(), cluster_alerts);
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Json::as_object_mut)
    {
        schemas.insert("InboxCluster".into(), inbox_cluster);
    }
    if let Some(props) = doc
        .pointer_mut("/components/schemas/StoredAlert/properties")
        .and_then(Json::as_object_mut)
    {
        props.insert("lineage".into(), lineage);
    }
}
