//! Stage `store`, the index's values: what a statement is given ([`Value`]) and a row it gives
//! back ([`Row`]), the same on every database, and why a statement failed ([`DbError`]).

/// A statement's argument, or a cell of a row.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        v.as_deref().into()
    }
}

/// A row as read: its cells in the query's column order.
#[derive(Clone, Debug, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn cell(&self, i: usize) -> Result<&Value, DbError> {
        self.0.get(i).ok_or(DbError::Column {
            index: i,
            wanted: "a column",
            found: "none",
        })
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        match self.cell(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(DbError::column(i, "an integer", other)),
        }
    }

    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        self.opt_int(i)?.ok_or(DbError::Column {
            index: i,
            wanted: "an integer",
            found: "NULL",
        })
    }

    pub fn real(&self, i: usize) -> Result<f64, DbError> {
        match self.cell(i)? {
            Value::Real(v) => Ok(*v),
            Value::Int(v) => Ok(*v as f64),
            other => Err(DbError::column(i, "a number", other)),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.cell(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(DbError::column(i, "text", other)),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, DbError> {
        self.opt_text(i)?.ok_or(DbError::Column {
            index: i,
            wanted: "text",
            found: "NULL",
        })
    }
}

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// (not marked as the source: its Display says only "db error", which would follow the
    /// server's message in every report)
    #[error("{}", pg_message(.0))]
    Postgres(postgres::Error),
    #[error("column {index}: expected {wanted}, found {found}")]
    Column {
        index: usize,
        wanted: &'static str,
        found: &'static str,
    },
    #[error("{0}")]
    Data(String),
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        DbError::Postgres(e)
    }
}

impl DbError {
    fn column(index: usize, wanted: &'static str, found: &Value) -> Self {
        DbError::Column {
            index,
            wanted,
            found: match found {
                Value::Null => "NULL",
                Value::Int(_) => "an integer",
                Value::Real(_) => "a real number",
                Value::Text(_) => "text",
            },
        }
    }

    /// The server's SQLSTATE when it refused the statement (PostgreSQL).
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            DbError::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }
}

/// A PostgreSQL error with the server's message, detail and hint when it sent them (the
/// crate's own Display says only "db error").
pub(crate) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => {
            let mut s = format!("{}: {} ({})", d.severity(), d.message(), d.code().code());
            if let Some(detail) = d.detail() {
                s.push_str(&format!("; {detail}"));
            }
            if let Some(hint) = d.hint() {
                s.push_str(&format!("; hint: {hint}"));
            }
            s
        }
        // "error performing TLS handshake", "error connecting to server": with their causes
        // ("invalid peer certificate: UnknownIssuer", "Connection refused")
        None => {
            let mut s = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                s.push_str(&format!(": {c}"));
                cause = c.source();
            }
            s
        }
    }
}
