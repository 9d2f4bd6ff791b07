//! Stage `store`, where the index lives: `[index] url`, parsed without I/O into an
//! [`IndexLocation`] — a SQLite file (the embedded default, one desk) or a PostgreSQL
//! database (a province's shared index) — and opened by [`IndexLocation::open`].

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Index, IndexError, PgIndex, ServiceIndex, SqliteIndex};

/// Where the index lives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IndexLocation {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL database: its URL (`postgresql://…`; a password in it is never shown).
    Postgres(String),
}

/// Why `[index] url` cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocationError {
    #[error("[index] url = {0:?}: expected \"sqlite:PATH\" or \"postgresql://…\"")]
    Scheme(String),
    #[error("[index] url = \"sqlite:\": the path of the database file is missing")]
    NoPath,
}

impl IndexLocation {
    /// Parses `url`; a relative SQLite path is taken relative to `base` (the configuration
    /// file's folder).
    pub fn parse(url: &str, base: &Path) -> Result<Self, LocationError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(LocationError::NoPath);
            }
            let p = Path::new(path);
            return Ok(IndexLocation::Sqlite(if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }));
        }
        if url.starts_with("postgresql://") || url.starts_with("postgres://") {
            return Ok(IndexLocation::Postgres(url.to_string()));
        }
        Err(LocationError::Scheme(super::postgres::redacted(url)))
    }

    /// Whether several sohoa processes on several machines may share it (PostgreSQL);
    /// a SQLite file serves the processes of one machine.
    pub fn is_shared(&self) -> bool {
        matches!(self, IndexLocation::Postgres(_))
    }

    /// Opens it, bringing its schema up to date.
    pub fn open(&self) -> Result<Box<dyn Index + Send>, IndexError> {
        Ok(match self {
            IndexLocation::Sqlite(p) => Box::new(SqliteIndex::open(p)?),
            IndexLocation::Postgres(url) => Box::new(PgIndex::connect(url)?),
        })
    }

    /// [`IndexLocation::open`], as the inbox service's narrower view.
    pub fn open_service(&self) -> Result<Box<dyn ServiceIndex + Send>, IndexError> {
        Ok(match self {
            IndexLocation::Sqlite(p) => Box::new(SqliteIndex::open(p)?),
            IndexLocation::Postgres(url) => Box::new(PgIndex::connect(url)?),
        })
    }
}

impl fmt::Display for IndexLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexLocation::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            IndexLocation::Postgres(url) => f.write_str(&super::postgres::redacted(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_sqlite_file_or_a_postgresql_database() {
        let base = Path::new("/etc/sohoa");
        assert_eq!(
            IndexLocation::parse("sqlite:data/index.sqlite", base).unwrap(),
            IndexLocation::Sqlite("/etc/sohoa/data/index.sqlite".into())
        );
        assert_eq!(
            IndexLocation::parse("sqlite:///var/lib/sohoa/index.sqlite", base).unwrap(),
            IndexLocation::Sqlite("/var/lib/sohoa/index.sqlite".into())
        );
        let pg = IndexLocation::parse("postgresql://u:pw@db/sohoa", base).unwrap();
        assert!(pg.is_shared());
        assert_eq!(pg.to_string(), "postgresql://u:***@db/sohoa");
        let e = IndexLocation::parse("mysql://u:pw@db/x", base).unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
        assert!(IndexLocation::parse("sqlite:", base).is_err());
    }
}
