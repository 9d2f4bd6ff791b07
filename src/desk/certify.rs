//! Desk floor, certified copies (chứng thực bản sao điện tử từ bản chính, Decree 23/2015/NĐ-CP,
//! electronic form per Decree 45/2020/NĐ-CP): a stored paper gets the next number of its
//! unit's register for the year, the certifying officer's signature with the certification
//! stamp (text, number, book, date, name), then the agency's; the copy is stored as a new
//! paper linked to its source, listed among the citizen's papers as a certified copy.
//!
//! Never numbered twice, never a gap: the number is reserved (with its audit entry) before
//! anything is signed; the copy is indexed and the entry marked done in one transaction. A
//! run that dies in between leaves the number reserved; [`Desk::resume_certifications`]
//! makes that same copy under that same number.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::{Desk, DeskError};
use crate::audit::Action;
use crate::classify::fields::{Check, Field, FieldKind};
use crate::index::{Certification, NewComponent, ReviewState, SignatureInfo};
use crate::sign::pades::{sign_file, SignError, SignRequest};
use crate::store::BlobId;

/// A reservation this old belongs to a run that died (a copy takes seconds): the service and
/// the API complete it.
pub const STALE_RESERVATION: Duration = Duration::from_secs(120);

/// Who signs a certified copy, and the register's book.
pub struct CertifyRequest<'a> {
    /// The certifying officer: its stamp should be the "certifier" layout (its lines may name
    /// `{number}` and `{book}`, filled here).
    pub officer: SignRequest<'a>,
    /// Then the agency (top right of page 1).
    pub agency: Option<SignRequest<'a>>,
    /// The book's name; `{year}` is filled in.
    pub book: String,
    /// A folder for the temporary files (beside the store).
    pub work_dir: &'a Path,
}

/// What a resume made, and the register numbers it could not complete (with why).
pub type Resumed = (Vec<Certified>, Vec<(i64, String)>);

/// A certified copy made.
#[derive(Clone, Debug, Serialize)]
pub struct Certified {
    pub register_id: i64,
    pub unit_code: String,
    pub year: i32,
    pub number: i64,
    pub book: String,
    pub source_id: i64,
    pub copy_id: i64,
    pub signed_sha256: String,
    /// Where the stamps went, when not where the rules put them.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertifyError {
    #[error(transparent)]
    Desk(#[from] DeskError),
    #[error("paper #{0} has no signed file to certify a copy of")]
    Unsigned(i64),
    #[error(
        "paper #{id}: its signature does not verify now; a copy of it is not certified ({why})"
    )]
    DoesNotVerify { id: i64, why: String },
    #[error("register number {number} of {unit} ({year}): signing the copy: {source}")]
    Sign {
        number: i64,
        unit: String,
        year: i32,
        source: SignError,
    },
    #[error("register number {number} of {unit} ({year}) was completed by another run meanwhile")]
    CompletedElsewhere {
        number: i64,
        unit: String,
        year: i32,
    },
    #[error("the temporary copy in {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

impl From<crate::index::IndexError> for CertifyError {
    fn from(e: crate::index::IndexError) -> Self {
        CertifyError::Desk(e.into())
    }
}

impl From<crate::store::StoreError> for CertifyError {
    fn from(e: crate::store::StoreError) -> Self {
        CertifyError::Desk(e.into())
    }
}

impl Desk<'_> {
    /// Makes a certified copy of stored paper `source_id`.
    pub fn certify(
        &mut self,
        source_id: i64,
        req: &mut CertifyRequest,
    ) -> Result<Certified, CertifyError> {
        let source = self.component(source_id)?;
        if source.signed_sha256.is_none() {
            return Err(CertifyError::Unsigned(source_id));
        }
        if let super::Badge::DoesNotVerify = self.badge(&source) {
            return Err(CertifyError::DoesNotVerify {
                id: source_id,
                why: "`sohoa verify` on its file says why".into(),
            });
        }
        let year = self
            .clock
            .today()
            .get(0..4)
            .and_then(|y| y.parse().ok())
            .unwrap_or(1970);
        let book = req.book.replace("{year}", &year.to_string());
        let audit = self.audit(
            Action::Certify,
            format!("component {source_id}"),
            serde_json::json!({ "step": "reserved", "unit": source.unit_code, "year": year }),
        );
        let entry = self.index.reserve_certification(
            &source.unit_code,
            year,
            &book,
            source_id,
            &self.actor.name,
            &self.clock.now_rfc3339(),
            &audit,
        )?;
        self.make_copy(&entry, req)
    }

    /// Completes every reservation older than `stale` (a run that died after numbering):
    /// the same copy, under the same number. Returns what was made and what failed.
    pub fn resume_certifications(
        &mut self,
        stale: Duration,
        req: &mut CertifyRequest,
    ) -> Result<Resumed, CertifyError> {
        let before = crate::time::rfc3339(
            Duration::from_secs(self.clock.epoch_secs()).saturating_sub(stale),
        );
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for entry in self.index.pending_certifications(&before)? {
            if !self.actor.units.contains(&entry.unit_code) {
                continue;
            }
            match self.make_copy(&entry, req) {
                Ok(c) => done.push(c),
                Err(CertifyError::CompletedElsewhere { .. }) => {}
                Err(e) => failed.push((entry.number, e.to_string())),
            }
        }
        Ok((done, failed))
    }

    /// Signs, stores and indexes the copy for register entry `entry`.
    fn make_copy(
        &mut self,
        entry: &Certification,
        req: &mut CertifyRequest,
    ) -> Result<Certified, CertifyError> {
        let source = self
            .index
            .component(entry.source_id)?
            .ok_or(DeskError::NotFound {
                id: entry.source_id,
            })?;
        let sha = source
            .signed_sha256
            .clone()
            .ok_or(CertifyError::Unsigned(source.id))?;
        let blob: BlobId = sha.parse().map_err(|_| DeskError::Damaged {
            id: source.id,
            sha256: sha.clone(),
        })?;
        let dir = req.work_dir;
        let io = |source| CertifyError::Io {
            dir: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = tempfile::Builder::new()
            .prefix(".sohoa-certify-")
            .suffix(".pdf")
            .tempfile_in(dir)
            .map_err(io)?;
        {
            let mut src = self.store.open(&blob)?;
            let mut f = tmp.as_file();
            std::io::copy(&mut src, &mut f).map_err(io)?;
            f.flush().map_err(io)?;
        }
        let out = tmp.path().with_extension("certified.pdf");
        let fail = |source| CertifyError::Sign {
            number: entry.number,
            unit: entry.unit_code.clone(),
            year: entry.year,
            source,
        };
        if let Some(st) = req.officer.stamp.as_mut() {
            st.extra = vec![
                ("number".into(), entry.number.to_string()),
                ("book".into(), entry.book.clone()),
            ];
        }
        let mut notes = Vec::new();
        let result = (|| {
            let o = sign_file(tmp.path(), &out, &req.officer)?;
            let mut placed = vec![("the certifier's", o.appearance.clone())];
            let mut last = o;
            if let Some(a) = &req.agency {
                let done = sign_file(&out, &out, a)?;
                placed.push(("the agency's", done.appearance.clone()));
                last = done;
            }
            Ok::<_, SignError>((last, placed))
        })();
        let (signed, placed) = match result {
            Ok(v) => v,
            Err(e) => {
                let _ = std::fs::remove_file(&out);
                return Err(fail(e));
            }
        };
        for (who, p) in placed {
            if let Some(m) = p.and_then(|p| {
                p.moved
                    .map(|m| format!("{who} stamp on page {}: {m}", p.page))
            }) {
                notes.push(m);
            }
        }
        let put = {
            let f = std::fs::File::open(&out);
            match f {
                Ok(mut f) => self.store.put(&mut f),
                Err(e) => {
                    let _ = std::fs::remove_file(&out);
                    return Err(io(e));
                }
            }
        };
        let _ = std::fs::remove_file(&out);
        let copy_sha = put?.id.as_str().to_string();

        let (fields_json, ocr_text) = self
            .index
            .component_detail(source.id)?
            .unwrap_or_else(|| ("[]".into(), String::new()));
        let tax_codes = serde_json::from_str::<Vec<Field>>(&fields_json)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.kind == FieldKind::TaxCode && f.check == Check::Valid)
            .map(|f| f.value)
            .collect();
        let cert = req.officer.signer.certificate();
        let tbs = &cert.tbs_certificate;
        let now = self.clock.now_rfc3339();
        let copy = NewComponent {
            unit_code: entry.unit_code.clone(),
            dossier_code: source.dossier_code.clone(),
            type_code: source.type_code.clone(),
            confidence: source.confidence,
            review_state: ReviewState::Auto,
            pages: source.pages,
            blank_pages: source.blank_pages,
            // A certified copy is its own source: the signed file, page 1.
            source_sha256: copy_sha.clone(),
            source_page: 1,
            signed_sha256: Some(copy_sha.clone()),
            fields_json,
            owner_ids: source.owner_ids.clone(),
            tax_codes,
            issue_date: source.issue_date.clone(),
            valid_until: source.valid_until.clone(),
            ocr_text,
            likeness_json: None,
            rescan_of: None,
            signature: Some(SignatureInfo {
                signer_subject: crate::pki::names::display_name(&tbs.subject),
                cert_serial: hex::encode_upper(tbs.serial_number.as_bytes()),
                cert_issuer: crate::pki::names::display_name(&tbs.issuer),
                signed_at: now.clone(),
                level: signed.level.name().to_string(),
            }),
            created_at: now,
        };
        let audit = self.audit(
            Action::Certify,
            format!("component {}", source.id),
            serde_json::json!({
                "step": "issued",
                "register_id": entry.id,
                "unit": entry.unit_code,
                "year": entry.year,
                "number": entry.number,
                "book": entry.book,
                "source_id": source.id,
                "signed_sha256": copy_sha,
            }),
        );
        match self.index.complete_certification(entry.id, &copy, &audit)? {
            Some(copy_id) => Ok(Certified {
                register_id: entry.id,
                unit_code: entry.unit_code.clone(),
                year: entry.year,
                number: entry.number,
                book: entry.book.clone(),
                source_id: source.id,
                copy_id,
                signed_sha256: copy_sha,
                notes,
            }),
            None => Err(CertifyError::CompletedElsewhere {
                number: entry.number,
                unit: entry.unit_code.clone(),
                year: entry.year,
            }),
        }
    }

    /// The certification register (the actor's units), optionally of one unit and year.
    pub fn register(
        &mut self,
        unit: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<Certification>, DeskError> {
        let rows = self.index.certifications(unit, year)?;
        Ok(rows
            .into_iter()
            .filter(|c| self.actor.units.contains(&c.unit_code))
            .collect())
    }
}
