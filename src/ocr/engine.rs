//! Stage `ocr`, the engine: one Tesseract instance reused page after page; per page it runs
//! layout analysis (skew, line direction), tries orientations, and parses the recognition.

use std::sync::Arc;
use std::time::{Duration, Instant};

use image::GrayImage;
use tesseract::{PageSegMode, Tesseract};

use super::orientation::{self, Candidate, Quality};
use super::tess::{data_dir, start, RunError, PAGE_MODE};
use super::tsv::{self, Parsed};
use super::{
    borders, denoise, deskew, listnum, rotate, strips, Board, OcrConfig, OcrError, RecognizedPage,
    Word,
};
use crate::decode::ScannedPage;

/// Tesseract keeps coordinates in 16-bit integers.
const MAX_SIDE: u32 = 32767;

/// One Tesseract instance with its settings; create one per worker thread (it is `Send`, not
/// shareable) and feed it pages one after the other.
///
/// Tesseract starts in the background (about 0.1 s of loading the model and Tesseract's
/// tables), so a worker decodes and analyses its first page meanwhile; the first recognition
/// waits for it.
pub struct Engine {
    /// `None` while starting, and after a failed call consumed the instance (re-created on the
    /// next page).
    tess: Option<Tesseract>,
    /// Tesseract being started in the background.
    boot: Option<std::thread::JoinHandle<Result<Tesseract, OcrError>>>,
    lang: String,
    datapath: Option<String>,
    detect_orientation: bool,
    max_skew_degrees: f32,
    /// See [`OcrConfig::colour_dropout`].
    colour_dropout: bool,
    /// The call's board, when its engines share the reading (see [`Engine::share`]); without
    /// one the engine reads every page whole and its probes one at a time.
    board: Option<Arc<Board>>,
    /// Recognitions in [`PAGE_MODE`] run so far (see [`Engine::recognitions`]).
    runs: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("lang", &self.lang)
            .field("datapath", &self.datapath)
            .field("detect_orientation", &self.detect_orientation)
            .field("max_skew_degrees", &self.max_skew_degrees)
            .field("board", &self.board)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Checks the language codes and their data files, then starts Tesseract in the background
    /// (PSM 4, one column of lines of varying size, see [`PAGE_MODE`]). A data file Tesseract
    /// cannot load is reported by the first recognition.
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
        let mut engine = Self::booting(
            cfg.lang.clone(),
            datapath,
            cfg.detect_orientation,
            cfg.max_skew_degrees.abs().min(45.0),
        );
        engine.colour_dropout = cfg.colour_dropout;
        Ok(engine)
    }

    /// An engine whose Tesseract is being started on a thread of its own.
    fn booting(
        lang: String,
        datapath: Option<String>,
        detect_orientation: bool,
        max_skew_degrees: f32,
    ) -> Self {
        let (l, d) = (lang.clone(), datapath.clone());
        Self {
            tess: None,
            boot: Some(std::thread::spawn(move || start(&l, d.as_deref()))),
            lang,
            datapath,
            detect_orientation,
            max_skew_degrees,
            colour_dropout: true,
            board: None,
            runs: 0,
        }
    }

    /// Reads this engine's pages through `board`, with the other engines of the call: strips
    /// of the call's last pages and orientation probes are posted there and read by whichever
    /// engine is free (see [`Board`]). `None`: on its own again (before the engine goes back
    /// to a pool).
    pub fn share(&mut self, board: Option<Arc<Board>>) {
        self.board = board;
    }

    /// For a worker that takes no more pages: leaves the board it shares, then reads what the
    /// other engines post there until they are done too.
    pub fn help(&mut self) {
        let Some(board) = self.board.clone() else {
            return;
        };
        board.leave();
        board.help(&mut |img, dpi| self.run(img, dpi).map(|t| tsv::parse(&t)));
    }

    /// Threads the rotation of a page may use.
    fn threads(&self) -> usize {
        self.board.as_ref().map_or(1, |b| b.threads())
    }

    /// How many images this engine recognised in [`PAGE_MODE`] so far: full pages, strips
    /// (its own or other engines' on a shared board) and orientation probes (list-number
    /// re-reads are not counted). For tests and diagnostics.
    pub fn recognitions(&self) -> u64 {
        self.runs
    }

    /// The started Tesseract, waiting for the background start or starting one anew.
    fn tesseract(&mut self) -> Result<Tesseract, OcrError> {
        if let Some(t) = self.tess.take() {
            return Ok(t);
        }
        if let Some(Ok(started)) = self.boot.take().map(|b| b.join()) {
            return started;
        }
        start(&self.lang, self.datapath.as_deref())
    }

    /// Orientation, deskew and recognition of one page. A page where Tesseract finds nothing
    /// is `Ok` with no words.
    pub fn recognize(&mut self, page: ScannedPage) -> Result<RecognizedPage, OcrError> {
        let started = Instant::now();
        if let Some(board) = &self.board {
            board.begin_page();
        }
        let mut gray = if self.colour_dropout {
            rotate::to_gray_dropping_colour(&page.raster)
        } else {
            rotate::to_gray(&page.raster)
        };
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
        let t_prep = started.elapsed();
        let order = if candidates.len() > 1 && w > 0 && h > 0 {
            match way_up_order(&gray, &candidates, &mut uprights, &dpi_of, self.threads()) {
                Some(order) => order,
                None => self
                    .probe_order(&gray, &candidates, &mut uprights, specks, &dpi_of)
                    .map_err(err)?,
            }
        } else {
            (0..candidates.len()).collect()
        };
        let t_order = started.elapsed();
        let mut t_rot = Duration::ZERO;
        let mut t_read = Duration::ZERO;
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
            let tr = Instant::now();
            let mut img = made.unwrap_or_else(|| {
                rotate::upright_gray(&gray, cand.rotation, cand.skew_degrees, self.threads())
            });
            if specks {
                img = denoise::median3(&img);
            }
            t_rot += tr.elapsed();
            let tr = Instant::now();
            let dpi = dpi_of(cand.rotation);
            let parsed = if w == 0 || h == 0 {
                Parsed::default()
            } else {
                self.read_page(&img, dpi).map_err(err)?
            };
            t_read += tr.elapsed();
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
        let t_re = Instant::now();
        if self.reread_list_numbers(&img, dpi, &mut parsed.words) {
            parsed = tsv::from_words(parsed.words);
        }
        let ms = |d: Duration| d.as_millis() as u64;
        tracing::debug!(
            file = %page.source.display(),
            page = page.page_index + 1,
            analyse_ms = ms(t_prep),
            orientation_ms = ms(t_order - t_prep),
            rotate_ms = ms(t_rot),
            read_ms = ms(t_read),
            reread_ms = ms(t_re.elapsed()),
            total_ms = ms(started.elapsed()),
            "ocr: page read"
        );
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
        let mut i = 0;
        while i < candidates.len() {
            // with a helper engine, a pair half a turn apart is probed side by side
            let pair = self.threads() > 1
                && candidates
                    .get(i + 1)
                    .is_some_and(|next| half_turn(&candidates[i], next));
            let group = i..if pair { i + 2 } else { i + 1 };
            let mut bands = Vec::with_capacity(2);
            for k in group.clone() {
                let cand = candidates[k];
                // half a turn from a candidate already made: turning its image is much
                // cheaper than another deskew rotation
                let partner = candidates[..k].iter().position(|c| half_turn(c, &cand));
                let img = match (
                    uprights[k].take(),
                    partner.and_then(|j| uprights[j].as_ref()),
                ) {
                    (Some(made), _) => made,
                    (None, Some(made)) => rotate::quarter_turn(made, 180),
                    (None, None) => {
                        rotate::upright_gray(gray, cand.rotation, cand.skew_degrees, self.threads())
                    }
                };
                let dpi = dpi_of(cand.rotation);
                let (x, y, bw, bh) = orientation::probe_window(&img, dpi);
                let mut band = image::imageops::crop_imm(&img, x, y, bw, bh).to_image();
                if specks {
                    band = denoise::median3(&band);
                }
                uprights[k] = Some(img);
                bands.push((band, dpi));
            }
            let mut good = false;
            for (k, parsed) in group.zip(self.read_side_by_side(bands)?) {
                let q = Quality::of(&parsed.words);
                scores[k] = Some(q.score());
                good |= q.clearly_good();
            }
            if good {
                break;
            }
            i += if pair { 2 } else { 1 };
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

    /// The final recognition of an upright page: cut into strips read side by side when its
    /// board says so (see [`Board`]) and the page has blank rows to cut through, else whole.
    fn read_page(&mut self, img: &GrayImage, dpi: f32) -> Result<Parsed, RunError> {
        let parts = self.board.as_ref().map_or(1, |b| b.parts_for_page());
        let cuts = strips::cuts(img, parts, dpi);
        if cuts.len() <= 1 {
            return Ok(tsv::parse(&self.run(img, dpi)?));
        }
        let strips: Vec<(GrayImage, f32)> = cuts
            .iter()
            .map(|&(top, bottom)| {
                let part = image::imageops::crop_imm(img, 0, top, img.width(), bottom - top);
                (part.to_image(), dpi)
            })
            .collect();
        let parts = self.read_side_by_side(strips)?;
        Ok(strips::merge(cuts.iter().map(|c| c.0).zip(parts).collect()))
    }

    /// Recognises each image: on the board, beside the other engines of the call, else one
    /// after the other.
    fn read_side_by_side(
        &mut self,
        images: Vec<(GrayImage, f32)>,
    ) -> Result<Vec<Parsed>, RunError> {
        match self.board.clone() {
            Some(board) => board.read_all(images, &mut |img, dpi| {
                self.run(img, dpi).map(|t| tsv::parse(&t))
            }),
            None => images
                .iter()
                .map(|(img, dpi)| self.run(img, *dpi).map(|t| tsv::parse(&t)))
                .collect(),
        }
    }

    /// One recognition of an upright gray image: Tesseract's TSV, or what went wrong.
    fn run(&mut self, img: &GrayImage, dpi: f32) -> Result<String, RunError> {
        self.runs += 1;
        self.run_as(img, dpi, PAGE_MODE)
    }

    /// [`Self::run`] with another page segmentation mode, restored afterwards.
    fn run_as(&mut self, img: &GrayImage, dpi: f32, mode: PageSegMode) -> Result<String, RunError> {
        let mut tess = self.tesseract()?;
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

/// Whether `b` is `a` turned half a turn, with the same deskew.
fn half_turn(a: &Candidate, b: &Candidate) -> bool {
    a.skew_degrees == b.skew_degrees && (a.rotation + 180) % 360 == b.rotation
}

/// The order of two candidates half a turn apart, told from the ink of the first one's
/// upright image alone ([`orientation::way_up`]), so neither needs a recognised probe; the
/// upright image made goes to `uprights`. `None` when there are other candidates or the ink does
/// not tell (then [`Engine::probe_order`] decides, reusing the image made here). A wrong call
/// costs one more full recognition: the first is not clearly good, so the second follows.
fn way_up_order(
    gray: &GrayImage,
    candidates: &[Candidate],
    uprights: &mut [Option<GrayImage>],
    dpi_of: &dyn Fn(u16) -> f32,
    threads: usize,
) -> Option<Vec<usize>> {
    let [first, second] = candidates else {
        return None;
    };
    if !half_turn(first, second) {
        return None;
    }
    let mut img = rotate::upright_gray(gray, first.rotation, first.skew_degrees, threads);
    match orientation::way_up(&img, dpi_of(first.rotation)) {
        orientation::WayUp::Upright => {
            uprights[0] = Some(img);
            Some(vec![0, 1])
        }
        orientation::WayUp::UpsideDown => {
            // turned in place: the first candidate's image is made again only if needed
            rotate::half_turn_in_place(&mut img);
            uprights[1] = Some(img);
            Some(vec![1, 0])
        }
        orientation::WayUp::Unclear => {
            uprights[0] = Some(img);
            None
        }
    }
}
