//! Edge `api`, stored papers: search, one paper (with its badge), the signed PDF, reuse into a
//! new dossier, the review queue and a review, the document types a reviewer chooses from.

use axum::body::Body;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{actor, user, with_desk};
use crate::api::auth::Role;
use crate::api::error::{internal, ApiError, ApiResult};
use crate::api::ApiState;
use crate::classify::fields::FieldKind;
use crate::desk::review::ReviewRequest;
use crate::desk::{FindRequest, Which};
use crate::index::Query;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Search {
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

pub(super) async fn search(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<Search>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer, Role::Auditor])?;
    with_desk(&s, actor(&u), move |desk, _| {
        let found = desk.find(&FindRequest {
            query: Query {
                person_id: q.person,
                tax_code: q.tax_code,
                text: q.text,
                dossier_code: q.dossier,
                type_code: q.type_code,
                valid_on: q.valid_on,
                unit_code: q.unit,
                source_sha256: None,
                limit: q.limit.unwrap_or(100),
            },
            with_badges: false,
        })?;
        let rows: Vec<_> = found.into_iter().map(|f| f.component).collect();
        Ok(Json(json!({ "components": rows })))
    })
    .await
}

pub(super) async fn component(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer, Role::Auditor])?;
    with_desk(&s, actor(&u), move |desk, _| {
        let d = desk.detail(id)?;
        Ok(Json(json!({
            "component": d.component,
            "fields": d.fields,
            "signature_verifies": d.badge.verifies(),
            "signature": d.badge,
            "report": d.report,
        })))
    })
    .await
}

pub(super) async fn download(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let u = user(&s, &h, &[Role::Officer])?;
    let who = actor(&u);
    let bytes = with_desk(&s, who, move |desk, _| {
        let mut buf = Vec::new();
        desk.copy_out(
            id,
            Which::Signed,
            &mut buf,
            "a download over the API",
            |_| Ok(()),
        )?;
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct PageQuery {
    /// Longest side, pixels.
    size: Option<u32>,
}

/// One page of a paper's signed file as a JPEG picture (the officer's preview).
pub(super) async fn page_image(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path((id, page)): Path<(i64, u32)>,
    UrlQuery(q): UrlQuery<PageQuery>,
) -> ApiResult<Response> {
    let u = user(&s, &h, &[Role::Officer, Role::Auditor])?;
    let side = q.size.unwrap_or(crate::preview::DEFAULT_SIDE);
    if !(crate::preview::MIN_SIDE..=crate::preview::MAX_SIDE).contains(&side) {
        return Err(ApiError(
            axum::http::StatusCode::BAD_REQUEST,
            format!(
                "size {side}: the picture's longest side in pixels, {} to {}",
                crate::preview::MIN_SIDE,
                crate::preview::MAX_SIDE
            ),
        ));
    }
    let img = with_desk(&s, actor(&u), move |desk, s| {
        Ok(desk.page_image(id, page, side, s.renderer.as_ref())?)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            // a paper's picture is personal data: kept by this browser only, briefly
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        Body::from(img.jpeg),
    )
        .into_response())
}

/// One dossier: its papers in scan order with badges, those reused into it, its history.
pub(super) async fn dossier(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer, Role::Auditor])?;
    with_desk(&s, actor(&u), move |desk, _| {
        let v = desk.dossier(&code)?;
        Ok(Json(serde_json::to_value(v).map_err(internal)?))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReuseBody {
    dossier: String,
    override_reason: Option<String>,
}

pub(super) async fn reuse(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<ReuseBody>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer])?;
    with_desk(&s, actor(&u), move |desk, _| {
        let r = desk.reuse(id, &b.dossier, b.override_reason.as_deref())?;
        Ok(Json(json!({
            "reused": id,
            "dossier": b.dossier,
            "override": !r.problems.is_empty(),
            "audit_seq": r.entry.seq,
        })))
    })
    .await
}

/// Makes an electronic certified copy of a stored paper (the officer certifies; the agency
/// signs after), numbered in the paper's unit's register.
pub(super) async fn certify(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer])?;
    let Some(signers) = s.certify.clone() else {
        return Err(ApiError::unavailable(
            "certified copies are not set up on this server: set [certify] officer_signer in config.toml",
        ));
    };
    with_desk(&s, actor(&u), move |desk, s| {
        let mut nonce = || {
            let mut b = [0u8; 8];
            (s.random)(&mut b);
            u64::from_be_bytes(b)
        };
        let mut req = signers.request(s.clock.now(), &mut nonce);
        // Numbers a run that died left reserved are completed first (the register has no gap).
        let _ = desk.resume_certifications(crate::desk::STALE_RESERVATION, &mut req);
        let c = desk.certify(id, &mut req)?;
        Ok(Json(serde_json::to_value(c).map_err(internal)?))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterQuery {
    unit: Option<String>,
    year: Option<i32>,
}

/// The certification register of the user's units.
pub(super) async fn register(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<RegisterQuery>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer, Role::Auditor])?;
    with_desk(&s, actor(&u), move |desk, _| {
        let rows = desk.register(q.unit.as_deref(), q.year)?;
        Ok(Json(json!({ "certifications": rows })))
    })
    .await
}

/// The document types (code, Vietnamese name, fields read): what a reviewer chooses from.
pub(super) async fn types(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
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
pub(super) struct ReviewQueueQuery {
    limit: Option<usize>,
}

pub(super) async fn review_queue(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<ReviewQueueQuery>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer])?;
    with_desk(&s, actor(&u), move |desk, _| {
        let out: Vec<Value> = desk
            .review_queue(None, q.limit.unwrap_or(100))?
            .into_iter()
            .map(|(c, fields)| json!({"component": c, "fields": fields}))
            .collect();
        Ok(Json(json!({ "components": out })))
    })
    .await
}

pub(super) async fn review(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<ReviewRequest>,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Officer])?;
    with_desk(&s, actor(&u), move |desk, s| {
        let (r, e) = desk.review(id, &b, &s.types)?;
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
