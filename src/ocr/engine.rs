//! Stage `ocr`, the engine: one Tesseract instance reused page after page; per page it runs
//! layout analysis (skew, line direction), tries orientations, and parses the recognition.

use std::path::{Path, PathBuf};

use image::GrayImage;
use tesseract::{PageSegMode, Tesseract};

use super::orientation::{self, Candidate, Quality};
use super::tsv::{self, Parsed};
use super::{borders, denoise, deskew, listnum, rotate, OcrConfig, OcrError, RecognizedPage, Word};
use crate::decode::ScannedPage;

/// Where Debian's tesseract-ocr-* packages put the language data.
const DEBIAN_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";
/// Page segmentation: one column of lines of varying size (PSM 4). The library default (one
/// block) turns noise into stray punctuation; full auto layout (PSM 3) cuts the list numbers of
/// a form into a column of their own, read after the text and often misread, and splits a
/// page into many blocks.
const PAGE_MODE: PageSegMode = PageSegMode::PsmSingleColumn;
/// Tesseract keeps coordinates in 16-bit integers.
const MAX_SIDE: u32 = 32767;

/// One Tesseract instance with its settings; create one per worker thread (it is `Send`, not
/// shareable) and feed it pages one after the other.
pub struct Engine {
    /// `None` after a failed call consumed the instance; re-created on the next page.
    tess: Option<Tesseract>,
    lang: String,
    datapath: Option<String>,
    detect_orientation: bool,
    max_skew_degrees: f32,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("lang", &self.lang)
            .field("datapath", &self.datapath)
            .field("detect_orientation", &self.detect_orientation)
            .field("max_skew_degrees", &self.max_skew_degrees)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Checks the language codes and their data files, then starts Tesseract (PSM 4, one
    /// column of lines of varying size, see [`PAGE_MODE`]).
    pub fn new(cfg: &OcrConfig) -> Result<Self, OcrError> {
        let langs: Vec<&str> = cfg.lang.split('+').collect();
        let valid = |l: &str| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !langs.iter().all(|l| valid(l)) {
            return Err(OcrError::InvalidLanguage(cfg.lang.clone()));
        }
        let datapath = match &cfg.tessdata {
            Some(p) => Some(
                p.to_str()
                    .ok_or_else(|| OcrError::InvalidDataPath(p.clone()))?
                    .to_owned(),
            ),
            None => None,
        };
        if let Some(dir) = data_dir(cfg.tessdata.as_deref()) {
            for lang in &langs {
                if !dir.join(format!("{lang}.traineddata")).is_file() {
                    return Err(OcrError::LanguageMissing {
                        lang: (*lang).to_owned(),
                        dir,
                    });
                }
            }
        }
        let mut engine = Self {
            tess: None,
            lang: cfg.lang.clone(),
            datapath,
            detect_orientation: cfg.detect_orientation,
            max_skew_degrees: cfg.max_skew_degrees.abs().min(45.0),
        };
        engine.tess = Some(engine.start()?);
        Ok(engine)
    }

    fn start(&self) -> Result<Tesseract, OcrError> {
        let init = || OcrError::Init {
            lang: self.lang.clone(),
            dir: self
                .datapath
                .clone()
                .unwrap_or_else(|| "Tesseract's default folder".to_owned()),
        };
        let mut tess =
            Tesseract::new(self.datapath.as_deref(), Some(&self.lang)).map_err(|_| init())?;
        tess.set_page_seg_mode(PAGE_MODE);
        // Tesseract's own messages ("Empty page!!", resolution warnings) are not ours to print.
        tess.set_variable("debug_file", "/dev/null")
            .map_err(|_| init())
    }

    /// Orientation, deskew and recognition of one page. A page where Tesseract finds nothing
    /// is `Ok` with no words.
    pub fn recognize(&mut self, page: ScannedPage) -> Result<RecognizedPage, OcrError> {
        let mut gray = rotate::to_gray(&page.raster);
        let (w, h) = gray.dimensions();
        if w > MAX_SIDE || h > MAX_SIDE {
            return Err(OcrError::PageTooLarge {
                file: page.source.display().to_string(),
                page: page.page_index + 1,
                width: w,
                height: h,
            });
        }
        // scanner borders would pass for the page's densest text
        borders::whiten_edge_bands(&mut gray);
        let layout = deskew::analyse(&gray, self.max_skew_degrees);
        let specks = denoise::speck_ratio(&gray) > denoise::SPECKLED;
        let candidates =
            orientation::candidates(&layout, self.detect_orientation, self.max_skew_degrees);
        let err = |e: RunError| OcrError::Recognition {
            file: page.source.display().to_string(),
            page: page.page_index + 1,
            what: e.to_string(),
        };
        let dpi_of = |rotation: u16| {
            if rotation % 180 == 90 {
                page.dpi.0
            } else {
                page.dpi.1
            }
        };
        // Upright images, made once per candidate and shared by the probe and the full run.
        let mut uprights: Vec<Option<GrayImage>> = vec![None; candidates.len()];
        let order = if candidates.len() > 1 && w > 0 && h > 0 {
            self.probe_order(&gray, &candidates, &mut uprights, specks, &dpi_of)
                .map_err(err)?
        } else {
            (0..candidates.len()).collect()
        };
        let mut best: Option<(Candidate, Parsed, Quality, GrayImage)> = None;
        let mut queue: Vec<(Candidate, Option<GrayImage>)> = order
            .into_iter()
            .map(|i| (candidates[i], uprights[i].take()))
            .collect();
        let mut fell_back = false;
        let mut next = 0;
        while next < queue.len() {
            let (cand, made) = (queue[next].0, queue[next].1.take());
            next += 1;
            let mut img = made
                .unwrap_or_else(|| rotate::upright_gray(&gray, cand.rotation, cand.skew_degrees));
            if specks {
                img = denoise::median3(&img);
            }
            let dpi = dpi_of(cand.rotation);
            let parsed = if w == 0 || h == 0 {
                Parsed::default()
            } else {
                tsv::parse(&self.run(&img, dpi).map_err(err)?)
            };
            let quality = Quality::of(&parsed.words);
            let rank = |q: &Quality, p: &Parsed| (q.score(), p.words.len());
            let better = match &best {
                None => true,
                Some((_, p, q, _)) => rank(&quality, &parsed) > rank(q, p),
            };
            let good = quality.clearly_good();
            if better {
                best = Some((cand, parsed, quality, img));
            }
            if good {
                break;
            }
            // Nothing read like text along the dominant line direction (a photo or a dark
            // block can fake one): try the other quarter turns once.
            let plausible = best.as_ref().is_some_and(|b| b.2.plausible());
            if next == queue.len() && !plausible && !fell_back && self.detect_orientation {
                fell_back = true;
                let tried: Vec<Candidate> = queue.iter().map(|q| q.0).collect();
                queue.extend(
                    orientation::other_axis(&layout, &tried, self.max_skew_degrees)
                        .into_iter()
                        .map(|c| (c, None)),
                );
            }
        }
        let (cand, mut parsed, _, img) = best.unwrap_or_else(|| {
            let c = Candidate {
                rotation: 0,
                skew_degrees: 0.0,
            };
            (
                c,
                Parsed::default(),
                Quality::default(),
                GrayImage::new(w, h),
            )
        });
        let (width, height) = img.dimensions();
        let dpi = page.dpi.0.min(page.dpi.1);
        if self.reread_list_numbers(&img, dpi, &mut parsed.words) {
            parsed = tsv::from_words(parsed.words);
        }
        Ok(RecognizedPage {
            scanned: page,
            rotation: cand.rotation,
            skew_degrees: cand.skew_degrees,
            width,
            height,
            words: parsed.words,
            text: parsed.text,
            mean_confidence: parsed.mean_confidence,
        })
    }

    /// The order in which to recognise the candidates at full resolution, best first, judged
    /// by recognising only the densest band of text lines of each (see
    /// [`orientation::probe_window`]). Candidates come in pairs half a turn apart; a probe that is
    /// clearly good settles its pair and the pairs after it go unprobed. Fills `uprights`
    /// with the upright images it made.
    fn probe_order(
        &mut self,
        gray: &GrayImage,
        candidates: &[Candidate],
        uprights: &mut [Option<GrayImage>],
        specks: bool,
        dpi_of: &dyn Fn(u16) -> f32,
    ) -> Result<Vec<usize>, RunError> {
        let mut scores: Vec<Option<f64>> = vec![None; candidates.len()];
        for (i, cand) in candidates.iter().enumerate() {
            // half a turn from a candidate already made: turning its image is much cheaper
            // than another deskew rotation
            let partner = candidates[..i].iter().position(|c| {
                c.skew_degrees == cand.skew_degrees && (c.rotation + 180) % 360 == cand.rotation
            });
            let img = match partner.and_then(|j| uprights[j].as_ref()) {
                Some(made) => image::imageops::rotate180(made),
                None => rotate::upright_gray(gray, cand.rotation, cand.skew_degrees),
            };
            let (x, y, bw, bh) = orientation::probe_window(&img, dpi_of(cand.rotation));
            let mut band = image::imageops::crop_imm(&img, x, y, bw, bh).to_image();
            if specks {
                band = denoise::median3(&band);
            }
            uprights[i] = Some(img);
            let q = Quality::of(&tsv::parse(&self.run(&band, dpi_of(cand.rotation))?).words);
            scores[i] = Some(q.score());
            if q.clearly_good() {
                break;
            }
        }
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        // stable: unprobed candidates keep their place after the probed ones
        order.sort_by(|&a, &b| {
            let key = |i: usize| scores[i].unwrap_or(f64::NEG_INFINITY);
            key(b).total_cmp(&key(a))
        });
        Ok(order)
    }

    /// Re-reads, as single lines, the spots of list numbers whose digits were dropped (see
    /// [`listnum`]); true when a word changed. A failed re-read keeps the word as it was.
    fn reread_list_numbers(&mut self, img: &GrayImage, dpi: f32, words: &mut [Word]) -> bool {
        let mut changed = false;
        for i in listnum::suspects(words) {
            let Some((crop, offset)) = listnum::crop(img, words, i) else {
                continue;
            };
            let Ok(out) = self.run_as(&crop, dpi, PageSegMode::PsmSingleLine) else {
                continue;
            };
            if let Some(w) = listnum::accept(&words[i], &tsv::parse(&out).words, offset) {
                words[i] = w;
                changed = true;
            }
        }
        changed
    }

    /// One recognition of an upright gray image: Tesseract's TSV, or what went wrong.
    fn run(&mut self, img: &GrayImage, dpi: f32) -> Result<String, RunError> {
        self.run_as(img, dpi, PAGE_MODE)
    }

    /// [`Self::run`] with another page segmentation mode, restored afterwards.
    fn run_as(&mut self, img: &GrayImage, dpi: f32, mode: PageSegMode) -> Result<String, RunError> {
        let mut tess = match self.tess.take() {
            Some(t) => t,
            None => self.start()?,
        };
        tess.set_page_seg_mode(mode);
        let (w, h) = img.dimensions();
        let side = |v: u32| i32::try_from(v).map_err(|_| RunError::Side(v));
        let (wi, hi) = (side(w)?, side(h)?);
        let tess = tess
            .set_frame(img.as_raw(), wi, hi, 1, wi)
            .map_err(|e| RunError::Frame(w, h, e.to_string()))?;
        // outside 1..=2400 Tesseract estimates the resolution itself
        let ppi = if dpi.is_finite() && (1.0..=2400.0).contains(&dpi) {
            dpi.round() as i32
        } else {
            0
        };
        let mut tess = tess
            .set_source_resolution(ppi)
            .recognize()
            .map_err(|e| RunError::Recognize(e.to_string()))?;
        let out = tess
            .get_tsv_text(0)
            .map_err(|e| RunError::Read(e.to_string()));
        tess.set_page_seg_mode(PAGE_MODE);
        self.tess = Some(tess);
        out
    }
}

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

/// The folder Tesseract will read language data from, when it can be known: the configured
/// one, else `TESSDATA_PREFIX`, else Debian's when present.
fn data_dir(configured: Option<&Path>) -> Option<PathBuf> {
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
