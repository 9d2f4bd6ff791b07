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

fn certs_from_bytes(path: &Path, data: &[u8]) -> Result<Vec<Certificate>, KeyError> {
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

// ---------------------------------------------------------------------------------------------
// Password-based decryption
// ---------------------------------------------------------------------------------------------

/// The passphrase as given (PBES2 uses the bytes) and as the PKCS#12 KDF wants it (UTF-16BE with
/// a two-byte terminator; `None` if it is not text).
struct Passphrase<'a> {
    raw: &'a [u8],
    bmp: Option<Vec<u8>>,
}

impl<'a> Passphrase<'a> {
    fn new(raw: &'a [u8]) -> Self {
        let bmp = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| BmpString::from_utf8(s).ok())
            .map(|b| {
                let mut v = b.into_bytes().to_vec();
                v.extend_from_slice(&[0, 0]);
                v
            });
        Passphrase { raw, bmp }
    }

    fn bmp(&self, path: &Path) -> Result<&[u8], KeyError> {
        self.bmp
            .as_deref()
            .ok_or_else(|| KeyError::PassphraseNotText {
                path: path.to_path_buf(),
            })
    }
}

fn decrypt_private_key(
    path: &Path,
    epki: &EncryptedPrivateKeyInfo,
    pass: &Passphrase<'_>,
) -> Result<Vec<u8>, KeyError> {
    pbe_decrypt(
        path,
        &epki.encryption_algorithm,
        pass,
        epki.encrypted_data.as_bytes(),
        "key encryption",
        SUPPORTED_KEY_ENC,
    )
}

/// PKCS#12 appendix C password-based encryption schemes (SHA-1 KDF).
#[derive(Clone, Copy)]
enum Pkcs12Cipher {
    TdesEde3,
    TdesEde2,
    Rc2 { key_bits: usize },
}

fn pbe_decrypt(
    path: &Path,
    alg: &AlgorithmIdentifierOwned,
    pass: &Passphrase<'_>,
    ciphertext: &[u8],
    what: &'static str,
    supported: &'static str,
) -> Result<Vec<u8>, KeyError> {
    let cipher = match alg.oid {
        pkcs5::pbes2::PBES2_OID => {
            return pbes2_decrypt(path, alg, pass.raw, ciphertext, what, supported)
        }
        pkcs12::PKCS_12_PBE_WITH_SHAAND3_KEY_TRIPLE_DES_CBC => Pkcs12Cipher::TdesEde3,
        pkcs12::PKCS_12_PBE_WITH_SHAAND2_KEY_TRIPLE_DES_CBC => Pkcs12Cipher::TdesEde2,
        pkcs12::PKCS_12_PBE_WITH_SHAAND128_BIT_RC2_CBC => Pkcs12Cipher::Rc2 { key_bits: 128 },
        pkcs12::PKCS_12_PBEWITH_SHAAND40_BIT_RC2_CBC => Pkcs12Cipher::Rc2 { key_bits: 40 },
        oid => return Err(KeyError::unsupported_alg(path, what, oid, supported)),
    };
    let params: Pkcs12PbeParams = alg
        .parameters
        .as_ref()
        .ok_or_else(|| KeyError::malformed(path, "PKCS#12 PBE parameters", "missing"))?
        .decode_as()
        .map_err(|e| KeyError::malformed(path, "PKCS#12 PBE parameters", e))?;
    let rounds = check_iterations(path, params.iterations)?;
    let salt = params.salt.as_bytes();
    let bmp = pass.bmp(path)?;
    let (key_len, iv_len) = match cipher {
        Pkcs12Cipher::TdesEde3 => (24, 8),
        Pkcs12Cipher::TdesEde2 => (16, 8),
        Pkcs12Cipher::Rc2 { key_bits } => (key_bits / 8, 8),
    };
    let key = derive_key::<sha1::Sha1>(bmp, salt, Pkcs12KeyType::EncryptionKey, rounds, key_len);
    let iv = derive_key::<sha1::Sha1>(bmp, salt, Pkcs12KeyType::Iv, rounds, iv_len);
    let bad_len = |_| KeyError::malformed(path, "PKCS#12 PBE parameters", "bad key length");
    let plain = match cipher {
        Pkcs12Cipher::TdesEde3 => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .map_err(bad_len)?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
        Pkcs12Cipher::TdesEde2 => cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv)
            .map_err(bad_len)?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
        Pkcs12Cipher::Rc2 { key_bits } => {
            let rc2 = rc2::Rc2::new_with_eff_key_len(&key, key_bits);
            cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(rc2, &iv)
                .map_err(bad_len)?
                .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        }
    };
    plain.map_err(|_| KeyError::decryption_failed(path))
}

fn pbes2_decrypt(
    path: &Path,
    alg: &AlgorithmIdentifierOwned,
    password: &[u8],
    ciphertext: &[u8],
    what: &'static str,
    supported: &'static str,
) -> Result<Vec<u8>, KeyError> {
    let params_der = alg
        .parameters
        .as_ref()
        .ok_or_else(|| KeyError::malformed(path, "PBES2 parameters", "missing"))?
        .to_der()
        .map_err(|e| KeyError::malformed(path, "PBES2 parameters", e))?;
    // Generic view first, to name an unsupported KDF or cipher by its OID.
    let generic = Pbes2Params::from_der(&params_der)
        .map_err(|e| KeyError::malformed(path, "PBES2 parameters", e))?;
    let params = match pkcs5::pbes2::Parameters::from_der(&params_der) {
        Ok(p) => p,
        Err(_) => {
            let oid = if generic.kdf.oid != pkcs5::pbes2::PBKDF2_OID
                && generic.kdf.oid != pkcs5::pbes2::SCRYPT_OID
            {
                generic.kdf.oid
            } else {
                generic.encryption.oid
            };
            return Err(KeyError::unsupported_alg(path, what, oid, supported));
        }
    };
    if let Some(pbkdf2) = params.kdf.pbkdf2() {
        if pbkdf2.iteration_count > MAX_ITERATIONS {
            return Err(too_many_iterations(path, u64::from(pbkdf2.iteration_count)));
        }
    }
    if let Some(scrypt) = params.kdf.scrypt() {
        // Memory is 128·r·N bytes; refuse more than 256 MiB or a silly parallelism.
        let memory = 128u128
            .saturating_mul(u128::from(scrypt.cost_parameter))
            .saturating_mul(u128::from(scrypt.block_size));
        if memory > 256 * 1024 * 1024 || scrypt.parallelization > 16 {
            return Err(KeyError::unsupported(
                path,
                "scrypt parameters too expensive (more than 256 MiB or parallelism > 16)",
            ));
        }
    }
    match params.decrypt(password, ciphertext) {
        Ok(plain) => Ok(plain),
        Err(pkcs5::Error::UnsupportedAlgorithm { oid }) => {
            if oid == pkcs5::pbes2::HMAC_WITH_SHA1_OID {
                Err(KeyError::unsupported(
                    path,
                    "PBES2 with PBKDF2-HMAC-SHA1 (re-export with PBKDF2-HMAC-SHA256, the \
                     OpenSSL 3 default)",
                ))
            } else {
                Err(KeyError::unsupported_alg(path, what, oid, supported))
            }
        }
        Err(pkcs5::Error::AlgorithmParametersInvalid { .. }) => Err(KeyError::malformed(
            path,
            "PBES2 parameters",
            "invalid parameters",
        )),
        Err(_) => Err(KeyError::decryption_failed(path)),
    }
}

fn check_iterations(path: &Path, iterations: i32) -> Result<i32, KeyError> {
    match u32::try_from(iterations) {
        Ok(n) if (1..=MAX_ITERATIONS).contains(&n) => Ok(iterations),
        Ok(n) if n > MAX_ITERATIONS => Err(too_many_iterations(path, u64::from(n))),
        _ => Err(KeyError::malformed(
            path,
            "iteration count",
            format!("{iterations} is not positive"),
        )),
    }
}

fn too_many_iterations(path: &Path, n: u64) -> KeyError {
    KeyError::unsupported(
        path,
        format!("iteration count {n} (limit {MAX_ITERATIONS})"),
    )
}

// ---------------------------------------------------------------------------------------------
// PKCS#12
// ---------------------------------------------------------------------------------------------

/// What the bags held.
#[derive(Default)]
struct Found {
    /// PKCS#8 `PrivateKeyInfo` DER and localKeyId.
    keys: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Certificates and localKeyId.
    certs: Vec<(Certificate, Option<Vec<u8>>)>,
}

fn pkcs12_from_der(path: &Path, der: &[u8], passphrase: &[u8]) -> Result<Credentials, KeyError> {
    let pfx = Pfx::from_der(der).map_err(|e| KeyError::malformed(path, "PKCS#12 (PFX)", e))?;
    if pfx.auth_safe.content_type != rfc5911::ID_DATA {
        return Err(KeyError::unsupported(
            path,
            format!(
                "PKCS#12 public-key integrity mode (authSafe content type {})",
                pfx.auth_safe.content_type
            ),
        ));
    }
    let auth_safe: OctetString = pfx
        .auth_safe
        .content
        .decode_as()
        .map_err(|e| KeyError::malformed(path, "PKCS#12 authSafe", e))?;
    let auth_safe = auth_safe.as_bytes();

    let mut pass = Passphrase::new(passphrase);
    if let Some(mac) = &pfx.mac_data {
        verify_mac(path, mac, &mut pass, auth_safe)?;
    }

    let contents = Vec::<ContentInfo>::from_der(auth_safe)
        .map_err(|e| KeyError::malformed(path, "PKCS#12 AuthenticatedSafe", e))?;
    let mut found = Found::default();
    for content in &contents {
        let bags_der = match content.content_type {
            rfc5911::ID_DATA => content
                .content
                .decode_as::<OctetString>()
                .map_err(|e| KeyError::malformed(path, "PKCS#12 data content", e))?
                .into_bytes(),
            rfc5911::ID_ENCRYPTED_DATA => {
                let enc: EncryptedData = content
                    .content
                    .decode_as()
                    .map_err(|e| KeyError::malformed(path, "PKCS#12 EncryptedData", e))?;
                let info = &enc.enc_content_info;
                let Some(ciphertext) = &info.encrypted_content else {
                    continue;
                };
                pbe_decrypt(
                    path,
                    &info.content_enc_alg,
                    &pass,
                    ciphertext.as_bytes(),
                    "certificate encryption",
                    SUPPORTED_CERT_ENC,
                )?
            }
            other => {
                return Err(KeyError::unsupported(
                    path,
                    format!("PKCS#12 content type {other} (public-key privacy mode)"),
                ))
            }
        };
        let bags = match SafeContents::from_der(&bags_der) {
            Ok(bags) => bags,
            // Decrypted garbage (no MAC, or MAC and encryption passphrases differ).
            Err(_) if content.content_type == rfc5911::ID_ENCRYPTED_DATA => {
                return Err(KeyError::decryption_failed(path))
            }
            Err(e) => return Err(KeyError::malformed(path, "PKCS#12 SafeContents", e)),
        };
        collect_bags(path, &bags, &pass, &mut found, 0)?;
    }
    pick_credentials(path, found)
}

/// Verifies the HMAC over the authSafe. With an empty passphrase, OpenSSL may have used either
/// the empty BMPString (two zero bytes) or no bytes at all; both are tried, and the one that
/// verifies is kept for decryption.
fn verify_mac(
    path: &Path,
    mac: &MacData,
    pass: &mut Passphrase<'_>,
    data: &[u8],
) -> Result<(), KeyError> {
    let bmp = pass.bmp(path)?.to_vec();
    let mut candidates = vec![bmp];
    if pass.raw.is_empty() {
        candidates.push(Vec::new());
    }
    for candidate in candidates {
        if mac_matches(path, mac, &candidate, data)? {
            pass.bmp = Some(candidate);
            return Ok(());
        }
    }
    Err(KeyError::WrongPassphrase {
        path: path.to_path_buf(),
    })
}

fn mac_matches(path: &Path, mac: &MacData, bmp: &[u8], data: &[u8]) -> Result<bool, KeyError> {
    let rounds = check_iterations(path, mac.iterations)?;
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    macro_rules! hmac_check {
        ($d:ty) => {{
            use sha2::digest::OutputSizeUser;
            let size = <$d as OutputSizeUser>::output_size();
            let key = derive_key::<$d>(bmp, salt, Pkcs12KeyType::Mac, rounds, size);
            let mut hmac = <Hmac<$d> as Mac>::new_from_slice(&key)
                .map_err(|e| KeyError::malformed(path, "MAC key", e))?;
            hmac.update(data);
            hmac.verify_slice(expected).is_ok()
        }};
    }
    Ok(match mac.mac.algorithm.oid {
        rfc5912::ID_SHA_1 => hmac_check!(sha1::Sha1),
        rfc5912::ID_SHA_224 => hmac_check!(sha2::Sha224),
        rfc5912::ID_SHA_256 => hmac_check!(sha2::Sha256),
        rfc5912::ID_SHA_384 => hmac_check!(sha2::Sha384),
        rfc5912::ID_SHA_512 => hmac_check!(sha2::Sha512),
        oid => {
            return Err(KeyError::unsupported_alg(
                path,
                "MAC digest",
                oid,
                "SHA-1, SHA-224, SHA-256, SHA-384, SHA-512",
            ))
        }
    })
}

fn local_key_id(bag: &SafeBag) -> Option<Vec<u8>> {
    bag.bag_attributes
        .as_ref()?
        .iter()
        .find(|a| a.oid == LOCAL_KEY_ID)?
        .values
        .iter()
        .next()?
        .decode_as::<OctetString>()
        .ok()
        .map(OctetString::into_bytes)
}

/// `[0] EXPLICIT` bag value.
fn bag_value<'a, T: Decode<'a>>(
    path: &Path,
    bag: &'a SafeBag,
    what: &'static str,
) -> Result<T, KeyError> {
    let cs = ContextSpecific::<T>::from_der(&bag.bag_value)
        .map_err(|e| KeyError::malformed(path, what, e))?;
    if cs.tag_number != der::TagNumber::N0 {
        return Err(KeyError::malformed(
            path,
            what,
            "bag value is not tagged [0]",
        ));
    }
    Ok(cs.value)
}

fn collect_bags(
    path: &Path,
    bags: &[SafeBag],
    pass: &Passphrase<'_>,
    found: &mut Found,
    depth: usize,
) -> Result<(), KeyError> {
    for bag in bags {
        match bag.bag_id {
            pkcs12::PKCS_12_PKCS8_KEY_BAG_OID => {
                let epki: EncryptedPrivateKeyInfo = bag_value(path, bag, "shrouded key bag")?;
                let pkcs8 = decrypt_private_key(path, &epki, pass)?;
                found.keys.push((pkcs8, local_key_id(bag)));
            }
            pkcs12::PKCS_12_KEY_BAG_OID => {
                let any: der::Any = bag_value(path, bag, "key bag")?;
                let pkcs8 = any
                    .to_der()
                    .map_err(|e| KeyError::malformed(path, "key bag", e))?;
                found.keys.push((pkcs8, local_key_id(bag)));
            }
            pkcs12::PKCS_12_CERT_BAG_OID => {
                let cert_bag: CertBag = bag_value(path, bag, "certificate bag")?;
                if cert_bag.cert_id != pkcs12::PKCS_12_X509_CERT_OID {
                    continue; // SDSI certificates: not for us.
                }
                let cert = Certificate::from_der(cert_bag.cert_value.as_bytes())
                    .map_err(|e| KeyError::malformed(path, "certificate in the bundle", e))?;
                found.certs.push((cert, local_key_id(bag)));
            }
            pkcs12::PKCS_12_SAFE_CONTENTS_BAG_OID => {
                if depth >= MAX_BAG_DEPTH {
                    return Err(KeyError::malformed(
                        path,
                        "PKCS#12 SafeContents",
                        "bags nested too deeply",
                    ));
                }
                let inner: SafeContents = bag_value(path, bag, "safe contents bag")?;
                collect_bags(path, &inner, pass, found, depth + 1)?;
            }
            _ => {} // CRL and secret bags: ignored.
        }
    }
    Ok(())
}

fn pick_credentials(path: &Path, found: Found) -> Result<Credentials, KeyError> {
    if found.keys.is_empty() {
        return Err(KeyError::NoPrivateKey {
            path: path.to_path_buf(),
        });
    }
    if found.certs.is_empty() {
        return Err(KeyError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    let mut first_error = None;
    for (pkcs8, key_id) in &found.keys {
        let key = match rsa_from_pkcs8(path, pkcs8, true) {
            Ok(key) => key,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        let public = key.to_public_key();
        let matching: Vec<usize> = found
            .certs
            .iter()
            .enumerate()
            .filter(|(_, (c, _))| cert_has_key(c, &public))
            .map(|(i, _)| i)
            .collect();
        // Several certificates for one key (renewals): prefer the one the bundle links to it.
        let leaf_index = matching
            .iter()
            .copied()
            .find(|&i| key_id.is_some() && found.certs[i].1 == *key_id)
            .or_else(|| matching.first().copied());
        if let Some(leaf_index) = leaf_index {
            let mut certs: Vec<Certificate> = found.certs.into_iter().map(|(c, _)| c).collect();
            let leaf = certs.remove(leaf_index);
            return Ok(Credentials {
                key,
                chain: dedup_chain(&leaf, certs),
                cert: leaf,
            });
        }
    }
    Err(first_error.unwrap_or_else(|| KeyError::KeyMismatch {
        path: path.to_path_buf(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Tagged;
    use std::io::Write;

    const SIGNERS: [&str; 7] = [
        "org-signer",
        "official-signer",
        "expired-signer",
        "revoked-signer",
        "nosign-signer",
        "untrusted-signer",
        "tsa",
    ];
    const PASS: &[u8] = b"sohoa-test-only";

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("certs-test")
            .join(name)
    }

    fn one_cert(name: &str) -> Certificate {
        let mut certs = load_certs(&fixture(name)).expect("fixture certificate");
        assert_eq!(certs.len(), 1, "{name}");
        certs.remove(0)
    }

    fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(bytes).expect("write temp file");
        f
    }

    #[test]
    fn passphrase_file() {
        assert_eq!(
            read_passphrase_file(&fixture("PASSPHRASE-TEST-ONLY.txt")).expect("read"),
            PASS
        );
        let f = temp_file(b"secret\r\nsecond line\n");
        assert_eq!(read_passphrase_file(f.path()).expect("read"), b"secret");
        let f = temp_file(b"secret\n");
        assert_eq!(read_passphrase_file(f.path()).expect("read"), b"secret");
    }

    #[test]
    fn every_p12_loads_and_matches_its_certificate() {
        let sub = one_cert("sub-ca.pem");
        let root = one_cert("root-ca.pem");
        for name in SIGNERS {
            let creds = load_pkcs12(&fixture(&format!("{name}.p12")), PASS)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(creds.cert, one_cert(&format!("{name}.pem")), "{name}");
            assert!(cert_has_key(&creds.cert, &creds.key.to_public_key()));
            let chain = load_certs(&fixture(&format!("{name}.chain.pem"))).expect("chain");
            assert_eq!(creds.chain, chain, "{name}");
            match name {
                "tsa" => assert_eq!(creds.chain, vec![root.clone()]),
                "untrusted-signer" => assert_eq!(creds.chain.len(), 1),
                _ => assert_eq!(creds.chain, vec![sub.clone(), root.clone()], "{name}"),
            }
            // Debug never shows the key material.
            let debug = format!("{creds:?}");
            assert!(debug.contains("RSA-2048 (private)") && !debug.contains("primes"));
        }
    }

    #[test]
    fn legacy_p12_loads() {
        let creds = load_pkcs12(&fixture("official-signer.legacy.p12"), PASS).expect("legacy p12");
        assert_eq!(creds.cert, one_cert("official-signer.pem"));
        assert_eq!(creds.chain.len(), 2);
        let modern = load_pkcs12(&fixture("official-signer.p12"), PASS).expect("p12");
        assert_eq!(creds.key, modern.key);
    }

    #[test]
    fn every_pem_key_loads_and_matches_its_certificate() {
        for name in SIGNERS {
            let creds = load_pem_credentials(
                &fixture(&format!("{name}.key.pem")),
                &fixture(&format!("{name}.pem")),
                Some(&fixture(&format!("{name}.chain.pem"))),
                PASS,
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            let p12 = load_pkcs12(&fixture(&format!("{name}.p12")), PASS).expect("p12");
            assert_eq!(creds.key, p12.key, "{name}");
            assert_eq!(creds.chain, p12.chain, "{name}");
        }
        for name in ["root-ca", "sub-ca", "untrusted-root"] {
            let key = load_pem_key(&fixture(&format!("{name}.key.pem")), PASS).expect(name);
            assert!(cert_has_key(
                &one_cert(&format!("{name}.pem")),
                &key.to_public_key()
            ));
        }
    }

    #[test]
    fn wrong_passphrase_is_a_mac_error() {
        for name in ["org-signer.p12", "official-signer.legacy.p12"] {
            let path = fixture(name);
            let err = load_pkcs12(&path, b"not-the-passphrase").expect_err("must fail");
            assert!(matches!(err, KeyError::WrongPassphrase { .. }), "{err}");
            assert_eq!(
                err.to_string(),
                format!("{}: wrong passphrase (MAC check failed)", path.display())
            );
            let err = load_pkcs12(&path, b"").expect_err("must fail");
            assert!(matches!(err, KeyError::WrongPassphrase { .. }), "{err}");
        }
    }

    #[test]
    fn wrong_passphrase_for_pem_key() {
        let path = fixture("official-signer.key.pem");
        let err = load_pem_key(&path, b"nope").expect_err("must fail");
        assert!(matches!(err, KeyError::DecryptionFailed { .. }), "{err}");
        assert!(err.to_string().starts_with(&path.display().to_string()));
    }

    #[test]
    fn corrupted_or_truncated_p12_is_an_error_not_a_panic() {
        let path = fixture("official-signer.p12");
        let good = std::fs::read(&path).expect("fixture");
        for len in [0, 1, 2, 10, 100, good.len() / 2, good.len() - 1] {
            assert!(
                pkcs12_from_der(&path, &good[..len], PASS).is_err(),
                "len {len}"
            );
        }
        let step = good.len() / 97 + 1;
        for at in (0..good.len()).step_by(step) {
            let mut bad = good.clone();
            bad[at] ^= 0x5a;
            assert!(pkcs12_from_der(&path, &bad, PASS).is_err(), "flip at {at}");
        }
        let f = temp_file(&good[..good.len() / 3]);
        let err = load_pkcs12(f.path(), PASS).expect_err("truncated");
        assert!(matches!(err, KeyError::Malformed { .. }), "{err}");
        assert!(err.to_string().starts_with(&f.path().display().to_string()));
    }

    #[test]
    fn certificate_key_mismatch_is_detected() {
        let err = load_pem_credentials(
            &fixture("official-signer.key.pem"),
            &fixture("org-signer.pem"),
            None,
            PASS,
        )
        .expect_err("mismatch");
        assert!(matches!(err, KeyError::KeyMismatch { .. }), "{err}");
        assert!(err
            .to_string()
            .ends_with("org-signer.pem: certificate does not match the private key"));
    }

    #[test]
    fn org_signer_cn_keeps_its_diacritics() {
        let cert = one_cert("org-signer.pem");
        let cn = cert
            .tbs_certificate
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .find(|atv| atv.oid == const_oid::db::rfc4519::CN)
            .expect("CN");
        assert_eq!(cn.value.tag(), der::Tag::Utf8String);
        assert_eq!(cn.value.value(), "Sở Nông nghiệp và PTNT (TEST)".as_bytes());
        let uids: Vec<&[u8]> = cert
            .tbs_certificate
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .filter(|atv| atv.oid == const_oid::db::rfc4519::UID)
            .map(|atv| atv.value.value())
            .collect();
        assert_eq!(uids, [&b"MST:5000123456"[..], b"MNS:1012345"]);
    }

    #[test]
    fn certificates_in_pem_and_der() {
        let chain = load_certs(&fixture("org-signer.chain.pem")).expect("chain");
        assert_eq!(chain.len(), 2);
        let der = chain[0].to_der().expect("der");
        let f = temp_file(&der);
        assert_eq!(
            load_certs(f.path()).expect("der cert"),
            vec![chain[0].clone()]
        );
        let f = temp_file(b"Bag Attributes\n    friendlyName: x\nnot a certificate\n");
        let err = load_certs(f.path()).expect_err("garbage");
        assert!(matches!(err, KeyError::NotACertificate { .. }), "{err}");
        assert!(err.to_string().ends_with(": not a PEM or DER certificate"));
        let err = load_certs(&fixture("sub-ca.crl")).expect_err("a CRL");
        assert!(matches!(err, KeyError::NotACertificate { .. }), "{err}");
    }

    #[test]
    fn unsupported_key_encryption_is_named() {
        // pbeWithMD5AndDES-CBC (PKCS#5 v1.5).
        let epki = EncryptedPrivateKeyInfo {
            encryption_algorithm: AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.3"),
                parameters: None,
            },
            encrypted_data: OctetString::new(vec![0u8; 16]).expect("octets"),
        };
        let f = temp_file(&epki.to_der().expect("der"));
        let err = load_pem_key(f.path(), PASS).expect_err("unsupported");
        assert_eq!(
            err.to_string(),
            format!(
                "{}: unsupported key encryption 1.2.840.113549.1.5.3 (supported: PBES2 AES-CBC, \
                 pbeWithSHAAnd3-KeyTripleDES-CBC)",
                f.path().display()
            )
        );
    }

    #[test]
    fn missing_file_and_too_large_file() {
        let err = load_pkcs12(&fixture("no-such.p12"), PASS).expect_err("missing");
        assert!(matches!(err, KeyError::Io { .. }), "{err}");
        assert!(err.to_string().contains("no-such.p12"));
        let f = tempfile::NamedTempFile::new().expect("temp");
        f.as_file().set_len(MAX_FILE_SIZE + 1).expect("set_len");
        let err = load_pkcs12(f.path(), PASS).expect_err("too large");
        assert!(matches!(err, KeyError::TooLarge { .. }), "{err}");
    }
}
