//! Edge `api`, the web pages (Vietnamese), built into the binary — no CDN, no file to lose —
//! with a strict content-security policy (scripts and styles only from here, nothing inline);
//! health and the OpenAPI description.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

fn page(content_type: &'static str, body: &'static str) -> Response {
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

pub(super) async fn app_js() -> Response {
    page(
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/web/app.js"),
    )
}

pub(super) async fn app_css() -> Response {
    page(
        "text/css; charset=utf-8",
        include_str!("../../../assets/web/app.css"),
    )
}

/// Chart.js, vendored from npm at the version `assets/web/package-lock.json` pins (see
/// `assets/web/vendor/README.md`).
pub(super) async fn chart_js() -> Response {
    page(
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/web/vendor/chart.umd.min.js"),
    )
}

pub(super) async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

pub(super) async fn openapi() -> Json<Value> {
    Json(crate::api::openapi::document())
}
