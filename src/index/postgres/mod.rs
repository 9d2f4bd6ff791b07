//! Stage `store`, the index on PostgreSQL (a province's shared index): the statements of
//! `super::sql` on a `postgres` connection (`?1` written as `$1`, prepared once per
//! connection); every write transaction takes one advisory lock first, so writers take turns
//! as on SQLite and the audit chain and the register's numbers stay gapless across nodes;
//! full text in a `tsvector` column under the text search configuration `sohoa_vi` (`simple`
//! with `unaccent`), found through its GIN index and ranked by `ts_rank`.

mod connect;

use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement, Transaction};

use super::sql::{Backend, DbError, Dialect, Row, Sql, SqlIndex, Tx, Value};
use super::IndexError;
use crate::text;

pub(crate) use connect::redacted;
pub use connect::{pg_config, ConnectError};

/// The advisory lock every write transaction takes first ("sohoa" in ASCII).
const WRITE_LOCK: i64 = 0x0073_6f68_6f61;

/// A text search matching more papers than this is "broad": its newest this many matches are
/// searched, unranked (as on SQLite).
pub const BROAD_TEXT: i64 = 5_000;

/// Prepared statements kept per connection; beyond this the cache starts again (a search
/// with free criteria makes new statement texts).
const STATEMENT_CACHE: usize = 256;

/// The PostgreSQL index.
pub type PgIndex = SqlIndex<PgBackend>;

/// A PostgreSQL connection, as the index uses it.
pub struct PgBackend {
    conn: PgConn,
}

struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl SqlIndex<PgBackend> {
    /// Connects to the database of `url` (`postgresql://…`, completed by the `PG*` variables
    /// and the password file as libpq does, see [`pg_config`]) and brings its schema up to
    /// date.
    pub fn connect(url: &str) -> Result<Self, IndexError> {
        let (config, name) = connect::from_environment(url).map_err(|e| IndexError::Invalid {
            db: connect::redacted(url),
            message: e.to_string(),
        })?;
        let client = config.connect(NoTls).map_err(|e| IndexError::Sql {
            db: name.clone(),
            source: e.into(),
        })?;
        SqlIndex::init(
            PgBackend {
                conn: PgConn {
                    client,
                    statements: HashMap::new(),
                },
            },
            name,
        )
    }
}

/// `sql` with its `?N` placeholders written `$N` (outside quoted text).
fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => v.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("an integer given for a parameter of type {ty}").into()),
            },
            Value::Real(v) => match *ty {
                Type::FLOAT8 => v.to_sql(ty, out),
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => Err(format!("a real number given for a parameter of type {ty}").into()),
            },
            Value::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn cell(r: &postgres::Row, i: usize) -> Result<Value, DbError> {
    let ty = r.columns()[i].type_().clone();
    let v = match ty {
        Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
        Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map(Value::from),
        Type::INT2 => r
            .try_get::<_, Option<i16>>(i)?
            .map(|v| Value::Int(v.into())),
        Type::BOOL => r
            .try_get::<_, Option<bool>>(i)?
            .map(|v| Value::Int(v.into())),
        Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map(Value::Real),
        Type::FLOAT4 => r
            .try_get::<_, Option<f32>>(i)?
            .map(|v| Value::Real(v.into())),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            r.try_get::<_, Option<String>>(i)?.map(Value::Text)
        }
        other => {
            return Err(DbError::Data(format!(
                "column {} is of type {other}, which the index does not read",
                r.columns()[i].name()
            )))
        }
    };
    Ok(v.unwrap_or(Value::Null))
}

fn row_of(r: &postgres::Row) -> Result<Row, DbError> {
    (0..r.len())
        .map(|i| cell(r, i))
        .collect::<Result<_, _>>()
        .map(Row)
}

fn params(args: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

/// Where statements run: the connection, or a transaction on it.
trait Runner {
    fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error>;
    fn query(
        &mut self,
        st: &Statement,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error>;
    fn execute(
        &mut self,
        st: &Statement,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error>;
    fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error>;
    fn query_each(
        &mut self,
        st: &Statement,
        args: &[Value],
        f: &mut dyn FnMut(&postgres::Row) -> Result<(), DbError>,
    ) -> Result<(), DbError>;
}

/// Each row of `it` through `f`.
fn drain(
    mut it: postgres::RowIter<'_>,
    f: &mut dyn FnMut(&postgres::Row) -> Result<(), DbError>,
) -> Result<(), DbError> {
    use postgres::fallible_iterator::FallibleIterator;
    while let Some(r) = it.next()? {
        f(&r)?;
    }
    Ok(())
}

/// [`Runner`] for the connection and for a transaction: the same calls of each's own methods.
macro_rules! runner {
    ($t:ty) => {
        impl Runner for $t {
            fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
                <$t>::prepare(self, sql)
            }
            fn query(
                &mut self,
                st: &Statement,
                args: &[&(dyn ToSql + Sync)],
            ) -> Result<Vec<postgres::Row>, postgres::Error> {
                <$t>::query(self, st, args)
            }
            fn execute(
                &mut self,
                st: &Statement,
                args: &[&(dyn ToSql + Sync)],
            ) -> Result<u64, postgres::Error> {
                <$t>::execute(self, st, args)
            }
            fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
                <$t>::batch_execute(self, sql)
            }
            fn query_each(
                &mut self,
                st: &Statement,
                args: &[Value],
                f: &mut dyn FnMut(&postgres::Row) -> Result<(), DbError>,
            ) -> Result<(), DbError> {
                drain(<$t>::query_raw(self, st, args.iter())?, f)
            }
        }
    };
}

runner!(Client);
runner!(Transaction<'_>);

/// The prepared statement of `sql` (`?N` placeholders), from the connection's cache.
fn statement(
    run: &mut dyn Runner,
    cache: &mut HashMap<String, Statement>,
    sql: &str,
) -> Result<Statement, DbError> {
    if let Some(st) = cache.get(sql) {
        return Ok(st.clone());
    }
    let st = run.prepare(&dollar_placeholders(sql))?;
    if cache.len() >= STATEMENT_CACHE {
        cache.clear();
    }
    cache.insert(sql.to_string(), st.clone());
    Ok(st)
}

/// The [`Sql`] of a runner and the connection's statement cache.
struct On<'a, R: Runner> {
    run: R,
    cache: &'a mut HashMap<String, Statement>,
}

impl<R: Runner> Sql for On<'_, R> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, DbError> {
        let st = statement(&mut self.run, self.cache, sql)?;
        Ok(self.run.execute(&st, &params(args))?)
    }

    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, DbError> {
        let st = statement(&mut self.run, self.cache, sql)?;
        self.run
            .query(&st, &params(args))?
            .iter()
            .map(row_of)
            .collect()
    }

    fn insert_id(&mut self, sql: &str, args: &[Value]) -> Result<i64, DbError> {
        let rows = self.rows(&format!("{sql} RETURNING id"), args)?;
        rows.first()
            .ok_or_else(|| DbError::Data("an insert gave no id".into()))?
            .int(0)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.run.batch_execute(sql)?)
    }

    fn each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        let st = statement(&mut self.run, self.cache, sql)?;
        self.run.query_each(&st, args, &mut |r| f(row_of(r)?))
    }
}

impl<'a> Tx for On<'a, Transaction<'a>> {
    fn commit(self: Box<Self>) -> Result<(), DbError> {
        Ok(self.run.commit()?)
    }
}

impl Sql for PgConn {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, DbError> {
        self.on().exec(sql, args)
    }
    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, DbError> {
        self.on().rows(sql, args)
    }
    fn insert_id(&mut self, sql: &str, args: &[Value]) -> Result<i64, DbError> {
        self.on().insert_id(sql, args)
    }
    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.on().batch(sql)
    }
    fn each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        self.on().each(sql, args, f)
    }
}

impl PgConn {
    fn on(&mut self) -> On<'_, &mut Client> {
        On {
            run: &mut self.client,
            cache: &mut self.statements,
        }
    }
}

impl<R: Runner + ?Sized> Runner for &mut R {
    fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        (**self).prepare(sql)
    }
    fn query(
        &mut self,
        st: &Statement,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        (**self).query(st, args)
    }
    fn execute(
        &mut self,
        st: &Statement,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        (**self).execute(st, args)
    }
    fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        (**self).batch_execute(sql)
    }
    fn query_each(
        &mut self,
        st: &Statement,
        args: &[Value],
        f: &mut dyn FnMut(&postgres::Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        (**self).query_each(st, args, f)
    }
}

impl Backend for PgBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn conn(&mut self) -> &mut dyn Sql {
        &mut self.conn
    }

    fn write(&mut self) -> Result<Box<dyn Tx + '_>, DbError> {
        let PgConn { client, statements } = &mut self.conn;
        let mut on = On {
            run: client.transaction()?,
            cache: statements,
        };
        on.exec(
            "SELECT pg_advisory_xact_lock(?1)",
            &[Value::Int(WRITE_LOCK)],
        )?;
        Ok(Box::new(on))
    }

    fn text_insert(tx: &mut dyn Sql, id: i64, ocr_text: &str) -> Result<(), DbError> {
        let folded = text::fold(ocr_text);
        let words: Vec<&str> = text::tokens(&folded).collect();
        tx.exec(
            "INSERT INTO component_text (component_id, tsv) VALUES (?1, sohoa_tsv(?2))",
            &[Value::Int(id), Value::Text(words.join(" "))],
        )
        .map(|_| ())
    }

    /// As on SQLite: more than [`BROAD_TEXT`] matches give the newest, unranked; fewer are
    /// ranked by `ts_rank` over the stored `tsvector` (read for those rows only).
    fn text_matches(
        &mut self,
        words: &[String],
        only_text: bool,
        limit: usize,
        args: &mut Vec<Value>,
    ) -> Result<Option<String>, DbError> {
        let all = words.join(" ");
        let n = self
            .conn
            .row(
                "SELECT COUNT(*) FROM (SELECT 1 FROM component_text
                 WHERE tsv @@ sohoa_tsq(?1) LIMIT ?2) m",
                &[Value::from(all.as_str()), Value::Int(BROAD_TEXT + 1)],
            )?
            .map_or(Ok(0), |r| r.int(0))?;
        if n == 0 {
            return Ok(None);
        }
        args.push(Value::Text(all));
        let q = format!("sohoa_tsq(?{})", args.len());
        let lim = if only_text {
            format!("LIMIT {limit}")
        } else {
            String::new()
        };
        Ok(Some(if n > BROAD_TEXT {
            let scan = if only_text { limit as i64 } else { BROAD_TEXT };
            format!(
                "SELECT component_id AS rid, CAST(0.0 AS REAL) AS score FROM component_text
                 WHERE tsv @@ {q} ORDER BY component_id DESC LIMIT {scan}"
            )
        } else {
            format!(
                "SELECT component_id AS rid, -ts_rank(tsv, {q}) AS score FROM component_text
                 WHERE tsv @@ {q} ORDER BY score {lim}"
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quoted_text() {
        assert_eq!(
            dollar_placeholders("SELECT ?1, '?2', \"a?3\", x ~ '(a)?(b)' FROM t WHERE y = ?12"),
            "SELECT $1, '?2', \"a?3\", x ~ '(a)?(b)' FROM t WHERE y = $12"
        );
        // a question mark not followed by a digit is left alone
        assert_eq!(dollar_placeholders("a ? b"), "a ? b");
    }
}
