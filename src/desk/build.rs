//! Desk floor, the build step after validation: a validated [`Config`] turned into the parts
//! the edges run with — a signer profile into a loaded [`Signer`] (and its TSA), `[trust]`
//! into a trust store and the verification policy, `[sign] utc_offset_minutes` into the
//! desk's [`Clock`]. The CLI, the API and the service all build here, so a profile or a
//! trust setting means the same everywhere; errors are typed and name the setting or file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::config::{Config, SignerProfile};
use crate::pki::chain::TrustStore;
use crate::pki::fetch::HttpFetcher;
use crate::pki::keys::{self, KeyError};
use crate::sign::appearance::{
    self, presets, AppearanceError, Seal, Stamp, StampFont, StampRole, StampTemplate,
};
use crate::sign::ltv::{LtvRequest, Sources};
use crate::sign::token::{PinSource, TokenSigner, TokenSpec};
use crate::sign::{HttpTsa, Level, Signer, SignerError, SoftwareRsaSigner, TimestampAuthority};
use crate::time::{Clock, TimeProvider};
use crate::verify::online::RevocationFetcher;
use crate::verify::VerifyOptions;

/// Why a part could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    #[error("no signer: {hint}, or set [sign] default_signer in {origin}")]
    NoSigner { hint: &'static str, origin: String },
    #[error("no signer profile [signers.{name}] in {origin}")]
    NoProfile { name: String, origin: String },
    #[error("signer profile {profile}: it names no key (pkcs12, or key and cert)")]
    NoKey { profile: String },
    #[error("signer profile {profile}: no passphrase: set passphrase_file or passphrase_env")]
    NoPassphrase { profile: String },
    #[error("signer profile {profile}: the passphrase variable ${var} is not set")]
    PassphraseEnv { profile: String, var: String },
    #[error("signer profile {profile}: {source}")]
    Key { profile: String, source: KeyError },
    #[error("signer profile {profile}: {source}")]
    Signer {
        profile: String,
        source: SignerError,
    },
    #[error("signer profile {profile}: level {level} needs a TSA (tsa_url)")]
    LevelNeedsTsa { profile: String, level: Level },
    #[error("signer profile {profile}: {source}")]
    Token {
        profile: String,
        source: crate::sign::token::TokenError,
    },
    #[error("signer profile {profile}, its stamp: {source}")]
    Stamp {
        profile: String,
        source: crate::sign::appearance::AppearanceError,
    },
    #[error("[[webhooks]] {url}: {reason}")]
    Webhook { url: String, reason: String },
    #[error("[trust]: {source}")]
    Trust { source: KeyError },
    #[error("{}: no pinned VGCA root certificate found; download them from ca.gov.vn (see trust/vgca/README.md)", dir.display())]
    NoVgcaRoot { dir: PathBuf },
    #[error("[classify]: {0}")]
    Classify(#[from] crate::classify::load::LoadError),
    #[error("[classify] types = {}: {source}", path.display())]
    TypesFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("[classify] types: {0}")]
    Types(#[from] crate::classify::types::TypesError),
}

/// A loaded signer, the profile it came from, its TSA (B-T) when the profile names one, and
/// what its long-term levels need.
pub struct SignerSetup {
    /// The profile's name in `[signers]`, for messages.
    pub name: String,
    pub signer: Box<dyn Signer + Send + Sync>,
    pub profile: SignerProfile,
    pub tsa: Option<HttpTsa>,
    /// The PAdES level the profile asks for.
    pub level: Level,
    /// B-LTA: the TSA of the document timestamps (`archive_tsa_url`, else `tsa_url`).
    pub archive_tsa: Option<HttpTsa>,
    /// B-LT: `[trust]` anchors end the certificate paths, its CRLs are used when no OCSP
    /// responder or distribution point answers.
    pub ltv_store: TrustStore,
    /// Fetches OCSP responses and CRLs for the DSS.
    pub fetcher: HttpFetcher,
}

impl SignerSetup {
    /// A signing request at `now` as `[sign]` says, with `stamp` (None: invisible); `nonces`
    /// for the signature's and the long-term timestamps' RFC 3161 requests.
    pub fn request(
        &self,
        sign: &crate::config::SignConfig,
        now: SystemTime,
        nonces: [u64; 2],
        stamp: Option<StampTemplate>,
    ) -> crate::sign::pades::SignRequest<'_> {
        crate::sign::pades::SignRequest {
            signer: self.signer.as_ref(),
            tsa: self.tsa.as_ref().map(|t| t as &dyn TimestampAuthority),
            sub_filter: self.profile.sub_filter,
            field_name: None,
            reason: self.profile.reason.clone(),
            location: self.profile.location.clone(),
            contact_info: self.profile.contact_info.clone(),
            contents_size: sign.contents_size,
            time: now,
            utc_offset_minutes: sign.utc_offset_minutes,
            nonce: nonces[0],
            ltv: self.ltv_request(now, nonces[1]),
            stamp,
        }
    }

    /// The long-term part of a signing request at `now` (`None` below B-LT).
    pub fn ltv_request(&self, now: SystemTime, nonce: u64) -> Option<LtvRequest<'_>> {
        (self.level >= Level::BLt).then(|| LtvRequest {
            sources: Sources {
                store: &self.ltv_store,
                fetcher: Some(&self.fetcher),
                at: crate::pki::chain::unix(now),
            },
            archive_tsa: self
                .archive_tsa
                .as_ref()
                .filter(|_| self.level == Level::BLta)
                .map(|t| t as &dyn TimestampAuthority),
            nonce,
        })
    }
}

/// The profile `name` (else `[sign] default_signer`) with its paths resolved against the
/// configuration file's folder. `hint` says how the caller can name one.
pub fn named_profile(
    cfg: &Config,
    name: Option<&str>,
    hint: &'static str,
) -> Result<(String, SignerProfile), BuildError> {
    let name = name
        .map(String::from)
        .or_else(|| cfg.sign.default_signer.clone())
        .ok_or_else(|| BuildError::NoSigner {
            hint,
            origin: cfg.origin.clone(),
        })?;
    let mut p = cfg
        .signers
        .get(&name)
        .cloned()
        .ok_or_else(|| BuildError::NoProfile {
            name: name.clone(),
            origin: cfg.origin.clone(),
        })?;
    for f in [
        &mut p.pkcs12,
        &mut p.key,
        &mut p.cert,
        &mut p.chain,
        &mut p.passphrase_file,
        &mut p.pkcs11_module,
        &mut p.pin_file,
    ] {
        *f = f.as_ref().map(|x| cfg.resolve(x));
    }
    Ok((name, p))
}

/// The passphrase a profile points at (an environment variable wins over a file). Secrets are
/// read here, never taken from a command line.
fn passphrase(name: &str, p: &SignerProfile) -> Result<Vec<u8>, BuildError> {
    if let Some(var) = &p.passphrase_env {
        return std::env::var(var)
            .map(String::into_bytes)
            .map_err(|_| BuildError::PassphraseEnv {
                profile: name.to_string(),
                var: var.clone(),
            });
    }
    if let Some(f) = &p.passphrase_file {
        return keys::read_passphrase_file(f).map_err(|source| BuildError::Key {
            profile: name.to_string(),
            source,
        });
    }
    Err(BuildError::NoPassphrase {
        profile: name.to_string(),
    })
}

/// Loads the key and certificates profile `p` (called `name` in errors) names.
pub fn signer(cfg: &Config, name: &str, p: SignerProfile) -> Result<SignerSetup, BuildError> {
    let level = p.level.unwrap_or(if p.tsa_url.is_some() {
        Level::BT
    } else {
        Level::BB
    });
    if level >= Level::BT && p.tsa_url.is_none() {
        return Err(BuildError::LevelNeedsTsa {
            profile: name.to_string(),
            level,
        });
    }
    let ltv_store = if level >= Level::BLt {
        trust_store(cfg, &TrustExtras::default())?.0
    } else {
        TrustStore::default()
    };
    let signer: Box<dyn Signer + Send + Sync> = match &p.pkcs11_module {
        Some(_) => Box::new(token_signer(name, &p)?),
        None => software_signer(name, &p)?,
    };
    Ok(SignerSetup {
        name: name.to_string(),
        signer,
        tsa: p.tsa_url.as_ref().map(HttpTsa::new),
        archive_tsa: p
            .archive_tsa_url
            .as_ref()
            .or(p.tsa_url.as_ref())
            .map(HttpTsa::new),
        level,
        ltv_store,
        fetcher: HttpFetcher::default(),
        profile: p,
    })
}

/// Fonts read once per process, by path: every stamp of a run shares one.
fn stamp_font(path: &std::path::Path) -> Result<Arc<StampFont>, AppearanceError> {
    static FONTS: std::sync::Mutex<Vec<(PathBuf, Arc<StampFont>)>> =
        std::sync::Mutex::new(Vec::new());
    let mut fonts = FONTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, f)) = fonts.iter().find(|(p, _)| p == path) {
        return Ok(f.clone());
    }
    let f = Arc::new(StampFont::load(path)?);
    fonts.push((path.to_path_buf(), f.clone()));
    Ok(f)
}

/// The stamp a profile's signatures show when it signs as `role`: its `[stamp]` table over
/// the role's regulation layout (or over the table's own `layout`); `None` when the table
/// says `visible = false`. Reads the font and the seal.
pub fn stamp(
    cfg: &Config,
    profile_name: &str,
    p: &SignerProfile,
    role: StampRole,
) -> Result<Option<StampTemplate>, BuildError> {
    let st = p.stamp.clone().unwrap_or_default();
    if st.visible == Some(false) {
        return Ok(None);
    }
    let err = |source| BuildError::Stamp {
        profile: profile_name.to_string(),
        source,
    };
    let base = presets::preset(st.layout.unwrap_or(role));
    let font_path = st
        .font
        .as_ref()
        .map(|f| cfg.resolve(f))
        .unwrap_or_else(|| PathBuf::from(appearance::DEFAULT_FONT));
    let font = stamp_font(&font_path).map_err(err)?;
    let seal = match &st.seal {
        Some(s) => Some(Arc::new(Seal::load(&cfg.resolve(s)).map_err(err)?)),
        None => None,
    };
    Ok(Some(StampTemplate {
        style: Stamp {
            lines: st.lines.clone().unwrap_or(base.lines),
            font,
            seal,
            size: st.size.unwrap_or(base.size),
            color: st
                .color
                .as_deref()
                .and_then(presets::parse_color)
                .unwrap_or(base.color),
            corner: st.position.unwrap_or(base.corner),
            page: st.page.unwrap_or(base.page),
            margin: st.margin_mm.unwrap_or(base.margin_mm) * 72.0 / 25.4,
            border: st.border.unwrap_or(base.border),
        },
        extra: Vec::new(),
    }))
}

/// What a profile's `pkcs11_module`, `token_*`, `key_*` and `pin_*` settings name.
pub fn token_spec(p: &SignerProfile) -> TokenSpec {
    TokenSpec {
        module: p.pkcs11_module.clone().unwrap_or_default(),
        token_label: p.token_label.clone(),
        token_serial: p.token_serial.clone(),
        // Validated as hex by Config::validate.
        key_id: p
            .key_id
            .as_ref()
            .and_then(|id| hex::decode(id.replace(':', "")).ok()),
        key_label: p.key_label.clone(),
    }
}

/// Where the profile's PIN comes from (a terminal prompt when it names neither).
pub fn pin_source(p: &SignerProfile) -> PinSource {
    match (&p.pin_env, &p.pin_file) {
        (Some(v), _) => PinSource::Env(v.clone()),
        (None, Some(f)) => PinSource::File(f.clone()),
        _ => PinSource::Prompt,
    }
}

/// The profile's token, opened and logged in; its certificate and chain from the token unless
/// the profile names files.
fn token_signer(name: &str, p: &SignerProfile) -> Result<TokenSigner, BuildError> {
    let key_err = |source| BuildError::Key {
        profile: name.to_string(),
        source,
    };
    let cert = match &p.cert {
        Some(c) => keys::load_certs(c).map_err(key_err)?.into_iter().next(),
        None => None,
    };
    let chain = match &p.chain {
        Some(c) => keys::load_certs(c).map_err(key_err)?,
        None => Vec::new(),
    };
    TokenSigner::open(token_spec(p), &pin_source(p), cert, chain).map_err(|source| {
        BuildError::Token {
            profile: name.to_string(),
            source,
        }
    })
}

/// A software key from a PKCS#12 bundle or PEM files.
fn software_signer(
    name: &str,
    p: &SignerProfile,
) -> Result<Box<dyn Signer + Send + Sync>, BuildError> {
    let pass = passphrase(name, p)?;
    let key_err = |source| BuildError::Key {
        profile: name.to_string(),
        source,
    };
    let creds = match (&p.pkcs12, &p.key, &p.cert) {
        (Some(p12), _, _) => keys::load_pkcs12(p12, &pass).map_err(key_err)?,
        (None, Some(k), Some(c)) => {
            keys::load_pem_credentials(k, c, p.chain.as_deref(), &pass).map_err(key_err)?
        }
        _ => {
            return Err(BuildError::NoKey {
                profile: name.to_string(),
            })
        }
    };
    let signer = SoftwareRsaSigner::new(creds.key, creds.cert, creds.chain).map_err(|source| {
        BuildError::Signer {
            profile: name.to_string(),
            source,
        }
    })?;
    Ok(Box::new(signer))
}

/// The signer of profile `name` (else `[sign] default_signer`), loaded.
pub fn configured_signer(
    cfg: &Config,
    name: Option<&str>,
    hint: &'static str,
) -> Result<SignerSetup, BuildError> {
    let (name, p) = named_profile(cfg, name, hint)?;
    signer(cfg, &name, p)
}

/// The agency's signer for a task: `explicit` (`[export] signer`, `[audit] signer`), else the
/// agency of `[store]`, else that of `[certify]`, else `[sign] default_signer`.
fn agency_signer(
    cfg: &Config,
    explicit: Option<&str>,
    hint: &'static str,
) -> Result<SignerSetup, BuildError> {
    let name = explicit
        .or(cfg.store.agency_signer.as_deref())
        .or(cfg.certify.agency_signer.as_deref());
    configured_signer(cfg, name, hint)
}

/// Who signs a dossier package's manifest (`[export] signer`, else the agency).
pub fn export_signer(cfg: &Config) -> Result<SignerSetup, BuildError> {
    agency_signer(cfg, cfg.export.signer.as_deref(), "set [export] signer")
}

/// Who signs the audit log's checkpoints (`[audit] signer`, else the agency).
pub fn audit_signer(cfg: &Config) -> Result<SignerSetup, BuildError> {
    agency_signer(cfg, cfg.audit.signer.as_deref(), "set [audit] signer")
}

/// `[[webhooks]]` → receivers, their secrets read from their files or variables.
pub fn webhooks(cfg: &Config) -> Result<Vec<crate::webhook::Hook>, BuildError> {
    let mut out = Vec::new();
    for w in &cfg.webhooks {
        let bad = |reason: String| BuildError::Webhook {
            url: w.url.clone(),
            reason,
        };
        let secret = match (&w.secret_file, &w.secret_env) {
            (Some(f), _) => {
                let f = cfg.resolve(f);
                let mut s = std::fs::read(&f)
                    .map_err(|e| bad(format!("secret_file {}: {e}", f.display())))?;
                while s.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    s.pop();
                }
                s
            }
            (None, Some(var)) => std::env::var(var)
                .map_err(|_| bad(format!("secret_env: ${var} is not set")))?
                .into_bytes(),
            (None, None) => Vec::new(),
        };
        if secret.len() < 16 {
            return Err(bad("its secret is shorter than 16 bytes".into()));
        }
        out.push(crate::webhook::Hook {
            url: w.url.clone(),
            events: w.events.clone(),
            secret,
            max_attempts: w.max_attempts,
            timeout: std::time::Duration::from_secs_f64(w.timeout_seconds),
            backoff: std::time::Duration::from_secs_f64(w.backoff_seconds),
            max_backoff: std::time::Duration::from_secs_f64(w.max_backoff_seconds),
        });
    }
    Ok(out)
}

/// Who signs an ingested paper: the official who digitizes (`[store] signer`), then, when
/// `[store] agency_signer` is set, the agency; each with the stamp of its role.
pub struct IngestSigners {
    pub digitizer: SignerSetup,
    pub digitizer_stamp: Option<StampTemplate>,
    pub agency: Option<(SignerSetup, Option<StampTemplate>)>,
}

pub fn ingest_signers(cfg: &Config, hint: &'static str) -> Result<IngestSigners, BuildError> {
    let digitizer = configured_signer(cfg, cfg.store.signer.as_deref(), hint)?;
    let digitizer_stamp = stamp(
        cfg,
        &digitizer.name,
        &digitizer.profile,
        StampRole::Digitizer,
    )?;
    let agency = match &cfg.store.agency_signer {
        Some(name) => {
            let a = configured_signer(cfg, Some(name), hint)?;
            let st = stamp(cfg, &a.name, &a.profile, StampRole::Agency)?;
            Some((a, st))
        }
        None => None,
    };
    Ok(IngestSigners {
        digitizer,
        digitizer_stamp,
        agency,
    })
}

/// Who signs a certified copy: `[certify] officer_signer` (else `[sign] default_signer`) with
/// the certifier's stamp, then `[certify] agency_signer` with the agency's.
pub struct CertifySigners {
    pub officer: SignerSetup,
    pub officer_stamp: Option<StampTemplate>,
    pub agency: Option<(SignerSetup, Option<StampTemplate>)>,
    pub book: String,
    pub sign: crate::config::SignConfig,
    /// Temporary files, beside the store.
    pub work_dir: PathBuf,
}

impl CertifySigners {
    /// The request a certification signs with at `now`; `nonce` gives each RFC 3161 request
    /// its nonce.
    pub fn request(
        &self,
        now: SystemTime,
        nonce: &mut dyn FnMut() -> u64,
    ) -> crate::desk::CertifyRequest<'_> {
        crate::desk::CertifyRequest {
            officer: self.officer.request(
                &self.sign,
                now,
                [nonce(), nonce()],
                self.officer_stamp.clone(),
            ),
            agency: self
                .agency
                .as_ref()
                .map(|(a, st)| a.request(&self.sign, now, [nonce(), nonce()], st.clone())),
            book: self.book.clone(),
            work_dir: &self.work_dir,
        }
    }
}

pub fn certify_signers(cfg: &Config) -> Result<CertifySigners, BuildError> {
    let hint = "set [certify] officer_signer";
    let officer = configured_signer(cfg, cfg.certify.officer_signer.as_deref(), hint)?;
    let officer_stamp = stamp(cfg, &officer.name, &officer.profile, StampRole::Certifier)?;
    let agency = match &cfg.certify.agency_signer {
        Some(name) => {
            let a = configured_signer(cfg, Some(name), hint)?;
            let st = stamp(cfg, &a.name, &a.profile, StampRole::Agency)?;
            Some((a, st))
        }
        None => None,
    };
    Ok(CertifySigners {
        officer,
        officer_stamp,
        agency,
        book: cfg.certify.book.clone(),
        sign: cfg.sign.clone(),
        work_dir: cfg.resolve(&cfg.store.root).join("work"),
    })
}

/// What a command line adds to `[trust]` for one run.
#[derive(Clone, Debug, Default)]
pub struct TrustExtras {
    /// Anchors that replace the configured ones when not empty.
    pub anchors: Vec<PathBuf>,
    pub intermediates: Vec<PathBuf>,
    pub crls: Vec<PathBuf>,
    /// `Some(None)`: the VGCA folder of `[trust] vgca_dir`, else `trust/vgca`;
    /// `Some(Some(dir))`: that folder; `None`: `[trust] vgca_dir` when set.
    pub vgca: Option<Option<PathBuf>>,
}

/// The trust store of `[trust]` and `extras`, and notes on certificates refused (a VGCA
/// folder holding files that are not pinned certificates).
pub fn trust_store(
    cfg: &Config,
    extras: &TrustExtras,
) -> Result<(TrustStore, Vec<String>), BuildError> {
    let trust = |source| BuildError::Trust { source };
    let mut store = TrustStore::default();
    let mut notes = Vec::new();
    let vgca_dir = match &extras.vgca {
        Some(Some(dir)) => Some(dir.clone()),
        Some(None) => Some(
            cfg.trust
                .vgca_dir
                .as_ref()
                .map(|p| cfg.resolve(p))
                .unwrap_or_else(|| cfg.resolve(std::path::Path::new("trust/vgca"))),
        ),
        None => cfg.trust.vgca_dir.as_ref().map(|p| cfg.resolve(p)),
    };
    if let Some(dir) = vgca_dir {
        let loaded = crate::pki::vgca::load_dir(&dir).map_err(trust)?;
        notes.extend(loaded.refused);
        if loaded.store.anchors.is_empty() {
            return Err(BuildError::NoVgcaRoot { dir });
        }
        store.anchors.extend(loaded.store.anchors);
        store.intermediates.extend(loaded.store.intermediates);
    }
    let anchors: Vec<PathBuf> = if extras.anchors.is_empty() {
        cfg.trust.anchors.iter().map(|p| cfg.resolve(p)).collect()
    } else {
        extras.anchors.clone()
    };
    for p in anchors {
        store.anchors.extend(keys::load_certs(&p).map_err(trust)?);
    }
    for p in cfg
        .trust
        .intermediates
        .iter()
        .map(|p| cfg.resolve(p))
        .chain(extras.intermediates.iter().cloned())
    {
        store
            .intermediates
            .extend(keys::load_certs_from(&p).map_err(trust)?);
    }
    for p in cfg
        .trust
        .crls
        .iter()
        .map(|p| cfg.resolve(p))
        .chain(extras.crls.iter().cloned())
    {
        store.crls.push(keys::load_crl(&p).map_err(trust)?);
    }
    Ok((store, notes))
}

/// The verification policy of `[trust]` over `store` (the time is the desk's at each check;
/// `online`: where to fetch revocation data, when `[trust] online` or a flag asks for it).
pub fn verify_policy(
    cfg: &Config,
    store: TrustStore,
    online: Option<Arc<dyn RevocationFetcher>>,
) -> VerifyOptions {
    VerifyOptions {
        require_revocation: cfg.trust.require_revocation,
        ltv: cfg.trust.ltv,
        online,
        ..VerifyOptions::new(store, SystemTime::UNIX_EPOCH)
    }
}

/// The policy stored papers are checked with (badges, reuse): `[trust]` alone, offline.
pub fn stored_paper_policy(cfg: &Config) -> Result<(VerifyOptions, Vec<String>), BuildError> {
    let (store, notes) = trust_store(cfg, &TrustExtras::default())?;
    Ok((verify_policy(cfg, store, None), notes))
}

/// The classifier of `[classify]` (types and model); `model` overrides the configured model
/// (which may then be absent: the rules alone).
pub fn classifier(
    cfg: &Config,
    model: Option<&std::path::Path>,
) -> Result<crate::classify::Classifier, BuildError> {
    let types = cfg.classify.types.as_ref().map(|p| cfg.resolve(p));
    let (model, optional) = match model {
        Some(m) => (Some(m.to_path_buf()), false),
        None => (cfg.classify.model.as_ref().map(|p| cfg.resolve(p)), true),
    };
    Ok(crate::classify::load::classifier(
        types.as_deref(),
        model.as_deref(),
        optional,
    )?)
}

/// The document types of `[classify] types` (the built-in set by default).
pub fn doc_types(cfg: &Config) -> Result<crate::classify::types::DocTypes, BuildError> {
    use crate::classify::types::DocTypes;
    Ok(match &cfg.classify.types {
        Some(p) => {
            let path = cfg.resolve(p);
            let text = std::fs::read_to_string(&path).map_err(|source| BuildError::TypesFile {
                path: path.clone(),
                source,
            })?;
            DocTypes::parse(&text, &path.display().to_string())?
        }
        None => DocTypes::default_set(),
    })
}

/// The digitizing options of `[digitize]` (and `[sign] utc_offset_minutes` for the PDF/A's
/// dates), for a PDF/A made at `created`.
pub fn digitize_options(cfg: &Config, created: SystemTime) -> crate::digitize::DigitizeOptions {
    let d = &cfg.digitize;
    let mut o = crate::digitize::DigitizeOptions {
        workers: d.workers,
        min_dpi: d.min_dpi,
        created,
        utc_offset_minutes: cfg.sign.utc_offset_minutes,
        ..Default::default()
    };
    o.limits.max_pixels = d.max_pixels;
    o.limits.max_pages = d.max_pages;
    o.ocr.lang = d.lang.clone();
    o.ocr.tessdata = d.tessdata.as_ref().map(|p| cfg.resolve(p));
    o
}

/// The desk's clock on `provider`, with the calendar of `[sign] utc_offset_minutes`.
pub fn clock(cfg: &Config, provider: Arc<dyn TimeProvider>) -> Clock {
    Clock::new(provider, cfg.sign.utc_offset_minutes)
}
