//! Stage `similar` (beside `classify`, used by `store`/`find`): measures the near-duplicate
//! check on the set `scripts/gen_rescans.py` writes (re-scans must be `Same`, look-alikes must
//! never be).
//!
//! ```text
//! .venv/bin/python scripts/gen_rescans.py
//! OMP_THREAD_LIMIT=1 cargo run --release --example similar_eval -- bench-data/similar [--workers N] [--fresh]
//! ```
//!
//! Every image is decoded with `decode`, recognised with `ocr::Engine` (`OcrConfig::default()`,
//! vie), and its signature built from the upright raster and the text. The OCR result (text,
//! rotation, skew) is cached in `DIR/ocr-cache.json` (keyed by file name and size) so that the
//! signatures can be rebuilt without OCR after a change to `similar`; `--fresh` ignores it.
//! Prints precision and recall of verdict `Same` over the labelled pairs, the distribution of
//! each measure for positives and negatives, the pairs on the wrong side, and a sweep of the
//! `Same` thresholds (which settings keep precision 1 and what recall they give).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sohoa::decode::{self, DecodeLimits};
use sohoa::ocr::{self, Engine, OcrConfig, RecognizedPage};
use sohoa::similar::phash::hamming;
use sohoa::similar::{self, Likeness, PageSignature, PaperSignature, Verdict};

#[derive(Deserialize)]
struct Manifest {
    papers: Vec<Paper>,
    pairs: Vec<Pair>,
}

#[derive(Deserialize)]
struct Paper {
    id: String,
    files: Vec<String>,
    /// Clockwise quarter turn applied to the upright paper when it was scanned.
    rot: u16,
}

#[derive(Deserialize)]
struct Pair {
    a: String,
    b: String,
    same: bool,
    why: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct Ocr {
    bytes: u64,
    rotation: u16,
    skew_degrees: f32,
    text: String,
}

fn main() -> anyhow::Result<()> {
    ocr::ensure_single_threaded_openmp().ok();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.iter()
            .find(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
            .map_or("bench-data/similar", String::as_str),
    );
    let workers = args
        .iter()
        .position(|a| a == "--workers")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(2usize)
        .max(1);
    let fresh = args.iter().any(|a| a == "--fresh");
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    let cache_path = dir.join("ocr-cache.json");
    let cache: HashMap<String, Ocr> = if fresh {
        HashMap::new()
    } else {
        std::fs::read(&cache_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    };
    let files: Vec<String> = manifest
        .papers
        .iter()
        .flat_map(|p| p.files.iter().cloned())
        .collect();
    let started = std::time::Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<HashMap<String, (Ocr, PageSignature)>> = Mutex::new(HashMap::new());
    let ocr_runs = AtomicUsize::new(0);
    std::thread::scope(|s| -> anyhow::Result<()> {
        let mut handles = Vec::new();
        for _ in 0..workers {
            handles.push(s.spawn(|| -> anyhow::Result<()> {
                let mut engine: Option<Engine> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(name) = files.get(i) else {
                        return Ok(());
                    };
                    let path = dir.join(name);
                    let (o, sig) = signature(&path, cache.get(name), &mut engine, &ocr_runs)?;
                    results
                        .lock()
                        .expect("no poisoned lock")
                        .insert(name.clone(), (o, sig));
                }
            }));
        }
        for h in handles {
            h.join().expect("worker panicked")?;
        }
        Ok(())
    })?;
    let results = results.into_inner().expect("no poisoned lock");
    let new_cache: BTreeMap<&String, &Ocr> = results.iter().map(|(k, (o, _))| (k, o)).collect();
    std::fs::write(&cache_path, serde_json::to_vec(&new_cache)?)?;
    println!(
        "{} images, {} recognised now ({} from the cache), {:.1} s with {workers} workers",
        files.len(),
        ocr_runs.load(Ordering::Relaxed),
        files.len() - ocr_runs.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );

    let papers: HashMap<&str, PaperSignature> = manifest
        .papers
        .iter()
        .map(|p| {
            let pages = p.files.iter().map(|f| results[f].1.clone()).collect();
            (p.id.as_str(), PaperSignature { pages })
        })
        .collect();
    // Pages OCR turned the wrong way: their text is lost whatever `similar` does.
    let misturned: HashMap<&str, bool> = manifest
        .papers
        .iter()
        .map(|p| {
            let want = (360 - p.rot % 360) % 360;
            let bad = p.files.iter().any(|f| results[f].0.rotation != want);
            (p.id.as_str(), bad)
        })
        .collect();
    let mut bad: Vec<&str> = misturned
        .iter()
        .filter(|(_, b)| **b)
        .map(|(k, _)| *k)
        .collect();
    bad.sort_unstable();
    println!(
        "scans with a page OCR turned the wrong way ({}): {}",
        bad.len(),
        bad.join(", ")
    );
    let scored: Vec<(&Pair, Likeness)> = manifest
        .pairs
        .iter()
        .map(|p| {
            (
                p,
                similar::compare(&papers[p.a.as_str()], &papers[p.b.as_str()]),
            )
        })
        .collect();
    let dump: Vec<serde_json::Value> = scored
        .iter()
        .map(|(p, l)| {
            let (pa, pb) = (&papers[p.a.as_str()], &papers[p.b.as_str()]);
            let pairs = || pa.pages.iter().zip(&pb.pages);
            let ph: Vec<u32> = pairs().map(|(x, y)| hamming(x.phash, y.phash)).collect();
            let dh: Vec<u32> = pairs().map(|(x, y)| hamming(x.dhash, y.dhash)).collect();
            serde_json::json!({
                "a": p.a, "b": p.b, "same": p.same, "why": p.why,
                "misturned": misturned[p.a.as_str()] || misturned[p.b.as_str()],
                "phash": ph, "dhash": dh, "likeness": l,
                "numbers_a": pa.pages.iter().flat_map(|g| g.numbers.clone()).collect::<Vec<_>>(),
                "numbers_b": pb.pages.iter().flat_map(|g| g.numbers.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    std::fs::write(dir.join("pairs.json"), serde_json::to_vec_pretty(&dump)?)?;
    println!("\n=== all pairs ===");
    report(&scored);
    let upright: Vec<(&Pair, Likeness)> = scored
        .iter()
        .filter(|(p, _)| !misturned[p.a.as_str()] && !misturned[p.b.as_str()])
        .map(|(p, l)| (*p, *l))
        .collect();
    println!("\n=== pairs whose pages OCR turned upright (what `similar` itself decides) ===");
    report(&upright);
    candidates(&manifest, &papers)?;
    Ok(())
}

/// The index's pre-selection ([`sohoa::index::Index::likeness_candidates`]): every paper
/// stored under one type (the hardest case: the type does not narrow anything), then for
/// each re-scan, is its original among the candidates the index returns?
fn candidates(manifest: &Manifest, papers: &HashMap<&str, PaperSignature>) -> anyhow::Result<()> {
    use sohoa::index::{AuditRequest, NewComponent, Papers, ReviewState, SqliteIndex};
    let mut ix = SqliteIndex::open_in_memory()?;
    let mut ids: HashMap<&str, i64> = HashMap::new();
    let mut names: Vec<&&str> = papers.keys().collect();
    names.sort();
    for (i, name) in names.into_iter().enumerate() {
        let c = NewComponent {
            unit_code: "000.00.10.H59".into(),
            dossier_code: None,
            type_code: "paper".into(),
            confidence: 1.0,
            review_state: ReviewState::Auto,
            pages: 1,
            blank_pages: 0,
            source_sha256: format!("{i:064x}"),
            source_page: 1,
            signed_sha256: None,
            fields_json: "[]".into(),
            owner_ids: Vec::new(),
            tax_codes: Vec::new(),
            issue_date: None,
            valid_until: None,
            ocr_text: String::new(),
            likeness_json: Some(serde_json::to_string(&papers[*name])?),
            rescan_of: None,
            signature: None,
            created_at: "2026-11-22T00:00:00Z".into(),
        };
        let audit = AuditRequest {
            time: c.created_at.clone(),
            actor: "similar_eval".into(),
            action: sohoa::audit::Action::Store,
            subject: String::new(),
            details: serde_json::json!({}),
        };
        ids.insert(name, ix.add_component(&c, &audit)?.0);
    }
    let (mut found, mut total, mut sizes) = (0, 0, Vec::new());
    for p in manifest.pairs.iter().filter(|p| p.same) {
        let cands = ix.likeness_candidates("paper", &papers[p.b.as_str()].keys())?;
        sizes.push(cands.len());
        total += 1;
        if cands.iter().any(|(id, _)| *id == ids[p.a.as_str()]) {
            found += 1;
        }
    }
    sizes.sort_unstable();
    println!(
        "\n=== index pre-selection (a shared number of 6+ characters, or first-page pHash within 11 bits) ===\n\
         the original is among the candidates for {found}/{total} re-scans; candidates per re-scan: median {}, max {} (of {} stored papers)",
        sizes.get(sizes.len() / 2).copied().unwrap_or(0),
        sizes.last().copied().unwrap_or(0),
        papers.len()
    );
    Ok(())
}

/// OCR (or the cached OCR) of one image and its signature.
fn signature(
    path: &Path,
    cached: Option<&Ocr>,
    engine: &mut Option<Engine>,
    ocr_runs: &AtomicUsize,
) -> anyhow::Result<(Ocr, PageSignature)> {
    let limits = DecodeLimits::default();
    let bytes = std::fs::metadata(path)?.len();
    let pages = decode::list_pages(path, &limits)?;
    anyhow::ensure!(pages.len() == 1, "{}: one page expected", path.display());
    let scanned = decode::decode_page(&pages[0], None, &limits)?;
    let recognized = match cached.filter(|c| c.bytes == bytes) {
        Some(c) => RecognizedPage {
            width: 0,
            height: 0,
            words: Vec::new(),
            text: c.text.clone(),
            mean_confidence: 0.0,
            rotation: c.rotation,
            skew_degrees: c.skew_degrees,
            scanned,
        },
        None => {
            if engine.is_none() {
                *engine = Some(Engine::new(&OcrConfig::default())?);
            }
            ocr_runs.fetch_add(1, Ordering::Relaxed);
            engine
                .as_mut()
                .expect("engine started")
                .recognize(scanned)?
        }
    };
    let sig = similar::signature_of_page(&recognized);
    let o = Ocr {
        bytes,
        rotation: recognized.rotation,
        skew_degrees: recognized.skew_degrees,
        text: recognized.text,
    };
    Ok((o, sig))
}

fn quantiles(mut v: Vec<f32>) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort_by(f32::total_cmp);
    let q = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
    format!(
        "min {:6.3}  p05 {:6.3}  p50 {:6.3}  p95 {:6.3}  max {:6.3}",
        q(0.0),
        q(0.05),
        q(0.5),
        q(0.95),
        q(1.0)
    )
}

fn report(scored: &[(&Pair, Likeness)]) {
    let pos: Vec<&Likeness> = scored
        .iter()
        .filter(|(p, _)| p.same)
        .map(|(_, l)| l)
        .collect();
    let neg: Vec<&Likeness> = scored
        .iter()
        .filter(|(p, _)| !p.same)
        .map(|(_, l)| l)
        .collect();
    let count = |v: &[&Likeness], verdict| v.iter().filter(|l| l.verdict == verdict).count();
    let tp = count(&pos, Verdict::Same);
    let fp = count(&neg, Verdict::Same);
    println!(
        "\n{} pairs: {} positives (re-scans), {} negatives (look-alikes, same type other person)",
        scored.len(),
        pos.len(),
        neg.len()
    );
    println!(
        "verdict Same: precision {:.3} ({tp}/{}), recall {:.3} ({tp}/{})",
        if tp + fp == 0 {
            1.0
        } else {
            tp as f64 / (tp + fp) as f64
        },
        tp + fp,
        tp as f64 / pos.len().max(1) as f64,
        pos.len()
    );
    println!(
        "positives: Same {}, Unsure {}, Different {}",
        tp,
        count(&pos, Verdict::Unsure),
        count(&pos, Verdict::Different)
    );
    println!(
        "negatives: Same {}, Unsure {}, Different {}",
        fp,
        count(&neg, Verdict::Unsure),
        count(&neg, Verdict::Different)
    );
    let mut whys: Vec<&str> = scored.iter().map(|(p, _)| p.why.as_str()).collect();
    whys.sort_unstable();
    whys.dedup();
    println!("\ndistributions (image distance in bits, Jaccards 0..1):");
    for why in whys {
        let sel: Vec<&Likeness> = scored
            .iter()
            .filter(|(p, _)| p.why == why)
            .map(|(_, l)| l)
            .collect();
        println!("  {why} ({} pairs)", sel.len());
        println!(
            "    image   {}",
            quantiles(sel.iter().map(|l| l.image_distance).collect())
        );
        println!(
            "    text    {}",
            quantiles(sel.iter().map(|l| l.text_jaccard).collect())
        );
        println!(
            "    numbers {}",
            quantiles(sel.iter().map(|l| l.numbers_agree).collect())
        );
        println!(
            "    score   {}",
            quantiles(sel.iter().map(|l| l.score).collect())
        );
    }
    println!("\npositives not Same:");
    for (p, l) in scored
        .iter()
        .filter(|(p, l)| p.same && l.verdict != Verdict::Same)
    {
        println!(
            "  {} ~ {}: {:?} image {:.1} text {:.3} numbers {:.3} conflict {}",
            p.a,
            p.b,
            l.verdict,
            l.image_distance,
            l.text_jaccard,
            l.numbers_agree,
            l.numbers_conflict
        );
    }
    println!("negatives Same or Unsure:");
    for (p, l) in scored
        .iter()
        .filter(|(p, l)| !p.same && l.verdict != Verdict::Different)
    {
        println!(
            "  {} ~ {}: {:?} image {:.1} text {:.3} numbers {:.3} conflict {}",
            p.a,
            p.b,
            l.verdict,
            l.image_distance,
            l.text_jaccard,
            l.numbers_agree,
            l.numbers_conflict
        );
    }
    // Sweep of the Same thresholds: which keep every negative out, and their recall.
    println!("\nsweep of the Same thresholds (precision 1 only; best recall first, then margin):");
    let mut rows = Vec::new();
    for img in [6.0f32, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0] {
        for text in [0.2f32, 0.3, 0.4, 0.5, 0.6, 0.7] {
            for num in [0.6f32, 0.7, 0.8, 0.9, 1.0] {
                let same = |l: &Likeness| {
                    l.image_distance <= img && l.text_jaccard >= text && l.numbers_agree >= num
                };
                let fp = neg.iter().filter(|l| same(l)).count();
                let tp = pos.iter().filter(|l| same(l)).count();
                if fp == 0 {
                    rows.push((tp, img, text, num));
                }
            }
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)));
    for (tp, img, text, num) in rows.iter().take(12) {
        println!(
            "  image <= {img:4.1}  text >= {text:.2}  numbers >= {num:.2}: recall {:.3} ({tp}/{})",
            *tp as f64 / pos.len().max(1) as f64,
            pos.len()
        );
    }
    let best_neg_numbers = neg
        .iter()
        .filter(|l| l.image_distance <= similar::SAME_MAX_IMAGE_DISTANCE)
        .map(|l| l.numbers_agree)
        .fold(0.0f32, f32::max);
    println!(
        "\nhighest numbers Jaccard of a negative within the image threshold: {best_neg_numbers:.3}"
    );
    println!(
        "thresholds in use: Same if image <= {} and text >= {} and numbers >= {}; Different if image > {} or text < {} or numbers < {}",
        similar::SAME_MAX_IMAGE_DISTANCE,
        similar::SAME_MIN_TEXT,
        similar::SAME_MIN_NUMBERS,
        similar::DIFFERENT_MIN_IMAGE_DISTANCE,
        similar::DIFFERENT_MAX_TEXT,
        similar::DIFFERENT_MAX_NUMBERS
    );
}
