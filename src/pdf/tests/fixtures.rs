//! Hand-made test PDFs: classic table, xref stream + object stream, hybrid.

use flate2::{write::ZlibEncoder, Compression};
use std::collections::BTreeMap;
use std::io::Write;

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// PNG "Up" predictor (type 2 on every row), as Predictor 12 expects.
pub fn png_up(data: &[u8], columns: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = vec![0u8; columns];
    for row in data.chunks(columns) {
        out.push(2);
        for (i, b) in row.iter().enumerate() {
            out.push(b.wrapping_sub(prev[i]));
        }
        prev[..row.len()].copy_from_slice(row);
    }
    out
}

pub struct Builder {
    pub buf: Vec<u8>,
    pub offsets: BTreeMap<u32, u64>,
}

impl Builder {
    pub fn new() -> Self {
        Self {
            buf: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            offsets: BTreeMap::new(),
        }
    }

    pub fn obj(&mut self, num: u32, body: &str) {
        self.offsets.insert(num, self.buf.len() as u64);
        self.buf
            .extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
    }

    /// A stream; `dict` is the inside of the dictionary without `/Length`.
    pub fn stream(&mut self, num: u32, dict: &str, data: &[u8]) {
        self.offsets.insert(num, self.buf.len() as u64);
        let head = format!("{num} 0 obj\n<< {dict} /Length {} >>\nstream\n", data.len());
        self.buf.extend_from_slice(head.as_bytes());
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
    }

    /// A classic table covering `0..=max` (free where unknown) and its trailer.
    pub fn table(&mut self, trailer: &str) -> u64 {
        let at = self.buf.len() as u64;
        let max = self.offsets.keys().last().copied().unwrap_or(0);
        let mut t = format!("xref\n0 {}\n0000000000 65535 f\r\n", max + 1);
        for n in 1..=max {
            match self.offsets.get(&n) {
                Some(o) => t.push_str(&format!("{o:010} 00000 n\r\n")),
                None => t.push_str("0000000000 00001 f\r\n"),
            }
        }
        t.push_str(&format!("trailer\n<< /Size {} {trailer} >>\n", max + 1));
        t.push_str(&format!("startxref\n{at}\n%%EOF\n"));
        self.buf.extend_from_slice(t.as_bytes());
        at
    }
}

const CATALOG: &str = "<< /Type /Catalog /Pages 2 0 R >>";
const PAGES: &str = "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>";
const PAGE3: &str = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>";
const PAGE4: &str = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] >>";
pub const CONTENT: &[u8] = b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET";

/// Catalog 1, pages 2, page 3 and 4, content 5 (Flate), info 6; classic table.
pub fn classic() -> Vec<u8> {
    let mut b = Builder::new();
    b.obj(1, CATALOG);
    b.obj(2, PAGES);
    b.obj(3, PAGE3);
    b.obj(4, PAGE4);
    b.stream(5, "/Filter /FlateDecode", &zlib(CONTENT));
    b.obj(6, "<< /Title (Old) >>");
    b.table("/Root 1 0 R /Info 6 0 R /ID [<0011> <0011>]");
    b.buf
}

/// Objects 1–4 in object stream 7, 5 and 6 direct; xref stream 8 (Flate, PNG Up).
/// With `hybrid`, a classic table lists 0, 5, 6, 7 and `/XRefStm` points at 8.
pub fn compressed(hybrid: bool) -> Vec<u8> {
    let mut b = Builder::new();
    b.stream(5, "/Filter /FlateDecode", &zlib(CONTENT));
    b.obj(6, "<< /Title (Old) >>");
    let bodies = [CATALOG, PAGES, PAGE3, PAGE4];
    let mut header = String::new();
    let mut body = String::new();
    for (i, s) in bodies.iter().enumerate() {
        header.push_str(&format!("{} {} ", i + 1, body.len()));
        body.push_str(s);
        body.push('\n');
    }
    let data = format!("{header}{body}");
    let dict = format!(
        "/Type /ObjStm /N 4 /First {} /Filter /FlateDecode",
        header.len()
    );
    b.stream(7, &dict, &zlib(data.as_bytes()));
    let xref_at = b.buf.len() as u64;
    // Rows: type (1), field 2 (2 bytes), field 3 (1 byte).
    let mut rows: Vec<[u8; 4]> = vec![[0, 0, 0, 255]];
    let o = |n: u32| (b.offsets[&n] as u16).to_be_bytes();
    for i in 0..4u8 {
        rows.push([2, 0, 7, i]);
    }
    for n in [5, 6, 7] {
        let [h, l] = o(n);
        rows.push([1, h, l, 0]);
    }
    let [h, l] = (xref_at as u16).to_be_bytes();
    rows.push([1, h, l, 0]);
    let raw: Vec<u8> = rows.concat();
    let enc = zlib(&png_up(&raw, 4));
    let parms = "/DecodeParms << /Predictor 12 /Columns 4 >>";
    let dict = format!(
        "/Type /XRef /Size 9 /W [1 2 1] /Filter /FlateDecode {parms} /Root 1 0 R /Info 6 0 R"
    );
    b.stream(8, &dict, &enc);
    if hybrid {
        let table_at = b.buf.len();
        let mut t = String::from("xref\n0 1\n0000000000 65535 f\r\n5 3\n");
        for n in [5, 6, 7] {
            t.push_str(&format!("{:010} 00000 n\r\n", b.offsets[&n]));
        }
        t.push_str(&format!(
            "trailer\n<< /Size 9 /Root 1 0 R /Info 6 0 R /XRefStm {xref_at} >>\n"
        ));
        t.push_str(&format!("startxref\n{table_at}\n%%EOF\n"));
        b.buf.extend_from_slice(t.as_bytes());
    } else {
        b.buf
            .extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    }
    b.buf
}
