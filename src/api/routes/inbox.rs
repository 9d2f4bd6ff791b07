//! Edge `api`, for operators: the service's metrics (`/metrics`, OpenMetrics text), its journal, the files in
//! the inbox now, and re-queueing a failed file.

use axum::extract::{Query as UrlQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{actor, user, with_desk};
use crate::api::auth::{require_unit, Role};
use crate::api::error::{internal, ApiError, ApiResult};
use crate::api::ApiState;
use crate::audit::Action;
use crate::index::JobState;

pub(super) async fn metrics(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Response> {
    user(&s, &h, &[Role::Operator, Role::Auditor])?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.summary.encode(),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct JobsQuery {
    state: Option<String>,
    limit: Option<usize>,
}

pub(super) async fn jobs(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<JobsQuery>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Operator, Role::Auditor])?;
    let state = match q.state.as_deref() {
        Some(st) => Some(JobState::from_code(st).ok_or_else(|| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("state {st:?}: use processing, stored, failed, retry or interrupted"),
            )
        })?),
        None => None,
    };
    with_desk(&s, actor(&u), move |desk, _| {
        let rows: Vec<_> = desk
            .index
            .jobs(state, q.limit.unwrap_or(200).min(10_000))
            .map_err(internal)?
            .into_iter()
            .filter(|j| desk.actor.units.contains(&j.unit_code))
            .collect();
        Ok(Json(json!({ "jobs": rows })))
    })
    .await
}

/// The files in the inbox now (not yet taken, or being taken): path, unit, size, last change.
/// Temporary names (`.part`, `~…`) are listed as such: the service leaves them alone.
pub(super) async fn inbox_files(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Operator, Role::Auditor])?;
    let inbox = s.paths.inbox.clone();
    let seen = tokio::task::spawn_blocking(move || crate::inbox::walk::list(&inbox, 5_000))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    let files: Vec<Value> = seen
        .into_iter()
        .filter(|e| e.kind != crate::inbox::plan::Kind::Dir)
        .filter_map(|e| {
            // files at the root belong to the default unit: only all-unit roles see them
            let unit = if e.rel.len() > 1 {
                e.rel[0].clone()
            } else {
                String::new()
            };
            if !(u.role.all_units() || (!unit.is_empty() && u.may_see_unit(&unit))) {
                return None;
            }
            let name = e.rel.last().cloned().unwrap_or_default();
            let secs = (e.mtime_ns / 1_000_000_000) as u64;
            Some(json!({
                "path": e.rel.join("/"),
                "unit": unit,
                "bytes": e.size,
                "modified": crate::time::rfc3339(std::time::Duration::from_secs(secs)),
                "temporary": crate::inbox::plan::is_temporary(&name),
                "link": e.kind == crate::inbox::plan::Kind::Symlink,
            }))
        })
        .collect();
    Ok(Json(json!({ "files": files })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequeueBody {
    /// Path under `failed/`: `<unit>/<file>` or `<unit>/<dossier>/<file>`.
    path: String,
}

pub(super) async fn requeue(
    State(s): State<ApiState>,
    h: HeaderMap,
    Json(b): Json<RequeueBody>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Operator])?;
    let unit = b.path.split('/').next().unwrap_or("").to_string();
    require_unit(&u, &unit)?;
    with_desk(&s, actor(&u), move |desk, s| {
        let to = crate::inbox::job::requeue(&s.paths, &b.path)
            .map_err(|e| ApiError(StatusCode::NOT_FOUND, e.to_string()))?;
        desk.log(
            Action::Requeue,
            b.path.clone(),
            json!({"to": to.display().to_string()}),
        )?;
        Ok(Json(json!({"requeued": b.path})))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct DeliveriesQuery {
    /// pending, delivered or dead.
    state: Option<String>,
    limit: Option<usize>,
}

/// The webhooks' deliveries (administrators): `?state=dead` lists the dead letters.
pub(super) async fn webhooks(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<DeliveriesQuery>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[])?;
    with_desk(&s, actor(&u), move |desk, _| {
        let rows = desk.webhook_deliveries(q.state.as_deref(), q.limit.unwrap_or(100))?;
        Ok(Json(json!({ "deliveries": rows })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetryBody {
    event_id: String,
    url: String,
}

/// A dead letter sent again at the next pass (administrators; logged).
pub(super) async fn webhook_retry(
    State(s): State<ApiState>,
    h: HeaderMap,
    Json(b): Json<RetryBody>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[])?;
    with_desk(&s, actor(&u), move |desk, _| {
        desk.webhook_retry(&b.event_id, &b.url)?;
        Ok(Json(json!({ "retried": b.event_id, "url": b.url })))
    })
    .await
}
