//! Stage `decode`, first step: open an input, check its size and tell its format from its
//! first bytes (never from the extension).

use super::error::{DecodeError, Location};
use super::DecodeLimits;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The input formats the decode stage reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Jpeg,
    Png,
    Tiff,
    Pdf,
}

/// How far into the file `%PDF-` may start (ISO 32000-1 Annex H.3 tolerates leading junk).
const PDF_HEADER_WINDOW: usize = 1024;

/// The format of a file starting with `head`.
pub(crate) fn sniff(head: &[u8]) -> Option<Format> {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => Some(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Format::Png),
        [b'I', b'I', 42 | 43, 0, ..] | [b'M', b'M', 0, 42 | 43, ..] => Some(Format::Tiff),
        _ if head.windows(5).any(|w| w == b"%PDF-") => Some(Format::Pdf),
        _ => None,
    }
}

/// Opens `path`, refusing empty and oversized files and unknown formats.
pub(crate) fn open(path: &Path, limits: &DecodeLimits) -> Result<(File, Format), DecodeError> {
    let at = Location::file(path);
    let mut file = File::open(path).map_err(|e| DecodeError::io(&at, e))?;
    let size = file.metadata().map_err(|e| DecodeError::io(&at, e))?.len();
    if size == 0 {
        return Err(DecodeError::Empty { at });
    }
    if size > limits.max_file_bytes {
        return Err(DecodeError::FileTooLarge {
            at,
            size,
            limit: limits.max_file_bytes,
        });
    }
    let mut head = Vec::with_capacity(PDF_HEADER_WINDOW);
    (&mut file)
        .take(PDF_HEADER_WINDOW as u64)
        .read_to_end(&mut head)
        .map_err(|e| DecodeError::io(&at, e))?;
    match sniff(&head) {
        Some(f) => {
            use std::io::{Seek, SeekFrom};
            file.seek(SeekFrom::Start(0))
                .map_err(|e| DecodeError::io(&at, e))?;
            Ok((file, f))
        }
        None => {
            let shown: Vec<String> = head.iter().take(4).map(|b| format!("{b:02X}")).collect();
            Err(DecodeError::UnknownFormat {
                at,
                head: shown.join(" "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(Format::Tiff));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some(Format::Tiff));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Format::Pdf));
        assert_eq!(sniff(b"junk\n%PDF-1.4\n"), Some(Format::Pdf));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn empty_garbage_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.jpg");
        File::create(&empty).unwrap();
        let e = open(&empty, &DecodeLimits::default()).unwrap_err();
        assert!(matches!(e, DecodeError::Empty { .. }));
        assert!(
            e.to_string().contains("empty.jpg: the file is empty"),
            "{e}"
        );

        let gif = dir.path().join("a.bin");
        File::create(&gif)
            .unwrap()
            .write_all(b"GIF89a....")
            .unwrap();
        let e = open(&gif, &DecodeLimits::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("a.bin: not a JPEG, PNG, TIFF or PDF file (starts with 47 49 46 38)"),
            "{e}"
        );
        let limits = DecodeLimits {
            max_file_bytes: 4,
            ..DecodeLimits::default()
        };
        let e = open(&gif, &limits).unwrap_err();
        assert!(
            matches!(e, DecodeError::FileTooLarge { size: 10, .. }),
            "{e}"
        );

        let e = open(&dir.path().join("missing.png"), &limits).unwrap_err();
        assert!(matches!(e, DecodeError::Io { .. }), "{e}");
        assert!(e.to_string().contains("missing.png"), "{e}");
    }
}
