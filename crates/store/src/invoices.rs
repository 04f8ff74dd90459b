//! Invoices and credit notes: issued for every succeeded provider payment and every succeeded
//! refund of one, numbered without gaps per billing identity (the network's app label) by a
//! sequence row taken in the issuing transaction, and never changed afterwards but for the
//! PDF's storage key. A reference is `<prefix>-<number:09>`; the prefix is fixed when the
//! sequence is made, so a renamed app label keeps its invoices' references.

use crate::entity::refund::RefundStatus;
use crate::entity::transaction::{MoneySource, TransactionStatus};
use crate::entity::{
    app_label, app_label_billing, invoice, invoice_sequence, network, refund, transaction, user,
};
use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use relais_domain::invoice::{InvoiceDocument, Issuer, Line};
use relais_domain::money;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

/// Issues the invoice of a succeeded provider payment; subject: the transaction.
pub const ISSUE_INVOICE_JOB: &str = "issue_invoice";
/// Issues the credit note of a succeeded refund; subject: the refund.
pub const ISSUE_CREDIT_NOTE_JOB: &str = "issue_credit_note";
pub const INVOICE: &str = "invoice";
pub const CREDIT_NOTE: &str = "credit_note";

/// The reference of invoice `number` of the sequence `prefix`.
pub fn reference(prefix: &str, number: i64) -> String {
    format!("{prefix}-{number:09}")
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredIssuer {
    name: String,
    address: Vec<String>,
    mentions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredLine {
    title: String,
    amount_w_vat: i64,
}

/// The sequence of `label`, made on its first invoice.
async fn sequence(
    txn: &impl ConnectionTrait,
    label: &app_label::Model,
) -> Result<invoice_sequence::Model> {
    if let Some(found) = invoice_sequence::Entity::find_by_id(label.id)
        .one(txn)
        .await?
    {
        return Ok(found);
    }
    let base: String = label
        .name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(16)
        .collect();
    let base = if base.is_empty() {
        "INV".to_owned()
    } else {
        base
    };
    // Two labels whose names reduce to the same letters get the id to tell them apart.
    let taken = invoice_sequence::Entity::find()
        .filter(invoice_sequence::Column::Prefix.eq(base.as_str()))
        .count(txn)
        .await?
        > 0;
    let prefix = if taken {
        format!("{base}{}", label.id)
    } else {
        base
    };
    Ok(invoice_sequence::ActiveModel {
        app_label_id: Set(label.id),
        prefix: Set(prefix),
        next_number: Set(1),
    }
    .insert(txn)
    .await?)
}

/// Take the next number of `label`'s sequence (its row locked until commit: numbers never
/// skip nor repeat).
async fn next_number(
    txn: &impl ConnectionTrait,
    label: &app_label::Model,
) -> Result<(String, i64)> {
    let seq = sequence(txn, label).await?;
    invoice_sequence::Entity::update_many()
        .col_expr(
            invoice_sequence::Column::NextNumber,
            Expr::col(invoice_sequence::Column::NextNumber).add(1),
        )
        .filter(invoice_sequence::Column::AppLabelId.eq(label.id))
        .exec(txn)
        .await?;
    let taken = invoice_sequence::Entity::find_by_id(label.id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "invoice sequence",
        })?;
    Ok((seq.prefix, taken.next_number - 1))
}

async fn issuer_of(txn: &impl ConnectionTrait, label: &app_label::Model) -> Result<StoredIssuer> {
    let billing = app_label_billing::Entity::find_by_id(label.id)
        .one(txn)
        .await?;
    Ok(match billing {
        None => StoredIssuer {
            name: label.display_name.clone(),
            ..Default::default()
        },
        Some(b) => StoredIssuer {
            name: b.name.clone().unwrap_or_else(|| label.display_name.clone()),
            address: vec![
                b.street.clone(),
                format!("{} {}", b.zip_code, b.city),
                b.country.clone(),
            ],
            mentions: [
                b.legal_form.clone(),
                b.capital.as_ref().map(|c| format!("Capital {c}")),
                b.registration_number
                    .as_ref()
                    .map(|r| format!("Registration {r}")),
                b.vat_number.as_ref().map(|v| format!("VAT {v}")),
                b.issuer.clone(),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
    })
}

async fn customer_of(txn: &impl ConnectionTrait, user_id: Option<i64>) -> Result<Vec<String>> {
    let Some(id) = user_id else {
        return Ok(Vec::new());
    };
    let Some(u) = user::Entity::find_by_id(id).one(txn).await? else {
        return Ok(Vec::new());
    };
    let name = [u.first_name.clone(), u.last_name.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok([Some(name).filter(|n| !n.is_empty()), Some(u.email)]
        .into_iter()
        .flatten()
        .collect())
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Issue the invoice of transaction `transaction_id` (a succeeded provider payment), once:
/// one that has its invoice answers it. `None` for a transaction that gets none.
pub async fn issue_invoice(
    db: &DatabaseConnection,
    transaction_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<invoice::Model>> {
    let txn = crate::db::begin_write(db).await?;
    // The transaction's row locked until commit: two issuers at once make one invoice.
    transaction::Entity::update_many()
        .col_expr(
            transaction::Column::InvoiceId,
            Expr::col(transaction::Column::InvoiceId),
        )
        .filter(transaction::Column::Id.eq(transaction_id))
        .exec(&txn)
        .await?;
    let Some(t) = transaction::Entity::find_by_id(transaction_id)
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    if let Some(id) = t.invoice_id {
        return Ok(invoice::Entity::find_by_id(id).one(&txn).await?);
    }
    if t.source != MoneySource::Provider || t.status != TransactionStatus::Succeeded {
        return Ok(None);
    }
    let (net, label) = identity(&txn, t.network_id).await?;
    let (_, number) = next_number(&txn, &label).await?;
    let lines = vec![StoredLine {
        title: t.product_title.clone(),
        amount_w_vat: t.amount_w_vat,
    }];
    let row = invoice::ActiveModel {
        app_label_id: Set(label.id),
        number: Set(number),
        kind: Set(INVOICE.into()),
        transaction_id: Set(Some(t.id)),
        refund_id: Set(None),
        original_invoice_id: Set(None),
        user_id: Set(t.user_id),
        network_id: Set(net.id),
        currency: Set(t.currency.clone()),
        amount_w_vat: Set(t.amount_w_vat),
        amount: Set(t.amount),
        vat_amount: Set(t.amount_w_vat - t.amount),
        vat_rate: Set(t.vat_rate),
        issued_at: Set(now),
        issuer: Set(json(&issuer_of(&txn, &label).await?)),
        customer: Set(json(&customer_of(&txn, t.user_id).await?)),
        lines: Set(json(&lines)),
        pdf_key: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    transaction::Entity::update_many()
        .col_expr(transaction::Column::InvoiceId, Expr::value(row.id))
        .filter(transaction::Column::Id.eq(t.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(row))
}

async fn identity(
    txn: &impl ConnectionTrait,
    network_id: i64,
) -> Result<(network::Model, app_label::Model)> {
    let net = network::Entity::find_by_id(network_id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "network" })?;
    let label = app_label::Entity::find_by_id(net.app_label_id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "app label",
        })?;
    Ok((net, label))
}

/// Issue the credit note of refund `refund_id` (succeeded, of an invoiced payment), once.
/// `None` while its payment has no invoice yet, or for a refund that gets none.
pub async fn issue_credit_note(
    db: &DatabaseConnection,
    refund_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<invoice::Model>> {
    let txn = crate::db::begin_write(db).await?;
    refund::Entity::update_many()
        .col_expr(
            refund::Column::InvoiceId,
            Expr::col(refund::Column::InvoiceId),
        )
        .filter(refund::Column::Id.eq(refund_id))
        .exec(&txn)
        .await?;
    let Some(r) = refund::Entity::find_by_id(refund_id).one(&txn).await? else {
        return Ok(None);
    };
    if let Some(id) = r.invoice_id {
        return Ok(invoice::Entity::find_by_id(id).one(&txn).await?);
    }
    let t = transaction::Entity::find_by_id(r.transaction_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "transaction",
        })?;
    let Some(original) = t.invoice_id else {
        // Its payment's invoice comes first: the job tries again.
        return if t.source == MoneySource::Provider && r.status == RefundStatus::Succeeded {
            Err(StoreError::Rule(
                "the payment's invoice is not issued yet".into(),
            ))
        } else {
            Ok(None)
        };
    };
    if r.status != RefundStatus::Succeeded || t.source != MoneySource::Provider {
        return Ok(None);
    }
    let (net, label) = identity(&txn, t.network_id).await?;
    let (_, number) = next_number(&txn, &label).await?;
    let minor = relais_domain::reference::minor_units(&t.currency).unwrap_or(2);
    let (without, _) = money::split_vat(
        money::from_stored(r.amount),
        money::from_stored(t.vat_rate),
        u32::from(minor),
    );
    let amount = money::to_stored(without).unwrap_or(r.amount);
    let lines = vec![StoredLine {
        title: format!("Refund: {}", t.product_title),
        amount_w_vat: r.amount,
    }];
    let row = invoice::ActiveModel {
        app_label_id: Set(label.id),
        number: Set(number),
        kind: Set(CREDIT_NOTE.into()),
        transaction_id: Set(Some(t.id)),
        refund_id: Set(Some(r.id)),
        original_invoice_id: Set(Some(original)),
        user_id: Set(t.user_id),
        network_id: Set(net.id),
        currency: Set(t.currency.clone()),
        amount_w_vat: Set(r.amount),
        amount: Set(amount),
        vat_amount: Set(r.amount - amount),
        vat_rate: Set(t.vat_rate),
        issued_at: Set(now),
        issuer: Set(json(&issuer_of(&txn, &label).await?)),
        customer: Set(json(&customer_of(&txn, t.user_id).await?)),
        lines: Set(json(&lines)),
        pdf_key: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    refund::Entity::update_many()
        .col_expr(refund::Column::InvoiceId, Expr::value(row.id))
        .filter(refund::Column::Id.eq(r.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(row))
}

/// An invoice with its reference.
#[derive(Debug, Clone)]
pub struct Issued {
    pub invoice: invoice::Model,
    pub reference: String,
    /// The reference of the invoice a credit note corrects.
    pub corrects: Option<String>,
    pub email: Option<String>,
}

async fn prefixes(
    db: &impl ConnectionTrait,
    labels: impl IntoIterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, String>> {
    let ids: Vec<i64> = labels.into_iter().collect();
    Ok(invoice_sequence::Entity::find()
        .filter(invoice_sequence::Column::AppLabelId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.app_label_id, s.prefix))
        .collect())
}

async fn issued(db: &impl ConnectionTrait, rows: Vec<invoice::Model>) -> Result<Vec<Issued>> {
    let prefix = prefixes(db, rows.iter().map(|r| r.app_label_id)).await?;
    let originals = crate::map_by_ids::<invoice::Entity>(
        db,
        invoice::Column::Id,
        rows.iter().filter_map(|r| r.original_invoice_id),
        |i| i.id,
    )
    .await?;
    let users = crate::map_by_ids::<user::Entity>(
        db,
        user::Column::Id,
        rows.iter().filter_map(|r| r.user_id),
        |u| u.id,
    )
    .await?;
    let of = |label: i64, number: i64| {
        reference(prefix.get(&label).map_or("INV", |p| p.as_str()), number)
    };
    Ok(rows
        .into_iter()
        .map(|invoice| Issued {
            reference: of(invoice.app_label_id, invoice.number),
            corrects: invoice
                .original_invoice_id
                .and_then(|id| originals.get(&id))
                .map(|o| of(o.app_label_id, o.number)),
            email: invoice
                .user_id
                .and_then(|id| users.get(&id))
                .map(|u| u.email.clone()),
            invoice,
        })
        .collect())
}

/// The row of the invoice of reference `text`, if any: two primary-key reads.
async fn row_by_reference(db: &impl ConnectionTrait, text: &str) -> Result<Option<invoice::Model>> {
    let Some((prefix, number)) = text.rsplit_once('-') else {
        return Ok(None);
    };
    let Ok(number) = number.parse::<i64>() else {
        return Ok(None);
    };
    let Some(seq) = invoice_sequence::Entity::find()
        .filter(invoice_sequence::Column::Prefix.eq(prefix))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(invoice::Entity::find()
        .filter(invoice::Column::AppLabelId.eq(seq.app_label_id))
        .filter(invoice::Column::Number.eq(number))
        .one(db)
        .await?)
}

/// The invoice of reference `text`, if any.
pub async fn by_reference(db: &impl ConnectionTrait, text: &str) -> Result<Option<Issued>> {
    match row_by_reference(db, text).await? {
        Some(row) => Ok(issued(db, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// The networks of the invoices of these references (unknown ones left out): for scope.
pub async fn networks_of(
    db: &impl ConnectionTrait,
    references: &[String],
) -> Result<std::collections::HashMap<String, i64>> {
    let mut found = std::collections::HashMap::new();
    for r in references {
        if let Some(row) = row_by_reference(db, r).await? {
            found.insert(r.clone(), row.network_id);
        }
    }
    Ok(found)
}

/// The invoices and credit notes of a transaction, oldest first.
pub async fn of_transaction(db: &impl ConnectionTrait, transaction_id: i64) -> Result<Vec<Issued>> {
    let rows = invoice::Entity::find()
        .filter(invoice::Column::TransactionId.eq(transaction_id))
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?;
    issued(db, rows).await
}

/// Page `page` (from 1) of `page_size` invoices, newest first, of `user_id` when given, else
/// of `networks`; and whether more follow.
pub async fn list(
    db: &DatabaseConnection,
    networks: &[i64],
    user_id: Option<i64>,
    page: u64,
    page_size: u64,
) -> Result<(Vec<Issued>, bool)> {
    let mut select =
        invoice::Entity::find().filter(invoice::Column::NetworkId.is_in(networks.iter().copied()));
    if let Some(user) = user_id {
        select = select.filter(invoice::Column::UserId.eq(user));
    }
    let mut rows = select
        .order_by_desc(invoice::Column::Id)
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > page_size;
    rows.truncate(page_size as usize);
    Ok((issued(db, rows).await?, more))
}

/// The document of an issued invoice, for its PDF.
pub fn document(i: &Issued) -> InvoiceDocument {
    let row = &i.invoice;
    let issuer: StoredIssuer = serde_json::from_str(&row.issuer).unwrap_or_default();
    let customer: Vec<String> = serde_json::from_str(&row.customer).unwrap_or_default();
    let lines: Vec<StoredLine> = serde_json::from_str(&row.lines).unwrap_or_default();
    let amount = |v: i64| money::from_stored(v).to_string();
    let credit = row.kind == CREDIT_NOTE;
    InvoiceDocument {
        title: if credit { "Credit note" } else { "Invoice" }.into(),
        reference: i.reference.clone(),
        corrects: i.corrects.clone(),
        date: row.issued_at.date_naive().to_string(),
        issuer: Issuer {
            name: issuer.name,
            mentions: issuer.mentions,
            address: issuer.address,
        },
        customer,
        lines: lines
            .into_iter()
            .map(|l| Line {
                title: l.title,
                amount_w_vat: amount(l.amount_w_vat),
            })
            .collect(),
        currency: row.currency.clone(),
        amount: amount(row.amount),
        vat_rate: format!(
            "{} %",
            (money::from_stored(row.vat_rate) * rust_decimal::Decimal::ONE_HUNDRED).normalize()
        ),
        vat_amount: amount(row.vat_amount),
        amount_w_vat: amount(row.amount_w_vat),
        payment: if credit {
            format!("Refunded on {}", row.issued_at.date_naive())
        } else {
            format!("Paid on {}", row.issued_at.date_naive())
        },
    }
}

/// Record where the PDF of invoice `id` is stored (once).
pub async fn set_pdf(db: &DatabaseConnection, id: i64, key: &str) -> Result<()> {
    invoice::Entity::update_many()
        .col_expr(invoice::Column::PdfKey, Expr::value(key))
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::PdfKey.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Invoice numbers missing in a sequence, for `relais check`: `(app label, number)`.
pub async fn gaps(db: &DatabaseConnection) -> Result<Vec<(i64, i64)>> {
    let mut missing = Vec::new();
    for seq in invoice_sequence::Entity::find().all(db).await? {
        let numbers: Vec<i64> = invoice::Entity::find()
            .select_only()
            .column(invoice::Column::Number)
            .filter(invoice::Column::AppLabelId.eq(seq.app_label_id))
            .order_by_asc(invoice::Column::Number)
            .into_tuple()
            .all(db)
            .await?;
        let mut expected = 1;
        for n in numbers {
            while expected < n {
                missing.push((seq.app_label_id, expected));
                expected += 1;
            }
            expected = n + 1;
        }
    }
    Ok(missing)
}
