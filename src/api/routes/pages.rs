//! Edge `api`, the web pages (Vietnamese), built into the binary — no CDN, no file to lose —
//! with a strict content-security policy (scripts and styles only from here, nothing inline);
//! health and the OpenAPI description.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

fn page(content_type: &str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn index_html() -> Response {
    page(
        "text/html; charset=utf-8",
        include_str!("../../../assets/web/index.html"),
    )
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file under `/static/`: (name, type, body), built into the binary. Third-party
/// scripts are copied from npm packages pinned by `assets/web/package-lock.json` (see
/// `assets/web/vendor/README.md`; `scripts/setup.sh` checks the copies).
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", JS, include_str!("../../../assets/web/app.js")),
    (
        "papers.js",
        JS,
        include_str!("../../../assets/web/papers.js"),
    ),
    (
        "reports.js",
        JS,
        include_str!("../../../assets/web/reports.js"),
    ),
    ("app.css", CSS, include_str!("../../../assets/web/app.css")),
    (
        "vendor/chart.umd.min.js",
        JS,
        include_str!("../../../assets/web/vendor/chart.umd.min.js"),
    ),
];

/// `/static/{file}`: a script or style of the pages; 404 for anything else.
pub(super) async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => page(content_type, body),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

pub(super) async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

pub(super) async fn openapi() -> Json<Value> {
    Json(crate::api::openapi::document())
}
