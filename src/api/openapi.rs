//! Edge `api`, its OpenAPI 3.1 description (served at `/api/openapi.json`): every route of the
//! router (a test holds them equal), its parameters, request body and answers — the JSON
//! schema of each 2xx body (`components/schemas`), the media type of the others, and every
//! error status it can give with `{"error": "…"}` — the roles each needs (in `x-roles`),
//! bearer-token security. `schemathesis` checks the live server against it in the tests.

use serde_json::{json, Map, Value};

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
    ("post", "/api/verify", "Verify the PDF sent as the body (its bytes, any media type): the verification report; 422 when it cannot be checked (not a PDF, unreadable)", &["officer", "auditor", "admin"], &[]),
    ("get", "/api/jobs", "The inbox journal (an operator sees only their units)", &["operator", "auditor", "admin"], &["state", "limit"]),
    ("get", "/api/inbox", "Files in the inbox now (waiting to be complete or to be taken), an operator's units only", &["operator", "auditor", "admin"], &[]),
    ("post", "/api/failed/requeue", "Move a failed file back into the inbox: {\"path\": \"<unit>/<file>\"}", &["operator", "admin"], &[]),
    ("get", "/api/webhooks", "Webhook deliveries of the inbox's events, newest first (`state=dead`: the dead letters)", &["admin"], &["state", "limit"]),
    ("post", "/api/webhooks/retry", "Send a dead letter again at the next pass: {\"event_id\", \"url\"} (logged)", &["admin"], &[]),
    ("get", "/api/audit", "The audit log", &["auditor", "admin"], &[]),
    ("get", "/api/audit/verify", "Check the audit log's hash chain and its signed checkpoints", &["auditor", "admin"], &[]),
    ("get", "/api/reports", "Per unit and month (one `month`, or `from` to `to`, YYYY-MM): dossiers received and digitized, papers digitized and signed, reuse; the rates; `targets` per unit from [report] in config.toml (format=csv for CSV: the rows)", &["officer", "auditor", "admin"], &["unit", "month", "from", "to", "format"]),
];

/// A schema reference.
fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// An object with these properties, the `required` ones always present.
fn obj(props: &[(&str, Value)], required: &[&str]) -> Value {
    let mut p = Map::new();
    for (k, v) in props {
        p.insert((*k).to_string(), v.clone());
    }
    json!({ "type": "object", "properties": p, "required": required })
}

fn t(ty: &str) -> Value {
    json!({ "type": ty })
}

fn nullable(ty: &str) -> Value {
    json!({ "type": [ty, "null"] })
}

fn list(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// The shared schemas.
fn schemas() -> Value {
    json!({
        "Error": obj(&[("error", t("string"))], &["error"]),
        "User": obj(
            &[("name", t("string")), ("role", t("string")), ("units", list(t("string")))],
            &["name", "role", "units"],
        ),
        "Component": obj(
            &[
                ("id", t("integer")),
                ("unit_code", t("string")),
                ("dossier_code", nullable("string")),
                ("type_code", t("string")),
                ("confidence", t("number")),
                ("review_state", t("string")),
                ("pages", t("integer")),
                ("blank_pages", t("integer")),
                ("source_sha256", t("string")),
                ("signed_sha256", nullable("string")),
                ("owner_ids", list(t("string"))),
                ("issue_date", nullable("string")),
                ("valid_until", nullable("string")),
                ("rescan_of", nullable("integer")),
                ("created_at", t("string")),
                ("holder_name", nullable("string")),
            ],
            &["id", "unit_code", "type_code", "pages", "source_sha256", "owner_ids", "created_at"],
        ),
        "Badge": obj(
            &[("status", json!({"type": "string", "enum": [
                "verifies", "does_not_verify", "missing", "unsigned", "could_not_check"]}))],
            &["status"],
        ),
        "Job": obj(
            &[
                ("job_key", t("string")),
                ("unit_code", t("string")),
                ("dossier_code", nullable("string")),
                ("label", t("string")),
                ("state", t("string")),
                ("attempts", t("integer")),
                ("message", nullable("string")),
                ("papers", t("integer")),
                ("first_seen", t("string")),
                ("updated_at", t("string")),
            ],
            &["job_key", "unit_code", "label", "state", "papers", "updated_at"],
        ),
        "AuditEntry": obj(
            &[
                ("seq", t("integer")),
                ("time", t("string")),
                ("actor", t("string")),
                ("action", t("string")),
                ("subject", t("string")),
                ("details", t("string")),
                ("prev_hash", t("string")),
                ("hash", t("string")),
            ],
            &["seq", "time", "actor", "action", "subject", "details", "prev_hash", "hash"],
        ),
        "Delivery": obj(
            &[
                ("event_id", t("string")),
                ("kind", t("string")),
                ("url", t("string")),
                ("payload", t("string")),
                ("state", json!({"type": "string", "enum": ["pending", "delivered", "dead"]})),
                ("attempts", t("integer")),
                ("next_at", t("integer")),
                ("last_error", nullable("string")),
                ("created_at", t("string")),
                ("updated_at", t("string")),
            ],
            &["event_id", "kind", "url", "state", "attempts", "next_at"],
        ),
    })
}

/// What a route answers with 200: a JSON schema, or another media type.
enum Answer {
    Json(Value),
    Media(&'static [&'static str]),
}

/// The 200 answer of each route, and its request body (media type, schema).
fn answer(method: &str, path: &str) -> Option<(Answer, Option<(&'static str, Value)>)> {
    use Answer::{Json as J, Media as M};
    let none = None;
    let components = || obj(&[("components", list(r("Component")))], &["components"]);
    Some(match (method, path) {
        ("get", "/api/health") => (
            J(obj(
                &[("status", t("string")), ("version", t("string"))],
                &["status", "version"],
            )),
            none,
        ),
        ("get", "/api/openapi.json") => (J(t("object")), none),
        ("post", "/api/login") => (
            J(obj(
                &[
                    ("token", t("string")),
                    ("expires_at", t("string")),
                    ("user", r("User")),
                ],
                &["token", "expires_at", "user"],
            )),
            Some((
                "application/json",
                obj(
                    &[("user", t("string")), ("password", t("string"))],
                    &["user", "password"],
                ),
            )),
        ),
        ("post", "/api/logout") => (
            J(obj(&[("logged_out", t("string"))], &["logged_out"])),
            none,
        ),
        ("get", "/api/me") => (J(obj(&[("user", r("User"))], &["user"])), none),
        ("get", "/metrics") => (M(&["application/openmetrics-text"]), none),
        ("get", "/api/components") => (J(components()), none),
        ("get", "/api/components/{id}") => (
            J(obj(
                &[
                    ("component", r("Component")),
                    ("fields", json!({})),
                    ("signature_verifies", nullable("boolean")),
                    ("signature", r("Badge")),
                    ("report", json!({"type": ["object", "null"]})),
                ],
                &[
                    "component",
                    "fields",
                    "signature_verifies",
                    "signature",
                    "report",
                ],
            )),
            none,
        ),
        ("get", "/api/components/{id}/pdf") => (M(&["application/pdf"]), none),
        ("get", "/api/components/{id}/pages/{page}") => (M(&["image/jpeg"]), none),
        ("get", "/api/dossiers/{code}") => (
            J(obj(
                &[
                    ("code", t("string")),
                    ("unit_code", t("string")),
                    ("received_at", t("string")),
                    ("papers", list(t("object"))),
                    ("reused", list(t("object"))),
                    ("history", list(t("object"))),
                ],
                &["code", "unit_code", "papers", "reused", "history"],
            )),
            none,
        ),
        ("get", "/api/dossiers/{code}/package") => (M(&["application/zip"]), none),
        ("post", "/api/components/{id}/certify") => (
            J(obj(
                &[
                    ("register_id", t("integer")),
                    ("unit_code", t("string")),
                    ("year", t("integer")),
                    ("number", t("integer")),
                    ("book", t("string")),
                    ("source_id", t("integer")),
                    ("copy_id", t("integer")),
                    ("signed_sha256", t("string")),
                ],
                &[
                    "unit_code",
                    "year",
                    "number",
                    "source_id",
                    "copy_id",
                    "signed_sha256",
                ],
            )),
            none,
        ),
        ("get", "/api/certifications") => (
            J(obj(
                &[("certifications", list(t("object")))],
                &["certifications"],
            )),
            none,
        ),
        ("post", "/api/components/{id}/reuse") => (
            J(obj(
                &[
                    ("reused", t("integer")),
                    ("dossier", t("string")),
                    ("override", t("boolean")),
                    ("audit_seq", t("integer")),
                ],
                &["reused", "dossier", "override", "audit_seq"],
            )),
            Some((
                "application/json",
                json!({
                    "type": "object",
                    "properties": {"dossier": t("string"), "override_reason": nullable("string")},
                    "required": ["dossier"],
                    "additionalProperties": false,
                }),
            )),
        ),
        ("post", "/api/components/{id}/review") => (
            J(obj(
                &[
                    ("reviewed", t("integer")),
                    ("state", t("string")),
                    ("type_code", t("string")),
                    ("owner_ids", list(t("string"))),
                    ("valid_until", nullable("string")),
                    ("audit_seq", t("integer")),
                ],
                &["reviewed", "state", "type_code", "owner_ids", "audit_seq"],
            )),
            Some((
                "application/json",
                json!({
                    "type": "object",
                    "properties": {
                        "type_code": t("string"),
                        "fields": list(json!({
                            "type": "object",
                            "properties": {"kind": t("string"), "value": t("string")},
                            "required": ["kind", "value"],
                        })),
                    },
                    "required": ["type_code", "fields"],
                    "additionalProperties": false,
                }),
            )),
        ),
        ("get", "/api/review") => (
            J(obj(
                &[(
                    "components",
                    list(obj(
                        &[("component", r("Component")), ("fields", json!({}))],
                        &["component"],
                    )),
                )],
                &["components"],
            )),
            none,
        ),
        ("get", "/api/types") => (
            J(obj(
                &[
                    ("types", list(t("object"))),
                    ("field_kinds", list(json!({}))),
                ],
                &["types", "field_kinds"],
            )),
            none,
        ),
        ("post", "/api/verify") => (
            J(obj(&[("report", t("object"))], &["report"])),
            Some((
                "application/octet-stream",
                json!({"type": "string", "format": "binary"}),
            )),
        ),
        ("get", "/api/jobs") => (J(obj(&[("jobs", list(r("Job")))], &["jobs"])), none),
        ("get", "/api/inbox") => (J(obj(&[("files", list(t("object")))], &["files"])), none),
        ("post", "/api/failed/requeue") => (
            J(obj(&[("requeued", t("string"))], &["requeued"])),
            Some((
                "application/json",
                json!({
                    "type": "object",
                    "properties": {"path": t("string")},
                    "required": ["path"],
                    "additionalProperties": false,
                }),
            )),
        ),
        ("get", "/api/webhooks") => (
            J(obj(&[("deliveries", list(r("Delivery")))], &["deliveries"])),
            none,
        ),
        ("post", "/api/webhooks/retry") => (
            J(obj(
                &[("retried", t("string")), ("url", t("string"))],
                &["retried", "url"],
            )),
            Some((
                "application/json",
                json!({
                    "type": "object",
                    "properties": {"event_id": t("string"), "url": t("string")},
                    "required": ["event_id", "url"],
                    "additionalProperties": false,
                }),
            )),
        ),
        ("get", "/api/audit") => (
            J(obj(&[("entries", list(r("AuditEntry")))], &["entries"])),
            none,
        ),
        ("get", "/api/audit/verify") => (
            J(obj(
                &[
                    ("intact", t("boolean")),
                    ("report", t("object")),
                    ("checkpoints", list(t("object"))),
                    ("anchored_to", t("integer")),
                    ("unanchored", t("integer")),
                    ("problems", list(t("string"))),
                    ("warnings", list(t("string"))),
                ],
                &[
                    "intact",
                    "report",
                    "checkpoints",
                    "anchored_to",
                    "problems",
                    "warnings",
                ],
            )),
            none,
        ),
        ("get", "/api/reports") => (
            J(obj(
                &[("rows", list(t("object"))), ("targets", json!({}))],
                &["rows"],
            )),
            none,
        ),
        _ => return None,
    })
}

/// The error statuses a route can answer, each with `{"error": "…"}`.
fn errors(method: &str, path: &str, roles: &[&str], params: &[&str], body: bool) -> Vec<u16> {
    let mut e = vec![503]; // the request timeout, on every route
    if !roles.is_empty() {
        e.extend([401, 403]);
    }
    if !params.is_empty() || body {
        e.push(400);
    }
    if path.contains('{') {
        e.push(404);
    }
    if body {
        e.extend([413, 415, 422]);
    }
    e.extend(match (method, path) {
        ("post", "/api/login") => &[401, 429][..],
        ("get", "/api/components/{id}/pdf") => &[409][..],
        ("get", "/api/dossiers/{code}/package") => &[409, 413, 502][..],
        ("post", "/api/components/{id}/certify") => &[409, 502][..],
        ("post", "/api/components/{id}/reuse") => &[409][..],
        ("get", "/api/components/{id}/pages/{page}") => &[409][..],
        ("post", "/api/verify") => &[413][..],
        ("post", "/api/failed/requeue") => &[404][..],
        ("post", "/api/webhooks/retry") => &[][..],
        _ => &[][..],
    });
    e.sort_unstable();
    e.dedup();
    e
}

/// The methods and paths described (the router must serve exactly these, and the web pages).
#[cfg(test)]
pub(crate) fn described() -> Vec<(&'static str, &'static str)> {
    ROUTES.iter().map(|(m, p, ..)| (*m, *p)).collect()
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, roles, params) in ROUTES {
        let parameters: Vec<Value> = params
            .iter()
            .map(|p| {
                let in_path = path.contains(&format!("{{{p}}}"));
                let ty = match *p {
                    "id" | "limit" | "page" | "size" | "year" => "integer",
                    "portal" => "boolean",
                    _ => "string",
                };
                let schema = match (*path, *p) {
                    ("/api/jobs", "state") => json!({"type": "string",
                        "enum": ["processing", "stored", "failed", "retry", "interrupted"]}),
                    ("/api/webhooks", "state") => {
                        json!({"type": "string", "enum": ["pending", "delivered", "dead"]})
                    }
                    ("/api/reports", "format") => {
                        json!({"type": "string", "enum": ["json", "csv"]})
                    }
                    (_, "limit") => json!({"type": "integer", "minimum": 1, "maximum": 1000}),
                    (_, "size") => json!({"type": "integer", "minimum": 200, "maximum": 2400}),
                    (_, "page") => json!({"type": "integer", "minimum": 1}),
                    _ => json!({ "type": ty }),
                };
                json!({
                    "name": p,
                    "in": if in_path { "path" } else { "query" },
                    "required": in_path,
                    "schema": schema,
                })
            })
            .collect();
        let (ok, body) = answer(method, path).unwrap_or((Answer::Json(json!({})), None));
        let mut responses = Map::new();
        let content = match ok {
            // the report as CSV with format=csv
            Answer::Json(schema) if *path == "/api/reports" => json!({
                "application/json": {"schema": schema},
                "text/csv": {},
            }),
            Answer::Json(schema) => json!({"application/json": {"schema": schema}}),
            Answer::Media(types) => {
                let mut c = Map::new();
                for m in types {
                    c.insert((*m).to_string(), json!({}));
                }
                // CSV reports and the like say so in their summary; errors are JSON
                Value::Object(c)
            }
        };
        responses.insert(
            "200".into(),
            json!({"description": "OK", "content": content}),
        );
        for code in errors(method, path, roles, params, body.is_some()) {
            responses.insert(
                code.to_string(),
                json!({
                    "description": status_words(code),
                    "content": {"application/json": {"schema": r("Error")}},
                }),
            );
        }
        let mut op = json!({
            "summary": summary,
            "operationId": format!("{method} {path}"),
            "parameters": parameters,
            "x-roles": roles,
            "responses": responses,
        });
        if let Some((media, schema)) = body {
            op["requestBody"] = json!({"required": true, "content": {media: {"schema": schema}}});
        }
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
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        },
        "security": [{"token": []}],
        "paths": paths,
    })
}

fn status_words(code: u16) -> &'static str {
    match code {
        400 => "A parameter or the body is wrong",
        401 => "No, unknown or expired token (or wrong password)",
        403 => "The role or unit does not allow it",
        404 => "No such paper, dossier, file or delivery",
        409 => "The paper's state does not allow it (unsigned, does not verify, expired)",
        413 => "The body or the answer is over the limit",
        415 => "The body is not of the declared media type",
        422 => "The body's JSON has the wrong shape, or its values fail their checks",
        429 => "Too many wrong passwords in a row",
        502 => "A TSA or token the server relies on did not answer",
        503 => "Not set up on this server, or the request took longer than the timeout",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_its_answer_and_its_statuses() {
        for (method, path, ..) in ROUTES {
            assert!(
                answer(method, path).is_some(),
                "{method} {path} has no answer schema"
            );
        }
        let d = document();
        let op = &d["paths"]["/api/components/{id}/reuse"]["post"];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["required"][0],
            "dossier"
        );
        assert!(op["responses"]["409"].is_object() && op["responses"]["415"].is_object());
        assert!(d["paths"]["/api/health"]["get"]["responses"]["401"].is_null());
    }
}
