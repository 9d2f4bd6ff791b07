//! Stage `sign`, the tail every new revision shares: copy the input beside the output while
//! digesting the ByteRange (ISO 32000-1 §12.8.1), fill the reserved /Contents hole, and publish
//! the output atomically (a temporary file, fsync, rename: no partial file on error).

use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::path::Path;

use super::pades::{io, SignError};
use super::update::{self, Placeholder, SigFields};
use crate::pdf::{Limits, PdfFile};
use crate::pki::digest::DigestAlg;

/// What a signed revision came to.
pub(crate) struct Appended {
    pub field_name: String,
    /// Where a visible signature's stamp went.
    pub placed: Option<super::appearance::Placed>,
    /// Bytes of the CMS (or RFC 3161 token) written into /Contents.
    pub contents_bytes: usize,
    pub output_bytes: u64,
    /// SHA-256 of the output file, hex.
    pub sha256: String,
}

/// Turns the ByteRange digest into the DER that fills /Contents (a CMS, an RFC 3161 token).
pub(crate) type MakeContents<'a> = dyn FnMut(&[u8]) -> Result<Vec<u8>, SignError> + 'a;

/// Opens `input` for an incremental update: refused when encrypted or damaged.
pub(crate) fn open_for_update(input: &Path) -> Result<PdfFile<BufReader<File>>, SignError> {
    let file = input.display().to_string();
    let src = File::open(input).map_err(io(input))?;
    let pdf =
        PdfFile::open(BufReader::new(src), Limits::default()).map_err(|source| SignError::Pdf {
            file: file.clone(),
            source,
        })?;
    if pdf.is_encrypted() {
        return Err(SignError::Encrypted { file });
    }
    if pdf.repaired() {
        return Err(SignError::Damaged { file });
    }
    Ok(pdf)
}

/// A temporary file beside `output`, to be persisted over it.
fn temp_beside(output: &Path) -> Result<tempfile::NamedTempFile, SignError> {
    let out_dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    tempfile::Builder::new()
        .prefix(".sohoa-sign-")
        .suffix(".pdf.tmp")
        .tempfile_in(out_dir)
        .map_err(io(out_dir))
}

/// Copies the first `len` bytes of `src` into `tmp`, feeding each chunk to `feed`.
fn copy_prefix<R: Read + Seek>(
    src: &mut R,
    len: u64,
    tmp: &mut File,
    input: &Path,
    output: &Path,
    mut feed: impl FnMut(&[u8]),
) -> Result<(), SignError> {
    src.rewind().map_err(io(input))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut copied = 0u64;
    while copied < len {
        let want = buf.len().min((len - copied) as usize);
        let n = src.read(&mut buf[..want]).map_err(io(input))?;
        if n == 0 {
            return Err(io(input)(std::io::ErrorKind::UnexpectedEof.into()));
        }
        feed(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(io(output))?;
        copied += n as u64;
    }
    Ok(())
}

/// Appends `bytes` (a revision without a signature: a DSS update) to `input` as `output`;
/// returns the output's SHA-256 (hex) and length.
pub(crate) fn append_plain(
    input: &Path,
    output: &Path,
    pdf: PdfFile<BufReader<File>>,
    bytes: &[u8],
) -> Result<(String, u64), SignError> {
    let input_len = pdf.len();
    let mut tmp = temp_beside(output)?;
    let mut sha = DigestAlg::Sha256.hasher();
    let mut src = pdf.into_inner();
    copy_prefix(&mut src, input_len, tmp.as_file_mut(), input, output, |b| {
        sha.update(b)
    })?;
    sha.update(bytes);
    tmp.write_all(bytes).map_err(io(output))?;
    tmp.as_file().sync_all().map_err(io(output))?;
    tmp.persist(output).map_err(|e| io(output)(e.error))?;
    Ok((hex::encode(sha.finalize()), input_len + bytes.len() as u64))
}

/// Appends a revision with a new signature field described by `fields`; `contents` turns the
/// ByteRange digest (made with `digest_alg`) into the DER that fills /Contents.
pub(crate) fn append_signed(
    input: &Path,
    output: &Path,
    fields: &SigFields,
    digest_alg: DigestAlg,
    contents: &mut MakeContents,
) -> Result<Appended, SignError> {
    let file_name = input.display().to_string();
    let update_err = |source| SignError::Update {
        file: file_name.clone(),
        source,
    };
    // 1. Read the structure we need from the newest revision (lazily: no stream is loaded).
    let mut pdf = open_for_update(input)?;
    let input_len = pdf.len();

    // 2. Build the appended revision with placeholders.
    let built = update::build(&mut pdf, fields).map_err(update_err)?;
    let mut appended = built.bytes;
    let Placeholder {
        byte_range_at,
        byte_range_len,
        contents_at,
        contents_len,
    } = built.placeholder;

    // 3. Fix the ByteRange now: every offset is known before a byte is written.
    let base = input_len;
    let contents_start = base + contents_at as u64;
    let contents_end = contents_start + contents_len as u64;
    let total = base + appended.len() as u64;
    let ranges = [0, contents_start, contents_end, total - contents_end];
    update::patch_byte_range(&mut appended, byte_range_at, byte_range_len, ranges)
        .map_err(update_err)?;

    // 4. Copy the input to a temporary file beside the output, digesting as we go.
    let mut tmp = temp_beside(output)?;
    // One pass: `hasher` digests everything up to /Contents. The ByteRange digest and the file's
    // own SHA-256 (for the store) share that prefix; when the signature digest is SHA-256 too
    // (the usual case) the prefix state is cloned instead of hashing the file twice.
    let mut hasher = digest_alg.hasher();
    let mut file_sha = (digest_alg != DigestAlg::Sha256).then(|| DigestAlg::Sha256.hasher());
    let mut src = pdf.into_inner();
    copy_prefix(&mut src, input_len, tmp.as_file_mut(), input, output, |b| {
        hasher.update(b);
        if let Some(f) = file_sha.as_mut() {
            f.update(b);
        }
    })?;
    hasher.update(&appended[..contents_at]);
    let mut file_sha = match file_sha {
        Some(mut f) => {
            f.update(&appended[..contents_at]);
            f
        }
        None => hasher.clone(),
    };
    hasher.update(&appended[contents_at + contents_len..]);
    let document_digest = hasher.finalize();

    // 5. The contents, into the reserved hole.
    let der = contents(&document_digest)?;
    let hex_room = contents_len - 2;
    if der.len() * 2 > hex_room {
        return Err(SignError::ContentsTooSmall {
            needed: der.len(),
            reserved: hex_room / 2,
        });
    }
    let hex = hex::encode_upper(&der);
    appended[contents_at + 1..contents_at + 1 + hex.len()].copy_from_slice(hex.as_bytes());

    tmp.write_all(&appended).map_err(io(output))?;
    tmp.as_file().sync_all().map_err(io(output))?;

    file_sha.update(&appended[contents_at..]);
    let sha256 = hex::encode(file_sha.finalize());
    tmp.persist(output).map_err(|e| io(output)(e.error))?;
    Ok(Appended {
        field_name: built.field_name,
        placed: built.placed,
        contents_bytes: der.len(),
        output_bytes: total,
        sha256,
    })
}
