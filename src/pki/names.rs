//! Distinguished names and certificate summaries for people to read: UTF-8 with Vietnamese
//! diacritics decoded right, VGCA's UID attributes (MST:, MNS:, CMND:/CCCD:) shown.

use crate::time::rfc3339;
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{BmpString, Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use der::{Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;
use x509_cert::Certificate;

/// Short label of an attribute type (RFC 4514 §3 where it defines one).
fn label(oid: &Oid) -> String {
    let s = oid.to_string();
    let l = match s.as_str() {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "2.5.4.5" => "serialNumber",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "E",
        _ => return s,
    };
    l.to_string()
}

/// Decodes a directory string of any of the ASN.1 string types certificates use.
pub fn attribute_text(atv: &AttributeTypeAndValue) -> String {
    let v = &atv.value;
    let decoded = match v.tag() {
        Tag::Utf8String => Utf8StringRef::try_from(v)
            .map(|s| s.as_str().to_string())
            .ok(),
        Tag::PrintableString => PrintableStringRef::try_from(v)
            .map(|s| s.as_str().to_string())
            .ok(),
        Tag::Ia5String => Ia5StringRef::try_from(v)
            .map(|s| s.as_str().to_string())
            .ok(),
        // T.61 strings in the wild are Latin-1 in practice.
        Tag::TeletexString => TeletexStringRef::try_from(v)
            .map(|s| s.as_bytes().iter().map(|&b| b as char).collect())
            .ok(),
        Tag::BmpString => v.decode_as::<BmpString>().map(|s| s.to_string()).ok(),
        _ => None,
    };
    decoded.unwrap_or_else(|| {
        // Unknown type: show it as RFC 4514 hex so nothing is hidden.
        format!("#{}", hex::encode(v.to_der().unwrap_or_default()))
    })
}

/// `C=VN, L=Tuyên Quang, O=…, CN=…, UID=MST:…` in the order the certificate carries them.
pub fn display_name(name: &Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.0.iter() {
        let inner: Vec<String> = rdn
            .0
            .iter()
            .map(|atv| format!("{}={}", label(&atv.oid), attribute_text(atv)))
            .collect();
        parts.push(inner.join(" + "));
    }
    parts.join(", ")
}

/// The first value of attribute `oid` in `name`.
pub fn find_attr(name: &Name, oid: &Oid) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| &atv.oid == oid)
        .map(attribute_text)
}

/// All values of attribute `oid` in `name`.
pub fn find_attrs(name: &Name, oid: &Oid) -> Vec<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| &atv.oid == oid)
        .map(attribute_text)
        .collect()
}

pub const CN: Oid = Oid::new_unwrap("2.5.4.3");
pub const UID: Oid = Oid::new_unwrap("0.9.2342.19200300.100.1.1");
pub const O: Oid = Oid::new_unwrap("2.5.4.10");

/// What a report says about a certificate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CertSummary {
    pub subject: String,
    pub common_name: Option<String>,
    /// VGCA UID attributes such as `MST:5000123456`, `MNS:1012345`, `CMND:…`.
    pub uids: Vec<String>,
    pub issuer: String,
    /// Serial number, uppercase hex.
    pub serial: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
}

impl CertSummary {
    pub fn of(cert: &Certificate) -> Self {
        let tbs = &cert.tbs_certificate;
        Self {
            subject: display_name(&tbs.subject),
            common_name: find_attr(&tbs.subject, &CN),
            uids: find_attrs(&tbs.subject, &UID),
            issuer: display_name(&tbs.issuer),
            serial: hex::encode_upper(tbs.serial_number.as_bytes()),
            not_before: rfc3339(tbs.validity.not_before.to_unix_duration()),
            not_after: rfc3339(tbs.validity.not_after.to_unix_duration()),
        }
    }
}
