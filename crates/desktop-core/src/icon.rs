//! The tray icon, drawn at run time at whatever size the desktop asks for. Each state has its own
//! shape and mark, not only its own color, so it reads for color-blind users and on monochrome
//! panels: a check in a circle, "!" in a triangle, "×" in a rounded square, a dash in a ring.

use monitor::domain::Status;

/// The sizes trays ask for across platforms and scale factors (16 and 32 on Windows, 22 and 44
/// on Linux panels, 24 and 48 on GNOME at 1× and 2×, 20 and 64 for menu bars and HiDPI).
pub const TRAY_SIZES: &[u32] = &[16, 20, 22, 24, 32, 44, 48, 64];

/// What the icon shows: the overall status, with the engine's "paused" folded into `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IconState {
    Healthy,
    Degraded,
    Unhealthy,
    Unknown,
}

impl IconState {
    pub const ALL: [IconState; 4] = [
        IconState::Healthy,
        IconState::Degraded,
        IconState::Unhealthy,
        IconState::Unknown,
    ];

    pub fn from_status(s: Status) -> Self {
        match s {
            Status::Healthy => IconState::Healthy,
            Status::Degraded => IconState::Degraded,
            Status::Unhealthy => IconState::Unhealthy,
            Status::Unknown => IconState::Unknown,
        }
    }

    /// Saturated and far apart in hue and lightness, so the states stay apart on light and dark
    /// panels alike.
    pub fn color(self) -> [u8; 3] {
        match self {
            IconState::Healthy => [0x1a, 0x9e, 0x4b],
            IconState::Degraded => [0xf0, 0xa2, 0x02],
            IconState::Unhealthy => [0xd6, 0x2f, 0x2f],
            IconState::Unknown => [0x8a, 0x8f, 0x98],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IconState::Healthy => "healthy",
            IconState::Degraded => "degraded",
            IconState::Unhealthy => "unhealthy",
            IconState::Unknown => "unknown",
        }
    }

    /// White loses against amber; a dark mark keeps the "!" readable there.
    fn mark_color(self) -> [u8; 3] {
        match self {
            IconState::Degraded => [0x26, 0x26, 0x26],
            _ => [0xff, 0xff, 0xff],
        }
    }
}

/// An image as tray APIs take it: straight (not premultiplied) RGBA8, row-major, top row first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Samples per pixel along each axis: 4×4 coverage gives 17 alpha levels, smooth enough at 16 px.
const SUPERSAMPLE: usize = 4;

/// Draws the icon for `state` as a `size`×`size` image. Size 0 gives an empty image.
pub fn draw(state: IconState, size: u32) -> Rgba {
    let geo = Geometry::new(state, size as f32);
    let n = size as usize;
    let mut pixels = vec![0u8; n * n * 4];
    let samples = (SUPERSAMPLE * SUPERSAMPLE) as u32;
    for (i, px) in pixels.chunks_exact_mut(4).enumerate() {
        let (x, y) = ((i % n) as f32, (i / n) as f32);
        let center = (x + 0.5, y + 0.5);
        // Half a pixel's diagonal: farther than that from every edge, the whole pixel is one color
        // and one sample is enough. This keeps 256 px icons cheap.
        let (color, covered, sum) = if geo.edge_distance(center) > 0.71 {
            match geo.color_at(center) {
                Some(c) => (Some(c), samples, [0; 3]),
                None => (None, 0, [0; 3]),
            }
        } else {
            let mut sum = [0u32; 3];
            let mut covered = 0;
            for sy in 0..SUPERSAMPLE {
                for sx in 0..SUPERSAMPLE {
                    let step = |s: usize| (s as f32 + 0.5) / SUPERSAMPLE as f32;
                    if let Some(c) = geo.color_at((x + step(sx), y + step(sy))) {
                        covered += 1;
                        for k in 0..3 {
                            sum[k] += u32::from(c[k]);
                        }
                    }
                }
            }
            (None, covered, sum)
        };
        if covered == 0 {
            continue;
        }
        let rgb = color.unwrap_or_else(|| sum.map(|s| ((s + covered / 2) / covered) as u8));
        px[..3].copy_from_slice(&rgb);
        px[3] = ((covered * 255 + samples / 2) / samples) as u8;
    }
    Rgba {
        width: size,
        height: size,
        pixels,
    }
}

/// The image as a Netpbm PAM file (`TUPLTYPE RGB_ALPHA`), which ImageMagick and GIMP open: a way
/// to look at the icons without an image crate.
pub fn to_pam(image: &Rgba) -> Vec<u8> {
    let header = format!(
        "P7\nWIDTH {}\nHEIGHT {}\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n",
        image.width, image.height
    );
    let mut out = Vec::with_capacity(header.len() + image.pixels.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&image.pixels);
    out
}

type P = (f32, f32);

/// One state's shapes at one size, in pixel units (y down), as signed distance functions:
/// negative inside, positive outside, and never more than the true distance to the edge.
struct Geometry {
    state: IconState,
    /// Center of the canvas.
    c: f32,
    /// Half the extent of the body: the canvas less a margin.
    r: f32,
    /// Stroke width of marks.
    w: f32,
    /// The triangle shrunk by `round`, so that growing it back by `round` rounds its corners.
    triangle: [P; 3],
    round: f32,
}

impl Geometry {
    fn new(state: IconState, size: f32) -> Geometry {
        // About one pixel of air keeps neighbouring tray icons apart; tiny sizes cannot spare it.
        let margin = (size * 0.0625).min(1.0);
        let c = size / 2.0;
        let r = (c - margin).max(0.0);
        // Thinner than 1.6 px and a stroke turns into a grey smear at 16 px.
        let w = (size * 0.125).max(1.6);
        let round = r * 0.18;
        let corners = [(c, c - r), (c + r, c + r), (c - r, c + r)];
        Geometry {
            state,
            c,
            r,
            w,
            triangle: shrink_triangle(corners, round),
            round,
        }
    }

    /// The body's and the mark's distance functions at `p`. Unknown has no separate mark: its
    /// dash is part of the body, so that its alpha mask differs from the healthy circle's.
    fn fields(&self, p: P) -> (f32, f32) {
        let (c, r, w) = (self.c, self.r, self.w);
        let at = |dx: f32, dy: f32| (c + dx * r, c + dy * r);
        match self.state {
            IconState::Healthy => {
                let (a, b, e) = (at(-0.45, 0.02), at(-0.12, 0.34), at(0.46, -0.30));
                let check = sd_segment(p, a, b, w).min(sd_segment(p, b, e, w));
                (sd_circle(p, (c, c), r), check)
            }
            IconState::Degraded => {
                let body = sd_polygon(p, &self.triangle) - self.round;
                let bar = sd_segment(p, at(0.0, -0.34), at(0.0, 0.18), w);
                let dot = sd_circle(p, at(0.0, 0.66), w * 0.6);
                (body, bar.min(dot))
            }
            IconState::Unhealthy => {
                let corner = r * 0.3;
                let body = sd_box(p, (c, c), r - corner) - corner;
                let k = 0.38;
                let cross = sd_segment(p, at(-k, -k), at(k, k), w).min(sd_segment(
                    p,
                    at(-k, k),
                    at(k, -k),
                    w,
                ));
                (body, cross)
            }
            IconState::Unknown => {
                let ring_w = w * 0.9;
                let ring = (sd_circle(p, (c, c), r - ring_w / 2.0)).abs() - ring_w / 2.0;
                let dash = sd_segment(p, at(-0.42, 0.0), at(0.42, 0.0), w);
                (ring.min(dash), f32::INFINITY)
            }
        }
    }

    fn color_at(&self, p: P) -> Option<[u8; 3]> {
        let (body, mark) = self.fields(p);
        if body > 0.0 {
            None
        } else if mark <= 0.0 {
            Some(self.state.mark_color())
        } else {
            Some(self.state.color())
        }
    }

    fn edge_distance(&self, p: P) -> f32 {
        let (body, mark) = self.fields(p);
        body.abs().min(mark.abs())
    }
}

fn len(x: f32, y: f32) -> f32 {
    (x * x + y * y).sqrt()
}

fn sd_circle(p: P, c: P, r: f32) -> f32 {
    len(p.0 - c.0, p.1 - c.1) - r
}

/// A stroke of width `w` from `a` to `b` with round caps.
fn sd_segment(p: P, a: P, b: P, w: f32) -> f32 {
    let (px, py, ex, ey) = (p.0 - a.0, p.1 - a.1, b.0 - a.0, b.1 - a.1);
    let ee = ex * ex + ey * ey;
    let t = if ee > 0.0 {
        ((px * ex + py * ey) / ee).clamp(0.0, 1.0)
    } else {
        0.0
    };
    len(px - ex * t, py - ey * t) - w / 2.0
}

/// An axis-aligned square with half side `h` around `c`.
fn sd_box(p: P, c: P, h: f32) -> f32 {
    let (dx, dy) = ((p.0 - c.0).abs() - h, (p.1 - c.1).abs() - h);
    len(dx.max(0.0), dy.max(0.0)) + dx.max(dy).min(0.0)
}

/// Exact distance to a simple polygon; the sign comes from counting edge crossings.
fn sd_polygon(p: P, v: &[P]) -> f32 {
    let mut d = f32::INFINITY;
    let mut sign = 1.0;
    let mut j = v.len() - 1;
    for i in 0..v.len() {
        let (e, w) = (
            (v[j].0 - v[i].0, v[j].1 - v[i].1),
            (p.0 - v[i].0, p.1 - v[i].1),
        );
        let ee = e.0 * e.0 + e.1 * e.1;
        let t = if ee > 0.0 {
            ((w.0 * e.0 + w.1 * e.1) / ee).clamp(0.0, 1.0)
        } else {
            0.0
        };
        d = d.min(len(w.0 - e.0 * t, w.1 - e.1 * t));
        let crossing = [p.1 >= v[i].1, p.1 < v[j].1, e.0 * w.1 > e.1 * w.0];
        if crossing.iter().all(|&b| b) || crossing.iter().all(|&b| !b) {
            sign = -sign;
        }
        j = i;
    }
    sign * d
}

/// Moves a triangle's edges inward by `k`. For a triangle that is a scaling about the incenter,
/// by (inradius − k) / inradius.
fn shrink_triangle(t: [P; 3], k: f32) -> [P; 3] {
    let side = |a: P, b: P| len(a.0 - b.0, a.1 - b.1);
    let (a, b, c) = (side(t[1], t[2]), side(t[2], t[0]), side(t[0], t[1]));
    let perimeter = a + b + c;
    let area =
        ((t[1].0 - t[0].0) * (t[2].1 - t[0].1) - (t[2].0 - t[0].0) * (t[1].1 - t[0].1)).abs() / 2.0;
    if perimeter <= 0.0 || area <= 0.0 {
        return t;
    }
    let inradius = 2.0 * area / perimeter;
    let center = (
        (a * t[0].0 + b * t[1].0 + c * t[2].0) / perimeter,
        (a * t[0].1 + b * t[1].1 + c * t[2].1) / perimeter,
    );
    let scale = ((inradius - k) / inradius).max(0.0);
    t.map(|v| {
        (
            center.0 + (v.0 - center.0) * scale,
            center.1 + (v.1 - center.1) * scale,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn alpha_mask(image: &Rgba) -> Vec<u8> {
        image.pixels.chunks_exact(4).map(|p| p[3]).collect()
    }

    #[test]
    fn every_tray_size_has_its_dimensions() {
        for &size in TRAY_SIZES {
            for state in IconState::ALL {
                let image = draw(state, size);
                assert_eq!((image.width, image.height), (size, size));
                assert_eq!(image.pixels.len(), (size * size * 4) as usize);
            }
        }
    }

    #[test]
    fn the_dominant_opaque_color_is_the_state_color() {
        for &size in TRAY_SIZES {
            for state in IconState::ALL {
                let image = draw(state, size);
                let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
                for p in image.pixels.chunks_exact(4).filter(|p| p[3] == 255) {
                    *counts.entry([p[0], p[1], p[2]]).or_default() += 1;
                }
                let dominant = counts.into_iter().max_by_key(|&(_, n)| n).map(|(c, _)| c);
                assert_eq!(dominant, Some(state.color()), "{state:?} at {size} px");
            }
        }
    }

    #[test]
    fn the_states_differ_in_shape_not_only_in_color() {
        for &size in TRAY_SIZES {
            let masks: Vec<_> = IconState::ALL
                .iter()
                .map(|&s| alpha_mask(&draw(s, size)))
                .collect();
            for i in 0..masks.len() {
                for j in i + 1..masks.len() {
                    // Pixels that are solid in one and clearly see-through in the other: a real
                    // difference of outline, not a shade of anti-aliasing.
                    let differing = masks[i]
                        .iter()
                        .zip(&masks[j])
                        .filter(|(a, b)| a.abs_diff(**b) > 128)
                        .count();
                    let share = differing as f64 / masks[i].len() as f64;
                    assert!(
                        share > 0.04,
                        "{:?} and {:?} at {size} px differ in only {:.1}% of pixels",
                        IconState::ALL[i],
                        IconState::ALL[j],
                        share * 100.0
                    );
                }
            }
        }
    }

    #[test]
    fn corners_are_transparent_and_the_shape_fills_the_canvas() {
        for &size in TRAY_SIZES {
            for state in IconState::ALL {
                let image = draw(state, size);
                let alpha = |x: u32, y: u32| image.pixels[((y * size + x) * 4 + 3) as usize];
                let last = size - 1;
                for (x, y) in [(0, 0), (last, 0), (0, last), (last, last)] {
                    assert_eq!(alpha(x, y), 0, "{state:?} at {size} px, corner ({x}, {y})");
                }
                let opaque = alpha_mask(&image).iter().filter(|&&a| a > 0).count();
                let share = opaque as f64 / (size * size) as f64;
                // A triangle covers about half of its box; a ring less than a disc.
                assert!(share > 0.4, "{state:?} at {size} px covers {share:.2}");
            }
        }
    }

    #[test]
    fn marks_are_visible_at_the_smallest_size() {
        for state in [
            IconState::Healthy,
            IconState::Degraded,
            IconState::Unhealthy,
        ] {
            let image = draw(state, 16);
            let marked = image
                .pixels
                .chunks_exact(4)
                .filter(|p| p[3] == 255 && p[..3] == state.mark_color())
                .count();
            assert!(
                marked >= 6,
                "{state:?} has {marked} solid mark pixels at 16 px"
            );
        }
    }

    #[test]
    fn no_size_panics() {
        for size in 0..=256 {
            // One state per size keeps this quick; every state still meets many sizes.
            let state = IconState::ALL[size as usize % 4];
            let image = draw(state, size);
            assert_eq!(image.pixels.len(), (size * size * 4) as usize);
        }
    }

    #[test]
    fn pam_has_a_header_and_every_pixel() {
        let image = draw(IconState::Healthy, 16);
        let pam = to_pam(&image);
        let header = "P7\nWIDTH 16\nHEIGHT 16\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n";
        assert!(pam.starts_with(header.as_bytes()));
        assert_eq!(&pam[header.len()..], &image.pixels[..]);
    }

    #[test]
    fn statuses_map_to_states_and_names() {
        for s in Status::ALL {
            assert_eq!(IconState::from_status(s).as_str(), s.as_str());
        }
    }
}
