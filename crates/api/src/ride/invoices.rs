//! Invoices and credit notes issued as durable jobs after the money moved, rendered to PDF
//! once and kept in the object storage at `invoices/<ref>.pdf`.

use crate::jobs::{Done, Handler, JobError};
use crate::state::AppState;
use chrono::Utc;
use object_store::path::Path as ObjectPath;
use relais_store::invoices::{self, Issued};
use std::sync::Arc;

/// Where an invoice's PDF is kept.
pub fn pdf_key(reference: &str) -> String {
    format!("invoices/{reference}.pdf")
}

/// Render and store the PDF of `issued` unless it is stored already.
pub async fn render(state: &AppState, issued: &Issued) -> Result<(), JobError> {
    if issued.invoice.pdf_key.is_some() {
        return Ok(());
    }
    let doc = invoices::document(issued);
    let pdf = crate::blocking::cpu(state, move || relais_domain::invoice::render(&doc)).await;
    let key = pdf_key(&issued.reference);
    state
        .storage
        .put(&ObjectPath::from(key.as_str()), pdf.into())
        .await
        .map_err(|e| JobError(format!("storing the invoice: {e}")))?;
    invoices::set_pdf(&state.db, issued.invoice.id, &key).await?;
    Ok(())
}

async fn render_row(
    state: &AppState,
    row: Option<relais_store::entity::invoice::Model>,
) -> Result<(), JobError> {
    let Some(row) = row else {
        return Ok(());
    };
    let issued = invoices::of_transaction(&state.db, row.transaction_id.unwrap_or_default())
        .await?
        .into_iter()
        .find(|i| i.invoice.id == row.id);
    if let Some(issued) = issued {
        render(state, &issued).await?;
    }
    Ok(())
}

/// `issue_invoice`: a succeeded provider payment's invoice, issued and rendered.
pub fn invoice_handler() -> Handler {
    Arc::new(|state: AppState, job| {
        Box::pin(async move {
            let row = invoices::issue_invoice(&state.db, job.subject_id, Utc::now()).await?;
            render_row(&state, row).await?;
            let completed = relais_store::jobs::complete(&state.db, &job).await?;
            Ok(if completed {
                Done::Completed
            } else {
                Done::Lost
            })
        })
    })
}

/// `issue_credit_note`: a succeeded refund's credit note, once its payment's invoice exists.
pub fn credit_note_handler() -> Handler {
    Arc::new(|state: AppState, job| {
        Box::pin(async move {
            let row = invoices::issue_credit_note(&state.db, job.subject_id, Utc::now()).await?;
            render_row(&state, row).await?;
            let completed = relais_store::jobs::complete(&state.db, &job).await?;
            Ok(if completed {
                Done::Completed
            } else {
                Done::Lost
            })
        })
    })
}
