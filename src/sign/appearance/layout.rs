//! Stage `sign`, visible stamps: where on the page a stamp goes. Pure: the page box, what the
//! page already shows, the stamp's size and the rule's corner in; a rectangle (and, when the
//! corner was taken, where it moved and why) out.

use serde::{Deserialize, Serialize};

/// A rectangle in page space (points, origin bottom left), `x0 < x1`, `y0 < y1`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn new(a: f64, b: f64, c: f64, d: f64) -> Self {
        Self {
            x0: a.min(c),
            y0: b.min(d),
            x1: a.max(c),
            y1: b.max(d),
        }
    }

    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    pub fn area(&self) -> f64 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    pub fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    pub fn contains(&self, o: &Rect) -> bool {
        self.x0 <= o.x0 + 0.01
            && self.y0 <= o.y0 + 0.01
            && o.x1 <= self.x1 + 0.01
            && o.y1 <= self.y1 + 0.01
    }

    pub fn grow(&self, by: f64) -> Rect {
        Rect::new(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)
    }
}

/// Which corner of the page the rule puts the stamp in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Corner {
    /// Circular 01/2023/TT-VPCP art. 8: the digitizer's signature.
    TopLeft,
    /// Decree 30/2020/NĐ-CP appendix: the agency's signature on an electronic copy.
    TopRight,
    BottomLeft,
    /// Where paper certifications put the certifier's attestation (lời chứng).
    BottomRight,
}

impl Corner {
    pub fn name(self) -> &'static str {
        match self {
            Self::TopLeft => "top left",
            Self::TopRight => "top right",
            Self::BottomLeft => "bottom left",
            Self::BottomRight => "bottom right",
        }
    }
}

/// A page's /Rotate (0, 90, 180, 270, clockwise when shown): between the page's own space
/// and the space the reader sees, origin at its bottom left.
#[derive(Clone, Copy, Debug)]
pub struct Turn {
    degrees: i64,
    page: Rect,
}

impl Turn {
    pub fn new(degrees: i64, page: Rect) -> Self {
        Self { degrees, page }
    }

    /// The page as shown: width and height swapped by a quarter turn.
    pub fn shown_box(&self) -> Rect {
        let (w, h) = (self.page.width(), self.page.height());
        match self.degrees {
            90 | 270 => Rect::new(0.0, 0.0, h, w),
            _ => Rect::new(0.0, 0.0, w, h),
        }
    }

    /// A rectangle of the shown page in the page's own space.
    pub fn to_page(&self, r: &Rect) -> Rect {
        let p = &self.page;
        let map = |u: f64, v: f64| match self.degrees {
            90 => (p.x1 - v, p.y0 + u),
            180 => (p.x1 - u, p.y1 - v),
            270 => (p.x0 + v, p.y1 - u),
            _ => (p.x0 + u, p.y0 + v),
        };
        let (a, b) = map(r.x0, r.y0);
        let (c, d) = map(r.x1, r.y1);
        Rect::new(a, b, c, d)
    }

    /// The appearance form's /Matrix that turns it back (counter-clockwise), if any.
    pub fn form_matrix(&self) -> Option<[i64; 6]> {
        match self.degrees {
            90 => Some([0, 1, -1, 0, 0, 0]),
            180 => Some([-1, 0, 0, -1, 0, 0]),
            270 => Some([0, -1, 1, 0, 0, 0]),
            _ => None,
        }
    }
}

/// Where the stamp went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Placement {
    pub rect: Rect,
    /// Set when the rule's place was taken: what the stamp did instead.
    pub moved: Option<String>,
}

/// Grid step of the search for a free area, points (2 mm).
const STEP: f64 = 5.67;
/// Gap kept between the stamp and what the page shows, points.
const CLEARANCE: f64 = 2.0;

/// Puts a `w`×`h` stamp in `corner` of `page`, `margin` from its edges, where `is_free` says
/// the page shows nothing (a gap of [`CLEARANCE`] kept); else at the nearest free place on
/// the page; else at the corner, saying it covers content.
pub fn place(
    page: Rect,
    w: f64,
    h: f64,
    corner: Corner,
    margin: f64,
    is_free: &mut dyn FnMut(&Rect) -> bool,
) -> Placement {
    let (w, h) = (w.min(page.width()), h.min(page.height()));
    let margin = margin.clamp(
        0.0,
        ((page.width() - w) / 2.0)
            .min((page.height() - h) / 2.0)
            .max(0.0),
    );
    let (lo_x, hi_x) = (page.x0 + margin, page.x1 - margin - w);
    let (lo_y, hi_y) = (page.y0 + margin, page.y1 - margin - h);
    let (px, py) = match corner {
        Corner::TopLeft => (lo_x, hi_y),
        Corner::TopRight => (hi_x, hi_y),
        Corner::BottomLeft => (lo_x, lo_y),
        Corner::BottomRight => (hi_x, lo_y),
    };
    let at = |x: f64, y: f64| Rect::new(x, y, x + w, y + h);
    let mut free = |r: &Rect| is_free(&r.grow(CLEARANCE));
    let preferred = at(px, py);
    if free(&preferred) {
        return Placement {
            rect: preferred,
            moved: None,
        };
    }
    // Every grid position inside the margins, nearest to the preferred one first (bounded: an
    // A4 page is about 100 × 150 positions).
    let nx = (((hi_x - lo_x) / STEP).floor().max(0.0) as usize).min(400);
    let ny = (((hi_y - lo_y) / STEP).floor().max(0.0) as usize).min(400);
    let mut best: Option<(f64, Rect)> = None;
    for i in 0..=nx {
        for j in 0..=ny {
            let x = if corner_left(corner) {
                lo_x + i as f64 * STEP
            } else {
                hi_x - i as f64 * STEP
            };
            let y = if corner_top(corner) {
                hi_y - j as f64 * STEP
            } else {
                lo_y + j as f64 * STEP
            };
            let r = at(x, y);
            let d = (x - px).hypot(y - py);
            if best.as_ref().is_some_and(|(bd, _)| *bd <= d) {
                continue;
            }
            if free(&r) {
                best = Some((d, r));
            }
        }
    }
    match best {
        Some((d, r)) => Placement {
            moved: Some(format!(
                "the {} corner shows content; moved {:.0} mm {} to a free area",
                corner.name(),
                d * 25.4 / 72.0,
                direction(&preferred, &r)
            )),
            rect: r,
        },
        None => Placement {
            rect: preferred,
            moved: Some(format!(
                "no free area on the page for a {:.0}×{:.0} mm stamp: it covers content at the {} corner",
                w * 25.4 / 72.0,
                h * 25.4 / 72.0,
                corner.name()
            )),
        },
    }
}

fn corner_left(c: Corner) -> bool {
    matches!(c, Corner::TopLeft | Corner::BottomLeft)
}

fn corner_top(c: Corner) -> bool {
    matches!(c, Corner::TopLeft | Corner::TopRight)
}

fn direction(from: &Rect, to: &Rect) -> &'static str {
    let (dx, dy) = (to.x0 - from.x0, to.y0 - from.y0);
    if dx.abs() > dy.abs() {
        if dx > 0.0 {
            "right"
        } else {
            "left"
        }
    } else if dy > 0.0 {
        "up"
    } else {
        "down"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A4: Rect = Rect {
        x0: 0.0,
        y0: 0.0,
        x1: 595.0,
        y1: 842.0,
    };

    fn clear_of(taken: &[Rect]) -> impl FnMut(&Rect) -> bool + '_ {
        move |r| !taken.iter().any(|t| t.intersects(r))
    }

    #[test]
    fn an_empty_corner_takes_the_stamp_at_the_margin() {
        let p = place(A4, 200.0, 40.0, Corner::TopLeft, 20.0, &mut clear_of(&[]));
        assert_eq!(p.rect, Rect::new(20.0, 782.0, 220.0, 822.0));
        assert!(p.moved.is_none());
        let p = place(A4, 200.0, 40.0, Corner::TopRight, 20.0, &mut clear_of(&[]));
        assert_eq!(p.rect, Rect::new(375.0, 782.0, 575.0, 822.0));
    }

    #[test]
    fn a_taken_corner_moves_the_stamp_to_the_nearest_free_area_and_says_so() {
        // A letterhead across the top 100 pt.
        let taken = [Rect::new(40.0, 742.0, 555.0, 830.0)];
        let p = place(
            A4,
            200.0,
            40.0,
            Corner::TopLeft,
            20.0,
            &mut clear_of(&taken),
        );
        assert!(
            !p.rect.grow(CLEARANCE).intersects(&taken[0]),
            "{:?}",
            p.rect
        );
        assert!(p.rect.y1 < 742.0 && p.rect.y1 > 700.0, "{:?}", p.rect);
        assert!(p.moved.as_deref().unwrap().contains("moved"), "{p:?}");
    }

    #[test]
    fn a_turned_page_maps_the_readers_top_left_to_the_right_page_corner() {
        // shown turned a quarter clockwise: the reader's top left is the page's bottom left
        let t = Turn::new(90, A4);
        assert_eq!(t.shown_box(), Rect::new(0.0, 0.0, 842.0, 595.0));
        let shown_top_left = Rect::new(0.0, 555.0, 100.0, 595.0);
        assert_eq!(t.to_page(&shown_top_left), Rect::new(0.0, 0.0, 40.0, 100.0));
        let t = Turn::new(180, A4);
        assert_eq!(
            t.to_page(&Rect::new(0.0, 802.0, 100.0, 842.0)),
            Rect::new(495.0, 0.0, 595.0, 40.0)
        );
        let t = Turn::new(270, A4);
        assert_eq!(
            t.to_page(&shown_top_left),
            Rect::new(555.0, 742.0, 595.0, 842.0)
        );
        assert_eq!(Turn::new(0, A4).to_page(&shown_top_left), shown_top_left);
    }

    #[test]
    fn a_full_page_leaves_the_stamp_at_its_corner_with_a_warning() {
        let p = place(
            A4,
            200.0,
            40.0,
            Corner::TopRight,
            20.0,
            &mut clear_of(&[A4]),
        );
        assert!(p.moved.unwrap().contains("covers content"));
    }
}
