//! Keyset pagination, the one way every list of the Dashboard API is paged.
//!
//! A page is asked for with a page size, the primary key of the last row already seen and the
//! direction of the primary key; optionally a sort column. With a sort column the position is
//! (sort value, primary key) of the last row: its sort value is read back by primary key in a
//! sub-query, so the client only ever carries one key and a page never skips nor repeats a row
//! even when many rows share a sort value.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, Iterable, Order, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

/// Direction of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDir {
    #[default]
    Asc,
    Desc,
}

impl SortDir {
    fn order(self) -> Order {
        match self {
            SortDir::Asc => Order::Asc,
            SortDir::Desc => Order::Desc,
        }
    }
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset {
    pub page_size: u64,
    pub last_primary_key: Option<i64>,
    pub primary_key_dir: SortDir,
}

/// One page of rows, and whether more follow.
#[derive(Debug, Clone)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> PageOf<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> PageOf<U> {
        PageOf {
            items: self.items.into_iter().map(f).collect(),
            has_more: self.has_more,
        }
    }
}

impl Keyset {
    /// Fetch the page of `select` ordered by its primary key `pk`, then by `sort` if given.
    pub async fn fetch<E, C>(
        &self,
        db: &DatabaseConnection,
        select: Select<E>,
        pk: C,
        sort: Option<(C, SortDir)>,
    ) -> Result<PageOf<E::Model>, sea_orm::DbErr>
    where
        E: EntityTrait,
        C: ColumnTrait + Iterable,
    {
        let mut select = select;
        let after_pk = |dir: SortDir, last: i64| match dir {
            SortDir::Asc => pk.gt(last),
            SortDir::Desc => pk.lt(last),
        };
        if let Some(last) = self.last_primary_key {
            select = match sort {
                None => select.filter(after_pk(self.primary_key_dir, last)),
                Some((column, dir)) => {
                    // The cursor's sort value is read under the list's own filters (scope
                    // included): a cursor row the list cannot show behaves as an unknown id.
                    let filtered = select.clone();
                    let last_value = || {
                        Expr::SubQuery(
                            None,
                            Box::new(
                                filtered
                                    .clone()
                                    .select_only()
                                    .column(column)
                                    .filter(pk.eq(last))
                                    .into_query()
                                    .into(),
                            ),
                        )
                    };
                    let sorted = || Expr::col((E::default(), column));
                    let from = match dir {
                        SortDir::Asc => sorted().gte(last_value()),
                        SortDir::Desc => sorted().lte(last_value()),
                    };
                    // `from` says nothing the position below does not, but it is what an index
                    // range can start at: without it the planners read the sort's index from
                    // its first entry and filter, and a page deep in a big list cost its
                    // position (0.8 s half-way through a million users).
                    let select = select.filter(from);
                    if dir == self.primary_key_dir {
                        // Both keys one way: a row comparison, which PostgreSQL reads as one
                        // index range even inside a run of equal sort values.
                        let row = Expr::tuple([sorted(), Expr::col((E::default(), pk))]);
                        let at = Expr::tuple([last_value(), Expr::val(last)]);
                        select.filter(match dir {
                            SortDir::Asc => row.gt(at),
                            SortDir::Desc => row.lt(at),
                        })
                    } else {
                        let beyond = match dir {
                            SortDir::Asc => sorted().gt(last_value()),
                            SortDir::Desc => sorted().lt(last_value()),
                        };
                        select.filter(
                            Condition::any().add(beyond).add(
                                Condition::all()
                                    .add(sorted().eq(last_value()))
                                    .add(after_pk(self.primary_key_dir, last)),
                            ),
                        )
                    }
                }
            };
        }
        if let Some((column, dir)) = sort {
            select = select.order_by(column, dir.order());
        }
        let mut items = select
            .order_by(pk, self.primary_key_dir.order())
            .limit(self.page_size + 1)
            .all(db)
            .await?;
        let has_more = items.len() as u64 > self.page_size;
        items.truncate(self.page_size as usize);
        Ok(PageOf { items, has_more })
    }
}
