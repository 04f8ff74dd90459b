//! The `invoices` table: an invoice (for a provider payment) or a credit note (for its
//! refund), numbered per app label; amounts in ten-thousandths.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub app_label_id: i64,
    pub number: i64,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub transaction_id: Option<i64>,
    pub refund_id: Option<i64>,
    /// The invoice a credit note corrects.
    pub original_invoice_id: Option<i64>,
    pub user_id: Option<i64>,
    pub network_id: i64,
    pub currency: String,
    pub amount_w_vat: i64,
    pub amount: i64,
    pub vat_amount: i64,
    pub vat_rate: i64,
    pub issued_at: DateTimeUtc,
    /// JSON: the issuer's name, address and legal mentions at issue.
    pub issuer: String,
    /// JSON: the customer's name and email at issue.
    pub customer: String,
    /// JSON: `[{title, amount_w_vat}]`.
    pub lines: String,
    /// Where the PDF is stored, once rendered.
    pub pdf_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
