//! Edge `api`, the routes: each checks the caller's role (and unit), runs its use-case on the
//! desk floor on a blocking thread with its own index connection, and answers JSON (or the
//! PDF). One file per resource: sessions, papers, verification, the inbox, audit and reports,
//! the web pages.

mod audit;
mod export;
mod inbox;
mod pages;
mod papers;
mod session;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use super::auth::{require, Denied, Role, User};
use super::error::{internal, ApiResult};
use super::ApiState;
use crate::desk::{Actor, Desk, Units};

/// The caller: an API token from the configuration, or a session a login opened.
fn user(s: &ApiState, h: &HeaderMap, roles: &[Role]) -> ApiResult<User> {
    let auth = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let u = match s.users.authenticate(auth) {
        Ok(u) => u,
        Err(Denied::Unauthenticated) => auth
            .and_then(|a| a.strip_prefix("Bearer "))
            .and_then(|t| s.sessions.user(t.trim(), s.clock.epoch_secs()))
            .ok_or(Denied::Unauthenticated)?,
        Err(e) => return Err(e.into()),
    };
    require(&u, roles)?;
    Ok(u)
}

/// Who acts on the desk for user `u`.
fn actor(u: &User) -> Actor {
    Actor {
        name: u.name.clone(),
        units: if u.role.all_units() {
            Units::All
        } else {
            Units::Only(u.units.clone())
        },
    }
}

/// Runs `f` on the desk, as `actor`, with an index connection on a blocking thread.
async fn with_desk<T: Send + 'static>(
    s: &ApiState,
    actor: Actor,
    f: impl FnOnce(&mut Desk, &ApiState) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || {
        s.index.with(|ix| {
            let mut desk = Desk {
                store: s.store.as_ref(),
                index: ix,
                verify: &s.verify,
                clock: &s.clock,
                actor: &actor,
            };
            f(&mut desk, &s)
        })
    })
    .await
    .map_err(internal)?
}

/// The web pages: served by the router, not API routes (not in the description).
#[cfg(test)]
const PAGES: &[(&str, &str)] = &[("get", "/"), ("get", "/static/{*file}")];

/// Every route: `(method, path, handler)`. The router is built from this list only, and a
/// test holds it equal to the OpenAPI description (plus [`PAGES`]).
fn endpoints() -> Vec<(&'static str, &'static str, MethodRouter<ApiState>)> {
    vec![
        ("get", "/", get(pages::index_html)),
        ("get", "/static/{*file}", get(pages::asset)),
        ("get", "/api/health", get(pages::health)),
        ("get", "/api/openapi.json", get(pages::openapi)),
        ("get", "/api/me", get(session::whoami)),
        ("post", "/api/login", post(session::login)),
        ("post", "/api/logout", post(session::logout)),
        ("get", "/metrics", get(inbox::metrics)),
        ("get", "/api/components", get(papers::search)),
        ("get", "/api/components/{id}", get(papers::component)),
        ("get", "/api/components/{id}/pdf", get(papers::download)),
        (
            "get",
            "/api/components/{id}/pages/{page}",
            get(papers::page_image),
        ),
        ("get", "/api/dossiers/{code}", get(papers::dossier)),
        ("get", "/api/dossiers/{code}/package", get(export::package)),
        ("post", "/api/components/{id}/reuse", post(papers::reuse)),
        ("post", "/api/components/{id}/review", post(papers::review)),
        (
            "post",
            "/api/components/{id}/certify",
            post(papers::certify),
        ),
        ("get", "/api/certifications", get(papers::register)),
        ("get", "/api/review", get(papers::review_queue)),
        ("get", "/api/types", get(papers::types)),
        ("post", "/api/verify", post(audit::verify_upload)),
        ("get", "/api/jobs", get(inbox::jobs)),
        ("get", "/api/inbox", get(inbox::inbox_files)),
        ("post", "/api/failed/requeue", post(inbox::requeue)),
        ("get", "/api/webhooks", get(inbox::webhooks)),
        ("post", "/api/webhooks/retry", post(inbox::webhook_retry)),
        ("get", "/api/audit", get(audit::audit_log)),
        ("get", "/api/audit/verify", get(audit::audit_verify)),
        ("get", "/api/reports", get(audit::reports)),
    ]
}

/// The routes, with the upload limit and the request timeout.
pub fn router(state: ApiState) -> Router {
    let limit = state.max_upload_bytes;
    let timeout = state.timeout;
    endpoints()
        .into_iter()
        .fold(Router::new(), |r, (_, path, handler)| {
            r.route(path, handler)
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        // the extractors' and the layers' rejections (plain text) become {"error": …} too
        .layer(axum::middleware::from_fn(json_errors))
        // outermost: every answer is timed, the limits' and the timeout's too
        .layer(axum::middleware::from_fn_with_state(state.clone(), timed))
        .with_state(state)
}

/// Every error answer is `{"error": "…"}`: axum's own (a path or query that does not parse,
/// a body of the wrong media type or shape, over the limit, the timeout) come as plain text,
/// and are rewritten; ours are JSON already.
async fn json_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    // a rejection's text is short; anything longer is cut
    let text = match axum::body::to_bytes(response.into_body(), 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let text = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    (status, axum::Json(serde_json::json!({ "error": text }))).into_response()
}

/// Records each request's latency by declared route (`/api/components/{id}`, never the raw
/// path: bounded labels), method and status.
async fn timed(
    State(s): State<ApiState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    s.summary
        .http
        .get_or_create(&crate::inbox::HttpLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .observe(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_router_and_the_description_list_the_same_routes() {
        let mut served: Vec<(&str, &str)> = super::endpoints()
            .iter()
            .map(|(m, p, _)| (*m, *p))
            .filter(|r| !super::PAGES.contains(r))
            .collect();
        let mut described = crate::api::openapi::described();
        served.sort_unstable();
        described.sort_unstable();
        let missing: Vec<_> = served.iter().filter(|r| !described.contains(r)).collect();
        let extra: Vec<_> = described.iter().filter(|r| !served.contains(r)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "served but not described: {missing:?}; described but not served: {extra:?}"
        );
    }
}
