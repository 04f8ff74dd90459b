//! Networks: access rules, sponsorship, rent settings and timings, free-float reward, out of order (being written).

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
