//! Pipeline `ingest` (the one-shot form of the whole flow): decode → ocr → classify →
//! assemble (one PDF/A per paper) → sign → store (scan and signed PDF/A, content-addressed) →
//! index (with the audit entry). `sohoa ingest` and the service call [`ingest`].
//!
//! Crash safety: blobs are written atomically before the index row that points at them, and the
//! row with its audit entry is one transaction; a paper is indexed once per (scan, first page),
//! so running the same scans again after a crash stores nothing twice and finishes the rest.

pub mod eval;

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use crate::assemble::{AssembleError, DocumentInfo, PdfAWriter};
use crate::audit::Action;
use crate::classify::fields::{Check, FieldKind};
use crate::classify::{Classifier, Component};
use crate::decode;
use crate::digitize::{
    recognize_pages, take_decoded, DigitizeError, DigitizeOptions, PageOcr, PdfSources,
};
use crate::index::{AuditRequest, IndexError, NewComponent, Papers, ReviewState, SignatureInfo};
use crate::ocr::RecognizedPage;
use crate::pki::digest::DigestAlg;
use crate::sign::appearance::KnownImage;
use crate::sign::pades::{sign_file_known, SignError, SignRequest};
use crate::similar::{compare, signature_of_page, PaperSignature, Verdict};
use crate::store::{BlobStore, StoreError};

/// What ingesting needs besides the scans.
pub struct IngestOptions<'a> {
    pub digitize: DigitizeOptions,
    /// The receiving unit (đơn vị) the scans belong to.
    pub unit_code: String,
    /// The dossier code of the operator's folder, if any (wins over cover sheets).
    pub folder_dossier: Option<String>,
    /// How to sign each paper (signer, TSA, clock): the official who digitizes.
    pub sign: SignRequest<'a>,
    /// Then the agency, when it signs too (its stamp at the top right, Decree 30/2020).
    pub agency: Option<SignRequest<'a>>,
    /// Who is ingesting, for the audit log.
    pub actor: String,
    /// Folder for temporary files (same file system as the store is best).
    pub work_dir: PathBuf,
}

/// One stored paper.
#[derive(Clone, Debug, Serialize)]
pub struct StoredPaper {
    pub component_id: i64,
    /// Already in the index from an earlier run: nothing was stored again.
    pub already_stored: bool,
    pub dossier_code: Option<String>,
    pub type_code: String,
    pub confidence: f32,
    pub needs_review: bool,
    /// "file p1-2".
    pub pages: String,
    /// Blank backs left out of it ("file p2"): the original has these pages too.
    pub blank_pages: Vec<String>,
    pub owner_ids: Vec<String>,
    pub valid_until: Option<String>,
    pub source_sha256: String,
    pub signed_sha256: Option<String>,
    /// An earlier stored paper this one is a new scan of, and how alike they are (0–1).
    pub rescan_of: Option<(i64, f32)>,
    pub warnings: Vec<String>,
    /// Seconds spent signing it (every signature with its timestamps); `None` when it was
    /// already stored.
    pub sign_seconds: Option<f64>,
}

/// What one run stored.
#[derive(Clone, Debug, Serialize)]
pub struct IngestReport {
    pub papers: Vec<StoredPaper>,
    /// Cover sheets and dossier-level warnings.
    pub warnings: Vec<String>,
    /// Separator sheets found between the papers and left out of them ("file p3").
    pub separator_pages: Vec<String>,
    /// Seconds of OCR of each recognised page (the service's metrics).
    #[serde(skip)]
    pub ocr_seconds: Vec<f64>,
}

/// Why a run stopped; messages name the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error(transparent)]
    Digitize(#[from] DigitizeError),
    #[error(transparent)]
    Decode(#[from] decode::DecodeError),
    #[error(transparent)]
    Assemble(#[from] AssembleError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Pdf { file: String, message: String },
    #[error("{file}: {message}")]
    Labels { file: String, message: String },
}

fn io(file: &Path) -> impl Fn(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        file: file.display().to_string(),
        source,
    }
}

/// Ingests `inputs` (one batch, pages in order).
pub fn ingest(
    inputs: &[PathBuf],
    opts: &IngestOptions,
    classifier: &Classifier,
    store: &dyn BlobStore,
    index: &mut dyn Papers,
) -> Result<IngestReport, IngestError> {
    // 1. The scans themselves, kept as they came.
    let mut source_ids = Vec::with_capacity(inputs.len());
    for input in inputs {
        let mut f = std::fs::File::open(input).map_err(io(input))?;
        source_ids.push(store.put(&mut f)?.id.to_string());
    }
    // Scans ingested to the end before: answered from the index, not read again.
    if index.scans_ingested(&source_ids)? {
        return already_ingested(inputs, &source_ids, index);
    }
    // 2. Recognise and classify.
    let mut rec = recognize_pages(inputs, &opts.digitize, KEEP_DECODED_BYTES)?;
    let batch = classifier.classify(&rec.texts, opts.folder_dossier.as_deref());
    let mut report = IngestReport {
        papers: Vec::new(),
        warnings: Vec::new(),
        separator_pages: batch
            .separator_pages
            .iter()
            .map(|p| format!("{} p{}", p.source, p.page))
            .collect(),
        ocr_seconds: rec
            .reports
            .iter()
            .filter(|r| !r.kept_as_is)
            .map(|r| r.seconds)
            .collect(),
    };
    for w in rec.reports.iter().flat_map(|r| &r.warnings) {
        report.warnings.push(w.clone());
    }
    let progress = &opts.digitize.progress;
    let total: usize = batch.dossiers.iter().map(|d| d.components.len()).sum();
    progress.begin("papers", total as u64);
    for d in &batch.dossiers {
        report.warnings.extend(d.warnings.iter().cloned());
        for c in &d.components {
            let first = &c.pages[0];
            let page_ref = &rec.pages[first.index];
            let file_no = inputs
                .iter()
                .position(|p| p.as_path() == page_ref.path())
                .unwrap_or(0);
            let source = source_ids[file_no].clone();
            let source_page = first.page as u32;
            let pages_label = c.pages_label();
            let _paper = tracing::info_span!(
                "paper",
                r#type = %c.type_code,
                pages = %pages_label,
                dossier = d.code.as_deref(),
            )
            .entered();
            let already = index.component_by_source(&source, source_page)?;
            if let Some(id) = already {
                report.papers.push(paper(
                    c,
                    id,
                    true,
                    d.code.clone(),
                    source,
                    None,
                    pages_label,
                ));
                progress.step(&format!("{} (on file)", c.type_code));
                continue;
            }
            // 3. One PDF/A per paper, signed, stored.
            let signed = assemble_and_sign(inputs, &mut rec, c, &source_ids, opts)?;
            let mut file = std::fs::File::open(&signed.path).map_err(io(&signed.path))?;
            let put = store.put(&mut file)?;
            drop(file);
            let _ = std::fs::remove_file(&signed.path);
            let signed_id = put.id.to_string();
            // 4. A new scan of a paper already on file is linked to it.
            let rescan = match &signed.likeness {
                Some(sig) => find_rescan(index, &c.type_code, sig)?,
                None => None,
            };
            // 5. Index it, with its audit entry, in one transaction.
            let mut new = new_component(
                c,
                d.code.clone(),
                opts,
                &source,
                source_page,
                &signed_id,
                &signed.info,
                &rec,
            );
            new.likeness_json = signed
                .likeness
                .as_ref()
                .and_then(|l| serde_json::to_string(l).ok());
            new.rescan_of = rescan.map(|r| r.0);
            let audit = AuditRequest {
                time: signed.info.signed_at.clone(),
                actor: opts.actor.clone(),
                action: Action::Ingest,
                subject: String::new(),
                details: serde_json::json!({
                    "dossier": d.code,
                    "type": c.type_code,
                    "pages": pages_label,
                    "source_sha256": source,
                    "signed_sha256": signed_id,
                    "rescan_of": rescan.map(|r| r.0),
                    "signature": {
                        "signer": signed.info.signer_subject,
                        "serial": signed.info.cert_serial,
                        "issuer": signed.info.cert_issuer,
                        "level": signed.info.level,
                        "signed_at": signed.info.signed_at,
                    },
                }),
            };
            let (id, _) = index.add_component(&new, &audit)?;
            tracing::info!(
                component = id,
                sha256 = %signed_id,
                sign_seconds = signed.sign_seconds,
                "paper signed and stored"
            );
            let mut stored = paper(
                c,
                id,
                false,
                d.code.clone(),
                source,
                Some(signed_id),
                pages_label,
            );
            stored.rescan_of = rescan;
            stored.sign_seconds = Some(signed.sign_seconds);
            stored.warnings.extend(signed.notes.iter().cloned());
            report.papers.push(stored);
            progress.step(&format!("{} #{id}", c.type_code));
        }
    }
    progress.end();
    // every paper is indexed: the next run over these scans need not read them
    let now = crate::time::rfc3339(
        opts.sign
            .time
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    );
    index.mark_scans_ingested(&source_ids, &now)?;
    Ok(report)
}

/// The report of a run over scans ingested to the end before: their papers, from the index.
fn already_ingested(
    inputs: &[PathBuf],
    source_ids: &[String],
    index: &mut dyn Papers,
) -> Result<IngestReport, IngestError> {
    let mut report = IngestReport {
        papers: Vec::new(),
        warnings: Vec::new(),
        separator_pages: Vec::new(),
        ocr_seconds: Vec::new(),
    };
    for (input, sha) in inputs.iter().zip(source_ids) {
        let mut rows = index.find(&crate::index::Query {
            source_sha256: Some(sha.clone()),
            limit: 10_000,
            ..Default::default()
        })?;
        rows.sort_by_key(|r| r.source_page);
        let name = input.display().to_string();
        for r in rows {
            // blank backs lie within the paper's run of pages
            let last = r.source_page + (r.pages + r.blank_pages).saturating_sub(1);
            report.papers.push(StoredPaper {
                component_id: r.id,
                already_stored: true,
                dossier_code: r.dossier_code,
                type_code: r.type_code,
                confidence: r.confidence,
                needs_review: r.review_state == ReviewState::NeedsReview,
                pages: if last > r.source_page {
                    format!("{name} p{}-{last}", r.source_page)
                } else {
                    format!("{name} p{}", r.source_page)
                },
                blank_pages: Vec::new(),
                owner_ids: r.owner_ids,
                valid_until: r.valid_until,
                source_sha256: r.source_sha256,
                signed_sha256: r.signed_sha256,
                rescan_of: None,
                warnings: Vec::new(),
                sign_seconds: None,
            });
        }
    }
    Ok(report)
}

/// How many bytes of decoded pages a batch keeps from the OCR for the PDF/A (about seven
/// 300 dpi A4 gray pages, or two in colour); pages past it are decoded again when assembled.
const KEEP_DECODED_BYTES: usize = 64 << 20;

/// Names of ingest's temporary PDFs in the work folder: only these are ever swept.
const WORK_PREFIX: &str = ".sohoa-paper-";

/// Removes the temporary PDFs that runs killed mid-way left in `work_dir` and that are older
/// than `min_age` (longer than any run still going); returns how many.
pub fn sweep_work_dir(
    work_dir: &Path,
    now: SystemTime,
    min_age: std::time::Duration,
) -> Result<usize, IngestError> {
    let entries = match std::fs::read_dir(work_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(work_dir)(e)),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(WORK_PREFIX));
        let old = entry
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age >= min_age);
        if ours && old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

fn paper(
    c: &Component,
    id: i64,
    already_stored: bool,
    dossier_code: Option<String>,
    source_sha256: String,
    signed_sha256: Option<String>,
    pages: String,
) -> StoredPaper {
    StoredPaper {
        component_id: id,
        already_stored,
        dossier_code,
        type_code: c.type_code.clone(),
        confidence: c.confidence,
        needs_review: c.needs_review,
        pages,
        blank_pages: c
            .blank_pages
            .iter()
            .map(|p| format!("{} p{}", p.source, p.page))
            .collect(),
        owner_ids: c.owner_ids.clone(),
        valid_until: c.valid_until.clone(),
        source_sha256,
        signed_sha256,
        rescan_of: None,
        warnings: c.warnings.clone(),
        sign_seconds: None,
    }
}

struct Signed {
    path: PathBuf,
    /// Where stamps could not go where the rules put them.
    notes: Vec<String>,
    info: SignatureInfo,
    sign_seconds: f64,
    /// Near-duplicate signature of the paper (None when a page was copied, not scanned).
    likeness: Option<PaperSignature>,
}

/// The stored paper of this type that `sig` is a re-scan of, if any, with the score.
pub fn find_rescan(
    index: &mut dyn Papers,
    type_code: &str,
    sig: &PaperSignature,
) -> Result<Option<(i64, f32)>, IndexError> {
    let mut best: Option<(i64, f32)> = None;
    for (id, json) in index.likeness_candidates(type_code, &sig.keys())? {
        let Ok(other) = serde_json::from_str::<PaperSignature>(&json) else {
            continue;
        };
        let l = compare(sig, &other);
        if l.verdict == Verdict::Same && best.is_none_or(|b| l.score > b.1) {
            best = Some((id, l.score));
        }
    }
    Ok(best)
}

/// Writes the paper's pages as a PDF/A (the pages as decoded for the OCR, or decoded again past
/// [`KEEP_DECODED_BYTES`], with the words and geometry the OCR found) and signs it; returns
/// the signed temporary file.
fn assemble_and_sign(
    inputs: &[PathBuf],
    rec: &mut crate::digitize::Recognized,
    c: &Component,
    source_ids: &[String],
    opts: &IngestOptions,
) -> Result<Signed, IngestError> {
    std::fs::create_dir_all(&opts.work_dir).map_err(io(&opts.work_dir))?;
    let unsigned = tempfile::Builder::new()
        .prefix(WORK_PREFIX)
        .suffix(".pdf")
        .tempfile_in(&opts.work_dir)
        .map_err(io(&opts.work_dir))?;
    let files: Vec<usize> = {
        let mut v: Vec<usize> = c
            .pages
            .iter()
            .filter_map(|p| {
                inputs
                    .iter()
                    .position(|i| i.as_path() == rec.pages[p.index].path())
            })
            .collect();
        v.dedup();
        v
    };
    let digests: Vec<String> = files.iter().map(|&i| source_ids[i].clone()).collect();
    let mut id = [0u8; 16];
    let id_src =
        DigestAlg::Sha256.digest(format!("{}:{}", digests.join(","), c.pages[0].page).as_bytes());
    id.copy_from_slice(&id_src[..16]);
    let info = DocumentInfo {
        title: format!("{} — {}", c.type_name, c.pages_label()),
        producer: format!("sohoa {}", env!("CARGO_PKG_VERSION")),
        created: opts.sign.time,
        utc_offset_minutes: opts.sign.utc_offset_minutes,
        source_sha256: digests,
        document_id: id,
    };
    let out = unsigned.reopen().map_err(io(unsigned.path()))?;
    let mut writer = PdfAWriter::new(BufWriter::new(out), info)?;
    let mut pdfs = PdfSources::default();
    let mut likeness = Some(PaperSignature { pages: Vec::new() });
    // The first and last pages' pixels, where stamps go: signing need not decode them again.
    let mut known = Vec::new();
    let ends = [
        c.pages.first().map(|p| p.index),
        c.pages.last().map(|p| p.index),
    ];
    for p in &c.pages {
        let page_ref = &rec.pages[p.index];
        match &rec.ocr[p.index] {
            Some(o) => {
                let scanned = take_decoded(
                    &mut rec.decoded[p.index],
                    page_ref,
                    opts.digitize.dpi_override,
                    &opts.digitize.limits,
                )?;
                let page = recognized(scanned, o);
                if let Some(l) = likeness.as_mut() {
                    l.pages.push(signature_of_page(&page));
                }
                let stats = writer.add_page(&page)?;
                if ends.contains(&Some(p.index)) {
                    known.push(KnownImage {
                        stream_sha256: stats.image_sha256,
                        raster: std::sync::Arc::new(page.scanned.raster),
                    });
                }
            }
            None => {
                likeness = None;
                let pdf = pdfs.get(page_ref.path(), &p.source)?;
                writer.copy_page(pdf, &p.source, page_ref.index())?;
            }
        }
    }
    let sink = writer.finish()?;
    let file = sink
        .into_inner()
        .map_err(|e| io(unsigned.path())(e.into_error()))?;
    file.sync_all().map_err(io(unsigned.path()))?;
    drop(file);
    let signed_path = unsigned.path().with_extension("signed.pdf");
    let signing = std::time::Instant::now();
    let outcome = sign_file_known(unsigned.path(), &signed_path, &opts.sign, &known)?;
    let mut notes: Vec<String> = Vec::new();
    let mut note = |who: &str, ap: &Option<crate::sign::appearance::Placed>| {
        if let Some(p) = ap {
            if let Some(m) = &p.moved {
                notes.push(format!("{who} stamp on page {}: {m}", p.page));
            }
        }
    };
    note("the digitizer's", &outcome.appearance);
    if let Some(agency) = &opts.agency {
        let a = sign_file_known(&signed_path, &signed_path, agency, &known)?;
        note("the agency's", &a.appearance);
    }
    let sign_seconds = signing.elapsed().as_secs_f64();
    let cert = opts.sign.signer.certificate();
    let tbs = &cert.tbs_certificate;
    let level = match outcome.sub_filter {
        "ETSI.CAdES.detached" => outcome.level.name(),
        _ => "adbe.pkcs7",
    };
    let since = opts
        .sign
        .time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Ok(Signed {
        notes,
        sign_seconds,
        likeness,
        path: signed_path,
        info: SignatureInfo {
            signer_subject: crate::pki::names::display_name(&tbs.subject),
            cert_serial: hex::encode_upper(tbs.serial_number.as_bytes()),
            cert_issuer: crate::pki::names::display_name(&tbs.issuer),
            signed_at: crate::time::rfc3339(since),
            level: level.to_string(),
        },
    })
}

fn recognized(scanned: decode::ScannedPage, o: &PageOcr) -> RecognizedPage {
    RecognizedPage {
        scanned,
        rotation: o.rotation,
        skew_degrees: o.skew_degrees,
        width: o.width,
        height: o.height,
        words: o.words.clone(),
        text: o.text.clone(),
        mean_confidence: o.mean_confidence,
    }
}

#[allow(clippy::too_many_arguments)]
fn new_component(
    c: &Component,
    dossier_code: Option<String>,
    opts: &IngestOptions,
    source: &str,
    source_page: u32,
    signed: &str,
    sig: &SignatureInfo,
    rec: &crate::digitize::Recognized,
) -> NewComponent {
    let valid = |k: FieldKind| {
        c.fields
            .iter()
            .filter(|f| f.kind == k && f.check == Check::Valid)
            .map(|f| f.value.clone())
            .collect::<Vec<_>>()
    };
    let text = c
        .pages
        .iter()
        .map(|p| rec.texts[p.index].text())
        .collect::<Vec<_>>()
        .join("\n\u{c}\n");
    NewComponent {
        unit_code: opts.unit_code.clone(),
        dossier_code,
        type_code: c.type_code.clone(),
        confidence: c.confidence,
        review_state: if c.needs_review {
            ReviewState::NeedsReview
        } else {
            ReviewState::Auto
        },
        pages: c.pages.len() as u32,
        blank_pages: c.blank_pages.len() as u32,
        source_sha256: source.to_string(),
        source_page,
        signed_sha256: Some(signed.to_string()),
        fields_json: serde_json::to_string(&c.fields).unwrap_or_else(|_| "[]".into()),
        owner_ids: c.owner_ids.clone(),
        tax_codes: valid(FieldKind::TaxCode),
        issue_date: valid(FieldKind::IssueDate).into_iter().next(),
        valid_until: c.valid_until.clone(),
        ocr_text: text,
        likeness_json: None,
        rescan_of: None,
        signature: Some(sig.clone()),
        created_at: sig.signed_at.clone(),
    }
}

/// Each paper of some scans, classified, with its near-duplicate signature (None when a page
/// carries its own text): what `sohoa find --like` compares with the stored papers.
pub fn scan_signatures(
    inputs: &[PathBuf],
    opts: &DigitizeOptions,
    classifier: &Classifier,
) -> Result<Vec<(Component, Option<PaperSignature>)>, IngestError> {
    let mut rec = recognize_pages(inputs, opts, KEEP_DECODED_BYTES)?;
    let batch = classifier.classify(&rec.texts, None);
    let mut out = Vec::new();
    for c in batch.dossiers.into_iter().flat_map(|d| d.components) {
        let mut sig = Some(PaperSignature { pages: Vec::new() });
        for p in &c.pages {
            match (&rec.ocr[p.index], sig.as_mut()) {
                (Some(o), Some(s)) => {
                    let scanned = take_decoded(
                        &mut rec.decoded[p.index],
                        &rec.pages[p.index],
                        opts.dpi_override,
                        &opts.limits,
                    )?;
                    s.pages.push(signature_of_page(&recognized(scanned, o)));
                }
                _ => sig = None,
            }
        }
        out.push((c, sig));
    }
    Ok(out)
}

/// Every stored paper of the type compared with `sig`, best first.
pub fn likeness_ranking(
    index: &mut dyn Papers,
    type_code: &str,
    sig: &PaperSignature,
) -> Result<Vec<(i64, crate::similar::Likeness)>, IndexError> {
    let mut out: Vec<(i64, crate::similar::Likeness)> = index
        .likeness_candidates(type_code, &sig.keys())?
        .into_iter()
        .filter_map(|(id, json)| {
            let other = serde_json::from_str::<PaperSignature>(&json).ok()?;
            Some((id, compare(sig, &other)))
        })
        .collect();
    out.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    Ok(out)
}
