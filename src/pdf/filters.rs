//! Stream filters (ISO 32000-1 §7.4): FlateDecode and LZWDecode (through `weezl`, §7.4.4) with
//! PNG/TIFF predictors (§7.4.4.4), ASCIIHexDecode (§7.4.2); output bounded against
//! decompression bombs.

use super::error::PdfError;
use super::object::{Dict, Object};
use flate2::read::ZlibDecoder;
use std::io::Read;

/// One filter of a stream's `/Filter` with its (already resolved) `/DecodeParms`.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterSpec {
    pub name: Vec<u8>,
    pub parms: Option<Dict>,
}

/// Applies `filters` in order to `data`. `what` names the stream in errors
/// (e.g. "stream of object 5 0"); output is limited to `limit` bytes.
pub fn decode(
    mut data: Vec<u8>,
    filters: &[FilterSpec],
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, PdfError> {
    for f in filters {
        data = match f.name.as_slice() {
            b"FlateDecode" | b"Fl" => {
                let out = inflate(&data, limit, what)?;
                match &f.parms {
                    Some(p) => predict(out, p, what)?,
                    None => out,
                }
            }
            b"LZWDecode" | b"LZW" => {
                let early = f.parms.as_ref().map_or(1, |p| parm(p, b"EarlyChange", 1));
                let out = lzw(&data, early != 0, limit, what)?;
                match &f.parms {
                    Some(p) => predict(out, p, what)?,
                    None => out,
                }
            }
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&data, what)?,
            other => {
                return Err(PdfError::Filter {
                    what: what.into(),
                    msg: format!("filter /{} not supported", String::from_utf8_lossy(other)),
                })
            }
        };
        if data.len() as u64 > limit {
            return Err(too_large(what, limit));
        }
    }
    Ok(data)
}

/// Whether `name` is a filter that only an image's decoder can apply, knowing the image's size
/// and parameters (§7.4.1 Table 6: DCT, CCITT fax, JBIG2, JPX; RunLength, whose output length
/// the image fixes).
pub fn is_image_codec(name: &[u8]) -> bool {
    matches!(
        name,
        b"DCTDecode"
            | b"DCT"
            | b"CCITTFaxDecode"
            | b"CCF"
            | b"JBIG2Decode"
            | b"JPXDecode"
            | b"RunLengthDecode"
            | b"RL"
    )
}

/// Longest `/Filter` array accepted.
const MAX_FILTERS: usize = 16;

/// The `/Filter` and `/DecodeParms` of a stream dictionary (ISO 32000-1 §7.3.8.2 Table 5);
/// `resolve` dereferences indirect values.
pub(crate) fn filter_specs(
    dict: &Dict,
    resolve: &mut dyn FnMut(&Object) -> Result<Object, PdfError>,
    what: &str,
) -> Result<Vec<FilterSpec>, PdfError> {
    let filter = match dict.get(b"Filter") {
        None => return Ok(Vec::new()),
        Some(f) => resolve(f)?,
    };
    let parms = match dict.get(b"DecodeParms").or_else(|| dict.get(b"DP")) {
        None => Object::Null,
        Some(p) => resolve(p)?,
    };
    let names = match filter {
        Object::Null => Vec::new(),
        Object::Array(a) if a.len() <= MAX_FILTERS => a,
        n @ Object::Name(_) => vec![n],
        _ => {
            return Err(filter_err(
                what,
                "/Filter is neither a name nor a short array",
            ))
        }
    };
    let parms = match parms {
        Object::Array(a) => a,
        d @ Object::Dict(_) => vec![d],
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let Object::Name(name) = resolve(n)? else {
            return Err(filter_err(what, "/Filter entry is not a name"));
        };
        let parms = match parms.get(i) {
            Some(p) => resolve(p)?.as_dict().cloned(),
            None => None,
        };
        out.push(FilterSpec { name, parms });
    }
    Ok(out)
}

fn too_large(what: &str, limit: u64) -> PdfError {
    PdfError::TooLarge {
        what: what.into(),
        limit,
    }
}

fn filter_err(what: &str, msg: impl Into<String>) -> PdfError {
    PdfError::Filter {
        what: what.into(),
        msg: msg.into(),
    }
}

/// zlib inflate, stopping with an error past `limit`. A corrupt or truncated stream keeps
/// what was decoded before the damage (as viewers do); nothing decoded is an error.
pub(crate) fn inflate(data: &[u8], limit: u64, what: &str) -> Result<Vec<u8>, PdfError> {
    let mut dec = ZlibDecoder::new(data);
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match dec.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                if (out.len() as u64).saturating_add(n as u64) > limit {
                    return Err(too_large(what, limit));
                }
                out.extend_from_slice(chunk.get(..n).unwrap_or_default());
            }
            Err(e) if out.is_empty() => {
                return Err(filter_err(what, format!("FlateDecode: {e}")));
            }
            Err(_) => break,
        }
    }
    Ok(out)
}

/// LZW (§7.4.4.2, 8-bit codes from MSB first), code width switched one code early unless
/// `/EarlyChange 0`; stops with an error past `limit`. Damage after some output keeps that
/// output, as with Flate.
pub(crate) fn lzw(data: &[u8], early: bool, limit: u64, what: &str) -> Result<Vec<u8>, PdfError> {
    use weezl::{decode::Decoder, BitOrder, LzwStatus};
    let mut dec = if early {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut rest = data;
    loop {
        let r = dec.decode_bytes(rest, &mut chunk);
        rest = rest.get(r.consumed_in..).unwrap_or_default();
        if (out.len() as u64).saturating_add(r.consumed_out as u64) > limit {
            return Err(too_large(what, limit));
        }
        out.extend_from_slice(chunk.get(..r.consumed_out).unwrap_or_default());
        match r.status {
            Ok(LzwStatus::Ok) => {}
            Ok(LzwStatus::Done | LzwStatus::NoProgress) => break,
            Err(e) if out.is_empty() => return Err(filter_err(what, format!("LZWDecode: {e}"))),
            Err(_) => break,
        }
    }
    Ok(out)
}

fn ascii_hex(data: &[u8], what: &str) -> Result<Vec<u8>, PdfError> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut hi: Option<u8> = None;
    for &c in data {
        if c == b'>' {
            break;
        }
        if super::lexer::is_whitespace(c) {
            continue;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err(filter_err(what, "ASCIIHexDecode: bad digit")),
        };
        match hi.take() {
            Some(h) => out.push(h << 4 | v),
            None => hi = Some(v),
        }
    }
    if let Some(h) = hi {
        out.push(h << 4);
    }
    Ok(out)
}

fn parm(p: &Dict, key: &[u8], default: i64) -> i64 {
    p.get(key).and_then(Object::as_int).unwrap_or(default)
}

/// Undoes a `/Predictor` (1 none, 2 TIFF, 10–15 PNG).
pub(crate) fn predict(data: Vec<u8>, p: &Dict, what: &str) -> Result<Vec<u8>, PdfError> {
    let predictor = parm(p, b"Predictor", 1);
    if predictor == 1 {
        return Ok(data);
    }
    let colors = parm(p, b"Colors", 1);
    let bpc = parm(p, b"BitsPerComponent", 8);
    let columns = parm(p, b"Columns", 1);
    if !(1..=32).contains(&colors) || ![1, 2, 4, 8, 16].contains(&bpc) {
        return Err(filter_err(what, "bad /Colors or /BitsPerComponent"));
    }
    if !(1..=1 << 24).contains(&columns) {
        return Err(filter_err(what, format!("bad /Columns {columns}")));
    }
    // Small positive numbers here: the products fit in u64 (at most 2^33).
    let bits_per_pixel = (colors * bpc) as u64;
    let row_len = usize::try_from((bits_per_pixel * columns as u64).div_ceil(8))
        .map_err(|_| filter_err(what, "predictor rows too long"))?;
    let bpp = bits_per_pixel.div_ceil(8).max(1) as usize;
    match predictor {
        2 if bpc == 8 => Ok(tiff(data, row_len, colors as usize)),
        10..=15 => png(&data, row_len, bpp, what),
        other => Err(filter_err(what, format!("predictor {other} not supported"))),
    }
}

fn tiff(mut data: Vec<u8>, row_len: usize, colors: usize) -> Vec<u8> {
    for row in data.chunks_mut(row_len) {
        // `i - colors` and `i` are within `row` by the loop bounds.
        for i in colors..row.len() {
            row[i] = row[i].wrapping_add(row[i - colors]);
        }
    }
    data
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let (ia, ib, ic) = (i16::from(a), i16::from(b), i16::from(c));
    let p = ia + ib - ic;
    let (pa, pb, pc) = ((p - ia).abs(), (p - ib).abs(), (p - ic).abs());
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// PNG row filters (RFC 2083 §6): each row is a type byte followed by `row_len` bytes.
fn png(data: &[u8], row_len: usize, bpp: usize, what: &str) -> Result<Vec<u8>, PdfError> {
    let mut out = Vec::with_capacity(data.len());
    // No row is longer than the data: do not allocate more (`/Columns` is untrusted).
    let mut prev = vec![0u8; row_len.min(data.len())];
    for chunk in data.chunks(row_len + 1) {
        let Some((&ty, row)) = chunk.split_first() else {
            continue;
        };
        // Indices below stay in bounds: `i < cur.len() <= prev.len()`, `i - bpp` when `i >= bpp`.
        let mut cur = row.to_vec();
        let n = cur.len();
        match ty {
            0 => {}
            1 => {
                for i in bpp..n {
                    cur[i] = cur[i].wrapping_add(cur[i - bpp]);
                }
            }
            2 => {
                for (c, u) in cur.iter_mut().zip(&prev) {
                    *c = c.wrapping_add(*u);
                }
            }
            3 => {
                for i in 0..n {
                    let left = if i >= bpp { cur[i - bpp] } else { 0 };
                    let avg = ((u16::from(left) + u16::from(prev[i])) / 2) as u8;
                    cur[i] = cur[i].wrapping_add(avg);
                }
            }
            4 => {
                for i in 0..n {
                    let (left, ul) = if i >= bpp {
                        (cur[i - bpp], prev[i - bpp])
                    } else {
                        (0, 0)
                    };
                    cur[i] = cur[i].wrapping_add(paeth(left, prev[i], ul));
                }
            }
            t => return Err(filter_err(what, format!("bad PNG row filter type {t}"))),
        }
        out.extend_from_slice(&cur);
        for (p, c) in prev.iter_mut().zip(&cur) {
            *p = *c;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::ZlibEncoder, Compression};
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn spec(name: &str, parms: Option<Dict>) -> FilterSpec {
        FilterSpec {
            name: name.as_bytes().to_vec(),
            parms,
        }
    }

    fn parms(pred: i64, columns: i64) -> Dict {
        let mut d = Dict::new();
        d.set(b"Predictor", Object::Int(pred));
        d.set(b"Columns", Object::Int(columns));
        d
    }

    #[test]
    fn flate_hex_and_chains() {
        let z = zlib(b"hello world");
        assert_eq!(
            decode(z.clone(), &[spec("FlateDecode", None)], 100, "s").unwrap(),
            b"hello world"
        );
        let hex = hex::encode(&z).into_bytes();
        let both = [spec("AHx", None), spec("Fl", None)];
        assert_eq!(decode(hex, &both, 100, "s").unwrap(), b"hello world");
        let e = decode(z, &[spec("DCTDecode", None)], 100, "stream of object 5 0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "stream of object 5 0: filter /DCTDecode not supported"
        );
    }

    #[test]
    fn lzw_both_code_width_switches_and_a_bomb() {
        use weezl::{encode::Encoder, BitOrder};
        let plain: Vec<u8> = (0..5000u32).map(|i| (i % 7 * 31) as u8).collect();
        let early = Encoder::with_tiff_size_switch(BitOrder::Msb, 8)
            .encode(&plain)
            .unwrap();
        let late = Encoder::new(BitOrder::Msb, 8).encode(&plain).unwrap();
        let lzw = |p: Option<Dict>| vec![spec("LZWDecode", p)];
        assert_eq!(
            decode(early.clone(), &lzw(None), 1 << 20, "s").unwrap(),
            plain
        );
        let mut p0 = Dict::new();
        p0.set(b"EarlyChange", Object::Int(0));
        assert_eq!(decode(late, &lzw(Some(p0)), 1 << 20, "s").unwrap(), plain);
        assert!(matches!(
            decode(early, &lzw(None), 100, "s"),
            Err(PdfError::TooLarge { .. })
        ));
        let zeros = Encoder::with_tiff_size_switch(BitOrder::Msb, 8)
            .encode(&vec![0u8; 10 << 20])
            .unwrap();
        assert!(zeros.len() < 200_000);
        assert!(matches!(
            decode(zeros, &lzw(None), 1 << 20, "s"),
            Err(PdfError::TooLarge { .. })
        ));
        let e = decode(vec![0xff; 8], &lzw(None), 1 << 20, "stream 7").unwrap_err();
        assert!(e.to_string().contains("stream 7"), "{e}");
    }

    #[test]
    fn bomb_is_stopped() {
        let z = zlib(&vec![0u8; 10 << 20]);
        let e = decode(
            z,
            &[spec("FlateDecode", None)],
            1 << 20,
            "stream of object 5 0",
        );
        assert!(matches!(e, Err(PdfError::TooLarge { .. })));
    }

    #[test]
    fn png_predictors() {
        // Two rows of 3 columns, using Sub, Up, Average, Paeth, None.
        let rows = [[1u8, 2, 3], [4, 6, 8], [9, 9, 9], [0, 0, 1], [5, 5, 5]];
        for ty in 0u8..=4 {
            let mut enc = Vec::new();
            let mut prev = [0u8; 3];
            for r in rows {
                enc.push(ty);
                for i in 0..3 {
                    let left = if i >= 1 { r[i - 1] } else { 0 };
                    let ul = if i >= 1 { prev[i - 1] } else { 0 };
                    let pred = match ty {
                        0 => 0,
                        1 => left,
                        2 => prev[i],
                        3 => ((u16::from(left) + u16::from(prev[i])) / 2) as u8,
                        _ => paeth(left, prev[i], ul),
                    };
                    enc.push(r[i].wrapping_sub(pred));
                }
                prev = r;
            }
            let out = decode(zlib(&enc), &[spec("Fl", Some(parms(12, 3)))], 1000, "s").unwrap();
            assert_eq!(out, rows.concat(), "type {ty}");
        }
        let e = predict(vec![7, 1, 2, 3], &parms(12, 3), "s").unwrap_err();
        assert!(e.to_string().contains("row filter type 7"));
        let e = predict(vec![0], &parms(3, 3), "xref stream 7 0").unwrap_err();
        assert_eq!(e.to_string(), "xref stream 7 0: predictor 3 not supported");
    }

    #[test]
    fn tiff_predictor() {
        let out = predict(vec![1, 1, 1, 2, 2, 2], &parms(2, 3), "s").unwrap();
        assert_eq!(out, vec![1, 2, 3, 2, 4, 6]);
    }
}
