//! Geometry of the geofencing areas: network borders, speed zones and virtual parkings.
//!
//! This module owns the validated [`Shape`] (one polygon without holes), its conversions (the
//! seed's input, GeoJSON output, `geo::Polygon`, the text stored in the database) and the
//! queries asked about vehicle positions (inside the border? which speed zone? which parking?).
//!
//! # Decisions
//!
//! - **Input** is what the seed sends: a list of `[longitude, latitude]` pairs in WGS 84
//!   degrees, e.g. `[[4.815, 45.745], [4.86, 45.745], [4.87, 45.77]]`. The seed bounds each number
//!   by `[-180, 180]` without naming the order; relais takes GeoJSON's order (longitude first)
//!   so that what is sent and what is answered read the same way. A latitude beyond ±90 is
//!   refused, which catches a swapped pair only where the longitude exceeds ±90°: in Europe a
//!   swapped pair is valid somewhere else, so clients must follow the documented order.
//! - **Rings** may be sent open (`A B C`) or closed (`A B C A`); both give the same shape. The
//!   closing point is recognised only when it equals the first point, and it does not count as
//!   a point: `A B A` has two distinct points and is refused.
//! - **Indices** in errors are 0-based positions in the list as sent, so `point 3` is the JSON
//!   path `shape[3]`. Edge `i` joins point `i` to point `i + 1`; the last edge closes the ring.
//! - **Refused**: fewer than 3 distinct points, more than [`MAX_POINTS`], non-finite or
//!   out-of-range coordinates, a repeated point, all points on one line (no area), an edge
//!   spanning more than 180° of longitude (shapes may not cross the antimeridian: edges are
//!   straight in longitude/latitude, so such an edge would run the other way round the earth),
//!   and edges that cross, touch or overlap (the ring must be simple).
//! - **Normalised**: coordinates are rounded to 7 decimals (about 1 cm, far below GPS
//!   precision) so that the stored text is short and reads back to exactly the same numbers;
//!   the ring is stored counter-clockwise (reversed after its first point when sent clockwise),
//!   as GeoJSON (RFC 7946) asks of an exterior ring.
//! - **Planar in degrees**: containment and crossings treat longitude/latitude as a plane, which
//!   is what a map shows and is exact enough at the scale of a city. Measures in metres
//!   ([`Shape::area_m2`], [`Shape::distance_m`]) are on the ellipsoid or the sphere.
//! - **The boundary is inside**: a point on an edge or a vertex is contained. A vehicle exactly
//!   on the border line has not left the network, and GPS noise dwarfs the difference anyway.
//! - **Speed zones**: where several contain a point, the lowest `max_speed` applies (the
//!   strictest rule wins, as on roads); among equal speeds the smallest zone, then the first.
//! - **Virtual parkings**: a parking containing the point wins (the smallest if several);
//!   otherwise the nearest parking within a tolerance in metres, to absorb GPS error. The
//!   tolerance is the caller's (a setting), not a constant here.
//! - **Queries take `geo::Point`** (x = longitude, y = latitude); serialisable outputs use
//!   [`Position`] arrays like the input.
//!
//! The stored form of a trip's route is in [`route`].

pub mod route;

use geo::{
    Area, BoundingRect, Centroid, Coord, CoordinatePosition, Distance, GeodesicArea, Haversine,
    HaversineClosestPoint, Line, LineIntersection, LineString, Point, Polygon,
    coordinate_position::CoordPos, line_intersection::line_intersection,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use thiserror::Error;
use utoipa::ToSchema;

/// One point as the API sends and answers it: `[longitude, latitude]` in WGS 84 degrees.
pub type Position = [f64; 2];

/// The OpenAPI schema of a [`Position`], published as `Position`: exactly two numbers.
pub struct PositionSchema;

impl utoipa::PartialSchema for PositionSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type,
        };
        let number = ObjectBuilder::new()
            .schema_type(Type::Number)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
            .minimum(Some(-180.0))
            .maximum(Some(180.0));
        ArrayBuilder::new()
            .items(number)
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some(
                "`[longitude, latitude]` in WGS 84 degrees (GeoJSON order); longitude in \
                 [-180, 180], latitude in [-90, 90].",
            ))
            .examples([serde_json::json!([4.832, 45.7578])])
            .into()
    }
}

impl ToSchema for PositionSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Position")
    }
}

/// The most points a shape may have; bounds the cost of validation and of every query.
pub const MAX_POINTS: usize = 10_000;

/// Decimals kept on each coordinate (1e-7 degree is about 1 cm).
pub const COORDINATE_DECIMALS: i32 = 7;

/// Why a list of points is not an acceptable shape.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ShapeError {
    /// Fewer than 3 distinct points (the closing point does not count).
    #[error("the shape has {count} distinct point(s); a polygon needs at least 3")]
    TooFewPoints { count: usize },
    /// More than [`MAX_POINTS`] points.
    #[error("the shape has {count} points; at most {max} are accepted")]
    TooManyPoints { count: usize, max: usize },
    /// A coordinate is NaN or infinite.
    #[error("point {index}: coordinates must be finite numbers")]
    NotFinite { index: usize },
    /// A longitude outside [-180, 180].
    #[error("point {index}: longitude {value} is out of range [-180, 180]")]
    LongitudeOutOfRange { index: usize, value: f64 },
    /// A latitude outside [-90, 90].
    #[error("point {index}: latitude {value} is out of range [-90, 90]")]
    LatitudeOutOfRange { index: usize, value: f64 },
    /// A point equal (to 1e-7 degree) to an earlier one other than as the closing point.
    #[error("point {index} repeats point {first}")]
    RepeatedPoint { index: usize, first: usize },
    /// All points lie on one line.
    #[error("the shape has no area: all its points lie on one line")]
    ZeroArea,
    /// An edge spans more than 180° of longitude.
    #[error("edge {edge} spans more than 180° of longitude; shapes may not cross the antimeridian")]
    CrossesAntimeridian { edge: usize },
    /// Two edges cross each other.
    #[error("edges {first} and {second} cross")]
    EdgesCross { first: usize, second: usize },
    /// Two non-adjacent edges meet at a point (the ring touches itself).
    #[error("edges {first} and {second} touch")]
    EdgesTouch { first: usize, second: usize },
    /// Two edges run along each other.
    #[error("edges {first} and {second} overlap")]
    EdgesOverlap { first: usize, second: usize },
    /// The polygon has interior rings, or several rings were given.
    #[error("a shape is a single ring; holes are not supported")]
    HasHoles,
}

impl ShapeError {
    /// The 0-based index of the point at fault, when one point is.
    pub fn point_index(&self) -> Option<usize> {
        match self {
            Self::NotFinite { index }
            | Self::LongitudeOutOfRange { index, .. }
            | Self::LatitudeOutOfRange { index, .. }
            | Self::RepeatedPoint { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The two 0-based edge indices at fault, when two edges are.
    pub fn edges(&self) -> Option<(usize, usize)> {
        match self {
            Self::EdgesCross { first, second }
            | Self::EdgesTouch { first, second }
            | Self::EdgesOverlap { first, second } => Some((*first, *second)),
            _ => None,
        }
    }
}

/// Why a stored shape cannot be read back.
#[derive(Debug, Error)]
pub enum StoredShapeError {
    /// The text is not a JSON list of `[longitude, latitude]` pairs.
    #[error("stored shape is not a JSON list of [longitude, latitude] pairs: {0}")]
    Json(#[from] serde_json::Error),
    /// The points do not make a valid shape.
    #[error("stored shape is invalid: {0}")]
    Invalid(#[from] ShapeError),
}

/// A shape as the Dashboard API receives it (`shape` of the geofencing operations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShapeInput(
    /// At least 3 distinct `[longitude, latitude]` points; the ring may be open or closed.
    pub Vec<Position>,
);

// Written by hand: the derive cannot put `minItems` on a newtype, and the points must
// reference the `Position` schema that documents their order.
impl utoipa::PartialSchema for ShapeInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{Ref, schema::ArrayBuilder};
        ArrayBuilder::new()
            .items(Ref::from_schema_name(PositionSchema::name()))
            .min_items(Some(3))
            .max_items(Some(MAX_POINTS))
            .description(Some(
                "A polygon as a list of `[longitude, latitude]` points, at least 3 distinct; \
                 the ring may be open or closed (last point equal to the first).",
            ))
            .examples([serde_json::json!([
                [4.815, 45.745],
                [4.86, 45.745],
                [4.87, 45.77],
                [4.825, 45.78]
            ])])
            .into()
    }
}

impl ToSchema for ShapeInput {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            PositionSchema::name().into_owned(),
            <PositionSchema as utoipa::PartialSchema>::schema(),
        ));
    }
}

impl ShapeInput {
    /// Validate into a [`Shape`].
    pub fn to_shape(&self) -> Result<Shape, ShapeError> {
        Shape::new(&self.0)
    }
}

/// The `type` member of a [`GeoJsonPolygon`]: always `"Polygon"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum GeoJsonPolygonType {
    /// The only value.
    Polygon,
}

/// A GeoJSON Polygon geometry (RFC 7946): one closed, counter-clockwise ring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"type": "Polygon", "coordinates": [[[4.8150, 45.7450], [4.8600, 45.7450], [4.8700, 45.7700], [4.8150, 45.7450]]]}))]
pub struct GeoJsonPolygon {
    /// Always `"Polygon"`.
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: GeoJsonPolygonType,
    /// Rings of `[longitude, latitude]` points, first point repeated last; relais sends one.
    #[schema(value_type = Vec<Vec<PositionSchema>>)]
    pub coordinates: Vec<Vec<Position>>,
}

/// A box framing one or more shapes, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoundingBox {
    /// Smallest longitude.
    pub west: f64,
    /// Smallest latitude.
    pub south: f64,
    /// Largest longitude.
    pub east: f64,
    /// Largest latitude.
    pub north: f64,
}

impl BoundingBox {
    /// The smallest box holding both.
    pub fn union(self, other: BoundingBox) -> BoundingBox {
        BoundingBox {
            west: self.west.min(other.west),
            south: self.south.min(other.south),
            east: self.east.max(other.east),
            north: self.north.max(other.north),
        }
    }

    /// The smallest box holding every shape, `None` when there is none.
    pub fn covering<'a>(shapes: impl IntoIterator<Item = &'a Shape>) -> Option<BoundingBox> {
        shapes
            .into_iter()
            .map(Shape::bounding_box)
            .reduce(BoundingBox::union)
    }

    /// The GeoJSON `bbox` order: `[west, south, east, north]`.
    pub fn to_array(self) -> [f64; 4] {
        [self.west, self.south, self.east, self.north]
    }
}

/// A valid polygon without holes: the border of a network, a speed zone or a virtual parking.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Closed, counter-clockwise exterior ring, coordinates rounded; never any interior.
    polygon: Polygon<f64>,
}

impl Shape {
    /// Validate `[longitude, latitude]` points (ring open or closed) into a shape.
    pub fn new(points: &[Position]) -> Result<Shape, ShapeError> {
        if points.len() > MAX_POINTS {
            return Err(ShapeError::TooManyPoints {
                count: points.len(),
                max: MAX_POINTS,
            });
        }
        // Ranges are checked on the values as sent, so that the message quotes them.
        for (index, &[lng, lat]) in points.iter().enumerate() {
            if !lng.is_finite() || !lat.is_finite() {
                return Err(ShapeError::NotFinite { index });
            }
            if !(-180.0..=180.0).contains(&lng) {
                return Err(ShapeError::LongitudeOutOfRange { index, value: lng });
            }
            if !(-90.0..=90.0).contains(&lat) {
                return Err(ShapeError::LatitudeOutOfRange { index, value: lat });
            }
        }
        let mut ring: Vec<Coord<f64>> = points
            .iter()
            .map(|&[lng, lat]| Coord {
                x: round_coordinate(lng),
                y: round_coordinate(lat),
            })
            .collect();
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        let mut seen: HashMap<(u64, u64), usize> = HashMap::with_capacity(ring.len());
        let mut repeated = None;
        for (index, c) in ring.iter().enumerate() {
            match seen.entry((c.x.to_bits(), c.y.to_bits())) {
                Entry::Vacant(slot) => {
                    slot.insert(index);
                }
                Entry::Occupied(slot) => {
                    repeated.get_or_insert(ShapeError::RepeatedPoint {
                        index,
                        first: *slot.get(),
                    });
                }
            }
        }
        // Too few distinct points says more than "point 2 repeats point 0" for `A B A`.
        if seen.len() < 3 {
            return Err(ShapeError::TooFewPoints { count: seen.len() });
        }
        if let Some(error) = repeated {
            return Err(error);
        }
        // Collinear points are reported as such before the crossing check, which would
        // otherwise describe them as crossing or overlapping edges.
        if all_on_one_line(&ring) {
            return Err(ShapeError::ZeroArea);
        }
        if let Some(edge) =
            (0..ring.len()).find(|&i| (ring[(i + 1) % ring.len()].x - ring[i].x).abs() > 180.0)
        {
            return Err(ShapeError::CrossesAntimeridian { edge });
        }
        check_simple(&ring)?;
        let mut polygon = Polygon::new(LineString::from(ring), vec![]);
        let signed = polygon.signed_area();
        if signed == 0.0 {
            // Unreachable for a simple ring with three non-collinear points; kept as a guard.
            return Err(ShapeError::ZeroArea);
        }
        if signed < 0.0 {
            // Reverse after the first point so that the first point stays first.
            polygon.exterior_mut(|exterior| {
                let last = exterior.0.len() - 1;
                exterior.0[1..last].reverse();
            });
        }
        Ok(Shape { polygon })
    }

    /// The points of the ring, open (the first point is not repeated), counter-clockwise.
    pub fn positions(&self) -> Vec<Position> {
        let coords = &self.polygon.exterior().0;
        coords[..coords.len() - 1]
            .iter()
            .map(|c| [c.x, c.y])
            .collect()
    }

    /// The polygon, for `geo` algorithms.
    pub fn polygon(&self) -> &Polygon<f64> {
        &self.polygon
    }

    /// The GeoJSON Polygon answered by the API.
    pub fn to_geojson(&self) -> GeoJsonPolygon {
        GeoJsonPolygon {
            kind: GeoJsonPolygonType::Polygon,
            coordinates: vec![
                self.polygon
                    .exterior()
                    .0
                    .iter()
                    .map(|c| [c.x, c.y])
                    .collect(),
            ],
        }
    }

    /// The text stored in the database: a JSON list of `[longitude, latitude]` pairs, open ring.
    pub fn to_storage(&self) -> String {
        serde_json::to_string(&self.positions()).expect("finite numbers always serialise")
    }

    /// Read back (and re-validate) the text written by [`Shape::to_storage`].
    pub fn from_storage(text: &str) -> Result<Shape, StoredShapeError> {
        let points: Vec<Position> = serde_json::from_str(text)?;
        Ok(Shape::new(&points)?)
    }

    /// Whether the point (x = longitude, y = latitude) is inside or on the boundary.
    pub fn contains(&self, point: Point<f64>) -> bool {
        self.polygon.coordinate_position(&point.0) != CoordPos::Outside
    }

    /// Distance in metres (haversine) from the point to the shape; 0 inside or on the boundary.
    pub fn distance_m(&self, point: Point<f64>) -> f64 {
        if self.contains(point) {
            return 0.0;
        }
        match self.polygon.exterior().haversine_closest_point(&point) {
            geo::Closest::Intersection(_) => 0.0,
            geo::Closest::SinglePoint(closest) => Haversine.distance(point, closest),
            // Not produced for a ring of lines; the nearest vertex is a safe upper bound.
            geo::Closest::Indeterminate => self
                .polygon
                .exterior()
                .points()
                .map(|vertex| Haversine.distance(point, vertex))
                .fold(f64::INFINITY, f64::min),
        }
    }

    /// Area in square metres on the WGS 84 ellipsoid (Karney's geodesic method).
    pub fn area_m2(&self) -> f64 {
        self.polygon.geodesic_area_unsigned()
    }

    /// The centroid (x = longitude, y = latitude); may lie outside a concave shape.
    pub fn centroid(&self) -> Point<f64> {
        self.polygon
            .centroid()
            .expect("a valid shape is never empty")
    }

    /// The box framing the shape.
    pub fn bounding_box(&self) -> BoundingBox {
        let rect = self
            .polygon
            .bounding_rect()
            .expect("a valid shape is never empty");
        BoundingBox {
            west: rect.min().x,
            south: rect.min().y,
            east: rect.max().x,
            north: rect.max().y,
        }
    }

    /// Planar area in square degrees: enough to compare nearby shapes, and cheap.
    fn planar_area(&self) -> f64 {
        self.polygon.unsigned_area()
    }
}

impl TryFrom<&[Position]> for Shape {
    type Error = ShapeError;

    fn try_from(points: &[Position]) -> Result<Shape, ShapeError> {
        Shape::new(points)
    }
}

impl TryFrom<ShapeInput> for Shape {
    type Error = ShapeError;

    fn try_from(input: ShapeInput) -> Result<Shape, ShapeError> {
        Shape::new(&input.0)
    }
}

impl TryFrom<GeoJsonPolygon> for Shape {
    type Error = ShapeError;

    fn try_from(geojson: GeoJsonPolygon) -> Result<Shape, ShapeError> {
        match geojson.coordinates.as_slice() {
            [] => Err(ShapeError::TooFewPoints { count: 0 }),
            [ring] => Shape::new(ring),
            _ => Err(ShapeError::HasHoles),
        }
    }
}

impl TryFrom<Polygon<f64>> for Shape {
    type Error = ShapeError;

    fn try_from(polygon: Polygon<f64>) -> Result<Shape, ShapeError> {
        if !polygon.interiors().is_empty() {
            return Err(ShapeError::HasHoles);
        }
        let points: Vec<Position> = polygon.exterior().0.iter().map(|c| [c.x, c.y]).collect();
        Shape::new(&points)
    }
}

impl From<Shape> for Polygon<f64> {
    fn from(shape: Shape) -> Polygon<f64> {
        shape.polygon
    }
}

impl From<&Shape> for GeoJsonPolygon {
    fn from(shape: &Shape) -> GeoJsonPolygon {
        shape.to_geojson()
    }
}

/// A speed zone as the position queries need it; `max_speed` in km/h (6..25 in the seed).
#[derive(Debug, Clone, PartialEq)]
pub struct SpeedZoneArea<Id> {
    /// The zone's identifier.
    pub id: Id,
    /// Where the limit applies.
    pub shape: Shape,
    /// The limit, km/h.
    pub max_speed: u8,
}

/// A virtual parking as the position queries need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkingArea<Id> {
    /// The parking's identifier.
    pub id: Id,
    /// Where vehicles may be parked.
    pub shape: Shape,
}

/// The parking found for a position, and how far the position is from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParkingMatch<'a, Id> {
    /// The parking.
    pub parking: &'a ParkingArea<Id>,
    /// Metres from the position to the parking; 0 inside or on its boundary.
    pub distance_m: f64,
}

/// The speed zone that applies at a point: lowest `max_speed`, then smallest, then first.
pub fn speed_zone_at<Id>(
    zones: &[SpeedZoneArea<Id>],
    point: Point<f64>,
) -> Option<&SpeedZoneArea<Id>> {
    let mut best: Option<(&SpeedZoneArea<Id>, f64)> = None;
    for zone in zones.iter().filter(|zone| zone.shape.contains(point)) {
        best = match best {
            Some((current, current_area)) if current.max_speed < zone.max_speed => {
                Some((current, current_area))
            }
            Some((current, current_area)) if current.max_speed == zone.max_speed => {
                let area = zone.shape.planar_area();
                if area < current_area {
                    Some((zone, area))
                } else {
                    Some((current, current_area))
                }
            }
            _ => Some((zone, zone.shape.planar_area())),
        };
    }
    best.map(|(zone, _)| zone)
}

/// The parking for a point: the smallest containing it, else the nearest within `tolerance_m`.
pub fn parking_at<Id>(
    parkings: &[ParkingArea<Id>],
    point: Point<f64>,
    tolerance_m: f64,
) -> Option<ParkingMatch<'_, Id>> {
    // NaN or negative tolerances mean "inside only".
    let tolerance_m = tolerance_m.max(0.0);
    let containing = parkings
        .iter()
        .filter(|parking| parking.shape.contains(point))
        .map(|parking| (parking, parking.shape.planar_area()))
        .reduce(|best, next| if next.1 < best.1 { next } else { best });
    if let Some((parking, _)) = containing {
        return Some(ParkingMatch {
            parking,
            distance_m: 0.0,
        });
    }
    parkings
        .iter()
        .map(|parking| ParkingMatch {
            parking,
            distance_m: parking.shape.distance_m(point),
        })
        .filter(|found| found.distance_m <= tolerance_m)
        .reduce(|best, next| {
            if next.distance_m < best.distance_m {
                next
            } else {
                best
            }
        })
}

/// The geofencing of one network, for answering questions about vehicle positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Zones<Id> {
    /// The network border; `None` when the network has none.
    pub border: Option<Shape>,
    /// The network's speed zones.
    pub speed_zones: Vec<SpeedZoneArea<Id>>,
    /// The network's virtual parkings.
    pub parkings: Vec<ParkingArea<Id>>,
}

impl<Id> Zones<Id> {
    /// Whether the point is within the border; always true for a network without a border.
    pub fn inside_border(&self, point: Point<f64>) -> bool {
        self.border
            .as_ref()
            .is_none_or(|border| border.contains(point))
    }

    /// The speed zone that applies at the point (see [`speed_zone_at`]).
    pub fn speed_zone_at(&self, point: Point<f64>) -> Option<&SpeedZoneArea<Id>> {
        speed_zone_at(&self.speed_zones, point)
    }

    /// The parking for the point (see [`parking_at`]).
    pub fn parking_at(&self, point: Point<f64>, tolerance_m: f64) -> Option<ParkingMatch<'_, Id>> {
        parking_at(&self.parkings, point, tolerance_m)
    }

    /// The box framing the border and every zone, `None` when there is nothing to frame.
    pub fn bounding_box(&self) -> Option<BoundingBox> {
        BoundingBox::covering(
            self.border
                .iter()
                .chain(self.speed_zones.iter().map(|zone| &zone.shape))
                .chain(self.parkings.iter().map(|parking| &parking.shape)),
        )
    }
}

/// Great-circle distance in metres between two points (x = longitude, y = latitude), on the
/// sphere of the earth's mean radius: what a trip's distance adds up segment by segment.
pub fn haversine_m(a: Point<f64>, b: Point<f64>) -> f64 {
    Haversine.distance(a, b)
}

/// Round to [`COORDINATE_DECIMALS`]; the quotient of an exact integer by 1e7 is the double
/// nearest the decimal, which is what a JSON parser reads back.
fn round_coordinate(value: f64) -> f64 {
    let scale = 10f64.powi(COORDINATE_DECIMALS);
    // `+ 0.0` turns -0.0 into 0.0, so that both compare equal bit for bit.
    (value * scale).round() / scale + 0.0
}

/// Whether every point lies within half a rounding step of one line. A tolerance is needed:
/// points typed on a line in decimal (`45.75, 45.76, 45.77`) are not exactly on it in binary.
fn all_on_one_line(ring: &[Coord<f64>]) -> bool {
    let tolerance = 0.5 / 10f64.powi(COORDINATE_DECIMALS);
    let a = ring[0];
    let squared = |c: &Coord<f64>| (c.x - a.x).powi(2) + (c.y - a.y).powi(2);
    // The point farthest from the first gives the best-conditioned line.
    let b = ring
        .iter()
        .copied()
        .max_by(|p, q| squared(p).total_cmp(&squared(q)))
        .unwrap_or(a);
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length = dx.hypot(dy);
    length == 0.0
        || ring
            .iter()
            .all(|c| ((c.x - a.x) * dy - (c.y - a.y) * dx).abs() / length <= tolerance)
}

/// Refuse edges that cross, touch or overlap, reporting the first pair in edge order.
fn check_simple(ring: &[Coord<f64>]) -> Result<(), ShapeError> {
    let n = ring.len();
    let edges: Vec<Line<f64>> = (0..n)
        .map(|i| Line::new(ring[i], ring[(i + 1) % n]))
        .collect();
    // Sweep along longitude: only edges whose spans overlap can meet, which keeps a large
    // border far from the n² comparisons.
    let mut order: Vec<usize> = (0..n).collect();
    let min_x = |e: &Line<f64>| e.start.x.min(e.end.x);
    let max_x = |e: &Line<f64>| e.start.x.max(e.end.x);
    order.sort_by(|&a, &b| min_x(&edges[a]).total_cmp(&min_x(&edges[b])));
    let mut worst: Option<(usize, usize, ShapeError)> = None;
    for (rank, &a) in order.iter().enumerate() {
        let end = max_x(&edges[a]);
        for &b in &order[rank + 1..] {
            if min_x(&edges[b]) > end {
                break;
            }
            let (first, second) = (a.min(b), a.max(b));
            if worst
                .as_ref()
                .is_some_and(|&(f, s, _)| (f, s) <= (first, second))
            {
                continue;
            }
            let adjacent = second == first + 1 || (first == 0 && second == n - 1);
            let error = match line_intersection(edges[first], edges[second]) {
                None => None,
                Some(LineIntersection::Collinear { .. }) => {
                    Some(ShapeError::EdgesOverlap { first, second })
                }
                Some(LineIntersection::SinglePoint {
                    is_proper: true, ..
                }) => Some(ShapeError::EdgesCross { first, second }),
                // Adjacent edges always meet at their shared vertex; only that is allowed.
                Some(LineIntersection::SinglePoint { .. }) if adjacent => None,
                Some(LineIntersection::SinglePoint { .. }) => {
                    Some(ShapeError::EdgesTouch { first, second })
                }
            };
            if let Some(error) = error {
                worst = Some((first, second, error));
            }
        }
    }
    match worst {
        Some((_, _, error)) => Err(error),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use serde_json::json;

    /// Central Lyon: Confluence to Part-Dieu, Fourvière to the Croix-Rousse slopes.
    const LYON: [Position; 6] = [
        [4.8150, 45.7450],
        [4.8600, 45.7450],
        [4.8700, 45.7700],
        [4.8550, 45.7850],
        [4.8250, 45.7800],
        [4.8100, 45.7600],
    ];
    /// A rectangle around Place Bellecour.
    const BELLECOUR: [Position; 4] = [
        [4.8300, 45.7565],
        [4.8345, 45.7565],
        [4.8345, 45.7590],
        [4.8300, 45.7590],
    ];
    /// The Presqu'île, holding Bellecour.
    const PRESQUILE: [Position; 4] = [
        [4.8250, 45.7450],
        [4.8400, 45.7450],
        [4.8400, 45.7700],
        [4.8250, 45.7700],
    ];
    /// A virtual parking about 19 m by 11 m in front of Part-Dieu station.
    const PART_DIEU_PARKING: [Position; 4] = [
        [4.85900, 45.76080],
        [4.85925, 45.76080],
        [4.85925, 45.76090],
        [4.85900, 45.76090],
    ];

    fn pt(lng: f64, lat: f64) -> Point<f64> {
        Point::new(lng, lat)
    }

    /// Build a shape that must be valid, and cross-check it with geo's own validation.
    fn shape(points: &[Position]) -> Shape {
        let shape = Shape::new(points).expect("valid shape");
        assert!(shape.polygon().is_valid(), "geo disagrees: {shape:?}");
        shape
    }

    fn closed(points: &[Position]) -> Vec<Position> {
        let mut ring = points.to_vec();
        ring.push(points[0]);
        ring
    }

    #[test]
    fn lyon_border_holds_bellecour_and_part_dieu_but_not_villeurbanne_or_paris() {
        let border = shape(&LYON);
        assert!(border.contains(pt(4.8320, 45.7578)), "Place Bellecour");
        assert!(border.contains(pt(4.8593, 45.7606)), "Part-Dieu station");
        assert!(!border.contains(pt(4.8800, 45.7700)), "Villeurbanne");
        assert!(!border.contains(pt(2.3522, 48.8566)), "Paris");
    }

    #[test]
    fn seed_request_body_deserializes_into_a_shape() {
        #[derive(Deserialize)]
        struct UpdateBorderShape {
            network_id: u32,
            shape: ShapeInput,
        }
        let body = json!({"network_id": 1, "shape": LYON});
        let request: UpdateBorderShape = serde_json::from_value(body).unwrap();
        assert_eq!(request.network_id, 1);
        assert_eq!(request.shape.to_shape().unwrap().positions(), LYON.to_vec());
        // A point is exactly two numbers, as the seed says.
        let three = json!({"network_id": 1, "shape": [[4.8, 45.7, 0.0], [4.9, 45.7], [4.9, 45.8]]});
        assert!(serde_json::from_value::<UpdateBorderShape>(three).is_err());
    }

    #[test]
    fn open_and_closed_rings_give_the_same_shape() {
        let open = shape(&LYON);
        let closed = shape(&closed(&LYON));
        assert_eq!(open, closed);
        assert_eq!(closed.positions().len(), LYON.len());
    }

    #[test]
    fn clockwise_rings_are_stored_counter_clockwise_from_the_same_first_point() {
        let clockwise: Vec<Position> = std::iter::once(LYON[0])
            .chain(LYON[1..].iter().rev().copied())
            .collect();
        let shape = shape(&clockwise);
        assert_eq!(shape.positions(), LYON.to_vec());
        assert!(shape.polygon().signed_area() > 0.0);
    }

    #[test]
    fn geojson_output_is_a_closed_counter_clockwise_polygon() {
        let value = serde_json::to_value(shape(&BELLECOUR).to_geojson()).unwrap();
        assert_eq!(
            value,
            json!({
                "type": "Polygon",
                "coordinates": [[
                    [4.83, 45.7565],
                    [4.8345, 45.7565],
                    [4.8345, 45.759],
                    [4.83, 45.759],
                    [4.83, 45.7565]
                ]]
            })
        );
    }

    #[test]
    fn geojson_reads_back_and_refuses_holes_and_other_types() {
        let original = shape(&PRESQUILE);
        let text = serde_json::to_string(&GeoJsonPolygon::from(&original)).unwrap();
        let parsed: GeoJsonPolygon = serde_json::from_str(&text).unwrap();
        assert_eq!(Shape::try_from(parsed).unwrap(), original);

        let with_hole = GeoJsonPolygon {
            kind: GeoJsonPolygonType::Polygon,
            coordinates: vec![closed(&PRESQUILE), closed(&BELLECOUR)],
        };
        assert_eq!(Shape::try_from(with_hole), Err(ShapeError::HasHoles));
        let empty = GeoJsonPolygon {
            kind: GeoJsonPolygonType::Polygon,
            coordinates: vec![],
        };
        assert_eq!(
            Shape::try_from(empty),
            Err(ShapeError::TooFewPoints { count: 0 })
        );
        let point = json!({"type": "Point", "coordinates": [4.83, 45.75]});
        assert!(serde_json::from_value::<GeoJsonPolygon>(point).is_err());
    }

    #[test]
    fn geo_polygon_conversions_round_trip_and_refuse_holes() {
        let original = shape(&LYON);
        let polygon: Polygon<f64> = original.clone().into();
        assert_eq!(polygon.exterior().0.len(), LYON.len() + 1);
        assert_eq!(Shape::try_from(polygon).unwrap(), original);

        let outer: LineString<f64> = PRESQUILE.iter().map(|&[x, y]| (x, y)).collect();
        let hole: LineString<f64> = BELLECOUR.iter().map(|&[x, y]| (x, y)).collect();
        let donut = Polygon::new(outer, vec![hole]);
        assert_eq!(Shape::try_from(donut), Err(ShapeError::HasHoles));
    }

    #[test]
    fn storage_round_trip_is_exact() {
        // Awkward decimals: more than 7, and values that are not exact in binary.
        let points = [
            [4.832_123_456_78, 45.757_812_345_6],
            [4.834_5, 45.756_5],
            [4.834_5, 45.759_000_000_1],
            [4.83, 45.759],
        ];
        let original = shape(&points);
        let text = original.to_storage();
        assert_eq!(
            text,
            "[[4.8321235,45.7578123],[4.8345,45.7565],[4.8345,45.759],[4.83,45.759]]"
        );
        let read = Shape::from_storage(&text).unwrap();
        assert_eq!(read, original);
        assert_eq!(read.to_storage(), text);
        // Every Lyon shape too, bit for bit.
        for points in [&LYON[..], &BELLECOUR, &PRESQUILE, &PART_DIEU_PARKING] {
            let shape = shape(points);
            assert_eq!(Shape::from_storage(&shape.to_storage()).unwrap(), shape);
        }
    }

    #[test]
    fn stored_garbage_and_invalid_stored_shapes_are_reported() {
        assert!(matches!(
            Shape::from_storage("POLYGON((4.8 45.7))"),
            Err(StoredShapeError::Json(_))
        ));
        assert!(matches!(
            Shape::from_storage("[[4.8,45.7],[4.9,45.7]]"),
            Err(StoredShapeError::Invalid(ShapeError::TooFewPoints {
                count: 2
            }))
        ));
    }

    #[test]
    fn coordinates_are_rounded_to_seven_decimals() {
        let shape = shape(&[[4.830_000_04, 45.75], [4.84, 45.75], [4.84, 45.76]]);
        assert_eq!(shape.positions()[0], [4.83, 45.75]);
        // Points closer than 1e-7 degree are the same point.
        let result = Shape::new(&[
            [4.83, 45.75],
            [4.84, 45.75],
            [4.84, 45.76],
            [4.830_000_01, 45.75],
        ]);
        assert_eq!(result.map(|s| s.positions().len()), Ok(3));
    }

    #[test]
    fn two_points_are_refused() {
        let error = Shape::new(&[[4.83, 45.75], [4.84, 45.76]]).unwrap_err();
        assert_eq!(error, ShapeError::TooFewPoints { count: 2 });
        assert_eq!(
            error.to_string(),
            "the shape has 2 distinct point(s); a polygon needs at least 3"
        );
        assert_eq!(Shape::new(&[]), Err(ShapeError::TooFewPoints { count: 0 }));
    }

    #[test]
    fn a_closed_ring_of_two_distinct_points_is_refused() {
        let a = [4.83, 45.75];
        let b = [4.84, 45.76];
        assert_eq!(
            Shape::new(&[a, b, a]),
            Err(ShapeError::TooFewPoints { count: 2 })
        );
        assert_eq!(
            Shape::new(&[a, b, b, a]),
            Err(ShapeError::TooFewPoints { count: 2 })
        );
    }

    #[test]
    fn out_of_range_latitude_names_the_point() {
        let mut points = LYON.to_vec();
        points[3] = [4.8550, 95.0];
        let error = Shape::new(&points).unwrap_err();
        assert_eq!(
            error,
            ShapeError::LatitudeOutOfRange {
                index: 3,
                value: 95.0
            }
        );
        assert_eq!(error.point_index(), Some(3));
        assert_eq!(
            error.to_string(),
            "point 3: latitude 95 is out of range [-90, 90]"
        );
    }

    #[test]
    fn out_of_range_longitude_and_non_finite_values_name_the_point() {
        let mut points = LYON.to_vec();
        points[1] = [180.5, 45.745];
        assert_eq!(
            Shape::new(&points),
            Err(ShapeError::LongitudeOutOfRange {
                index: 1,
                value: 180.5
            })
        );
        points[1] = [f64::NAN, 45.745];
        let error = Shape::new(&points).unwrap_err();
        assert_eq!(error, ShapeError::NotFinite { index: 1 });
        assert_eq!(
            error.to_string(),
            "point 1: coordinates must be finite numbers"
        );
    }

    #[test]
    fn a_bow_tie_is_refused_naming_the_crossing_edges() {
        let bow_tie = [[4.83, 45.75], [4.84, 45.76], [4.84, 45.75], [4.83, 45.76]];
        let error = Shape::new(&bow_tie).unwrap_err();
        assert_eq!(
            error,
            ShapeError::EdgesCross {
                first: 0,
                second: 2
            }
        );
        assert_eq!(error.edges(), Some((0, 2)));
        assert_eq!(error.point_index(), None);
        assert_eq!(error.to_string(), "edges 0 and 2 cross");
    }

    #[test]
    fn the_first_crossing_in_edge_order_is_reported() {
        // A zigzag closed by a line at mid-height that cuts back across every tooth.
        let zigzag = [
            [4.80, 45.70],
            [4.82, 45.80],
            [4.84, 45.70],
            [4.86, 45.80],
            [4.88, 45.70],
            [4.88, 45.75],
            [4.80, 45.75],
        ];
        assert_eq!(
            Shape::new(&zigzag),
            Err(ShapeError::EdgesCross {
                first: 0,
                second: 5
            })
        );
    }

    #[test]
    fn repeated_points_are_refused() {
        // Consecutive: a double click on the map.
        let doubled = [[4.83, 45.75], [4.84, 45.75], [4.84, 45.75], [4.84, 45.76]];
        let error = Shape::new(&doubled).unwrap_err();
        assert_eq!(error, ShapeError::RepeatedPoint { index: 2, first: 1 });
        assert_eq!(error.to_string(), "point 2 repeats point 1");
        // Not consecutive: a figure of eight pinched at one vertex.
        let pinched = [
            [4.83, 45.75],
            [4.84, 45.75],
            [4.85, 45.76],
            [4.86, 45.75],
            [4.86, 45.77],
            [4.85, 45.76],
            [4.84, 45.77],
        ];
        assert_eq!(
            Shape::new(&pinched),
            Err(ShapeError::RepeatedPoint { index: 5, first: 2 })
        );
    }

    #[test]
    fn points_on_one_line_have_no_area() {
        let line = [[4.83, 45.75], [4.84, 45.76], [4.85, 45.77], [4.86, 45.78]];
        let error = Shape::new(&line).unwrap_err();
        assert_eq!(error, ShapeError::ZeroArea);
        assert_eq!(
            error.to_string(),
            "the shape has no area: all its points lie on one line"
        );
    }

    #[test]
    fn a_thin_but_real_shape_is_accepted() {
        // A 1.1 m wide strip along a quay, 1 km long: thin, but more than a rounding step.
        let strip = [
            [4.83, 45.75],
            [4.84, 45.75],
            [4.84, 45.750_01],
            [4.83, 45.750_01],
        ];
        let area = shape(&strip).area_m2();
        assert!((700.0..900.0).contains(&area), "{area}");
        // A triangle whose middle point is 4 mm (3.5e-8 degree) off the line is no shape.
        let flat = [[4.83, 45.75], [4.84, 45.76], [4.85, 45.770_000_1]];
        assert_eq!(Shape::new(&flat), Err(ShapeError::ZeroArea));
    }

    #[test]
    fn a_spike_is_refused_as_overlapping_edges() {
        // From point 2 the ring goes back along edge 1 before heading north.
        let spike = [[4.83, 45.75], [4.85, 45.75], [4.84, 45.75], [4.84, 45.76]];
        assert_eq!(
            Shape::new(&spike),
            Err(ShapeError::EdgesOverlap {
                first: 0,
                second: 1
            })
        );
    }

    #[test]
    fn a_vertex_on_a_non_adjacent_edge_is_refused_as_touching() {
        // Point 3 lies on edge 0.
        let touching = [
            [4.83, 45.75],
            [4.86, 45.75],
            [4.86, 45.77],
            [4.845, 45.75],
            [4.83, 45.77],
        ];
        assert_eq!(
            Shape::new(&touching),
            Err(ShapeError::EdgesTouch {
                first: 0,
                second: 2
            })
        );
    }

    #[test]
    fn a_vertex_in_the_middle_of_a_straight_side_is_accepted() {
        let square_with_midpoint = [
            [4.83, 45.75],
            [4.835, 45.75],
            [4.84, 45.75],
            [4.84, 45.76],
            [4.83, 45.76],
        ];
        assert_eq!(shape(&square_with_midpoint).positions().len(), 5);
    }

    #[test]
    fn too_many_points_are_refused_before_any_work() {
        let points = vec![[4.83, 45.75]; MAX_POINTS + 1];
        assert_eq!(
            Shape::new(&points),
            Err(ShapeError::TooManyPoints {
                count: MAX_POINTS + 1,
                max: MAX_POINTS
            })
        );
    }

    #[test]
    fn a_large_border_validates_quickly_and_correctly() {
        // 2,000 points on a circle of about 5 km around Lyon: the sweep must not report
        // neighbours as crossing, and must still find a crossing added at the end.
        let n = 2_000;
        let mut circle: Vec<Position> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                [4.8357 + 0.065 * t.cos(), 45.7640 + 0.045 * t.sin()]
            })
            .collect();
        let shape = shape(&circle);
        assert!(shape.contains(pt(4.8357, 45.7640)));
        // A detour to a point north of the circle cuts back through it.
        circle.push([4.8357, 45.8640]);
        assert!(matches!(
            Shape::new(&circle),
            Err(ShapeError::EdgesCross { .. })
        ));
    }

    #[test]
    fn shapes_near_the_antimeridian_are_accepted_but_may_not_cross_it() {
        // Taveuni, Fiji, east of the island up to the antimeridian.
        let taveuni = shape(&[
            [179.90, -16.85],
            [180.0, -16.85],
            [180.0, -16.75],
            [179.90, -16.75],
        ]);
        assert!(taveuni.contains(pt(179.95, -16.80)));
        assert!(taveuni.area_m2() > 1.0e8);
        let across = [
            [179.95, -16.85],
            [-179.95, -16.85],
            [-179.95, -16.75],
            [179.95, -16.75],
        ];
        let error = Shape::new(&across).unwrap_err();
        assert_eq!(error, ShapeError::CrossesAntimeridian { edge: 0 });
        assert_eq!(
            error.to_string(),
            "edge 0 spans more than 180° of longitude; shapes may not cross the antimeridian"
        );
    }

    #[test]
    fn southern_hemisphere_shapes_work_like_northern_ones() {
        // Sydney, around Circular Quay and the CBD.
        let sydney = shape(&[
            [151.2040, -33.8700],
            [151.2150, -33.8700],
            [151.2150, -33.8580],
            [151.2040, -33.8580],
        ]);
        assert!(sydney.contains(pt(151.2093, -33.8650)));
        assert!(
            !sydney.contains(pt(151.2070, -33.8731)),
            "Town Hall, further south"
        );
        // About 1.018 km by 1.331 km.
        let area = sydney.area_m2();
        assert!((1.30e6..1.41e6).contains(&area), "{area}");
        assert!(sydney.centroid().y() < 0.0);
    }

    #[test]
    fn area_of_a_paris_block_matches_the_ellipsoid() {
        // 0.01° square around the Louvre: 1,112.07 m of latitude by 733.89 m of longitude.
        let paris = shape(&[
            [2.33, 48.855],
            [2.34, 48.855],
            [2.34, 48.865],
            [2.33, 48.865],
        ]);
        let expected = 1_112.07 * 733.89;
        let area = paris.area_m2();
        assert!(
            (area - expected).abs() / expected < 0.002,
            "{area} vs {expected}"
        );
        assert!(paris.contains(pt(2.3376, 48.8606)), "the Louvre");
    }

    #[test]
    fn the_boundary_counts_as_inside() {
        let square = shape(&BELLECOUR);
        assert!(square.contains(pt(4.8300, 45.7565)), "a vertex");
        assert!(
            square.contains(pt(4.8320, 45.7565)),
            "the middle of an edge"
        );
        assert!(!square.contains(pt(4.8320, 45.7564)), "just south");
        assert_eq!(square.distance_m(pt(4.8320, 45.7565)), 0.0);
    }

    #[test]
    fn haversine_between_points_is_in_metres() {
        // One degree along a meridian: the mean radius (6 371 008.8 m) times pi / 180.
        let degree = haversine_m(pt(4.83, 45.0), pt(4.83, 46.0));
        assert!((degree - 111_195.08).abs() < 0.01, "{degree}");
        assert_eq!(haversine_m(pt(4.83, 45.75), pt(4.83, 45.75)), 0.0);
        // Bellecour to Part-Dieu, Lyon: about 2.2 km, either way.
        let (bellecour, part_dieu) = (pt(4.8320, 45.7578), pt(4.8590, 45.7606));
        let there = haversine_m(bellecour, part_dieu);
        assert!((2_000.0..2_300.0).contains(&there), "{there}");
        assert!((there - haversine_m(part_dieu, bellecour)).abs() < 1e-9);
    }

    #[test]
    fn distance_to_a_shape_is_in_metres() {
        let parking = shape(&PART_DIEU_PARKING);
        // 0.0001° of latitude south of the south edge is about 11.1 m.
        let distance = parking.distance_m(pt(4.85912, 45.76070));
        assert!((distance - 11.12).abs() < 0.1, "{distance}");
        assert_eq!(parking.distance_m(pt(4.85912, 45.76085)), 0.0);
    }

    #[test]
    fn centroid_and_bounding_box_frame_the_lyon_border() {
        let border = shape(&LYON);
        let bbox = border.bounding_box();
        assert_eq!(
            bbox,
            BoundingBox {
                west: 4.81,
                south: 45.745,
                east: 4.87,
                north: 45.785
            }
        );
        assert_eq!(bbox.to_array(), [4.81, 45.745, 4.87, 45.785]);
        let centroid = border.centroid();
        assert!(border.contains(centroid));
        assert!((4.83..4.85).contains(&centroid.x()), "{centroid:?}");
        assert!((45.76..45.77).contains(&centroid.y()), "{centroid:?}");
        assert_eq!(
            serde_json::to_value(bbox).unwrap(),
            json!({"west": 4.81, "south": 45.745, "east": 4.87, "north": 45.785})
        );
    }

    #[test]
    fn bounding_boxes_cover_several_shapes() {
        let shapes = [shape(&BELLECOUR), shape(&PART_DIEU_PARKING)];
        assert_eq!(
            BoundingBox::covering(&shapes),
            Some(BoundingBox {
                west: 4.83,
                south: 45.7565,
                east: 4.85925,
                north: 45.7609
            })
        );
        assert_eq!(BoundingBox::covering(&[]), None);
    }

    fn lyon_zones() -> Zones<i64> {
        Zones {
            border: Some(shape(&LYON)),
            speed_zones: vec![
                SpeedZoneArea {
                    id: 1,
                    shape: shape(&PRESQUILE),
                    max_speed: 20,
                },
                SpeedZoneArea {
                    id: 2,
                    shape: shape(&BELLECOUR),
                    max_speed: 10,
                },
            ],
            parkings: vec![ParkingArea {
                id: 7,
                shape: shape(&PART_DIEU_PARKING),
            }],
        }
    }

    #[test]
    fn the_lowest_speed_limit_applies_where_zones_overlap() {
        let zones = lyon_zones();
        let at = |lng, lat| zones.speed_zone_at(pt(lng, lat)).map(|zone| zone.id);
        assert_eq!(
            at(4.8320, 45.7578),
            Some(2),
            "Bellecour, inside the Presqu'île too"
        );
        assert_eq!(at(4.8355, 45.7640), Some(1), "Cordeliers, Presqu'île only");
        assert_eq!(at(4.8593, 45.7606), None, "Part-Dieu, no zone");
        // Order does not matter.
        let reversed: Vec<_> = zones.speed_zones.iter().rev().cloned().collect();
        assert_eq!(
            speed_zone_at(&reversed, pt(4.8320, 45.7578)).map(|z| z.id),
            Some(2)
        );
    }

    #[test]
    fn among_equal_speed_limits_the_smallest_zone_applies() {
        let zones = [
            SpeedZoneArea {
                id: "presqu'île",
                shape: shape(&PRESQUILE),
                max_speed: 10,
            },
            SpeedZoneArea {
                id: "bellecour",
                shape: shape(&BELLECOUR),
                max_speed: 10,
            },
        ];
        let found = speed_zone_at(&zones, pt(4.8320, 45.7578)).map(|zone| zone.id);
        assert_eq!(found, Some("bellecour"));
    }

    #[test]
    fn a_parking_is_found_inside_or_within_the_tolerance() {
        let zones = lyon_zones();
        let inside = zones.parking_at(pt(4.85912, 45.76085), 0.0).unwrap();
        assert_eq!((inside.parking.id, inside.distance_m), (7, 0.0));
        // About 8 m south of the parking.
        let near = pt(4.85912, 45.760_728);
        assert!(zones.parking_at(near, 5.0).is_none());
        let found = zones.parking_at(near, 15.0).unwrap();
        assert_eq!(found.parking.id, 7);
        assert!((found.distance_m - 8.0).abs() < 0.2, "{}", found.distance_m);
        // 50 m away, and a nonsensical tolerance, find nothing.
        assert!(zones.parking_at(pt(4.85912, 45.76035), 15.0).is_none());
        assert!(zones.parking_at(near, f64::NAN).is_none());
    }

    #[test]
    fn the_smallest_containing_parking_wins_then_the_nearest() {
        let big = [
            [4.85890, 45.76070],
            [4.85935, 45.76070],
            [4.85935, 45.76100],
            [4.85890, 45.76100],
        ];
        let east = [
            [4.85960, 45.76080],
            [4.85980, 45.76080],
            [4.85980, 45.76090],
            [4.85960, 45.76090],
        ];
        let parkings = [
            ParkingArea {
                id: 1,
                shape: shape(&big),
            },
            ParkingArea {
                id: 2,
                shape: shape(&PART_DIEU_PARKING),
            },
            ParkingArea {
                id: 3,
                shape: shape(&east),
            },
        ];
        let found = parking_at(&parkings, pt(4.85912, 45.76085), 30.0).unwrap();
        assert_eq!(found.parking.id, 2);
        // Between the big one (about 11.7 m west) and the east one (about 7.8 m east).
        let between = pt(4.85950, 45.76085);
        let found = parking_at(&parkings, between, 30.0).unwrap();
        assert_eq!(found.parking.id, 3);
        assert!(found.distance_m > 0.0);
    }

    #[test]
    fn the_border_check_covers_networks_with_and_without_a_border() {
        let mut zones = lyon_zones();
        assert!(zones.inside_border(pt(4.8320, 45.7578)));
        assert!(!zones.inside_border(pt(4.8800, 45.7700)));
        assert_eq!(zones.bounding_box(), Some(shape(&LYON).bounding_box()));
        zones.border = None;
        assert!(zones.inside_border(pt(4.8800, 45.7700)));
        let empty: Zones<i64> = Zones {
            border: None,
            speed_zones: vec![],
            parkings: vec![],
        };
        assert_eq!(empty.bounding_box(), None);
    }

    #[test]
    fn openapi_schemas_describe_the_wire_shapes() {
        use utoipa::PartialSchema;
        let polygon = serde_json::to_value(GeoJsonPolygon::schema()).unwrap();
        // The enum is inlined (under a oneOf carrying the field's description).
        let kind = polygon["properties"]["type"].to_string();
        assert!(kind.contains(r#""enum":["Polygon"]"#), "{kind}");
        assert!(
            polygon["required"]
                .as_array()
                .unwrap()
                .contains(&json!("coordinates"))
        );
        let input = serde_json::to_value(ShapeInput::schema()).unwrap();
        assert_eq!(input["type"], json!("array"));
        assert_eq!(input["minItems"], json!(3));
        assert_eq!(
            input["items"]["$ref"],
            json!("#/components/schemas/Position")
        );
        let position = serde_json::to_value(PositionSchema::schema()).unwrap();
        assert_eq!(
            (&position["minItems"], &position["maxItems"]),
            (&json!(2), &json!(2))
        );
        // Both types publish the Position schema they refer to.
        for schemas in [
            {
                let mut found = Vec::new();
                <ShapeInput as ToSchema>::schemas(&mut found);
                found
            },
            {
                let mut found = Vec::new();
                <GeoJsonPolygon as ToSchema>::schemas(&mut found);
                found
            },
        ] {
            assert!(schemas.iter().any(|(name, _)| name == "Position"));
        }
        // The documented examples are themselves valid.
        let example: Vec<Position> = serde_json::from_value(input["examples"][0].clone()).unwrap();
        shape(&example);
        let example: GeoJsonPolygon = serde_json::from_value(polygon["example"].clone()).unwrap();
        Shape::try_from(example).unwrap();
    }
}
