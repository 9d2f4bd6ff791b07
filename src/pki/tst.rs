//! PKI, RFC 3161 time-stamp tokens read: the TSTInfo a TimeStampToken (a CMS SignedData,
//! RFC 3161 §2.4.2) encapsulates. Shared by the time-stamp client (`sign::tsa`, checking a
//! reply) and verification (`verify::timestamp`, checking a token in a file).

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::Decode;
use x509_tsp::TstInfo;

use super::oids;

/// Why a token is not a time-stamp token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TstError {
    #[error("not a DER CMS ContentInfo: {0}")]
    Der(#[from] der::Error),
    #[error("token content type {0} is not signedData")]
    NotSignedData(ObjectIdentifier),
    #[error("token encapsulates {0} instead of TSTInfo")]
    NotTstInfo(ObjectIdentifier),
    #[error("token has no TSTInfo content")]
    NoContent,
}

/// TSTInfo of a TimeStampToken, decoded, with its original DER (the octets the token's
/// message digest covers).
pub fn tst_info(token: &[u8]) -> Result<(SignedData, TstInfo, Vec<u8>), TstError> {
    let ci = ContentInfo::from_der(token)?;
    if ci.content_type != oids::ID_SIGNED_DATA {
        return Err(TstError::NotSignedData(ci.content_type));
    }
    let sd: SignedData = ci.content.decode_as()?;
    if sd.encap_content_info.econtent_type != oids::ID_CT_TST_INFO {
        return Err(TstError::NotTstInfo(sd.encap_content_info.econtent_type));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or(TstError::NoContent)?;
    let octets: OctetString = econtent.decode_as()?;
    let tst = TstInfo::from_der(octets.as_bytes())?;
    Ok((sd, tst, octets.as_bytes().to_vec()))
}
