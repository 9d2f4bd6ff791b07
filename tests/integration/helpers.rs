//! Shared helpers for the integration tests: fixture paths, sample PDFs, the `sohoa` binary,
//! the independent validators (pyHanko, pdfsig, openssl, qpdf) and a real local RFC 3161 TSA.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use sohoa::pdf::{IncrementalWriter, Limits, PdfFile, PrevInfo};
use sohoa::pki::keys;
use sohoa::sign::pades::{SignOutcome, SignRequest};
use sohoa::sign::SubFilter;
use sohoa::sign::{SoftwareRsaSigner, TimestampAuthority};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn certs(name: &str) -> PathBuf {
    root().join("certs-test").join(name)
}

pub fn passphrase_file() -> PathBuf {
    certs("PASSPHRASE-TEST-ONLY.txt")
}

pub fn passphrase() -> Vec<u8> {
    keys::read_passphrase_file(&passphrase_file()).expect("test passphrase")
}

/// A fresh temporary folder, removed on drop.
pub fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sohoa-it-")
        .tempdir()
        .expect("temp dir")
}

/// The `sohoa` binary, run from the repository root (so it finds config.toml).
pub fn sohoa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sohoa"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run sohoa")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A small but real PDF: `pages` pages of text, classic xref table. Made byte by byte here so
/// that it does not depend on the code under test.
pub fn simple_pdf(path: &Path, pages: usize) {
    simple_pdf_with_catalog(path, pages, "");
}

/// As [`simple_pdf`], with `extra` entries written into the catalog dictionary.
pub fn simple_pdf_with_catalog(path: &Path, pages: usize, extra: &str) {
    let mut objs: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objs.push(format!("<< /Type /Catalog /Pages 2 0 R {extra}>>").into_bytes());
    objs.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages
        )
        .into_bytes(),
    );
    objs.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    for i in 0..pages {
        let content = format!(
            "BT /F1 18 Tf 72 750 Td (Ho so so {} - trang {}) Tj ET",
            i + 1,
            i + 1
        );
        objs.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
                5 + 2 * i
            )
            .into_bytes(),
        );
        objs.push(
            format!(
                "<< /Length {} >>\nstream\n{}\nendstream",
                content.len(),
                content
            )
            .into_bytes(),
        );
    }
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    std::fs::write(path, out).expect("write sample pdf");
}

/// Loads a test signer from its .p12.
pub fn signer(name: &str) -> SoftwareRsaSigner {
    let c = keys::load_pkcs12(&certs(&format!("{name}.p12")), &passphrase()).expect("p12");
    SoftwareRsaSigner::new(c.key, c.cert, c.chain).expect("signer")
}

pub fn request<'a>(
    signer: &'a SoftwareRsaSigner,
    tsa: Option<&'a dyn TimestampAuthority>,
    time: SystemTime,
) -> SignRequest<'a> {
    SignRequest {
        signer,
        tsa,
        sub_filter: SubFilter::CadesDetached,
        field_name: None,
        reason: Some("Kiểm thử".into()),
        location: Some("Tuyên Quang".into()),
        contact_info: None,
        contents_size: 24576,
        time,
        utc_offset_minutes: 420,
        nonce: 0x5eed_1234_5678_9abc,
        ltv: None,
        stamp: None,
    }
}

/// Signs with the library (and its certificate checks).
pub fn sign_lib(input: &Path, output: &Path, req: &SignRequest) -> SignOutcome {
    sohoa::sign::pades::sign_file(input, output, req).expect("sign")
}

/// `sohoa verify --json FILE [extra…]`: (exit code, JSON report).
pub fn verify_json(file: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["verify", "--json", file.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let o = sohoa(&args);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("verify --json output is not JSON ({e}): {}", text(&o)));
    (o.status.code().unwrap_or(-1), v)
}

pub fn venv_bin(name: &str) -> PathBuf {
    root().join(".venv/bin").join(name)
}

/// `pyhanko sign validate` trusting only the test root: (exit code, output).
pub fn pyhanko_validate(file: &Path, root_pem: &Path) -> (i32, String) {
    pyhanko_validate_with(file, root_pem, &[])
}

/// As [`pyhanko_validate`], with extra `pyhanko sign validate` options.
pub fn pyhanko_validate_with(file: &Path, root_pem: &Path, extra: &[&str]) -> (i32, String) {
    let o = Command::new(venv_bin("pyhanko"))
        .args(["sign", "validate", "--pretty-print"])
        .args(extra)
        .arg("--trust")
        .arg(root_pem)
        .args(["--trust-replace", "--other-certs"])
        .arg(certs("sub-ca.pem"))
        .arg(file)
        .output()
        .expect("pyhanko (run scripts/setup.sh)");
    (o.status.code().unwrap_or(-1), text(&o))
}

/// `pdfsig` with an NSS database that trusts the test root.
pub fn pdfsig(file: &Path) -> String {
    let dir = tmp();
    let db = format!("sql:{}", dir.path().display());
    let run = |args: &[&str]| {
        let o = Command::new("certutil")
            .args(args)
            .output()
            .expect("certutil");
        assert!(o.status.success(), "certutil {args:?}: {}", text(&o));
    };
    run(&["-N", "-d", &db, "--empty-password"]);
    let root_pem = certs("root-ca.pem");
    run(&[
        "-A",
        "-t",
        "CT,C,C",
        "-n",
        "root",
        "-i",
        root_pem.to_str().unwrap_or_default(),
        "-d",
        &db,
    ]);
    let o = Command::new("pdfsig")
        .args(["-nssdir", &db])
        .arg(file)
        .output()
        .expect("pdfsig");
    text(&o)
}

pub fn qpdf_check(file: &Path) -> (bool, String) {
    let o = Command::new("qpdf")
        .arg("--check")
        .arg(file)
        .output()
        .expect("qpdf");
    (o.status.success(), text(&o))
}

/// Every signature's `valid` in a JSON report.
pub fn sig_field<'a>(report: &'a serde_json::Value, i: usize, key: &str) -> &'a serde_json::Value {
    &report["signatures"][i][key]
}

/// What a local test server answers with, each the real OpenSSL implementation behind a minimal
/// HTTP/1.1 handler on 127.0.0.1 (OpenSSL 3.0's own `ocsp -port` cannot bind to loopback only).
#[derive(Clone, Copy, Debug)]
pub enum Responder {
    /// `openssl ts -reply` with `certs-test/NAME.cnf`, `NAME.pem` and `NAME.key.pem`.
    Tsa(&'static str),
    /// `openssl ocsp` with `certs-test/ocsp-index.txt`, signed by `ocsp-responder`.
    Ocsp,
    /// A GET of any path answers with this file of `certs-test/` (a CRL distribution point).
    File(&'static str),
}

/// The OCSP responder the aia-* test certificates name (AIA http://127.0.0.1:18961/). Its port
/// is fixed, so the tests that use it (or need it down) hold [`ocsp_port`] throughout.
pub fn ocsp_responder() -> TestTsa {
    TestTsa::serve_on("127.0.0.1:18961", Responder::Ocsp)
}

/// The CRL distribution point `cdp-signer` names (http://127.0.0.1:18962/sub-ca.crl), serving
/// `certs-test/sub-ca.crl`. A fixed port too: hold [`ocsp_port`].
pub fn crl_server() -> TestTsa {
    TestTsa::serve_on("127.0.0.1:18962", Responder::File("sub-ca.crl"))
}

static OCSP_PORT: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn ocsp_port() -> std::sync::MutexGuard<'static, ()> {
    OCSP_PORT.lock().unwrap_or_else(|e| e.into_inner())
}

/// A real RFC 3161 TSA (or OCSP responder) on 127.0.0.1. Stops when dropped.
pub struct TestTsa {
    pub url: String,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

impl TestTsa {
    /// The test TSA (`certs-test/tsa.pem`, RSA).
    pub fn start() -> Self {
        Self::serve_on("127.0.0.1:0", Responder::Tsa("tsa"))
    }

    /// Another TSA of the test PKI (`ecdsa-tsa`, `archive-tsa`).
    pub fn start_as(name: &'static str) -> Self {
        Self::serve_on("127.0.0.1:0", Responder::Tsa(name))
    }

    /// Serves `what` on `addr` (the OCSP responder: the address in the aia-* certificates).
    pub fn serve_on(addr: &str, what: Responder) -> Self {
        let listener =
            TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr} for {what:?}: {e}"));
        let addr = listener.local_addr().expect("addr");
        let dir = tmp();
        let work = dir.path().to_path_buf();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    let _ = serve(c, &work, n, what);
                }
            }
        });
        Self {
            url: format!("http://{addr}/tsa"),
            stop,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for TestTsa {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// `openssl ts -reply` of the named test TSA for query `q`, into `r`.
fn tsa_reply(name: &str, q: &Path, r: &Path, work: &Path) -> std::io::Result<Output> {
    Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(certs(&format!("{name}.cnf")))
        .arg("-queryfile")
        .arg(q)
        .arg("-signer")
        .arg(certs(&format!("{name}.pem")))
        .arg("-inkey")
        .arg(certs(&format!("{name}.key.pem")))
        .arg("-passin")
        .arg(format!("file:{}", passphrase_file().display()))
        .arg("-out")
        .arg(r)
        .env("SOHOA_TSA_SERIAL", work.join("serial"))
        .env("SOHOA_CERTS_DIR", root().join("certs-test"))
        .output()
}

/// `openssl ocsp` answering request `q` from the test responder's index, into `r`.
pub fn ocsp_reply(q: &Path, r: &Path) -> std::io::Result<Output> {
    Command::new("openssl")
        .arg("ocsp")
        .arg("-index")
        .arg(certs("ocsp-index.txt"))
        .arg("-CA")
        .arg(certs("sub-ca.pem"))
        .arg("-rsigner")
        .arg(certs("ocsp-responder.pem"))
        .arg("-rkey")
        .arg(certs("ocsp-responder.key.pem"))
        .arg("-passin")
        .arg(format!("file:{}", passphrase_file().display()))
        .arg("-reqin")
        .arg(q)
        .arg("-respout")
        .arg(r)
        .args(["-nmin", "60"])
        .output()
}

fn serve(mut c: TcpStream, work: &Path, n: usize, what: Responder) -> std::io::Result<()> {
    c.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let k = c.read(&mut chunk)?;
        if k == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..k]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let k = c.read(&mut chunk)?;
        if k == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..k]);
    }
    if let Responder::File(name) = what {
        let body = std::fs::read(certs(name))?;
        write!(
            c,
            "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        return c.write_all(&body);
    }
    let q = work.join(format!("q{n}.der"));
    let r = work.join(format!("r{n}.der"));
    std::fs::write(&q, &buf[header_end..])?;
    let (out, content_type) = match what {
        Responder::Tsa(name) => (
            tsa_reply(name, &q, &r, work)?,
            "application/timestamp-reply",
        ),
        Responder::Ocsp => (ocsp_reply(&q, &r)?, "application/ocsp-response"),
        Responder::File(_) => unreachable!("answered above"),
    };
    let body = std::fs::read(&r).unwrap_or_default();
    let status = if out.status.success() && !body.is_empty() {
        "200 OK"
    } else {
        "500 Internal Server Error"
    };
    write!(
        c,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    c.write_all(&body)?;
    Ok(())
}

/// Bytes of a file.
pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).expect("read")
}

/// Position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The CMS and the signed bytes of the (last) signature of a file we made: for openssl.
/// The last /ByteRange of `pdf`, as written.
pub fn byte_range(pdf: &[u8]) -> Vec<usize> {
    let at = pdf
        .windows(11)
        .rposition(|w| w == b"/ByteRange ")
        .expect("a ByteRange");
    let open = at + pdf[at..].iter().position(|&b| b == b'[').expect("[");
    let close = open + pdf[open..].iter().position(|&b| b == b']').expect("]");
    String::from_utf8_lossy(&pdf[open + 1..close])
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect()
}

/// An array of integers (a /Rect, a /BBox).
pub fn ints(v: &[i64]) -> sohoa::pdf::Object {
    sohoa::pdf::Object::Array(v.iter().map(|&i| sohoa::pdf::Object::Int(i)).collect())
}

pub fn extract_signature(pdf: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let nums = byte_range(pdf);
    let (a, b, c, d) = (nums[0], nums[1], nums[2], nums[3]);
    let mut signed = pdf[a..a + b].to_vec();
    signed.extend_from_slice(&pdf[c..c + d]);
    let hex: Vec<u8> = pdf[a + b + 1..c - 1].to_vec();
    let padded = hex::decode(&hex).expect("hex");
    // Strip the zero padding after the DER: decode the first TLV and re-encode it.
    use der::{Decode, Encode};
    let mut r = der::SliceReader::new(&padded).expect("reader");
    let any = der::Any::decode(&mut r).expect("a DER TLV");
    (any.to_der().expect("encode"), signed)
}

/// A hybrid-reference file (ISO 32000-1 §7.5.8.4): a classic table for old readers, and an
/// xref stream (trailer /XRefStm) for an object (the font) that lives in an object stream.
pub fn hybrid_pdf(path: &Path) {
    let content = b"BT /F1 18 Tf 72 750 Td (Hybrid reference file) Tj ET";
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
    let objstm_head = b"3 0 ";
    let mut out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut off = std::collections::BTreeMap::new();
    let obj = |out: &mut Vec<u8>,
               off: &mut std::collections::BTreeMap<u32, usize>,
               n: u32,
               body: &[u8]| {
        off.insert(n, out.len());
        out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    obj(&mut out, &mut off, 1, b"<< /Type /Catalog /Pages 2 0 R >>");
    obj(
        &mut out,
        &mut off,
        2,
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
    );
    obj(&mut out, &mut off, 4, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 3 0 R >> >> >>");
    let mut s5 = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    s5.extend_from_slice(content);
    s5.extend_from_slice(b"\nendstream");
    obj(&mut out, &mut off, 5, &s5);
    let mut data = objstm_head.to_vec();
    data.extend_from_slice(font);
    let mut s6 = format!(
        "<< /Type /ObjStm /N 1 /First {} /Length {} >>\nstream\n",
        objstm_head.len(),
        data.len()
    )
    .into_bytes();
    s6.extend_from_slice(&data);
    s6.extend_from_slice(b"\nendstream");
    obj(&mut out, &mut off, 6, &s6);
    // The xref stream: entries for 3 (compressed in 6) and 6, 7 (itself), W [1 4 2].
    let xs_at = out.len();
    let mut rows = Vec::new();
    let row = |t: u8, a: u32, b: u16| {
        let mut r = vec![t];
        r.extend_from_slice(&a.to_be_bytes());
        r.extend_from_slice(&b.to_be_bytes());
        r
    };
    rows.extend(row(2, 6, 0));
    rows.extend(row(1, off[&6] as u32, 0));
    rows.extend(row(1, xs_at as u32, 0));
    let mut s7 = format!(
        "<< /Type /XRef /Size 8 /W [1 4 2] /Index [3 1 6 2] /Length {} >>\nstream\n",
        rows.len()
    )
    .into_bytes();
    s7.extend_from_slice(&rows);
    s7.extend_from_slice(b"\nendstream");
    obj(&mut out, &mut off, 7, &s7);
    let table = out.len();
    out.extend_from_slice(b"xref\n0 3\n0000000000 65535 f \n");
    for n in [1u32, 2] {
        out.extend_from_slice(format!("{:010} 00000 n \n", off[&n]).as_bytes());
    }
    out.extend_from_slice(b"4 2\n");
    for n in [4u32, 5] {
        out.extend_from_slice(format!("{:010} 00000 n \n", off[&n]).as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 8 /Root 1 0 R /XRefStm {xs_at} >>\nstartxref\n{table}\n%%EOF\n")
            .as_bytes(),
    );
    std::fs::write(path, out).expect("write hybrid pdf");
}

/// `sohoa sign INPUT -o OUTPUT --p12 certs-test/NAME.p12` with the test passphrase.
pub fn sign_cli_p12(input: &Path, output: &Path, p12_name: &str) -> Output {
    sohoa(&[
        "sign",
        input.to_str().expect("utf-8 path"),
        "-o",
        output.to_str().expect("utf-8 path"),
        "--p12",
        certs(&format!("{p12_name}.p12"))
            .to_str()
            .expect("utf-8 path"),
        "--passphrase-file",
        passphrase_file().to_str().expect("utf-8 path"),
    ])
}

/// `sohoa sign INPUT -o OUTPUT [extra…]`, which must succeed; its output, for `--json`.
pub fn sign_ok(input: &Path, output: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "sign",
        input.to_str().expect("utf-8 path"),
        "-o",
        output.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let o = sohoa(&args);
    assert!(o.status.success(), "{}", text(&o));
    o
}

/// Writes `dir/config.toml` for a store in `dir/data` of unit `unit`, signing with the test
/// official's `.p12` and trusting the test root, followed by `extra` (more sections). The
/// index and the blobs are on the run's backend (`backend::config_lines`).
pub fn store_config(dir: &Path, unit: &str, extra: &str) -> PathBuf {
    let (store_lines, index_section) = crate::backend::config_lines();
    store_config_on(dir, unit, extra, &store_lines, &index_section)
}

/// [`store_config`] with the index and blobs in `dir/data` whatever the run's backend (a test
/// that copies or edits the store's files itself).
pub fn local_store_config(dir: &Path, unit: &str, extra: &str) -> PathBuf {
    store_config_on(dir, unit, extra, "", "")
}

fn store_config_on(
    dir: &Path,
    unit: &str,
    extra: &str,
    store_lines: &str,
    index_section: &str,
) -> PathBuf {
    let c = |n: &str| certs(n).display().to_string();
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "{index_section}[sign]\ndefault_signer = \"official\"\n\
             [signers.official]\npkcs12 = \"{}\"\npassphrase_file = \"{}\"\n\
             [trust]\nanchors = [\"{}\"]\nintermediates = [\"{}\"]\n\
             [store]\nroot = \"data\"\nunit = \"{unit}\"\n{store_lines}{extra}",
            c("official-signer.p12"),
            c("PASSPHRASE-TEST-ONLY.txt"),
            c("root-ca.pem"),
            c("sub-ca.pem"),
        ),
    )
    .expect("write config.toml");
    cfg
}

/// `n` distinct scans written into `inbox`, cycling through `sources` (files of
/// samples/scans), each made distinct by bytes after its image data: their names and
/// SHA-256s.
pub fn distinct_scans(inbox: &Path, n: usize, sources: &[&str]) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let src = sources[i % sources.len()];
            let mut bytes = read(&root().join("samples/scans").join(src));
            bytes.extend_from_slice(format!("copy {i}").as_bytes());
            let name = format!("{i:03}-{src}");
            std::fs::write(inbox.join(&name), &bytes).expect("write a scan");
            let sha = hex::encode(sohoa::pki::digest::DigestAlg::Sha256.digest(&bytes));
            (name, sha)
        })
        .collect()
}

/// A reproducible pseudo-random sequence for kill tests: `SOHOA_KILL_SEED` replays one
/// (the seed used is printed with `what`).
pub fn kill_rng(what: &str) -> impl FnMut() -> u64 {
    let seed: u64 = std::env::var("SOHOA_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock after 1970")
                .subsec_nanos() as u64
        });
    eprintln!("{what}: SOHOA_KILL_SEED={seed}");
    let mut state = seed | 1;
    move || {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// A freshly signed one-page sample in `dir`.
pub fn signed_sample(dir: &Path) -> PathBuf {
    let input = dir.join("in.pdf");
    let output = dir.join("signed.pdf");
    simple_pdf(&input, 2);
    sign_ok(&input, &output, &[]);
    output
}

/// Appends an incremental revision made by `edit` to a copy of `signed`.
pub fn append_revision(
    signed: &Path,
    out: &Path,
    edit: impl FnOnce(&mut PdfFile<BufReader<File>>, &mut IncrementalWriter, u32),
) {
    let mut pdf = PdfFile::open(
        BufReader::new(File::open(signed).unwrap()),
        Limits::default(),
    )
    .unwrap();
    let prev = PrevInfo::from_file(&mut pdf).unwrap();
    let mut w = IncrementalWriter::new();
    edit(&mut pdf, &mut w, prev.size);
    let mut bytes = read(signed);
    let tail = w.finish(bytes.len() as u64, &prev);
    bytes.extend_from_slice(&tail);
    std::fs::write(out, bytes).unwrap();
}

/// pikepdf's PDF/A-2b check of `file`: one line per finding, "kind rule message".
pub fn pikepdf_pdfa_findings(file: &Path) -> String {
    let script = r#"
import sys, pikepdf
from pikepdf import pdfa
r = pdfa.check(pikepdf.open(sys.argv[1]), "2b")
for f in r.findings:
    print(f.kind, f.rule, f.message)
"#;
    let o = Command::new(venv_bin("python"))
        .args(["-c", script])
        .arg(file)
        .output()
        .expect("python (run scripts/setup.sh)");
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `openssl cms -verify` of the detached DER signature `p7s` over `content`, against the test
/// PKI (root and sub-CA): an independent check of a manifest's or a checkpoint's signature.
pub fn openssl_cms_verify_detached(p7s: &Path, content: &Path) -> Output {
    Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(p7s)
        .arg("-content")
        .arg(content)
        .arg("-CAfile")
        .arg(certs("root-ca.pem"))
        .arg("-certfile")
        .arg(certs("sub-ca.pem"))
        .args(["-out", "/dev/null"])
        .output()
        .expect("openssl")
}

/// A 200 dpi colour scan with a 40 mm ring of seal red (1.2 mm, multiplied at 85%) over its
/// middle, written to `out` as a colour TIFF that says its 200 dpi.
pub fn sealed_copy(scan: &Path, out: &Path) -> PathBuf {
    let mut img = image::open(scan).unwrap().to_rgb8();
    let (cx, cy) = (img.width() as f32 / 2.0, img.height() as f32 / 2.0);
    let px = 200.0 / 25.4;
    for y in 0..img.height() {
        for x in 0..img.width() {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            if (18.8 * px..=20.0 * px).contains(&d) {
                let p = img.get_pixel_mut(x, y);
                for (c, ink) in [200.0f32, 30.0, 40.0].into_iter().enumerate() {
                    let v = f32::from(p[c]);
                    p[c] = (v * 0.15 + v * ink / 255.0 * 0.85) as u8;
                }
            }
        }
    }
    let mut file = std::fs::File::create(out).unwrap();
    let mut tif = tiff::encoder::TiffEncoder::new(&mut file).unwrap();
    let mut page = tif
        .new_image::<tiff::encoder::colortype::RGB8>(img.width(), img.height())
        .unwrap();
    page.resolution(
        tiff::tags::ResolutionUnit::Inch,
        tiff::encoder::Rational { n: 200, d: 1 },
    );
    page.write_data(img.as_raw()).unwrap();
    out.to_path_buf()
}
