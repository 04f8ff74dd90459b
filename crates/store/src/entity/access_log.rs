//! The `access_logs` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub target_path: String,
    pub verb: String,
    pub user_agent: Option<String>,
    /// The agent's row in `user_agents`, which the user-agent filter searches.
    pub user_agent_id: Option<i64>,
    pub ip: Option<String>,
    pub http_code: i32,
    pub knot_code: i32,
    pub duration_ms: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
