//! The success envelope: `{"code": 0, "data": ...}`, or `{"code": 0}` when there is no data.

use crate::pagination::PageInfo;
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A success carrying data.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always 0 on success.
    #[schema(example = 0)]
    pub code: i32,
    pub data: T,
}

/// A success without data.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    /// Always 0 on success.
    #[schema(example = 0)]
    pub code: i32,
}

/// A page of a list: the rows in `data`, and in `page` how to ask for the next one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    /// Always 0 on success.
    #[schema(example = 0)]
    pub code: i32,
    pub data: Vec<T>,
    pub page: PageInfo,
}

/// Wrap `data` in a success envelope.
pub fn ok<T: Serialize>(data: T) -> Json<Envelope<T>> {
    Json(Envelope { code: 0, data })
}

/// A success without data.
pub fn done() -> Json<Done> {
    Json(Done { code: 0 })
}

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}
