//! The release `relais` binary, run as an operator runs it: its command line for the schema,
//! the demo and the administrator, and `relais serve` on a free port for the load.

use crate::args::{Backend, Settings};
use crate::load;
use anyhow::{Context, bail};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The administrator the bench signs in as.
pub const ADMIN_EMAIL: &str = "bench@relais.test";
/// Not a secret: the bench's databases are its own and thrown away.
const ADMIN_PASSWORD: &str = "bench-password-1234";

/// Where relais finds its database.
#[derive(Debug, Clone)]
pub struct Place {
    pub backend: Backend,
    /// The data folder (the SQLite file, uploaded files, the server's log).
    pub data_dir: PathBuf,
    /// The database URL given to relais.
    pub database_url: String,
}

impl Place {
    pub fn sqlite(data_dir: &Path) -> Place {
        Place {
            backend: Backend::Sqlite,
            data_dir: data_dir.to_owned(),
            database_url: format!("sqlite://{}?mode=rwc", data_dir.join("relais.db").display()),
        }
    }

    pub fn postgres(data_dir: &Path, url: String) -> Place {
        Place {
            backend: Backend::Postgres,
            data_dir: data_dir.to_owned(),
            database_url: url,
        }
    }
}

fn relais(settings: &Settings, place: &Place) -> Command {
    let mut command = Command::new(&settings.relais);
    command
        .arg("--data-dir")
        .arg(&place.data_dir)
        .arg("--database-url")
        .arg(&place.database_url)
        .env("RELAIS_LOG", "warn")
        .env_remove("RELAIS_CONFIG");
    command
}

/// Run `relais <args>` to the end, with `stdin` as its input; its standard output.
pub fn cli(
    settings: &Settings,
    place: &Place,
    args: &[&str],
    stdin: Option<&str>,
) -> anyhow::Result<String> {
    let mut child = relais(settings, place)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "cannot run {} (build it: cargo build --release -p relais)",
                settings.relais.display()
            )
        })?;
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .context("relais stdin")?
            .write_all(input.as_bytes())?;
    }
    drop(child.stdin.take());
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "relais {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The bench's administrator exists with its password (created, or its password reset when a
/// reused database has it already).
pub fn ensure_admin(settings: &Settings, place: &Place) -> anyhow::Result<()> {
    let password = format!("{ADMIN_PASSWORD}\n");
    let created = cli(
        settings,
        place,
        &[
            "admin",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--password-stdin",
        ],
        Some(&password),
    );
    if created.is_err() {
        cli(
            settings,
            place,
            &[
                "admin",
                "reset-password",
                "--email",
                ADMIN_EMAIL,
                "--password-stdin",
            ],
            Some(&password),
        )
        .context("cannot create the bench administrator, nor reset its password")?;
    }
    Ok(())
}

/// A running `relais serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// A bearer token of the bench's administrator.
    pub token: String,
    pub log: PathBuf,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Start the server on a free port, wait for `/healthz`, sign in.
    pub async fn start(settings: &Settings, place: &Place) -> anyhow::Result<Server> {
        ensure_admin(settings, place)?;
        let addr = free_port()?;
        let log = place.data_dir.join("server.log");
        let log_file = std::fs::File::create(&log)?;
        let child = relais(settings, place)
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .context("cannot start relais serve")?;
        let mut server = Server {
            child,
            addr,
            token: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "relais serve exited ({status}): see {}",
                    server.log.display()
                );
            }
            if let Ok((200, _)) = load::once(addr, "GET", "/healthz", None, None).await {
                break;
            }
            if Instant::now() > deadline {
                bail!("relais serve did not answer /healthz within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server.token = login(addr).await?;
        Ok(server)
    }

    /// Stop the server: SIGTERM (a graceful shutdown writes the queued access log), then
    /// SIGKILL after 15 s.
    pub fn stop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stop a child process: SIGTERM, then SIGKILL after 15 s.
pub fn stop(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nobody listens on now.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// `POST /auth/login` as the bench's administrator; the token of `data.token`.
async fn login(addr: SocketAddr) -> anyhow::Result<String> {
    let body = serde_json::json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }).to_string();
    let (status, answer) = load::once(addr, "POST", "/auth/login", None, Some(&body)).await?;
    if status != 200 {
        bail!(
            "POST /auth/login answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    let value: serde_json::Value = serde_json::from_slice(&answer)?;
    value["data"]["token"]
        .as_str()
        .map(str::to_owned)
        .context("POST /auth/login: no data.token in the answer")
}
