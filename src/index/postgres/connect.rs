//! Stage `store`, how the PostgreSQL index is reached: the `[index] url` completed as libpq
//! completes it (the `postgres` crate does not): `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`,
//! `PGPASSWORD`, `PGAPPNAME`, `PGCONNECT_TIMEOUT` for what the URL leaves out, then the password
//! file (`PGPASSFILE`, else `~/.pgpass`, ignored when others may read it), so no password
//! need be written in the configuration; TLS as `sslmode`/`sslrootcert` (or `PGSSLMODE`/
//! `PGSSLROOTCERT`) say, see [`Tls`]. [`pg_config`] is pure; [`PgTarget::from_environment`]
//! reads the process's variables and the file, [`PgTarget::connect`] connects.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::{Client, Config};

/// Why the index's URL cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    #[error("not a PostgreSQL connection URL: {0}")]
    Url(String),
    #[error("{var} = {value:?}: {why}")]
    Variable {
        var: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("{db}: the TLS roots {}: {message}", file.display())]
    Roots {
        db: String,
        file: PathBuf,
        message: String,
    },
    /// (the server's error is not marked as the source: its message, with its causes, is
    /// already in this one)
    #[error("{db}: {}", crate::index::sql::pg_message(.error))]
    Server { db: String, error: postgres::Error },
}

/// Whether the connection is encrypted (libpq's `sslmode`, stricter).
///
/// - `disable`, `allow`, `prefer` (libpq's default): a plain connection. libpq's `prefer`
///   encrypts when the server offers it without checking who the server is; sohoa does not
///   pretend that protects anything, so it does not.
/// - `require`, `verify-ca`, `verify-full`: TLS (1.2 or 1.3, by rustls), the server's
///   certificate checked against the roots and its name against the host, all three alike
///   (libpq's `require` checks neither). The roots: `sslrootcert`, else `PGSSLROOTCERT`, else
///   the system's bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tls {
    Off,
    Verified { roots: PathBuf },
}

/// Debian's bundle of the system's trusted roots (package `ca-certificates`).
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The index's database, ready to connect to: the crate's settings, the name messages use
/// (never a password), and the TLS to speak.
#[derive(Debug, Clone)]
pub struct PgTarget {
    pub config: Config,
    pub name: String,
    pub tls: Tls,
}

impl PgTarget {
    /// [`pg_config`] with this process's variables and password file.
    pub fn from_environment(url: &str) -> Result<Self, ConnectError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let path = env("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| std::path::Path::new(&h).join(".pgpass")));
        let pgpass = path.and_then(|p| read_private(&p));
        pg_config(url, &env, pgpass.as_deref())
    }

    /// A connection, encrypted as [`PgTarget::tls`] says.
    pub fn connect(&self) -> Result<Client, ConnectError> {
        let server = |error| ConnectError::Server {
            db: self.name.clone(),
            error,
        };
        match &self.tls {
            Tls::Off => self.config.connect(postgres::NoTls).map_err(server),
            Tls::Verified { roots } => {
                let tls = super::tls::connector(roots).map_err(|message| ConnectError::Roots {
                    db: self.name.clone(),
                    file: roots.clone(),
                    message,
                })?;
                self.config.connect(tls).map_err(server)
            }
        }
    }
}

/// Connects to the database of `url` as the index does (the process's `PG*` variables, its
/// password file, TLS as the URL says).
pub fn pg_connect(url: &str) -> Result<Client, ConnectError> {
    PgTarget::from_environment(url)?.connect()
}

/// Debian's libpq looks for the server's socket here when no host is given.
const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// The connection settings of `url` completed from `env` (a variable's value by name) and the
/// password file's text `pgpass`, the database's name for messages (without password), and
/// its TLS.
pub fn pg_config(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
    pgpass: Option<&str>,
) -> Result<PgTarget, ConnectError> {
    // the crate knows neither verify-ca/verify-full nor sslrootcert: they are taken out here
    let (url, mode, root) = take_tls_options(url);
    let mode = mode.or_else(|| env("PGSSLMODE"));
    let tls = match mode.as_deref() {
        None | Some("disable" | "allow" | "prefer") => Tls::Off,
        Some("require" | "verify-ca" | "verify-full") => Tls::Verified {
            roots: root
                .or_else(|| env("PGSSLROOTCERT"))
                .map_or_else(|| PathBuf::from(SYSTEM_ROOTS), PathBuf::from),
        },
        Some(other) => {
            return Err(ConnectError::Variable {
                var: "sslmode",
                value: other.to_string(),
                why: "not one of disable, allow, prefer, require, verify-ca, verify-full",
            })
        }
    };
    let env_port = match env("PGPORT") {
        Some(p) => Some(p.parse::<u16>().map_err(|_| ConnectError::Variable {
            var: "PGPORT",
            value: p.clone(),
            why: "not a port number",
        })?),
        None => None,
    };
    // the crate fills in 5432 for a host named without a port: PGPORT goes into the URL first
    let url = match env_port {
        Some(port) if !url_names_port(&url) => with_port(&url, port),
        _ => url,
    };
    let mut c = Config::from_str(&url)
        .map_err(|e| ConnectError::Url(format!("{}: {e}", redacted(&url))))?;
    c.ssl_mode(match tls {
        Tls::Off => SslMode::Disable,
        Tls::Verified { .. } => SslMode::Require,
    });
    if c.get_hosts().is_empty() {
        let host = env("PGHOST").unwrap_or_else(|| DEFAULT_SOCKET_DIR.into());
        for h in host.split(',') {
            c.host(h);
        }
    }
    if c.get_ports().is_empty() {
        if let Some(port) = env_port {
            c.port(port);
        }
    }
    if c.get_user().is_none() {
        if let Some(u) = env("PGUSER").or_else(|| env("USER")) {
            c.user(&u);
        }
    }
    if c.get_dbname().is_none() {
        if let Some(d) = env("PGDATABASE").or_else(|| c.get_user().map(str::to_string)) {
            c.dbname(&d);
        }
    }
    if c.get_application_name().is_none() {
        c.application_name(&env("PGAPPNAME").unwrap_or_else(|| "sohoa".into()));
    }
    if c.get_connect_timeout().is_none() {
        let secs = match env("PGCONNECT_TIMEOUT") {
            Some(t) => t.parse::<u64>().map_err(|_| ConnectError::Variable {
                var: "PGCONNECT_TIMEOUT",
                value: t.clone(),
                why: "not a number of seconds",
            })?,
            None => 10,
        };
        c.connect_timeout(Duration::from_secs(secs.max(1)));
    }
    if c.get_password().is_none() {
        let password = env("PGPASSWORD").or_else(|| {
            let host = match c.get_hosts().first() {
                Some(Host::Tcp(h)) => h.clone(),
                // libpq matches a socket connection as "localhost"
                _ => "localhost".into(),
            };
            let port = c.get_ports().first().copied().unwrap_or(5432);
            pgpass_password(
                pgpass?,
                &host,
                port,
                c.get_dbname().unwrap_or(""),
                c.get_user().unwrap_or(""),
            )
        });
        if let Some(p) = password {
            c.password(p);
        }
    }
    let name = describe(&c);
    Ok(PgTarget {
        config: c,
        name,
        tls,
    })
}

/// `url` without its `sslmode` and `sslrootcert` options, and their values (URL form, percent
/// escapes undone; the `key=value` form keeps its options for the crate).
fn take_tls_options(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((head, query)) = url.split_once('?') else {
        return (url.to_string(), None, None);
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("sslmode", v)) => mode = Some(unescape(v)),
            Some(("sslrootcert", v)) => root = Some(unescape(v)),
            _ => kept.push(kv),
        }
    }
    let url = if kept.is_empty() {
        head.to_string()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    (url, mode, root)
}

/// A URL's `%XX` escapes undone (a path in `sslrootcert`); bytes that are not UTF-8 become
/// U+FFFD, so such a path fails to open and is named.
fn unescape(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a `postgresql://` URL gives a port (`host:port`, `[v6]:port`).
fn url_names_port(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        // key=value form: its port is only there when said
        return url.contains("port=");
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hosts.split(',').any(|h| match h.rfind(']') {
        Some(i) => h[i..].contains(':'),
        None => h.contains(':'),
    }) || rest.contains("port=")
}

/// A `postgresql://` URL with `:port` after each host it names (none named: unchanged).
fn with_port(url: &str, port: u16) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    if hosts.is_empty() {
        return url.to_string();
    }
    let hosts: Vec<String> = hosts.split(',').map(|h| format!("{h}:{port}")).collect();
    format!("{scheme}://{user}{}{tail}", hosts.join(","))
}

/// The password of the first line of a password file (`host:port:database:user:password`,
/// `*` matching anything, `\:` and `\\` escaped) that matches.
pub fn pgpass_password(
    file: &str,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    for line in file.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_escaped(line);
        let [h, p, d, u, pw] = fields.as_slice() else {
            continue;
        };
        let matches = |pattern: &str, v: &str| pattern == "*" || pattern == v;
        if matches(h, host) && matches(p, &port) && matches(d, dbname) && matches(u, user) {
            return Some(pw.clone());
        }
    }
    None
}

fn split_escaped(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), fields.last_mut()) {
                    last.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

/// `postgresql://user@host:port/db`: the database named in messages, never its password.
fn describe(c: &Config) -> String {
    let host = match c.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = c
        .get_ports()
        .first()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    format!(
        "postgresql://{}@{host}{port}/{}",
        c.get_user().unwrap_or(""),
        c.get_dbname().unwrap_or("")
    )
}

/// `url` with any password replaced by `***` (for messages about a URL that did not parse).
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = match userinfo.split_once(':') {
                Some((u, _)) => format!("{u}:***"),
                None => userinfo.to_string(),
            };
            format!("{scheme}://{user}@{host}{}", mask_query_password(tail))
        }
        None => format!("{scheme}://{auth}{}", mask_query_password(tail)),
    }
}

fn mask_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// The file's text when only its owner may read it (libpq ignores a password file others can
/// read); `None` when it is missing, unreadable or too open.
fn read_private(path: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 || meta.len() > 1 << 20 {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_url_is_completed_by_pg_variables_and_the_password_file() {
        let env = env_of(&[
            ("PGHOST", "127.0.0.1"),
            ("PGPORT", "5433"),
            ("PGUSER", "desk"),
            ("PGDATABASE", "sohoa"),
        ]);
        let pgpass =
            "# comment\n127.0.0.1:5433:other:desk:wrong\n127.0.0.1:*:sohoa:desk:s\\:cret\n";
        let PgTarget {
            config: c, name, ..
        } = pg_config("postgresql://", &env, Some(pgpass)).unwrap();
        assert_eq!(c.get_hosts(), &[Host::Tcp("127.0.0.1".into())]);
        assert_eq!(c.get_ports(), &[5433]);
        assert_eq!(c.get_user(), Some("desk"));
        assert_eq!(c.get_dbname(), Some("sohoa"));
        assert_eq!(c.get_password(), Some(&b"s:cret"[..]));
        assert_eq!(name, "postgresql://desk@127.0.0.1:5433/sohoa");
    }

    #[test]
    fn what_the_url_says_wins_over_the_variables() {
        let env = env_of(&[("PGHOST", "db.example"), ("PGPASSWORD", "fromenv")]);
        let PgTarget {
            config: c, name, ..
        } = pg_config("postgresql://a:inurl@10.0.0.5:6000/idx", &env, None).unwrap();
        assert_eq!(c.get_hosts(), &[Host::Tcp("10.0.0.5".into())]);
        assert_eq!(c.get_password(), Some(&b"inurl"[..]));
        assert!(!name.contains("inurl"), "{name}");
    }

    #[test]
    fn a_bad_port_variable_is_named() {
        let env = env_of(&[("PGPORT", "five")]);
        let e = pg_config("postgresql://h/db", &env, None).unwrap_err();
        assert!(e.to_string().contains("PGPORT"), "{e}");
        // a URL's own port is kept
        let env = env_of(&[("PGPORT", "7000")]);
        let c = pg_config("postgresql://h:6000/db", &env, None)
            .unwrap()
            .config;
        assert_eq!(c.get_ports(), &[6000]);
        let c = pg_config("postgresql://h/db", &env, None).unwrap().config;
        assert_eq!(c.get_ports(), &[7000]);
    }

    #[test]
    fn messages_never_show_a_password() {
        assert_eq!(
            redacted("postgresql://u:secret@h:5432/db?password=x&sslmode=require"),
            "postgresql://u:***@h:5432/db?password=***&sslmode=require"
        );
        assert_eq!(redacted("postgresql://h/db"), "postgresql://h/db");
        assert_eq!(redacted("postgresql://u@h/db"), "postgresql://u@h/db");
    }

    #[test]
    fn tls_is_off_unless_asked_and_then_verified_against_the_named_roots() {
        let none = env_of(&[]);
        let t = |url: &str, env: &dyn Fn(&str) -> Option<String>| pg_config(url, env, None);
        assert_eq!(t("postgresql://h/db", &none).unwrap().tls, Tls::Off);
        assert_eq!(
            t("postgresql://h/db?sslmode=prefer", &none).unwrap().tls,
            Tls::Off
        );
        let v = t(
            "postgresql://h/db?application_name=x&sslmode=verify-full&sslrootcert=/etc/r%20a.pem",
            &none,
        )
        .unwrap();
        assert_eq!(
            v.tls,
            Tls::Verified {
                roots: "/etc/r a.pem".into()
            }
        );
        assert_eq!(v.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(v.config.get_application_name(), Some("x"));
        // libpq's require is verified too, by default against the system's roots
        let env = env_of(&[("PGSSLMODE", "require")]);
        assert_eq!(
            t("postgresql://h/db", &env).unwrap().tls,
            Tls::Verified {
                roots: SYSTEM_ROOTS.into()
            }
        );
        let env = env_of(&[("PGSSLMODE", "require"), ("PGSSLROOTCERT", "/r.pem")]);
        assert_eq!(
            t("postgresql://h/db", &env).unwrap().tls,
            Tls::Verified {
                roots: "/r.pem".into()
            }
        );
        // the URL's mode wins over the variable's
        assert_eq!(
            t("postgresql://h/db?sslmode=disable", &env).unwrap().tls,
            Tls::Off
        );
        let e = t("postgresql://h/db?sslmode=maybe", &none).unwrap_err();
        assert!(e.to_string().contains("maybe"), "{e}");
    }
}
