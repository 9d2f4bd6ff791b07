//! Stage `decode`, resolution: what the file says (JFIF, EXIF, PNG pHYs, TIFF tags, PDF page
//! size), checked for sense, else `--dpi`, else an error asking for it.

use super::error::{DecodeError, Location};
use super::DpiSource;

/// Highest resolution taken at face value (scanners stop well below).
pub(crate) const MAX_DPI: f64 = 4800.0;

const CM_PER_INCH: f64 = 2.54;
const METRES_PER_INCH: f64 = 0.0254;

/// A resolution unit as the formats store it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Inch,
    Centimetre,
    Metre,
}

fn sane(v: f64) -> bool {
    v.is_finite() && v > 0.0 && v <= MAX_DPI
}

/// Snaps values within 0.05 of a whole number (300 dpi stored as 11811 px/m is 299.9994).
fn snap(v: f64) -> f64 {
    let r = v.round();
    if (v - r).abs() <= 0.05 {
        r
    } else {
        v
    }
}

/// Pixels per `unit` to dots per inch, both axes; a nonsense axis takes the other's value,
/// two nonsense axes make `None`.
pub(crate) fn to_dpi(x: f64, y: f64, unit: Unit) -> Option<(f64, f64)> {
    let factor = match unit {
        Unit::Inch => 1.0,
        Unit::Centimetre => CM_PER_INCH,
        Unit::Metre => METRES_PER_INCH,
    };
    let (x, y) = (snap(x * factor), snap(y * factor));
    match (sane(x), sane(y)) {
        (true, true) => Some((x, y)),
        (true, false) => Some((x, x)),
        (false, true) => Some((y, y)),
        (false, false) => None,
    }
}

/// The page's resolution: the file's, else a sane `dpi_override`, else [`DecodeError::NoResolution`].
pub(crate) fn resolve(
    from_file: Option<(f64, f64)>,
    dpi_override: Option<f32>,
    at: &Location,
) -> Result<((f32, f32), DpiSource), DecodeError> {
    if let Some((x, y)) = from_file {
        return Ok(((x as f32, y as f32), DpiSource::File));
    }
    match dpi_override {
        Some(v) if sane(f64::from(v)) => Ok(((v, v), DpiSource::Override)),
        Some(value) => Err(DecodeError::BadDpi {
            at: at.clone(),
            value,
        }),
        None => Err(DecodeError::NoResolution { at: at.clone() }),
    }
}

/// Checks `--dpi` up front, so a bad value is reported even for files that carry a resolution.
pub(crate) fn check_override(dpi_override: Option<f32>, at: &Location) -> Result<(), DecodeError> {
    match dpi_override {
        Some(value) if !sane(f64::from(value)) => Err(DecodeError::BadDpi {
            at: at.clone(),
            value,
        }),
        _ => Ok(()),
    }
}

fn read_u16(d: &[u8], at: usize, le: bool) -> Option<u16> {
    let b: [u8; 2] = d.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(b)
    } else {
        u16::from_be_bytes(b)
    })
}

fn read_u32(d: &[u8], at: usize, le: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    })
}

/// X/YResolution and ResolutionUnit from the IFD0 of an EXIF block (the TIFF structure after
/// `Exif\0\0`, CIPA DC-008 §4.6.4); `None` when absent or unusable.
pub(crate) fn exif_density(tiff: &[u8]) -> Option<(f64, f64)> {
    let le = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let ifd = usize::try_from(read_u32(tiff, 4, le)?).ok()?;
    let count = usize::from(read_u16(tiff, ifd, le)?);
    let (mut x, mut y, mut unit) = (None, None, 2u16);
    for i in 0..count.min(512) {
        let e = ifd.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
        let (tag, ty) = (
            read_u16(tiff, e, le)?,
            read_u16(tiff, e.saturating_add(2), le)?,
        );
        let rational = || -> Option<f64> {
            let off = usize::try_from(read_u32(tiff, e.saturating_add(8), le)?).ok()?;
            let (n, d) = (
                read_u32(tiff, off, le)?,
                read_u32(tiff, off.checked_add(4)?, le)?,
            );
            (d != 0).then(|| f64::from(n) / f64::from(d))
        };
        match (tag, ty) {
            (282, 5) => x = rational(),
            (283, 5) => y = rational(),
            (296, 3) => unit = read_u16(tiff, e.saturating_add(8), le)?,
            _ => {}
        }
    }
    let unit = match unit {
        2 => Unit::Inch,
        3 => Unit::Centimetre,
        _ => return None,
    };
    to_dpi(x?, y.or(x)?, unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn units_and_nonsense() {
        assert_eq!(to_dpi(11811.0, 11811.0, Unit::Metre), Some((300.0, 300.0)));
        assert_eq!(
            to_dpi(118.0, 118.0, Unit::Centimetre).map(|d| d.0.round()),
            Some(300.0)
        );
        assert_eq!(to_dpi(200.0, 0.0, Unit::Inch), Some((200.0, 200.0)));
        assert_eq!(to_dpi(0.0, -3.0, Unit::Inch), None);
        assert_eq!(to_dpi(9600.0, f64::NAN, Unit::Inch), None);
        assert_eq!(to_dpi(4800.0, 4800.0, Unit::Inch), Some((4800.0, 4800.0)));
    }

    #[test]
    fn file_then_override_then_error() {
        let at = Location::file(Path::new("a.png"));
        let r = resolve(Some((300.0, 150.0)), Some(72.0), &at).unwrap();
        assert_eq!(r, ((300.0, 150.0), DpiSource::File));
        let r = resolve(None, Some(200.0), &at).unwrap();
        assert_eq!(r, ((200.0, 200.0), DpiSource::Override));
        let e = resolve(None, None, &at).unwrap_err();
        assert!(matches!(e, DecodeError::NoResolution { .. }));
        let e = resolve(None, Some(0.0), &at).unwrap_err();
        assert!(matches!(e, DecodeError::BadDpi { .. }), "{e}");
        assert!(check_override(Some(5000.0), &at).is_err());
        assert!(check_override(Some(300.0), &at).is_ok());
    }

    #[test]
    fn exif_ifd0_resolution() {
        // Big-endian TIFF header, IFD0 at 8 with XResolution, YResolution (rationals at 50, 58)
        // and ResolutionUnit = cm.
        let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
        t.extend_from_slice(&3u16.to_be_bytes());
        for (tag, ty, val) in [(282u16, 5u16, 50u32), (283, 5, 58), (296, 3, 3 << 16)] {
            t.extend_from_slice(&tag.to_be_bytes());
            t.extend_from_slice(&ty.to_be_bytes());
            t.extend_from_slice(&1u32.to_be_bytes());
            t.extend_from_slice(&val.to_be_bytes());
        }
        t.extend_from_slice(&[0; 4]);
        assert_eq!(t.len(), 50);
        for (n, d) in [(236u32, 2u32), (118, 1)] {
            t.extend_from_slice(&n.to_be_bytes());
            t.extend_from_slice(&d.to_be_bytes());
        }
        let (x, y) = exif_density(&t).unwrap();
        assert!(
            (x - 299.72).abs() < 0.01 && (y - 299.72).abs() < 0.01,
            "{x} {y}"
        );
        assert_eq!(exif_density(&t[..20]), None);
        assert_eq!(exif_density(b"XX"), None);
    }
}
