//! An ERP held in memory, with the same query semantics as the Odoo connector.

use crate::{Erp, ErpError, ErpFuture, ErpPartner, PartnerQuery};

/// An in-memory ERP holding a fixed list of companies, for tests and demonstrations.
///
/// Like Odoo's default search, it leaves out inactive (archived) companies.
#[derive(Debug, Clone, Default)]
pub struct MemoryErp {
    partners: Vec<ErpPartner>,
}

impl MemoryErp {
    /// An ERP holding these companies.
    pub fn new(partners: impl IntoIterator<Item = ErpPartner>) -> Self {
        let mut partners: Vec<ErpPartner> = partners.into_iter().collect();
        partners.sort_by(|a, b| a.name.cmp(&b.name).then(a.erp_id.cmp(&b.erp_id)));
        Self { partners }
    }

    fn matching(&self, query: &PartnerQuery) -> Vec<ErpPartner> {
        let search = query.search_term().map(str::to_lowercase);
        let matches = self.partners.iter().filter(|partner| {
            partner.active
                && !query.exclude.contains(&partner.erp_id)
                && search
                    .as_deref()
                    .is_none_or(|term| partner.name.to_lowercase().contains(term))
        });
        let page = matches.skip(query.offset as usize);
        match query.limit {
            Some(limit) => page.take(limit as usize).cloned().collect(),
            None => page.cloned().collect(),
        }
    }
}

impl Erp for MemoryErp {
    fn name(&self) -> &str {
        "memory"
    }

    fn partners<'a>(&'a self, query: &'a PartnerQuery) -> ErpFuture<'a, Vec<ErpPartner>> {
        Box::pin(async move { Ok::<_, ErpError>(self.matching(query)) })
    }

    fn partner(&self, erp_id: i64) -> ErpFuture<'_, Option<ErpPartner>> {
        Box::pin(async move {
            Ok(self
                .partners
                .iter()
                .find(|partner| partner.erp_id == erp_id && partner.active)
                .cloned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// Polls a future that never waits, which is all the memory ERP returns.
    fn ready<T>(future: impl Future<Output = T>) -> T {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the memory ERP never waits"),
        }
    }

    fn erp() -> MemoryErp {
        let mut archived = ErpPartner::new(4, "Archived Ltd");
        archived.active = false;
        MemoryErp::new([
            ErpPartner::new(3, "Cyclo"),
            ErpPartner::new(1, "Acme"),
            ErpPartner::new(2, "Bicycle Works"),
            archived,
        ])
    }

    fn ids(partners: Vec<ErpPartner>) -> Vec<i64> {
        partners.into_iter().map(|p| p.erp_id).collect()
    }

    #[test]
    fn lists_active_companies_by_name() {
        let listed = ready(erp().partners(&PartnerQuery::default())).unwrap();
        assert_eq!(ids(listed), [1, 2, 3]);
    }

    #[test]
    fn filters_excludes_and_pages() {
        let erp = erp();
        let search = PartnerQuery {
            search: Some("CYCL".into()),
            ..PartnerQuery::default()
        };
        assert_eq!(ids(ready(erp.partners(&search)).unwrap()), [2, 3]);
        let exclude = PartnerQuery {
            exclude: vec![2],
            ..PartnerQuery::default()
        };
        assert_eq!(ids(ready(erp.partners(&exclude)).unwrap()), [1, 3]);
        let page = PartnerQuery {
            limit: Some(1),
            offset: 1,
            ..PartnerQuery::default()
        };
        assert_eq!(ids(ready(erp.partners(&page)).unwrap()), [2]);
    }

    #[test]
    fn finds_one_active_company() {
        let erp = erp();
        assert_eq!(
            ready(erp.partner(2)).unwrap().unwrap().name,
            "Bicycle Works"
        );
        assert_eq!(ready(erp.partner(4)).unwrap(), None);
        assert_eq!(ready(erp.partner(99)).unwrap(), None);
    }
}
