//! Stage `store`, named records: small write-once files kept beside the blobs but outside the
//! index — the audit log's checkpoints, so that whoever rewrites the database does not
//! rewrite its anchors too.
//!
//! A [`RecordKey`] is `folder/name`, each part a plain file name (ASCII letters, digits, `.`,
//! `-`, `_`; not starting with a dot), so a key read from outside can never reach another
//! folder. A record is written once: a put never replaces one already there
//! ([`StoreError::RecordExists`]).

use std::fmt;
use std::str::FromStr;

use super::StoreError;

/// The largest record a get returns (a checkpoint is a few kilobytes).
pub const MAX_RECORD_SIZE: u64 = 1024 * 1024;

/// The name of a record: `folder/name`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct RecordKey {
    folder: String,
    name: String,
}

/// Why `part` cannot be a part of a record key, if it cannot.
fn bad_part(part: &str) -> Option<&'static str> {
    if part.is_empty() || part.len() > 128 {
        Some("each part must be 1 to 128 characters long")
    } else if part.starts_with('.') {
        Some("a part must not start with a dot")
    } else if !part
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        Some("only ASCII letters, digits, '.', '-' and '_' are allowed")
    } else {
        None
    }
}

impl RecordKey {
    /// A key from its two parts, checked.
    pub fn new(folder: &str, name: &str) -> Result<Self, StoreError> {
        for part in [folder, name] {
            if let Some(reason) = bad_part(part) {
                return Err(StoreError::InvalidRecordKey {
                    input: format!("{folder}/{name}"),
                    reason,
                });
            }
        }
        Ok(Self {
            folder: folder.to_owned(),
            name: name.to_owned(),
        })
    }

    pub fn folder(&self) -> &str {
        &self.folder
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks a folder name alone (a listing's argument).
    pub(crate) fn check_folder(folder: &str) -> Result<(), StoreError> {
        match bad_part(folder) {
            Some(reason) => Err(StoreError::InvalidRecordKey {
                input: folder.to_owned(),
                reason,
            }),
            None => Ok(()),
        }
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.folder, self.name)
    }
}

impl FromStr for RecordKey {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((folder, name)) => Self::new(folder, name),
            None => Err(StoreError::InvalidRecordKey {
                input: s.to_owned(),
                reason: "a record key is folder/name",
            }),
        }
    }
}
