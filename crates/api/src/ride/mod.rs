//! The ride's work that needs more than the database: the payment provider, the outbox.
//! Handlers and jobs call it; the rules it applies are `relais_domain::ride`'s and the rows it
//! moves are `relais_store`'s.

pub mod invoices;
pub mod refunds;
pub mod trips;

use relais_store::ride::{
    AUTO_LOCK_JOB, MAX_PAUSE_JOB, RELEASE_HOLD_JOB, SETTLE_JOB, UNLOCK_TIMEOUT_JOB,
};

/// The ride's durable job kinds and their handlers, registered in every server.
pub fn jobs(jobs: crate::jobs::Jobs) -> crate::jobs::Jobs {
    jobs.with(relais_store::transactions::REFUND_JOB, refunds::handler())
        .with(UNLOCK_TIMEOUT_JOB, trips::unlock_timeout_handler())
        .with(SETTLE_JOB, trips::settle_handler())
        .with(RELEASE_HOLD_JOB, trips::release_hold_handler())
        .with(AUTO_LOCK_JOB, trips::auto_lock_handler())
        .with(MAX_PAUSE_JOB, trips::max_pause_handler())
        .with(
            relais_store::invoices::ISSUE_INVOICE_JOB,
            invoices::invoice_handler(),
        )
        .with(
            relais_store::invoices::ISSUE_CREDIT_NOTE_JOB,
            invoices::credit_note_handler(),
        )
}
