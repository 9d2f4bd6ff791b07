//! Stage `store`, names: [`BlobId`], the SHA-256 (FIPS 180-4) of a blob's bytes.

use std::fmt;
use std::str::FromStr;

use super::StoreError;

/// The address of a blob: the SHA-256 (FIPS 180-4) of its bytes as 64 lower-case hex digits.
///
/// A value exists only when it was computed from bytes or parsed and checked, so it is safe
/// to use as a file name: it never holds `/`, `..` or anything else from outside.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobId(String);

impl BlobId {
    /// Length of the hex form.
    pub const HEX_LEN: usize = 64;

    /// The 64 lower-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The RFC 6920 §7 human-readable form, `nih:sha-256;<hex>`, as `assemble` writes the
    /// sources of a PDF/A into its XMP `dc:relation`.
    pub fn nih_uri(&self) -> String {
        format!("nih:sha-256;{}", self.0)
    }

    /// The two shard folder names (`ab`, `cd` for `abcd…`).
    pub(crate) fn shards(&self) -> (&str, &str) {
        (&self.0[0..2], &self.0[2..4])
    }
}

impl FromStr for BlobId {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let reason = if s.len() != Self::HEX_LEN {
            Some("it must be exactly 64 characters long")
        } else if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Some("only the digits 0-9 and lower-case a-f are allowed")
        } else {
            None
        };
        match reason {
            None => Ok(Self(s.to_owned())),
            Some(reason) => Err(StoreError::InvalidId {
                input: shorten(s),
                reason,
            }),
        }
    }
}

impl TryFrom<String> for BlobId {
    type Error = StoreError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<BlobId> for String {
    fn from(id: BlobId) -> Self {
        id.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.0)
    }
}

/// Untrusted input, cut for an error message.
fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}
