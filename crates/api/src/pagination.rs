//! The keyset pagination parameters every list takes, and the page description it answers.

use relais_store::{Keyset, SortDir};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// Order of the primary key (and of a sort column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
pub enum Direction {
    #[serde(rename = "ASC")]
    Asc,
    /// The default of every list: newest first, what staff look for (and the seed's default
    /// where it states one, the fleet-alert history).
    #[default]
    #[serde(rename = "DESC")]
    Desc,
}

impl From<Direction> for SortDir {
    fn from(d: Direction) -> Self {
        match d {
            Direction::Asc => SortDir::Asc,
            Direction::Desc => SortDir::Desc,
        }
    }
}

/// `page_size`, `last_primary_key` and `primary_key_dir`. A list handler takes it as its own
/// `ValidQuery<KeysetQuery>` beside its filters' `ValidQuery`, rather than `#[serde(flatten)]`
/// into one struct, because flattening loses the name of the field at fault in errors.
#[serde_as]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeysetQuery {
    /// The maximum items to return.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 10, max = 500))]
    #[param(minimum = 10, maximum = 500, default = 20, value_type = Option<i64>)]
    pub page_size: Option<u64>,
    /// Identifier of the last record on the current page, used to request the next page.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub last_primary_key: Option<i64>,
    /// Order of the primary key: `DESC` (default: newest first) or `ASC`.
    #[serde(default)]
    #[param(inline, value_type = Option<Direction>, default = "DESC")]
    pub primary_key_dir: Option<Direction>,
}

pub const DEFAULT_PAGE_SIZE: u64 = 20;

impl KeysetQuery {
    pub fn keyset(&self) -> Keyset {
        keyset(
            self.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
            self.last_primary_key,
            self.primary_key_dir,
        )
    }
}

fn keyset(page_size: u64, last_primary_key: Option<i64>, dir: Option<Direction>) -> Keyset {
    Keyset {
        page_size,
        last_primary_key,
        primary_key_dir: dir.unwrap_or_default().into(),
    }
}

/// How this page was cut, and how to get the next one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageInfo {
    /// The page size that was applied.
    pub page_size: u64,
    /// Whether rows follow this page.
    pub has_more: bool,
    /// The value to send as `last_primary_key` for the next page (the primary key of this
    /// page's last row); null when this page is the last.
    pub last_primary_key: Option<i64>,
}

impl PageInfo {
    pub fn new(keyset: &Keyset, has_more: bool, last: Option<i64>) -> Self {
        PageInfo {
            page_size: keyset.page_size,
            has_more,
            last_primary_key: if has_more { last } else { None },
        }
    }
}

/// Paging relais adds, as an extension, to a list the seed leaves unpaged (the vehicles, the
/// clusters, the open alerts and maintenances...): the same three parameters as the seed's
/// paged lists, optional, with a larger default page so a front-end written for the unpaged
/// answer still gets a useful first page. The contract is in docs/api-design.md ("Paging the
/// seed's unpaged lists").
#[serde_as]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPageQuery {
    /// The maximum items to return (relais extension; default 100).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 10, max = 500))]
    #[param(minimum = 10, maximum = 500, default = 100, value_type = Option<i64>)]
    pub page_size: Option<u64>,
    /// Identifier of the last record on the current page, used to request the next page
    /// (relais extension).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub last_primary_key: Option<i64>,
    /// Order of the primary key, `DESC` (default) or `ASC`; where the list has a natural
    /// order (a serial, a name), it only breaks ties (relais extension).
    #[serde(default)]
    #[param(inline, value_type = Option<Direction>, default = "DESC")]
    pub primary_key_dir: Option<Direction>,
}

pub const DEFAULT_LIST_PAGE_SIZE: u64 = 100;

impl ListPageQuery {
    pub fn keyset(&self) -> Keyset {
        keyset(
            self.page_size.unwrap_or(DEFAULT_LIST_PAGE_SIZE),
            self.last_primary_key,
            self.primary_key_dir,
        )
    }
}

/// The answer for one page of `rows`, whose primary key `id` gives the next cursor.
pub fn paged<R, T>(
    keyset: &Keyset,
    rows: relais_store::PageOf<R>,
    id: impl Fn(&R) -> i64,
    item: impl FnMut(R) -> T,
) -> crate::envelope::Paged<T> {
    let last = rows.items.last().map(id);
    crate::envelope::Paged {
        code: 0,
        page: PageInfo::new(keyset, rows.has_more, last),
        data: rows.items.into_iter().map(item).collect(),
    }
}
