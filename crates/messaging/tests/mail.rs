//! The mailers: SMTP against a local stand-in relay that speaks enough SMTP (RFC 5321, with `AUTH`
//! PLAIN and LOGIN) to record what the client sent, in the clear, over implicit TLS or upgraded with
//! `STARTTLS` (RFC 3207), with a certificate from a CA made for the test; and the outbox against a
//! temporary folder.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use mailparse::{MailHeaderMap, ParsedMail};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use relais_messaging::Delivery;
use relais_messaging::mail::{
    Mail, Mailbox, Mailer, OutboxMailer, SmtpConfig, SmtpMailer, SmtpSecurity,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, Lines};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

const USERNAME: &str = "relais@relay.example";
const PASSWORD: &str = "correct horse battery staple";

/// What one SMTP session told the stand-in.
#[derive(Debug, Default, Clone)]
struct Session {
    /// Every command's verb (`EHLO`, `AUTH`, `MAIL`...), and whether it came over TLS.
    commands: Vec<(String, bool)>,
    /// Why the TLS handshake failed, if it did: then nothing was said over it.
    tls_error: Option<String>,
    /// The last `EHLO` name; forgotten by a `STARTTLS` upgrade, as RFC 3207 has it.
    ehlo: Option<String>,
    /// (user name, password) of a successful `AUTH`.
    auth: Option<(String, String)>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    /// The message as received, dot-unstuffed, without the final `.` line.
    data: Option<String>,
    quit: bool,
}

/// A throwaway CA and the certificate it signed for `localhost` and `127.0.0.1`, with the CA's PEM
/// in a file for the client's `root_certificate`.
struct Pki {
    acceptor: TlsAcceptor,
    root: tempfile::NamedTempFile,
}

impl Pki {
    fn new() -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(DnType::CommonName, "relais test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        // ring, as lettre's client: the workspace builds no other rustls provider.
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let mut root = tempfile::NamedTempFile::new().unwrap();
        io::Write::write_all(&mut root, ca.pem().as_bytes()).unwrap();
        Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            root,
        }
    }

    fn root_certificate(&self) -> PathBuf {
        self.root.path().to_owned()
    }
}

/// How the stand-in protects its sessions.
#[derive(Clone)]
enum Guard {
    Plain,
    /// TLS from the first byte.
    Tls(TlsAcceptor),
    /// Plain, upgraded on `STARTTLS`, which it offers; `AUTH` before that is refused.
    StartTls(TlsAcceptor),
}

/// A stand-in SMTP relay on a free local port.
struct Relay {
    address: SocketAddr,
    sessions: Arc<Mutex<Vec<Session>>>,
    security: SmtpSecurity,
}

impl Relay {
    /// A plain relay that answers `rcpt_reply` to `RCPT TO` (`250 ...` to accept).
    async fn start(rcpt_reply: &'static str) -> Self {
        Self::guarded(Guard::Plain, rcpt_reply).await
    }

    /// A relay speaking TLS from the first byte with the certificate of `pki`.
    async fn tls(pki: &Pki) -> Self {
        Self::guarded(Guard::Tls(pki.acceptor.clone()), "250 2.1.5 Ok").await
    }

    /// A relay offering `STARTTLS` with the certificate of `pki`.
    async fn starttls(pki: &Pki) -> Self {
        Self::guarded(Guard::StartTls(pki.acceptor.clone()), "250 2.1.5 Ok").await
    }

    async fn guarded(guard: Guard, rcpt_reply: &'static str) -> Self {
        let security = match guard {
            Guard::Plain => SmtpSecurity::None,
            Guard::Tls(_) => SmtpSecurity::Tls,
            Guard::StartTls(_) => SmtpSecurity::StartTls,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&sessions);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let sessions = Arc::clone(&shared);
                let guard = guard.clone();
                tokio::spawn(async move {
                    let session = converse(stream, guard, rcpt_reply).await;
                    sessions.lock().unwrap().push(session);
                });
            }
        });
        Self {
            address,
            sessions,
            security,
        }
    }

    fn sessions(&self) -> Vec<Session> {
        self.sessions.lock().unwrap().clone()
    }

    /// The client's configuration for this relay, trusting no private CA.
    fn config(&self) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(self.address.port()),
            security: self.security,
            username: Some(USERNAME.into()),
            password: Some(PASSWORD.into()),
            root_certificate: None,
        }
    }

    /// The client's configuration for this relay, trusting the CA in `root`.
    fn config_trusting(&self, root: &Path) -> SmtpConfig {
        SmtpConfig {
            root_certificate: Some(root.to_owned()),
            ..self.config()
        }
    }

    /// The sessions once the client has hung up (the stand-in records a session when it ends).
    async fn finished_sessions(&self, count: usize) -> Vec<Session> {
        for _ in 0..200 {
            let sessions = self.sessions();
            if sessions.len() >= count {
                return sessions;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {count} SMTP sessions, got {:?}", self.sessions());
    }
}

/// A connection, plain or TLS, the same to the conversation.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The server's side of one connection: lines in, replies out.
struct Wire {
    lines: Lines<BufReader<Box<dyn Stream>>>,
    encrypted: bool,
}

impl Wire {
    fn new(stream: Box<dyn Stream>, encrypted: bool) -> Self {
        Self {
            lines: BufReader::new(stream).lines(),
            encrypted,
        }
    }

    async fn line(&mut self) -> io::Result<String> {
        self.lines
            .next_line()
            .await?
            .ok_or_else(|| io::ErrorKind::UnexpectedEof.into())
    }

    async fn reply(&mut self, reply: &str) -> io::Result<()> {
        let stream = self.lines.get_mut().get_mut();
        stream.write_all(format!("{reply}\r\n").as_bytes()).await?;
        // rustls keeps what is written until flushed.
        stream.flush().await
    }
}

/// One SMTP session, server side; whatever the client did, what it said until it hung up.
async fn converse(stream: TcpStream, guard: Guard, rcpt_reply: &str) -> Session {
    let mut session = Session::default();
    let wire = match &guard {
        Guard::Tls(acceptor) => match acceptor.accept(stream).await {
            Ok(tls) => Wire::new(Box::new(tls), true),
            Err(e) => {
                session.tls_error = Some(e.to_string());
                return session;
            }
        },
        Guard::Plain | Guard::StartTls(_) => Wire::new(Box::new(stream), false),
    };
    // A client hanging up or breaking the session ends it: what it said so far is the record.
    let _ = talk(wire, &guard, rcpt_reply, &mut session).await;
    session
}

async fn talk(
    mut wire: Wire,
    guard: &Guard,
    rcpt_reply: &str,
    session: &mut Session,
) -> io::Result<()> {
    wire.reply("220 stand-in.example ESMTP ready").await?;
    loop {
        let line = wire.line().await?;
        let upper = line.to_ascii_uppercase();
        let verb = upper
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        session.commands.push((verb, wire.encrypted));
        let upgradable = matches!(guard, Guard::StartTls(_)) && !wire.encrypted;
        let reply: String = if let Some(name) = upper.strip_prefix("EHLO ") {
            session.ehlo = Some(name.to_owned());
            // AUTH offered in the clear too: a client skipping the upgrade tries it, and is refused.
            let starttls = if upgradable { "250-STARTTLS\r\n" } else { "" };
            format!(
                "250-stand-in.example greets you\r\n{starttls}250-AUTH PLAIN LOGIN\r\n250 8BITMIME"
            )
        } else if upper == "STARTTLS" {
            let Guard::StartTls(acceptor) = guard else {
                wire.reply("502 5.5.1 STARTTLS not offered").await?;
                continue;
            };
            if wire.encrypted {
                wire.reply("554 5.5.1 TLS already active").await?;
                continue;
            }
            wire.reply("220 2.0.0 Ready to start TLS").await?;
            let reader = wire.lines.into_inner();
            // Lines sent in the clear after STARTTLS must not count as encrypted (the command
            // injection flaw, CVE-2011-0411).
            if !reader.buffer().is_empty() {
                session.tls_error = Some("commands pipelined after STARTTLS".into());
                return Ok(());
            }
            match acceptor.accept(reader.into_inner()).await {
                Ok(tls) => wire = Wire::new(Box::new(tls), true),
                Err(e) => {
                    session.tls_error = Some(e.to_string());
                    return Ok(());
                }
            }
            // RFC 3207, 4.2: the upgrade forgets the greeting; the client must say EHLO again.
            session.ehlo = None;
            continue;
        } else if upper.starts_with("AUTH") && upgradable {
            // As relays that allow AUTH only over TLS (Postfix's smtpd_tls_auth_only).
            "530 5.7.0 Must issue a STARTTLS command first".into()
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = match line.split_whitespace().nth(2) {
                Some(initial) => initial.to_owned(),
                None => {
                    wire.reply("334 ").await?;
                    wire.line().await?
                }
            };
            let decoded = String::from_utf8(BASE64.decode(encoded.trim()).unwrap()).unwrap();
            // authzid NUL authcid NUL password
            let mut parts = decoded.split('\0').skip(1);
            let user = parts.next().unwrap_or_default().to_owned();
            let password = parts.next().unwrap_or_default().to_owned();
            authenticate(session, user, password)
        } else if upper.starts_with("AUTH LOGIN") {
            let mut ask = async |prompt: &str| -> io::Result<String> {
                wire.reply(&format!("334 {}", BASE64.encode(prompt)))
                    .await?;
                let answer = wire.line().await?;
                Ok(String::from_utf8(BASE64.decode(answer.trim()).unwrap()).unwrap())
            };
            let user = ask("Username:").await?;
            let password = ask("Password:").await?;
            authenticate(session, user, password)
        } else if upper.starts_with("MAIL FROM:") {
            session.mail_from = Some(angle_address(&line));
            "250 2.1.0 Ok".into()
        } else if upper.starts_with("RCPT TO:") {
            if rcpt_reply.starts_with("250") {
                session.rcpt_to.push(angle_address(&line));
            }
            rcpt_reply.into()
        } else if upper == "DATA" {
            wire.reply("354 End data with <CR><LF>.<CR><LF>").await?;
            let mut data = String::new();
            loop {
                let line = wire.line().await?;
                if line == "." {
                    break;
                }
                // RFC 5321, 4.5.2: the client put a dot before every line that starts with one.
                let line = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(line);
                data.push_str("\r\n");
            }
            session.data = Some(data);
            "250 2.0.0 Ok: queued as 4F2A9C".into()
        } else if upper == "RSET" || upper == "NOOP" {
            "250 2.0.0 Ok".into()
        } else if upper == "QUIT" {
            session.quit = true;
            return wire.reply("221 2.0.0 Bye").await;
        } else {
            "502 5.5.2 Command not recognized".into()
        };
        wire.reply(&reply).await?;
    }
}

fn authenticate(session: &mut Session, user: String, password: String) -> String {
    if user == USERNAME && password == PASSWORD {
        session.auth = Some((user, password));
        "235 2.7.0 Authentication successful".into()
    } else {
        "535 5.7.8 Authentication credentials invalid".into()
    }
}

/// The address inside `<...>` of a `MAIL FROM:` or `RCPT TO:` line.
fn angle_address(line: &str) -> String {
    let start = line.find('<').unwrap() + 1;
    let end = line[start..].find('>').unwrap() + start;
    line[start..end].to_owned()
}

fn mail() -> Mail {
    Mail {
        from: Mailbox::named("Relais Lyon", "noreply@relais.example"),
        reply_to: Some(Mailbox::named("Support", "support@relais.example")),
        to: Mailbox::named("Ada Lovelace", "ada@rider.example"),
        subject: "Your ride receipt".into(),
        text_body: "Thank you for riding with us.\nTotal: 3.40 EUR".into(),
        html_body: Some("<p>Thank you for riding with us.</p><p>Total: <b>3.40 EUR</b></p>".into()),
    }
}

fn header(parsed: &ParsedMail<'_>, name: &str) -> String {
    parsed
        .headers
        .get_first_value(name)
        .unwrap_or_else(|| panic!("no {name} header"))
}

fn provider_id(delivery: Delivery) -> String {
    match delivery {
        Delivery::Sent {
            provider_id: Some(id),
        } => id,
        other => panic!("expected a sent mail with an id, got {other:?}"),
    }
}

/// The session submitted [`mail`] whole, authenticated, under `message_id`, and said `QUIT`.
fn assert_receipt_submitted(session: &Session, message_id: &str) {
    assert!(session.ehlo.is_some());
    assert_eq!(
        session.auth,
        Some((USERNAME.to_owned(), PASSWORD.to_owned()))
    );
    assert_eq!(session.mail_from.as_deref(), Some("noreply@relais.example"));
    assert_eq!(session.rcpt_to, ["ada@rider.example"]);
    assert!(session.quit, "the client closes with QUIT");

    let data = session.data.as_ref().expect("a message");
    let parsed = mailparse::parse_mail(data.as_bytes()).unwrap();
    assert_eq!(header(&parsed, "Subject"), "Your ride receipt");
    assert_eq!(header(&parsed, "Message-ID"), message_id);
    assert!(message_id.ends_with("@relais.example>"), "{message_id}");
    assert!(header(&parsed, "From").contains("noreply@relais.example"));
    assert!(header(&parsed, "To").contains("ada@rider.example"));
    assert!(header(&parsed, "Reply-To").contains("support@relais.example"));
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    let parts: Vec<(String, String)> = parsed
        .subparts
        .iter()
        .map(|part| (part.ctype.mimetype.clone(), part.get_body().unwrap()))
        .collect();
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0].0, "text/plain");
    assert!(parts[0].1.contains("Total: 3.40 EUR"), "{parts:?}");
    assert_eq!(parts[1].0, "text/html");
    assert!(parts[1].1.contains("<b>3.40 EUR</b>"), "{parts:?}");
}

/// The verbs of the session's commands sent in the clear (`false`) or over TLS (`true`).
fn verbs(session: &Session, encrypted: bool) -> Vec<&str> {
    session
        .commands
        .iter()
        .filter(|(_, tls)| *tls == encrypted)
        .map(|(verb, _)| verb.as_str())
        .collect()
}

#[tokio::test]
async fn smtp_submits_an_authenticated_multipart_mail() {
    let relay = Relay::start("250 2.1.5 Ok").await;
    let mailer = SmtpMailer::new(relay.config()).unwrap();
    let message_id = provider_id(mailer.send(&mail()).await.unwrap());

    let sessions = relay.finished_sessions(1).await;
    assert_receipt_submitted(&sessions[0], &message_id);
}

#[tokio::test]
async fn smtp_over_implicit_tls_submits_an_authenticated_multipart_mail() {
    let pki = Pki::new();
    let relay = Relay::tls(&pki).await;
    let mailer = SmtpMailer::new(relay.config_trusting(&pki.root_certificate())).unwrap();
    assert!(mailer.name().ends_with("(TLS)"), "{}", mailer.name());
    let message_id = provider_id(mailer.send(&mail()).await.unwrap());

    let sessions = relay.finished_sessions(1).await;
    let session = &sessions[0];
    assert_eq!(session.tls_error, None);
    assert_eq!(
        verbs(session, false),
        Vec::<&str>::new(),
        "nothing in the clear"
    );
    assert_eq!(verbs(session, true)[0], "EHLO");
    assert_receipt_submitted(session, &message_id);
}

#[tokio::test]
async fn smtp_over_starttls_upgrades_before_auth_and_submits() {
    let pki = Pki::new();
    let relay = Relay::starttls(&pki).await;
    let mailer = SmtpMailer::new(relay.config_trusting(&pki.root_certificate())).unwrap();
    let message_id = provider_id(mailer.send(&mail()).await.unwrap());

    let sessions = relay.finished_sessions(1).await;
    let session = &sessions[0];
    assert_eq!(session.tls_error, None);
    // Only the greeting and the upgrade in the clear: AUTH (the password) and MAIL FROM after it.
    assert_eq!(verbs(session, false), ["EHLO", "STARTTLS"]);
    let encrypted = verbs(session, true);
    assert_eq!(
        encrypted[0], "EHLO",
        "EHLO again once upgraded: {encrypted:?}"
    );
    let at = |verb| encrypted.iter().position(|v| *v == verb);
    assert!(
        at("AUTH").is_some() && at("AUTH") < at("MAIL"),
        "{encrypted:?}"
    );
    assert_receipt_submitted(session, &message_id);
}

/// An untrusted certificate is retryable: the refusal is about the relay, not the message nor the
/// credentials (nothing was sent), and the usual causes pass without a change to the mail: a
/// relay's certificate renewed late or mid-rotation, a middlebox on the way. The five attempts
/// over some forty minutes leave time for that, and the error names the certificate for the rest.
#[tokio::test]
async fn smtp_over_tls_refuses_a_relay_not_signed_by_the_root() {
    let pki = Pki::new();
    let other = Pki::new();
    for relay in [Relay::tls(&pki).await, Relay::starttls(&pki).await] {
        // The public roots alone, then a private CA that is not the relay's.
        let configs = [
            relay.config(),
            relay.config_trusting(&other.root_certificate()),
        ];
        for (attempt, config) in configs.into_iter().enumerate() {
            let mailer = SmtpMailer::new(config).unwrap();
            let error = mailer.send(&mail()).await.unwrap_err();
            assert!(error.retryable, "{error}");
            assert!(error.message.contains("certificate"), "{error}");
            assert!(!error.to_string().contains(PASSWORD), "{error}");
            assert!(!format!("{error:?}").contains(PASSWORD), "{error:?}");

            let sessions = relay.finished_sessions(attempt + 1).await;
            let session = &sessions[attempt];
            assert!(session.tls_error.is_some(), "{session:?}");
            assert_eq!(verbs(session, true), Vec::<&str>::new(), "{session:?}");
            assert!(
                session.auth.is_none() && session.mail_from.is_none(),
                "{session:?}"
            );
            if relay.security == SmtpSecurity::StartTls {
                assert_eq!(verbs(session, false), ["EHLO", "STARTTLS"]);
            } else {
                assert_eq!(verbs(session, false), Vec::<&str>::new());
            }
        }
    }
}

/// Not retryable: a relay that does not offer STARTTLS will not start to by itself; the setting
/// (`tls` on 465, say) or the relay needs a change. Sending without it is what `starttls` forbids.
#[tokio::test]
async fn smtp_starttls_without_an_offer_sends_nothing_in_clear() {
    let pki = Pki::new();
    let relay = Relay::start("250 2.1.5 Ok").await;
    let config = SmtpConfig {
        security: SmtpSecurity::StartTls,
        ..relay.config_trusting(&pki.root_certificate())
    };
    let mailer = SmtpMailer::new(config).unwrap();
    let error = mailer.send(&mail()).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("STARTTLS"), "{error}");
    assert!(!error.to_string().contains(PASSWORD), "{error}");

    let sessions = relay.finished_sessions(1).await;
    let session = &sessions[0];
    let clear = verbs(session, false);
    assert!(
        clear.iter().all(|verb| ["EHLO", "QUIT"].contains(verb)),
        "{clear:?}"
    );
    assert!(session.auth.is_none(), "{session:?}");
    assert!(
        session.mail_from.is_none() && session.data.is_none(),
        "{session:?}"
    );
}

#[tokio::test]
async fn smtp_sends_text_only_mail_as_plain_text() {
    let relay = Relay::start("250 2.1.5 Ok").await;
    let mailer: Arc<dyn Mailer> = Arc::new(SmtpMailer::new(relay.config()).unwrap());
    assert_eq!(mailer.provider_key(), "smtp");
    let text_only = Mail {
        html_body: None,
        reply_to: None,
        subject: "Réinitialisation du mot de passe".into(),
        text_body: "Bonjour,\n.\nVotre code : 123456".into(),
        ..mail()
    };
    let shared = Arc::clone(&mailer);
    tokio::spawn(async move { shared.send(&text_only).await })
        .await
        .unwrap()
        .unwrap();
    let sessions = relay.finished_sessions(1).await;
    let parsed = mailparse::parse_mail(sessions[0].data.as_ref().unwrap().as_bytes()).unwrap();
    assert_eq!(
        header(&parsed, "Subject"),
        "Réinitialisation du mot de passe"
    );
    assert_eq!(parsed.ctype.mimetype, "text/plain");
    assert_eq!(parsed.ctype.charset, "utf-8");
    assert!(parsed.headers.get_first_value("Reply-To").is_none());
    // The lone dot line survived the SMTP dot-stuffing.
    assert_eq!(
        parsed.get_body().unwrap().replace("\r\n", "\n").trim_end(),
        "Bonjour,\n.\nVotre code : 123456"
    );
}

#[tokio::test]
async fn smtp_refused_recipient_is_not_retryable() {
    let relay = Relay::start("550 5.1.1 <ada@rider.example>: Recipient address rejected").await;
    let mailer = SmtpMailer::new(relay.config()).unwrap();
    let error = mailer.send(&mail()).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("550"));
    assert!(
        error.message.contains("Recipient address rejected"),
        "{error}"
    );
    assert!(!error.to_string().contains(PASSWORD), "{error}");
    let sessions = relay.finished_sessions(1).await;
    assert!(
        sessions[0].data.is_none(),
        "no DATA after a refused recipient"
    );
}

#[tokio::test]
async fn smtp_temporary_refusal_is_retryable() {
    let relay = Relay::start("450 4.2.1 Mailbox busy, try again later").await;
    let mailer = SmtpMailer::new(relay.config()).unwrap();
    let error = mailer.send(&mail()).await.unwrap_err();
    assert!(error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("450"));
}

#[tokio::test]
async fn smtp_refused_credentials_are_not_retryable_and_not_shown() {
    let relay = Relay::start("250 2.1.5 Ok").await;
    let config = SmtpConfig {
        password: Some("wrong-password-0000".into()),
        ..relay.config()
    };
    let mailer = SmtpMailer::new(config).unwrap();
    let error = mailer.send(&mail()).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("535"));
    assert!(
        !error.to_string().contains("wrong-password-0000"),
        "{error}"
    );
    assert!(!format!("{error:?}").contains("wrong-password-0000"));
    assert!(!format!("{mailer:?}").contains("wrong-password-0000"));
}

#[tokio::test]
async fn smtp_unreachable_relay_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mailer = SmtpMailer::new(SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: None,
        password: None,
        root_certificate: None,
    })
    .unwrap();
    let error = mailer.send(&mail()).await.unwrap_err();
    assert!(error.retryable, "{error}");
    assert!(
        error.message.contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

#[tokio::test]
async fn outbox_writes_parseable_eml_files() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("var").join("outbox");
    let outbox = OutboxMailer::new(&dir);
    assert_eq!(Mailer::provider_key(&outbox), "outbox");
    let first = provider_id(outbox.send(&mail()).await.unwrap());
    let second = provider_id(
        outbox
            .send(&Mail {
                subject: "Votre trajet – reçu".into(),
                html_body: None,
                ..mail()
            })
            .await
            .unwrap(),
    );
    assert_ne!(first, second);
    assert!(first.ends_with(".eml"), "{first}");

    let bytes = std::fs::read(dir.join(&first)).unwrap();
    let parsed = mailparse::parse_mail(&bytes).unwrap();
    assert_eq!(header(&parsed, "Subject"), "Your ride receipt");
    assert!(header(&parsed, "To").contains("Ada Lovelace"));
    assert!(header(&parsed, "To").contains("ada@rider.example"));
    assert!(header(&parsed, "Date").contains(':'), "an RFC 5322 date");
    assert!(header(&parsed, "Message-ID").ends_with("@relais.example>"));
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    assert!(parsed.subparts[0].get_body().unwrap().contains("Thank you"));

    let bytes = std::fs::read(dir.join(&second)).unwrap();
    let parsed = mailparse::parse_mail(&bytes).unwrap();
    assert_eq!(header(&parsed, "Subject"), "Votre trajet – reçu");
    assert_eq!(parsed.ctype.mimetype, "text/plain");
    assert!(parsed.get_body().unwrap().contains("3.40 EUR"));

    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(files, expected, "one .eml per mail, nothing else");
}

#[tokio::test]
async fn outbox_over_a_file_is_not_retryable() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("outbox");
    std::fs::write(&file, "not a folder").unwrap();
    let error = OutboxMailer::new(&file).send(&mail()).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("outbox"), "{error}");
}

#[tokio::test]
async fn invalid_recipient_is_refused_before_sending() {
    let relay = Relay::start("250 2.1.5 Ok").await;
    let mailer = SmtpMailer::new(relay.config()).unwrap();
    let bad = Mail {
        to: Mailbox::new("ada at rider dot example"),
        ..mail()
    };
    let error = mailer.send(&bad).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("To address"), "{error}");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        relay.sessions().is_empty(),
        "no connection for a mail that cannot be built"
    );
}
