//! Pipeline `digitize`, at the edge: a `sohoa digitize` call hands its scans to a running
//! `sohoa serve` on the same machine over a local (Unix) socket and gets the PDF/A back, so the
//! pages are read by the service's warm engines instead of two Tesseract starts per call
//! (about 0.2 s of CPU, most of a one-page call's overhead).
//!
//! Protocol, one request per connection: the client writes one JSON line ([`Request`]), then
//! the bytes of each file in order; the service answers one JSON line ([`Reply`]), then, on
//! success, `pdf_bytes` bytes of the PDF/A. The files travel in the request, so the service
//! needs no access to the caller's folders. Everything read on either side is bounded.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{digitize, DigitizeOptions, DigitizeReport};
use crate::pki::digest::DigestAlg;

/// Version of the protocol below.
const VERSION: u32 = 1;
/// Longest request header, bytes (names of up to [`MAX_FILES`] files).
const MAX_HEADER: u64 = 1 << 20;
/// Longest reply header, bytes (a report of up to 2,000 pages per file).
const MAX_REPLY: u64 = 64 << 20;
/// Most files in one request.
const MAX_FILES: usize = 1000;
/// How long either side waits for the other's next bytes.
const IO_TIMEOUT: Duration = Duration::from_secs(600);
/// How often the listener looks for a call while idle, and just after an answer (until
/// `BUSY_FOR` has passed without one).
const IDLE_POLL: Duration = Duration::from_millis(20);
const BUSY_POLL: Duration = Duration::from_millis(1);
const BUSY_FOR: Duration = Duration::from_secs(2);
/// How long a call whose sending broke off waits for the service's reason.
const REFUSAL_WAIT: Duration = Duration::from_secs(5);

/// What a client asks for.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    version: u32,
    title: Option<String>,
    dpi: Option<f32>,
    files: Vec<FileHead>,
}

/// One file of a request: the name the caller knows it by, and its size.
#[derive(Debug, Serialize, Deserialize)]
struct FileHead {
    name: String,
    bytes: u64,
}

/// What the service answers.
#[derive(Debug, Serialize, Deserialize)]
struct Reply {
    /// Why the scans could not be digitized (the message a local run would give).
    error: Option<String>,
    report: Option<DigitizeReport>,
    pdf_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandoffError {
    /// The service refused or failed the scans: the same error a local run would report.
    #[error("{0}")]
    Refused(String),
    /// The exchange broke off (the service stopped, a malformed answer): a local run may do
    /// the work instead.
    #[error("the hand-off to sohoa serve at {socket} broke off: {why}")]
    Broken { socket: String, why: String },
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
}

/// Digitizes `inputs` into `output` through the service listening on `socket`. `Ok(None)`:
/// no service listens there (no socket, or a stale one), the caller runs locally.
pub fn hand_off(
    socket: &Path,
    inputs: &[PathBuf],
    output: &Path,
    title: Option<&str>,
    dpi: Option<f32>,
) -> Result<Option<DigitizeReport>, HandoffError> {
    let mut conn = match UnixStream::connect(socket) {
        Ok(c) => c,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(broken(socket, e)),
    };
    let file_io = |p: &Path| {
        let file = p.display().to_string();
        move |source| HandoffError::Io { file, source }
    };
    let mut files = Vec::with_capacity(inputs.len());
    for p in inputs {
        let bytes = std::fs::metadata(p).map_err(file_io(p))?.len();
        files.push(FileHead {
            name: p.display().to_string(),
            bytes,
        });
    }
    let req = Request {
        version: VERSION,
        title: title.map(str::to_owned),
        dpi,
        files,
    };
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
    let _ = conn.set_write_timeout(Some(IO_TIMEOUT));
    let mut head = serde_json::to_vec(&req).map_err(|e| broken(socket, e))?;
    head.push(b'\n');
    if let Err(e) = send(&mut conn, &head, inputs, &req.files) {
        return Err(match e {
            // the service may have refused the request from its header and closed before
            // reading the files: its answer is waiting, and says why (a service that is only
            // slow gets a few seconds, not the whole I/O timeout again)
            Sent::Cut(e) => match conn
                .set_read_timeout(Some(REFUSAL_WAIT))
                .and_then(|()| read_json_line::<Reply>(&mut BufReader::new(conn), MAX_REPLY))
            {
                Ok(Reply {
                    error: Some(why), ..
                }) => HandoffError::Refused(why),
                _ => broken(socket, e),
            },
            Sent::File(e) => e,
        });
    }
    let mut reader = BufReader::new(conn);
    let reply: Reply = read_json_line(&mut reader, MAX_REPLY).map_err(|e| broken(socket, e))?;
    if let Some(e) = reply.error {
        return Err(HandoffError::Refused(e));
    }
    let Some(mut report) = reply.report else {
        return Err(broken(
            socket,
            "an answer with neither a report nor an error",
        ));
    };
    // the PDF/A, written as a local run writes it: temporary file, fsync, rename
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".sohoa-digitize-")
        .suffix(".pdf.tmp")
        .tempfile_in(dir)
        .map_err(file_io(dir))?;
    let mut hasher = DigestAlg::Sha256.hasher();
    let mut left = reply.pdf_bytes;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        let n = reader
            .read(&mut buf[..left.min(1 << 16) as usize])
            .map_err(|e| broken(socket, e))?;
        if n == 0 {
            return Err(broken(socket, "the PDF/A ended early"));
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(file_io(tmp.path()))?;
        left -= n as u64;
    }
    if hex::encode(hasher.finalize()) != report.sha256 {
        return Err(broken(
            socket,
            "the PDF/A received does not match its SHA-256",
        ));
    }
    tmp.as_file().sync_all().map_err(file_io(output))?;
    tmp.persist(output).map_err(|e| HandoffError::Io {
        file: output.display().to_string(),
        source: e.error,
    })?;
    report.output = output.to_path_buf();
    Ok(Some(report))
}

/// Why a request was not sent whole.
enum Sent {
    /// The connection broke.
    Cut(io::Error),
    /// A caller's file could not be read.
    File(HandoffError),
}

/// The request's header line, then each file's bytes.
fn send(
    conn: &mut UnixStream,
    head: &[u8],
    inputs: &[PathBuf],
    files: &[FileHead],
) -> Result<(), Sent> {
    let file_err = |p: &Path, source| {
        Sent::File(HandoffError::Io {
            file: p.display().to_string(),
            source,
        })
    };
    conn.write_all(head).map_err(Sent::Cut)?;
    for (p, f) in inputs.iter().zip(files) {
        let src = std::fs::File::open(p).map_err(|e| file_err(p, e))?;
        let sent = io::copy(&mut src.take(f.bytes), conn).map_err(Sent::Cut)?;
        if sent != f.bytes {
            let changed = io::Error::new(io::ErrorKind::UnexpectedEof, "changed while being sent");
            return Err(file_err(p, changed));
        }
    }
    Ok(())
}

fn broken(socket: &Path, why: impl ToString) -> HandoffError {
    HandoffError::Broken {
        socket: socket.display().to_string(),
        why: why.to_string(),
    }
}

/// One JSON line of at most `max` bytes.
fn read_json_line<T: serde::de::DeserializeOwned>(r: &mut impl BufRead, max: u64) -> io::Result<T> {
    let mut line = Vec::new();
    r.take(max).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        let why = if line.len() as u64 >= max {
            format!("a header longer than {max} bytes")
        } else {
            "the header ended early".to_owned()
        };
        return Err(io::Error::new(io::ErrorKind::InvalidData, why));
    }
    serde_json::from_slice(&line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Listens on `socket` (replacing a stale socket file; mode 0660) until `stop`, digitizing
/// each request with the options `opts` makes (the service's, with its engine pool) in a
/// temporary folder under `work_dir`. Requests are served one at a time; a file larger than
/// `max_file_bytes` is refused.
pub fn serve(
    socket: &Path,
    work_dir: &Path,
    max_file_bytes: u64,
    opts: &dyn Fn() -> DigitizeOptions,
    stop: &AtomicBool,
) -> io::Result<()> {
    if std::fs::symlink_metadata(socket).is_ok() {
        // a socket left by a service that did not stop cleanly; anything else is not ours
        use std::os::unix::fs::FileTypeExt;
        if std::fs::symlink_metadata(socket)?.file_type().is_socket() {
            std::fs::remove_file(socket)?;
        }
    }
    let listener = UnixListener::bind(socket)?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o660))?;
    listener.set_nonblocking(true)?;
    let mut last = None::<Instant>;
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((conn, _)) => {
                if let Err(e) = answer(conn, work_dir, max_file_bytes, opts) {
                    tracing::warn!("digitize hand-off: {e}");
                }
                last = Some(Instant::now());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // a script calling once per file sends its next call at once: looked for every
                // millisecond for a while after an answer, then at the idle pace
                let busy = last.is_some_and(|t| t.elapsed() < BUSY_FOR);
                std::thread::sleep(if busy { BUSY_POLL } else { IDLE_POLL })
            }
            Err(e) => return Err(e),
        }
    }
    let _ = std::fs::remove_file(socket);
    Ok(())
}

/// One request: read, digitize, answer. `Err` only when the answer could not be sent.
fn answer(
    conn: UnixStream,
    work_dir: &Path,
    max_file_bytes: u64,
    opts: &dyn Fn() -> DigitizeOptions,
) -> io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(IO_TIMEOUT))?;
    conn.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut out = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    let refuse = |out: &mut UnixStream, why: String| -> io::Result<()> {
        write_reply(
            out,
            &Reply {
                error: Some(why),
                report: None,
                pdf_bytes: 0,
            },
        )
    };
    let req: Request = match read_json_line(&mut reader, MAX_HEADER) {
        Ok(r) => r,
        Err(e) => return refuse(&mut out, format!("a malformed hand-off request: {e}")),
    };
    if req.version != VERSION {
        return refuse(
            &mut out,
            format!(
                "hand-off protocol {} (this service speaks {VERSION})",
                req.version
            ),
        );
    }
    if req.files.is_empty() || req.files.len() > MAX_FILES {
        return refuse(
            &mut out,
            format!(
                "{} files in one hand-off (1 to {MAX_FILES})",
                req.files.len()
            ),
        );
    }
    if let Some(f) = req.files.iter().find(|f| f.bytes > max_file_bytes) {
        return refuse(
            &mut out,
            format!(
                "{}: {} bytes, more than the service takes ({max_file_bytes})",
                f.name, f.bytes
            ),
        );
    }
    std::fs::create_dir_all(work_dir)?;
    let dir = tempfile::Builder::new()
        .prefix(".sohoa-handoff-")
        .tempdir_in(work_dir)?;
    // each file under a name of ours, keeping the caller's extension (decoders look at it)
    let mut paths = Vec::with_capacity(req.files.len());
    for (i, f) in req.files.iter().enumerate() {
        let ext = Path::new(&f.name)
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("bin");
        let path = dir.path().join(format!("{i:04}.{ext}"));
        let mut file = std::fs::File::create(&path)?;
        let got = io::copy(&mut (&mut reader).take(f.bytes), &mut file)?;
        if got != f.bytes {
            return refuse(&mut out, format!("{}: the file ended early", f.name));
        }
        paths.push(path);
    }
    let mut o = opts();
    o.dpi_override = req.dpi;
    o.title = req.title.clone().or_else(|| {
        Path::new(&req.files[0].name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
    });
    let output = dir.path().join("out.pdf");
    // messages and reports name the caller's files, not ours
    let rename = |s: &str| {
        paths
            .iter()
            .zip(&req.files)
            .fold(s.to_owned(), |s, (p, f)| {
                s.replace(&p.display().to_string(), &f.name)
            })
    };
    let mut report = match digitize(&paths, &output, &o) {
        Ok(r) => r,
        Err(e) => return refuse(&mut out, rename(&e.to_string())),
    };
    for p in &mut report.pages {
        p.source = rename(&p.source);
    }
    tracing::info!(
        pages = report.pages.len(),
        first = %req.files[0].name,
        seconds = report.seconds,
        "digitize hand-off: read"
    );
    let pdf = std::fs::File::open(&output)?;
    write_reply(
        &mut out,
        &Reply {
            error: None,
            pdf_bytes: report.bytes,
            report: Some(report),
        },
    )?;
    io::copy(&mut BufReader::new(pdf), &mut out)?;
    out.flush()
}

fn write_reply(out: &mut UnixStream, r: &Reply) -> io::Result<()> {
    let mut line = serde_json::to_vec(r).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_bounded_and_must_end_its_line() {
        let long = format!(
            "{{\"version\":1,\"files\":[],\"pad\":\"{}\"}}\n",
            "x".repeat(100)
        );
        let e = read_json_line::<Request>(&mut long.as_bytes(), 50).unwrap_err();
        assert!(e.to_string().contains("longer than 50 bytes"), "{e}");
        let e = read_json_line::<Request>(&mut &b"{\"version\":1"[..], 50).unwrap_err();
        assert!(e.to_string().contains("ended early"), "{e}");
        let e = read_json_line::<Request>(&mut &b"not json\n"[..], 50).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let r: Request = read_json_line(
            &mut &b"{\"version\":1,\"title\":null,\"dpi\":null,\"files\":[{\"name\":\"a.jpg\",\"bytes\":3}]}\nrest"[..],
            1000,
        )
        .unwrap();
        assert_eq!(r.files[0].name, "a.jpg");
    }

    #[test]
    fn no_socket_means_run_locally() {
        let dir = tempfile::tempdir().unwrap();
        let got = hand_off(
            &dir.path().join("none.sock"),
            &[dir.path().join("a.jpg")],
            &dir.path().join("out.pdf"),
            None,
            None,
        )
        .unwrap();
        assert!(got.is_none());
    }
}
