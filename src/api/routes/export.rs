//! Edge `api`, hand-off: a dossier as a signed package (`GET /api/dossiers/{code}/package`),
//! the same use-case as `sohoa export`, for the officer's button.

use std::io::{Read, Seek, SeekFrom};

use axum::body::Body;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{actor, user, with_desk};
use crate::api::auth::Role;
use crate::api::error::{internal, ApiError, ApiResult};
use crate::api::ApiState;
use crate::desk::ExportRequest;
use crate::sign::TimestampAuthority;

/// A package larger than this is not sent over the API (it is spooled to a temporary file,
/// then answered from memory): `sohoa export` writes any size.
pub const MAX_PACKAGE_BYTES: u64 = 256 << 20;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct PackageQuery {
    /// The administrative procedure's code (mã TTHC), written into the manifest.
    procedure: Option<String>,
    /// Add `portal.json` (the national portal's field names).
    #[serde(default)]
    portal: bool,
}

/// The dossier code as a file name (letters, digits, `.`, `-`, `_`; anything else `_`).
fn file_name(code: &str) -> String {
    let safe: String = code
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("ho-so-{safe}.zip")
}

/// The package of dossier `code`: the signed papers, `manifest.json` and its detached signature
/// by the agency profile (logged as an export).
pub(super) async fn package(
    State(s): State<ApiState>,
    h: HeaderMap,
    Path(code): Path<String>,
    UrlQuery(q): UrlQuery<PackageQuery>,
) -> ApiResult<Response> {
    let u = user(&s, &h, &[Role::Officer])?;
    let signer = s.export.clone().map_err(|why| {
        ApiError::unavailable(&format!(
            "dossier packages are not set up on this server: {why}"
        ))
    })?;
    if let Some(p) = &q.procedure {
        if p.is_empty() || p.len() > 64 || p.chars().any(char::is_control) {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                "procedure: the procedure's code, 1 to 64 printable characters".into(),
            ));
        }
    }
    let to = format!("a download over the API by {}", u.name);
    let name = file_name(&code);
    let bytes = with_desk(&s, actor(&u), move |desk, s| {
        let mut nonce = [0u8; 8];
        (s.random)(&mut nonce);
        let req = ExportRequest {
            procedure_code: q.procedure.clone(),
            component_codes: &s.component_codes,
            signer: signer.signer.as_ref(),
            tsa: signer
                .tsa
                .as_ref()
                .map(|t| (t as &dyn TimestampAuthority, u64::from_be_bytes(nonce))),
            portal: q.portal,
        };
        let mut spool = tempfile::tempfile().map_err(internal)?;
        let mut too_big = None;
        desk.export_dossier(&code, &req, &mut spool, &to, |f| {
            let len = f.seek(SeekFrom::End(0))?;
            if len > MAX_PACKAGE_BYTES {
                too_big = Some(len);
                return Err(std::io::Error::other("too big for the API"));
            }
            Ok(())
        })
        .map_err(|e| match too_big {
            Some(len) => ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "dossier {code}: its package holds {len} bytes, more than the {MAX_PACKAGE_BYTES} \
                     the API sends; write it with `sohoa export --dossier {code} -o FILE.zip`"
                ),
            ),
            None => e.into(),
        })?;
        let mut buf = Vec::new();
        spool.seek(SeekFrom::Start(0)).map_err(internal)?;
        spool
            .take(MAX_PACKAGE_BYTES)
            .read_to_end(&mut buf)
            .map_err(internal)?;
        Ok(buf)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from(bytes),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_keeps_only_safe_characters() {
        assert_eq!(
            file_name("000.00.10.H59-240521-0015"),
            "ho-so-000.00.10.H59-240521-0015.zip"
        );
        assert_eq!(file_name("a\"b/c\r\n"), "ho-so-a_b_c__.zip");
    }
}
