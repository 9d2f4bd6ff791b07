//! Stage `classify`, evaluation: compares a classified batch with the labels of the samples
//! (`samples/dossiers/labels.json`, written by `scripts/gen_dossiers.py`) — per-type precision,
//! recall and F1, field and ID-number accuracy, split accuracy, cover sheets read. Pure: the
//! batch and the labels in, the counts out.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::batch::Batch;
use super::fields::Check;

/// `labels.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct Labels {
    pub files: Vec<LabelledFile>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LabelledFile {
    pub file: String,
    pub pages: Vec<LabelledPage>,
    pub components: Vec<LabelledComponent>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LabelledPage {
    pub page: usize,
    pub dossier: Option<String>,
    #[serde(default)]
    pub cover: bool,
    pub qr: Option<String>,
    #[serde(rename = "type")]
    pub type_code: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LabelledComponent {
    pub dossier: Option<String>,
    #[serde(rename = "type")]
    pub type_code: String,
    /// First and last page (1-based, in the file).
    pub pages: [usize; 2],
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
}

/// Counts for one type.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TypeScore {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// The evaluation of one or more labelled files.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClassifyEval {
    pub per_type: BTreeMap<String, TypeScore>,
    pub macro_f1: f64,
    /// Labelled components whose pages the splitter found exactly.
    pub components_exact: u32,
    pub components: u32,
    /// Pages whose role (cover sheet / starts a paper / continues one) matches the labels.
    pub page_roles_correct: u32,
    pub pages: u32,
    /// Labelled (field, value) pairs read exactly, and all labelled pairs.
    pub fields_correct: u32,
    pub fields_total: u32,
    /// Values read that are not on the paper's labels (for the labelled field kinds).
    pub fields_extra: u32,
    pub ids_correct: u32,
    pub ids_total: u32,
    pub ids_extra: u32,
    /// Cover sheets whose QR is intact, and how many gave the right dossier code.
    pub covers_readable: u32,
    pub covers_read: u32,
    /// Cover sheets with a damaged QR, and how many were reported as such (found as cover
    /// sheets, code left unknown, never a wrong code).
    pub covers_damaged: u32,
    pub covers_damaged_reported: u32,
    /// Papers that were given the wrong dossier code.
    pub wrong_dossier: u32,
    pub mistakes: Vec<String>,
}

/// What the classifier decided for one page of a file.
struct Predicted<'a> {
    /// `Some(code)` when the page is a cover sheet (`Some(None)`: its code unread).
    cover_code: Option<Option<&'a str>>,
    /// The paper that starts on this page, if one does.
    start: Option<&'a super::batch::Component>,
    dossier: Option<&'a str>,
}

impl ClassifyEval {
    /// Adds the comparison of one file's `batch` (classified alone) with its labels.
    pub fn add_file(&mut self, labels: &LabelledFile, batch: &Batch) {
        let n = labels.pages.len();
        let mut pred: Vec<Predicted> = (0..n)
            .map(|_| Predicted {
                cover_code: None,
                start: None,
                dossier: None,
            })
            .collect();
        for d in &batch.dossiers {
            if let Some(c) = &d.cover_page {
                if let Some(p) = pred.get_mut(c.page.wrapping_sub(1)) {
                    p.cover_code = Some(d.code.as_deref());
                    p.dossier = d.code.as_deref();
                }
            }
            for comp in &d.components {
                for (k, pg) in comp.pages.iter().enumerate() {
                    if let Some(p) = pred.get_mut(pg.page.wrapping_sub(1)) {
                        p.dossier = d.code.as_deref();
                        if k == 0 {
                            p.start = Some(comp);
                        }
                    }
                }
            }
        }
        let file = &labels.file;
        // page roles and cover sheets
        let starts: BTreeSet<usize> = labels.components.iter().map(|c| c.pages[0]).collect();
        for lp in &labels.pages {
            self.pages += 1;
            let Some(p) = pred.get(lp.page - 1) else {
                continue;
            };
            let want = if lp.cover {
                "cover"
            } else if starts.contains(&lp.page) {
                "start"
            } else {
                "continue"
            };
            let got = if p.cover_code.is_some() {
                "cover"
            } else if p.start.is_some() {
                "start"
            } else {
                "continue"
            };
            if want == got {
                self.page_roles_correct += 1;
            } else {
                self.mistakes
                    .push(format!("{file} page {}: {got}, labelled {want}", lp.page));
            }
            if lp.cover {
                match lp.qr.as_deref() {
                    Some("damaged") => {
                        self.covers_damaged += 1;
                        if p.cover_code == Some(None) {
                            self.covers_damaged_reported += 1;
                        } else {
                            self.mistakes.push(format!(
                                "{file} page {}: damaged cover sheet not reported ({:?})",
                                lp.page, p.cover_code
                            ));
                        }
                    }
                    _ => {
                        self.covers_readable += 1;
                        if p.cover_code == Some(lp.dossier.as_deref()) && lp.dossier.is_some() {
                            self.covers_read += 1;
                        } else {
                            self.mistakes.push(format!(
                                "{file} page {}: cover sheet read as {:?}, labelled {:?}",
                                lp.page, p.cover_code, lp.dossier
                            ));
                        }
                    }
                }
            }
        }
        // components: matched by their first page
        let mut matched_pred = BTreeSet::new();
        for lc in &labels.components {
            self.components += 1;
            let t = lc.type_code.clone();
            let got = pred.get(lc.pages[0] - 1).and_then(|p| p.start);
            let Some(comp) = got else {
                self.per_type.entry(t.clone()).or_default().fn_ += 1;
                self.mistakes.push(format!(
                    "{file} pages {}-{}: {t} not split out",
                    lc.pages[0], lc.pages[1]
                ));
                self.count_fields(file, lc, None);
                continue;
            };
            matched_pred.insert(lc.pages[0]);
            let first = comp.pages.first().map_or(0, |p| p.page);
            let last = comp.pages.last().map_or(0, |p| p.page);
            if [first, last] == lc.pages && comp.pages.len() == lc.pages[1] - lc.pages[0] + 1 {
                self.components_exact += 1;
            } else {
                self.mistakes.push(format!(
                    "{file}: paper labelled pages {}-{} found as {first}-{last}",
                    lc.pages[0], lc.pages[1]
                ));
            }
            if comp.type_code == t {
                self.per_type.entry(t.clone()).or_default().tp += 1;
            } else {
                self.per_type.entry(t.clone()).or_default().fn_ += 1;
                self.per_type.entry(comp.type_code.clone()).or_default().fp += 1;
                self.mistakes.push(format!(
                    "{file} page {}: {} ({:.0}%), labelled {t}",
                    lc.pages[0],
                    comp.type_code,
                    comp.confidence * 100.0
                ));
            }
            let dossier = pred.get(lc.pages[0] - 1).and_then(|p| p.dossier);
            if lc.dossier.is_some() && dossier.is_some() && dossier != lc.dossier.as_deref() {
                self.wrong_dossier += 1;
                self.mistakes.push(format!(
                    "{file} page {}: dossier {dossier:?}, labelled {:?}",
                    lc.pages[0], lc.dossier
                ));
            }
            self.count_fields(file, lc, Some(comp));
        }
        // predicted papers that start where no labelled paper starts
        for (i, p) in pred.iter().enumerate() {
            if let Some(comp) = p.start {
                if !matched_pred.contains(&(i + 1)) {
                    self.per_type.entry(comp.type_code.clone()).or_default().fp += 1;
                }
            }
        }
        self.finish();
    }

    fn count_fields(
        &mut self,
        file: &str,
        lc: &LabelledComponent,
        comp: Option<&super::batch::Component>,
    ) {
        for (kind, values) in &lc.fields {
            let read: BTreeSet<&str> = comp
                .map(|c| {
                    c.fields
                        .iter()
                        .filter(|f| f.kind.code() == kind && f.check == Check::Valid)
                        .map(|f| f.value.as_str())
                        .collect()
                })
                .unwrap_or_default();
            let want: BTreeSet<&str> = values.iter().map(String::as_str).collect();
            let is_id = kind == "person_id";
            for v in &want {
                self.fields_total += 1;
                if is_id {
                    self.ids_total += 1;
                }
                if read.contains(v) {
                    self.fields_correct += 1;
                    if is_id {
                        self.ids_correct += 1;
                    }
                } else {
                    self.mistakes.push(format!(
                        "{file} page {}: {kind} {v:?} not read (read {:?})",
                        lc.pages[0], read
                    ));
                }
            }
            let extra = read.difference(&want).count() as u32;
            self.fields_extra += extra;
            if is_id {
                self.ids_extra += extra;
            }
        }
    }

    fn finish(&mut self) {
        for s in self.per_type.values_mut() {
            let (tp, fp, fn_) = (s.tp as f64, s.fp as f64, s.fn_ as f64);
            s.precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
            s.recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
            s.f1 = if s.precision + s.recall > 0.0 {
                2.0 * s.precision * s.recall / (s.precision + s.recall)
            } else {
                0.0
            };
        }
        let n = self.per_type.len().max(1) as f64;
        self.macro_f1 = self.per_type.values().map(|s| s.f1).sum::<f64>() / n;
    }

    pub fn field_accuracy(&self) -> f64 {
        ratio(self.fields_correct, self.fields_total)
    }

    pub fn id_accuracy(&self) -> f64 {
        ratio(self.ids_correct, self.ids_total)
    }

    pub fn split_accuracy(&self) -> f64 {
        ratio(self.components_exact, self.components)
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}
