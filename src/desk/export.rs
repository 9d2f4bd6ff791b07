//! Desk floor, handing a dossier off (`sohoa export`, `GET /api/dossiers/{code}/package`): its
//! signed papers — its own in scan order, then those reused into it — each checked now (a paper
//! that does not verify is not handed off), streamed into a package while their SHA-256 is
//! recomputed, the manifest written and signed (detached CMS) by the agency's profile, the
//! export logged once the caller has committed the file.

use std::collections::BTreeMap;
use std::io::{Seek, Write};

use serde::Serialize;

use super::{Badge, Desk, DeskError, Which};
use crate::audit::Action;
use crate::index::{ComponentRow, Query};
use crate::package::manifest::paper_member;
use crate::package::{
    portal, DossierInfo, Manifest, PackageWriter, PaperEntry, SignerEntry, FORMAT,
};
use crate::sign::cms::{build_signed_data, CmsProfile};
use crate::sign::tsa::TimestampAuthority;
use crate::sign::Signer;
use crate::verify::{FileReport, SignatureKind};

/// What an export needs besides the dossier code.
pub struct ExportRequest<'a> {
    /// The administrative procedure's code (mã TTHC), when known.
    pub procedure_code: Option<String>,
    /// `[export] component_codes`.
    pub component_codes: &'a BTreeMap<String, String>,
    /// Signs the manifest (the agency).
    pub signer: &'a dyn Signer,
    /// Its TSA and a nonce: the manifest's signature is time-stamped (CAdES-T).
    pub tsa: Option<(&'a dyn TimestampAuthority, u64)>,
    /// Add `portal.json`, the dossier with the national portal's field names.
    pub portal: bool,
}

/// A package made.
#[derive(Clone, Debug, Serialize)]
pub struct Exported {
    pub dossier: String,
    pub papers: usize,
    /// Of `manifest.json`.
    pub manifest_sha256: String,
    pub audit_seq: u64,
}

/// The signers of a verified file, in signing order.
fn signers(r: &FileReport) -> Vec<SignerEntry> {
    r.signatures
        .iter()
        .filter_map(|s| {
            let c = s.signer.as_ref()?;
            Some(SignerEntry {
                kind: match s.kind {
                    SignatureKind::DocumentTimestamp => "document_timestamp",
                    _ => "signature",
                }
                .into(),
                name: c.common_name.clone(),
                subject: c.subject.clone(),
                issuer: c.issuer.clone(),
                serial: c.serial.clone(),
                signed_at: Some(s.checked_at.clone()).filter(|t| !t.is_empty()),
                level: s.pades.as_ref().and_then(|p| p.level).map(str::to_string),
            })
        })
        .collect()
}

impl Desk<'_> {
    /// Writes dossier `code` as a package into `sink`, runs `commit` (the caller makes the
    /// file final) and logs the export (`to`: where it went). Every paper is verified first:
    /// one that does not verify, is missing, damaged or unsigned stops the export, named.
    pub fn export_dossier<W: Write + Seek>(
        &mut self,
        code: &str,
        req: &ExportRequest<'_>,
        sink: W,
        to: &str,
        commit: impl FnOnce(W) -> std::io::Result<()>,
    ) -> Result<Exported, DeskError> {
        let code = code.trim();
        let d = self.dossier_of_mine(code)?;
        let rows = self.index.find(&Query {
            dossier_code: Some(d.code.clone()),
            limit: super::dossier::DOSSIER_LIMIT,
            ..Query::default()
        })?;
        if rows.len() >= super::dossier::DOSSIER_LIMIT {
            // a package must hold the whole dossier, never the first page of a search
            return Err(DeskError::BadQuery {
                what: "dossier",
                value: d.code,
                reason: "it holds more papers than one package takes (1000)",
            });
        }
        let (mut own, mut reused): (Vec<ComponentRow>, Vec<ComponentRow>) = rows
            .into_iter()
            .partition(|c| c.dossier_code.as_deref() == Some(d.code.as_str()));
        own.sort_by_key(|c| c.id);
        reused.sort_by_key(|c| c.id);
        let papers: Vec<ComponentRow> = own.into_iter().chain(reused).collect();
        if papers.is_empty() {
            return Err(DeskError::BadQuery {
                what: "dossier",
                value: d.code,
                reason: "it holds no paper to hand off",
            });
        }

        let opts = self.verify_now();
        let mut writer = PackageWriter::new(sink, self.clock.local_parts());
        let mut entries = Vec::with_capacity(papers.len());
        for (n, c) in papers.iter().enumerate() {
            let (badge, report) = self.check_with(c, &opts);
            let report = match (badge, report) {
                (Badge::Verifies, Some(r)) => r,
                (b, _) => {
                    return Err(DeskError::NotExportable {
                        id: c.id,
                        why: b.words(),
                    })
                }
            };
            let file = paper_member(n + 1, &c.type_code, c.id);
            let member = writer.start_stored(&file)?;
            let (sha256, bytes) = self.read_checked(c, Which::Signed, member, "a package")?;
            entries.push(PaperEntry {
                file,
                component_id: c.id,
                type_code: c.type_code.clone(),
                component_code: req.component_codes.get(&c.type_code).cloned(),
                sha256,
                bytes,
                pages: c.pages,
                signers: signers(&report),
                owner_ids: c.owner_ids.clone(),
                holder_name: c.holder_name.clone(),
                issue_date: c.issue_date.clone(),
                valid_until: c.valid_until.clone(),
                signature_verifies: true,
                reused_from: c.dossier_code.clone().filter(|x| x != &d.code),
                certified_copy: c.certified_copy.clone(),
            });
        }
        let mut manifest = Manifest {
            format: FORMAT.into(),
            dossier: DossierInfo {
                code: d.code.clone(),
                unit: d.unit_code.clone(),
                received_at: d.received_at.clone(),
                procedure_code: req.procedure_code.clone(),
            },
            exported_at: self.clock.now_rfc3339(),
            exported_by: self.actor.name.clone(),
            generator: format!("sohoa {}", env!("CARGO_PKG_VERSION")),
            papers: entries,
            portal_view: None,
        };
        if req.portal {
            let bytes = portal::view_bytes(&manifest, self.clock.utc_offset_minutes());
            writer.add_deflated(portal::MEMBER, &bytes)?;
            manifest.portal_view = Some(crate::package::manifest::MemberRef {
                file: portal::MEMBER.into(),
                sha256: hex::encode(crate::pki::digest::DigestAlg::Sha256.digest(&bytes)),
            });
        }
        let manifest_bytes = manifest.to_bytes();
        let digest = req.signer.digest_alg().digest(&manifest_bytes);
        let signature = build_signed_data(req.signer, &digest, CmsProfile::Cades, req.tsa)
            .map_err(|e| DeskError::ManifestSignature(e.to_string()))?;
        let sink = writer.finish(&manifest_bytes, &signature)?;
        commit(sink).map_err(|source| DeskError::WritePackage {
            code: d.code.clone(),
            to: to.to_string(),
            source,
        })?;
        let manifest_sha256 =
            hex::encode(crate::pki::digest::DigestAlg::Sha256.digest(&manifest_bytes));
        let entry = self.log(
            Action::Export,
            format!("dossier {}", d.code),
            serde_json::json!({
                "papers": papers.iter().map(|c| c.id).collect::<Vec<_>>(),
                "manifest_sha256": manifest_sha256,
                "to": to,
            }),
        )?;
        Ok(Exported {
            dossier: d.code,
            papers: papers.len(),
            manifest_sha256,
            audit_seq: entry.seq,
        })
    }
}
