//! Stage `sign`, tokens: a [`Signer`] whose key stays on a PKCS#11 token or HSM (VGCA USB
//! tokens; SoftHSM2 in the tests). One logged-in session per signer, shared by the service's
//! workers and used by one signature at a time; when the token is pulled out the signer says so
//! and opens a new session once it is back; a wrong or locked PIN is reported and never tried
//! again (tokens lock after a few tries).

mod pin;
mod session;

use std::sync::Mutex;

use cryptoki::context::Pkcs11;
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::types::AuthPin;
use der::asn1::OctetString;
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

pub use pin::{PinError, PinSource};
pub use session::{TokenCert, TokenSpec};

use super::signer::{Signer, SignerError};
use crate::pki::digest::DigestAlg;
use crate::pki::names::display_name;
use crate::pki::oids;
use crate::pki::sigalg::{self, Curve};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    #[error("PKCS#11 module {}: {why}", path.display())]
    Module {
        path: std::path::PathBuf,
        why: String,
    },
    #[error("{token} is not present (plugged in? the right token_label or token_serial?)")]
    NoToken { token: String },
    #[error("several tokens are present ({}): name one with token_label or token_serial", labels.join(", "))]
    ManyTokens { labels: Vec<String> },
    #[error("{token}: the PIN is wrong. sohoa does not try it again (the token locks after a few wrong PINs): correct the PIN, then restart")]
    WrongPin { token: String },
    #[error(
        "{token}: the PIN is locked; unlock it with the token's own tool (SO PIN) before signing"
    )]
    PinLocked { token: String },
    #[error("{token}: the PIN was refused ({why}); sohoa does not try it again")]
    PinRefused { token: String, why: String },
    #[error("{0}: the PIN was refused earlier ({1}); sohoa does not try it again until restarted")]
    PinRefusedEarlier(String, String),
    #[error("{token}: no private key {which}")]
    NoKey { token: String, which: String },
    #[error("{token} holds several private keys ({}): name one with key_id or key_label", labels.join(", "))]
    ManyKeys { token: String, labels: Vec<String> },
    #[error("{token}: no certificate for the key on the token; give one with cert = \"…\" in the signer profile")]
    NoCertificate { token: String },
    #[error("{token}: the certificate \"{subject}\" does not belong to the token's key")]
    KeyMismatch { token: String, subject: String },
    #[error("{token}: the certificate's key is {key}: sohoa signs with RSA and ECDSA P-256/P-384/P-521 keys")]
    UnsupportedKey { token: String, key: String },
    #[error("{token}: a certificate on the token is not DER X.509: {why}")]
    BadCertificate { token: String, why: String },
    #[error("{token} was removed or stopped answering ({why}); the paper waits until it is back")]
    Removed { token: String, why: String },
    #[error("{what}: {why}")]
    Call {
        what: &'static str,
        why: String,
        rv: Option<RvError>,
    },
    #[error("the PIN: {0}")]
    Pin(#[from] PinError),
}

impl TokenError {
    /// A failure that a new session may cure (the token was pulled out, the module restarted).
    fn session_lost(&self) -> bool {
        match self {
            Self::NoToken { .. } | Self::Removed { .. } => true,
            Self::Call { rv: Some(rv), .. } => matches!(
                rv,
                RvError::DeviceRemoved
                    | RvError::DeviceError
                    | RvError::TokenNotPresent
                    | RvError::TokenNotRecognized
                    | RvError::SessionHandleInvalid
                    | RvError::SessionClosed
                    | RvError::SessionCount
                    | RvError::UserNotLoggedIn
                    | RvError::CryptokiNotInitialized
                    | RvError::SlotIdInvalid
                    | RvError::ObjectHandleInvalid
                    | RvError::KeyHandleInvalid
            ),
            _ => false,
        }
    }
}

/// DigestInfo (RFC 8017 §9.2): what CKM_RSA_PKCS signs for RSASSA-PKCS1-v1_5.
#[derive(der::Sequence)]
struct DigestInfo {
    algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

struct State {
    ctx: Option<Pkcs11>,
    open: Option<session::Opened>,
    /// Set once the token refused the PIN: never sent again.
    refused: Option<String>,
}

/// The kind of key on the token, from the certificate.
#[derive(Clone, Copy, Debug)]
enum KeyKind {
    Rsa,
    Ec(Curve),
}

/// A signer whose private key is on a PKCS#11 token.
pub struct TokenSigner {
    spec: TokenSpec,
    pin: AuthPin,
    cert: Certificate,
    chain: Vec<Certificate>,
    kind: KeyKind,
    state: Mutex<State>,
}

fn parse_cert(token: &str, der: &[u8]) -> Result<Certificate, TokenError> {
    Certificate::from_der(der).map_err(|e| TokenError::BadCertificate {
        token: token.to_string(),
        why: e.to_string(),
    })
}

fn is_ca(c: &Certificate) -> bool {
    use x509_cert::ext::pkix::BasicConstraints;
    matches!(c.tbs_certificate.get::<BasicConstraints>(), Ok(Some((_, bc))) if bc.ca)
}

impl TokenSigner {
    /// Opens the token `spec` names with the PIN from `pin` (read once, here), finds the key and
    /// its certificate: `cert` when given, else the token's certificate with the key's CKA_ID
    /// (else its only end-entity certificate); the chain is `chain` when not empty, else the
    /// token's CA certificates.
    pub fn open(
        spec: TokenSpec,
        pin: &PinSource,
        cert: Option<Certificate>,
        chain: Vec<Certificate>,
    ) -> Result<Self, TokenError> {
        let token = spec.token_name();
        let pin = pin.read(&token)?;
        let ctx = session::load(&spec)?;
        let opened = session::open(&ctx, &spec, &pin)?;
        let on_token = session::certificates(&opened.session)?;
        let mut parsed = Vec::new();
        for c in &on_token {
            parsed.push((c.id.clone(), parse_cert(&token, &c.der)?));
        }
        let cert = match cert {
            Some(c) => c,
            None => {
                let by_id = parsed
                    .iter()
                    .find(|(id, _)| id.is_some() && *id == opened.key_id)
                    .map(|(_, c)| c.clone());
                let leaves: Vec<_> = parsed.iter().filter(|(_, c)| !is_ca(c)).collect();
                match (by_id, leaves.as_slice()) {
                    (Some(c), _) => c,
                    (None, [(_, c)]) => c.clone(),
                    _ => return Err(TokenError::NoCertificate { token }),
                }
            }
        };
        let chain = if chain.is_empty() {
            parsed
                .into_iter()
                .map(|(_, c)| c)
                .filter(|c| is_ca(c) && *c != cert)
                .collect()
        } else {
            chain
        };
        let spki = &cert.tbs_certificate.subject_public_key_info;
        let kind = if let Ok(public) = sigalg::rsa_key(spki) {
            use rsa::traits::PublicKeyParts;
            // The token shows the key's modulus: it must be the certificate's.
            if let Some(m) = session::modulus(&opened.session, opened.key) {
                if rsa::BigUint::from_bytes_be(&m) != *public.n() {
                    return Err(TokenError::KeyMismatch {
                        token,
                        subject: display_name(&cert.tbs_certificate.subject),
                    });
                }
            }
            KeyKind::Rsa
        } else if let Some(c) = sigalg::ec_curve(spki) {
            KeyKind::Ec(c)
        } else {
            return Err(TokenError::UnsupportedKey {
                token,
                key: sigalg::key_name(spki),
            });
        };
        Ok(Self {
            spec,
            pin,
            cert,
            chain,
            kind,
            state: Mutex::new(State {
                ctx: Some(ctx),
                open: Some(opened),
                refused: None,
            }),
        })
    }

    /// The token, for messages.
    pub fn token_name(&self) -> String {
        self.spec.token_name()
    }

    /// Signs `data` (a DigestInfo or a digest) with `mech`, opening a new session first when
    /// the last one was lost; one new session per call at most.
    fn sign_on_token(&self, mech: &Mechanism, data: &[u8]) -> Result<Vec<u8>, TokenError> {
        let token = self.spec.token_name();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(why) = &st.refused {
            return Err(TokenError::PinRefusedEarlier(token, why.clone()));
        }
        let mut last = None;
        for _ in 0..2 {
            if st.open.is_none() {
                match self.reopen(&mut st) {
                    Ok(()) => {}
                    Err(e) => {
                        if matches!(
                            e,
                            TokenError::WrongPin { .. }
                                | TokenError::PinLocked { .. }
                                | TokenError::PinRefused { .. }
                        ) {
                            st.refused = Some(e.to_string());
                        }
                        return Err(match e {
                            TokenError::NoToken { .. } => TokenError::Removed {
                                token,
                                why: "not present".into(),
                            },
                            e => e,
                        });
                    }
                }
            }
            let Some(o) = &st.open else { break };
            match o.session.sign(mech, o.key, data) {
                Ok(sig) => return Ok(sig),
                Err(e) => {
                    let err = TokenError::Call {
                        what: "C_Sign",
                        why: e.to_string(),
                        rv: session::rv(&e),
                    };
                    if !err.session_lost() {
                        return Err(err);
                    }
                    st.open = None;
                    last = Some(err);
                }
            }
        }
        Err(TokenError::Removed {
            token,
            why: last.map(|e| e.to_string()).unwrap_or_default(),
        })
    }

    /// A new session (and, when the token is not found, a freshly initialised module: some
    /// modules only see a re-inserted token after C_Initialize).
    fn reopen(&self, st: &mut State) -> Result<(), TokenError> {
        if let Some(ctx) = &st.ctx {
            match session::open(ctx, &self.spec, &self.pin) {
                Ok(o) => {
                    st.open = Some(o);
                    return Ok(());
                }
                Err(e) if !e.session_lost() => return Err(e),
                Err(_) => {}
            }
        }
        // Finalise (the last handle on the module goes with the context) and start again.
        st.ctx = None;
        session::forget(&self.spec);
        let ctx = session::load(&self.spec)?;
        let o = session::open(&ctx, &self.spec, &self.pin)?;
        st.ctx = Some(ctx);
        st.open = Some(o);
        Ok(())
    }
}

impl Signer for TokenSigner {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    fn digest_alg(&self) -> DigestAlg {
        match self.kind {
            KeyKind::Rsa | KeyKind::Ec(Curve::P256) => DigestAlg::Sha256,
            KeyKind::Ec(Curve::P384) => DigestAlg::Sha384,
            KeyKind::Ec(_) => DigestAlg::Sha512,
        }
    }

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match self.kind {
            KeyKind::Rsa => AlgorithmIdentifierOwned {
                oid: oids::SHA256_WITH_RSA,
                parameters: Some(der::asn1::Null.into()),
            },
            KeyKind::Ec(c) => AlgorithmIdentifierOwned {
                oid: match c {
                    Curve::P256 => oids::ECDSA_WITH_SHA256,
                    Curve::P384 => oids::ECDSA_WITH_SHA384,
                    _ => oids::ECDSA_WITH_SHA512,
                },
                parameters: None,
            },
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let alg = self.digest_alg();
        let digest = alg.digest(message);
        let failed = |e: TokenError| match e {
            TokenError::Removed { .. } | TokenError::NoToken { .. } => {
                SignerError::Unavailable(e.to_string())
            }
            e => SignerError::Signing(e.to_string()),
        };
        match self.kind {
            KeyKind::Rsa => {
                let info = DigestInfo {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: alg.oid(),
                        parameters: Some(der::asn1::Null.into()),
                    },
                    digest: OctetString::new(digest)
                        .map_err(|e| SignerError::Signing(e.to_string()))?,
                }
                .to_der()
                .map_err(|e| SignerError::Signing(e.to_string()))?;
                self.sign_on_token(&Mechanism::RsaPkcs, &info)
                    .map_err(failed)
            }
            KeyKind::Ec(curve) => {
                let raw = self
                    .sign_on_token(&Mechanism::Ecdsa, &digest)
                    .map_err(failed)?;
                ecdsa_der(curve, &raw).map_err(SignerError::Signing)
            }
        }
    }
}

/// A PKCS#11 ECDSA signature (r ‖ s, PKCS#11 §2.3.1) as the DER `ECDSA-Sig-Value` CMS carries
/// (RFC 5753 §7.2), by the `ecdsa` crate.
fn ecdsa_der(curve: Curve, raw: &[u8]) -> Result<Vec<u8>, String> {
    let bad = |e: ecdsa::Error| format!("the token's ECDSA signature is malformed: {e}");
    Ok(match curve {
        Curve::P256 => p256::ecdsa::Signature::from_slice(raw)
            .map_err(bad)?
            .to_der()
            .as_bytes()
            .to_vec(),
        Curve::P384 => p384::ecdsa::Signature::from_slice(raw)
            .map_err(bad)?
            .to_der()
            .as_bytes()
            .to_vec(),
        _ => p521::ecdsa::Signature::from_slice(raw)
            .map_err(bad)?
            .to_der()
            .as_bytes()
            .to_vec(),
    })
}

/// What `sohoa token list` shows of one token (no secrets).
#[derive(Clone, Debug, serde::Serialize)]
pub struct TokenListing {
    pub slot: u64,
    pub label: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub logged_in_keys: bool,
    /// Public certificates: (label, CKA_ID hex, subject, valid until).
    pub certificates: Vec<ListedCert>,
    /// Private keys (only with a PIN): (label, CKA_ID hex).
    pub keys: Vec<(String, String)>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ListedCert {
    pub label: String,
    pub id: String,
    pub subject: String,
    pub not_after: String,
}

/// Every token of `module`, its certificates, and its keys when `pin` is given.
pub fn list(spec: &TokenSpec, pin: Option<&PinSource>) -> Result<Vec<TokenListing>, TokenError> {
    use cryptoki::object::{Attribute, AttributeType, ObjectClass};
    let ctx = session::load(spec)?;
    let slots = ctx.get_slots_with_token().map_err(|e| TokenError::Call {
        what: "C_GetSlotList",
        why: e.to_string(),
        rv: session::rv(&e),
    })?;
    let mut out = Vec::new();
    for slot in slots {
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        let label = info.label().trim().to_string();
        let Ok(s) = ctx.open_ro_session(slot) else {
            continue;
        };
        let certificates = session::certificates(&s)?
            .into_iter()
            .map(|c| {
                let parsed = Certificate::from_der(&c.der).ok();
                ListedCert {
                    label: c.label,
                    id: c.id.map(hex::encode).unwrap_or_default(),
                    subject: parsed
                        .as_ref()
                        .map(|p| display_name(&p.tbs_certificate.subject))
                        .unwrap_or_else(|| "(not an X.509 certificate)".into()),
                    not_after: parsed
                        .map(|p| {
                            crate::time::rfc3339(
                                p.tbs_certificate.validity.not_after.to_unix_duration(),
                            )
                        })
                        .unwrap_or_default(),
                }
            })
            .collect();
        let mut keys = Vec::new();
        let mut logged_in_keys = false;
        if let Some(p) = pin {
            let pin = p.read(&format!("token \"{label}\""))?;
            session::login(&s, &pin, &label)?;
            logged_in_keys = true;
            for k in s
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
                .unwrap_or_default()
            {
                let attrs = s
                    .get_attributes(k, &[AttributeType::Label, AttributeType::Id])
                    .unwrap_or_default();
                let mut l = String::new();
                let mut id = String::new();
                for a in attrs {
                    match a {
                        Attribute::Label(v) => l = String::from_utf8_lossy(&v).into_owned(),
                        Attribute::Id(v) => id = hex::encode(v),
                        _ => {}
                    }
                }
                keys.push((l, id));
            }
        }
        out.push(TokenListing {
            slot: slot.id(),
            label,
            manufacturer: info.manufacturer_id().trim().to_string(),
            model: info.model().trim().to_string(),
            serial: info.serial_number().trim().to_string(),
            logged_in_keys,
            certificates,
            keys,
        });
    }
    Ok(out)
}
