//! Signing credentials from files: encrypted PKCS#8 PEM keys and PKCS#12 (.p12) bundles.
//!
//! What Vietnamese offices actually hand over: a `.p12`/`.pfx` exported from Windows (often still
//! the legacy `pbeWithSHAAnd3-KeyTripleDES-CBC` key bag, `pbeWithSHAAnd40BitRC2-CBC` certificate
//! bag and an HMAC-SHA1 MAC), an OpenSSL 3 bundle (PBES2 AES-256-CBC, HMAC-SHA256 MAC), or a
//! PEM key (`ENCRYPTED PRIVATE KEY`, `PRIVATE KEY`, `RSA PRIVATE KEY`) next to PEM or DER
//! certificates.
//!
//! Everything is parsed with the RustCrypto crates (`pkcs12`, `pkcs8`/`pkcs5`, `cms`, `x509-cert`,
//! `des`, `rc2`, `cbc`, `hmac`). Files larger than 1 MiB are refused; iteration counts are
//! bounded; a wrong passphrase is an error naming the file, never a panic.
//!
//! Not supported: BER (indefinite-length) bundles, public-key integrity/privacy modes,
//! PBKDF2 with HMAC-SHA1 inside PBES2 (needs `pkcs5`'s `sha1-insecure` feature), RC4,
//! non-RSA keys, traditional `Proc-Type: 4,ENCRYPTED` PEM.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, InnerIvInit, KeyIvInit};
use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use const_oid::db::{rfc5911, rfc5912};
use const_oid::ObjectIdentifier;
use der::asn1::{BmpString, ContextSpecific, OctetString};
use der::{Decode, Encode};
use hmac::{Hmac, Mac};
use pkcs12::cert_type::CertBag;
use pkcs12::kdf::{derive_key, Pkcs12KeyType};
use pkcs12::mac_data::MacData;
use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pbes2Params, Pkcs12PbeParams};
use pkcs12::pfx::Pfx;
use pkcs12::safe_bag::{SafeBag, SafeContents};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

/// Largest credential, certificate or passphrase file read (1 MiB).
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Largest PBKDF2 / PKCS#12 KDF iteration count accepted (RFC 8018 calls 10,000,000 appropriate
/// for critical keys; OpenSSL and Windows use 2,048 or 2,000).
const MAX_ITERATIONS: u32 = 10_000_000;

/// Nesting limit for `safeContentsBag` inside `safeContentsBag`.
const MAX_BAG_DEPTH: usize = 4;

/// `pkcs-9-at-localKeyId` (RFC 2985): links a key bag to its certificate bag.
const LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");

const SUPPORTED_KEY_ENC: &str = "PBES2 AES-CBC, pbeWithSHAAnd3-KeyTripleDES-CBC";
const SUPPORTED_CERT_ENC: &str =
    "PBES2 AES-CBC, pbeWithSHAAnd3-KeyTripleDES-CBC, pbeWithSHAAnd40BitRC2-CBC";

/// Why signing credentials could not be loaded. Every message starts with the file's path.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_FILE_SIZE`].
    #[error("{}: file too large ({size} bytes, limit {MAX_FILE_SIZE})", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The PKCS#12 integrity MAC does not verify: wrong passphrase (or a damaged file).
    #[error("{}: wrong passphrase (MAC check failed)", path.display())]
    WrongPassphrase {
        /// The file.
        path: PathBuf,
    },
    /// Decryption failed or gave garbage: wrong passphrase or damaged data.
    #[error("{}: wrong passphrase or damaged data (decryption failed)", path.display())]
    DecryptionFailed {
        /// The file.
        path: PathBuf,
    },
    /// The PKCS#12 bundle holds no private key.
    #[error("{}: no private key in the bundle", path.display())]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// The bundle or file holds no certificate.
    #[error("{}: no certificate in the bundle", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// No certificate carries the private key's public key.
    #[error("{}: certificate does not match the private key", path.display())]
    KeyMismatch {
        /// The certificate (or bundle) file.
        path: PathBuf,
    },
    /// An algorithm this loader does not implement.
    #[error("{}: unsupported {what} {oid} (supported: {supported})", path.display())]
    UnsupportedAlgorithm {
        /// The file.
        path: PathBuf,
        /// Which algorithm: "key encryption", "certificate encryption", "MAC digest", ...
        what: &'static str,
        /// The algorithm's OID.
        oid: ObjectIdentifier,
        /// What is supported instead.
        supported: &'static str,
    },
    /// A structure or parameter this loader refuses (e.g. signed-data integrity mode, a huge
    /// iteration count, a traditional encrypted PEM key).
    #[error("{}: unsupported: {what}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What and, where useful, how to convert it.
        what: String,
    },
    /// Neither a PEM nor a DER X.509 certificate.
    #[error("{}: not a PEM or DER certificate", path.display())]
    NotACertificate {
        /// The file.
        path: PathBuf,
    },
    /// Not a PEM or DER private key.
    #[error("{}: not a PEM or DER private key", path.display())]
    NotAKey {
        /// The file.
        path: PathBuf,
    },
    /// Malformed or truncated ASN.1.
    #[error("{}: malformed {what}: {detail}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Which structure.
        what: &'static str,
        /// The decoder's message.
        detail: String,
    },
    /// A PKCS#12 passphrase must be text (it is converted to UTF-16).
    #[error("{}: passphrase is not valid UTF-8 (or has characters outside the BMP)", path.display())]
    PassphraseNotText {
        /// The file.
        path: PathBuf,
    },
}

impl KeyError {
    fn malformed(path: &Path, what: &'static str, detail: impl fmt::Display) -> Self {
        KeyError::Malformed {
            path: path.to_path_buf(),
            what,
            detail: detail.to_string(),
        }
    }

    fn unsupported_alg(
        path: &Path,
        what: &'static str,
        oid: ObjectIdentifier,
        supported: &'static str,
    ) -> Self {
        KeyError::UnsupportedAlgorithm {
            path: path.to_path_buf(),
            what,
            oid,
            supported,
        }
    }

    fn unsupported(path: &Path, what: impl Into<String>) -> Self {
        KeyError::Unsupported {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }

    fn decryption_failed(path: &Path) -> Self {
        KeyError::DecryptionFailed {
            path: path.to_path_buf(),
        }
    }
}

/// A private key, its certificate and the issuers that came with it.
#[derive(Clone)]
pub struct Credentials {
    /// The RSA signing key.
    pub key: RsaPrivateKey,
    /// The certificate whose public key is `key`'s.
    pub cert: Certificate,
    /// The other certificates found (issuers, normally sub-CA then root), leaf excluded, in the
    /// order found.
    pub chain: Vec<Certificate>,
}

impl fmt::Debug for Credentials {
    // Never print the private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use rsa::traits::PublicKeyParts;
        f.debug_struct("Credentials")
            .field(
                "key",
                &format_args!("RSA-{} (private)", self.key.n().bits()),
            )
            .field("cert", &self.cert.tbs_certificate.subject.to_string())
            .field(
                "chain",
                &self
                    .chain
                    .iter()
                    .map(|c| c.tbs_certificate.subject.to_string())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Loads a PKCS#12 (.p12/.pfx) bundle: verifies the MAC, decrypts the key and certificate bags,
/// picks the certificate whose public key is the key's as the leaf; the other certificates
/// become the chain.
pub fn load_pkcs12(path: &Path, passphrase: &[u8]) -> Result<Credentials, KeyError> {
    let der = read_bounded(path)?;
    pkcs12_from_der(path, &der, passphrase)
}

/// Loads a private key: PEM `ENCRYPTED PRIVATE KEY` (PKCS#8: PBES2 AES-CBC or PKCS#12 3DES),
/// `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1), or the same structures in DER.
/// The passphrase is ignored for unencrypted keys.
pub fn load_pem_key(path: &Path, passphrase: &[u8]) -> Result<RsaPrivateKey, KeyError> {
    let data = read_bounded(path)?;
    key_from_bytes(path, &data, passphrase)
}

/// Loads certificates: PEM (one or many `CERTIFICATE` blocks, other text ignored) or one DER
/// certificate.
pub fn load_certs(path: &Path) -> Result<Vec<Certificate>, KeyError> {
    let data = read_bounded(path)?;
    certs_from_bytes(path, &data)
}

/// Certificates from a file, or from every `.pem`, `.crt`, `.cer` and `.der` file of a folder
/// (sorted by name), for `[trust] intermediates` pointing at a folder.
pub fn load_certs_from(path: &Path) -> Result<Vec<Certificate>, KeyError> {
    if !path.is_dir() {
        return load_certs(path);
    }
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "pem" | "crt" | "cer" | "der"
                )
            })
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        out.extend(load_certs(&f)?);
    }
    Ok(out)
}

/// Loads a certificate revocation list (RFC 5280 §5), PEM (`X509 CRL`) or DER. CRLs may be large
/// (a national CA's runs to megabytes): up to 64 MiB.
pub fn load_crl(path: &Path) -> Result<x509_cert::crl::CertificateList, KeyError> {
    const MAX_CRL: u64 = 64 << 20;
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut data = Vec::new();
    file.take(MAX_CRL + 1).read_to_end(&mut data).map_err(io)?;
    if data.len() as u64 > MAX_CRL {
        return Err(KeyError::TooLarge {
            path: path.to_path_buf(),
            size: data.len() as u64,
        });
    }
    let der = if looks_like_pem(&data) {
        pem_blocks(&data)
            .into_iter()
            .find(|b| b.label == "X509 CRL")
            .and_then(|b| b.der)
            .ok_or_else(|| KeyError::malformed(path, "CRL", "no X509 CRL PEM block"))?
    } else {
        data
    };
    x509_cert::crl::CertificateList::from_der(&der).map_err(|e| KeyError::malformed(path, "CRL", e))
}

/// Loads a key, its certificate file (which may also hold issuers) and an optional chain file;
/// checks that a certificate matches the key.
pub fn load_pem_credentials(
    key: &Path,
    cert: &Path,
    chain: Option<&Path>,
    passphrase: &[u8],
) -> Result<Credentials, KeyError> {
    let key_value = load_pem_key(key, passphrase)?;
    let mut certs = load_certs(cert)?;
    let public = key_value.to_public_key();
    let leaf_index = certs
        .iter()
        .position(|c| cert_has_key(c, &public))
        .ok_or_else(|| KeyError::KeyMismatch {
            path: cert.to_path_buf(),
        })?;
    let leaf = certs.remove(leaf_index);
    let mut rest = certs;
    if let Some(chain_path) = chain {
        rest.extend(load_certs(chain_path)?);
    }
    Ok(Credentials {
        key: key_value,
        chain: dedup_chain(&leaf, rest),
        cert: leaf,
    })
}

/// Reads a passphrase file: its first line, without the line ending (`\n` or `\r\n`).
pub fn read_passphrase_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    let mut data = read_bounded(path)?;
    if let Some(end) = data.iter().position(|&b| b == b'\n') {
        data.truncate(end);
    }
    if data.last() == Some(&b'\r') {
        data.pop();
    }
    Ok(data)
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

fn read_bounded(path: &Path) -> Result<Vec<u8>, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_FILE_SIZE {
        return Err(KeyError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut data)
        .map_err(io)?;
    let read = data.len() as u64;
    if read > MAX_FILE_SIZE {
        return Err(KeyError::TooLarge {
            path: path.to_path_buf(),
            size: read,
        });
    }
    Ok(data)
}

/// PEM blocks in `data`: (label, DER). Text around and between blocks is ignored; blocks that do
/// not decode are skipped. `headers` tells whether the block had RFC 1421 headers
/// (`Proc-Type: ...`), which the RFC 7468 decoder refuses.
struct PemBlock {
    label: String,
    der: Option<Vec<u8>>,
    has_headers: bool,
}

fn pem_blocks(data: &[u8]) -> Vec<PemBlock> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    const DASHES: &[u8] = b"-----";
    let mut blocks = Vec::new();
    let mut rest = data;
    while let Some(start) = find(rest, BEGIN) {
        let block = &rest[start..];
        let after_begin = &block[BEGIN.len()..];
        let Some(label_end) = find(after_begin, DASHES) else {
            break;
        };
        let label = &after_begin[..label_end];
        let Some(end_at) = find(after_begin, END) else {
            break;
        };
        let after_end = &after_begin[end_at + END.len()..];
        let Some(end_label_len) = find(after_end, DASHES) else {
            break;
        };
        let total = BEGIN.len() + end_at + END.len() + end_label_len + DASHES.len();
        let text = &block[..total];
        let has_headers = find(text, b"Proc-Type:").is_some() || find(text, b"DEK-Info:").is_some();
        let der = der::pem::decode_vec(text).ok().map(|(_, der)| der);
        blocks.push(PemBlock {
            label: String::from_utf8_lossy(label).into_owned(),
            der,
            has_headers,
        });
        rest = &block[total..];
    }
    blocks
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn looks_like_pem(data: &[u8]) -> bool {
    find(data, b"-----BEGIN ").is_some()
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

pub fn certs_from_bytes(path: &Path, data: &[u8]) -> Result<Vec<Certificate>, KeyError> {
    let not_cert = || KeyError::NotACertificate {
        path: path.to_path_buf(),
    };
    if looks_like_pem(data) {
        let mut certs = Vec::new();
        for block in pem_blocks(data) {
            if block.label != "CERTIFICATE" && block.label != "X509 CERTIFICATE" {
                continue;
            }
            let der = block.der.ok_or_else(not_cert)?;
            certs.push(Certificate::from_der(&der).map_err(|_| not_cert())?);
        }
        if certs.is_empty() {
            return Err(not_cert());
        }
        Ok(certs)
    } else {
        Certificate::from_der(data)
            .map(|c| vec![c])
            .map_err(|_| not_cert())
    }
}

/// Whether `cert`'s subject public key is `public`.
fn cert_has_key(cert: &Certificate, public: &RsaPublicKey) -> bool {
    cert.tbs_certificate
        .subject_public_key_info
        .to_der()
        .ok()
        .and_then(|spki| RsaPublicKey::from_public_key_der(&spki).ok())
        .is_some_and(|k| &k == public)
}

/// The chain without the leaf and without repeats, order kept.
fn dedup_chain(leaf: &Certificate, certs: Vec<Certificate>) -> Vec<Certificate> {
    let mut out: Vec<Certificate> = Vec::with_capacity(certs.len());
    for c in certs {
        if &c != leaf && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

fn key_from_bytes(path: &Path, data: &[u8], passphrase: &[u8]) -> Result<RsaPrivateKey, KeyError> {
    if looks_like_pem(data) {
        for block in pem_blocks(data) {
            let label = block.label.as_str();
            if !matches!(
                label,
                "ENCRYPTED PRIVATE KEY" | "PRIVATE KEY" | "RSA PRIVATE KEY"
            ) {
                continue;
            }
            if block.has_headers {
                return Err(KeyError::unsupported(
                    path,
                    "traditional encrypted PEM key (Proc-Type: 4,ENCRYPTED); convert it with \
                     `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                ));
            }
            let Some(der) = block.der else {
                return Err(KeyError::malformed(
                    path,
                    "PEM key",
                    "bad base64 or boundaries",
                ));
            };
            return match label {
                "ENCRYPTED PRIVATE KEY" => {
                    let epki = EncryptedPrivateKeyInfo::from_der(&der)
                        .map_err(|e| KeyError::malformed(path, "EncryptedPrivateKeyInfo", e))?;
                    let pass = Passphrase::new(passphrase);
                    let pkcs8 = decrypt_private_key(path, &epki, &pass)?;
                    rsa_from_pkcs8(path, &pkcs8, true)
                }
                "PRIVATE KEY" => rsa_from_pkcs8(path, &der, false),
                _ => RsaPrivateKey::from_pkcs1_der(&der)
                    .map_err(|e| KeyError::malformed(path, "PKCS#1 RSA key", e)),
            };
        }
        return Err(KeyError::NotAKey {
            path: path.to_path_buf(),
        });
    }
    // DER: encrypted PKCS#8, plain PKCS#8, PKCS#1.
    if let Ok(epki) = EncryptedPrivateKeyInfo::from_der(data) {
        let pass = Passphrase::new(passphrase);
        let pkcs8 = decrypt_private_key(path, &epki, &pass)?;
        return rsa_from_pkcs8(path, &pkcs8, true);
    }
    if pkcs8::PrivateKeyInfo::from_der(data).is_ok() {
        return rsa_from_pkcs8(path, data, false);
    }
    RsaPrivateKey::from_pkcs1_der(data).map_err(|_| KeyError::NotAKey {
        path: path.to_path_buf(),
    })
}

/// An RSA key from PKCS#8 `PrivateKeyInfo` DER. `decrypted`: a decode failure then means a wrong
/// passphrase (the padding happened to look right), not a malformed file.
fn rsa_from_pkcs8(path: &Path, der: &[u8], decrypted: bool) -> Result<RsaPrivateKey, KeyError> {
    let info = match pkcs8::PrivateKeyInfo::from_der(der) {
        Ok(info) => info,
        Err(_) if decrypted => return Err(KeyError::decryption_failed(path)),
        Err(e) => return Err(KeyError::malformed(path, "PKCS#8 PrivateKeyInfo", e)),
    };
    if info.algorithm.oid != rfc5912::RSA_ENCRYPTION {
        return Err(KeyError::unsupported_alg(
            path,
            "private key algorithm",
            info.algorithm.oid,
            "RSA",
        ));
    }
    let key = RsaPrivateKey::from_pkcs8_der(der)
        .map_err(|e| KeyError::malformed(path, "RSA private key", e))?;
    key.validate()
        .map_err(|e| KeyError::malformed(path, "RSA private key", e))?;
    Ok(key)
}

mod bundle;
mod pbe;
#[cfg(test)]
mod tests;

use bundle::*;
use pbe::*;
