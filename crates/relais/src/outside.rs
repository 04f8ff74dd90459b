//! The outside services of the configuration: how mails, push notifications and SMS travel,
//! which payment provider riders' methods are saved with, and where reference rates come from.
//! Each section is read by the crate that speaks its protocol (`relais_messaging`,
//! `relais_payments`); a `<key>_file` beside a missing `<key>` is read from that file, so that
//! secrets can be mounted as files.

use crate::config::Config;
use anyhow::Context;
use figment::value::{Dict, Value};
use relais_api::outbox::dispatch::Transports;
use std::sync::Arc;

/// `section`, its `*_file` keys read into their siblings, as `T`.
fn read<T: serde::de::DeserializeOwned>(name: &str, section: &Value) -> anyhow::Result<T> {
    let mut section = section.clone();
    if let Value::Dict(_, dict) = &mut section {
        resolve_files(dict).with_context(|| format!("[{name}]"))?;
    }
    section
        .deserialize()
        .with_context(|| format!("invalid [{name}] configuration"))
}

fn resolve_files(dict: &mut Dict) -> anyhow::Result<()> {
    let files: Vec<(String, String)> = dict
        .iter()
        .filter_map(|(key, value)| {
            let sibling = key.strip_suffix("_file")?;
            let path = value.as_str()?;
            (!dict.contains_key(sibling)).then(|| (sibling.to_owned(), path.to_owned()))
        })
        .collect();
    for (key, path) in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {key}_file {path}"))?;
        dict.insert(key, Value::from(text.trim_end().to_owned()));
    }
    for value in dict.values_mut() {
        if let Value::Dict(_, inner) = value {
            resolve_files(inner)?;
        }
    }
    Ok(())
}

/// The transports the configuration asks for: mail by SMTP (`[smtp]`) or, by default, to the
/// outbox folder; push by FCM (`[fcm]`) and APNs (`[apns]`); SMS by Twilio (`[twilio]`). A
/// channel without a transport keeps its messages, recorded and visible, unsent.
pub fn transports(config: &Config) -> anyhow::Result<Transports> {
    use relais_messaging::mail::{OutboxMailer, SmtpConfig, SmtpMailer};
    use relais_messaging::push::{ApnsClient, ApnsConfig, FcmClient, FcmConfig, ServiceAccount};
    use relais_messaging::sms::{TwilioClient, TwilioConfig};
    let mut transports = Transports {
        mail_from: config.mail_from.clone(),
        ..Transports::default()
    };
    transports.mail = Some(match &config.smtp {
        Some(section) => {
            let smtp: SmtpConfig = read("smtp", section)?;
            tracing::info!(host = %smtp.host, "mail goes out by SMTP");
            Arc::new(SmtpMailer::new(smtp).map_err(anyhow::Error::msg)?)
        }
        None => {
            let dir = config
                .outbox_dir
                .clone()
                .unwrap_or_else(|| config.data_dir.join("outbox"));
            tracing::info!(dir = %dir.display(), "mail is written to the outbox folder");
            Arc::new(OutboxMailer::new(dir))
        }
    });
    if let Some(section) = &config.fcm {
        #[derive(serde::Deserialize)]
        struct Fcm {
            service_account_file: std::path::PathBuf,
        }
        let fcm: Fcm = read("fcm", section)?;
        let json = std::fs::read_to_string(&fcm.service_account_file)
            .context("cannot read [fcm] service_account_file")?;
        let account = ServiceAccount::from_json(&json).map_err(anyhow::Error::msg)?;
        transports.android = Some(Arc::new(
            FcmClient::new(FcmConfig::new(account)).map_err(anyhow::Error::msg)?,
        ));
    }
    if let Some(section) = &config.apns {
        let apns: ApnsConfig = read("apns", section)?;
        transports.ios = Some(Arc::new(ApnsClient::new(apns).map_err(anyhow::Error::msg)?));
    }
    if let Some(section) = &config.twilio {
        let twilio: TwilioConfig = read("twilio", section)?;
        transports.sms = Some(Arc::new(
            TwilioClient::new(twilio).map_err(anyhow::Error::msg)?,
        ));
    }
    Ok(transports)
}

/// The payment provider of `[payments]`; `None` keeps the sandbox on the server's database.
pub fn payments(
    config: &Config,
    db: &relais_store::Db,
) -> anyhow::Result<Option<Arc<dyn relais_payments::PaymentProvider>>> {
    let Some(section) = &config.payments else {
        return Ok(None);
    };
    let payments: relais_payments::PaymentsConfig = read("payments", section)?;
    let ledger = Arc::new(relais_store::sandbox::SqlLedger::new(db.clone()));
    let provider =
        relais_payments::build_provider(&payments, ledger).map_err(anyhow::Error::msg)?;
    tracing::info!(
        provider = provider.key().as_str(),
        "riders' payment methods are saved with this provider"
    );
    Ok(Some(provider))
}
