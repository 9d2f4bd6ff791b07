//! The key seam: a [`Signer`] holds a certificate and signs bytes: software RSA keys here, a
//! PKCS#11 token (VGCA USB tokens) in `sign::token`, without touching the PDF or CMS code.

use rsa::pkcs1v15::SigningKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use signature::SignatureEncoding;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::pki::digest::DigestAlg;
use crate::pki::oids;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    #[error("the certificate \"{0}\" does not belong to the private key")]
    KeyMismatch(String),
    #[error("the key could not sign: {0}")]
    Signing(String),
    /// The key is out of reach for now (a token pulled out): the paper waits, nothing is lost.
    #[error("the key is not available: {0}")]
    Unavailable(String),
}

/// Something that can produce a CMS signature value for the certificate it carries.
pub trait Signer {
    /// The signer's certificate (the leaf).
    fn certificate(&self) -> &Certificate;
    /// Issuer certificates to embed (sub-CA, root), leaf excluded.
    fn chain(&self) -> &[Certificate];
    /// The digest used for the document and the signed attributes.
    fn digest_alg(&self) -> DigestAlg;
    /// SignerInfo.signatureAlgorithm (RFC 5652 §5.3).
    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned;
    /// Signs `message` (the DER of the signed attributes); the signer hashes it.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError>;
}

/// An RSA key in memory, signing RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2).
///
/// `rsa` 0.9 carries advisory RUSTSEC-2023-0071 (Marvin timing side channel, no fixed release):
/// acceptable for a desk PC signing its own files, and the reason keys sit behind [`Signer`].
pub struct SoftwareRsaSigner {
    key: SigningKey<sha2::Sha256>,
    cert: Certificate,
    chain: Vec<Certificate>,
}

impl SoftwareRsaSigner {
    /// Pairs `key` with `cert`; refuses a certificate whose public key is not the key's.
    pub fn new(
        key: RsaPrivateKey,
        cert: Certificate,
        chain: Vec<Certificate>,
    ) -> Result<Self, SignerError> {
        let public = key.to_public_key();
        let spki = &cert.tbs_certificate.subject_public_key_info;
        let matches = {
            use der::Encode;
            use rsa::pkcs8::DecodePublicKey;
            spki.to_der()
                .ok()
                .and_then(|d| rsa::RsaPublicKey::from_public_key_der(&d).ok())
                .is_some_and(|p| p.n() == public.n() && p.e() == public.e())
        };
        if !matches {
            return Err(SignerError::KeyMismatch(crate::pki::names::display_name(
                &cert.tbs_certificate.subject,
            )));
        }
        Ok(Self {
            key: SigningKey::<sha2::Sha256>::new(key),
            cert,
            chain,
        })
    }
}

impl Signer for SoftwareRsaSigner {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    fn digest_alg(&self) -> DigestAlg {
        DigestAlg::Sha256
    }

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: oids::SHA256_WITH_RSA,
            parameters: Some(der::asn1::Null.into()),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let sig = signature::Signer::try_sign(&self.key, message)
            .map_err(|e| SignerError::Signing(e.to_string()))?;
        Ok(sig.to_vec())
    }
}
