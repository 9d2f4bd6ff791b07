//! Hand-off, the dossier package's manifest (`manifest.json`): what the package holds, paper by
//! paper, as the receiving one-stop system needs it — the type and its component code (mã thành
//! phần hồ sơ), the SHA-256 of each signed PDF, who signed it, whose paper it is, until when it
//! is valid. Pure: types, a parser that checks the format, member names.

use serde::{Deserialize, Serialize};

use crate::index::CertifiedCopy;

/// The format this version writes and reads (`format` in the manifest).
pub const FORMAT: &str = "sohoa-dossier-package/1";

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    pub dossier: DossierInfo,
    /// RFC 3339, the desk's clock.
    pub exported_at: String,
    /// Who exported it (the audit log's name).
    pub exported_by: String,
    /// "sohoa 0.1.0".
    pub generator: String,
    /// The dossier's own papers in scan order, then those reused into it.
    pub papers: Vec<PaperEntry>,
    /// The same dossier with the national portal's field names (`portal.json`), when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_view: Option<MemberRef>,
}

/// The dossier the package is of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DossierInfo {
    /// The dossier code (mã hồ sơ).
    pub code: String,
    /// The unit that received it.
    pub unit: String,
    /// RFC 3339.
    pub received_at: String,
    /// The administrative procedure's code (mã thủ tục hành chính), when the exporter gave it.
    pub procedure_code: Option<String>,
}

/// Another member, by name and SHA-256.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberRef {
    pub file: String,
    pub sha256: String,
}

/// One paper of the package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperEntry {
    /// The member holding the signed PDF ("papers/01-giay-khai-sinh-17.pdf").
    pub file: String,
    /// The paper's id in the exporting desk's index.
    pub component_id: i64,
    /// sohoa's document type ("giay-khai-sinh").
    pub type_code: String,
    /// The one-stop system's component code (mã thành phần hồ sơ) for the type, where
    /// `[export] component_codes` maps it.
    pub component_code: Option<String>,
    /// Of the signed PDF, lower-case hex.
    pub sha256: String,
    pub bytes: u64,
    pub pages: u32,
    /// Its signatures as the exporter verified them, in signing order.
    pub signers: Vec<SignerEntry>,
    /// Identity numbers read from the paper (CCCD/CMND, tax codes).
    pub owner_ids: Vec<String>,
    pub holder_name: Option<String>,
    /// YYYY-MM-DD, when read.
    pub issue_date: Option<String>,
    /// YYYY-MM-DD: the paper itself expires (an ID card, a permit); `None`: no end read.
    pub valid_until: Option<String>,
    /// Every signature verified at export time (`exported_at`).
    pub signature_verifies: bool,
    /// The earlier dossier it was reused from; `None` for the dossier's own papers.
    pub reused_from: Option<String>,
    /// Its entry in the certified-copy register, when it is an electronic certified copy.
    pub certified_copy: Option<CertifiedCopy>,
}

/// One signature of a paper.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignerEntry {
    /// "signature" or "document_timestamp".
    pub kind: String,
    /// The certificate's CN.
    pub name: Option<String>,
    /// The certificate's subject, as read.
    pub subject: String,
    pub issuer: String,
    /// Upper-case hex.
    pub serial: String,
    /// RFC 3339: the proven time (a timestamp), else the claimed one.
    pub signed_at: Option<String>,
    /// PAdES level ("B-T", "B-LTA") when one applies.
    pub level: Option<String>,
}

/// Why a manifest cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    #[error("manifest.json is not a manifest: {0}")]
    Json(#[from] serde_json::Error),
    #[error("manifest.json is format {found:?}; this sohoa reads {FORMAT:?}")]
    Format { found: String },
    #[error("manifest.json: {what} {value:?} is not a safe member name")]
    BadName { what: &'static str, value: String },
    #[error("manifest.json names {file:?} twice")]
    Duplicate { file: String },
}

impl Manifest {
    /// Reads and checks `bytes`: the format, member names (relative, no `..`, no backslash),
    /// each named once.
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        let m: Manifest = serde_json::from_slice(bytes)?;
        if m.format != FORMAT {
            return Err(ManifestError::Format { found: m.format });
        }
        let mut seen = std::collections::HashSet::new();
        let names = m
            .papers
            .iter()
            .map(|p| ("paper file", &p.file))
            .chain(m.portal_view.iter().map(|p| ("portal view", &p.file)));
        for (what, f) in names {
            if !safe_member_name(f) || super::RESERVED.contains(&f.as_str()) {
                return Err(ManifestError::BadName {
                    what,
                    value: f.clone(),
                });
            }
            if !seen.insert(f.as_str()) {
                return Err(ManifestError::Duplicate { file: f.clone() });
            }
        }
        Ok(m)
    }

    /// The manifest's bytes as written into the package (pretty JSON, a final newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

/// A member name a receiver can extract without surprises: relative, `/`-separated, parts of
/// `[A-Za-z0-9._-]` that are not `.` or `..`, at most 200 bytes.
pub fn safe_member_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// The member name of paper `n` (1-based) of type `type_code` with id `id`:
/// `papers/01-giay-khai-sinh-17.pdf`; characters outside `[a-z0-9-]` become `-`.
pub fn paper_member(n: usize, type_code: &str, id: i64) -> String {
    let slug: String = type_code
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .take(60)
        .collect();
    format!("papers/{n:02}-{slug}-{id}.pdf")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            dossier: DossierInfo {
                code: "000.00.00.H01-260101-0001".into(),
                unit: "000.00.00.H01".into(),
                received_at: "2026-01-01T08:00:00+07:00".into(),
                procedure_code: None,
            },
            exported_at: "2026-01-02T08:00:00+07:00".into(),
            exported_by: "an".into(),
            generator: "sohoa test".into(),
            papers: vec![PaperEntry {
                file: paper_member(1, "giay-khai-sinh", 17),
                component_id: 17,
                type_code: "giay-khai-sinh".into(),
                component_code: Some("TP1".into()),
                sha256: "00".repeat(32),
                bytes: 10,
                pages: 1,
                signers: vec![],
                owner_ids: vec!["001203004567".into()],
                holder_name: Some("Nguyễn Văn An".into()),
                issue_date: None,
                valid_until: None,
                signature_verifies: true,
                reused_from: None,
                certified_copy: None,
            }],
            portal_view: None,
        }
    }

    #[test]
    fn manifest_round_trips_through_its_bytes() {
        let m = sample();
        assert_eq!(Manifest::parse(&m.to_bytes()).unwrap(), m);
        assert_eq!(m.papers[0].file, "papers/01-giay-khai-sinh-17.pdf");
    }

    #[test]
    fn manifest_refuses_other_formats_unsafe_names_and_duplicates() {
        let mut m = sample();
        m.format = "sohoa-dossier-package/9".into();
        assert!(matches!(
            Manifest::parse(&m.to_bytes()),
            Err(ManifestError::Format { .. })
        ));
        for bad in [
            "../etc/passwd",
            "/abs.pdf",
            "papers\\x.pdf",
            "a//b.pdf",
            "papers/./x.pdf",
            "manifest.json",
            "tệp.pdf",
        ] {
            let mut m = sample();
            m.papers[0].file = bad.into();
            assert!(
                matches!(
                    Manifest::parse(&m.to_bytes()),
                    Err(ManifestError::BadName { .. })
                ),
                "{bad}"
            );
        }
        let mut m = sample();
        m.papers.push(m.papers[0].clone());
        assert!(matches!(
            Manifest::parse(&m.to_bytes()),
            Err(ManifestError::Duplicate { .. })
        ));
        assert!(Manifest::parse(b"{\"format\": 1").is_err());
    }

    #[test]
    fn paper_member_names_are_safe_whatever_the_type_code() {
        for t in ["giay-khai-sinh", "Giấy khai sinh", "../../x", ""] {
            let n = paper_member(3, t, 9);
            assert!(safe_member_name(&n), "{n}");
        }
    }
}
