//! PKI at the edges of signing and verification: key and certificate loading (PKCS#8, PKCS#12),
//! certificate names for people to read, chain and revocation checks.

pub mod ber;
pub mod chain;
pub mod digest;
pub mod ess;
pub mod fetch;
pub mod keys;
pub mod names;
pub mod ocsp;
pub mod oids;
pub mod sigalg;
pub mod tst;
pub mod vgca;
