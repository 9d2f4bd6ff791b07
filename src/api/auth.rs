//! Edge `api`, who may do what (pure but for the clock and randomness it is given): users from
//! the configuration, API tokens checked by their SHA-256 (tokens are long random strings, so
//! a fast hash is the right tool; the hash, not the token, is what the configuration holds),
//! passwords checked against their Argon2id hash (RFC 9106; people choose weak passwords, so a
//! slow, memory-hard hash), sessions opened by a login, repeated failures locked out, roles
//! and unit scopes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

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

/// Everyone who may sign in, by token hash and by name (with their password hash).
#[derive(Clone, Debug, Default)]
pub struct Users {
    by_token: BTreeMap<String, User>,
    by_name: BTreeMap<String, (User, Option<String>)>,
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
        let mut by_token = BTreeMap::new();
        let mut by_name = BTreeMap::new();
        for (name, u) in users {
            let Some(role) = Role::parse(&u.role) else {
                continue;
            };
            let user = User {
                name: name.clone(),
                role,
                units: u.units.clone(),
            };
            if let Some(t) = u.token_sha256.as_deref().filter(|t| !t.is_empty()) {
                by_token.insert(t.to_ascii_lowercase(), user.clone());
            }
            by_name.insert(name.clone(), (user, u.password_argon2.clone()));
        }
        Self { by_token, by_name }
    }

    /// The user whose name and password these are. An unknown name costs the same Argon2
    /// work as a wrong password (`dummy`), so timing does not tell which names exist.
    pub fn check_password(&self, name: &str, password: &str, dummy: &str) -> Result<User, Denied> {
        let (user, phc) = match self.by_name.get(name) {
            Some((u, Some(phc))) => (Some(u), phc.as_str()),
            _ => (None, dummy),
        };
        let ok = PasswordHash::new(phc)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        match user {
            Some(u) if ok => Ok(u.clone()),
            _ => Err(Denied::Unauthenticated),
        }
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

/// The Argon2id hash (PHC string, the configuration's `password_argon2`) of `password` with
/// a salt made from `salt` (16 random bytes from the caller).
pub fn hash_password(
    password: &str,
    salt: [u8; 16],
) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&salt)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
}

/// After this many wrong passwords in a row a name is locked for [`LOCK_SECONDS`].
pub const MAX_FAILURES: u32 = 5;
pub const LOCK_SECONDS: u64 = 300;

/// Sessions opened by a login (kept in memory: a restart signs everyone out) and the count of
/// wrong passwords per name. Times are seconds since the epoch, from the caller.
#[derive(Debug, Default)]
pub struct Sessions {
    /// SHA-256 of the session token → the user and when the session ends.
    open: Mutex<HashMap<String, (User, u64)>>,
    /// Name → wrong passwords in a row, and until when it is locked.
    failures: Mutex<HashMap<String, (u32, u64)>>,
}

impl Sessions {
    /// Opens a session for `user` until `expires`; the token is `random` in hex.
    pub fn open(&self, user: User, random: [u8; 32], expires: u64) -> String {
        let (token, hash) = new_token(random);
        if let Ok(mut m) = self.open.lock() {
            m.insert(hash, (user, expires));
        }
        token
    }

    /// The user of a live session token.
    pub fn user(&self, token: &str, now: u64) -> Option<User> {
        let hash = hex::encode(DigestAlg::Sha256.digest(token.as_bytes()));
        let mut m = self.open.lock().ok()?;
        m.retain(|_, (_, exp)| *exp > now);
        m.get(&hash).map(|(u, _)| u.clone())
    }

    /// Ends a session (logout).
    pub fn close(&self, token: &str) {
        let hash = hex::encode(DigestAlg::Sha256.digest(token.as_bytes()));
        if let Ok(mut m) = self.open.lock() {
            m.remove(&hash);
        }
    }

    /// Seconds until `name` may try again, when locked.
    pub fn locked(&self, name: &str, now: u64) -> Option<u64> {
        let m = self.failures.lock().ok()?;
        m.get(name)
            .filter(|(n, until)| *n >= MAX_FAILURES && *until > now)
            .map(|(_, until)| until - now)
    }

    /// Counts a wrong password for `name`.
    pub fn failed(&self, name: &str, now: u64) {
        if let Ok(mut m) = self.failures.lock() {
            let e = m.entry(name.to_string()).or_insert((0, 0));
            if e.0 >= MAX_FAILURES && e.1 <= now {
                *e = (0, 0); // the lock ran out: a fresh count
            }
            e.0 += 1;
            if e.0 >= MAX_FAILURES {
                e.1 = now + LOCK_SECONDS;
            }
        }
    }

    /// A right password: the count starts again.
    pub fn succeeded(&self, name: &str) {
        if let Ok(mut m) = self.failures.lock() {
            m.remove(name);
        }
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
                token_sha256: Some(h),
                password_argon2: Some(hash_password("mật khẩu dài", [3; 16]).unwrap()),
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

    #[test]
    fn passwords_sessions_and_lockout() {
        let u = users();
        let dummy = hash_password("x", [1; 16]).unwrap();
        assert!(dummy.starts_with("$argon2id$"), "{dummy}");
        let an = u.check_password("an", "mật khẩu dài", &dummy).unwrap();
        assert_eq!(an.name, "an");
        assert!(u.check_password("an", "mat khau dai", &dummy).is_err());
        assert!(u.check_password("nobody", "mật khẩu dài", &dummy).is_err());
        let s = Sessions::default();
        let token = s.open(an.clone(), [9; 32], 1_000);
        assert_eq!(s.user(&token, 999).as_ref(), Some(&an));
        assert_eq!(s.user(&token, 1_000), None, "expired");
        let t2 = s.open(an.clone(), [8; 32], 5_000);
        s.close(&t2);
        assert_eq!(s.user(&t2, 10), None, "logged out");
        for _ in 0..MAX_FAILURES - 1 {
            s.failed("an", 100);
        }
        assert_eq!(s.locked("an", 100), None);
        s.failed("an", 100);
        assert_eq!(s.locked("an", 100), Some(LOCK_SECONDS));
        assert_eq!(s.locked("an", 100 + LOCK_SECONDS), None);
        s.succeeded("an");
        assert_eq!(s.locked("an", 101), None);
    }
}
