//! Seed group `AccessLogs`: the record of every Dashboard request.

use crate::access::read;
use crate::envelope::Paged;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ValidQuery;
use crate::pagination::{KeysetQuery, paged};
use crate::state::AppState;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_store::access_logs::AccessLogFilter;
use relais_store::entity::access_log;
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_access_logs))
}

/// Filters of the access log.
#[serde_as]
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessLogsFilter {
    /// The minimum date of access logs to show (RFC 3339).
    #[serde(default)]
    pub date_min: Option<DateTime<Utc>>,
    /// The maximum date of access logs to show (RFC 3339).
    #[serde(default)]
    pub date_max: Option<DateTime<Utc>>,
    /// The user id to show.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub user_id: Option<i64>,
    /// The path that was requested by the user (matches paths starting with it).
    #[serde(default)]
    #[validate(length(min = 1, max = 2048))]
    #[param(min_length = 1, max_length = 2048)]
    pub target_path: Option<String>,
    /// The request http method.
    #[serde(default)]
    #[validate(length(min = 1, max = 10))]
    #[param(min_length = 1, max_length = 10)]
    pub verb: Option<String>,
    /// The user agent used for the request (matches user agents containing it, without regard to case).
    #[serde(default)]
    #[validate(length(min = 1, max = 2048))]
    #[param(min_length = 1, max_length = 2048)]
    pub user_agent: Option<String>,
    /// The ip address used for the request.
    #[serde(default)]
    #[validate(length(min = 1, max = 128))]
    #[param(min_length = 1, max_length = 128)]
    pub ip: Option<String>,
    /// The minimum value of the http response status to show.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i32>)]
    pub http_code_min: Option<i32>,
    /// The maximum value of the http response status to show.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i32>)]
    pub http_code_max: Option<i32>,
    /// The minimum value of the response code to show.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub knot_code_min: Option<i32>,
    /// The maximum value of the response code to show.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub knot_code_max: Option<i32>,
}

/// One recorded Dashboard request.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLog {
    pub id: i64,
    /// The authenticated user, null when the request carried no valid token.
    pub user_id: Option<i64>,
    pub target_path: String,
    pub verb: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The HTTP status of the answer.
    pub http_code: i32,
    /// The envelope code of the answer (0 on success).
    pub knot_code: i32,
    pub duration_ms: i64,
    pub created_at: DateTime<Utc>,
}

impl From<access_log::Model> for AccessLog {
    fn from(m: access_log::Model) -> Self {
        AccessLog {
            id: m.id,
            user_id: m.user_id,
            target_path: m.target_path,
            verb: m.verb,
            user_agent: m.user_agent,
            ip: m.ip,
            http_code: m.http_code,
            knot_code: m.knot_code,
            duration_ms: m.duration_ms,
            created_at: m.created_at,
        }
    }
}

/// Get access logs
#[utoipa::path(get, path = "/dashboard/access-logs", tag = "AccessLogs",
    summary = "Get access logs",
    description = "Return dashboard access logs.\n\nNewest first unless `primary_key_dir=ASC`, 20 a page unless `page_size` says otherwise.",
    params(KeysetQuery, AccessLogsFilter),
    extensions(("x-permission" = json!(read(Permission::Developer).global()))),
    responses(
        (status = 200, description = "A page of access logs, newest first unless `primary_key_dir=ASC`", body = Paged<AccessLog>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or not global (-31)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn get_access_logs(
    State(state): State<AppState>,
    ValidQuery(page): ValidQuery<KeysetQuery>,
    ValidQuery(f): ValidQuery<AccessLogsFilter>,
) -> ApiResult<Paged<AccessLog>> {
    // The log is written in batches off the request path and read as written: the rows of
    // the last few milliseconds may not be there yet (see `crate::access_log`).
    let filter = AccessLogFilter {
        date_min: f.date_min,
        date_max: f.date_max,
        user_id: f.user_id,
        target_path: f.target_path,
        verb: f.verb,
        user_agent: f.user_agent,
        ip: f.ip,
        http_code_min: f.http_code_min,
        http_code_max: f.http_code_max,
        knot_code_min: f.knot_code_min,
        knot_code_max: f.knot_code_max,
    };
    let keyset = page.keyset();
    let page = relais_store::access_logs::list(&state.db, &filter, &keyset).await?;
    Ok(paged(&keyset, page, |row| row.id, AccessLog::from))
}
