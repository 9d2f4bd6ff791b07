//! ESS signing-certificate attributes (RFC 5035 §3, RFC 2634 §5.4): bind the signer's
//! certificate to a CMS signature, as PAdES baseline (ETSI EN 319 142-1 §5.2.2) requires.

use der::asn1::OctetString;
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralNames;
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;

use super::digest::DigestAlg;

/// RFC 5035 §4: `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    pub issuer: GeneralNames,
    pub serial_number: SerialNumber,
}

/// RFC 5035 §4: `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm
/// id-sha256}, certHash Hash, issuerSerial IssuerSerial OPTIONAL }`. The DER rule that a DEFAULT
/// value is omitted is applied by [`EssCertIdV2::new`].
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// RFC 5035 §3: `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2,
/// policies SEQUENCE OF PolicyInformation OPTIONAL }` (policies are not used here).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}

/// RFC 2634 §5.4.1: `ESSCertID ::= SEQUENCE { certHash Hash (SHA-1), issuerSerial IssuerSerial OPTIONAL }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertId {
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// RFC 2634 §5.4: `SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies … OPTIONAL }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV1 {
    pub certs: Vec<EssCertId>,
}

impl EssCertIdV2 {
    /// The identifier of `cert` hashed with `alg`, with issuer and serial.
    pub fn new(cert: &Certificate, alg: DigestAlg) -> der::Result<Self> {
        let der = cert.to_der()?;
        let hash_algorithm = (alg != DigestAlg::Sha256).then(|| alg.algorithm_identifier());
        Ok(Self {
            hash_algorithm,
            cert_hash: OctetString::new(alg.digest(&der))?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![x509_cert::ext::pkix::name::GeneralName::DirectoryName(
                    cert.tbs_certificate.issuer.clone(),
                )],
                serial_number: cert.tbs_certificate.serial_number.clone(),
            }),
        })
    }

    /// The digest algorithm, the DEFAULT (SHA-256) when absent.
    pub fn digest_alg(&self) -> Option<DigestAlg> {
        match &self.hash_algorithm {
            None => Some(DigestAlg::Sha256),
            Some(a) => DigestAlg::from_oid(&a.oid),
        }
    }
}

/// How a signing-certificate attribute relates to the certificate that verified the signature.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EssBinding {
    /// signingCertificateV2 present and its first ESSCertIDv2 hashes to the signer certificate.
    V2Matches,
    /// signingCertificate (v1, SHA-1) present and matches.
    V1Matches,
    /// The attribute is present but names another certificate: a substitution attack.
    Mismatch,
    /// Neither attribute is present (allowed for adbe.pkcs7.detached, not for PAdES).
    Absent,
    /// Present but not decodable.
    Malformed,
}

/// Checks the first certificate identifier of a signingCertificateV2 / signingCertificate
/// attribute value (its DER) against `cert`.
pub fn check_binding(v2: Option<&[u8]>, v1: Option<&[u8]>, cert: &Certificate) -> EssBinding {
    let Ok(cert_der) = cert.to_der() else {
        return EssBinding::Malformed;
    };
    if let Some(v2) = v2 {
        let Ok(sc) = SigningCertificateV2::from_der(v2) else {
            return EssBinding::Malformed;
        };
        let Some(first) = sc.certs.first() else {
            return EssBinding::Malformed;
        };
        let Some(alg) = first.digest_alg() else {
            return EssBinding::Malformed;
        };
        return if alg.digest(&cert_der) == first.cert_hash.as_bytes() {
            EssBinding::V2Matches
        } else {
            EssBinding::Mismatch
        };
    }
    if let Some(v1) = v1 {
        let Ok(sc) = SigningCertificateV1::from_der(v1) else {
            return EssBinding::Malformed;
        };
        let Some(first) = sc.certs.first() else {
            return EssBinding::Malformed;
        };
        return if DigestAlg::Sha1.digest(&cert_der) == first.cert_hash.as_bytes() {
            EssBinding::V1Matches
        } else {
            EssBinding::Mismatch
        };
    }
    EssBinding::Absent
}
