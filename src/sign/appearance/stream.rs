//! Stage `sign`, visible stamps: the appearance's content stream (ISO 32000-1 §8, §9.4): an
//! optional border and seal, then each shaped line as a TJ of 2-byte CIDs with the shaper's
//! advances and offsets (`Ts` for marks raised or lowered).

use std::fmt::Write as _;

use super::font::{FontObjects, ShapedLine};
use super::{AppearanceError, Stamp};

/// Padding inside the stamp's border, points.
const PAD: f64 = 3.0;
/// Line height, in font sizes.
const LEADING: f64 = 1.2;
const BORDER: f64 = 0.75;

/// The drawn stamp: its size, content and font objects.
pub(super) struct Drawn {
    pub width: f64,
    pub height: f64,
    pub content: Vec<u8>,
    pub font: FontObjects,
}

fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

pub(super) fn draw(stamp: &Stamp) -> Result<Drawn, AppearanceError> {
    if stamp.lines.is_empty() || stamp.lines.len() > 40 {
        return Err(AppearanceError::Template(format!(
            "a stamp has 1 to 40 lines, not {}",
            stamp.lines.len()
        )));
    }
    if !(4.0..=72.0).contains(&stamp.size) {
        return Err(AppearanceError::Template(format!(
            "font size {} is outside 4–72 pt",
            stamp.size
        )));
    }
    let shaped: Vec<ShapedLine> = stamp
        .lines
        .iter()
        .map(|l| stamp.font.shape(l))
        .collect::<Result<_, _>>()?;
    let font = stamp.font.embed(&shaped)?;
    let size = stamp.size;
    let (asc, desc) = stamp.font.vertical();
    let (asc, desc) = (asc / 1000.0 * size, desc / 1000.0 * size);
    let lh = LEADING * size;
    let text_h = asc - desc + (shaped.len() - 1) as f64 * lh;
    let text_w = shaped.iter().map(|l| l.width).fold(0.0, f64::max) / 1000.0 * size;
    let height = text_h + 2.0 * PAD;
    let seal_w = match &stamp.seal {
        Some(s) => (height - 2.0 * PAD) * f64::from(s.width) / f64::from(s.height.max(1)),
        None => 0.0,
    };
    let text_x = PAD + if seal_w > 0.0 { seal_w + PAD } else { 0.0 };
    let width = text_x + text_w + PAD;
    let [r, g, b] = stamp.color.map(|c| c.clamp(0.0, 1.0));

    let mut c = String::from("q\n");
    if stamp.border {
        let _ = writeln!(
            c,
            "{} {} {} RG {} w {} {} {} {} re S",
            num(r),
            num(g),
            num(b),
            num(BORDER),
            num(BORDER / 2.0),
            num(BORDER / 2.0),
            num(width - BORDER),
            num(height - BORDER)
        );
    }
    if seal_w > 0.0 {
        let _ = writeln!(
            c,
            "q {} 0 0 {} {} {} cm /Im1 Do Q",
            num(seal_w),
            num(height - 2.0 * PAD),
            num(PAD),
            num(PAD)
        );
    }
    let _ = writeln!(
        c,
        "BT\n{} {} {} rg\n/F1 {} Tf",
        num(r),
        num(g),
        num(b),
        num(size)
    );
    for (i, line) in shaped.iter().enumerate() {
        let baseline = height - PAD - asc - i as f64 * lh;
        let _ = writeln!(c, "1 0 0 1 {} {} Tm", num(text_x), num(baseline));
        let mut rise = 0.0;
        let mut tj = String::from("[");
        for gl in &line.glyphs {
            if (gl.y_offset - rise).abs() > 0.5 {
                // close the run, change the rise
                tj.push_str("] TJ\n");
                c.push_str(&tj);
                rise = gl.y_offset;
                let _ = writeln!(c, "{} Ts", num(rise / 1000.0 * size));
                tj = String::from("[");
            }
            let cid = font.cids.get(&gl.gid).copied().unwrap_or(0);
            let w = stamp.font.width(gl.gid);
            if gl.x_offset.abs() > 0.01 {
                let _ = write!(tj, " {}", num(-gl.x_offset));
            }
            let _ = write!(tj, "<{cid:04X}>");
            let rest = gl.advance - gl.x_offset - w;
            if rest.abs() > 0.01 {
                let _ = write!(tj, " {} ", num(-rest));
            }
        }
        tj.push_str("] TJ\n");
        c.push_str(&tj);
        if rise != 0.0 {
            c.push_str("0 Ts\n");
        }
    }
    c.push_str("ET\nQ\n");
    Ok(Drawn {
        width,
        height,
        content: c.into_bytes(),
        font,
    })
}
