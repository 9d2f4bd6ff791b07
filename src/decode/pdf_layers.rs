//! Stage `decode`, what a scanned PDF page draws: every image XObject with the transformation
//! in force when `Do` ran (ISO 32000-1 §8.3.4, §8.4.4), through nested Form XObjects
//! (§8.10.1, their `/Matrix`), with the fill colour an image mask paints in (§8.9.6.2).
//! Text, painted paths and inline images make the page "not only images", as before.

use super::error::{DecodeError, Location};
use super::pdf_page::pdf_err;
use crate::pdf::content::matrix::{mul, Matrix, IDENTITY};
use crate::pdf::content::ops::Ops;
use crate::pdf::{Dict, Object, PdfFile, Stream};
use std::fs::File;

type Pdf = PdfFile<File>;

/// More images than this is not a scan (MRC uses 2–3 layers, tiled scanners a few dozen).
pub(crate) const MAX_IMAGES: usize = 64;
/// Deepest Form XObject nesting followed.
const MAX_FORM_DEPTH: usize = 3;
/// Deepest `q` nesting kept (deeper `q`s are counted but not stored).
const MAX_SAVE_DEPTH: usize = 64;

/// One image as drawn: its stream, and the matrix from its unit square to default user space.
#[derive(Clone, Debug)]
pub(crate) struct Placement {
    pub stream: Stream,
    /// The resources the image was named in (a colour space may be named there).
    pub resources: Dict,
    pub ctm: Matrix,
    /// The non-stroking colour when drawn, as RGB (what an image mask paints).
    pub fill: [u8; 3],
}

#[derive(Clone, Copy)]
struct State {
    ctm: Matrix,
    fill: [u8; 3],
}

fn unit(v: f64) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// A colour from operands: 1 gray, 3 RGB, 4 CMYK components (§8.6.4); else black.
fn colour(nums: &[f64]) -> [u8; 3] {
    match *nums {
        [g] => [unit(g); 3],
        [r, g, b] => [unit(r), unit(g), unit(b)],
        [c, m, y, k] => {
            let f = |v: f64| unit((1.0 - v) * (1.0 - k));
            [f(c), f(m), f(y)]
        }
        _ => [0; 3],
    }
}

fn numbers(ops: &[Object]) -> Vec<f64> {
    ops.iter().filter_map(Object::as_number).collect()
}

/// Every image drawn by `content` (with resources `res`), in painting order.
pub(crate) fn placements(
    pdf: &mut Pdf,
    content: &[u8],
    res: &Dict,
    at: &Location,
) -> Result<Vec<Placement>, DecodeError> {
    let mut out = Vec::new();
    walk(pdf, content, res, IDENTITY, [0; 3], 0, at, &mut out)?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn walk(
    pdf: &mut Pdf,
    content: &[u8],
    res: &Dict,
    base: Matrix,
    fill: [u8; 3],
    depth: usize,
    at: &Location,
    out: &mut Vec<Placement>,
) -> Result<(), DecodeError> {
    let e = pdf_err(at);
    let mixed = |what: &str| DecodeError::not_image_only(at, what.to_string());
    let xobjects = match res.get(b"XObject") {
        Some(x) => pdf.get_dict(x).map_err(&e)?.unwrap_or_default(),
        None => Dict::new(),
    };
    let mut st = State { ctm: base, fill };
    let mut saved: Vec<State> = Vec::new();
    let mut extra_saves = 0usize;
    let mut operands: Vec<Object> = Vec::new();
    let mut ops = Ops::new(content);
    while let Some(op) = ops.next_operator(&mut operands, 32) {
        match op {
            b"q" if saved.len() < MAX_SAVE_DEPTH => saved.push(st),
            b"q" => extra_saves += 1,
            b"Q" if extra_saves > 0 => extra_saves -= 1,
            b"Q" => {
                if let Some(s) = saved.pop() {
                    st = s;
                }
            }
            b"cm" => {
                if let [a, b, c, d, e, f] = numbers(&operands)[..] {
                    st.ctm = mul(&[a, b, c, d, e, f], &st.ctm);
                }
            }
            b"g" | b"rg" | b"k" | b"sc" | b"scn" => st.fill = colour(&numbers(&operands)),
            b"cs" => st.fill = [0; 3],
            b"BT" | b"Tj" | b"TJ" | b"'" | b"\"" => {
                return Err(mixed("it carries text or vector content"))
            }
            b"S" | b"s" | b"f" | b"F" | b"f*" | b"B" | b"B*" | b"b" | b"b*" | b"sh" => {
                return Err(mixed("it carries text or vector content"))
            }
            b"BI" => return Err(mixed("it draws an inline image")),
            b"Do" => {
                let Some(Object::Name(name)) = operands.last() else {
                    operands.clear();
                    continue;
                };
                let shown = String::from_utf8_lossy(name).into_owned();
                let s = match xobjects
                    .get(name)
                    .map(|o| pdf.resolve(o))
                    .transpose()
                    .map_err(&e)?
                {
                    Some(Object::Stream(s)) => s,
                    _ => {
                        return Err(DecodeError::corrupt(
                            at,
                            "PDF",
                            format!("XObject /{shown} is missing"),
                        ))
                    }
                };
                match s.dict.name(b"Subtype") {
                    Some(b"Image") => {
                        if out.len() >= MAX_IMAGES {
                            return Err(mixed(&format!("it draws more than {MAX_IMAGES} images")));
                        }
                        out.push(Placement {
                            stream: s,
                            resources: res.clone(),
                            ctm: st.ctm,
                            fill: st.fill,
                        });
                    }
                    Some(b"Form") if depth < MAX_FORM_DEPTH => {
                        let m = match s.dict.get(b"Matrix").map(|m| pdf.resolve(m)) {
                            Some(Ok(Object::Array(a))) => match numbers(&a)[..] {
                                [a, b, c, d, e, f] => [a, b, c, d, e, f],
                                _ => IDENTITY,
                            },
                            _ => IDENTITY,
                        };
                        let inner = pdf.stream_decoded(&s).map_err(&e)?;
                        let own = match s.dict.get(b"Resources") {
                            Some(r) => pdf.get_dict(r).map_err(&e)?,
                            None => None,
                        };
                        let ctm = mul(&m, &st.ctm);
                        walk(
                            pdf,
                            &inner,
                            own.as_ref().unwrap_or(res),
                            ctm,
                            st.fill,
                            depth + 1,
                            at,
                            out,
                        )?;
                    }
                    _ => {
                        return Err(mixed(&format!("/{shown} is not a simple image")));
                    }
                }
            }
            _ => {}
        }
        operands.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_from_operands() {
        assert_eq!(colour(&[0.5]), [128; 3]);
        assert_eq!(colour(&[1.0, 0.0, 0.0]), [255, 0, 0]);
        assert_eq!(colour(&[0.0, 0.0, 0.0, 1.0]), [0; 3]);
        assert_eq!(colour(&[0.0, 1.0, 1.0, 0.0]), [255, 0, 0]);
        assert_eq!(colour(&[]), [0; 3]);
        assert_eq!(colour(&[2.0]), [255; 3]);
    }
}
