//! A network's name is unique within its app label: two networks of one brand under the same
//! name cannot be told apart in the dashboard's lists and selector.
//!
//! Networks created before this rule may share a name: the later ones (by id) are renamed
//! `<name> (<id>)` first, so that the index can be made on any existing database.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
    AppLabelId,
    Name,
}

const INDEX: &str = "idx_networks_app_label_name";
/// The length of `networks.name`.
const NAME_LENGTH: usize = 200;

/// `name` with ` (<id>)` appended, cut to fit the column.
fn renamed(name: &str, id: i64) -> String {
    let suffix = format!(" ({id})");
    let room = NAME_LENGTH.saturating_sub(suffix.chars().count());
    let base: String = name.chars().take(room).collect();
    format!("{base}{suffix}")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let rows = manager
            .get_connection()
            .query_all(
                &Query::select()
                    .columns([Networks::Id, Networks::AppLabelId, Networks::Name])
                    .from(Networks::Table)
                    .order_by(Networks::Id, Order::Asc)
                    .to_owned(),
            )
            .await?;
        let mut taken = std::collections::HashSet::new();
        let mut duplicates = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            let label: i64 = row.try_get("", "app_label_id")?;
            let name: String = row.try_get("", "name")?;
            if !taken.insert((label, name.clone())) {
                duplicates.push((id, label, name));
            }
        }
        for (id, label, name) in duplicates {
            let mut name = renamed(&name, id);
            while taken.contains(&(label, name.clone())) {
                name = renamed(&name, id);
            }
            taken.insert((label, name.clone()));
            manager
                .execute(
                    Query::update()
                        .table(Networks::Table)
                        .value(Networks::Name, name)
                        .and_where(Expr::col(Networks::Id).eq(id))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Networks::Table)
                    .col(Networks::AppLabelId)
                    .col(Networks::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Networks::Table).to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Database};

    #[tokio::test]
    async fn existing_duplicates_are_renamed_before_the_index_is_made() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let manager = SchemaManager::new(&db);
        manager
            .create_table(
                Table::create()
                    .table(Networks::Table)
                    .col(ColumnDef::new(Networks::Id).big_integer().primary_key())
                    .col(
                        ColumnDef::new(Networks::AppLabelId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Networks::Name).string_len(200).not_null())
                    .to_owned(),
            )
            .await
            .unwrap();
        for (id, label, name) in [
            (1, 1, "Lyon (3)"),
            (2, 1, "Lyon"),
            (3, 1, "Lyon"),
            (4, 2, "Lyon"),
            (5, 1, "Lyon"),
        ] {
            manager
                .execute(
                    Query::insert()
                        .into_table(Networks::Table)
                        .columns([Networks::Id, Networks::AppLabelId, Networks::Name])
                        .values_panic([id.into(), label.into(), name.into()])
                        .to_owned(),
                )
                .await
                .unwrap();
        }
        Migration.up(&manager).await.unwrap();
        let names: Vec<String> = db
            .query_all(
                &Query::select()
                    .column(Networks::Name)
                    .from(Networks::Table)
                    .order_by(Networks::Id, Order::Asc)
                    .to_owned(),
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get("", "name").unwrap())
            .collect();
        // The first keeps its name; another label may use it; a renamed one avoids a taken name.
        assert_eq!(
            names,
            ["Lyon (3)", "Lyon", "Lyon (3) (3)", "Lyon", "Lyon (5)"]
        );
        // The index refuses a new duplicate.
        let again = manager
            .execute(
                Query::insert()
                    .into_table(Networks::Table)
                    .columns([Networks::Id, Networks::AppLabelId, Networks::Name])
                    .values_panic([6.into(), 1.into(), "Lyon".into()])
                    .to_owned(),
            )
            .await;
        assert!(again.is_err());
        Migration.down(&manager).await.unwrap();
    }

    #[test]
    fn a_renamed_duplicate_fits_the_column() {
        assert_eq!(renamed("Lyon", 7), "Lyon (7)");
        let long = "é".repeat(200);
        let name = renamed(&long, 12345);
        assert_eq!(name.chars().count(), 200);
        assert!(name.ends_with(" (12345)"));
    }
}
