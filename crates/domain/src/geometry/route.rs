//! The route of a trip as stored in `trip_routes.points`: Google's encoded-polyline algorithm
//! (precision 1e-5, about 1 m) applied to triples (latitude, longitude, seconds since the trip
//! start). Each number is the zigzag delta from the previous point's, written as 5-bit chunks in
//! printable ASCII, so a route grows by appending text (`points || ?`): the row keeps the last
//! point ([`RouteState`]) and [`encode_from`] continues from it.

use geo::Point;
use thiserror::Error;

/// Scale of the stored coordinates: 1e-5 degrees.
const E5: f64 = 1e5;

/// Chunks a 64-bit zigzag number needs at most (13 × 5 bits ≥ 64).
const MAX_CHUNKS: u32 = 13;

/// One recorded position of a trip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoutePoint {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lng: f64,
    /// Seconds since the trip start.
    pub offset_s: i64,
}

impl RoutePoint {
    /// The point as the geometry queries take it (x = longitude, y = latitude).
    pub fn point(&self) -> Point<f64> {
        Point::new(self.lng, self.lat)
    }

    /// The stored form: latitude and longitude in 1e-5 degrees (rounded half away from zero),
    /// and the offset; `None` for a non-finite or out-of-range coordinate.
    pub fn to_state(&self) -> Option<RouteState> {
        let valid = self.lat.is_finite()
            && self.lng.is_finite()
            && self.lat.abs() <= 90.0
            && self.lng.abs() <= 180.0;
        valid.then(|| {
            (
                (self.lat * E5).round() as i64,
                (self.lng * E5).round() as i64,
                self.offset_s,
            )
        })
    }
}

/// The last point of an encoded route, `(lat_e5, lng_e5, offset_s)` as `trip_routes` keeps it
/// (`last_lat_e5`, `last_lng_e5`, `last_offset`); `(0, 0, 0)` before the first point.
pub type RouteState = (i64, i64, i64);

/// Why stored route text cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RouteError {
    /// A byte outside the encoding's alphabet (`?` to `~`).
    #[error("invalid character at byte {at}")]
    InvalidCharacter {
        /// Byte offset in the text.
        at: usize,
    },
    /// A number longer than 64 bits.
    #[error("number too large at byte {at}")]
    Overflow {
        /// Byte offset in the text.
        at: usize,
    },
    /// The text ends in the middle of a number.
    #[error("the text ends in the middle of a number")]
    Truncated,
    /// The text ends after one or two of a point's three numbers.
    #[error("the text ends in the middle of point {index}")]
    IncompletePoint {
        /// Index of the incomplete point.
        index: usize,
    },
    /// A decoded coordinate outside -90..=90 (latitude) or -180..=180 (longitude).
    #[error("point {index} is out of range")]
    OutOfRange {
        /// Index of the point.
        index: usize,
    },
}

/// Encode `points` after a route whose last point is `previous` (`None` for a new route);
/// returns the text to append and the new last point. Points with a non-finite or
/// out-of-range coordinate are skipped (a bad fix must not corrupt the whole route).
/// Appending the text of successive calls gives exactly the text of one call with all points.
pub fn encode_from(previous: Option<RouteState>, points: &[RoutePoint]) -> (String, RouteState) {
    let mut last = previous.unwrap_or((0, 0, 0));
    let mut text = String::with_capacity(points.len() * 8);
    for state in points.iter().filter_map(RoutePoint::to_state) {
        // Wrapping arithmetic: the decoder wraps the same way, so any i64 round-trips.
        push_number(&mut text, state.0.wrapping_sub(last.0));
        push_number(&mut text, state.1.wrapping_sub(last.1));
        push_number(&mut text, state.2.wrapping_sub(last.2));
        last = state;
    }
    (text, last)
}

/// Decode a whole stored route. Never panics: garbage is an error, in one pass over the text.
pub fn decode(text: &str) -> Result<Vec<RoutePoint>, RouteError> {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut last: RouteState = (0, 0, 0);
    let mut points = Vec::with_capacity(bytes.len() / 8);
    while at < bytes.len() {
        let index = points.len();
        let mut deltas = [0i64; 3];
        for delta in &mut deltas {
            if at == bytes.len() {
                // Between numbers (never before the first): the point is incomplete.
                return Err(RouteError::IncompletePoint { index });
            }
            *delta = read_number(bytes, &mut at)?;
        }
        last = (
            last.0.wrapping_add(deltas[0]),
            last.1.wrapping_add(deltas[1]),
            last.2.wrapping_add(deltas[2]),
        );
        if last.0.abs() > 90 * 100_000 || last.1.abs() > 180 * 100_000 {
            return Err(RouteError::OutOfRange { index });
        }
        points.push(RoutePoint {
            lat: last.0 as f64 / E5,
            lng: last.1 as f64 / E5,
            offset_s: last.2,
        });
    }
    Ok(points)
}

/// Append one signed number: zigzag, then 5-bit chunks, low first, `0x20` marking "more".
fn push_number(text: &mut String, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    while zigzag >= 0x20 {
        text.push(char::from(((zigzag & 0x1f) as u8 | 0x20) + 63));
        zigzag >>= 5;
    }
    text.push(char::from(zigzag as u8 + 63));
}

/// Read one signed number at `*at`, moving past it.
fn read_number(bytes: &[u8], at: &mut usize) -> Result<i64, RouteError> {
    let mut zigzag = 0u64;
    for chunk_index in 0..MAX_CHUNKS {
        let Some(&byte) = bytes.get(*at) else {
            return Err(RouteError::Truncated);
        };
        if !(63..=126).contains(&byte) {
            return Err(RouteError::InvalidCharacter { at: *at });
        }
        let chunk = u64::from(byte - 63);
        let shift = 5 * chunk_index;
        let more = chunk & 0x20 != 0;
        // The 13th chunk holds the last 4 bits of 64 and nothing after.
        if chunk_index == MAX_CHUNKS - 1 && (more || chunk > 0x0f) {
            return Err(RouteError::Overflow { at: *at });
        }
        zigzag |= (chunk & 0x1f) << shift;
        *at += 1;
        if !more {
            return Ok(((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64));
        }
    }
    unreachable!("the last chunk either ends the number or is refused")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lng: f64, offset_s: i64) -> RoutePoint {
        RoutePoint { lat, lng, offset_s }
    }

    /// Google's documented example, with an offset added to each point.
    fn google() -> Vec<RoutePoint> {
        vec![
            p(38.5, -120.2, 0),
            p(40.7, -120.95, 5),
            p(43.252, -126.453, 12),
        ]
    }

    #[test]
    fn encodes_google_reference_numbers() {
        // Google's sample `_p~iF~ps|U_ulLnnqC_mqNvxq`@` is the two coordinates per point; here
        // each point also carries its offset delta (0 = `?`, 5 = `I`, 7 = `M`).
        let (text, last) = encode_from(None, &google());
        assert_eq!(text, "_p~iF~ps|U?_ulLnnqCI_mqNvxq`@M");
        assert_eq!(last, (4_325_200, -12_645_300, 12));
    }

    #[test]
    fn round_trip_keeps_points_to_1e5() {
        let points = vec![
            p(45.757_814, 4.832_011, 0),
            p(45.757_901, 4.832_200, 4),
            p(45.758_5, 4.833_1, 9),
            p(-33.868_82, 151.209_29, 3_600),
            p(90.0, -180.0, 3_601),
            p(-90.0, 180.0, 3_590),
            p(0.0, 0.0, 0),
        ];
        let (text, _) = encode_from(None, &points);
        let back = decode(&text).unwrap();
        assert_eq!(back.len(), points.len());
        for (a, b) in points.iter().zip(&back) {
            assert!((a.lat - b.lat).abs() <= 0.5e-5, "{a:?} {b:?}");
            assert!((a.lng - b.lng).abs() <= 0.5e-5, "{a:?} {b:?}");
            assert_eq!(a.offset_s, b.offset_s);
        }
        // What was decoded encodes to the same text.
        assert_eq!(encode_from(None, &back).0, text);
        assert_eq!(decode("").unwrap(), vec![]);
    }

    #[test]
    fn appending_equals_encoding_at_once() {
        let points: Vec<RoutePoint> = (0..50)
            .map(|i| {
                let i = f64::from(i);
                p(45.75 + i * 0.000_37, 4.83 - i * 0.000_21, (i * 3.0) as i64)
            })
            .collect();
        let (whole, whole_last) = encode_from(None, &points);
        let mut text = String::new();
        let mut state = None;
        for chunk in points.chunks(7) {
            let (more, last) = encode_from(state, chunk);
            text.push_str(&more);
            state = Some(last);
        }
        assert_eq!(text, whole);
        assert_eq!(state, Some(whole_last));
        // Appending nothing changes nothing.
        assert_eq!(encode_from(state, &[]), (String::new(), whole_last));
        assert_eq!(decode(&whole).unwrap().len(), 50);
    }

    #[test]
    fn bad_fixes_are_skipped_when_encoding() {
        let points = vec![
            p(45.0, 4.0, 0),
            p(f64::NAN, 4.0, 1),
            p(45.0, f64::INFINITY, 2),
            p(91.0, 4.0, 3),
            p(45.0, -180.5, 4),
            p(45.1, 4.1, 5),
        ];
        let (text, last) = encode_from(None, &points);
        assert_eq!(last, (4_510_000, 410_000, 5));
        let back = decode(&text).unwrap();
        assert_eq!(back.iter().map(|p| p.offset_s).collect::<Vec<_>>(), [0, 5]);
    }

    #[test]
    fn extreme_offsets_round_trip() {
        let offsets = [0, i64::MIN, i64::MAX, -1, 1 << 40, i64::MIN];
        let points: Vec<RoutePoint> = offsets.iter().map(|&o| p(1.0, 2.0, o)).collect();
        let (text, last) = encode_from(None, &points);
        assert_eq!(last.2, i64::MIN);
        let back: Vec<i64> = decode(&text).unwrap().iter().map(|p| p.offset_s).collect();
        assert_eq!(back, offsets);
    }

    #[test]
    fn garbage_is_an_error() {
        let (valid, _) = encode_from(None, &google());
        for (text, expected) in [
            // A space, a newline, a byte beyond `~`, non-ASCII.
            (" ", RouteError::InvalidCharacter { at: 0 }),
            ("_p~iF\n", RouteError::InvalidCharacter { at: 5 }),
            ("??\u{7f}", RouteError::InvalidCharacter { at: 2 }),
            ("é", RouteError::InvalidCharacter { at: 0 }),
            // `_` has the "more" bit: the number never ends.
            ("_", RouteError::Truncated),
            ("??_", RouteError::Truncated),
            // One or two numbers of three.
            ("?", RouteError::IncompletePoint { index: 0 }),
            ("??", RouteError::IncompletePoint { index: 0 }),
            ("????", RouteError::IncompletePoint { index: 1 }),
            // Fourteen chunks, or a 13th chunk with more than 4 bits.
            ("~~~~~~~~~~~~~?", RouteError::Overflow { at: 12 }),
            ("~~~~~~~~~~~~O", RouteError::Overflow { at: 12 }),
            // Valid numbers, impossible latitude: -2^58 e-5 degrees.
            ("~~~~~~~~~~~N??", RouteError::OutOfRange { index: 0 }),
        ] {
            assert_eq!(decode(text), Err(expected), "{text:?}");
        }
        assert!(decode(&valid[..valid.len() - 1]).is_err());
        assert!(decode(&format!("{valid}?")).is_err());
        // Every prefix and every single-byte corruption: an answer, never a panic.
        for cut in 0..=valid.len() {
            let _ = decode(&valid[..cut]);
        }
        for byte in 0u8..=127 {
            let mut corrupted = valid.clone().into_bytes();
            corrupted[3] = byte;
            let _ = decode(&String::from_utf8(corrupted).unwrap());
        }
        // The largest 13-chunk number decodes.
        let mut text = String::new();
        push_number(&mut text, i64::MIN);
        assert_eq!(text.len(), 13);
        let mut at = 0;
        assert_eq!(read_number(text.as_bytes(), &mut at), Ok(i64::MIN));
    }

    #[test]
    fn a_point_is_about_eight_bytes() {
        // A fix every 4 s at cycling speed (about 20 m apart): small deltas.
        let points: Vec<RoutePoint> = (0..675)
            .map(|i| {
                let i = f64::from(i);
                p(45.75 + i * 0.000_15, 4.83 + i * 0.000_12, (i * 4.0) as i64)
            })
            .collect();
        let (text, _) = encode_from(None, &points);
        assert!(text.len() < 675 * 8, "{}", text.len());
    }
}
