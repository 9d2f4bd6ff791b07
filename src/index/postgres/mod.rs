//! Stage `store`, the index on PostgreSQL (a province's shared index): the statements of
//! `super::sql` on a `postgres` connection (`?1` written as `$1`, prepared once per
//! connection); every write transaction takes one advisory lock first, so writers take turns
//! as on SQLite and the audit chain and the register's numbers stay gapless across nodes;
//! full text in a `tsvector` column under the text search configuration `sohoa_vi` (`simple`
//! with `unaccent`), found through its GIN index and ranked by `ts_rank`.

mod connect;
mod tls;

use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, Statement, Transaction};

use super::sql::{Backend, DbError, Dialect, Row, Sql, SqlIndex, Tx, Value};
use super::IndexError;
use crate::text;

pub(crate) use connect::redacted;
pub use connect::{pg_config, pg_connect, ConnectError, PgTarget, Tls};

/// The advisory lock every write transaction takes first ("sohoa" in ASCII).
const WRITE_LOCK: i64 = 0x0073_6f68_6f61;

/// A text search matching more papers than this is "broad": its newest this many matches are
/// searched, unranked (as on SQLite).
pub const BROAD_TEXT: i64 = 5_000;

/// A text search first reads this many of the newest papers' words, to see how common its
/// words are among them.
const PROBE_ROWS: i64 = 1_000;

/// On at least this share (%) of the newest papers, a search's words are counted walking back
/// from the newest paper rather than through the GIN index.
const DENSE_PERCENT: i64 = 5;

/// The walk back counts through at most this many papers before the GIN index counts.
const WALK_ROWS: i64 = 100_000;

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
    /// and the password file as libpq does, encrypted as its `sslmode` says, see
    /// [`pg_config`]) and brings its schema up to date.
    pub fn connect(url: &str) -> Result<Self, IndexError> {
        let target = PgTarget::from_environment(url).map_err(|e| IndexError::Invalid {
            db: connect::redacted(url),
            message: e.to_string(),
        })?;
        let name = target.name.clone();
        let mut client = target.connect().map_err(|e| match e {
            ConnectError::Server { db, error } => IndexError::Sql {
                db,
                source: error.into(),
            },
            other => IndexError::Invalid {
                db: name.clone(),
                message: other.to_string(),
            },
        })?;
        // Statements are prepared once per connection, and after five runs PostgreSQL may
        // switch a statement to a generic plan, made without its arguments: for a text search
        // that plan cannot tell a template phrase on 40% of the papers from a rare name, and
        // reads every match from the GIN index (measured at 1,000,000 papers: 172 ms for
        // the broad-search count, 8 ms with a plan for its words). Plans are made for the
        // arguments each time; planning these statements costs well under a millisecond.
        client
            .batch_execute("SET plan_cache_mode = force_custom_plan")
            .map_err(|e| IndexError::Sql {
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
    /// ranked by `ts_rank` over the stored `tsvector` (read for those rows only), in the same
    /// pass through the GIN index that counts them.
    ///
    /// Whether a search is broad is counted exactly, but the count is taken where it is cheap,
    /// without trusting the planner's guess (it multiplies the words' frequencies as if they
    /// were independent, and a template's words never are: measured at 1,000,000 papers, it
    /// read 400,000 matches from the GIN index for a phrase on 40% of the papers, 170–260 ms).
    /// The newest [`PROBE_ROWS`] papers are read first: where the words are on at least
    /// [`DENSE_PERCENT`] of them, the count walks back from the newest paper (it reaches
    /// [`BROAD_TEXT`] after a few thousand rows); elsewhere, or when the walk back through
    /// [`WALK_ROWS`] papers did not reach it, the GIN index counts (and ranks).
    fn text_matches(
        &mut self,
        words: &[String],
        only_text: bool,
        limit: usize,
        args: &mut Vec<Value>,
    ) -> Result<Option<String>, DbError> {
        let all = words.join(" ");
        let count = |conn: &mut PgConn, sql: &str, args: &[Value]| -> Result<i64, DbError> {
            conn.row(sql, args)?.map_or(Ok(0), |r| r.int(0))
        };
        let q = Value::from(all.as_str());
        let recent = count(
            &mut self.conn,
            "SELECT COUNT(*) FROM (SELECT tsv FROM component_text
             ORDER BY component_id DESC LIMIT ?2) w WHERE tsv @@ sohoa_tsq(?1)",
            &[q.clone(), Value::Int(PROBE_ROWS)],
        )?;
        let mut broad = false;
        if recent * 100 >= PROBE_ROWS * DENSE_PERCENT {
            let walked = count(
                &mut self.conn,
                "SELECT COUNT(*) FROM (SELECT 1 FROM (SELECT tsv FROM component_text
                 ORDER BY component_id DESC LIMIT ?2) w WHERE tsv @@ sohoa_tsq(?1) LIMIT ?3) m",
                &[q.clone(), Value::Int(WALK_ROWS), Value::Int(BROAD_TEXT + 1)],
            )?;
            broad = walked > BROAD_TEXT;
        }
        if !broad {
            // one pass through the GIN index: the matches with their ranks, up to one more
            // than a ranked search may have
            let rows = self.conn.rows(
                "SELECT component_id, CAST(ts_rank(tsv, sohoa_tsq(?1)) AS DOUBLE PRECISION)
                 FROM component_text WHERE tsv @@ sohoa_tsq(?1) LIMIT ?2",
                &[q, Value::Int(BROAD_TEXT + 1)],
            )?;
            if rows.is_empty() {
                return Ok(None);
            }
            if rows.len() as i64 <= BROAD_TEXT {
                return ranked(&rows, only_text, limit, args).map(Some);
            }
        }
        // broad: the newest matches, unranked
        args.push(Value::Text(all));
        let q = format!("sohoa_tsq(?{})", args.len());
        let scan = if only_text { limit as i64 } else { BROAD_TEXT };
        // `IS TRUE`: not a condition the GIN index answers, so the newest matches are found
        // walking back from the newest paper, not by reading every match first
        Ok(Some(format!(
            "SELECT component_id AS rid, CAST(0.0 AS REAL) AS score FROM component_text
             WHERE (tsv @@ {q}) IS TRUE ORDER BY component_id DESC LIMIT {scan}"
        )))
    }
}

/// The ranked matches `rows` (id, `ts_rank`) as the rows of a subquery (`rid`, `score` =
/// minus the rank, the best first): the best `limit` when the text is the only criterion,
/// all of them otherwise (the other criteria filter them).
fn ranked(
    rows: &[Row],
    only_text: bool,
    limit: usize,
    args: &mut Vec<Value>,
) -> Result<String, DbError> {
    let mut scored = rows
        .iter()
        .map(|r| Ok((r.int(0)?, -r.real(1)?)))
        .collect::<Result<Vec<(i64, f64)>, DbError>>()?;
    scored.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    if only_text {
        scored.truncate(limit);
    }
    let ids: Vec<String> = scored.iter().map(|(id, _)| id.to_string()).collect();
    let scores: Vec<String> = scored.iter().map(|(_, s)| s.to_string()).collect();
    args.push(Value::Text(ids.join(",")));
    args.push(Value::Text(scores.join(",")));
    let (i, s) = (args.len() - 1, args.len());
    Ok(format!(
        "SELECT CAST(r AS BIGINT) AS rid, CAST(s AS REAL) AS score
         FROM unnest(string_to_array(?{i}, ','), string_to_array(?{s}, ',')) AS m(r, s)"
    ))
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

    /// `url` asking for TLS checked against the test PKI's file `roots`.
    fn over_tls(url: &str, roots: &str) -> String {
        format!(
            "{url}?sslmode=verify-full&sslrootcert={}/certs-test/{roots}",
            env!("CARGO_MANIFEST_DIR")
        )
    }

    #[test]
    fn the_index_speaks_tls_to_a_server_whose_certificate_its_roots_vouch_for() {
        let Some(url) = crate::testing::fresh_pg_database() else {
            return;
        };
        // the test server's certificate is issued by tls-ca.pem (gen-test-pki-tls.sh)
        let tls = over_tls(&url, "tls-ca.pem");
        let mut ix = PgIndex::connect(&tls).expect("the index over TLS");
        let on_tls = ix
            .db
            .conn()
            .row(
                "SELECT CAST(ssl AS TEXT), version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .expect("this connection's row");
        assert_eq!(on_tls.text(0).unwrap(), "true");
        assert!(on_tls.text(1).unwrap().starts_with("TLSv1."), "{on_tls:?}");
        // without sslmode the same server is spoken to in the clear
        let mut c = pg_connect(&url).unwrap();
        let ssl: bool = c
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0);
        assert!(!ssl);
        // roots that do not issue the server's certificate: refused, naming the database
        let e = PgIndex::connect(&over_tls(&url, "root-ca.pem"))
            .err()
            .expect("a certificate no root vouches for");
        let m = e.to_string();
        assert!(
            m.contains("certificate") && m.contains("postgresql://"),
            "{m}"
        );
        // a roots file that is not there, or holds no certificate: named
        for (file, says) in [
            ("no-such.pem", "No such file"),
            ("README.md", "no certificate"),
        ] {
            let m = PgIndex::connect(&over_tls(&url, file))
                .err()
                .expect("no roots")
                .to_string();
            assert!(m.contains(file) && m.contains(says), "{m}");
        }
    }
}
