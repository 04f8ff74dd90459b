//! The ride's work that needs more than the database: the payment provider, the outbox.
//! Handlers and jobs call it; the rules it applies are `relais_domain::ride`'s and the rows it
//! moves are `relais_store`'s.

pub mod refunds;

/// The ride's durable job kinds and their handlers, registered in every server.
pub fn jobs(jobs: crate::jobs::Jobs) -> crate::jobs::Jobs {
    jobs.with(relais_store::transactions::REFUND_JOB, refunds::handler())
}
