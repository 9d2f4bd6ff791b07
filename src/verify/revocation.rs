//! Validation data a signed PDF carries, gathered for the chain and revocation checks: the
//! Document Security Store (ETSI EN 319 142-1 §5.4.2: `/DSS` `/Certs`, `/CRLs`, `/OCSPs`), the
//! signature's adbe-revocationInfoArchival signed attribute (ISO 32000-1 §12.8.3.3.2) and the
//! CRLs of its CMS (RFC 5652 §5.1). Pure but for reading the PDF it is given; bounded.

use std::io::{Read, Seek};

use cms::revocation::RevocationInfoChoice;
use cms::signed_data::{SignedData, SignerInfo};
use der::{Any, Decode, Encode};
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

use crate::pdf::{Dict, Object, PdfError, PdfFile};
use crate::pki::chain::{RevocationData, RevocationSource};
use crate::pki::oids;

/// Items read at most from each DSS array.
const MAX_ITEMS: usize = 4_096;
/// Largest DSS stream read (a CRL of a large CA is a few MB).
const MAX_ITEM_BYTES: u64 = 16 << 20;

/// The file-wide validation data of the DSS, with what could not be read.
#[derive(Clone, Debug, Default)]
pub struct FileData {
    pub present: bool,
    pub certs: Vec<Certificate>,
    pub revocation: RevocationData,
    pub problems: Vec<String>,
}

fn streams<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    dss: &Dict,
    key: &[u8],
    problems: &mut Vec<String>,
) -> Result<Vec<Vec<u8>>, PdfError> {
    let list = match dss.get(key).map(|o| pdf.resolve(o)).transpose()? {
        Some(Object::Array(a)) => a,
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for o in list.iter().take(MAX_ITEMS) {
        match pdf.resolve(o)? {
            Object::Stream(s) if s.data_len <= MAX_ITEM_BYTES => match pdf.stream_decoded(&s) {
                Ok(b) => out.push(b),
                Err(e) => problems.push(format!(
                    "DSS /{}: a stream could not be decoded: {e}",
                    String::from_utf8_lossy(key)
                )),
            },
            _ => problems.push(format!(
                "DSS /{}: an entry is not a stream of at most {MAX_ITEM_BYTES} bytes",
                String::from_utf8_lossy(key)
            )),
        }
    }
    Ok(out)
}

/// Reads the catalog's `/DSS` (absent: an empty [`FileData`]).
pub fn from_dss<R: Read + Seek>(pdf: &mut PdfFile<R>) -> Result<FileData, PdfError> {
    let catalog = pdf.catalog()?;
    let mut out = FileData::default();
    let Some(dss) = pdf.get_dict(catalog.get(b"DSS").unwrap_or(&Object::Null))? else {
        return Ok(out);
    };
    out.present = true;
    let mut problems = Vec::new();
    for der in streams(pdf, &dss, b"Certs", &mut problems)? {
        match Certificate::from_der(&der) {
            Ok(c) => out.certs.push(c),
            Err(e) => problems.push(format!("DSS /Certs: not a certificate: {e}")),
        }
    }
    for der in streams(pdf, &dss, b"CRLs", &mut problems)? {
        match CertificateList::from_der(&der) {
            Ok(c) => out.revocation.crls.push((c, RevocationSource::Dss)),
            Err(e) => problems.push(format!("DSS /CRLs: not a CRL: {e}")),
        }
    }
    for der in streams(pdf, &dss, b"OCSPs", &mut problems)? {
        out.revocation.ocsp.push((der, RevocationSource::Dss));
    }
    out.problems = problems;
    Ok(out)
}

/// adbe-revocationInfoArchival (Adobe, ISO 32000-1 §12.8.3.3.2):
/// `RevocationInfoArchival ::= SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CRLs OPTIONAL,
/// ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL, otherRevInfo [2] EXPLICIT SEQUENCE OF
/// OtherRevInfo OPTIONAL }`.
#[derive(Clone, Debug, der::Sequence)]
struct RevocationInfoArchival {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    crl: Option<Vec<CertificateList>>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    ocsp: Option<Vec<Any>>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    other: Option<Vec<Any>>,
}

/// The revocation data one signature carries: its archival attribute and its CMS CRLs.
pub fn from_signer(sd: &SignedData, si: &SignerInfo, problems: &mut Vec<String>) -> RevocationData {
    let mut out = RevocationData::default();
    let archival = si
        .signed_attrs
        .iter()
        .flat_map(|a| a.iter())
        .find(|a| a.oid == oids::ADBE_REVOCATION_INFO_ARCHIVAL)
        .and_then(|a| a.values.iter().next());
    if let Some(v) = archival {
        match v.to_der().map(|d| RevocationInfoArchival::from_der(&d)) {
            Ok(Ok(a)) => {
                for c in a.crl.into_iter().flatten() {
                    out.crls.push((c, RevocationSource::SignatureArchive));
                }
                for o in a.ocsp.into_iter().flatten() {
                    if let Ok(d) = o.to_der() {
                        out.ocsp.push((d, RevocationSource::SignatureArchive));
                    }
                }
            }
            Ok(Err(e)) | Err(e) => problems.push(format!(
                "the signature's adbe-revocationInfoArchival attribute is malformed: {e}"
            )),
        }
    }
    for choice in sd.crls.iter().flat_map(|c| c.0.iter()) {
        if let RevocationInfoChoice::Crl(c) = choice {
            out.crls.push((c.clone(), RevocationSource::Cms));
        }
    }
    out
}
