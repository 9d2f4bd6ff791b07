//! Assemble stage, output: the streaming PDF/A-2u writer. Each page's objects are written as
//! the page arrives; only object offsets, page object numbers and, for copied pages, the
//! source-to-output object numbers stay in memory. The page tree, font, metadata, catalog,
//! cross-reference table and trailer are written by `finish`.

use std::collections::HashMap;
use std::io::Write;

use flate2::{write::ZlibEncoder, Compression};

use crate::ocr::RecognizedPage;
use crate::pdf::writer::write_dict;
use crate::pdf::{write_indirect, Dict, ObjRef, Object};
use crate::pki::digest::DigestAlg;

use super::font::{cid_to_gid_map, GlyphlessFont};
use super::image::EncodedRaster;
use super::page::{content, geometry, FONT_NAME, IMAGE_NAME};
use super::xmp::{self, Stamp};
use super::{image, AssembleError, AssembleOptions, DocumentInfo, PageStats};

/// What earlier copies from one source left for later ones.
#[derive(Default)]
pub(super) struct SourceCopies {
    /// The source's pages, in order.
    pub(super) pages: Vec<ObjRef>,
    /// Source object number to ours, for objects written.
    pub(super) map: HashMap<u32, u32>,
}

/// The sRGB profile of the OutputIntent (made by LittleCMS through Pillow; assets/README.md).
const SRGB_ICC: &[u8] = include_bytes!("../../assets/srgb.icc");

/// Counts the bytes written, for the cross-reference offsets.
pub(super) struct Counting<W> {
    inner: W,
    pub(super) pos: u64,
}

impl<W: Write> Counting<W> {
    pub(super) fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(())
    }
}

/// A streaming PDF/A-2u writer: [`new`](Self::new), [`add_page`](Self::add_page) (or
/// [`copy_page`](Self::copy_page) for a page that already carries text) per page in order,
/// [`finish`](Self::finish).
pub struct PdfAWriter<W: Write> {
    pub(super) out: Counting<W>,
    info: DocumentInfo,
    created: Stamp,
    hashes: Vec<String>,
    /// Offset of each object by number (index 0 unused); 0 while reserved.
    pub(super) offsets: Vec<u64>,
    pub(super) pages: ObjRef,
    font_ref: ObjRef,
    font: GlyphlessFont,
    pub(super) kids: Vec<u32>,
    pub(super) poisoned: bool,
    /// Per source PDF (`copy_page`): its pages and the objects copied from it.
    pub(super) copies: HashMap<String, SourceCopies>,
}

fn flate(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::new(6));
    enc.write_all(data)?;
    enc.finish()
}

impl<W: Write> PdfAWriter<W> {
    /// Writes the header; reads the glyphless font from its default place.
    pub fn new(out: W, info: DocumentInfo) -> Result<Self, AssembleError> {
        Self::with_options(out, info, &AssembleOptions::default())
    }

    pub fn with_options(
        out: W,
        info: DocumentInfo,
        opts: &AssembleOptions,
    ) -> Result<Self, AssembleError> {
        let created = xmp::stamp(info.created, info.utc_offset_minutes)
            .map_err(|e| AssembleError::Info(e.into()))?;
        let hashes = xmp::source_hashes(&info)?;
        let font = GlyphlessFont::load(&opts.glyphless_font)?;
        let mut w = Self {
            out: Counting { inner: out, pos: 0 },
            info,
            created,
            hashes,
            offsets: vec![0],
            pages: ObjRef::new(0, 0),
            font_ref: ObjRef::new(0, 0),
            font,
            kids: Vec::new(),
            poisoned: false,
            copies: HashMap::new(),
        };
        w.pages = w.reserve();
        w.font_ref = w.reserve();
        // Header and a comment of four bytes above 127 (PDF/A-2 §6.1.2).
        w.out.put(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
        Ok(w)
    }

    fn reserve(&mut self) -> ObjRef {
        self.offsets.push(0);
        ObjRef::new((self.offsets.len() - 1) as u32, 0)
    }

    pub(super) fn mark(&mut self, r: ObjRef) {
        self.offsets[r.num as usize] = self.out.pos;
    }

    pub(super) fn object(&mut self, r: ObjRef, o: &Object) -> std::io::Result<()> {
        self.mark(r);
        let mut buf = Vec::new();
        write_indirect(&mut buf, r, o);
        self.out.put(&buf)
    }

    /// Writes a stream object without copying `data`.
    fn stream(&mut self, r: ObjRef, dict: &Dict, data: &[u8]) -> std::io::Result<()> {
        self.mark(r);
        let mut d = dict.clone();
        d.set(b"Length", Object::Int(data.len() as i64));
        let mut head = format!("{} {} obj\n", r.num, r.gen).into_bytes();
        write_dict(&mut head, &d);
        head.extend_from_slice(b"\nstream\n");
        self.out.put(&head)?;
        self.out.put(data)?;
        self.out.put(b"\nendstream\nendobj\n")
    }

    fn flate_stream(&mut self, r: ObjRef, mut dict: Dict, data: &[u8]) -> std::io::Result<()> {
        dict.set(b"Filter", Object::name("FlateDecode"));
        self.stream(r, &dict, &flate(data)?)
    }

    /// Writes the page's image, content stream and page object.
    pub fn add_page(&mut self, page: &RecognizedPage) -> Result<PageStats, AssembleError> {
        self.add_page_with(page, None)
    }

    /// [`Self::add_page`] with the page's raster already compressed (see [`EncodedRaster`]).
    pub fn add_page_with(
        &mut self,
        page: &RecognizedPage,
        ahead: Option<EncodedRaster>,
    ) -> Result<PageStats, AssembleError> {
        if self.poisoned {
            return Err(AssembleError::Poisoned);
        }
        let g = geometry(page).map_err(|e| AssembleError::page(page, e.to_string()))?;
        let img = image::xobject(&page.scanned, ahead)
            .map_err(|e| AssembleError::page(page, e.to_string()))?;
        let (text, words) = content(page, &g, &mut self.font)
            .map_err(|e| AssembleError::page(page, e.to_string()))?;
        self.poisoned = true; // until the page is completely written
        let (img_ref, content_ref, page_ref) = (self.reserve(), self.reserve(), self.reserve());
        self.stream(img_ref, &img.dict, &img.data)?;
        self.flate_stream(content_ref, Dict::new(), &text)?;

        let mut fonts = Dict::new();
        fonts.set(FONT_NAME.as_bytes(), Object::Ref(self.font_ref));
        let mut xobjects = Dict::new();
        xobjects.set(IMAGE_NAME.as_bytes(), Object::Ref(img_ref));
        let mut res = Dict::new();
        res.set(b"Font", Object::Dict(fonts));
        res.set(b"XObject", Object::Dict(xobjects));
        let mut d = Dict::new();
        d.set(b"Type", Object::name("Page"));
        d.set(b"Parent", Object::Ref(self.pages));
        let media = [0.0, 0.0, g.width_pt, g.height_pt];
        d.set(
            b"MediaBox",
            Object::Array(media.iter().map(|&v| Object::Real(v)).collect()),
        );
        d.set(b"Resources", Object::Dict(res));
        d.set(b"Contents", Object::Ref(content_ref));
        self.object(page_ref, &Object::Dict(d))?;
        self.kids.push(page_ref.num);
        self.poisoned = false;
        let mut image_sha256 = [0u8; 32];
        image_sha256.copy_from_slice(&DigestAlg::Sha256.digest(&img.data));
        Ok(PageStats {
            image_bytes: img.data.len() as u64,
            passthrough_jpeg: img.passthrough_jpeg,
            words,
            image_sha256,
        })
    }

    fn write_font(&mut self) -> std::io::Result<()> {
        let (file, gidmap, descriptor, cidfont, tounicode) = (
            self.reserve(),
            self.reserve(),
            self.reserve(),
            self.reserve(),
            self.reserve(),
        );
        let mut d = Dict::new();
        d.set(b"Length1", Object::Int(self.font.program.len() as i64));
        let program = std::mem::take(&mut self.font.program);
        self.flate_stream(file, d, &program)?;
        self.flate_stream(gidmap, Dict::new(), &cid_to_gid_map())?;
        let mut fd = self.font.descriptor();
        fd.set(b"FontFile2", Object::Ref(file));
        self.object(descriptor, &Object::Dict(fd))?;

        let mut sys = Dict::new();
        sys.set(b"Registry", Object::String(b"Adobe".to_vec()));
        sys.set(b"Ordering", Object::String(b"Identity".to_vec()));
        sys.set(b"Supplement", Object::Int(0));
        let mut cf = Dict::new();
        cf.set(b"Type", Object::name("Font"));
        cf.set(b"Subtype", Object::name("CIDFontType2"));
        cf.set(b"BaseFont", Object::name("GlyphLessFont"));
        cf.set(b"CIDSystemInfo", Object::Dict(sys));
        cf.set(b"FontDescriptor", Object::Ref(descriptor));
        cf.set(b"DW", Object::Int(self.font.metrics.width));
        cf.set(b"CIDToGIDMap", Object::Ref(gidmap));
        self.object(cidfont, &Object::Dict(cf))?;
        self.flate_stream(tounicode, Dict::new(), &self.font.to_unicode())?;

        let mut t0 = Dict::new();
        t0.set(b"Type", Object::name("Font"));
        t0.set(b"Subtype", Object::name("Type0"));
        t0.set(b"BaseFont", Object::name("GlyphLessFont"));
        t0.set(b"Encoding", Object::name("Identity-H"));
        t0.set(
            b"DescendantFonts",
            Object::Array(vec![Object::Ref(cidfont)]),
        );
        t0.set(b"ToUnicode", Object::Ref(tounicode));
        self.object(self.font_ref, &Object::Dict(t0))
    }

    /// Writes the font, page tree, metadata, OutputIntent, catalog, Info, xref and trailer.
    pub fn finish(mut self) -> Result<W, AssembleError> {
        if self.poisoned {
            return Err(AssembleError::Poisoned);
        }
        if self.kids.is_empty() {
            return Err(AssembleError::NoPages);
        }
        self.write_font()?;
        let mut pages = Dict::new();
        pages.set(b"Type", Object::name("Pages"));
        let kids = self.kids.iter().map(|&n| Object::Ref(ObjRef::new(n, 0)));
        pages.set(b"Kids", Object::Array(kids.collect()));
        pages.set(b"Count", Object::Int(self.kids.len() as i64));
        self.object(self.pages, &Object::Dict(pages))?;

        let (meta, icc, intent, catalog, info) = (
            self.reserve(),
            self.reserve(),
            self.reserve(),
            self.reserve(),
            self.reserve(),
        );
        let mut md = Dict::new();
        md.set(b"Type", Object::name("Metadata"));
        md.set(b"Subtype", Object::name("XML"));
        let packet = xmp::packet(&self.info, &self.created, &self.hashes);
        self.stream(meta, &md, &packet)?;
        let mut id = Dict::new();
        id.set(b"N", Object::Int(3));
        self.flate_stream(icc, id, SRGB_ICC)?;
        let mut oi = Dict::new();
        let cond = Object::String(b"sRGB IEC61966-2.1".to_vec());
        oi.set(b"Type", Object::name("OutputIntent"));
        oi.set(b"S", Object::name("GTS_PDFA1"));
        oi.set(b"OutputConditionIdentifier", cond.clone());
        oi.set(
            b"RegistryName",
            Object::String(b"http://www.color.org".to_vec()),
        );
        oi.set(b"Info", cond);
        oi.set(b"DestOutputProfile", Object::Ref(icc));
        self.object(intent, &Object::Dict(oi))?;

        let mut cat = Dict::new();
        cat.set(b"Type", Object::name("Catalog"));
        cat.set(b"Pages", Object::Ref(self.pages));
        cat.set(b"Metadata", Object::Ref(meta));
        cat.set(b"OutputIntents", Object::Array(vec![Object::Ref(intent)]));
        cat.set(b"Lang", Object::String(b"vi-VN".to_vec()));
        let mut vp = Dict::new();
        vp.set(b"DisplayDocTitle", Object::Bool(true));
        cat.set(b"ViewerPreferences", Object::Dict(vp));
        self.object(catalog, &Object::Dict(cat))?;

        let mut inf = Dict::new();
        let title = xmp::clean_text(&self.info.title);
        if !title.is_empty() {
            inf.set(b"Title", Object::String(xmp::text_string(&title)));
        }
        let producer = xmp::clean_text(&self.info.producer);
        inf.set(b"Producer", Object::String(xmp::text_string(&producer)));
        let date = Object::String(self.created.pdf.clone().into_bytes());
        inf.set(b"CreationDate", date.clone());
        inf.set(b"ModDate", date);
        self.object(info, &Object::Dict(inf))?;

        let start = self.out.pos;
        let mut x = format!("xref\n0 {}\n0000000000 65535 f\r\n", self.offsets.len()).into_bytes();
        for &off in &self.offsets[1..] {
            x.extend_from_slice(format!("{off:010} 00000 n\r\n").as_bytes());
        }
        let id = hex::encode_upper(self.info.document_id);
        x.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root {} /Info {} /ID [<{id}> <{id}>] >>\nstartxref\n{start}\n%%EOF\n",
                self.offsets.len(),
                catalog,
                info
            )
            .as_bytes(),
        );
        self.out.put(&x)?;
        Ok(self.out.inner)
    }
}
