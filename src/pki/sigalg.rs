//! Public-key signature checks (RFC 8017 RSASSA-PKCS1-v1_5, RFC 4055 identifiers) for CMS signer
//! infos, certificates and CRLs. `Err` means "cannot check this algorithm", `Ok(false)` "wrong".

use der::Encode;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::digest::DigestAlg;
use super::oids;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigAlgError {
    #[error("signature algorithm {0} is not supported (supported: RSA PKCS#1 v1.5 with SHA-1/256/384/512)")]
    Unsupported(String),
    #[error("public key is not a usable RSA key: {0}")]
    BadKey(String),
    #[error("digest algorithm {0} is not supported")]
    UnsupportedDigest(String),
}

/// The digest a signature algorithm implies, if it names one (sha256WithRSAEncryption → SHA-256).
pub fn implied_digest(alg: &AlgorithmIdentifierOwned) -> Option<DigestAlg> {
    match alg.oid {
        o if o == oids::SHA1_WITH_RSA => Some(DigestAlg::Sha1),
        o if o == oids::SHA256_WITH_RSA => Some(DigestAlg::Sha256),
        o if o == oids::SHA384_WITH_RSA => Some(DigestAlg::Sha384),
        o if o == oids::SHA512_WITH_RSA => Some(DigestAlg::Sha512),
        _ => None,
    }
}

fn rsa_key(spki: &SubjectPublicKeyInfoOwned) -> Result<RsaPublicKey, SigAlgError> {
    if spki.algorithm.oid != oids::RSA_ENCRYPTION {
        return Err(SigAlgError::Unsupported(format!(
            "public key type {}",
            spki.algorithm.oid
        )));
    }
    let der = spki
        .to_der()
        .map_err(|e| SigAlgError::BadKey(e.to_string()))?;
    RsaPublicKey::from_public_key_der(&der).map_err(|e| SigAlgError::BadKey(e.to_string()))
}

/// Bits of an RSA public key (for reports), if it is one.
pub fn rsa_bits(spki: &SubjectPublicKeyInfoOwned) -> Option<usize> {
    use rsa::traits::PublicKeyParts;
    rsa_key(spki).ok().map(|k| k.n().bits())
}

/// Verifies `signature` over `message`. `digest_hint` is the digest to use when the algorithm is
/// plain rsaEncryption (CMS SignerInfo puts the digest in `digestAlgorithm`).
pub fn verify(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest_hint: Option<DigestAlg>,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, SigAlgError> {
    let digest = if alg.oid == oids::RSA_ENCRYPTION {
        digest_hint.ok_or_else(|| SigAlgError::UnsupportedDigest("(none given)".into()))?
    } else {
        implied_digest(alg).ok_or_else(|| SigAlgError::Unsupported(alg.oid.to_string()))?
    };
    let hashed = digest.digest(message);
    verify_prehashed(spki, digest, &hashed, signature)
}

/// Verifies an RSASSA-PKCS1-v1_5 signature over an already computed digest.
pub fn verify_prehashed(
    spki: &SubjectPublicKeyInfoOwned,
    digest: DigestAlg,
    hashed: &[u8],
    signature: &[u8],
) -> Result<bool, SigAlgError> {
    let key = rsa_key(spki)?;
    let scheme = match digest {
        DigestAlg::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        DigestAlg::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        DigestAlg::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        DigestAlg::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
    };
    Ok(key.verify(scheme, hashed, signature).is_ok())
}
