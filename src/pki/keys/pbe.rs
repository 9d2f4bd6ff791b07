//! Password-based decryption for key material: PBES2 (RFC 8018) via `pkcs5`, and the legacy
//! PKCS#12 PBE schemes (RFC 7292 Appendix B/C: 3DES, RC2) via the `pkcs12` KDF.

use super::*;

// ---------------------------------------------------------------------------------------------
// Password-based decryption
// ---------------------------------------------------------------------------------------------

/// The passphrase as given (PBES2 uses the bytes) and as the PKCS#12 KDF wants it (UTF-16BE with
/// a two-byte terminator; `None` if it is not text).
pub(super) struct Passphrase<'a> {
    pub(super) raw: &'a [u8],
    pub(super) bmp: Option<Vec<u8>>,
}

impl<'a> Passphrase<'a> {
    pub(super) fn new(raw: &'a [u8]) -> Self {
        let bmp = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| BmpString::from_utf8(s).ok())
            .map(|b| {
                let mut v = b.into_bytes().to_vec();
                v.extend_from_slice(&[0, 0]);
                v
            });
        Passphrase { raw, bmp }
    }

    pub(super) fn bmp(&self, path: &Path) -> Result<&[u8], KeyError> {
        self.bmp
            .as_deref()
            .ok_or_else(|| KeyError::PassphraseNotText {
                path: path.to_path_buf(),
            })
    }
}

pub(super) fn decrypt_private_key(
    path: &Path,
    epki: &EncryptedPrivateKeyInfo,
    pass: &Passphrase<'_>,
) -> Result<Vec<u8>, KeyError> {
    pbe_decrypt(
        path,
        &epki.encryption_algorithm,
        pass,
        epki.encrypted_data.as_bytes(),
        "key encryption",
        SUPPORTED_KEY_ENC,
    )
}

/// PKCS#12 appendix C password-based encryption schemes (SHA-1 KDF).
#[derive(Clone, Copy)]
pub(super) enum Pkcs12Cipher {
    TdesEde3,
    TdesEde2,
    Rc2 { key_bits: usize },
}

pub(super) fn pbe_decrypt(
    path: &Path,
    alg: &AlgorithmIdentifierOwned,
    pass: &Passphrase<'_>,
    ciphertext: &[u8],
    what: &'static str,
    supported: &'static str,
) -> Result<Vec<u8>, KeyError> {
    let cipher = match alg.oid {
        pkcs5::pbes2::PBES2_OID => {
            return pbes2_decrypt(path, alg, pass.raw, ciphertext, what, supported)
        }
        pkcs12::PKCS_12_PBE_WITH_SHAAND3_KEY_TRIPLE_DES_CBC => Pkcs12Cipher::TdesEde3,
        pkcs12::PKCS_12_PBE_WITH_SHAAND2_KEY_TRIPLE_DES_CBC => Pkcs12Cipher::TdesEde2,
        pkcs12::PKCS_12_PBE_WITH_SHAAND128_BIT_RC2_CBC => Pkcs12Cipher::Rc2 { key_bits: 128 },
        pkcs12::PKCS_12_PBEWITH_SHAAND40_BIT_RC2_CBC => Pkcs12Cipher::Rc2 { key_bits: 40 },
        oid => return Err(KeyError::unsupported_alg(path, what, oid, supported)),
    };
    let params: Pkcs12PbeParams = alg
        .parameters
        .as_ref()
        .ok_or_else(|| KeyError::malformed(path, "PKCS#12 PBE parameters", "missing"))?
        .decode_as()
        .map_err(|e| KeyError::malformed(path, "PKCS#12 PBE parameters", e))?;
    let rounds = check_iterations(path, params.iterations)?;
    let salt = params.salt.as_bytes();
    let bmp = pass.bmp(path)?;
    let (key_len, iv_len) = match cipher {
        Pkcs12Cipher::TdesEde3 => (24, 8),
        Pkcs12Cipher::TdesEde2 => (16, 8),
        Pkcs12Cipher::Rc2 { key_bits } => (key_bits / 8, 8),
    };
    let key = derive_key::<sha1::Sha1>(bmp, salt, Pkcs12KeyType::EncryptionKey, rounds, key_len);
    let iv = derive_key::<sha1::Sha1>(bmp, salt, Pkcs12KeyType::Iv, rounds, iv_len);
    let bad_len = |_| KeyError::malformed(path, "PKCS#12 PBE parameters", "bad key length");
    let plain = match cipher {
        Pkcs12Cipher::TdesEde3 => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .map_err(bad_len)?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
        Pkcs12Cipher::TdesEde2 => cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv)
            .map_err(bad_len)?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
        Pkcs12Cipher::Rc2 { key_bits } => {
            let rc2 = rc2::Rc2::new_with_eff_key_len(&key, key_bits);
            cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(rc2, &iv)
                .map_err(bad_len)?
                .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        }
    };
    plain.map_err(|_| KeyError::decryption_failed(path))
}

pub(super) fn pbes2_decrypt(
    path: &Path,
    alg: &AlgorithmIdentifierOwned,
    password: &[u8],
    ciphertext: &[u8],
    what: &'static str,
    supported: &'static str,
) -> Result<Vec<u8>, KeyError> {
    let params_der = alg
        .parameters
        .as_ref()
        .ok_or_else(|| KeyError::malformed(path, "PBES2 parameters", "missing"))?
        .to_der()
        .map_err(|e| KeyError::malformed(path, "PBES2 parameters", e))?;
    // Generic view first, to name an unsupported KDF or cipher by its OID.
    let generic = Pbes2Params::from_der(&params_der)
        .map_err(|e| KeyError::malformed(path, "PBES2 parameters", e))?;
    let params = match pkcs5::pbes2::Parameters::from_der(&params_der) {
        Ok(p) => p,
        Err(_) => {
            let oid = if generic.kdf.oid != pkcs5::pbes2::PBKDF2_OID
                && generic.kdf.oid != pkcs5::pbes2::SCRYPT_OID
            {
                generic.kdf.oid
            } else {
                generic.encryption.oid
            };
            return Err(KeyError::unsupported_alg(path, what, oid, supported));
        }
    };
    if let Some(pbkdf2) = params.kdf.pbkdf2() {
        if pbkdf2.iteration_count > MAX_ITERATIONS {
            return Err(too_many_iterations(path, u64::from(pbkdf2.iteration_count)));
        }
    }
    if let Some(scrypt) = params.kdf.scrypt() {
        // Memory is 128·r·N bytes; refuse more than 256 MiB or a silly parallelism.
        let memory = 128u128
            .saturating_mul(u128::from(scrypt.cost_parameter))
            .saturating_mul(u128::from(scrypt.block_size));
        if memory > 256 * 1024 * 1024 || scrypt.parallelization > 16 {
            return Err(KeyError::unsupported(
                path,
                "scrypt parameters too expensive (more than 256 MiB or parallelism > 16)",
            ));
        }
    }
    match params.decrypt(password, ciphertext) {
        Ok(plain) => Ok(plain),
        Err(pkcs5::Error::UnsupportedAlgorithm { oid }) => {
            if oid == pkcs5::pbes2::HMAC_WITH_SHA1_OID {
                Err(KeyError::unsupported(
                    path,
                    "PBES2 with PBKDF2-HMAC-SHA1 (re-export with PBKDF2-HMAC-SHA256, the \
                     OpenSSL 3 default)",
                ))
            } else {
                Err(KeyError::unsupported_alg(path, what, oid, supported))
            }
        }
        Err(pkcs5::Error::AlgorithmParametersInvalid { .. }) => Err(KeyError::malformed(
            path,
            "PBES2 parameters",
            "invalid parameters",
        )),
        Err(_) => Err(KeyError::decryption_failed(path)),
    }
}

pub(super) fn check_iterations(path: &Path, iterations: i32) -> Result<i32, KeyError> {
    match u32::try_from(iterations) {
        Ok(n) if (1..=MAX_ITERATIONS).contains(&n) => Ok(iterations),
        Ok(n) if n > MAX_ITERATIONS => Err(too_many_iterations(path, u64::from(n))),
        _ => Err(KeyError::malformed(
            path,
            "iteration count",
            format!("{iterations} is not positive"),
        )),
    }
}

pub(super) fn too_many_iterations(path: &Path, n: u64) -> KeyError {
    KeyError::unsupported(
        path,
        format!("iteration count {n} (limit {MAX_ITERATIONS})"),
    )
}
