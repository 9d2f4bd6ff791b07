//! Public-key signature checks for CMS signer infos, time-stamp tokens, certificates, CRLs and
//! OCSP responses: RSASSA-PKCS1-v1_5 (RFC 8017 §8.2), RSASSA-PSS (RFC 8017 §8.1, identifiers and
//! parameters RFC 4055 §3.1) and ECDSA on P-256, P-384 and P-521 (FIPS 186-4, identifiers
//! RFC 5758 §3.2, keys RFC 5480). `Err` means "cannot check this algorithm", `Ok(false)` "wrong".

use der::{Decode, Encode};
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};

use super::digest::DigestAlg;
use super::oids;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigAlgError {
    #[error("signature algorithm {0} is not supported (supported: RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA P-256/P-384/P-521, with SHA-1/224/256/384/512)")]
    Unsupported(String),
    #[error("public key is not usable for this algorithm: {0}")]
    BadKey(String),
    #[error("digest algorithm {0} is not supported")]
    UnsupportedDigest(String),
    #[error("RSASSA-PSS parameters are not usable: {0}")]
    BadPssParams(String),
}

/// A signature scheme with everything needed to check a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    RsaPkcs1(DigestAlg),
    /// Message digest (also MGF1's: sohoa checks only MGF1 with the same digest) and salt length.
    RsaPss {
        digest: DigestAlg,
        salt_len: usize,
    },
    Ecdsa(DigestAlg),
}

impl Scheme {
    pub fn digest(self) -> DigestAlg {
        match self {
            Self::RsaPkcs1(d) | Self::Ecdsa(d) | Self::RsaPss { digest: d, .. } => d,
        }
    }
}

/// The curve of an EC public key (RFC 5480 §2.1.1.1 namedCurve).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Some(match *oid {
            o if o == oids::SECP256R1 => Self::P256,
            o if o == oids::SECP384R1 => Self::P384,
            o if o == oids::SECP521R1 => Self::P521,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
        }
    }
}

/// The digest a signature algorithm implies, if it names one (sha256WithRSAEncryption → SHA-256).
pub fn implied_digest(alg: &AlgorithmIdentifierOwned) -> Option<DigestAlg> {
    match named_scheme(alg) {
        Ok(Some(s)) => Some(s.digest()),
        _ => None,
    }
}

fn named_scheme(alg: &AlgorithmIdentifierOwned) -> Result<Option<Scheme>, SigAlgError> {
    use DigestAlg::*;
    Ok(Some(match alg.oid {
        o if o == oids::SHA1_WITH_RSA => Scheme::RsaPkcs1(Sha1),
        o if o == oids::SHA224_WITH_RSA => Scheme::RsaPkcs1(Sha224),
        o if o == oids::SHA256_WITH_RSA => Scheme::RsaPkcs1(Sha256),
        o if o == oids::SHA384_WITH_RSA => Scheme::RsaPkcs1(Sha384),
        o if o == oids::SHA512_WITH_RSA => Scheme::RsaPkcs1(Sha512),
        o if o == oids::ECDSA_WITH_SHA1 => Scheme::Ecdsa(Sha1),
        o if o == oids::ECDSA_WITH_SHA224 => Scheme::Ecdsa(Sha224),
        o if o == oids::ECDSA_WITH_SHA256 => Scheme::Ecdsa(Sha256),
        o if o == oids::ECDSA_WITH_SHA384 => Scheme::Ecdsa(Sha384),
        o if o == oids::ECDSA_WITH_SHA512 => Scheme::Ecdsa(Sha512),
        o if o == oids::RSASSA_PSS => pss_scheme(alg)?,
        _ => return Ok(None),
    }))
}

/// RFC 4055 §3.1 RSASSA-PSS-params; absent fields take their defaults (SHA-1, MGF1-SHA-1, 20).
fn pss_scheme(alg: &AlgorithmIdentifierOwned) -> Result<Scheme, SigAlgError> {
    let bad = |e: String| SigAlgError::BadPssParams(e);
    let der = match &alg.parameters {
        Some(p) => p.to_der().map_err(|e| bad(e.to_string()))?,
        None => return Err(bad("the parameters are missing".into())),
    };
    let params = pkcs1::RsaPssParams::from_der(&der).map_err(|e| bad(e.to_string()))?;
    let digest = DigestAlg::from_oid(&params.hash.oid)
        .ok_or_else(|| bad(format!("hash {} is not supported", params.hash.oid)))?;
    if params.mask_gen.oid != oids::ID_MGF1 {
        return Err(bad(format!(
            "mask generation {} is not MGF1",
            params.mask_gen.oid
        )));
    }
    let mgf_hash = params
        .mask_gen
        .parameters
        .as_ref()
        .map(|p| p.oid)
        .unwrap_or(oids::SHA1);
    if mgf_hash != params.hash.oid {
        return Err(bad(format!(
            "MGF1 with {mgf_hash} differs from the message digest {}",
            params.hash.oid
        )));
    }
    if params.trailer_field != pkcs1::TrailerField::BC {
        return Err(bad("the trailer field is not 1 (0xBC)".into()));
    }
    Ok(Scheme::RsaPss {
        digest,
        salt_len: usize::from(params.salt_len),
    })
}

/// The scheme `alg` names for a key `spki`. `digest_hint` is the digest to use when the
/// algorithm is a bare key type (CMS SignerInfos may say rsaEncryption or id-ecPublicKey and
/// put the digest in `digestAlgorithm`).
pub fn scheme(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest_hint: Option<DigestAlg>,
) -> Result<Scheme, SigAlgError> {
    if let Some(s) = named_scheme(alg)? {
        return Ok(s);
    }
    let hint = || digest_hint.ok_or_else(|| SigAlgError::UnsupportedDigest("(none given)".into()));
    match alg.oid {
        o if o == oids::RSA_ENCRYPTION => Ok(Scheme::RsaPkcs1(hint()?)),
        o if o == oids::ID_EC_PUBLIC_KEY && spki.algorithm.oid == oids::ID_EC_PUBLIC_KEY => {
            Ok(Scheme::Ecdsa(hint()?))
        }
        o => Err(SigAlgError::Unsupported(o.to_string())),
    }
}

pub(crate) fn rsa_key(spki: &SubjectPublicKeyInfoOwned) -> Result<RsaPublicKey, SigAlgError> {
    // RFC 4055 §1.2: a PSS signature may come from an rsaEncryption or an id-RSASSA-PSS key.
    if spki.algorithm.oid != oids::RSA_ENCRYPTION && spki.algorithm.oid != oids::RSASSA_PSS {
        return Err(SigAlgError::BadKey(format!(
            "an RSA signature, but the key is of type {}",
            spki.algorithm.oid
        )));
    }
    let key = rsa::pkcs1::RsaPublicKey::from_der(spki.subject_public_key.raw_bytes())
        .map_err(|e| SigAlgError::BadKey(e.to_string()))?;
    RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(key.modulus.as_bytes()),
        rsa::BigUint::from_bytes_be(key.public_exponent.as_bytes()),
    )
    .map_err(|e| SigAlgError::BadKey(e.to_string()))
}

/// The curve of an EC key, if it is one on a supported curve.
pub fn ec_curve(spki: &SubjectPublicKeyInfoOwned) -> Option<Curve> {
    if spki.algorithm.oid != oids::ID_EC_PUBLIC_KEY {
        return None;
    }
    let oid: ObjectIdentifier = spki.algorithm.parameters.as_ref()?.decode_as().ok()?;
    Curve::from_oid(&oid)
}

/// Bits of an RSA public key (for reports), if it is one.
pub fn rsa_bits(spki: &SubjectPublicKeyInfoOwned) -> Option<usize> {
    use rsa::traits::PublicKeyParts;
    rsa_key(spki).ok().map(|k| k.n().bits())
}

/// "RSA-2048", "EC P-384", or the key's OID.
pub fn key_name(spki: &SubjectPublicKeyInfoOwned) -> String {
    if let Some(bits) = rsa_bits(spki) {
        format!("RSA-{bits}")
    } else if let Some(c) = ec_curve(spki) {
        format!("EC {}", c.name())
    } else {
        spki.algorithm.oid.to_string()
    }
}

/// A name for people: "RSA-2048 PKCS#1 v1.5 with SHA-256", "ECDSA P-384 with SHA-384".
pub fn describe(spki: &SubjectPublicKeyInfoOwned, scheme: Scheme) -> String {
    match scheme {
        Scheme::RsaPkcs1(d) => format!("{} PKCS#1 v1.5 with {}", key_name(spki), d.name()),
        Scheme::RsaPss { digest, salt_len } => {
            format!(
                "{} PSS with {} (salt {salt_len})",
                key_name(spki),
                digest.name()
            )
        }
        Scheme::Ecdsa(d) => {
            let curve = ec_curve(spki).map_or("(unknown curve)", Curve::name);
            format!("ECDSA {curve} with {}", d.name())
        }
    }
}

/// Why a scheme with this key is weak today, if it is (ETSI TS 119 312: SHA-1 is not fit for
/// signatures; RSA below 2048 bits).
pub fn weakness(spki: &SubjectPublicKeyInfoOwned, scheme: Scheme) -> Option<String> {
    if scheme.digest() == DigestAlg::Sha1 {
        return Some("SHA-1, which is no longer collision-resistant".into());
    }
    match rsa_bits(spki) {
        Some(b) if b < 2048 => Some(format!("an RSA key of {b} bits")),
        _ => None,
    }
}

/// Verifies `signature` over `message`; see [`scheme`] for `digest_hint`.
pub fn verify(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest_hint: Option<DigestAlg>,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, SigAlgError> {
    let scheme = scheme(spki, alg, digest_hint)?;
    let hashed = scheme.digest().digest(message);
    verify_prehashed(spki, scheme, &hashed, signature)
}

/// Verifies a signature over an already computed digest.
pub fn verify_prehashed(
    spki: &SubjectPublicKeyInfoOwned,
    scheme: Scheme,
    hashed: &[u8],
    signature: &[u8],
) -> Result<bool, SigAlgError> {
    match scheme {
        Scheme::RsaPkcs1(digest) => {
            let key = rsa_key(spki)?;
            let padding = match digest {
                DigestAlg::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
                DigestAlg::Sha224 => Pkcs1v15Sign::new::<sha2::Sha224>(),
                DigestAlg::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
                DigestAlg::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
                DigestAlg::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            Ok(key.verify(padding, hashed, signature).is_ok())
        }
        Scheme::RsaPss { digest, salt_len } => {
            let key = rsa_key(spki)?;
            let pss = match digest {
                DigestAlg::Sha1 => rsa::Pss::new_with_salt::<sha1::Sha1>(salt_len),
                DigestAlg::Sha224 => rsa::Pss::new_with_salt::<sha2::Sha224>(salt_len),
                DigestAlg::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(salt_len),
                DigestAlg::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(salt_len),
                DigestAlg::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(salt_len),
            };
            Ok(key.verify(pss, hashed, signature).is_ok())
        }
        Scheme::Ecdsa(_) => verify_ecdsa(spki, hashed, signature),
    }
}

/// ECDSA over a digest (longer digests are truncated to the curve order, FIPS 186-4 §6.4).
/// The signature is the DER Ecdsa-Sig-Value of RFC 5480 §2.2 (raw r‖s is accepted too, as a few
/// tools write it).
fn verify_ecdsa(
    spki: &SubjectPublicKeyInfoOwned,
    hashed: &[u8],
    signature: &[u8],
) -> Result<bool, SigAlgError> {
    let curve = ec_curve(spki).ok_or_else(|| {
        SigAlgError::BadKey(format!(
            "an ECDSA signature, but the key is of type {} (or on an unsupported curve)",
            spki.algorithm.oid
        ))
    })?;
    let point = spki.subject_public_key.raw_bytes();
    let bad_key = |e: ecdsa::Error| SigAlgError::BadKey(e.to_string());
    macro_rules! check {
        ($key:ty, $sig:ty) => {{
            let key = <$key>::from_sec1_bytes(point).map_err(bad_key)?;
            let Ok(sig) = <$sig>::from_der(signature).or_else(|_| <$sig>::from_slice(signature))
            else {
                return Ok(false);
            };
            Ok(key.verify_prehash(hashed, &sig).is_ok())
        }};
    }
    match curve {
        Curve::P256 => check!(p256::ecdsa::VerifyingKey, p256::ecdsa::Signature),
        Curve::P384 => check!(p384::ecdsa::VerifyingKey, p384::ecdsa::Signature),
        Curve::P521 => check!(p521::ecdsa::VerifyingKey, p521::ecdsa::Signature),
    }
}
