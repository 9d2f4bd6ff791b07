//! Edge `api`, the routes: each checks the caller's role (and unit), does its work on a
//! blocking thread with its own index connection, and answers JSON (or the PDF).

use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query as UrlQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{require, require_unit, Denied, Role, User};
use super::ApiState;
use crate::audit::Action;
use crate::classify::fields::FieldKind;
use crate::index::review::{ReviewError, ReviewRequest};
use crate::index::{AuditRequest, ComponentRow, Index, JobState, Query, SqliteIndex};
use crate::pki::names::rfc3339;
use crate::store::{BlobId, BlobStore};
use crate::verify::{verify_bytes, verify_file, VerifyOptions};

/// An error answer: status and a message a person can act on.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Unauthenticated => ApiError(
                StatusCode::UNAUTHORIZED,
                "sign in: send Authorization: Bearer <your token>".into(),
            ),
            Denied::Forbidden(m) => ApiError(StatusCode::FORBIDDEN, m),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

fn now() -> String {
    rfc3339(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

type ApiResult<T> = Result<T, ApiError>;

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The caller: an API token from the configuration, or a session a login opened.
fn user(s: &ApiState, h: &HeaderMap, roles: &[Role]) -> ApiResult<User> {
    let auth = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let u = match s.users.authenticate(auth) {
        Ok(u) => u,
        Err(Denied::Unauthenticated) => auth
            .and_then(|a| a.strip_prefix("Bearer "))
            .and_then(|t| s.sessions.user(t.trim(), epoch_secs()))
            .ok_or(Denied::Unauthenticated)?,
        Err(e) => return Err(e.into()),
    };
    require(&u, roles)?;
    Ok(u)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    user: String,
    password: String,
}

/// A web login: user name and password → a session token for `Authorization: Bearer`. Wrong
/// passwords are counted per name; after five in a row the name waits five minutes (429).
/// Every attempt is in the audit log.
async fn login(State(s): State<ApiState>, Json(b): Json<LoginBody>) -> ApiResult<Json<Value>> {
    if b.user.is_empty() || b.user.len() > 100 || b.password.len() > 1000 {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "give your user name and password".into(),
        ));
    }
    if let Some(wait) = s.sessions.locked(&b.user, epoch_secs()) {
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many wrong passwords for {}: try again in {} minutes, or ask an administrator",
                b.user,
                wait.div_ceil(60)
            ),
        ));
    }
    with_index(&s, move |ix, s| {
        let checked = s.users.check_password(&b.user, &b.password, &s.dummy_hash);
        let now = epoch_secs();
        let ok = checked.is_ok();
        ix.append_audit(&audit(
            &b.user,
            Action::Login,
            format!("user {}", b.user),
            json!({"ok": ok}),
        ))
        .map_err(internal)?;
        let Ok(u) = checked else {
            s.sessions.failed(&b.user, now);
            return Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "wrong user name or password".into(),
            ));
        };
        s.sessions.succeeded(&b.user);
        let mut random = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut random);
        let expires = now + s.session_ttl.as_secs();
        let token = s.sessions.open(u.clone(), random, expires);
        Ok(Json(json!({
            "token": token,
            "expires_at": rfc3339(std::time::Duration::from_secs(expires)),
            "user": u,
        })))
    })
    .await
}

async fn logout(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Operator, Role::Officer, Role::Auditor])?;
    if let Some(t) = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Bearer "))
    {
        s.sessions.close(t.trim());
    }
    Ok(Json(json!({"logged_out": u.name})))
}

/// Runs `f` with an index connection on a blocking thread.
async fn with_index<T: Send + 'static>(
    s: &ApiState,
    f: impl FnOnce(&mut dyn Index, &ApiState) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || {
        let mut ix = SqliteIndex::open(&s.db).map_err(internal)?;
        f(&mut ix, &s)
    })
    .await
    .map_err(internal)?
}

fn verify_opts(s: &ApiState) -> VerifyOptions {
    VerifyOptions {
        limits: s.limits,
        require_revocation: s.require_revocation,
        ltv: s.ltv,
        ..VerifyOptions::new(s.trust.clone(), SystemTime::now())
    }
}

/// Whether the stored signed file of `c` verifies (`None`: not in the store).
fn stored_verifies(s: &ApiState, c: &ComponentRow) -> Option<bool> {
    let id: BlobId = c.signed_sha256.as_deref()?.parse().ok()?;
    if !s.store.exists(&id).ok()? {
        return None;
    }
    Some(
        verify_file(&s.store.blob_path(&id), &verify_opts(s))
            .map(|r| r.valid)
            .unwrap_or(false),
    )
}

fn component_for(ix: &mut dyn Index, u: &User, id: i64) -> ApiResult<ComponentRow> {
    let c = ix
        .component(id)
        .map_err(internal)?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no stored paper #{id}")))?;
    require_unit(u, &c.unit_code)?;
    Ok(c)
}

/// The fields read from paper `id` (JSON array; empty when none are stored).
fn fields_of(ix: &mut dyn Index, id: i64) -> ApiResult<Value> {
    Ok(ix
        .component_detail(id)
        .map_err(internal)?
        .and_then(|(f, _)| serde_json::from_str(&f).ok())
        .unwrap_or_else(|| json!([])))
}

fn audit(actor: &str, action: Action, subject: String, details: Value) -> AuditRequest {
    AuditRequest {
        time: now(),
        actor: actor.to_string(),
        action,
        subject,
        details,
    }
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn metrics(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Response> {
    user(&s, &h, &[Role::Operator, Role::Auditor])?;
    use std::sync::atomic::Ordering::Relaxed;
    let m = &s.summary;
    let mut out = String::new();
    for (name, help, v) in [
        (
            "sohoa_batches_stored_total",
            "Inbox batches whose papers were stored.",
            m.stored.load(Relaxed),
        ),
        (
            "sohoa_batches_failed_total",
            "Inbox batches moved to failed/.",
            m.failed.load(Relaxed),
        ),
        (
            "sohoa_batches_retried_total",
            "Inbox batches to try again (a problem on our side).",
            m.retried.load(Relaxed),
        ),
        (
            "sohoa_papers_stored_total",
            "Papers stored by the service.",
            m.papers.load(Relaxed),
        ),
    ] {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
        ));
    }
    for (name, help, v) in [
        (
            "sohoa_batches_in_progress",
            "Inbox batches queued or being processed.",
            m.in_progress.load(Relaxed),
        ),
        (
            "sohoa_files_waiting",
            "Inbox files not yet complete (still changing).",
            m.waiting.load(Relaxed),
        ),
    ] {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"
        ));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Search {
    person: Option<String>,
    tax_code: Option<String>,
    #[serde(rename = "type")]
    type_code: Option<String>,
    text: Option<String>,
    dossier: Option<String>,
    unit: Option<String>,
    valid_on: Option<String>,
    limit: Option<usize>,
}

async fn search(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<Search>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer, Role::Auditor])?;
    if let Some(unit) = &q.unit {
        require_unit(&u, unit)?;
    }
    if q.person.is_none()
        && q.tax_code.is_none()
        && q.type_code.is_none()
        && q.text.is_none()
        && q.dossier.is_none()
    {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "say what to find: person, tax_code, type, text or dossier".into(),
        ));
    }
    with_index(&s, move |ix, _| {
        let rows = ix
            .find(&Query {
                person_id: q.person,
                tax_code: q.tax_code,
                text: q.text,
                dossier_code: q.dossier,
                type_code: q.type_code,
                valid_on: q.valid_on,
                unit_code: q.unit,
                source_sha256: None,
                limit: q.limit.unwrap_or(100).min(1000),
            })
            .map_err(internal)?;
        // an officer sees only the units they work for
        let rows: Vec<ComponentRow> = rows
            .into_iter()
            .filter(|r| u.may_see_unit(&r.unit_code))
            .collect();
        Ok(Json(json!({ "components": rows })))
    })
    .await
}

async fn component(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer, Role::Auditor])?;
    with_index(&s, move |ix, s| {
        let c = component_for(ix, &u, id)?;
        let fields = fields_of(ix, id)?;
        let verifies = stored_verifies(s, &c);
        ix.append_audit(&audit(
            &u.name,
            Action::Verify,
            format!("component {id}"),
            json!({"valid": verifies}),
        ))
        .map_err(internal)?;
        Ok(Json(
            json!({"component": c, "fields": fields, "signature_verifies": verifies}),
        ))
    })
    .await
}

async fn download(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let u = user(&s, &h, &[Role::Officer])?;
    let bytes = with_index(&s, move |ix, s| {
        let c = component_for(ix, &u, id)?;
        let blob: BlobId = c
            .signed_sha256
            .as_deref()
            .and_then(|h| h.parse().ok())
            .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("paper #{id} has no signed file")))?;
        let mut r = s.store.open(&blob).map_err(internal)?;
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut r, &mut buf).map_err(internal)?;
        if hex::encode(crate::pki::digest::DigestAlg::Sha256.digest(&buf)) != blob.as_str() {
            return Err(internal(format!(
                "the stored file of paper #{id} is damaged (its SHA-256 no longer matches); restore it from a backup"
            )));
        }
        ix.append_audit(&audit(
            &u.name,
            Action::Download,
            format!("component {id}"),
            json!({"sha256": blob.as_str()}),
        ))
        .map_err(internal)?;
        Ok(buf)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"giay-to-{id}.pdf\""),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReuseBody {
    dossier: String,
    override_reason: Option<String>,
}

async fn reuse(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<ReuseBody>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer])?;
    with_index(&s, move |ix, s| {
        let c = component_for(ix, &u, id)?;
        let today = now()[..10].to_string();
        let problems = crate::index::reuse::problems(&c, &today, stored_verifies(s, &c));
        let e = crate::index::reuse::reuse(
            ix,
            &c,
            &b.dossier,
            &problems,
            b.override_reason.as_deref(),
            &u.name,
            &now(),
        )
        .map_err(|e| match e {
            crate::index::reuse::ReuseError::Index(e) => internal(e),
            other => ApiError(StatusCode::CONFLICT, other.to_string()),
        })?;
        Ok(Json(json!({"reused": id, "dossier": b.dossier, "override": !problems.is_empty(), "audit_seq": e.seq})))
    })
    .await
}

/// The document types (code, Vietnamese name, fields read): what a reviewer chooses from.
async fn types(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
    user(&s, &h, &[Role::Officer, Role::Auditor, Role::Operator])?;
    let types: Vec<Value> = s
        .types
        .types
        .iter()
        .map(
            |t| json!({"code": t.code, "name": t.name, "fields": t.fields, "validity": t.validity}),
        )
        .collect();
    let kinds: Vec<&str> = FieldKind::ALL.iter().map(|k| k.code()).collect();
    Ok(Json(json!({"types": types, "field_kinds": kinds})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReviewQueueQuery {
    limit: Option<usize>,
}

async fn review_queue(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<ReviewQueueQuery>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer])?;
    with_index(&s, move |ix, _| {
        // an officer's units; an administrator's: all
        let units = if u.role.all_units() {
            Vec::new()
        } else if u.units.is_empty() {
            return Ok(Json(json!({ "components": [] })));
        } else {
            u.units.clone()
        };
        let mut out = Vec::new();
        for c in ix
            .review_queue(&units, q.limit.unwrap_or(100).min(1000))
            .map_err(internal)?
        {
            let fields = fields_of(ix, c.id)?;
            out.push(json!({"component": c, "fields": fields}));
        }
        Ok(Json(json!({ "components": out })))
    })
    .await
}

async fn review(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<ReviewRequest>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer])?;
    with_index(&s, move |ix, s| {
        let c = component_for(ix, &u, id)?;
        let (r, e) = crate::index::review::review(ix, &c, &b, &s.types, &u.name, &now()).map_err(
            |e| match e {
                ReviewError::Index(e) => internal(e),
                ReviewError::Stored { .. } => internal(e),
                other => ApiError(StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
            },
        )?;
        Ok(Json(json!({
            "reviewed": id,
            "state": r.state,
            "type_code": r.type_code,
            "owner_ids": r.owner_ids,
            "valid_until": r.valid_until,
            "audit_seq": e.seq,
        })))
    })
    .await
}

async fn verify_upload(
    State(s): State<ApiState>,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Auditor, Role::Officer])?;
    if body.is_empty() {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "send the PDF as the request body".into(),
        ));
    }
    with_index(&s, move |ix, s| {
        let report = verify_bytes("upload.pdf", &body, &verify_opts(s));
        let (valid, answer) = match report {
            Ok(r) => (Some(r.valid), json!({"report": r})),
            // could not check: not a verdict
            Err(e) => (None, json!({"error": e.to_string()})),
        };
        ix.append_audit(&audit(
            &u.name,
            Action::Verify,
            "upload".into(),
            json!({"bytes": body.len(), "sha256": hex::encode(crate::pki::digest::DigestAlg::Sha256.digest(&body)), "valid": valid}),
        ))
        .map_err(internal)?;
        if valid.is_none() {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                answer["error"].as_str().unwrap_or("").to_string(),
            ));
        }
        Ok(Json(answer))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JobsQuery {
    state: Option<String>,
    limit: Option<usize>,
}

async fn jobs(
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
    with_index(&s, move |ix, _| {
        let rows: Vec<_> = ix
            .jobs(state, q.limit.unwrap_or(200).min(10_000))
            .map_err(internal)?
            .into_iter()
            .filter(|j| u.may_see_unit(&j.unit_code))
            .collect();
        Ok(Json(json!({ "jobs": rows })))
    })
    .await
}

/// The files in the inbox now (not yet taken, or being taken): path, unit, size, last change.
/// Temporary names (`.part`, `~…`) are listed as such: the service leaves them alone.
async fn inbox_files(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
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
                "modified": rfc3339(std::time::Duration::from_secs(secs)),
                "temporary": crate::inbox::plan::is_temporary(&name),
                "link": e.kind == crate::inbox::plan::Kind::Symlink,
            }))
        })
        .collect();
    Ok(Json(json!({ "files": files })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequeueBody {
    /// Path under `failed/`: `<unit>/<file>` or `<unit>/<dossier>/<file>`.
    path: String,
}

async fn requeue(
    State(s): State<ApiState>,
    h: HeaderMap,
    Json(b): Json<RequeueBody>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Operator])?;
    let unit = b.path.split('/').next().unwrap_or("").to_string();
    require_unit(&u, &unit)?;
    with_index(&s, move |ix, s| {
        let to = crate::inbox::job::requeue(&s.paths, &b.path)
            .map_err(|e| ApiError(StatusCode::NOT_FOUND, e.to_string()))?;
        ix.append_audit(&audit(
            &u.name,
            Action::Requeue,
            b.path.clone(),
            json!({"to": to.display().to_string()}),
        ))
        .map_err(internal)?;
        Ok(Json(json!({"requeued": b.path})))
    })
    .await
}

async fn audit_log(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
    user(&s, &h, &[Role::Auditor])?;
    with_index(&s, |ix, _| {
        let log = ix.audit_log().map_err(internal)?;
        Ok(Json(json!({ "entries": log })))
    })
    .await
}

async fn audit_verify(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
    user(&s, &h, &[Role::Auditor])?;
    with_index(&s, |ix, _| {
        let log = ix.audit_log().map_err(internal)?;
        let r = crate::audit::verify(&log);
        Ok(Json(json!({"intact": r.intact(), "report": r})))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    unit: Option<String>,
    /// "YYYY-MM".
    month: Option<String>,
    /// "csv" for a CSV download.
    format: Option<String>,
}

async fn reports(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<ReportQuery>,
) -> ApiResult<Response> {
    let u = user(&s, &h, &[Role::Auditor, Role::Officer])?;
    if let Some(unit) = &q.unit {
        require_unit(&u, unit)?;
    }
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(f) => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("format {f:?}: use json or csv"),
            ))
        }
    };
    let offset = s.utc_offset_minutes;
    let rows = with_index(&s, move |ix, _| {
        let counts = ix.report_counts(offset).map_err(internal)?;
        Ok(crate::index::report::build(
            &counts,
            q.unit.as_deref(),
            q.month.as_deref(),
        ))
    })
    .await?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| u.may_see_unit(&r.unit))
        .collect();
    if csv {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"bao-cao-so-hoa.csv\"",
                ),
            ],
            crate::index::report::csv(&rows),
        )
            .into_response());
    }
    Ok(Json(json!({ "rows": rows })).into_response())
}

async fn whoami(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Operator, Role::Officer, Role::Auditor])?;
    Ok(Json(json!({ "user": u })))
}

/// The web pages (Vietnamese), built into the binary: no CDN, no file to lose. A strict
/// content-security policy: scripts and styles only from here, nothing inline.
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

async fn index_html() -> Response {
    page(
        "text/html; charset=utf-8",
        include_str!("../../assets/web/index.html"),
    )
}

async fn app_js() -> Response {
    page(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/web/app.js"),
    )
}

async fn app_css() -> Response {
    page(
        "text/css; charset=utf-8",
        include_str!("../../assets/web/app.css"),
    )
}

async fn openapi() -> Json<Value> {
    Json(super::openapi::document())
}

/// The routes, with the upload limit and the request timeout.
pub fn router(state: ApiState) -> Router {
    let limit = state.max_upload_bytes;
    let timeout = state.timeout;
    Router::new()
        .route("/", get(index_html))
        .route("/static/app.js", get(app_js))
        .route("/static/app.css", get(app_css))
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(openapi))
        .route("/api/me", get(whoami))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/metrics", get(metrics))
        .route("/api/components", get(search))
        .route("/api/components/{id}", get(component))
        .route("/api/components/{id}/pdf", get(download))
        .route("/api/components/{id}/reuse", post(reuse))
        .route("/api/components/{id}/review", post(review))
        .route("/api/review", get(review_queue))
        .route("/api/types", get(types))
        .route("/api/verify", post(verify_upload))
        .route("/api/jobs", get(jobs))
        .route("/api/inbox", get(inbox_files))
        .route("/api/failed/requeue", post(requeue))
        .route("/api/audit", get(audit_log))
        .route("/api/audit/verify", get(audit_verify))
        .route("/api/reports", get(reports))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .with_state(state)
}
