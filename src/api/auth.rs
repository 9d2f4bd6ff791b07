//! Edge `api`, who may do what (pure): users from the configuration, tokens checked by their
//! SHA-256 (tokens are long random strings, so a fast hash is the right tool; the hash, not
//! the token, is what the configuration holds), roles and unit scopes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::UserConfig;
use crate::pki::digest::DigestAlg;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Scanner operators: the inbox, failures, re-queue (their units).
    Operator,
    /// Officers at the desk: search, download, reuse, review (their units).
    Officer,
    /// Read-only, all units: verify, audit log, reports.
    Auditor,
    /// Everything.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "operator" => Role::Operator,
            "officer" => Role::Officer,
            "auditor" => Role::Auditor,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    /// Whether the role sees every unit.
    pub fn all_units(self) -> bool {
        matches!(self, Role::Auditor | Role::Admin)
    }
}

/// A signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub units: Vec<String>,
}

impl User {
    /// Whether the user may see or act on `unit`'s papers.
    pub fn may_see_unit(&self, unit: &str) -> bool {
        self.role.all_units() || self.units.iter().any(|u| u == unit)
    }
}

/// Everyone who may sign in, by token hash.
#[derive(Clone, Debug, Default)]
pub struct Users {
    by_token: BTreeMap<String, User>,
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denied {
    /// 401: no credentials, or not ours.
    Unauthenticated,
    /// 403: signed in, but not allowed.
    Forbidden(String),
}

impl Users {
    /// From `[users.*]` (validated: roles known, hashes well formed).
    pub fn from_config(users: &BTreeMap<String, UserConfig>) -> Self {
        let by_token = users
            .iter()
            .filter_map(|(name, u)| {
                Some((
                    u.token_sha256.to_ascii_lowercase(),
                    User {
                        name: name.clone(),
                        role: Role::parse(&u.role)?,
                        units: u.units.clone(),
                    },
                ))
            })
            .collect();
        Self { by_token }
    }

    /// The user an `Authorization` header value (`Bearer <token>`) belongs to.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<User, Denied> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Denied::Unauthenticated)?;
        let hash = hex::encode(DigestAlg::Sha256.digest(token.as_bytes()));
        self.by_token
            .get(&hash)
            .cloned()
            .ok_or(Denied::Unauthenticated)
    }
}

/// Checks that `user` has one of `roles` (admin always has).
pub fn require(user: &User, roles: &[Role]) -> Result<(), Denied> {
    if user.role == Role::Admin || roles.contains(&user.role) {
        Ok(())
    } else {
        Err(Denied::Forbidden(format!(
            "{} ({:?}) may not do this; it needs the role {}",
            user.name,
            user.role,
            roles
                .iter()
                .map(|r| format!("{r:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(" or ")
        )))
    }
}

/// Checks that `user` may act on `unit`.
pub fn require_unit(user: &User, unit: &str) -> Result<(), Denied> {
    if user.may_see_unit(unit) {
        Ok(())
    } else {
        Err(Denied::Forbidden(format!(
            "{} does not work for unit {unit}",
            user.name
        )))
    }
}

/// A new random API token (32 bytes from the OS, hex) and its SHA-256 for the configuration.
pub fn new_token(random: [u8; 32]) -> (String, String) {
    let token = hex::encode(random);
    let hash = hex::encode(DigestAlg::Sha256.digest(token.as_bytes()));
    (token, hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Users {
        let mut m = BTreeMap::new();
        let (_, h) = new_token([7; 32]);
        m.insert(
            "an".to_string(),
            UserConfig {
                role: "officer".into(),
                units: vec!["000.00.10.H59".into()],
                token_sha256: h,
            },
        );
        Users::from_config(&m)
    }

    #[test]
    fn tokens_roles_and_units() {
        let u = users();
        let (token, _) = new_token([7; 32]);
        assert_eq!(u.authenticate(None), Err(Denied::Unauthenticated));
        assert_eq!(
            u.authenticate(Some("Bearer wrong")),
            Err(Denied::Unauthenticated)
        );
        assert_eq!(u.authenticate(Some(&token)), Err(Denied::Unauthenticated));
        let an = u.authenticate(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(an.role, Role::Officer);
        assert!(require(&an, &[Role::Officer]).is_ok());
        assert!(matches!(
            require(&an, &[Role::Auditor]),
            Err(Denied::Forbidden(_))
        ));
        assert!(require_unit(&an, "000.00.10.H59").is_ok());
        assert!(require_unit(&an, "000.00.11.H59").is_err());
    }
}
