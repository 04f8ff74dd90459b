//! Seed group `Invoices`: the invoices and credit notes relais issued (docs/design/ride.md
//! §1.4).
//!
//! | seed operation | route | permission |
//! |---|---|---|
//! | Get invoices | `GET /dashboard/invoices?page=` | `transactions`, the networks (and rider) asked for reached whole |
//! | Download invoices | `GET /dashboard/invoices/{ref}/pdf` | `transactions`, the invoice's network reached whole |
//!
//! Decisions: relais is self-hosted, so "the invoices linked to the user" are those it
//! issued to riders within the caller's scope, newest first; `networks` and `user_id` narrow
//! them (extensions). Pages are numbered as the seed asks, 20 a page, at most 500 pages deep
//! (narrow with `user_id` or `networks` beyond). Invoices are numbered without gaps per
//! billing identity (the network's app label); a reference is `<prefix>-<number:09>`.

use crate::access::{Authorized, read};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{CommaSeparated, ValidPath, ValidQuery, unique_id_list};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use object_store::path::Path as ObjectPath;
use relais_domain::money;
use relais_domain::{Object, Permission};
use relais_store::invoices::Issued;

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

/// Invoices a page.
const PAGE_SIZE: u64 = 20;
/// The deepest page (an offset is read through).
const MAX_PAGE: u64 = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_invoices))
        .routes(routes!(download_invoices))
}

/// An invoice or credit note.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceItem {
    #[serde(rename = "ref")]
    #[schema(example = "LYON-000000012")]
    pub reference: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub number: i64,
    pub issued_at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub network_id: i64,
    pub transaction_id: Option<i64>,
    pub refund_id: Option<i64>,
    /// The invoice a credit note corrects.
    pub corrects: Option<String>,
    pub currency: String,
    #[schema(value_type = String, example = "3.50")]
    pub amount_w_vat: String,
    #[schema(value_type = String, example = "2.92")]
    pub amount: String,
    #[schema(value_type = String, example = "0.58")]
    pub vat_amount: String,
    /// Where to download it.
    #[schema(example = "/dashboard/invoices/LYON-000000012/pdf")]
    pub pdf: String,
}

impl From<Issued> for InvoiceItem {
    fn from(i: Issued) -> Self {
        let row = i.invoice;
        InvoiceItem {
            pdf: format!("/dashboard/invoices/{}/pdf", i.reference),
            reference: i.reference,
            kind: row.kind,
            number: row.number,
            issued_at: row.issued_at,
            user_id: row.user_id,
            email: i.email,
            network_id: row.network_id,
            transaction_id: row.transaction_id,
            refund_id: row.refund_id,
            corrects: i.corrects,
            currency: row.currency,
            amount_w_vat: money::from_stored(row.amount_w_vat).to_string(),
            amount: money::from_stored(row.amount).to_string(),
            vat_amount: money::from_stored(row.vat_amount).to_string(),
        }
    }
}

/// Which page, of what.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoicesQuery {
    /// The page number of the invoices, from 1; at most 500.
    #[serde_as(as = "DisplayFromStr")]
    #[validate(range(min = 1, max = 500))]
    #[param(minimum = 1, maximum = 500, value_type = i64)]
    pub page: u64,
    /// The networks whose invoices to list (an extension), comma-separated; absent: every
    /// network reached as a whole.
    #[serde(default)]
    #[param(value_type = Option<Vec<i64>>, style = Form, explode = false, example = "1,5")]
    #[validate(custom(function = "unique_id_list"))]
    pub networks: Option<CommaSeparated<i64>>,
    /// The rider whose invoices to list (an extension).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub user_id: Option<i64>,
}

/// A numbered page of invoices.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoicePage {
    #[schema(example = 0)]
    pub code: i32,
    pub data: Vec<InvoiceItem>,
    pub page: NumberedPage,
}

/// Where a numbered page stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct NumberedPage {
    pub page: u64,
    pub page_size: u64,
    pub has_more: bool,
}

/// Get invoices
#[utoipa::path(get, path = "/dashboard/invoices", tag = "Invoices",
    summary = "Get invoices",
    description = "Get the list of invoices linked to the user.\n\nThe invoices and credit notes relais issued, newest first, 20 a page, within the caller's `transactions` scope (networks reached as a whole); `networks` and `user_id` (extensions) narrow them. Pages are numbered from 1, at most 500 deep.",
    params(InvoicesQuery),
    extensions(("x-permission" = json!(read(Permission::Transactions).whole_networks_in_query("networks").object_in_query("user_id", Object::User)))),
    responses(
        (status = 200, description = "A page of invoices", body = InvoicePage),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or out of scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network or user (-2)", body = ErrorBody),
        (status = 422, description = "Invalid page (-11)", body = ErrorBody)))]
pub async fn get_invoices(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(q): ValidQuery<InvoicesQuery>,
) -> ApiResult<Json<InvoicePage>> {
    if q.page > MAX_PAGE {
        return Err(ApiError::field("page", "narrow with user_id or networks"));
    }
    let networks: Vec<i64> = match q.networks {
        Some(asked) => asked.0,
        None => match auth.scope.whole_networks() {
            Some(reached) => reached.into_iter().collect(),
            None => relais_store::networks::all_ids(&state.db).await?,
        },
    };
    let (rows, has_more) =
        relais_store::invoices::list(&state.db, &networks, q.user_id, q.page, PAGE_SIZE).await?;
    Ok(Json(InvoicePage {
        code: 0,
        data: rows.into_iter().map(InvoiceItem::from).collect(),
        page: NumberedPage {
            page: q.page,
            page_size: PAGE_SIZE,
            has_more,
        },
    }))
}

/// The invoice named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InvoicePath {
    /// The invoice's reference.
    #[serde(rename = "ref")]
    #[validate(length(min = 1, max = 64))]
    #[param(
        rename = "ref",
        min_length = 1,
        max_length = 64,
        example = "LYON-000000012"
    )]
    pub reference: String,
}

/// The stored PDF of the invoice `reference`, as a download.
pub async fn pdf_of(state: &AppState, reference: &str) -> ApiResult<Response> {
    let issued = relais_store::invoices::by_reference(&state.db, reference)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice").with_field("ref", "no such invoice"))?;
    let Some(key) = issued.invoice.pdf_key.clone() else {
        return Err(ApiError::new(
            crate::error::ErrorCode::Refused,
            "the invoice is being rendered: retry in a moment",
        ));
    };
    let object = state
        .storage
        .get(&ObjectPath::from(key.as_str()))
        .await
        .map_err(ApiError::internal)?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.pdf\"", issued.reference),
            ),
        ],
        Body::from_stream(object.into_stream()),
    )
        .into_response())
}

/// Download invoices
#[utoipa::path(get, path = "/dashboard/invoices/{ref}/pdf", tag = "Invoices",
    summary = "Download invoices",
    description = "Download an invoice in PDF format.\n\nThe document as issued (the issuer's legal mentions as they stood then), as an attachment named after its reference. 409 (-41) for a moment after it is issued, while it is rendered. Needs `transactions` over the invoice's network as a whole.",
    params(InvoicePath),
    extensions(("x-permission" = json!(read(Permission::Transactions).object_in_path("ref", Object::Invoice)))),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or out of scope (-31)", body = ErrorBody),
        (status = 404, description = "No such invoice (-2)", body = ErrorBody),
        (status = 409, description = "Being rendered (-41)", body = ErrorBody)))]
pub async fn download_invoices(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidPath(path): ValidPath<InvoicePath>,
) -> ApiResult<Response> {
    pdf_of(&state, &path.reference).await
}
