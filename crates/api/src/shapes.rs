//! Shapes in requests: reading the seed's lists of `[longitude, latitude]` points and turning
//! them into validated shapes, with errors naming the point at fault. Shared by every group
//! that takes a shape (geofencing, cluster parkings, stocks).

use crate::error::{ApiError, ApiResult};
use relais_domain::geometry::{Shape, ShapeError, ShapeInput};
use serde::{Deserialize, Deserializer};

/// A shape as the seed sends it, read so that a point of the wrong length is refused naming
/// its path (`shape[2]`): `[f64; 2]` alone reads two numbers and leaves serde_json to report the
/// third as a syntax error without a field. Use with `#[serde(deserialize_with = "points")]`.
pub fn points<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ShapeInput, D::Error> {
    Ok(ShapeInput(
        Vec::<Point>::deserialize(deserializer)?
            .into_iter()
            .map(|point| point.0)
            .collect(),
    ))
}

/// [`points`] for an optional shape (absent or `null`: no change).
pub fn optional_points<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ShapeInput>, D::Error> {
    Ok(Option::<Vec<Point>>::deserialize(deserializer)?
        .map(|list| ShapeInput(list.into_iter().map(|point| point.0).collect())))
}

/// Validate a shape sent as `field`, naming the point at fault (`field[i]`) when one is.
pub fn shape_of(field: &str, input: &ShapeInput) -> ApiResult<Shape> {
    input.to_shape().map_err(|err: ShapeError| {
        let name = match err.point_index() {
            Some(index) => format!("{field}[{index}]"),
            None => field.to_owned(),
        };
        ApiError::field(name, err.to_string())
    })
}

/// Exactly two numbers, `[longitude, latitude]`.
struct Point([f64; 2]);

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Point;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a point [longitude, latitude] of exactly two numbers")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Point, A::Error> {
                use serde::de::Error;
                let lng = seq
                    .next_element::<f64>()?
                    .ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let lat = seq
                    .next_element::<f64>()?
                    .ok_or_else(|| A::Error::invalid_length(1, &self))?;
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(3, &self));
                }
                Ok(Point([lng, lat]))
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}
