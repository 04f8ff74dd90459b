//! The reference service: the Django REST Framework service of `scripts/drf` (token
//! authentication, a model-permission check, cursor pagination, gunicorn) serving the same
//! access-log table from the same PostgreSQL database, so that relais's figures are compared
//! with it in the same run on the same machine, as the issue compares them.

use crate::{load, server};
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Its first page, 100 rows (the pagination's page size), newest first.
pub const PATH: &str = "/access-logs/";

/// A running reference service, stopped when dropped.
pub struct Reference {
    child: Child,
    pub addr: SocketAddr,
    /// The token of a user holding only the access log's `view` permission.
    pub token: String,
}

impl Reference {
    /// Start `python dir/serve.py` on `database_url` and a free port; wait for its first
    /// authenticated answer.
    pub async fn start(
        python: &Path,
        dir: &Path,
        database_url: &str,
        log: &Path,
    ) -> anyhow::Result<Reference> {
        let addr = server::free_port()?;
        let log_file = std::fs::File::create(log)?;
        let mut child = Command::new(python)
            .arg(dir.join("serve.py"))
            .arg(addr.to_string())
            .env("RELAIS_REFERENCE_DATABASE_URL", database_url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {} {}", python.display(), dir.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut reference = Reference {
            child,
            addr,
            token: String::new(),
        };
        // The token is the first line; a line that never comes means serve.py failed.
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await??;
        reference.token = line.trim().to_owned();
        if reference.token.is_empty() {
            bail!(
                "the reference service printed no token: see {}",
                log.display()
            );
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = reference.child.try_wait()? {
                bail!(
                    "the reference service exited ({status}): see {}",
                    log.display()
                );
            }
            if let Ok((200, _)) = load::once(addr, "GET", PATH, Some(&reference.token), None).await
            {
                return Ok(reference);
            }
            if Instant::now() > deadline {
                bail!(
                    "the reference service did not answer within 60 s: see {}",
                    log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        // gunicorn's master stops its workers on SIGTERM.
        server::stop(&mut self.child);
    }
}
