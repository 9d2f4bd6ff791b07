//! The public certificates of the Government Cipher Committee's PKI (Ban Cơ yếu Chính phủ,
//! "VGCA"), pinned by SHA-256: the office keeps the certificate files VGCA publishes (ca.gov.vn)
//! in a folder (`[trust] vgca_dir`, `sohoa verify --trust-vgca`); sohoa loads only files whose
//! fingerprint is one it pins here, so a certificate slipped into that folder is refused rather
//! than trusted. `trust/vgca/README.md` says where each was seen and how it was checked.

use std::path::Path;

use sha2::Digest;
use x509_cert::Certificate;

use super::chain::TrustStore;
use super::keys::{self, KeyError};

/// What a pinned certificate is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    Root,
    SubCa,
    Tsa,
}

/// A pinned VGCA certificate: SHA-256 of its DER, role, the name VGCA gives it, where VGCA
/// publishes it (when known).
#[derive(Clone, Copy, Debug)]
pub struct Pin {
    pub sha256: &'static str,
    pub role: Role,
    pub name: &'static str,
    pub published_at: Option<&'static str>,
}

/// Every certificate sohoa trusts with `--trust-vgca` (fingerprints in uppercase hex).
pub const PINS: &[Pin] = &[
    Pin {
        sha256: "F04BA4B459A7C9A1B971AD9B1CB833E695A80C79AEA63B174B66A70EDFE2FDB8",
        role: Role::Root,
        name: "RootCA chuyên dùng Chính phủ G2",
        published_at: Some("http://ca.gov.vn/pki/pub/crt/rootcag2.crt"),
    },
    Pin {
        sha256: "F7BC89054CEC7F12730D7B8CD3EB7955B163835087E5EB873EDFB584763B3F90",
        role: Role::Root,
        name: "Co quan chung thuc so chuyen dung Chinh phu (RootCA), G1",
        published_at: Some("http://ca.gov.vn/pki/pub/cert/rootca.crt"),
    },
    Pin {
        sha256: "D8CAB7A4AEF92E6BB2509D7C61CEE7B44F3731B2D21074963530277B366FAE4B",
        role: Role::SubCa,
        name: "CA phục vụ các cơ quan Nhà nước G2",
        published_at: Some("http://ca.gov.vn/pki/pub/crt/cpcag2.crt"),
    },
    Pin {
        sha256: "E4B402E3CB4CACC0A20D21FA49BCE76BEB4EB47BA7FFB7A8F71C554DBE561A81",
        role: Role::SubCa,
        name: "CA phục vụ các cơ quan Đảng G2",
        published_at: None,
    },
    Pin {
        sha256: "75E969C07BA35C29C72BBC1BFB880F20F3891A619B00B77EB02CA6160736A1FE",
        role: Role::SubCa,
        name: "Co quan chung thuc so Chinh phu (G1)",
        published_at: Some("http://ca.gov.vn/pki/pub/cert/cp.crt"),
    },
    Pin {
        sha256: "5A4BD3C54B3310EBDA0275DD7C9E5DBCC0AA9B65BD377C8B24DB373054F113E6",
        role: Role::Tsa,
        name: "Máy chủ cấp dấu thời gian CPNET (G2, ECDSA P-384)",
        published_at: None,
    },
    Pin {
        sha256: "EAE46D68A0B921EC7C82DA11C75466222F4996912E53CAA41EC70672CE954BD6",
        role: Role::Tsa,
        name: "Máy chủ cấp dấu thời gian 02 (G2)",
        published_at: None,
    },
    Pin {
        sha256: "DA00DB89A849FE8B00882707224C6B291BDED54469E1A7532744F96ECAE79D39",
        role: Role::Tsa,
        name: "Máy chủ cấp dấu thời gian 01 (G1)",
        published_at: None,
    },
    Pin {
        sha256: "3104341BB311427987644B3E23BA12A37E74127BA35CCB24023FC4C521AA2D7B",
        role: Role::Tsa,
        name: "Máy chủ cấp dấu thời gian 02 (G1, expired 2024-06-02)",
        published_at: None,
    },
];

/// The pin of `cert`, if sohoa pins it.
pub fn pin_of(cert: &Certificate) -> Option<&'static Pin> {
    let der = der::Encode::to_der(cert).ok()?;
    let fp = hex::encode_upper(sha2::Sha256::digest(der));
    PINS.iter().find(|p| p.sha256 == fp)
}

/// What loading a VGCA folder gave.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Roots as anchors; sub-CAs and TSA certificates as intermediates (real signatures embed
    /// only their leaf).
    pub store: TrustStore,
    /// Files refused, with why (not a pinned certificate).
    pub refused: Vec<String>,
    /// Pinned certificates the folder lacks.
    pub missing: Vec<&'static Pin>,
}

/// Loads the pinned certificates found in `dir` (every `.pem`, `.crt`, `.cer`, `.der` file).
pub fn load_dir(dir: &Path) -> Result<Loaded, KeyError> {
    let mut out = Loaded::default();
    let mut found = Vec::new();
    for cert in keys::load_certs_from(dir)? {
        match pin_of(&cert) {
            Some(pin) => {
                if found.contains(&pin.sha256) {
                    continue;
                }
                found.push(pin.sha256);
                match pin.role {
                    Role::Root => out.store.anchors.push(cert),
                    Role::SubCa | Role::Tsa => out.store.intermediates.push(cert),
                }
            }
            None => out.refused.push(format!(
                "{}: \"{}\" is not a VGCA certificate sohoa pins; put it in [trust] anchors or intermediates if it is to be trusted",
                dir.display(),
                super::names::display_name(&cert.tbs_certificate.subject)
            )),
        }
    }
    out.missing = PINS.iter().filter(|p| !found.contains(&p.sha256)).collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_distinct_uppercase_sha256_values() {
        for (i, p) in PINS.iter().enumerate() {
            assert_eq!(p.sha256.len(), 64, "{}", p.name);
            assert!(p
                .sha256
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
            assert!(PINS[i + 1..].iter().all(|q| q.sha256 != p.sha256));
        }
        assert_eq!(PINS.iter().filter(|p| p.role == Role::Root).count(), 2);
    }

    #[test]
    fn a_certificate_that_is_not_pinned_is_refused_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certs-test/root-ca.pem");
        std::fs::copy(root, dir.path().join("root-ca.pem")).unwrap();
        let loaded = load_dir(dir.path()).unwrap();
        assert!(loaded.store.anchors.is_empty());
        assert_eq!(loaded.refused.len(), 1, "{:?}", loaded.refused);
        assert_eq!(loaded.missing.len(), PINS.len());
    }
}
