//! Stage `ocr`, the Tesseract instance under an engine: started with the engine's settings,
//! where its language data is looked for, and how one run of it fails.

use std::path::{Path, PathBuf};

use tesseract::{PageSegMode, Tesseract};

use super::OcrError;

/// Where Debian's tesseract-ocr-* packages put the language data.
const DEBIAN_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";
/// Page segmentation: one column of lines of varying size (PSM 4). The library default (one
/// block) turns noise into stray punctuation; full auto layout (PSM 3) cuts the list numbers of
/// a form into a column of their own, read after the text and often misread, and splits a
/// page into many blocks.
pub(crate) const PAGE_MODE: PageSegMode = PageSegMode::PsmSingleColumn;

/// Why one Tesseract run failed (the caller names the file and page).
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error(transparent)]
    Start(#[from] OcrError),
    #[error("an image side of {0} px is too large for Tesseract")]
    Side(u32),
    #[error("setting the {0}x{1} image: {2}")]
    Frame(u32, u32, String),
    #[error("recognition: {0}")]
    Recognize(String),
    #[error("reading the result: {0}")]
    Read(String),
}

/// Starts Tesseract for `lang` with the engine's settings.
pub(crate) fn start(lang: &str, datapath: Option<&str>) -> Result<Tesseract, OcrError> {
    let init = || OcrError::Init {
        lang: lang.to_owned(),
        dir: datapath.map_or_else(|| "Tesseract's default folder".to_owned(), str::to_owned),
    };
    let mut tess = Tesseract::new(datapath, Some(lang)).map_err(|_| init())?;
    tess.set_page_seg_mode(PAGE_MODE);
    // Tesseract's own messages ("Empty page!!", resolution warnings) are not ours to print.
    let tess = tess
        .set_variable("debug_file", "/dev/null")
        .map_err(|_| init())?;
    // No second recognition of each doubtful line as white-on-black text: scans of
    // administrative papers have none, and on the 28 sample pages (PSM 4, upright) the retries
    // cost 9% of Tesseract's CPU time (19.13 -> 17.40 s) for a CER of 0.517% instead of 0.511%.
    tess.set_variable("tessedit_do_invert", "0")
        .map_err(|_| init())
}

/// The folder Tesseract will read language data from, when it can be known: the configured
/// one, else `TESSDATA_PREFIX`, else Debian's when present.
pub(crate) fn data_dir(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from) {
        if p.is_dir() {
            return Some(p);
        }
    }
    Some(PathBuf::from(DEBIAN_TESSDATA)).filter(|p| p.is_dir())
}
