//! Beside `verify` (storage and checking), for the desk's preview: a page of a stored PDF as
//! a picture for people (the officer looks at a paper before reusing it), rendered by
//! poppler's `pdftoppm` (Debian `poppler-utils`) in a child process — with a deadline, the
//! picture's longest side bounded (so a huge page cannot take unbounded memory) and its
//! output bounded. The desk hands it bytes it has checked against their SHA-256; the renderer
//! is a trait so the desk's tests and other renderers plug in.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest side of a preview, pixels: at least, by default, at most.
pub const MIN_SIDE: u32 = 200;
pub const DEFAULT_SIDE: u32 = 1400;
pub const MAX_SIDE: u32 = 2400;

/// A rendered page: JPEG bytes.
#[derive(Clone, Debug)]
pub struct PageImage {
    pub jpeg: Vec<u8>,
}

/// Why a page could not be shown; messages name the page and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreviewError {
    #[error("page {page} of {name}: the previews need poppler's pdftoppm ({program}): install poppler-utils ({source})")]
    NoRenderer {
        page: u32,
        name: String,
        program: String,
        source: std::io::Error,
    },
    #[error("page {page} of {name}: pdftoppm took longer than {seconds} s and was stopped")]
    TimedOut {
        page: u32,
        name: String,
        seconds: u64,
    },
    #[error("page {page} of {name}: pdftoppm could not render it: {message}")]
    Failed {
        page: u32,
        name: String,
        message: String,
    },
    #[error("page {page} of {name}: {what}: {source}")]
    Io {
        page: u32,
        name: String,
        what: &'static str,
        source: std::io::Error,
    },
}

/// Renders one page of a PDF (1-based), its longest side `side` pixels.
pub trait PageRenderer: Send + Sync {
    fn render(
        &self,
        name: &str,
        pdf: &[u8],
        page: u32,
        side: u32,
    ) -> Result<PageImage, PreviewError>;
}

/// poppler's `pdftoppm`, run once per page.
#[derive(Clone, Debug)]
pub struct Pdftoppm {
    pub program: PathBuf,
    pub timeout: Duration,
    /// Largest picture accepted from it, bytes.
    pub max_output: usize,
}

impl Default for Pdftoppm {
    fn default() -> Self {
        Self {
            program: PathBuf::from("pdftoppm"),
            timeout: Duration::from_secs(20),
            max_output: 32 << 20,
        }
    }
}

impl PageRenderer for Pdftoppm {
    fn render(
        &self,
        name: &str,
        pdf: &[u8],
        page: u32,
        side: u32,
    ) -> Result<PageImage, PreviewError> {
        let io = |what| {
            let name = name.to_string();
            move |source| PreviewError::Io {
                page,
                name,
                what,
                source,
            }
        };
        let side = side.clamp(MIN_SIDE, MAX_SIDE);
        // the PDF goes through a private temporary file (pdftoppm seeks in it)
        let mut file = tempfile::NamedTempFile::new().map_err(io("a temporary file"))?;
        file.write_all(pdf).map_err(io("a temporary file"))?;
        file.flush().map_err(io("a temporary file"))?;
        let mut child = Command::new(&self.program)
            .args(["-f", &page.to_string(), "-l", &page.to_string()])
            .args(["-scale-to", &side.to_string()])
            .args(["-jpeg", "-jpegopt", "quality=82", "-singlefile"])
            .arg(file.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| PreviewError::NoRenderer {
                page,
                name: name.to_string(),
                program: self.program.display().to_string(),
                source,
            })?;
        // read both pipes on their own threads (a full pipe would stall the child), bounded
        let limit = self.max_output as u64 + 1;
        let out = child.stdout.take().map(|o| {
            std::thread::spawn(move || {
                let mut b = Vec::new();
                o.take(limit).read_to_end(&mut b).map(|_| b)
            })
        });
        let err = child.stderr.take().map(|e| {
            std::thread::spawn(move || {
                let mut b = Vec::new();
                let _ = e.take(64 * 1024).read_to_end(&mut b);
                b
            })
        });
        let start = Instant::now();
        let status = loop {
            match child.try_wait().map_err(io("waiting for pdftoppm"))? {
                Some(s) => break s,
                None if start.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(PreviewError::TimedOut {
                        page,
                        name: name.to_string(),
                        seconds: self.timeout.as_secs(),
                    });
                }
                None => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        let jpeg = match out.map(|t| t.join()) {
            Some(Ok(Ok(b))) => b,
            _ => Vec::new(),
        };
        let stderr = err.and_then(|t| t.join().ok()).unwrap_or_default();
        let failed = |message: String| PreviewError::Failed {
            page,
            name: name.to_string(),
            message,
        };
        if !status.success() {
            let msg = String::from_utf8_lossy(&stderr).trim().to_string();
            return Err(failed(if msg.is_empty() {
                format!("it exited with {status}")
            } else {
                msg
            }));
        }
        if jpeg.len() > self.max_output {
            return Err(failed(format!(
                "its picture is larger than {} bytes",
                self.max_output
            )));
        }
        if !jpeg.starts_with(&[0xFF, 0xD8]) {
            return Err(failed("it wrote no JPEG picture".into()));
        }
        Ok(PageImage { jpeg })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_renderer_is_named_with_the_package_to_install() {
        let r = Pdftoppm {
            program: PathBuf::from("/nonexistent/pdftoppm"),
            ..Pdftoppm::default()
        };
        let e = r.render("paper #1", b"%PDF-1.7", 1, 800).unwrap_err();
        assert!(e.to_string().contains("install poppler-utils"), "{e}");
    }

    #[test]
    fn what_is_not_a_pdf_is_refused_with_pdftoppm_s_reason() {
        let e = Pdftoppm::default()
            .render("paper #2", b"not a pdf at all", 1, 800)
            .unwrap_err();
        assert!(
            matches!(e, PreviewError::Failed { .. }) && e.to_string().contains("paper #2"),
            "{e}"
        );
    }

    #[test]
    fn a_sample_page_renders_as_a_jpeg_of_the_asked_size_with_ink_on_it() {
        let pdf = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/pdf/quyet-dinh.pdf"),
        )
        .unwrap();
        let img = Pdftoppm::default()
            .render("quyet-dinh.pdf", &pdf, 1, 800)
            .unwrap();
        let pic = image::load_from_memory(&img.jpeg).unwrap().to_luma8();
        assert_eq!(pic.width().max(pic.height()), 800);
        let dark = pic.pixels().filter(|p| p.0[0] < 128).count();
        let share = dark as f64 / (pic.width() * pic.height()) as f64;
        // a page of text: some ink, mostly paper
        assert!(share > 0.002 && share < 0.5, "dark share {share}");
        // a page past the end is pdftoppm's error, named
        let e = Pdftoppm::default()
            .render("quyet-dinh.pdf", &pdf, 99, 800)
            .unwrap_err();
        assert!(e.to_string().contains("page 99 of quyet-dinh.pdf"), "{e}");
    }
}
