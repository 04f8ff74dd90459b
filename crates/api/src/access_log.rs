//! The access log, written off the request path: each Dashboard request puts its row in a
//! bounded queue, and one task writes the queue in batches (one multi-row INSERT per batch).
//!
//! When the queue is full (the database cannot keep up), the row is dropped and counted in the
//! `relais_access_log_dropped_rows` metric rather than making the request wait: the answer
//! must not depend on the log, and waiting would put the database's latency back in every
//! request. Graceful shutdown flushes it.
//!
//! Readers of the log do not wait for the queue: a row is readable within [`LINGER`] and one
//! INSERT's time of its answer. Making each read wait for the rows queued before it made every
//! list of the log wait for a write, which on SQLite's single writer halved the lists'
//! throughput under load; a staff member reading the log does not need the request of the last
//! tenth of a second.
//!
//! The writer lingers after a batch's first row for more to come: under load a batch then holds
//! a hundred rows, not the handful that arrived during the previous INSERT. Each commit costs
//! the same whatever its size (its pages of the table and of each index), so fewer, fuller
//! batches cost the database less for the same rows. A flush does not linger.

use prometheus_client::metrics::counter::Counter;
use relais_store::Db;
use relais_store::access_logs::NewAccessLog;
use tokio::sync::{mpsc, oneshot};

/// Rows held in memory before new ones are dropped (a few MB at most).
pub const CAPACITY: usize = 16_384;
/// Rows written by one INSERT at most.
const BATCH: usize = 512;
/// How long a batch waits for more rows after its first one.
pub const LINGER: std::time::Duration = std::time::Duration::from_millis(100);

enum Command {
    Row(Box<NewAccessLog>),
    Flush(oneshot::Sender<()>),
}

/// The sending side, cheap to clone.
#[derive(Clone)]
pub struct AccessLogQueue {
    tx: mpsc::Sender<Command>,
    dropped: Counter,
}

impl AccessLogQueue {
    /// A queue of `capacity` rows and the task that writes it to `db`, counting dropped rows
    /// in `dropped`; the task ends once every sender is gone and the queue is written.
    pub fn start(db: Db, capacity: usize, dropped: Counter) -> Self {
        let (tx, rx) = mpsc::channel(capacity);
        tokio::spawn(drain(db, rx));
        AccessLogQueue { tx, dropped }
    }

    /// Queue one row, or drop it (counted) when the queue is full.
    pub fn push(&self, row: NewAccessLog) {
        if self.tx.try_send(Command::Row(Box::new(row))).is_err() {
            self.dropped.inc();
        }
    }

    /// Wait until every row queued before this call is written.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(Command::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }

    /// Rows dropped because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.get()
    }
}

async fn drain(db: Db, mut rx: mpsc::Receiver<Command>) {
    let mut commands = Vec::with_capacity(BATCH);
    let mut agents = relais_store::access_logs::UserAgentIds::default();
    while rx.recv_many(&mut commands, BATCH).await > 0 {
        linger(&mut rx, &mut commands).await;
        let mut rows = Vec::with_capacity(commands.len());
        let mut waiting = Vec::new();
        for command in commands.drain(..) {
            match command {
                Command::Row(row) => rows.push(*row),
                Command::Flush(done) => waiting.push(done),
            }
        }
        if !rows.is_empty() {
            let count = rows.len();
            if let Err(err) = relais_store::access_logs::record_many(&db, rows, &mut agents).await {
                // The answers are long sent; losing log lines must not stop the server.
                tracing::error!(error = %err, rows = count, "could not write the access log");
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

/// Add to `commands` what arrives within [`LINGER`] of the first, until the batch is full, a
/// flush asks for it, or every sender is gone.
async fn linger(rx: &mut mpsc::Receiver<Command>, commands: &mut Vec<Command>) {
    let deadline = tokio::time::Instant::now() + LINGER;
    let mut seen = 0;
    while commands.len() < BATCH {
        if commands[seen..]
            .iter()
            .any(|c| matches!(c, Command::Flush(_)))
        {
            break;
        }
        seen = commands.len();
        let room = BATCH - commands.len();
        match tokio::time::timeout_at(deadline, rx.recv_many(commands, room)).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}
