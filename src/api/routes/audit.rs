//! Edge `api`, for auditors: check an uploaded PDF, the audit log and its chain, the
//! directives' report (JSON or CSV).

use axum::body::Bytes;
use axum::extract::{Query as UrlQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{actor, user, with_desk};
use crate::api::auth::Role;
use crate::api::error::{internal, ApiError, ApiResult};
use crate::api::ApiState;
use crate::desk::report;

pub(super) async fn verify_upload(
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
    with_desk(&s, actor(&u), move |desk, _| {
        match desk.check_upload("upload.pdf", &body)? {
            Ok(r) => Ok(Json(json!({ "report": r }))),
            // could not check: not a verdict
            Err(e) => Err(ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
        }
    })
    .await
}

pub(super) async fn audit_log(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Auditor])?;
    with_desk(&s, actor(&u), |desk, _| {
        let log = desk.index.audit_log().map_err(internal)?;
        Ok(Json(json!({ "entries": log })))
    })
    .await
}

/// The chain and every checkpoint (`report` is the chain's, as before checkpoints).
pub(super) async fn audit_verify(
    State(s): State<ApiState>,
    h: HeaderMap,
) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Auditor])?;
    with_desk(&s, actor(&u), |desk, _| {
        let v = desk.verify_audit().map_err(internal)?;
        Ok(Json(json!({
            "intact": v.intact,
            "report": v.chain,
            "checkpoints": v.checkpoints,
            "anchored_to": v.anchored_to,
            "unanchored": v.unanchored,
            "problems": v.problems,
            "warnings": v.warnings,
        })))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportQuery {
    unit: Option<String>,
    /// "YYYY-MM".
    month: Option<String>,
    /// The first and last month of a period, "YYYY-MM".
    from: Option<String>,
    to: Option<String>,
    /// "csv" for a CSV download.
    format: Option<String>,
}

pub(super) async fn reports(
    State(s): State<ApiState>,
    h: HeaderMap,
    UrlQuery(q): UrlQuery<ReportQuery>,
) -> ApiResult<Response> {
    let u = user(&s, &h, &[Role::Auditor, Role::Officer])?;
    if let Some(unit) = &q.unit {
        crate::api::auth::require_unit(&u, unit)?;
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
    if q.month.is_some() && (q.from.is_some() || q.to.is_some()) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "give month, or from and to, not both".into(),
        ));
    }
    let (from, to) = match q.month {
        Some(m) => (Some(m.clone()), Some(m)),
        None => (q.from, q.to),
    };
    let rows = with_desk(&s, actor(&u), move |desk, _| {
        Ok(desk.report_period(q.unit.as_deref(), from.as_deref(), to.as_deref())?)
    })
    .await?;
    if csv {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"bao-cao-so-hoa.csv\"",
                ),
            ],
            report::csv(&rows),
        )
            .into_response());
    }
    let targets = report::targets(&s.report, rows.iter().map(|r| r.unit.as_str()));
    Ok(Json(json!({ "rows": rows, "targets": targets })).into_response())
}
