//! The `jobs` table: a durable timer or piece of deferred work about one subject (a trip, a
//! debt, a transaction), run by one worker at a time.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What to do (`unlock_timeout`, `settle_trip`, ...): the worker's handler of that name.
    pub kind: String,
    /// The row it is about; one job of a kind per subject.
    pub subject_id: i64,
    pub payload: Option<String>,
    /// When it falls due.
    pub run_at: DateTimeUtc,
    /// Claims so far, counting the one in progress.
    pub attempts: i32,
    pub max_attempts: i32,
    /// Until when the worker that claimed it holds it; past it, another may take it over.
    pub locked_until: Option<DateTimeUtc>,
    /// The claim's token: completion deletes the row only while it still holds this one.
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
