//! Stage `sign`: PAdES signatures on PDFs (ETSI EN 319 142-1 B-B, B-T, B-LT, B-LTA), each
//! appended as an incremental revision so earlier signatures stay valid.

pub mod appearance;
mod append;
pub mod cms;
pub mod ltv;
pub mod pades;
pub mod signer;
pub mod token;
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

/// PAdES baseline level (ETSI EN 319 142-1 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub enum Level {
    /// The signature alone.
    #[serde(rename = "B-B")]
    BB,
    /// With an RFC 3161 signature timestamp.
    #[serde(rename = "B-T")]
    BT,
    /// With the validation data in the DSS.
    #[serde(rename = "B-LT")]
    BLt,
    /// With a document timestamp over it all (and the timestamp's own validation data).
    #[serde(rename = "B-LTA")]
    BLta,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Self::BB => "B-B",
            Self::BT => "B-T",
            Self::BLt => "B-LT",
            Self::BLta => "B-LTA",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "B-B" => Some(Self::BB),
            "B-T" => Some(Self::BT),
            "B-LT" => Some(Self::BLt),
            "B-LTA" => Some(Self::BLta),
            _ => None,
        }
    }

    /// Needs a signature timestamp (B-T and above).
    pub fn timestamped(self) -> bool {
        self >= Self::BT
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
