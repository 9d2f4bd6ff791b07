//! Stage `sign`: PAdES signatures on PDFs (ETSI EN 319 142-1 B-B and B-T), appended as an
//! incremental revision so earlier signatures stay valid.

pub mod cms;
pub mod pades;
pub mod signer;
pub mod tsa;
pub mod update;

pub use signer::{Signer, SoftwareRsaSigner};
pub use tsa::{HttpTsa, TimestampAuthority};
