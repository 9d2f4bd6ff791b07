//! Digest algorithms named by OID, streaming (RFC 5754, RFC 3370; FIPS 180-4).

use const_oid::ObjectIdentifier as Oid;
use sha2::Digest;

use super::oids;

/// A digest algorithm sohoa can compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DigestAlg {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    pub fn from_oid(oid: &Oid) -> Option<Self> {
        Some(match *oid {
            o if o == oids::SHA1 => Self::Sha1,
            o if o == oids::SHA224 => Self::Sha224,
            o if o == oids::SHA256 => Self::Sha256,
            o if o == oids::SHA384 => Self::Sha384,
            o if o == oids::SHA512 => Self::Sha512,
            _ => return None,
        })
    }

    pub fn oid(self) -> Oid {
        match self {
            Self::Sha1 => oids::SHA1,
            Self::Sha224 => oids::SHA224,
            Self::Sha256 => oids::SHA256,
            Self::Sha384 => oids::SHA384,
            Self::Sha512 => oids::SHA512,
        }
    }

    /// AlgorithmIdentifier with absent parameters (RFC 5754 §2: "SHOULD be absent").
    pub fn algorithm_identifier(self) -> spki::AlgorithmIdentifierOwned {
        spki::AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    pub fn hasher(self) -> Hasher {
        match self {
            Self::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Self::Sha224 => Hasher::Sha224(sha2::Sha224::new()),
            Self::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Self::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Self::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(data);
        h.finalize()
    }
}

/// Why [`sha256_stream`] stopped: the reader failed, or `each` refused a chunk.
#[derive(Debug)]
pub enum StreamError<E> {
    Read { read: u64, source: std::io::Error },
    Chunk(E),
}

/// SHA-256 (lower-case hex) and length of everything `reader` yields, read in 64 KiB chunks;
/// each chunk is also given to `each` (to copy it on, or to bound the total), which may stop
/// the stream. The one hashing loop of the files the service takes, the store keeps and the
/// desk copies out.
pub fn sha256_stream<E>(
    reader: &mut dyn std::io::Read,
    mut each: impl FnMut(&[u8], u64) -> Result<(), E>,
) -> Result<(String, u64), StreamError<E>> {
    let mut hasher = DigestAlg::Sha256.hasher();
    let mut buf = vec![0u8; 64 * 1024];
    let mut read = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n.min(buf.len()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(StreamError::Read { read, source }),
        };
        let chunk = &buf[..n];
        read = read.saturating_add(n as u64);
        each(chunk, read).map_err(StreamError::Chunk)?;
        hasher.update(chunk);
    }
    Ok((hex::encode(hasher.finalize()), read))
}

/// A running digest of any supported algorithm.
#[derive(Clone)]
pub enum Hasher {
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha1(h) => h.update(data),
            Self::Sha224(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha384(h) => h.update(data),
            Self::Sha512(h) => h.update(data),
        }
    }

    pub fn finalize(self) -> Vec<u8> {
        match self {
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha224(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
            Self::Sha384(h) => h.finalize().to_vec(),
            Self::Sha512(h) => h.finalize().to_vec(),
        }
    }
}
