//! Edge `api`, its OpenAPI 3.1 description (served at `/api/openapi.json`): the routes, their
//! parameters, the roles each needs (in `x-roles`), bearer-token security.

use serde_json::{json, Value};

/// `(method, path, summary, roles, parameters)` of one route.
type Route = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// Every route.
const ROUTES: &[Route] = &[
    ("get", "/api/health", "Liveness (no token needed)", &[], &[]),
    ("get", "/api/openapi.json", "This description (no token needed)", &[], &[]),
    ("post", "/api/login", "Web login: {\"user\", \"password\"} → {\"token\", \"expires_at\"} for Authorization: Bearer; 401 wrong, 429 after five wrong in a row (logged)", &[], &[]),
    ("post", "/api/logout", "End the session of this token", &["operator", "officer", "auditor", "admin"], &[]),
    ("get", "/api/me", "Who the token belongs to", &["operator", "officer", "auditor", "admin"], &[]),
    ("get", "/metrics", "OpenMetrics text: batches stored, failed (by reason), retried, in progress; papers; histograms of drop → signed, OCR per page, signing per paper, HTTP latency per route and status", &["operator", "auditor", "admin"], &[]),
    ("get", "/api/components", "Find stored papers (an officer sees only their units)", &["officer", "auditor", "admin"], &["person", "tax_code", "type", "text", "dossier", "unit", "valid_on", "limit"]),
    ("get", "/api/components/{id}", "One paper, and whether its stored signature verifies (logged)", &["officer", "auditor", "admin"], &["id"]),
    ("get", "/api/components/{id}/pdf", "Download the signed PDF/A (logged)", &["officer", "admin"], &["id"]),
    ("get", "/api/components/{id}/pages/{page}", "Page `page` (1-based) of the signed PDF as a JPEG picture, its longest side `size` pixels (200 to 2400, default 1400), rendered on the server from bytes checked against their SHA-256 (logged as a view); 503 when the server has no pdftoppm", &["officer", "auditor", "admin"], &["id", "page", "size"]),
    ("get", "/api/dossiers/{code}", "One dossier: its papers in scan order with their badges, the papers reused into it, its history from the audit log (received, digitized and signed, reviewed, reused, certified, renewed, downloaded, viewed)", &["officer", "auditor", "admin"], &["code"]),
    ("get", "/api/dossiers/{code}/package", "The dossier as a signed package (application/zip; logged as an export): its signed papers, manifest.json (dossier, unit, procedure, each paper's type, component code, SHA-256, signers, owners, validity) and manifest.json.p7s, the manifest's detached CAdES signature by the agency; `portal=true` adds portal.json (the national portal's DongBoHoSoMC names); 409 when a paper's signature does not verify, 413 over 256 MiB (use `sohoa export`), 503 when no signer is set up; check it offline with `sohoa verify-package`", &["officer", "admin"], &["code", "procedure", "portal"]),
    ("post", "/api/components/{id}/certify", "Make an electronic certified copy of the paper: numbered in its unit's register, signed by the certifying officer and the agency; 409 when the paper is unsigned or does not verify, 503 when [certify] is not set up", &["officer", "admin"], &["id"]),
    ("get", "/api/certifications", "The certification register of the user's units (unit, year, number, book, source paper, copy, state)", &["officer", "auditor", "admin"], &["unit", "year"]),
    ("post", "/api/components/{id}/reuse", "Reuse a paper in a dossier: {\"dossier\", \"override_reason\"?}; 409 when expired or not verifying without a reason", &["officer", "admin"], &["id"]),
    ("post", "/api/components/{id}/review", "Confirm or correct a paper's type and fields: {\"type_code\", \"fields\": [{\"kind\", \"value\"}]} (the complete list); logged; 422 with the reason for an unknown type or a value failing its check", &["officer", "admin"], &["id"]),
    ("get", "/api/review", "The review queue: papers of the officer's units the classifier was unsure of, oldest first, with their fields", &["officer", "admin"], &["limit"]),
    ("get", "/api/types", "The document types (code, Vietnamese name, fields read, validity) and the field kinds", &["operator", "officer", "auditor", "admin"], &[]),
    ("post", "/api/verify", "Verify the PDF sent as the body: the verification report", &["officer", "auditor", "admin"], &[]),
    ("get", "/api/jobs", "The inbox journal (an operator sees only their units)", &["operator", "auditor", "admin"], &["state", "limit"]),
    ("get", "/api/inbox", "Files in the inbox now (waiting to be complete or to be taken), an operator's units only", &["operator", "auditor", "admin"], &[]),
    ("post", "/api/failed/requeue", "Move a failed file back into the inbox: {\"path\": \"<unit>/<file>\"}", &["operator", "admin"], &[]),
    ("get", "/api/webhooks", "Webhook deliveries of the inbox's events, newest first (`state=dead`: the dead letters)", &["admin"], &["state", "limit"]),
    ("post", "/api/webhooks/retry", "Send a dead letter again at the next pass: {\"event_id\", \"url\"} (logged)", &["admin"], &[]),
    ("get", "/api/audit", "The audit log", &["auditor", "admin"], &[]),
    ("get", "/api/audit/verify", "Check the audit log's hash chain and its signed checkpoints", &["auditor", "admin"], &[]),
    ("get", "/api/reports", "Per unit and month (one `month`, or `from` to `to`, YYYY-MM): dossiers received and digitized, papers digitized and signed, reuse; the rates; `targets` per unit from [report] in config.toml (format=csv for CSV: the rows)", &["officer", "auditor", "admin"], &["unit", "month", "from", "to", "format"]),
];

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, roles, params) in ROUTES {
        let parameters: Vec<Value> = params
            .iter()
            .map(|p| {
                let in_path = path.contains(&format!("{{{p}}}"));
                json!({
                    "name": p,
                    "in": if in_path { "path" } else { "query" },
                    "required": in_path,
                    "schema": {"type": if matches!(*p, "id" | "limit" | "page" | "size") { "integer" } else { "string" }},
                })
            })
            .collect();
        let mut op = json!({
            "summary": summary,
            "parameters": parameters,
            "x-roles": roles,
            "responses": {
                "200": {"description": "OK"},
                "400": {"description": "A parameter is wrong: {\"error\": \"…\"}"},
                "401": {"description": "No or unknown token"},
                "403": {"description": "The role or unit does not allow it"},
            },
        });
        if roles.is_empty() {
            op["security"] = json!([]);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "sohoa",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Digitized, signed and stored papers of one-stop administrative desks: search, download, reuse, verify, the inbox and the audit log.",
        },
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": paths,
    })
}
