//! The mailers: SMTP against a local stand-in relay that speaks enough SMTP (RFC 5321, with `AUTH`
//! PLAIN and LOGIN) to record what the client sent, and the outbox against a temporary folder.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use mailparse::{MailHeaderMap, ParsedMail};
use relais_messaging::Delivery;
use relais_messaging::mail::{
    Mail, Mailbox, Mailer, OutboxMailer, SmtpConfig, SmtpMailer, SmtpSecurity,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const USERNAME: &str = "relais@relay.example";
const PASSWORD: &str = "correct horse battery staple";

/// What one SMTP session told the stand-in.
#[derive(Debug, Default, Clone)]
struct Session {
    ehlo: Option<String>,
    /// (user name, password) of a successful `AUTH`.
    auth: Option<(String, String)>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    /// The message as received, dot-unstuffed, without the final `.` line.
    data: Option<String>,
    quit: bool,
}

/// A stand-in SMTP relay on a free local port.
struct Relay {
    address: SocketAddr,
    sessions: Arc<Mutex<Vec<Session>>>,
}

impl Relay {
    /// A relay that answers `rcpt_reply` to `RCPT TO` (`250 ...` to accept).
    async fn start(rcpt_reply: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&sessions);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let sessions = Arc::clone(&shared);
                tokio::spawn(async move {
                    let session = converse(stream, rcpt_reply).await;
                    sessions.lock().unwrap().push(session);
                });
            }
        });
        Self { address, sessions }
    }

    fn sessions(&self) -> Vec<Session> {
        self.sessions.lock().unwrap().clone()
    }

    fn config(&self) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(self.address.port()),
            security: SmtpSecurity::None,
            username: Some(USERNAME.into()),
            password: Some(PASSWORD.into()),
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

/// One SMTP session, server side.
async fn converse(stream: tokio::net::TcpStream, rcpt_reply: &str) -> Session {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut session = Session::default();
    write
        .write_all(b"220 stand-in.example ESMTP ready\r\n")
        .await
        .unwrap();
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: String = if let Some(name) = upper.strip_prefix("EHLO ") {
            session.ehlo = Some(name.to_owned());
            "250-stand-in.example greets you\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME".into()
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = match line.split_whitespace().nth(2) {
                Some(initial) => initial.to_owned(),
                None => {
                    write.write_all(b"334 \r\n").await.unwrap();
                    lines.next_line().await.unwrap().unwrap()
                }
            };
            let decoded = String::from_utf8(BASE64.decode(encoded.trim()).unwrap()).unwrap();
            // authzid NUL authcid NUL password
            let mut parts = decoded.split('\0').skip(1);
            let user = parts.next().unwrap_or_default().to_owned();
            let password = parts.next().unwrap_or_default().to_owned();
            authenticate(&mut session, user, password)
        } else if upper.starts_with("AUTH LOGIN") {
            let mut ask = async |prompt: &str| {
                write
                    .write_all(format!("334 {}\r\n", BASE64.encode(prompt)).as_bytes())
                    .await
                    .unwrap();
                let answer = lines.next_line().await.unwrap().unwrap();
                String::from_utf8(BASE64.decode(answer.trim()).unwrap()).unwrap()
            };
            let user = ask("Username:").await;
            let password = ask("Password:").await;
            authenticate(&mut session, user, password)
        } else if upper.starts_with("MAIL FROM:") {
            session.mail_from = Some(angle_address(&line));
            "250 2.1.0 Ok".into()
        } else if upper.starts_with("RCPT TO:") {
            if rcpt_reply.starts_with("250") {
                session.rcpt_to.push(angle_address(&line));
            }
            rcpt_reply.into()
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .unwrap();
            let mut data = String::new();
            loop {
                let line = lines.next_line().await.unwrap().unwrap();
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
            write.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
            break;
        } else {
            "502 5.5.2 Command not recognized".into()
        };
        write
            .write_all(format!("{reply}\r\n").as_bytes())
            .await
            .unwrap();
    }
    session
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

#[tokio::test]
async fn smtp_submits_an_authenticated_multipart_mail() {
    let relay = Relay::start("250 2.1.5 Ok").await;
    let mailer = SmtpMailer::new(relay.config()).unwrap();
    let message_id = provider_id(mailer.send(&mail()).await.unwrap());

    let sessions = relay.finished_sessions(1).await;
    let session = &sessions[0];
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
