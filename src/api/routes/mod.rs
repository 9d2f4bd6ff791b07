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
use axum::routing::{get, post};
use axum::Router;

use super::auth::{require, Denied, Role, User};
use super::error::{internal, ApiResult};
use super::ApiState;
use crate::desk::{Actor, Desk, Units};
use crate::index::SqliteIndex;

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
        let mut ix = SqliteIndex::open(&s.db).map_err(internal)?;
        let mut desk = Desk {
            store: &s.store,
            index: &mut ix,
            verify: &s.verify,
            clock: &s.clock,
            actor: &actor,
        };
        f(&mut desk, &s)
    })
    .await
    .map_err(internal)?
}

/// The routes, with the upload limit and the request timeout.
pub fn router(state: ApiState) -> Router {
    let limit = state.max_upload_bytes;
    let timeout = state.timeout;
    Router::new()
        .route("/", get(pages::index_html))
        .route("/static/{*file}", get(pages::asset))
        .route("/api/health", get(pages::health))
        .route("/api/openapi.json", get(pages::openapi))
        .route("/api/me", get(session::whoami))
        .route("/api/login", post(session::login))
        .route("/api/logout", post(session::logout))
        .route("/metrics", get(inbox::metrics))
        .route("/api/components", get(papers::search))
        .route("/api/components/{id}", get(papers::component))
        .route("/api/components/{id}/pdf", get(papers::download))
        .route("/api/components/{id}/pages/{page}", get(papers::page_image))
        .route("/api/dossiers/{code}", get(papers::dossier))
        .route("/api/dossiers/{code}/package", get(export::package))
        .route("/api/components/{id}/reuse", post(papers::reuse))
        .route("/api/components/{id}/review", post(papers::review))
        .route("/api/components/{id}/certify", post(papers::certify))
        .route("/api/certifications", get(papers::register))
        .route("/api/review", get(papers::review_queue))
        .route("/api/types", get(papers::types))
        .route("/api/verify", post(audit::verify_upload))
        .route("/api/jobs", get(inbox::jobs))
        .route("/api/inbox", get(inbox::inbox_files))
        .route("/api/failed/requeue", post(inbox::requeue))
        .route("/api/webhooks", get(inbox::webhooks))
        .route("/api/webhooks/retry", post(inbox::webhook_retry))
        .route("/api/audit", get(audit::audit_log))
        .route("/api/audit/verify", get(audit::audit_verify))
        .route("/api/reports", get(audit::reports))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        // outermost: every answer is timed, the limits' and the timeout's too
        .layer(axum::middleware::from_fn_with_state(state.clone(), timed))
        .with_state(state)
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
