//! PKCS#12 (RFC 7292) bundles: MAC check, safe contents, key and certificate bags, and the
//! choice of the leaf certificate that matches the key.

use super::pbe::*;
use super::*;

// ---------------------------------------------------------------------------------------------
// PKCS#12
// ---------------------------------------------------------------------------------------------

/// What the bags held.
#[derive(Default)]
pub(super) struct Found {
    /// PKCS#8 `PrivateKeyInfo` DER and localKeyId.
    keys: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Certificates and localKeyId.
    certs: Vec<(Certificate, Option<Vec<u8>>)>,
}

pub(super) fn pkcs12_from_der(
    path: &Path,
    der: &[u8],
    passphrase: &[u8],
) -> Result<Credentials, KeyError> {
    let pfx = Pfx::from_der(der).map_err(|e| KeyError::malformed(path, "PKCS#12 (PFX)", e))?;
    if pfx.auth_safe.content_type != rfc5911::ID_DATA {
        return Err(KeyError::unsupported(
            path,
            format!(
                "PKCS#12 public-key integrity mode (authSafe content type {})",
                pfx.auth_safe.content_type
            ),
        ));
    }
    let auth_safe: OctetString = pfx
        .auth_safe
        .content
        .decode_as()
        .map_err(|e| KeyError::malformed(path, "PKCS#12 authSafe", e))?;
    let auth_safe = auth_safe.as_bytes();

    let mut pass = Passphrase::new(passphrase);
    if let Some(mac) = &pfx.mac_data {
        verify_mac(path, mac, &mut pass, auth_safe)?;
    }

    let contents = Vec::<ContentInfo>::from_der(auth_safe)
        .map_err(|e| KeyError::malformed(path, "PKCS#12 AuthenticatedSafe", e))?;
    let mut found = Found::default();
    for content in &contents {
        let bags_der = match content.content_type {
            rfc5911::ID_DATA => content
                .content
                .decode_as::<OctetString>()
                .map_err(|e| KeyError::malformed(path, "PKCS#12 data content", e))?
                .into_bytes(),
            rfc5911::ID_ENCRYPTED_DATA => {
                let enc: EncryptedData = content
                    .content
                    .decode_as()
                    .map_err(|e| KeyError::malformed(path, "PKCS#12 EncryptedData", e))?;
                let info = &enc.enc_content_info;
                let Some(ciphertext) = &info.encrypted_content else {
                    continue;
                };
                pbe_decrypt(
                    path,
                    &info.content_enc_alg,
                    &pass,
                    ciphertext.as_bytes(),
                    "certificate encryption",
                    SUPPORTED_CERT_ENC,
                )?
            }
            other => {
                return Err(KeyError::unsupported(
                    path,
                    format!("PKCS#12 content type {other} (public-key privacy mode)"),
                ))
            }
        };
        let bags = match SafeContents::from_der(&bags_der) {
            Ok(bags) => bags,
            // Decrypted garbage (no MAC, or MAC and encryption passphrases differ).
            Err(_) if content.content_type == rfc5911::ID_ENCRYPTED_DATA => {
                return Err(KeyError::decryption_failed(path))
            }
            Err(e) => return Err(KeyError::malformed(path, "PKCS#12 SafeContents", e)),
        };
        collect_bags(path, &bags, &pass, &mut found, 0)?;
    }
    pick_credentials(path, found)
}

/// Verifies the HMAC over the authSafe. With an empty passphrase, OpenSSL may have used either
/// the empty BMPString (two zero bytes) or no bytes at all; both are tried, and the one that
/// verifies is kept for decryption.
pub(super) fn verify_mac(
    path: &Path,
    mac: &MacData,
    pass: &mut Passphrase<'_>,
    data: &[u8],
) -> Result<(), KeyError> {
    let bmp = pass.bmp(path)?.to_vec();
    let mut candidates = vec![bmp];
    if pass.raw.is_empty() {
        candidates.push(Vec::new());
    }
    for candidate in candidates {
        if mac_matches(path, mac, &candidate, data)? {
            pass.bmp = Some(candidate);
            return Ok(());
        }
    }
    Err(KeyError::WrongPassphrase {
        path: path.to_path_buf(),
    })
}

pub(super) fn mac_matches(
    path: &Path,
    mac: &MacData,
    bmp: &[u8],
    data: &[u8],
) -> Result<bool, KeyError> {
    let rounds = check_iterations(path, mac.iterations)?;
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    macro_rules! hmac_check {
        ($d:ty) => {{
            use sha2::digest::OutputSizeUser;
            let size = <$d as OutputSizeUser>::output_size();
            let key = derive_key::<$d>(bmp, salt, Pkcs12KeyType::Mac, rounds, size);
            let mut hmac = <Hmac<$d> as Mac>::new_from_slice(&key)
                .map_err(|e| KeyError::malformed(path, "MAC key", e))?;
            hmac.update(data);
            hmac.verify_slice(expected).is_ok()
        }};
    }
    Ok(match mac.mac.algorithm.oid {
        rfc5912::ID_SHA_1 => hmac_check!(sha1::Sha1),
        rfc5912::ID_SHA_224 => hmac_check!(sha2::Sha224),
        rfc5912::ID_SHA_256 => hmac_check!(sha2::Sha256),
        rfc5912::ID_SHA_384 => hmac_check!(sha2::Sha384),
        rfc5912::ID_SHA_512 => hmac_check!(sha2::Sha512),
        oid => {
            return Err(KeyError::unsupported_alg(
                path,
                "MAC digest",
                oid,
                "SHA-1, SHA-224, SHA-256, SHA-384, SHA-512",
            ))
        }
    })
}

pub(super) fn local_key_id(bag: &SafeBag) -> Option<Vec<u8>> {
    bag.bag_attributes
        .as_ref()?
        .iter()
        .find(|a| a.oid == LOCAL_KEY_ID)?
        .values
        .iter()
        .next()?
        .decode_as::<OctetString>()
        .ok()
        .map(OctetString::into_bytes)
}

/// `[0] EXPLICIT` bag value.
pub(super) fn bag_value<'a, T: Decode<'a>>(
    path: &Path,
    bag: &'a SafeBag,
    what: &'static str,
) -> Result<T, KeyError> {
    let cs = ContextSpecific::<T>::from_der(&bag.bag_value)
        .map_err(|e| KeyError::malformed(path, what, e))?;
    if cs.tag_number != der::TagNumber::N0 {
        return Err(KeyError::malformed(
            path,
            what,
            "bag value is not tagged [0]",
        ));
    }
    Ok(cs.value)
}

pub(super) fn collect_bags(
    path: &Path,
    bags: &[SafeBag],
    pass: &Passphrase<'_>,
    found: &mut Found,
    depth: usize,
) -> Result<(), KeyError> {
    for bag in bags {
        match bag.bag_id {
            pkcs12::PKCS_12_PKCS8_KEY_BAG_OID => {
                let epki: EncryptedPrivateKeyInfo = bag_value(path, bag, "shrouded key bag")?;
                let pkcs8 = decrypt_private_key(path, &epki, pass)?;
                found.keys.push((pkcs8, local_key_id(bag)));
            }
            pkcs12::PKCS_12_KEY_BAG_OID => {
                let any: der::Any = bag_value(path, bag, "key bag")?;
                let pkcs8 = any
                    .to_der()
                    .map_err(|e| KeyError::malformed(path, "key bag", e))?;
                found.keys.push((pkcs8, local_key_id(bag)));
            }
            pkcs12::PKCS_12_CERT_BAG_OID => {
                let cert_bag: CertBag = bag_value(path, bag, "certificate bag")?;
                if cert_bag.cert_id != pkcs12::PKCS_12_X509_CERT_OID {
                    continue; // SDSI certificates: not for us.
                }
                let cert = Certificate::from_der(cert_bag.cert_value.as_bytes())
                    .map_err(|e| KeyError::malformed(path, "certificate in the bundle", e))?;
                found.certs.push((cert, local_key_id(bag)));
            }
            pkcs12::PKCS_12_SAFE_CONTENTS_BAG_OID => {
                if depth >= MAX_BAG_DEPTH {
                    return Err(KeyError::malformed(
                        path,
                        "PKCS#12 SafeContents",
                        "bags nested too deeply",
                    ));
                }
                let inner: SafeContents = bag_value(path, bag, "safe contents bag")?;
                collect_bags(path, &inner, pass, found, depth + 1)?;
            }
            _ => {} // CRL and secret bags: ignored.
        }
    }
    Ok(())
}

pub(super) fn pick_credentials(path: &Path, found: Found) -> Result<Credentials, KeyError> {
    if found.keys.is_empty() {
        return Err(KeyError::NoPrivateKey {
            path: path.to_path_buf(),
        });
    }
    if found.certs.is_empty() {
        return Err(KeyError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    let mut first_error = None;
    for (pkcs8, key_id) in &found.keys {
        let key = match rsa_from_pkcs8(path, pkcs8, true) {
            Ok(key) => key,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        let public = key.to_public_key();
        let matching: Vec<usize> = found
            .certs
            .iter()
            .enumerate()
            .filter(|(_, (c, _))| cert_has_key(c, &public))
            .map(|(i, _)| i)
            .collect();
        // Several certificates for one key (renewals): prefer the one the bundle links to it.
        let leaf_index = matching
            .iter()
            .copied()
            .find(|&i| key_id.is_some() && found.certs[i].1 == *key_id)
            .or_else(|| matching.first().copied());
        if let Some(leaf_index) = leaf_index {
            let mut certs: Vec<Certificate> = found.certs.into_iter().map(|(c, _)| c).collect();
            let leaf = certs.remove(leaf_index);
            return Ok(Credentials {
                key,
                chain: dedup_chain(&leaf, certs),
                cert: leaf,
            });
        }
    }
    Err(first_error.unwrap_or_else(|| KeyError::KeyMismatch {
        path: path.to_path_buf(),
    }))
}
