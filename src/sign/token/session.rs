//! Stage `sign`, tokens: the PKCS#11 calls (through `cryptoki`'s safe API): load and initialise
//! the module, find the token by label or serial, open a session and log in, find the key by
//! CKA_ID, else CKA_LABEL, else the token's only private key, and read certificates.

use std::path::PathBuf;

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use super::TokenError;

/// Which module, token and key (RFC 7512 names the same parts in a `pkcs11:` URI).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenSpec {
    /// The PKCS#11 shared library (e.g. `/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    pub token_label: Option<String>,
    pub token_serial: Option<String>,
    /// CKA_ID of the private key (bytes).
    pub key_id: Option<Vec<u8>>,
    pub key_label: Option<String>,
}

impl TokenSpec {
    /// How the token is named in messages.
    pub fn token_name(&self) -> String {
        match (&self.token_label, &self.token_serial) {
            (Some(l), _) => format!("token \"{l}\""),
            (None, Some(s)) => format!("token with serial {s}"),
            _ => format!("the token of {}", self.module.display()),
        }
    }
}

/// A key found on a logged-in session.
pub(super) struct Opened {
    pub session: Session,
    pub key: ObjectHandle,
    pub key_id: Option<Vec<u8>>,
}

/// The return value of a failed call, when the module gave one.
pub(super) fn rv(e: &Error) -> Option<RvError> {
    match e {
        Error::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

/// One context per module in the process ("should usually be unique per application": a
/// second one's C_Finalize would close the first one's sessions).
static MODULES: std::sync::Mutex<Vec<(PathBuf, Pkcs11)>> = std::sync::Mutex::new(Vec::new());

/// The process's context for `module`, loaded and initialised on first use.
pub(super) fn load(spec: &TokenSpec) -> Result<Pkcs11, TokenError> {
    let mut modules = MODULES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ctx)) = modules.iter().find(|(p, _)| *p == spec.module) {
        return Ok(ctx.clone());
    }
    let module = |why: String| TokenError::Module {
        path: spec.module.clone(),
        why,
    };
    let ctx = Pkcs11::new(&spec.module).map_err(|e| module(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::OsThreads) {
        Ok(()) => {}
        Err(e) if rv(&e) == Some(RvError::CryptokiAlreadyInitialized) => {}
        Err(e) => return Err(module(e.to_string())),
    }
    modules.push((spec.module.clone(), ctx.clone()));
    Ok(ctx)
}

/// Drops the process's context for `module`: once no signer holds it, the module is
/// finalised, and the next [`load`] initialises it afresh (some modules only see a token
/// plugged back in after C_Initialize).
pub(super) fn forget(spec: &TokenSpec) {
    let mut modules = MODULES.lock().unwrap_or_else(|e| e.into_inner());
    modules.retain(|(p, _)| *p != spec.module);
}

fn op(what: &'static str) -> impl Fn(Error) -> TokenError {
    move |e| TokenError::Call {
        what,
        why: e.to_string(),
        rv: rv(&e),
    }
}

/// The slot holding the token `spec` names (the only token when it names none).
pub(super) fn find_slot(ctx: &Pkcs11, spec: &TokenSpec) -> Result<Slot, TokenError> {
    let mut found = Vec::new();
    for slot in ctx.get_slots_with_token().map_err(op("C_GetSlotList"))? {
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        let label = info.label().trim().to_string();
        let serial = info.serial_number().trim().to_string();
        let wanted = match (&spec.token_label, &spec.token_serial) {
            (Some(l), _) => l.trim() == label,
            (None, Some(s)) => s.trim() == serial,
            _ => true,
        };
        if wanted {
            found.push((slot, label));
        }
    }
    match found.len() {
        0 => Err(TokenError::NoToken {
            token: spec.token_name(),
        }),
        1 => Ok(found.remove(0).0),
        _ => Err(TokenError::ManyTokens {
            labels: found.into_iter().map(|(_, l)| l).collect(),
        }),
    }
}

/// Logs `session` in as the user. A wrong or locked PIN is reported as such, never retried.
pub(super) fn login(session: &Session, pin: &AuthPin, token: &str) -> Result<(), TokenError> {
    match session.login(UserType::User, Some(pin)) {
        Ok(()) => Ok(()),
        Err(e) => match rv(&e) {
            Some(RvError::UserAlreadyLoggedIn) => Ok(()),
            Some(RvError::PinIncorrect) => Err(TokenError::WrongPin {
                token: token.to_string(),
            }),
            Some(RvError::PinLocked) => Err(TokenError::PinLocked {
                token: token.to_string(),
            }),
            Some(RvError::PinExpired | RvError::PinInvalid | RvError::PinLenRange) => {
                Err(TokenError::PinRefused {
                    token: token.to_string(),
                    why: e.to_string(),
                })
            }
            _ => Err(op("C_Login")(e)),
        },
    }
}

fn attr_bytes(session: &Session, h: ObjectHandle, t: AttributeType) -> Option<Vec<u8>> {
    let attrs = session.get_attributes(h, &[t]).ok()?;
    attrs.into_iter().find_map(|a| match a {
        Attribute::Id(v) | Attribute::Label(v) | Attribute::Value(v) | Attribute::Modulus(v) => {
            Some(v)
        }
        _ => None,
    })
}

/// Opens a session on the token, logs in and finds the key.
pub(super) fn open(ctx: &Pkcs11, spec: &TokenSpec, pin: &AuthPin) -> Result<Opened, TokenError> {
    let token = spec.token_name();
    let slot = find_slot(ctx, spec)?;
    let session = ctx.open_ro_session(slot).map_err(op("C_OpenSession"))?;
    login(&session, pin, &token)?;
    let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
    let which = match (&spec.key_id, &spec.key_label) {
        (Some(id), _) => {
            template.push(Attribute::Id(id.clone()));
            format!("with CKA_ID {}", hex::encode(id))
        }
        (None, Some(l)) => {
            template.push(Attribute::Label(l.as_bytes().to_vec()));
            format!("labelled \"{l}\"")
        }
        _ => "(any)".into(),
    };
    let keys = session
        .find_objects(&template)
        .map_err(op("C_FindObjects"))?;
    let key = match keys.as_slice() {
        [] => return Err(TokenError::NoKey { token, which }),
        [k] => *k,
        many => {
            let labels = many
                .iter()
                .map(|k| {
                    let label = attr_bytes(&session, *k, AttributeType::Label)
                        .map(|l| String::from_utf8_lossy(&l).into_owned())
                        .unwrap_or_default();
                    let id = attr_bytes(&session, *k, AttributeType::Id)
                        .map(hex::encode)
                        .unwrap_or_default();
                    format!("\"{label}\" (CKA_ID {id})")
                })
                .collect();
            return Err(TokenError::ManyKeys { token, labels });
        }
    };
    let key_id = attr_bytes(&session, key, AttributeType::Id).filter(|i| !i.is_empty());
    Ok(Opened {
        session,
        key,
        key_id,
    })
}

/// The RSA modulus of a private key, when the token shows it.
pub(super) fn modulus(session: &Session, key: ObjectHandle) -> Option<Vec<u8>> {
    attr_bytes(session, key, AttributeType::Modulus)
}

/// A certificate object on the token.
pub struct TokenCert {
    pub id: Option<Vec<u8>>,
    pub label: String,
    pub der: Vec<u8>,
}

/// The X.509 certificates on the token (public objects: no login needed).
pub(super) fn certificates(session: &Session) -> Result<Vec<TokenCert>, TokenError> {
    let handles = session
        .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])
        .map_err(op("C_FindObjects"))?;
    Ok(handles
        .into_iter()
        .filter_map(|h| {
            Some(TokenCert {
                der: attr_bytes(session, h, AttributeType::Value)?,
                id: attr_bytes(session, h, AttributeType::Id).filter(|i| !i.is_empty()),
                label: attr_bytes(session, h, AttributeType::Label)
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
                    .unwrap_or_default(),
            })
        })
        .collect())
}
