//! Edge `cli`, what the commands share: the system clock and randomness (read here, at the
//! edge, and passed in), who is acting, the store and index of `[store]`, and the desk floor
//! they open. Commands parse arguments, call the desk and print.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rand_core::RngCore;
use sohoa::config::Config;
use sohoa::desk::build::{self, IngestSigners, SignerSetup};
use sohoa::desk::{Actor, Desk};
use sohoa::index::Index;
use sohoa::ingest::IngestOptions;
use sohoa::sign::appearance::StampTemplate;
use sohoa::sign::pades::SignRequest;
use sohoa::store::BlobStore;
use sohoa::time::{Clock, TimeProvider};
use sohoa::verify::VerifyOptions;

/// The operating system's clock: the one place the CLI reads it.
#[derive(Debug)]
pub(super) struct SystemTimeProvider;

impl TimeProvider for SystemTimeProvider {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The desk's clock: the system's, with the calendar of `[sign] utc_offset_minutes`.
pub(super) fn clock(cfg: &Config) -> Clock {
    build::clock(cfg, Arc::new(SystemTimeProvider))
}

/// Random bytes from the operating system.
pub(super) fn random(buf: &mut [u8]) {
    rand_core::OsRng.fill_bytes(buf);
}

/// A signing nonce (RFC 3161 requests).
pub(super) fn nonce() -> u64 {
    rand_core::OsRng.next_u64()
}

/// The person at the command line (for the audit log), who may act on every unit.
pub(super) fn actor() -> Actor {
    Actor::all_units(std::env::var("USER").unwrap_or_else(|_| "sohoa".into()))
}

/// The store, the index and the local folder of a configuration.
pub(super) type Opened = (Box<dyn BlobStore>, Box<dyn Index + Send>, PathBuf);

/// The store of `[store]`, the index of `[index]`, and the local folder `[store] root`
/// (work files, and the spool of an object store).
pub(super) fn open(cfg: &Config) -> anyhow::Result<Opened> {
    let root = cfg.resolve(&cfg.store.root);
    let store = cfg.store_location()?.open()?;
    let index = cfg.index_location()?.open()?;
    Ok((store, index, root))
}

/// The stored-paper verification policy of `[trust]`, its notes printed as warnings.
pub(super) fn stored_paper_policy(cfg: &Config) -> anyhow::Result<VerifyOptions> {
    let (policy, notes) = build::stored_paper_policy(cfg)?;
    for n in notes {
        eprintln!("sohoa: {n}");
    }
    Ok(policy)
}

/// Everything a desk needs, opened from the configuration; [`Floor::desk`] lends it out.
pub(super) struct Floor {
    pub store: Box<dyn BlobStore>,
    pub index: Box<dyn Index + Send>,
    pub verify: VerifyOptions,
    pub clock: Clock,
    pub actor: Actor,
}

impl Floor {
    /// The store, the index and the stored-paper policy of `cfg`; with `trust` false the
    /// trust settings are not loaded (commands that check no signature).
    pub fn open(cfg: &Config, trust: bool) -> anyhow::Result<Self> {
        let (store, index, _) = open(cfg)?;
        let verify = if trust {
            stored_paper_policy(cfg)?
        } else {
            build::verify_policy(cfg, Default::default(), None)
        };
        Ok(Self {
            store,
            index,
            verify,
            clock: clock(cfg),
            actor: actor(),
        })
    }

    pub fn desk(&mut self) -> Desk<'_> {
        Desk {
            store: self.store.as_ref(),
            index: self.index.as_mut(),
            verify: &self.verify,
            clock: &self.clock,
            actor: &self.actor,
        }
    }
}

/// The options of `[digitize]` as of now, overridden by flags.
pub(super) fn digitize_options(
    cfg: &Config,
    lang: Option<&str>,
    dpi: Option<f32>,
    jobs: Option<usize>,
) -> sohoa::digitize::DigitizeOptions {
    let mut o = build::digitize_options(cfg, clock(cfg).now());
    o.dpi_override = dpi;
    if let Some(j) = jobs {
        o.workers = j;
    }
    if let Some(l) = lang {
        o.ocr.lang = l.to_string();
    }
    o
}

/// A signing request for `s` at `now`, with `stamp` (None: invisible).
pub(super) fn sign_request<'a>(
    cfg: &Config,
    s: &'a SignerSetup,
    now: SystemTime,
    stamp: Option<StampTemplate>,
) -> SignRequest<'a> {
    s.request(&cfg.sign, now, [nonce(), nonce()], stamp)
}

/// What ingesting needs from the configuration, signing with `signers` as of `clock`'s now.
pub(super) fn ingest_options<'a>(
    cfg: &Config,
    signers: &'a IngestSigners,
    clock: &Clock,
    unit: &str,
    dossier: &Option<String>,
    root: &Path,
) -> IngestOptions<'a> {
    let now = clock.now();
    IngestOptions {
        digitize: digitize_options(cfg, None, None, None),
        unit_code: unit.to_string(),
        folder_dossier: dossier.clone(),
        sign: sign_request(
            cfg,
            &signers.digitizer,
            now,
            signers.digitizer_stamp.clone(),
        ),
        agency: signers
            .agency
            .as_ref()
            .map(|(a, st)| sign_request(cfg, a, now, st.clone())),
        actor: actor().name,
        work_dir: root.join("work"),
    }
}

/// A temporary file beside `output` (where it will be renamed to), and the commit that puts
/// it in place under that name (synced first; never over an existing file).
#[allow(clippy::type_complexity)]
pub(super) fn new_output(
    output: &Path,
) -> anyhow::Result<(
    tempfile::NamedTempFile,
    impl FnOnce(tempfile::NamedTempFile) -> std::io::Result<()>,
)> {
    use anyhow::Context;
    let parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(parent)
        .with_context(|| format!("cannot write in {}", parent.display()))?;
    let output = output.to_path_buf();
    let commit = move |tmp: tempfile::NamedTempFile| {
        tmp.as_file().sync_all()?;
        tmp.persist_noclobber(&output)
            .map(drop)
            .map_err(|e| e.error)
    };
    Ok((tmp, commit))
}
