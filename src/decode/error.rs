//! Stage `decode`, errors: every message names the file (and page), says what is wrong and
//! what the operator can do about it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A file, or one page of it, for messages: `scan.tif` or `scan.tif page 3` (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    /// 0-based page index; `None` for single-image files and whole-file problems.
    pub page: Option<usize>,
}

impl Location {
    pub fn file(path: &Path) -> Self {
        Self {
            file: path.to_path_buf(),
            page: None,
        }
    }

    pub fn page(path: &Path, index: usize) -> Self {
        Self {
            file: path.to_path_buf(),
            page: Some(index),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.page {
            Some(p) => write!(f, "{} page {}", self.file.display(), p.saturating_add(1)),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// A pixel count for messages: `150 megapixels` when whole, else `N pixels`.
struct Pixels(u64);

impl fmt::Display for Pixels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1_000_000 && self.0.is_multiple_of(1_000_000) {
            write!(f, "{} megapixels", self.0 / 1_000_000)
        } else {
            write!(f, "{} pixels", self.0)
        }
    }
}

/// Everything that can stop a scan from becoming a [`super::ScannedPage`].
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{at}: cannot read the file ({source}); check that it exists and is readable")]
    Io {
        at: Location,
        source: std::io::Error,
    },
    #[error("{at}: the file is empty; scan or copy it again")]
    Empty { at: Location },
    #[error("{at}: not a JPEG, PNG, TIFF or PDF file (starts with {head}); convert it first")]
    UnknownFormat { at: Location, head: String },
    #[error("{at}: the file is {size} bytes, above the limit of {limit} bytes; split it into smaller files")]
    FileTooLarge { at: Location, size: u64, limit: u64 },
    #[error("{at}: more than {limit} pages; split it into smaller files")]
    TooManyPages { at: Location, limit: usize },
    #[error("{at}: the file has {count} pages, there is no page {}", .at.page.unwrap_or(0).saturating_add(1))]
    NoSuchPage { at: Location, count: usize },
    #[error("{at}: {width} × {height} pixels exceeds the limit of {limit}; rescan at a lower resolution", limit = Pixels(*.limit))]
    TooManyPixels {
        at: Location,
        width: u64,
        height: u64,
        limit: u64,
    },
    #[error(
        "{at}: truncated {format} data ({detail}); the file is incomplete, copy or scan it again"
    )]
    Truncated {
        at: Location,
        format: &'static str,
        detail: String,
    },
    #[error("{at}: damaged {format} data ({detail}); scan or export it again")]
    Corrupt {
        at: Location,
        format: &'static str,
        detail: String,
    },
    #[error("{at}: {what} is not supported; convert it to PNG, JPEG or an LZW/Deflate/G4 TIFF")]
    Unsupported { at: Location, what: String },
    #[error("{at}: the image has no resolution; pass --dpi")]
    NoResolution { at: Location },
    #[error(
        "{at}: --dpi {value} is not a usable resolution; give a value above 0 and at most 4800"
    )]
    BadDpi { at: Location, value: f32 },
    #[error("{at}: the page already carries text; it is kept as it is")]
    HasText { at: Location },
    #[error("{at}: the page has no single full-page image ({why})")]
    NotImageOnly { at: Location, why: String },
    #[error("{at}: the PDF is encrypted; remove the password protection and try again")]
    Encrypted { at: Location },
    #[error("{at}: the text layer is too large or too complex to read ({what}); the page's text is not used")]
    TextLayerLimit { at: Location, what: String },
    #[error("{at}: damaged PDF ({source}); export or scan it again")]
    Pdf {
        at: Location,
        source: crate::pdf::PdfError,
    },
}

impl DecodeError {
    /// Where the problem is.
    pub fn location(&self) -> &Location {
        match self {
            DecodeError::Io { at, .. }
            | DecodeError::Empty { at }
            | DecodeError::UnknownFormat { at, .. }
            | DecodeError::FileTooLarge { at, .. }
            | DecodeError::TooManyPages { at, .. }
            | DecodeError::NoSuchPage { at, .. }
            | DecodeError::TooManyPixels { at, .. }
            | DecodeError::Truncated { at, .. }
            | DecodeError::Corrupt { at, .. }
            | DecodeError::Unsupported { at, .. }
            | DecodeError::NoResolution { at }
            | DecodeError::BadDpi { at, .. }
            | DecodeError::HasText { at }
            | DecodeError::NotImageOnly { at, .. }
            | DecodeError::Encrypted { at }
            | DecodeError::TextLayerLimit { at, .. }
            | DecodeError::Pdf { at, .. } => at,
        }
    }

    pub(crate) fn io(at: &Location, source: std::io::Error) -> Self {
        DecodeError::Io {
            at: at.clone(),
            source,
        }
    }

    pub(crate) fn corrupt(at: &Location, format: &'static str, detail: impl Into<String>) -> Self {
        DecodeError::Corrupt {
            at: at.clone(),
            format,
            detail: detail.into(),
        }
    }

    pub(crate) fn truncated(at: &Location, format: &'static str) -> Self {
        DecodeError::Truncated {
            at: at.clone(),
            format,
            detail: "unexpected end of file".into(),
        }
    }

    pub(crate) fn unsupported(at: &Location, what: impl Into<String>) -> Self {
        DecodeError::Unsupported {
            at: at.clone(),
            what: what.into(),
        }
    }

    pub(crate) fn not_image_only(at: &Location, why: impl Into<String>) -> Self {
        DecodeError::NotImageOnly {
            at: at.clone(),
            why: why.into(),
        }
    }
}

/// Refuses `width × height` above `max_pixels`, before any pixel buffer exists.
pub(crate) fn check_pixels(
    at: &Location,
    width: u64,
    height: u64,
    max_pixels: u64,
) -> Result<(), DecodeError> {
    match width.checked_mul(height) {
        Some(n) if n <= max_pixels && n > 0 => Ok(()),
        Some(0) => Err(DecodeError::corrupt(
            at,
            "image",
            format!("{width} × {height} pixels"),
        )),
        _ => Err(DecodeError::TooManyPixels {
            at: at.clone(),
            width,
            height,
            limit: max_pixels,
        }),
    }
}

/// Runs a decoder on untrusted data; a panic inside a third-party decoder becomes an error
/// instead of taking the service down (our own code does not panic on input).
pub(crate) fn guard<T>(
    at: &Location,
    f: impl FnOnce() -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(DecodeError::corrupt(
            at,
            "image",
            "the decoder stopped on malformed data",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_page_and_remedy() {
        let at = Location::page(Path::new("scan.tif"), 2);
        let e = check_pixels(&at, 60_000, 60_000, 150_000_000).unwrap_err();
        assert!(e.to_string().starts_with(
            "scan.tif page 3: 60000 × 60000 pixels exceeds the limit of 150 megapixels"
        ));
        let e = DecodeError::Empty {
            at: Location::file(Path::new("empty.jpg")),
        };
        assert!(e.to_string().starts_with("empty.jpg: the file is empty"));
        let e = DecodeError::NoResolution {
            at: Location::file(Path::new("a.png")),
        };
        assert_eq!(
            e.to_string(),
            "a.png: the image has no resolution; pass --dpi"
        );
        let e = DecodeError::not_image_only(
            &Location::page(Path::new("doc.pdf"), 1),
            "it carries text or vector content",
        );
        assert_eq!(
            e.to_string(),
            "doc.pdf page 2: the page has no single full-page image (it carries text or vector content)"
        );
        assert_eq!(e.location().page, Some(1));
        assert!(check_pixels(&at, 0, 5, 100).is_err());
        assert!(check_pixels(&at, u64::MAX, 2, u64::MAX).is_err());
        assert!(check_pixels(&at, 10, 10, 100).is_ok());
        let e = guard::<()>(&at, || panic!("decoder bug")).unwrap_err();
        assert!(matches!(e, DecodeError::Corrupt { .. }), "{e}");
    }
}
