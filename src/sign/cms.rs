//! CMS SignedData for PDF signatures (RFC 5652 §5; PAdES baseline B-B/B-T, ETSI EN 319 142-1
//! §5.2 / ETSI EN 319 122-1 for the CAdES attributes): detached, signed attributes
//! content-type + message-digest + signingCertificateV2, no signing-time, SHA-256, certificate
//! chain embedded, optional RFC 3161 signature timestamp as unsigned attribute.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    EncapsulatedContentInfo, SignatureValue, SignedData, SignerIdentifier, SignerInfo,
};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use x509_cert::attr::{Attribute, AttributeValue};

use super::signer::{Signer, SignerError};
use super::tsa::{TimestampAuthority, TsaError};
use crate::pki::ess::{EssCertIdV2, SigningCertificateV2};
use crate::pki::oids;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CmsError {
    #[error("could not encode the CMS structure: {0}")]
    Encoding(#[from] der::Error),
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error("time-stamp: {0}")]
    Timestamp(#[from] TsaError),
}

fn attribute(oid: der::oid::ObjectIdentifier, value_der: &[u8]) -> Result<Attribute, CmsError> {
    let mut values = SetOfVec::new();
    values.insert(AttributeValue::from_der(value_der)?)?;
    Ok(Attribute { oid, values })
}

/// Which CMS profile the signature follows (it decides the signed attributes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmsProfile {
    /// PAdES (SubFilter ETSI.CAdES.detached): signingCertificateV2 required, no signing-time.
    Cades,
    /// Legacy PDF (SubFilter adbe.pkcs7.detached): the same attributes are accepted; kept.
    Pkcs7,
}

/// Builds the DER ContentInfo of a detached SignedData over `document_digest` (the digest of
/// the PDF byte ranges, computed with `signer.digest_alg()`).
pub fn build_signed_data(
    signer: &dyn Signer,
    document_digest: &[u8],
    _profile: CmsProfile,
    tsa: Option<(&dyn TimestampAuthority, u64)>,
) -> Result<Vec<u8>, CmsError> {
    let digest_alg = signer.digest_alg();
    let cert = signer.certificate();

    // RFC 5652 §11.1, §11.2; RFC 5035 §3. Both profiles carry signingCertificateV2: validators
    // accept it on adbe.pkcs7.detached and it prevents certificate substitution.
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2::new(cert, digest_alg)?],
    };
    let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
        attribute(oids::ID_CONTENT_TYPE, &oids::ID_DATA.to_der()?)?,
        attribute(
            oids::ID_MESSAGE_DIGEST,
            &OctetString::new(document_digest)?.to_der()?,
        )?,
        attribute(oids::ID_AA_SIGNING_CERTIFICATE_V2, &ess.to_der()?)?,
    ])?;
    // RFC 5652 §5.4: the signature is over the DER of the SET OF attributes (tag 0x31).
    let to_sign = signed_attrs.to_der()?;
    let signature = signer.sign(&to_sign)?;

    let unsigned_attrs = match tsa {
        Some((tsa, nonce)) => {
            // RFC 3161 Appendix A / ETSI EN 319 122-1 §5.3: the timestamp covers the signature value.
            let alg = tsa.imprint_alg();
            let imprint = alg.digest(&signature);
            let token = tsa.timestamp(alg, &imprint, nonce)?;
            let mut set = SetOfVec::new();
            set.insert(attribute(oids::ID_AA_TIME_STAMP_TOKEN, &token)?)?;
            Some(set)
        }
        None => None,
    };

    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: digest_alg.algorithm_identifier(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: signer.signature_algorithm(),
        signature: SignatureValue::new(signature)?,
        unsigned_attrs,
    };

    let mut certs = vec![CertificateChoices::Certificate(cert.clone())];
    certs.extend(
        signer
            .chain()
            .iter()
            .cloned()
            .map(CertificateChoices::Certificate),
    );
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![digest_alg.algorithm_identifier()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oids::ID_DATA,
            econtent: None,
        },
        certificates: Some(cms::signed_data::CertificateSet(SetOfVec::try_from(certs)?)),
        crls: None,
        signer_infos: cms::signed_data::SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    let ci = ContentInfo {
        content_type: oids::ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data)?,
    };
    Ok(ci.to_der()?)
}
