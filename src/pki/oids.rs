//! Object identifiers used across signing and verification, each with the standard it comes from.

use const_oid::ObjectIdentifier as Oid;

/// RFC 5652 §4: id-data.
pub const ID_DATA: Oid = const_oid::db::rfc5911::ID_DATA;
/// RFC 5652 §5.1: id-signedData.
pub const ID_SIGNED_DATA: Oid = const_oid::db::rfc5911::ID_SIGNED_DATA;
/// RFC 5652 §11.1: content-type attribute.
pub const ID_CONTENT_TYPE: Oid = const_oid::db::rfc5911::ID_CONTENT_TYPE;
/// RFC 5652 §11.2: message-digest attribute.
pub const ID_MESSAGE_DIGEST: Oid = const_oid::db::rfc5911::ID_MESSAGE_DIGEST;
/// RFC 5652 §11.3: signing-time attribute (PAdES baseline forbids it; adbe.pkcs7 may carry it).
pub const ID_SIGNING_TIME: Oid = const_oid::db::rfc5911::ID_SIGNING_TIME;
/// RFC 5035 §3: id-aa-signingCertificateV2 (1.2.840.113549.1.9.16.2.47).
pub const ID_AA_SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// RFC 2634 §5.4: id-aa-signingCertificate (v1, SHA-1 ESSCertID).
pub const ID_AA_SIGNING_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// RFC 3161 Appendix A: id-aa-timeStampToken (unsigned attribute carrying a signature timestamp).
pub const ID_AA_TIME_STAMP_TOKEN: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// RFC 3161 §2.4.2: id-ct-TSTInfo.
pub const ID_CT_TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// RFC 3161 §2.3 / RFC 5280 §4.2.1.12: id-kp-timeStamping.
pub const ID_KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");

/// RFC 8017 Appendix A / RFC 4055: RSA algorithms.
pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
pub const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
pub const SHA224_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.14");
pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
/// RFC 8017 Appendix B.2.1: id-mgf1.
pub const ID_MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");

/// RFC 5480 §2.1.1: id-ecPublicKey and the named curves; RFC 5758 §3.2 / RFC 3279 §2.2.3: ECDSA.
pub const ID_EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
pub const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
pub const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
pub const SECP521R1: Oid = Oid::new_unwrap("1.3.132.0.35");
pub const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
pub const ECDSA_WITH_SHA224: Oid = Oid::new_unwrap("1.2.840.10045.4.3.1");
pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
pub const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");

/// FIPS 180-4 digests (RFC 5754 §2 / RFC 3370 §2.1).
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
pub const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

/// RFC 6960 §4.2.1: id-pkix-ocsp-basic; §4.2.2.2: id-kp-OCSPSigning.
pub const ID_PKIX_OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
pub const ID_KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
/// RFC 5280 §4.2.2.1: id-ad-ocsp and id-ad-caIssuers access methods.
pub const ID_AD_OCSP: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1");
/// Adobe's adbe-revocationInfoArchival signed attribute (ISO 32000-1 §12.8.3.3.2).
pub const ADBE_REVOCATION_INFO_ARCHIVAL: Oid = Oid::new_unwrap("1.2.840.113583.1.1.8");

/// VGCA certificate policy for subscriber (signing) certificates, as in domain.md.
pub const VGCA_POLICY_SUBSCRIBER: Oid = Oid::new_unwrap("2.16.704.1.1.1.1.1");
/// VGCA certificate policy for time-stamping authorities.
pub const VGCA_POLICY_TSA: Oid = Oid::new_unwrap("2.16.704.1.1.1.2");
