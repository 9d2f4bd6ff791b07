//! Tests of credential loading against the committed test PKI (certs-test/).

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
