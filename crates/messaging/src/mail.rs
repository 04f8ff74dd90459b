//! Mail: one [`Mail`] (one sender, one recipient, a plain text body and an optional HTML one) turned
//! into an RFC 5322 message and handed to a [`Mailer`].
//!
//! [`SmtpMailer`] submits it to an SMTP relay (implicit TLS on 465, STARTTLS on 587, or plain for a
//! local relay), [`OutboxMailer`] writes it as an `.eml` file that any mail client opens, the default
//! when no relay is configured. Both send the same bytes, built by lettre's message builder: a text
//! body alone is `text/plain; charset=utf-8`, text and HTML together a `multipart/alternative` whose
//! readers show the richest part they can.
//!
//! Each message gets a `Message-ID` of its own under the sender's domain, which is what
//! [`Delivery::Sent`] reports for SMTP: it is the one id that the relay's logs, the recipient's copy
//! and relais all share (the relay's queue id is in the `250` answer only, and differs per hop).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox as LettreMailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{
    Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use serde::Deserialize;

use crate::{ConfigError, Delivery, SendError, SendFuture};

/// How long one SMTP command may take, unless told otherwise (lettre's own default is 60 s).
const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Something that delivers mail: an SMTP relay, an outbox folder, a test double.
pub trait Mailer: Send + Sync {
    /// A stable key for the kind of transport (`"smtp"`, `"outbox"`), for settings and lists.
    fn provider_key(&self) -> &'static str;

    /// A short label for logs (kind and where to), never containing a secret.
    fn name(&self) -> &str;

    /// Sends one mail.
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a>;
}

/// A mail address with an optional display name (`Relais Support <support@example.com>`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Mailbox {
    /// The display name, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// The address itself (`support@example.com`).
    pub address: String,
}

impl Mailbox {
    /// A bare address, without display name.
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            name: None,
            address: address.into(),
        }
    }

    /// An address with a display name.
    pub fn named(name: impl Into<String>, address: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            address: address.into(),
        }
    }

    /// lettre's mailbox for this one, or why the address is not one; `role` names the header.
    fn to_lettre(&self, role: &str) -> Result<LettreMailbox, SendError> {
        let address: Address = self.address.trim().parse().map_err(|e| {
            SendError::permanent(format!(
                "the {role} address {:?} is not a mail address: {e}",
                self.address
            ))
        })?;
        let name = self
            .name
            .as_deref()
            .map(one_line)
            .filter(|name| !name.is_empty());
        Ok(LettreMailbox::new(name, address))
    }
}

/// One mail to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The sender (`From`), whose domain also names the `Message-ID`.
    pub from: Mailbox,
    /// Where answers should go (`Reply-To`), when not to the sender.
    pub reply_to: Option<Mailbox>,
    /// The recipient (`To`).
    pub to: Mailbox,
    /// The subject line; line breaks in it become spaces.
    pub subject: String,
    /// The plain text body, which every mail has.
    pub text_body: String,
    /// An HTML rendering of the same content, sent as the alternative part when present.
    pub html_body: Option<String>,
}

impl Mail {
    /// The message lettre sends, and its `Message-ID`.
    fn to_message(&self) -> Result<(Message, String), SendError> {
        let from = self.from.to_lettre("From")?;
        let to = self.to.to_lettre("To")?;
        let message_id = format!(
            "<{}@{}>",
            uuid::Uuid::new_v4().simple(),
            from.email.domain()
        );
        let mut builder = Message::builder()
            .message_id(Some(message_id.clone()))
            .from(from)
            .to(to)
            .subject(one_line(&self.subject));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.to_lettre("Reply-To")?);
        }
        let built = match &self.html_body {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                self.text_body.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(self.text_body.clone()),
        };
        let message =
            built.map_err(|e| SendError::permanent(format!("the mail cannot be built: {e}")))?;
        Ok((message, message_id))
    }
}

/// `text` on one line: a header must not be split by the caller's line breaks.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ").trim().to_owned()
}

/// The local default: each mail written as an `.eml` file (the message exactly as SMTP would carry
/// it) into a folder, created on first use; nothing leaves the machine.
#[derive(Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    label: String,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxMailer")
            .field("dir", &self.dir)
            .finish()
    }
}

impl OutboxMailer {
    /// An outbox writing into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            label: format!("outbox {}", dir.display()),
            transport: AsyncFileTransport::new(&dir),
            dir,
        }
    }

    /// The folder the `.eml` files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one mail; answers the file name (`<uuid>.eml`, in [`OutboxMailer::dir`]) as its id.
    pub async fn send(&self, mail: &Mail) -> Result<Delivery, SendError> {
        let (message, _) = mail.to_message()?;
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| self.io_error("cannot create", &e))?;
        let id = self.transport.send(message).await.map_err(|e| {
            match io_source(&e) {
                Some(io) => self.io_error("cannot write into", io),
                // The file transport fails on I/O only; keep whatever else it may say.
                None => SendError::transient(format!("{} failed: {e}", self.label)),
            }
        })?;
        let file = format!("{id}.eml");
        tracing::debug!(outbox = %self.dir.display(), file, "mail written to the outbox");
        Ok(Delivery::Sent {
            provider_id: Some(file),
        })
    }

    fn io_error(&self, what: &str, error: &io::Error) -> SendError {
        let message = format!("{what} the outbox {}: {error}", self.dir.display());
        match error.kind() {
            // Waiting will not grant the permission nor turn a file into a folder.
            io::ErrorKind::PermissionDenied
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::AlreadyExists => SendError::permanent(message),
            // A full disk, say, may have room later.
            _ => SendError::transient(message),
        }
    }
}

impl Mailer for OutboxMailer {
    fn provider_key(&self) -> &'static str {
        "outbox"
    }

    fn name(&self) -> &str {
        &self.label
    }

    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a> {
        Box::pin(OutboxMailer::send(self, mail))
    }
}

/// The first I/O error among the causes of `error`.
fn io_source<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a io::Error> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<io::Error>() {
            return Some(io);
        }
        cause = current.source();
    }
    None
}

/// How the connection to the SMTP relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// TLS from the first byte ("SMTPS", "implicit TLS"), port 465 by default: the safest.
    #[default]
    Tls,
    /// Plain connection upgraded with `STARTTLS`, port 587 by default; refused if the server cannot upgrade.
    StartTls,
    /// No encryption at all, port 25 by default: only for a relay on the same machine or network (and tests).
    None,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Tls => 465,
            Self::StartTls => 587,
            Self::None => 25,
        }
    }
}

/// Where and as whom to submit mail over SMTP.
///
/// `Debug` never shows the password.
#[derive(Clone, Deserialize)]
pub struct SmtpConfig {
    /// Host name of the relay (`smtp.example.com`), also the name its TLS certificate must carry.
    pub host: String,
    /// Port of the relay; `None` takes [`SmtpSecurity::default_port`].
    #[serde(default)]
    pub port: Option<u16>,
    /// How the connection is protected.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// User name for `AUTH` (PLAIN or LOGIN); `None` submits without authenticating.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for `AUTH`, given exactly when `username` is.
    #[serde(default)]
    pub password: Option<String>,
    /// A PEM file of one or more CA certificates trusted for the relay's certificate, besides the
    /// usual public roots: for a relay whose certificate a private CA signed. Unused without TLS.
    #[serde(default)]
    pub root_certificate: Option<PathBuf>,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("root_certificate", &self.root_certificate)
            .finish()
    }
}

impl SmtpConfig {
    /// The port connected to: the configured one, or the usual one for the security.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.security.default_port())
    }
}

/// A client of an SMTP relay (lettre's, over rustls), implementing [`Mailer`].
///
/// Each mail opens its own connection and closes it with `QUIT`: a back office sends a few mails at a
/// time, and a connection kept open would only meet the relay's idle timeout.
#[derive(Clone)]
pub struct SmtpMailer {
    config: SmtpConfig,
    label: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A client for this relay, with a 30 s timeout per SMTP command.
    pub fn new(config: SmtpConfig) -> Result<Self, ConfigError> {
        Self::with_timeout(config, DEFAULT_SMTP_TIMEOUT)
    }

    /// A client for this relay, with the given timeout per SMTP command.
    pub fn with_timeout(config: SmtpConfig, timeout: Duration) -> Result<Self, ConfigError> {
        let host = config.host.trim().to_owned();
        if host.is_empty() {
            return Err(ConfigError("SMTP host: is empty".into()));
        }
        let tls_parameters = || {
            let mut builder = TlsParameters::builder(host.clone());
            let Some(path) = &config.root_certificate else {
                return builder
                    .build()
                    .map_err(|e| ConfigError(format!("SMTP TLS for {host}: {e}")));
            };
            for certificate in root_certificates(path)? {
                builder = builder.add_root_certificate(certificate);
            }
            // The roots are checked (DER parsed) only here: name the file they came from.
            builder.build().map_err(|e| {
                ConfigError(format!(
                    "SMTP TLS for {host} with root_certificate {}: {e}",
                    path.display()
                ))
            })
        };
        let tls = match config.security {
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters()?),
            SmtpSecurity::StartTls => Tls::Required(tls_parameters()?),
            SmtpSecurity::None => Tls::None,
        };
        let port = config.port();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(timeout));
        match (&config.username, &config.password) {
            (Some(username), Some(password)) => {
                builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
            }
            (None, None) => {}
            (Some(_), None) => return Err(ConfigError("SMTP: a username without password".into())),
            (None, Some(_)) => return Err(ConfigError("SMTP: a password without username".into())),
        }
        let security = match config.security {
            SmtpSecurity::Tls => "TLS",
            SmtpSecurity::StartTls => "STARTTLS",
            SmtpSecurity::None => "unencrypted",
        };
        let label = format!("SMTP {host}:{port} ({security})");
        Ok(Self {
            transport: builder.build(),
            label,
            config,
        })
    }

    /// Submits one mail; answers its `Message-ID` as its id.
    pub async fn send(&self, mail: &Mail) -> Result<Delivery, SendError> {
        let (message, message_id) = mail.to_message()?;
        let response = self
            .transport
            .send(message)
            .await
            .map_err(|e| self.smtp_error(&e))?;
        tracing::debug!(
            mailer = %self.label,
            message_id,
            answer = response.first_line().unwrap_or_default(),
            "mail accepted by the SMTP relay"
        );
        Ok(Delivery::Sent {
            provider_id: Some(message_id),
        })
    }

    fn smtp_error(&self, error: &lettre::transport::smtp::Error) -> SendError {
        let mut detail = error.to_string();
        // lettre's Display already ends with its direct cause; add the deeper ones (the I/O error)
        // it has not said: a failed TLS upgrade nests the same error twice.
        let mut cause = std::error::Error::source(error).and_then(|c| c.source());
        while let Some(current) = cause {
            let text = current.to_string();
            if !detail.contains(&text) {
                detail.push_str(": ");
                detail.push_str(&text);
            }
            cause = current.source();
        }
        let message = format!("{}: {}", self.label, crate::http::excerpt(&detail));
        let sent = if error.is_permanent() {
            // 5xx: the relay refused for good (unknown recipient, refused credentials, policy).
            SendError::permanent(message)
        } else if error.is_client() {
            // lettre refused before sending, e.g. no AUTH mechanism in common: a configuration matter.
            SendError::permanent(message)
        } else {
            // 4xx (greylisting, full queue), network, TLS, timeouts, garbled answers: may pass later.
            SendError::transient(message)
        };
        match error.status() {
            Some(code) => sent.with_code(code.to_string()),
            None => sent,
        }
    }
}

/// The CA certificates of the PEM file at `path`, one [`Certificate`] each.
///
/// Each `CERTIFICATE` block is handed to lettre on its own: its `from_pem` takes every block with
/// rustls but only the first with the other TLS backends, and would take a file without any.
fn root_certificates(path: &Path) -> Result<Vec<Certificate>, ConfigError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let error =
        |why: String| ConfigError(format!("SMTP root_certificate {}: {why}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| error(format!("cannot be read: {e}")))?;
    // Lossy: a DER file given by mistake then reads as a file without certificate.
    let text = String::from_utf8_lossy(&bytes);
    let mut rest = text.as_ref();
    let mut certificates = Vec::new();
    while let Some(start) = rest.find(BEGIN) {
        let number = certificates.len() + 1;
        let end = rest[start..]
            .find(END)
            .map(|at| start + at + END.len())
            .ok_or_else(|| error(format!("certificate {number} has no END line")))?;
        let certificate = Certificate::from_pem(&rest.as_bytes()[start..end])
            .map_err(|e| error(format!("certificate {number}: {e}")))?;
        certificates.push(certificate);
        rest = &rest[end..];
    }
    if certificates.is_empty() {
        return Err(error(format!("holds no PEM certificate ({BEGIN})")));
    }
    Ok(certificates)
}

impl Mailer for SmtpMailer {
    fn provider_key(&self) -> &'static str {
        "smtp"
    }

    fn name(&self) -> &str {
        &self.label
    }

    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a> {
        Box::pin(SmtpMailer::send(self, mail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            from: Mailbox::named("Relais", "noreply@relais.example"),
            reply_to: None,
            to: Mailbox::new("rider@example.com"),
            subject: "Your ride\r\nBcc: evil@example.com".into(),
            text_body: "Thank you.".into(),
            html_body: None,
        }
    }

    #[test]
    fn message_ids_are_unique_under_the_sender_domain() {
        let (_, first) = mail().to_message().unwrap();
        let (_, second) = mail().to_message().unwrap();
        assert!(
            first.starts_with('<') && first.ends_with("@relais.example>"),
            "{first}"
        );
        assert_ne!(first, second);
    }

    #[test]
    fn line_breaks_cannot_add_headers() {
        let (message, _) = mail().to_message().unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert_eq!(message.envelope().to().len(), 1);
    }

    #[test]
    fn invalid_addresses_are_permanent_errors() {
        let mut bad = mail();
        bad.to = Mailbox::new("not an address");
        let error = bad.to_message().unwrap_err();
        assert!(!error.retryable);
        assert!(error.message.contains("To address"), "{error}");
    }

    #[test]
    fn credentials_come_in_pairs_and_stay_hidden() {
        let config = SmtpConfig {
            host: "smtp.example.com".into(),
            port: None,
            security: SmtpSecurity::StartTls,
            username: Some("relais".into()),
            password: Some("hunter2".into()),
            root_certificate: None,
        };
        assert_eq!(config.port(), 587);
        let mailer = SmtpMailer::new(config.clone()).unwrap();
        assert_eq!(mailer.name(), "SMTP smtp.example.com:587 (STARTTLS)");
        assert!(!format!("{mailer:?}").contains("hunter2"));
        let error = SmtpMailer::new(SmtpConfig {
            password: None,
            ..config
        })
        .unwrap_err();
        assert!(error.to_string().contains("without password"), "{error}");
    }

    #[test]
    fn root_certificate_problems_name_the_file() {
        let temp = tempfile::tempdir().unwrap();
        let config = |path: &Path| SmtpConfig {
            host: "smtp.example.com".into(),
            port: None,
            security: SmtpSecurity::Tls,
            username: None,
            password: None,
            root_certificate: Some(path.to_owned()),
        };
        let refused = |path: &Path| SmtpMailer::new(config(path)).unwrap_err().to_string();

        let missing = temp.path().join("missing-ca.pem");
        let error = refused(&missing);
        assert!(error.contains(&missing.display().to_string()), "{error}");
        assert!(error.contains("cannot be read"), "{error}");

        let empty = temp.path().join("empty-ca.pem");
        std::fs::write(
            &empty,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let error = refused(&empty);
        assert!(error.contains(&empty.display().to_string()), "{error}");
        assert!(error.contains("no PEM certificate"), "{error}");

        let garbled = temp.path().join("garbled-ca.pem");
        std::fs::write(
            &garbled,
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = refused(&garbled);
        assert!(error.contains(&garbled.display().to_string()), "{error}");

        // Valid base64, but no certificate inside: only rustls' parsing of the DER sees it.
        let not_der = temp.path().join("not-der-ca.pem");
        std::fs::write(
            &not_der,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = refused(&not_der);
        assert!(error.contains(&not_der.display().to_string()), "{error}");

        let truncated = temp.path().join("truncated-ca.pem");
        std::fs::write(&truncated, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
        let error = refused(&truncated);
        assert!(error.contains("no END line"), "{error}");

        // Without TLS there is no certificate to check: the file is not read.
        let plain = SmtpConfig {
            security: SmtpSecurity::None,
            ..config(&missing)
        };
        assert!(SmtpMailer::new(plain).is_ok());
    }
}
