//! Benchmark of stage `store`'s index (not a test): fills a SQLite index with synthetic papers
//! (1,000,000 by default) and prints the p50/p99 latency of the lookups an officer's desk
//! makes: by identity number, by text (a name; words from a paper; a phrase every paper of a
//! type carries), and by perceptual hash — against the targets of issue 5 (p99 ≤ 10 ms by ID,
//! ≤ 50 ms by text).
//!
//! `cargo run --release --example index_bench -- [COUNT] [DIR] [--url postgresql://…]`
//! (default 1000000 and `bench-data/index`; an index already there with that many papers is
//! reused). With `--url` the same papers go into that PostgreSQL database instead, and the same
//! lookups are timed there. `make bench-index` runs both, SQLite then PostgreSQL (on the
//! throwaway server of `scripts/test-servers.sh`).
//!
//! The synthetic papers: the 12 built-in types; 1 or 2 owners with valid-shaped 12-digit numbers drawn from
//! COUNT/3 people (so a person has about three papers); about 80 words of text from the
//! phrases of the real templates, a name and numbers; a pHash per paper that is its type's
//! template hash with 8–24 bits changed (papers of one type cluster, as real ones do — the
//! hard case for a hash index); the numbers a paper prints. Everything derives from a fixed
//! seed, so two runs build the same index.

use std::path::PathBuf;
use std::time::Instant;

use sohoa::audit::Action;
use sohoa::index::{AuditRequest, IndexLocation, NewComponent, Query, ReviewState};
use sohoa::similar::{PageSignature, PaperSignature};

const PHRASES: &[&str] = &[
    "cộng hòa xã hội chủ nghĩa việt nam",
    "độc lập tự do hạnh phúc",
    "giấy chứng nhận quyền sử dụng đất",
    "quyền sở hữu nhà ở và tài sản khác gắn liền với đất",
    "căn cước công dân",
    "giấy khai sinh",
    "đơn đề nghị cấp giấy phép xây dựng",
    "quyết định về việc phê duyệt",
    "giấy chứng nhận đăng ký doanh nghiệp",
    "hợp đồng chuyển nhượng quyền sử dụng đất",
    "giấy ủy quyền",
    "biên nhận hồ sơ",
    "ủy ban nhân dân",
    "thửa đất số",
    "tờ bản đồ số",
    "nơi thường trú",
    "quê quán",
    "ngày tháng năm sinh",
    "có giá trị đến",
    "người đề nghị",
    "căn cứ luật đất đai",
    "xác nhận thông tin về cư trú",
    "mã số thuế",
    "vốn điều lệ",
    "người đại diện theo pháp luật",
];

const SURNAMES: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý",
];
const MIDDLE: &[&str] = &[
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân",
];
const GIVEN: &[&str] = &[
    "An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan",
    "Linh", "Long", "Mai", "Nam", "Nga", "Ngân", "Phong", "Phúc", "Quang", "Sơn", "Tâm", "Thảo",
    "Thắng", "Trang", "Trung", "Tuấn", "Uyên", "Việt", "Yến",
];
const PROVINCES: &[u32] = &[
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27,
];

/// xorshift64*: a fixed, fast pseudo-random sequence (not for keys).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    /// `h` with exactly `bits` bits changed.
    fn flip(&mut self, h: u64, bits: u32) -> u64 {
        let mut out = h;
        while (out ^ h).count_ones() < bits {
            out ^= 1 << (self.next() % 64);
        }
        out
    }
}

/// Person `p`'s 12-digit number: province, century-and-sex digit, year, six digits.
fn person_id(p: usize) -> String {
    let province = PROVINCES[p % PROVINCES.len()];
    let century = 2 + (p % 2) as u32; // born 2000s
    let year = p % 25;
    format!("{province:03}{century}{year:02}{:06}", p % 1_000_000)
}

fn person_name(p: usize) -> String {
    let mut r = Rng(p as u64 * 0x9E37_79B9 + 1);
    format!("{} {} {}", r.pick(SURNAMES), r.pick(MIDDLE), r.pick(GIVEN))
}

fn type_hash(t: usize) -> u64 {
    Rng(0xC0FF_EE00 + t as u64).next()
}

struct Paper {
    component: NewComponent,
    audit: AuditRequest,
}

fn paper(i: usize, people: usize, types: &[String]) -> Paper {
    let mut r = Rng(i as u64 * 0x2545_F491 + 7);
    let t = r.below(types.len());
    let owner = r.below(people);
    let mut owners = vec![person_id(owner)];
    if r.below(4) == 0 {
        owners.push(person_id(r.below(people)));
    }
    let mut words = Vec::new();
    words.push(PHRASES[0].to_string());
    words.push(PHRASES[1].to_string());
    words.push(PHRASES[2 + t % (PHRASES.len() - 2)].to_string());
    words.push(format!("họ và tên {}", person_name(owner).to_lowercase()));
    let doc_no = format!("{:06}", r.below(1_000_000));
    let date = format!(
        "{:04}-{:02}-{:02}",
        2000 + r.below(26),
        1 + r.below(12),
        1 + r.below(28)
    );
    words.push(format!("số {doc_no} ngày {date}"));
    for _ in 0..8 {
        words.push(r.pick(PHRASES).to_string());
    }
    let text = words.join(" ");
    let bits = 8 + r.below(17) as u32;
    let phash = r.flip(type_hash(t), bits);
    let mut numbers = vec![owners[0].clone(), doc_no, date.clone()];
    numbers.sort();
    let sig = PaperSignature {
        pages: vec![PageSignature {
            phash,
            dhash: phash.rotate_left(7),
            shingles: Vec::new(),
            numbers,
        }],
    };
    let created = format!("{date}T09:00:00+07:00");
    Paper {
        component: NewComponent {
            unit_code: format!("000.00.{:02}.H{:02}", r.below(30), 1 + r.below(63)),
            dossier_code: None,
            type_code: types[t].clone(),
            confidence: 0.95,
            review_state: ReviewState::Auto,
            pages: 1,
            blank_pages: 0,
            source_sha256: format!("{:064x}", i as u128 * 0x1_0000_0001),
            source_page: 1,
            signed_sha256: Some(format!("{:064x}", (i as u128 + 1) << 64)),
            fields_json: "[]".into(),
            owner_ids: owners,
            tax_codes: Vec::new(),
            issue_date: Some(date),
            valid_until: None,
            ocr_text: text,
            likeness_json: serde_json::to_string(&sig).ok(),
            rescan_of: None,
            signature: None,
            created_at: created.clone(),
        },
        audit: AuditRequest {
            time: created,
            actor: "bench".into(),
            action: Action::Store,
            subject: String::new(),
            details: serde_json::json!({}),
        },
    }
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_ms.len() - 1) as f64 * p).round() as usize;
    sorted_ms[i]
}

/// Runs `q` for each of `queries`, returns (p50, p99, mean rows) in milliseconds.
fn measure<T>(queries: &[T], mut q: impl FnMut(&T) -> usize) -> (f64, f64, f64) {
    // one warm-up pass over a tenth, then the measured pass
    for x in queries.iter().take(queries.len() / 10) {
        q(x);
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut rows = 0usize;
    for x in queries {
        let t = Instant::now();
        rows += q(x);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        rows as f64 / queries.len().max(1) as f64,
    )
}

/// The PostgreSQL database's size on disk (tables, indexes, text index).
fn pg_size(url: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let mut c = sohoa::index::pg_connect(url)?;
    let n: i64 = c
        .query_one("SELECT pg_database_size(current_database())", &[])?
        .get(0);
    Ok(n.max(0) as u64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut url: Option<String> = None;
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--url" {
            url = Some(args.next().ok_or("--url needs a postgresql:// URL")?);
        } else {
            positional.push(a);
        }
    }
    let count: usize = match positional.first() {
        Some(a) => a.parse()?,
        None => 1_000_000,
    };
    let dir = PathBuf::from(
        positional
            .get(1)
            .cloned()
            .unwrap_or_else(|| "bench-data/index".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("index-{count}.sqlite"));
    let location = match &url {
        Some(u) => IndexLocation::Postgres(u.clone()),
        None => IndexLocation::Sqlite(path.clone()),
    };
    let people = (count / 3).max(1);
    // the built-in document types (doc-types.toml)
    let types: Vec<String> = sohoa::classify::types::DocTypes::default_set()
        .types
        .iter()
        .map(|t| t.code.clone())
        .collect();
    let mut ix = location.open()?;
    let have = ix.find(&Query {
        limit: 1,
        ..Query::default()
    })?;
    let stored = have.first().map_or(0, |c| c.id as usize);
    if stored < count {
        let t = Instant::now();
        let mut i = stored;
        while i < count {
            let end = (i + 10_000).min(count);
            let batch: Vec<(NewComponent, AuditRequest)> = (i..end)
                .map(|k| {
                    let p = paper(k, people, &types);
                    (p.component, p.audit)
                })
                .collect();
            ix.add_components(&batch)?;
            i = end;
            if i % 100_000 == 0 {
                eprintln!("  {i} papers, {:.0} s", t.elapsed().as_secs_f64());
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "filled {} papers in {:.0} s ({:.0} papers/s, one transaction per 10,000)",
            count - stored,
            s,
            (count - stored) as f64 / s
        );
    }
    let size = match &url {
        Some(u) => pg_size(u)?,
        None => std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("index-{count}."))
            })
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum(),
    };
    println!(
        "index {location}: {count} papers, {:.0} MiB on disk",
        size as f64 / 1_048_576.0
    );

    let mut r = Rng(0xBE4C_0000_0001);
    let n = 1000;
    let persons: Vec<String> = (0..n).map(|_| person_id(r.below(people))).collect();
    let names: Vec<String> = (0..n).map(|_| person_name(r.below(people))).collect();
    let words_of_paper: Vec<String> = (0..n)
        .map(|_| {
            let p = paper(r.below(count), people, &types);
            // the name and the document number printed on one paper
            let text = p.component.ocr_text;
            let at = text.find("họ và tên").unwrap_or(0);
            text[at..]
                .split(' ')
                .skip(3)
                .take(5)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let phrases: Vec<String> = (0..n)
        .map(|_| PHRASES[2 + r.below(PHRASES.len() - 2)].to_string())
        .collect();
    let hashes: Vec<u64> = (0..n)
        .map(|_| {
            let p = paper(r.below(count), people, &types);
            let sig: PaperSignature =
                serde_json::from_str(p.component.likeness_json.as_deref().unwrap_or("{}"))
                    .unwrap_or_default();
            let h = sig.pages.first().map_or(0, |pg| pg.phash);
            let bits = r.below(9) as u32;
            r.flip(h, bits)
        })
        .collect();

    let mut find = |q: Query| ix.find(&q).map(|v| v.len()).unwrap_or(0);
    let person = measure(&persons, |p| {
        find(Query {
            person_id: Some(p.clone()),
            limit: 100,
            ..Query::default()
        })
    });
    let by_name = measure(&names, |t| {
        find(Query {
            text: Some(t.clone()),
            limit: 20,
            ..Query::default()
        })
    });
    let by_words = measure(&words_of_paper, |t| {
        find(Query {
            text: Some(t.clone()),
            limit: 20,
            ..Query::default()
        })
    });
    let common = measure(&phrases[..100], |t| {
        find(Query {
            text: Some(t.clone()),
            limit: 20,
            ..Query::default()
        })
    });
    let mut ix2 = location.open()?;
    let near7 = measure(&hashes, |h| {
        ix2.near_phash(*h, 7, 100).map(|v| v.len()).unwrap_or(0)
    });
    let near11 = measure(&hashes, |h| {
        ix2.near_phash(*h, 11, 100).map(|v| v.len()).unwrap_or(0)
    });

    println!();
    println!("| lookup ({n} queries; common phrase 100) | p50 ms | p99 ms | rows/query | target p99 | p99 / target |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let row = |name: &str, (p50, p99, rows): (f64, f64, f64), target: Option<f64>| {
        let (t, ratio) = match target {
            Some(t) => (format!("{t:.0} ms"), format!("{:.2}", p99 / t)),
            None => ("–".into(), "–".into()),
        };
        println!("| {name} | {p50:.2} | {p99:.2} | {rows:.1} | {t} | {ratio} |");
    };
    row("person ID (12 digits)", person, Some(10.0));
    row("text: a name (top 20)", by_name, Some(50.0));
    row(
        "text: a name and a document number (top 20)",
        by_words,
        Some(50.0),
    );
    row(
        "text: a template phrase (on ~30% of papers) (top 20)",
        common,
        Some(50.0),
    );
    row("pHash within 7 bits (MIH, 4 x 16-bit bands)", near7, None);
    row("pHash within 11 bits (MIH, 4 x 16-bit bands)", near11, None);
    Ok(())
}
