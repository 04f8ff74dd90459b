//! `relais`: the back office for shared-mobility operators and their logistics partners.

mod admin_cli;
mod check_cli;
mod config;
mod demo;
mod hauler_cli;
mod outside;
mod partner_account;
mod token_cli;

use anyhow::Context;
use clap::{Parser, Subcommand};
use config::{Config, LogFormat, Overrides};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// jemalloc rather than glibc's allocator: sqlx reads SQLite on a thread per connection and
/// the rows are freed on tokio's threads; glibc gave each thread an arena and kept what they
/// freed (150 MiB after the benchmark's access-log runs against 106 with jemalloc) and spent a
/// fifth of a list's CPU in its arena locks. Its options are in `.cargo/config.toml`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Debug, Parser)]
#[command(
    name = "relais",
    version,
    about = "Back office for shared-mobility operators"
)]
struct Cli {
    /// A TOML configuration file (default: ./relais.toml when it exists).
    #[arg(long, global = true, env = "RELAIS_CONFIG")]
    config: Option<PathBuf>,
    /// Folder for the SQLite database and files (default: ./relais-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL (`postgres://...`); default: SQLite under the data folder.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Write logs as JSON lines.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (migrations are applied first).
    Serve {
        /// Address and port to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// On an empty database, load the demonstration dataset and print its credentials.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage third-party haulers (seed 003).
    Hauler {
        #[command(subcommand)]
        command: HaulerCommand,
    },
    /// Manage partner API accounts (seeds 000-002).
    PartnerAccount {
        #[command(subcommand)]
        command: PartnerAccountCommand,
    },
    /// Load the demonstration dataset (and print its administrator's credentials).
    Demo {
        /// Give the dataset's administrator a new random password and print it (the first one
        /// is printed once, when the dataset is loaded, and kept nowhere).
        #[arg(long)]
        reset_password: bool,
    },
    /// Recompute the maintained counters (a network's vehicles, stations and trips) from the
    /// rows they count and compare; exits with status 1 on a difference.
    Check {
        /// Set the counters that differ to what was counted (and exit 0).
        #[arg(long)]
        repair: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a user holding every permission, globally, with write.
    Create {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
    },
    /// Replace the password of a user (any user, not only administrators).
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the new password from standard input (required, as for `create`).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PartnerAccountCommand {
    /// Create a partner company and its manager; print an API token, alone on the last line.
    Create {
        #[arg(long)]
        company: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum HaulerCommand {
    /// Create a hauler and one of its users (role ThirdPartyDispatcher); print the hauler's UUID
    /// and a bearer token for the user, each alone on a line, the token last.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (shown only this once).
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Days until it expires; never by default.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// List API tokens (every user's, or one user's): id, user, label, dates; never the secret.
    List {
        /// Only the tokens of this user.
        #[arg(long)]
        email: Option<String>,
    },
    /// Revoke an API token: it stops working at once.
    Revoke {
        /// The token's id, as `token list` shows it (the part of the token before the dot).
        id: String,
    },
}

/// Errors end the command with one line on standard error and exit status 1: never anyhow's
/// multi-line report, whose backtrace `RUST_BACKTRACE=1` would add.
fn main() -> ExitCode {
    let cli = Cli::parse();
    match start(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, as `{err:#}` writes them, on one line; a cause already quoted by
/// the error above it (as database errors quote theirs) is not written twice.
fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|above| above.contains(&text)) {
            parts.push(text);
        }
    }
    parts
        .join(": ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn start(cli: Cli) -> anyhow::Result<()> {
    let listen = match &cli.command {
        Command::Serve { listen, .. } => *listen,
        _ => None,
    };
    let (config, warnings) = Config::load(
        cli.config.as_deref(),
        Overrides {
            listen,
            data_dir: cli.data_dir.clone(),
            database_url: cli.database_url.clone(),
            log_format: cli.log_json.then_some(LogFormat::Json),
        },
    )?;
    init_logging(&config);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli.command, config))
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELAIS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn open(config: &Config) -> anyhow::Result<relais_store::Db> {
    let url = config.database_url()?;
    let db = relais_store::connect(&url, config.database_max_connections)
        .await
        .context("cannot connect to the database")?;
    relais_store::db::migrate(&db)
        .await
        .context("cannot apply migrations")?;
    Ok(db)
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Openapi => {
            println!("{}", relais_api::openapi_json()?);
        }
        Command::Migrate => {
            open(&config).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve { demo, .. } => serve(config, demo).await?,
        Command::Check { repair } => {
            let db = open(&config).await?;
            if !check_cli::run(&db, repair).await? {
                std::process::exit(1);
            }
        }
        Command::Hauler {
            command: HaulerCommand::Create { name, email },
        } => {
            let db = open(&config).await?;
            hauler_cli::create(&db, &name, &email).await?;
        }
        Command::PartnerAccount {
            command: PartnerAccountCommand::Create { company, email },
        } => {
            let db = open(&config).await?;
            partner_account::create(&db, &company, &email).await?;
        }
        Command::Demo { reset_password } => {
            let db = open(&config).await?;
            if reset_password {
                let loaded = demo::reset_password(&db).await?;
                println!("new password for the demonstration administrator");
                print_credentials(&loaded);
            } else {
                report_demo(demo::load(&db).await?);
            }
        }
        Command::Admin { command } => match command {
            AdminCommand::Create {
                email,
                password_stdin: _,
                first_name,
                last_name,
            } => {
                let password = admin_cli::password_from_stdin()?;
                let db = open(&config).await?;
                admin_cli::create(&db, &email, &password, first_name, last_name).await?;
            }
            AdminCommand::ResetPassword {
                email,
                password_stdin: _,
            } => {
                let password = admin_cli::password_from_stdin()?;
                let db = open(&config).await?;
                admin_cli::reset_password(&db, &email, &password).await?;
            }
        },
        Command::Token { command } => {
            let db = open(&config).await?;
            match command {
                TokenCommand::Create {
                    email,
                    label,
                    expires_in_days,
                } => token_cli::create(&db, &email, &label, expires_in_days).await?,
                TokenCommand::List { email } => token_cli::list(&db, email.as_deref()).await?,
                TokenCommand::Revoke { id } => token_cli::revoke(&db, &id).await?,
            }
        }
    }
    Ok(())
}

fn report_demo(loaded: Option<demo::Loaded>) {
    match loaded {
        Some(loaded) => {
            println!("demonstration dataset loaded");
            print_credentials(&loaded);
        }
        None => println!(
            "demonstration dataset already loaded (`relais demo --reset-password` gives its \
             administrator a new password)"
        ),
    }
}

fn print_credentials(loaded: &demo::Loaded) {
    println!("administrator: {}", loaded.admin_email);
    println!("password: {}", loaded.admin_password);
    for (who, email, password) in &loaded.others {
        println!("{who}: {email}  password: {password}");
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let erp = match config.erp()? {
        Some(odoo) => {
            Some(relais_erp::OdooClient::new(odoo).context("invalid [erp] configuration")?)
        }
        None => None,
    };
    let db = open(&config).await?;
    if demo {
        if relais_store::setup::is_empty(&db).await? {
            report_demo(demo::load(&db).await?);
        } else if demo::is_loaded(&db).await? {
            tracing::info!(
                "demonstration dataset already loaded: `relais demo --reset-password` gives its \
                 administrator a new password"
            );
        }
    }
    let storage = relais_api::storage::open(&config.storage())?;
    if config.sandbox_secret.as_ref().is_some_and(|s| s.len() < 16) {
        anyhow::bail!("sandbox_secret: at least 16 bytes");
    }
    let transports = outside::transports(&config)?;
    let payments = outside::payments(&config, &db)?;
    let mut state =
        relais_api::AppState::new(db, storage, config.api_settings()).with_transports(transports);
    if let Some(provider) = payments {
        state = state.with_payments(provider);
    }
    state.jobs = state.jobs.with_workers(config.job_workers.get());
    if !config.rates_url.trim().is_empty() {
        state.rates.follow(config.rates_url.trim().to_owned());
    }
    if let Some(client) = erp {
        tracing::info!(
            erp = relais_erp::Erp::name(&client),
            "third parties come from the ERP"
        );
        state = state.with_erp(std::sync::Arc::new(client));
    }
    let iot = match config.iot() {
        Some(iot) => {
            iot.address().map_err(anyhow::Error::msg)?;
            let link = relais_iot::IotLink::new(state.db.clone(), iot);
            state.metrics.register_collector(Box::new(link.metrics()));
            Some(tokio::spawn(async move {
                if let Err(err) = link.run(std::future::pending()).await {
                    tracing::error!(error = %err, "IoT link stopped");
                }
            }))
        }
        None => {
            tracing::info!("IoT link disabled: no mqtt_url configured");
            None
        }
    };
    let access_log = state.access_log.clone();
    let app = relais_api::app(state)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(address = %config.listen, "relais listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    if let Some(iot) = iot {
        iot.abort();
    }
    // Every request served has its access-log row written before the process ends.
    access_log.flush().await;
    tracing::info!("relais stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
