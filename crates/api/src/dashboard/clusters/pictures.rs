//! Pictures of a cluster: uploaded as `multipart/form-data`, kept in the object storage under
//! `clusterpictures/<uuid>.<ext>`, served back by [`get_cluster_picture`].

use super::{ClusterPath, get_cluster};
use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidPath, ValidQuery};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use object_store::path::Path as ObjectPath;
use relais_domain::{Object, Permission};
use relais_store::entity::cluster_picture;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

/// Largest picture accepted.
pub const MAX_PICTURE_BYTES: usize = 5 * 1024 * 1024;

/// The multipart field that carries the picture.
const FIELD: &str = "cluster_picture";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_cluster_picture, delete_cluster_picture))
        // A picture may be larger than the default body limit: leave room for the multipart
        // framing; the picture itself is held to MAX_PICTURE_BYTES while it is read.
        .layer(DefaultBodyLimit::max(MAX_PICTURE_BYTES + 64 * 1024))
        .routes(routes!(get_cluster_picture))
}

/// A picture of a cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterPicture {
    pub id: i64,
    /// Storage key, as "Delete cluster picture" takes it (`clusterpictures/<uuid>.jpg`).
    pub key: String,
    /// Where to get the picture (relative to the API's root; needs `stations`).
    pub url: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

impl From<cluster_picture::Model> for ClusterPicture {
    fn from(m: cluster_picture::Model) -> Self {
        ClusterPicture {
            url: format!("/dashboard/clusters/{}/pictures/{}", m.cluster_id, m.id),
            id: m.id,
            key: m.key,
            content_type: m.content_type,
            size: m.size,
            created_at: m.created_at,
        }
    }
}

/// The picture upload, as `multipart/form-data`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PictureUpload {
    /// The picture file data: JPEG, PNG or WebP, at most 5 MiB.
    #[schema(value_type = String, format = Binary)]
    pub cluster_picture: Vec<u8>,
}

/// The picture to delete.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PictureQuery {
    /// Key of the picture that we want to delete, e.g.
    /// `clusterpictures/96361409-5115-e583-9c6f-2ee87903ce76.jpg`.
    #[validate(length(min = 1, max = 255))]
    #[param(
        min_length = 1,
        max_length = 255,
        example = "clusterpictures/96361409-5115-e583-9c6f-2ee87903ce76.jpg"
    )]
    pub picture: String,
}

/// A picture named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PicturePath {
    /// Identifier of the cluster.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
    /// Identifier of the picture.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub picture_id: i64,
}

/// The kind of image in `bytes`, by its magic bytes: (content type, extension).
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else {
        None
    }
}

fn malformed(field: &str, problem: impl Into<String>) -> ApiError {
    ApiError::new(
        ErrorCode::Malformed,
        "the request does not have the expected shape",
    )
    .with_field(field, problem)
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> ApiError {
    if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::new(
            ErrorCode::Malformed,
            format!("invalid multipart body: {}", err.body_text()),
        )
    }
}

fn too_large() -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, "the picture is too large")
        .with_field(FIELD, "must be at most 5 MiB")
}

/// Read the picture part of the upload: its bytes and declared type.
async fn read_picture(mut multipart: Multipart) -> ApiResult<(Vec<u8>, Option<String>)> {
    let mut picture = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != FIELD {
            return Err(malformed(
                if name.is_empty() { "body" } else { &name },
                "is not a known field",
            ));
        }
        if picture.is_some() {
            return Err(malformed(FIELD, "is given more than once"));
        }
        let declared = field.content_type().map(|t| t.to_ascii_lowercase());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > MAX_PICTURE_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        picture = Some((bytes, declared));
    }
    picture.ok_or_else(|| malformed(FIELD, "is required"))
}

/// Add cluster picture
#[utoipa::path(post, path = "/dashboard/clusters/{id}/pictures", tag = "Clusters",
    summary = "Add cluster picture",
    description = "Upload a picture to the specified cluster.\n\n`multipart/form-data` with one file part `cluster_picture`: a JPEG, PNG or WebP image (recognized by its content, whatever type it declares; a declared type must agree), at most 5 MiB (-13/413 beyond). It is stored under `clusterpictures/<uuid>.<ext>`; the answer gives its `key` and the `url` that serves it. Needs `stations.advanced` with write over the cluster (-31 otherwise); a closed network refuses it (-41).",
    params(ClusterPath),
    request_body(content = PictureUpload, content_type = "multipart/form-data", description = "The picture to upload & some info on the cluster."),
    extensions(("x-permission" = json!(write(Permission::StationsAdvanced).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "The picture, stored", body = Envelope<ClusterPicture>),
        (status = 400, description = "Malformed body, missing or repeated `cluster_picture` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 413, description = "The picture is larger than 5 MiB (-13)", body = ErrorBody),
        (status = 415, description = "Not `multipart/form-data` (-12)", body = ErrorBody),
        (status = 422, description = "Not a JPEG, PNG or WebP image (-11)", body = ErrorBody)))]
pub async fn add_cluster_picture(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ClusterPath>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<Envelope<ClusterPicture>>> {
    let cluster = get_cluster(&state, path.id).await?;
    relais_store::networks::open(&state.db, cluster.network_id).await?;
    let multipart = multipart.map_err(|_| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "expected a body of type multipart/form-data",
        )
    })?;
    let (bytes, declared) = read_picture(multipart).await?;
    let Some((content_type, extension)) = sniff(&bytes) else {
        return Err(ApiError::field(FIELD, "must be a JPEG, PNG or WebP image"));
    };
    if let Some(declared) = declared
        && declared != content_type
        && !(declared == "image/jpg" && content_type == "image/jpeg")
        && declared != "application/octet-stream"
    {
        return Err(ApiError::field(
            FIELD,
            format!("is declared {declared} but its content is {content_type}"),
        ));
    }
    let key = format!("clusterpictures/{}.{extension}", uuid::Uuid::new_v4());
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    state
        .storage
        .put(&ObjectPath::from(key.as_str()), bytes.into())
        .await
        .map_err(ApiError::internal)?;
    let row =
        match relais_store::clusters::add_picture(&state.db, cluster.id, &key, content_type, size)
            .await
        {
            Ok(row) => row,
            Err(err) => {
                // Leave no orphan object behind.
                let _ = state.storage.delete(&ObjectPath::from(key.as_str())).await;
                return Err(err.into());
            }
        };
    tracing::info!(
        cluster_id = cluster.id,
        picture_id = row.id,
        user_id = auth.user_id(),
        "cluster picture added"
    );
    Ok(ok(ClusterPicture::from(row)))
}

/// Delete cluster picture
#[utoipa::path(delete, path = "/dashboard/clusters/{id}/pictures", tag = "Clusters",
    summary = "Delete cluster picture",
    description = "Delete a cluster picture.\n\n`picture` is the picture's `key` (as \"Get cluster details\" gives it); 404 naming `picture` when it is not a picture of this cluster. The row and the stored object are removed. Needs `stations.advanced` with write over the cluster (-31 otherwise); a closed network refuses it (-41).",
    params(ClusterPath, PictureQuery),
    extensions(("x-permission" = json!(write(Permission::StationsAdvanced).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 400, description = "Missing or malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster or picture (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Empty `picture` (-11)", body = ErrorBody)))]
pub async fn delete_cluster_picture(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidQuery(query): ValidQuery<PictureQuery>,
) -> ApiResult<Json<Done>> {
    let cluster = get_cluster(&state, path.id).await?;
    let row = relais_store::clusters::delete_picture(&state.db, cluster.id, &query.picture).await?;
    match state
        .storage
        .delete(&ObjectPath::from(row.key.as_str()))
        .await
    {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(err) => {
            // The row is gone: the picture is no longer shown; the object is only garbage.
            tracing::error!(error = %err, key = %row.key, "could not delete a cluster picture");
        }
    }
    tracing::info!(
        cluster_id = cluster.id,
        picture_id = row.id,
        user_id = auth.user_id(),
        "cluster picture deleted"
    );
    Ok(done())
}

/// Get a cluster picture
#[utoipa::path(get, path = "/dashboard/clusters/{id}/pictures/{picture_id}", tag = "Clusters",
    summary = "Get cluster picture",
    description = "The picture itself, with its content type: the `url` of each picture in \"Get cluster details\". Needs `stations` over the cluster (-31 otherwise). Beyond the seed.",
    params(PicturePath),
    extensions(("x-permission" = json!(read(Permission::Stations).object_in_path("id", Object::Cluster))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The picture", content_type = "image/*", body = Vec<u8>),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster or picture (-2)", body = ErrorBody)))]
pub async fn get_cluster_picture(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<PicturePath>,
) -> ApiResult<Response> {
    let cluster = get_cluster(&state, path.id).await?;
    let row = relais_store::clusters::picture(&state.db, cluster.id, path.picture_id).await?;
    let object = match state.storage.get(&ObjectPath::from(row.key.as_str())).await {
        Ok(object) => object,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(ApiError::not_found("cluster picture"));
        }
        Err(err) => return Err(ApiError::internal(err)),
    };
    let size = object.meta.size;
    Ok((
        [
            (CONTENT_TYPE, row.content_type),
            (CONTENT_LENGTH, size.to_string()),
            (CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        Body::from_stream(object.into_stream()),
    )
        .into_response())
}
