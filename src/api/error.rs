//! Edge `api`, error answers: a status and a message a person can act on, as JSON
//! `{"error": "…"}`; the desk's errors mapped to HTTP once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::auth::Denied;
use crate::desk::reuse::ReuseError;
use crate::desk::review::ReviewError;
use crate::desk::DeskError;

/// An error answer.
pub struct ApiError(pub StatusCode, pub String);

pub type ApiResult<T> = Result<T, ApiError>;

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

/// The index could not be opened (a database server down): try again later.
impl From<crate::index::IndexError> for ApiError {
    fn from(e: crate::index::IndexError) -> Self {
        ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
    }
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        let status = match &e {
            DeskError::NothingToFind | DeskError::BadQuery { .. } => StatusCode::BAD_REQUEST,
            DeskError::NotFound { .. } | DeskError::NoDossier { .. } | DeskError::NoFile { .. } => {
                StatusCode::NOT_FOUND
            }
            DeskError::Preview(crate::preview::PreviewError::NoRenderer { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            DeskError::NotYourUnit { .. } => StatusCode::FORBIDDEN,
            // a paper whose signature does not verify is not handed off
            DeskError::NotExportable { .. } => StatusCode::CONFLICT,
            // the TSA or the token did not answer
            DeskError::ManifestSignature(_) => StatusCode::BAD_GATEWAY,
            DeskError::Reuse(ReuseError::Refused { .. } | ReuseError::BadDossier(_)) => {
                StatusCode::CONFLICT
            }
            DeskError::Review(ReviewError::Stored { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
            DeskError::Review(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.to_string())
    }
}

impl From<crate::desk::CertifyError> for ApiError {
    fn from(e: crate::desk::CertifyError) -> Self {
        use crate::desk::CertifyError as C;
        match e {
            C::Desk(d) => d.into(),
            C::Unsigned(_) | C::DoesNotVerify { .. } => {
                ApiError(StatusCode::CONFLICT, e.to_string())
            }
            // a TSA or token that did not answer: the number stays reserved and is resumed
            _ => ApiError(StatusCode::BAD_GATEWAY, e.to_string()),
        }
    }
}

impl ApiError {
    /// A feature this server is not set up for.
    pub fn unavailable(msg: &str) -> Self {
        ApiError(StatusCode::SERVICE_UNAVAILABLE, msg.to_string())
    }
}

/// Something on our side (the index, the store, a thread).
pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}
