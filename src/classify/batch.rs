//! Stage `classify`: splitting a batch and deciding each paper's type. Pages in order →
//! dossiers (a cover sheet with a dossier code opens one) → papers (a page with a known title,
//! the national motto, a centred upper-case heading or "Trang 1/n" opens one; "Trang k/n"
//! with k > 1 and pages with none of these continue the paper) →
//! a type with a confidence from the rules and, when trained, the model → the paper's fields.
//! Pure: pages in, a [`Batch`] out.

use serde::Serialize;

use super::dossier_code;
use super::fields::{self, Check, Field, FieldKind};
use super::model::Model;
use super::rules::{PageScores, RuleSet};
use super::types::{DocTypes, InvalidTypes, Validity, OTHER, RECEIPT};
use super::{CodeRead, PageText};

/// The rules, optionally a trained model, and the thresholds.
#[derive(Debug)]
pub struct Classifier {
    pub types: DocTypes,
    rules: RuleSet,
    model: Option<Model>,
}

/// A page of the batch: its index in the batch and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageId {
    pub index: usize,
    pub source: String,
    pub page: usize,
}

/// Where a dossier's code came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CodeSource {
    /// The QR code of the cover sheet.
    CoverSheet,
    /// The folder the operator dropped the files in.
    Folder,
    /// Unknown (no cover sheet, or its code could not be read).
    None,
}

/// One paper (component of a dossier).
#[derive(Clone, Debug, Serialize)]
pub struct Component {
    pub pages: Vec<PageId>,
    /// Blank backs among or after its pages: not stored, counted in the original's pages.
    pub blank_pages: Vec<PageId>,
    pub type_code: String,
    pub type_name: String,
    /// Probability of the chosen type, 0–1.
    pub confidence: f32,
    /// The confidence is below the review threshold: an officer must confirm the type.
    pub needs_review: bool,
    /// The best three types with their probabilities.
    pub candidates: Vec<(String, f32)>,
    pub fields: Vec<Field>,
    /// Valid 12-digit identity numbers on the paper (whose paper it is).
    pub owner_ids: Vec<String>,
    /// Last day of validity (ISO date) when the type expires and the date is known.
    pub valid_until: Option<String>,
    pub warnings: Vec<String>,
}

/// One dossier of the batch.
#[derive(Clone, Debug, Serialize)]
pub struct Dossier {
    pub code: Option<String>,
    pub code_source: CodeSource,
    /// The cover sheet (not stored as a paper).
    pub cover_page: Option<PageId>,
    pub components: Vec<Component>,
    pub warnings: Vec<String>,
}

/// The result for a whole batch.
#[derive(Clone, Debug, Serialize)]
pub struct Batch {
    pub dossiers: Vec<Dossier>,
    /// Separator sheets between papers (patch code T, or a code reading `PATCHT`): they end
    /// the paper before them and are not stored.
    pub separator_pages: Vec<PageId>,
    /// Blank pages outside any paper (the backs of cover and separator sheets).
    pub blank_pages: Vec<PageId>,
}

/// Whether a code's payload is shaped like the QR code of a chip citizen ID card (CCCD): a
/// 12-digit number, then `|`-separated fields.
fn looks_like_id_card(t: &str) -> bool {
    let mut parts = t.split('|');
    let first = parts.next().unwrap_or_default();
    first.len() == 12 && first.bytes().all(|b| b.is_ascii_digit()) && parts.count() >= 4
}

/// The text a separator sheet may carry (its printed instructions) before a separator mark is
/// doubted: a page with more words is a paper with a mark on it, kept, with a warning.
pub const SEPARATOR_MAX_WORDS: usize = 60;

/// What a code reading names a separator sheet, the convention paperless-ngx and scanning
/// software share (its default `PAPERLESS_CONSUMER_BARCODE_STRING`).
pub const SEPARATOR_TEXT: &str = "PATCHT";

/// What a page is for the splitter.
enum Role {
    Cover {
        code: Option<String>,
        warnings: Vec<String>,
    },
    /// A separator sheet: ends the paper before it.
    Separator,
    /// A blank page (the empty back of a duplex scan): counted with the paper it follows.
    Blank,
    Start,
    Continue,
}

impl Component {
    /// Where the paper is, for people: "batch.tif p2", "batch.tif p4-5", "a.jpg p1 - b.jpg p1".
    pub fn pages_label(&self) -> String {
        let (Some(first), Some(last)) = (self.pages.first(), self.pages.last()) else {
            return String::new();
        };
        if self.pages.len() == 1 {
            format!("{} p{}", first.source, first.page)
        } else if first.source == last.source {
            format!("{} p{}-{}", first.source, first.page, last.page)
        } else {
            format!(
                "{} p{} - {} p{}",
                first.source, first.page, last.source, last.page
            )
        }
    }
}

impl Classifier {
    pub fn new(types: DocTypes, model: Option<Model>) -> Result<Self, InvalidTypes> {
        let rules = RuleSet::new(&types)?;
        Ok(Self {
            types,
            rules,
            model,
        })
    }

    /// The built-in types, no model.
    pub fn default_rules() -> Self {
        let types = DocTypes::default_set();
        let rules = RuleSet::new(&types)
            .unwrap_or_else(|e| panic!("the built-in document types are broken: {e}"));
        Self {
            types,
            rules,
            model: None,
        }
    }

    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Type probabilities for some pages' rule scores and text (same order as the rules'
    /// codes).
    fn probabilities(&self, scores: &[f32], text: &str) -> Vec<f32> {
        let t = self.types.temperature;
        let max = scores.iter().cloned().fold(f32::MIN, f32::max);
        let mut p: Vec<f64> = scores
            .iter()
            .map(|s| (((s - max) / t) as f64).exp())
            .collect();
        normalise(&mut p);
        if let Some(model) = &self.model {
            let nb = model.predict(text);
            let floor = nb.iter().map(|x| x.1).fold(1.0, f64::min);
            for (i, code) in self.rules.codes.iter().enumerate() {
                let q = nb.iter().find(|(c, _)| c == code).map_or(floor, |x| x.1);
                p[i] *= q.max(1e-12);
            }
            normalise(&mut p);
        }
        p.into_iter().map(|x| x as f32).collect()
    }

    /// Splits and classifies a batch. `folder_dossier` is the dossier code of the folder the
    /// files came from, if any: it wins over a cover sheet's code, with a warning.
    pub fn classify(&self, pages: &[PageText], folder_dossier: Option<&str>) -> Batch {
        let scores: Vec<PageScores> = pages.iter().map(|p| self.rules.score_page(p)).collect();
        let mut dossiers: Vec<Dossier> = Vec::new();
        let mut current: Option<Dossier> = None;
        let mut paper: Vec<usize> = Vec::new();
        let mut separator_pages = Vec::new();
        let mut blank_pages = Vec::new();
        let receipt = self.rules.index_of(RECEIPT);
        for (i, page) in pages.iter().enumerate() {
            let role = self.role_of(page, &scores[i], receipt, paper.is_empty());
            match role {
                Role::Cover { code, warnings } => {
                    if let Some(d) = current.as_mut() {
                        self.close_paper(d, &mut paper, pages, &scores);
                    }
                    if let Some(d) = current.take() {
                        dossiers.push(d);
                    }
                    let mut d = Dossier {
                        code_source: if code.is_some() {
                            CodeSource::CoverSheet
                        } else {
                            CodeSource::None
                        },
                        code,
                        cover_page: Some(page_id(pages, i)),
                        components: Vec::new(),
                        warnings,
                    };
                    apply_folder(&mut d, folder_dossier);
                    current = Some(d);
                }
                Role::Blank if !paper.is_empty() => paper.push(i),
                Role::Blank => blank_pages.push(page_id(pages, i)),
                Role::Separator => {
                    if let Some(d) = current.as_mut() {
                        self.close_paper(d, &mut paper, pages, &scores);
                    }
                    separator_pages.push(page_id(pages, i));
                }
                Role::Start | Role::Continue => {
                    let d = current.get_or_insert_with(|| {
                        let mut d = Dossier {
                            code: None,
                            code_source: CodeSource::None,
                            cover_page: None,
                            components: Vec::new(),
                            warnings: Vec::new(),
                        };
                        apply_folder(&mut d, folder_dossier);
                        if d.code.is_none() {
                            d.warnings.push(format!(
                                "{} page {}: papers before any cover sheet; the dossier code is unknown",
                                page.source, page.source_page
                            ));
                        }
                        d
                    });
                    if matches!(role, Role::Start) && !paper.is_empty() {
                        self.close_paper(d, &mut paper, pages, &scores);
                    }
                    paper.push(i);
                }
            }
        }
        if let Some(mut d) = current.take() {
            self.close_paper(&mut d, &mut paper, pages, &scores);
            dossiers.push(d);
        }
        Batch {
            dossiers,
            separator_pages,
            blank_pages,
        }
    }

    /// Decides whether a page is a cover sheet, starts a paper or continues one.
    fn role_of(
        &self,
        page: &PageText,
        s: &PageScores,
        receipt: Option<usize>,
        first_in_dossier: bool,
    ) -> Role {
        if page.blank {
            return Role::Blank;
        }
        let at = format!("{} page {}", page.source, page.source_page);
        let mut warnings = Vec::new();
        let mut code = None;
        let mut qr_seen = false;
        let mut separator = false;
        for c in &page.codes {
            match c {
                c if separates(c) => separator = true,
                CodeRead::Patch { bars, .. } => warnings.push(format!(
                    "{at}: patch code {bars} ignored (only T separates)"
                )),
                CodeRead::Decoded { text, .. } => match dossier_code::parse(text) {
                    Ok(c) if code.is_none() => code = Some(c),
                    Ok(_) => {}
                    // Not a code at all: said without its content, which may be personal
                    // (a citizen ID card's QR code holds the holder's name and address).
                    Err(dossier_code::DossierCodeError::Shape(t)) => warnings.push(format!(
                        "{at}: a code that is not a dossier code was ignored ({} characters{}; \
                         its content is not shown)",
                        t.chars().count(),
                        if looks_like_id_card(&t) {
                            ", shaped like a citizen ID card's QR code"
                        } else {
                            ""
                        }
                    )),
                    Err(e) => warnings.push(format!("{at}: QR code ignored: {e}")),
                },
                CodeRead::Unreadable { reason, .. } => {
                    qr_seen = true;
                    warnings.push(format!("{at}: {reason}"));
                }
            }
        }
        let looks_like_receipt =
            receipt.is_some_and(|r| s.title[r] >= self.types.start_score && argmax(&s.scores) == r);
        if let Some(c) = &code {
            // the code printed on the sheet cross-checks the QR code: a disagreement is told,
            // not settled by a guess (the QR code's error correction makes it the likelier)
            let printed: Vec<String> = page
                .lines
                .iter()
                .filter_map(|l| dossier_code::find_in_text(&l.text))
                .collect();
            if let Some(p) = printed.iter().find(|p| *p != c) {
                if !printed.contains(c) {
                    warnings.push(format!(
                        "{at}: the QR code says {c} but the sheet prints {p}; {c} is used: check the cover sheet"
                    ));
                }
            }
            return Role::Cover { code, warnings };
        }
        if separator && words(page) <= SEPARATOR_MAX_WORDS {
            return Role::Separator;
        }
        if looks_like_receipt || (qr_seen && receipt.is_some_and(|r| argmax(&s.scores) == r)) {
            let printed = page
                .lines
                .iter()
                .find_map(|l| dossier_code::find_in_text(&l.text));
            warnings.push(match printed {
                Some(p) => format!(
                    "{at}: cover sheet whose QR code could not be read; the printed text seems to say {p}: confirm the dossier code"
                ),
                None => format!(
                    "{at}: cover sheet whose QR code could not be read; the dossier code is unknown"
                ),
            });
            return Role::Cover {
                code: None,
                warnings,
            };
        }
        if first_in_dossier {
            return Role::Start;
        }
        match s.page_of {
            Some((1, _)) => return Role::Start,
            Some(_) => return Role::Continue,
            None => {}
        }
        let best_title = s.title.iter().cloned().fold(0.0, f32::max);
        if best_title >= self.types.start_score || s.motto || s.heading {
            Role::Start
        } else {
            Role::Continue
        }
    }

    /// Classifies the pages collected for a paper and adds it to the dossier.
    fn close_paper(
        &self,
        d: &mut Dossier,
        paper: &mut Vec<usize>,
        pages: &[PageText],
        scores: &[PageScores],
    ) {
        // blank backs stay in the paper's count, not among its pages
        let (idx, blanks): (Vec<usize>, Vec<usize>) = std::mem::take(paper)
            .into_iter()
            .partition(|&i| !pages[i].blank);
        if idx.is_empty() {
            return;
        }
        let mut sum = vec![0.0f32; self.rules.codes.len()];
        let other = self.rules.index_of(OTHER);
        for (n, &i) in idx.iter().enumerate() {
            for (t, v) in scores[i].scores.iter().enumerate() {
                // the "other" baseline counts once per paper, not per page
                if n > 0 && Some(t) == other {
                    continue;
                }
                sum[t] += v;
            }
        }
        let text: String = idx
            .iter()
            .map(|&i| pages[i].text())
            .collect::<Vec<_>>()
            .join("\n");
        let p = self.probabilities(&sum, &text);
        let mut ranked: Vec<(usize, f32)> = p.iter().cloned().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (best, confidence) = ranked[0];
        let code = self.rules.codes[best].clone();
        let doc_type = self.types.get(&code);
        let kinds: Vec<FieldKind> = doc_type.map(|t| t.fields.clone()).unwrap_or_default();
        let paper_pages: Vec<PageText> = idx.iter().map(|&i| pages[i].clone()).collect();
        let mut found = fields::extract(&kinds, &paper_pages);
        for f in &mut found {
            f.page = idx[f.page];
        }
        let owner_ids: Vec<String> = found
            .iter()
            .filter(|f| f.kind == FieldKind::PersonId && f.check == Check::Valid)
            .map(|f| f.value.clone())
            .collect();
        let valid_until = doc_type.and_then(|t| valid_until(t.validity(), &found));
        let needs_review = confidence < self.types.review_threshold;
        let mut warnings = Vec::new();
        let first = page_id(pages, idx[0]);
        if needs_review {
            warnings.push(format!(
                "{} page {}: type uncertain ({} at {:.0}%); needs review",
                first.source,
                first.page,
                code,
                confidence * 100.0
            ));
        }
        for &i in &idx {
            if pages[i].codes.iter().any(separates) {
                warnings.push(format!(
                    "{} page {}: a separator mark on a page with {} words of text: kept as a paper",
                    pages[i].source,
                    pages[i].source_page,
                    words(&pages[i])
                ));
            }
        }
        for f in &found {
            if let Check::Invalid { reason } = &f.check {
                let at = page_id(pages, f.page);
                warnings.push(format!(
                    "{} page {}: {} {:?} fails validation: {reason}",
                    at.source,
                    at.page,
                    f.kind.code(),
                    f.raw
                ));
            }
        }
        d.components.push(Component {
            pages: idx.iter().map(|&i| page_id(pages, i)).collect(),
            blank_pages: blanks.iter().map(|&i| page_id(pages, i)).collect(),
            type_name: doc_type.map(|t| t.name.clone()).unwrap_or_default(),
            type_code: code,
            confidence,
            needs_review,
            candidates: ranked
                .iter()
                .take(3)
                .map(|&(i, p)| (self.rules.codes[i].clone(), p))
                .collect(),
            fields: found,
            owner_ids,
            valid_until,
            warnings,
        });
    }
}

/// Whether a code marks a separator sheet: patch code T, or a code reading [`SEPARATOR_TEXT`].
fn separates(c: &CodeRead) -> bool {
    match c {
        CodeRead::Patch { bars, .. } => bars == "NWNW",
        CodeRead::Decoded { text, .. } => text.trim().eq_ignore_ascii_case(SEPARATOR_TEXT),
        _ => false,
    }
}

fn words(page: &PageText) -> usize {
    page.lines.iter().map(|l| l.words.len()).sum()
}

fn apply_folder(d: &mut Dossier, folder: Option<&str>) {
    let Some(folder) = folder else { return };
    match &d.code {
        Some(c) if c != folder => {
            d.warnings.push(format!(
                "the cover sheet says dossier {c} but the files were dropped in folder {folder}; the folder wins"
            ));
        }
        _ => {}
    }
    d.code = Some(folder.to_string());
    d.code_source = CodeSource::Folder;
}

/// The last valid day of a paper of a type with this validity, from its fields.
pub fn valid_until(v: Validity, found: &[Field]) -> Option<String> {
    let date = |k: FieldKind| {
        found
            .iter()
            .find(|f| f.kind == k && f.check == Check::Valid)
            .map(|f| f.value.clone())
    };
    match v {
        Validity::Printed => date(FieldKind::ExpiryDate),
        Validity::Months(n) => {
            let issued = date(FieldKind::IssueDate)?;
            crate::time::add_months(&issued, n)
        }
        Validity::Days(n) => {
            let issued = date(FieldKind::IssueDate)?;
            crate::time::add_days(&issued, n)
        }
        _ => None,
    }
}

fn page_id(pages: &[PageText], i: usize) -> PageId {
    PageId {
        index: i,
        source: pages[i].source.clone(),
        page: pages[i].source_page,
    }
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |x| x.0)
}

fn normalise(p: &mut [f64]) {
    let s: f64 = p.iter().sum();
    if s > 0.0 {
        p.iter_mut().for_each(|x| *x /= s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize, text: &str) -> PageText {
        PageText::from_plain_text("batch.tif", n, text)
    }

    fn cover(n: usize, code: Option<&str>) -> PageText {
        let mut p = page(
            n,
            "UBND XÃ TÂN LẬP\nGIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ\nMã hồ sơ: 000.00.10.H59-221122-0001\nNgày hẹn trả kết quả: 25/11/2022",
        );
        p.codes.push(match code {
            Some(c) => CodeRead::Decoded {
                text: c.into(),
                bbox: [0.0; 4],
            },
            None => CodeRead::Unreadable {
                reason: "QR code found but not decodable (DataEcc)".into(),
                bbox: [0.0; 4],
            },
        });
        p
    }

    const ID_CARD: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nCĂN CƯỚC CÔNG DÂN\nSố: 001203004567\nHọ và tên: NGUYỄN VĂN HÙNG\nNgày sinh: 14/05/2003\nCó giá trị đến: 14/05/2028";
    const LAND_1: &str =
        "GIẤY CHỨNG NHẬN\nQUYỀN SỬ DỤNG ĐẤT\nThửa đất số: 125\nTờ bản đồ số: 07\nTrang 1/2";
    const LAND_2: &str = "Mục đích sử dụng: đất ở\nThời hạn sử dụng: lâu dài\nTrang 2/2";

    #[test]
    fn two_dossiers_split_by_cover_sheets_and_papers_by_titles() {
        let c = Classifier::default_rules();
        let pages = vec![
            cover(1, Some("000.00.10.H59-221122-0001")),
            page(2, ID_CARD),
            page(3, ID_CARD),
            page(4, LAND_1),
            page(5, LAND_2),
            cover(6, Some("000.00.10.H59-221122-0002")),
            page(7, "QUYẾT ĐỊNH\nVề việc cấp giấy phép\nCăn cứ Luật\nĐiều 1."),
        ];
        let b = c.classify(&pages, None);
        assert_eq!(b.dossiers.len(), 2);
        let d = &b.dossiers[0];
        assert_eq!(d.code.as_deref(), Some("000.00.10.H59-221122-0001"));
        assert_eq!(d.code_source, CodeSource::CoverSheet);
        let types: Vec<&str> = d.components.iter().map(|c| c.type_code.as_str()).collect();
        assert_eq!(types, ["citizen_id", "citizen_id", "land_use_certificate"]);
        let pages_of: Vec<usize> = d.components[2].pages.iter().map(|p| p.page).collect();
        assert_eq!(pages_of, [4, 5]);
        assert_eq!(d.components[0].owner_ids, ["001203004567"]);
        assert_eq!(d.components[0].valid_until.as_deref(), Some("2028-05-14"));
        assert!(!d.components[0].needs_review);
        assert_eq!(b.dossiers[1].components[0].type_code, "decision");
    }

    #[test]
    fn an_id_cards_qr_code_is_ignored_without_its_content_in_the_warning() {
        let c = Classifier::default_rules();
        // a cover sheet with a citizen ID card's QR code copied onto it beside its own
        let mut sheet = cover(1, Some("000.00.10.H59-221122-0001"));
        let payload = "001203004567|123456789|Nguyễn Văn Hùng|14052003|Nam|Số 1 Tân Lập|14052021";
        sheet.codes.insert(
            0,
            CodeRead::Decoded {
                text: payload.into(),
                bbox: [0.0; 4],
            },
        );
        let b = c.classify(&[sheet, page(2, ID_CARD)], None);
        let d = &b.dossiers[0];
        assert_eq!(d.code.as_deref(), Some("000.00.10.H59-221122-0001"));
        let warned = format!("{:?}", d.warnings);
        assert!(warned.contains("citizen ID card's QR code"), "{warned}");
        assert!(
            !warned.contains("Tân Lập") && !warned.contains("123456789"),
            "{warned}"
        );
        assert!(!looks_like_id_card("000.00.10.H59-221122-0001"));
    }

    #[test]
    fn a_damaged_qr_code_is_reported_not_guessed() {
        let c = Classifier::default_rules();
        let b = c.classify(&[cover(1, None), page(2, ID_CARD)], None);
        let d = &b.dossiers[0];
        assert_eq!(d.code, None);
        assert_eq!(d.cover_page.as_ref().map(|p| p.page), Some(1));
        let w = d.warnings.join("\n");
        assert!(
            w.contains("could not be read") && w.contains("000.00.10.H59-221122-0001"),
            "{w}"
        );
    }

    #[test]
    fn the_folder_wins_over_the_cover_sheet_with_a_warning() {
        let c = Classifier::default_rules();
        let b = c.classify(
            &[
                cover(1, Some("000.00.10.H59-221122-0001")),
                page(2, ID_CARD),
            ],
            Some("000.00.10.H59-221122-0009"),
        );
        let d = &b.dossiers[0];
        assert_eq!(d.code.as_deref(), Some("000.00.10.H59-221122-0009"));
        assert_eq!(d.code_source, CodeSource::Folder);
        assert!(d.warnings.iter().any(|w| w.contains("the folder wins")));
    }

    #[test]
    fn an_unrecognisable_page_is_other_and_needs_review_when_unsure() {
        let c = Classifier::default_rules();
        let b = c.classify(&[page(1, "một trang không rõ nội dung\nkính gửi")], None);
        let comp = &b.dossiers[0].components[0];
        assert_eq!(comp.type_code, "other");
        assert!(b.dossiers[0].warnings.iter().any(|w| w.contains("unknown")));
        let weak = c.classify(&[page(1, "kính gửi\ntôi đề nghị")], None);
        let comp = &weak.dossiers[0].components[0];
        assert!(comp.needs_review, "{comp:?}");
    }
}
