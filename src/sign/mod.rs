//! Stage `sign`: PAdES signatures on PDFs (ETSI EN 319 142-1 B-B and B-T), appended as an
//! incremental revision so earlier signatures stay valid.

pub mod cms;
pub mod pades;
pub mod signer;
pub mod tsa;
pub mod update;

pub use signer::{Signer, SignerError, SoftwareRsaSigner};
pub use tsa::{HttpTsa, TimestampAuthority};

use serde::Deserialize;

/// PDF signature SubFilter (ISO 32000-2 §12.8.3.3, ETSI EN 319 142-1 §5.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub enum SubFilter {
    /// PAdES baseline: CAdES detached signature.
    #[default]
    #[serde(rename = "ETSI.CAdES.detached")]
    CadesDetached,
    /// Legacy PKCS#7 detached signature, still used for organisation signatures.
    #[serde(rename = "adbe.pkcs7.detached")]
    Pkcs7Detached,
}

impl SubFilter {
    pub fn pdf_name(self) -> &'static str {
        match self {
            Self::CadesDetached => "ETSI.CAdES.detached",
            Self::Pkcs7Detached => "adbe.pkcs7.detached",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "ETSI.CAdES.detached" => Some(Self::CadesDetached),
            "adbe.pkcs7.detached" => Some(Self::Pkcs7Detached),
            _ => None,
        }
    }
}
