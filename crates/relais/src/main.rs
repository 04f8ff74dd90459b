//! `relais`: the back office for shared-mobility operators and their logistics partners.

mod config;
mod demo;
mod hauler_cli;
mod partner_account;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use config::{Config, LogFormat, Overrides};
use relais_domain::credentials::{MIN_PASSWORD_LEN, hash_password};
use relais_store::users::NewUser;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// Load the demonstration dataset.
    Demo,
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
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
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
        Command::Demo => {
            let db = open(&config).await?;
            report_demo(demo::load(&db).await?);
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    password_stdin: _,
                    first_name,
                    last_name,
                },
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < MIN_PASSWORD_LEN {
                bail!("the password must be at least {MIN_PASSWORD_LEN} characters long");
            }
            let db = open(&config).await?;
            let user = relais_store::setup::create_admin(
                &db,
                NewUser {
                    email: email.clone(),
                    password_hash: Some(hash_password(password)),
                    first_name,
                    last_name,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot create {email}: {e}"))?;
            println!("administrator {} created (id {})", user.email, user.id);
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    email,
                    label,
                    expires_in_days,
                },
        } => {
            let db = open(&config).await?;
            let Some(user) = relais_store::users::find_by_email(&db, &email).await? else {
                bail!("no user with email {email}");
            };
            let expires = expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(d));
            let (_, token) = relais_store::tokens::issue(&db, user.id, &label, expires).await?;
            println!("{token}");
        }
    }
    Ok(())
}

fn report_demo(loaded: Option<demo::Loaded>) {
    match loaded {
        Some(loaded) => {
            println!("demonstration dataset loaded");
            println!("administrator: {}", loaded.admin_email);
            println!("password: {}", loaded.admin_password);
        }
        None => println!("demonstration dataset already loaded"),
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
    if demo && relais_store::setup::is_empty(&db).await? {
        report_demo(demo::load(&db).await?);
    }
    let storage = relais_api::storage::open(&config.storage())?;
    let mut state = relais_api::AppState::new(db, storage, config.api_settings());
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
