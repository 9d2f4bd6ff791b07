//! Stage `store`, the TLS of a connection to the PostgreSQL index: a rustls client that trusts
//! only the roots of one PEM file (`sslrootcert`, or the system's bundle) and checks the
//! server's name against the host it was asked for (RFC 8446 by rustls; certificate paths by
//! webpki, RFC 5280).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use tokio_postgres_rustls::MakeRustlsConnect;

/// A roots file larger than this is refused (the system's bundle is about 200 KiB).
const MAX_ROOTS_BYTES: u64 = 8 << 20;

/// The TLS connector trusting the certificates of the PEM file `roots`; the message says what
/// is wrong with the file.
pub(super) fn connector(roots: &Path) -> Result<MakeRustlsConnect, String> {
    let meta = std::fs::metadata(roots).map_err(|e| e.to_string())?;
    if meta.len() > MAX_ROOTS_BYTES {
        return Err(format!(
            "{} bytes, more than the {MAX_ROOTS_BYTES} a roots file may have",
            meta.len()
        ));
    }
    let pem = std::fs::read(roots).map_err(|e| e.to_string())?;
    let mut store = RootCertStore::empty();
    let mut refused = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("not PEM certificates: {e}"))?;
        if store.add(cert).is_err() {
            refused += 1;
        }
    }
    if store.is_empty() {
        return Err(if refused > 0 {
            format!("none of its {refused} certificates can be a root")
        } else {
            "no certificate in it".into()
        });
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
