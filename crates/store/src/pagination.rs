//! Keyset pagination, the one way every list of the Dashboard API is paged.
//!
//! A page is asked for with a page size, the primary key of the last row already seen and the
//! direction of the primary key; optionally a sort column. With a sort column the position is
//! (sort value, primary key) of the last row: its sort value is read back by primary key in a
//! sub-query, so the client only ever carries one key and a page never skips nor repeats a row
//! even when many rows share a sort value.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Iterable,
    Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, TransactionTrait,
};

/// Direction of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDir {
    #[default]
    Asc,
    Desc,
}

impl SortDir {
    fn reversed(self) -> SortDir {
        match self {
            SortDir::Asc => SortDir::Desc,
            SortDir::Desc => SortDir::Asc,
        }
    }

    pub(crate) fn order(self) -> Order {
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
    /// The page of `items` read with one row more than `page_size`: that row, when there, says
    /// that more follow.
    pub fn from_fetched(mut items: Vec<T>, page_size: u64) -> Self {
        let has_more = items.len() as u64 > page_size;
        items.truncate(page_size as usize);
        PageOf { items, has_more }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> PageOf<U> {
        PageOf {
            items: self.items.into_iter().map(f).collect(),
            has_more: self.has_more,
        }
    }
}

/// A narrowed page first looks through so many pages' worth of the next rows of the list's
/// order, and at most through `WINDOW_MAX_PAGES` of them (see [`Keyset::fetch_narrowed`]).
const WINDOW_PAGES: u64 = 20;
const WINDOW_MAX_PAGES: u64 = 150;

/// The most candidates of a narrowing filter read in one go, so many pages' worth at first.
const CANDIDATE_PAGES: u64 = 3;
const CANDIDATES_MAX: u64 = 16_000;

/// The rows beyond a position of the order, by its sort value and primary key (`inclusive`:
/// the position's own row too).
fn beyond<E, C>(
    pk: C,
    pk_dir: SortDir,
    sort: Option<(C, SortDir)>,
    value: &dyn Fn() -> Expr,
    key: &dyn Fn() -> Expr,
    inclusive: bool,
) -> Condition
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let past = |e: Expr, dir: SortDir, at: Expr, strict: bool| match (dir, strict) {
        (SortDir::Asc, true) => e.gt(at),
        (SortDir::Asc, false) => e.gte(at),
        (SortDir::Desc, true) => e.lt(at),
        (SortDir::Desc, false) => e.lte(at),
    };
    let keyed = || Expr::col((E::default(), pk));
    let Some((column, dir)) = sort else {
        return Condition::all().add(past(keyed(), pk_dir, key(), !inclusive));
    };
    let sorted = || Expr::col((E::default(), column));
    // The bound on the sort value alone says nothing the position below does not, but it is
    // what an index range can start at: without it the planners read the sort's index from its
    // first entry and filter, and a page deep in a big list cost its position (0.8 s half-way
    // through a million users).
    let from = Condition::all().add(past(sorted(), dir, value(), false));
    if dir == pk_dir {
        // Both keys one way: a row comparison, which PostgreSQL reads as one index range even
        // inside a run of equal sort values.
        from.add(past(
            Expr::tuple([sorted(), keyed()]),
            dir,
            Expr::tuple([value(), key()]),
            !inclusive,
        ))
    } else {
        from.add(
            Condition::any()
                .add(past(sorted(), dir, value(), true))
                .add(Condition::all().add(sorted().eq(value())).add(past(
                    keyed(),
                    pk_dir,
                    key(),
                    !inclusive,
                ))),
        )
    }
}

/// The rows of `select` read along its order's index. PostgreSQL prices a text index's bitmap
/// far below its cost when the text is common (6.5 ms for the 40,000 of a million addresses
/// that hold `martin`, priced below reading a window of 2,020 rows), and ANDs it with the
/// window's range:
/// within the window the bitmaps are turned off, which leaves the order's index, read in
/// order and stopped at the page. SQLite has no bitmaps.
async fn along_the_order<E: EntityTrait>(
    db: &DatabaseConnection,
    select: Select<E>,
) -> Result<Vec<E::Model>, sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return select.all(db).await;
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "a read on PostgreSQL: BEGIN IMMEDIATE is SQLite's"
    )]
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL enable_bitmapscan = off")
        .await?;
    let items = select.all(&txn).await?;
    txn.commit().await?;
    Ok(items)
}

/// Place each bound of a list's filter: a bound on the sorted column joins `base` (the order's
/// index serves it), one on another column narrows the list (see [`Keyset::fetch_narrowed`]).
pub(crate) fn place_bounds<C: sea_orm::IdenStatic>(
    sorted: C,
    bounds: impl IntoIterator<Item = (C, Option<sea_orm::sea_query::SimpleExpr>)>,
    mut base: Condition,
    narrowing: &mut Vec<Condition>,
) -> Condition {
    for (column, bound) in bounds {
        let Some(bound) = bound else { continue };
        if column.as_str() == sorted.as_str() {
            base = base.add(bound);
        } else {
            narrowing.push(Condition::all().add(bound));
        }
    }
    base
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
        self.fetch_narrowed(db, select, None, pk, sort).await
    }

    /// Fetch the page of `select` under `narrowing` too: filters that an index of their own
    /// serves, but not in the list's order (a range of a counter, a part of a text).
    ///
    /// The planners cannot know where in the list's order such a filter's rows lie. Reading the
    /// order's index and filtering is right when they are spread along it, and reads the whole
    /// table when they are bunched at its far end (the riders with many trips are the oldest:
    /// 0.69 s for a first page of a million riders by id); reading the filter's index and
    /// sorting is right when they are few, and costs every one of them when they are many. So
    /// the page is read in steps whose costs are bounded:
    /// 1. among a window of the next rows of the table in the list's order ([`WINDOW_PAGES`]
    ///    pages' worth, found by an index-only read), which fills the page when the filter's
    ///    rows are common there;
    /// 2. if it found some but not enough, among a window as long as their density says the
    ///    page needs, up to [`WINDOW_MAX_PAGES`];
    /// 3. otherwise through the filter's own index, with the order kept off the indexes
    ///    (`COALESCE(column, column)`): the filter's next candidates, ids only, then the page
    ///    among them under the list's other filters (which a membership makes costly per row:
    ///    they are checked for a batch of candidates at a time, not for every match), until
    ///    the page is full or the candidates run out.
    pub async fn fetch_narrowed<E, C>(
        &self,
        db: &DatabaseConnection,
        select: Select<E>,
        narrowing: Option<Condition>,
        pk: C,
        sort: Option<(C, SortDir)>,
    ) -> Result<PageOf<E::Model>, sea_orm::DbErr>
    where
        E: EntityTrait,
        C: ColumnTrait + Iterable,
    {
        // The list's other filters: what the narrowing filter's candidates are read under.
        let base = select.clone();
        let select = match &narrowing {
            Some(narrowing) => select.filter(narrowing.clone()),
            None => select,
        };
        // Rows after the row `key`, whose sort value `value` reads.
        let after = |value: &dyn Fn() -> Expr, key: &dyn Fn() -> Expr| {
            beyond::<E, C>(pk, self.primary_key_dir, sort, value, key, false)
        };
        // The sort value of the row `last` among `rows`.
        let value_of = |rows: &Select<E>, last: i64| match sort {
            Some((column, _)) => Expr::SubQuery(
                None,
                Box::new(
                    rows.clone()
                        .select_only()
                        .column(column)
                        .filter(pk.eq(last))
                        .into_query()
                        .into(),
                ),
            ),
            None => Expr::val(last),
        };
        // The cursor's sort value is read under the list's own filters (scope included): a
        // cursor row the list cannot show behaves as an unknown id.
        let position = self
            .last_primary_key
            .map(|last| after(&|| value_of(&select, last), &|| Expr::val(last)));
        let select = match &position {
            Some(position) => select.filter(position.clone()),
            None => select,
        };
        let need = self.page_size + 1;
        let ordered = |select: Select<E>, off_index: bool| {
            let by = |column: C| {
                let column = Expr::col((E::default(), column));
                if off_index {
                    Func::coalesce([column.clone(), column]).into()
                } else {
                    column
                }
            };
            let select = match sort {
                Some((column, dir)) => select.order_by(by(column), dir.order()),
                None => select,
            };
            select
                .order_by(by(pk), self.primary_key_dir.order())
                .limit(need)
        };
        let page = |items: Vec<E::Model>| PageOf::from_fetched(items, self.page_size);
        let Some(narrowing) = narrowing else {
            return Ok(page(ordered(select, false).all(db).await?));
        };

        // 1 and 2: the window ends at the `window`-th next row of the whole table in the
        // list's order, read first, so that the planners see how narrow the window is (behind a
        // sub-query, PostgreSQL guesses a third of the table and reads the filter's index).
        let unfiltered = E::find();
        // The primary keys of the whole table after the cursor.
        let keys = || {
            let keys = E::find().select_only().column(pk);
            match &position {
                Some(position) => keys.filter(position.clone()),
                None => keys,
            }
        };
        let mut window = WINDOW_PAGES.saturating_mul(need);
        loop {
            let end: Option<i64> = ordered(keys(), false)
                .offset(window - 1)
                .limit(1)
                .into_tuple()
                .one(db)
                .await?;
            let Some(end) = end else {
                // The table ends within the window: so does the list.
                return Ok(page(ordered(select, false).all(db).await?));
            };
            let within = beyond::<E, C>(
                pk,
                self.primary_key_dir.reversed(),
                sort.map(|(column, dir)| (column, dir.reversed())),
                &|| value_of(&unfiltered, end),
                &|| Expr::val(end),
                true,
            );
            let items = along_the_order(db, ordered(select.clone().filter(within), false)).await?;
            let found = items.len() as u64;
            if found >= need {
                return Ok(page(items));
            }
            // As many rows as the density seen says the page needs, and a quarter more.
            let wanted = (window.saturating_mul(need) / Ord::max(found, 1)).saturating_mul(5) / 4;
            if found == 0 || wanted > WINDOW_MAX_PAGES * need {
                break;
            }
            window = wanted;
        }

        // 3: the filter's candidates, in the list's order, in growing batches.
        let mut items = Vec::new();
        let mut batch = Ord::min(CANDIDATE_PAGES.saturating_mul(need), CANDIDATES_MAX);
        let mut last_candidate: Option<i64> = None;
        loop {
            let mut candidates = keys().filter(narrowing.clone());
            if let Some(last) = last_candidate {
                candidates =
                    candidates.filter(after(&|| value_of(&unfiltered, last), &|| Expr::val(last)));
            }
            let candidates: Vec<i64> = ordered(candidates, true)
                .limit(batch)
                .into_tuple()
                .all(db)
                .await?;
            let (Some(&last), count) = (candidates.last(), candidates.len() as u64) else {
                break;
            };
            items.extend(
                ordered(base.clone().filter(pk.is_in(candidates)), false)
                    .all(db)
                    .await?,
            );
            if items.len() as u64 >= need || count < batch {
                break;
            }
            last_candidate = Some(last);
            batch = Ord::min(batch.saturating_mul(4), CANDIDATES_MAX);
        }
        Ok(page(items))
    }
}
