//! Edge `api`, sessions: a web login (user name and password → a token), logout, who am I.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{user, with_desk};
use crate::api::auth::Role;
use crate::api::error::{ApiError, ApiResult};
use crate::api::ApiState;
use crate::audit::Action;
use crate::desk::{Actor, Units};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginBody {
    user: String,
    password: String,
}

/// A web login: user name and password → a session token for `Authorization: Bearer`. Wrong
/// passwords are counted per name; after five in a row the name waits five minutes (429).
/// Every attempt is in the audit log.
pub(super) async fn login(
    State(s): State<ApiState>,
    Json(b): Json<LoginBody>,
) -> ApiResult<Json<Value>> {
    if b.user.is_empty() || b.user.len() > 100 || b.password.len() > 1000 {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "give your user name and password".into(),
        ));
    }
    if let Some(wait) = s.sessions.locked(&b.user, s.clock.epoch_secs()) {
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many wrong passwords for {}: try again in {} minutes, or ask an administrator",
                b.user,
                wait.div_ceil(60)
            ),
        ));
    }
    let who = Actor {
        name: b.user.clone(),
        units: Units::Only(Vec::new()),
    };
    with_desk(&s, who, move |desk, s| {
        let checked = s.users.check_password(&b.user, &b.password, &s.dummy_hash);
        let now = s.clock.epoch_secs();
        let ok = checked.is_ok();
        desk.log(Action::Login, format!("user {}", b.user), json!({"ok": ok}))?;
        let Ok(u) = checked else {
            s.sessions.failed(&b.user, now);
            return Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "wrong user name or password".into(),
            ));
        };
        s.sessions.succeeded(&b.user);
        let mut random = [0u8; 32];
        (s.random)(&mut random);
        let expires = now + s.session_ttl.as_secs();
        let token = s.sessions.open(u.clone(), random, expires);
        Ok(Json(json!({
            "token": token,
            "expires_at": crate::time::rfc3339(std::time::Duration::from_secs(expires)),
            "user": u,
        })))
    })
    .await
}

pub(super) async fn logout(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
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

pub(super) async fn whoami(State(s): State<ApiState>, h: HeaderMap) -> ApiResult<Json<Value>> {
    let u = user(&s, &h, &[Role::Operator, Role::Officer, Role::Auditor])?;
    Ok(Json(json!({ "user": u })))
}
