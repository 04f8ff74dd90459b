//! `relais token ...`: create, list and revoke API tokens. A token's secret is printed once, at
//! creation; afterwards it is known by its id, the part before the dot.

use anyhow::bail;
use chrono::{DateTime, SecondsFormat, Utc};
use relais_store::{Db, tokens, users};

/// Run `relais token create`: print the new token, alone on its line.
pub async fn create(
    db: &Db,
    email: &str,
    label: &str,
    expires_in_days: Option<i64>,
) -> anyhow::Result<()> {
    let Some(user) = users::find_by_email(db, email).await? else {
        bail!("no user with email {email}");
    };
    let expires = expires_in_days.map(|d| Utc::now() + chrono::Duration::days(d));
    let (_, token) = tokens::issue(db, user.id, label, expires).await?;
    println!("{token}");
    Ok(())
}

/// Run `relais token list`: one line per token (every token, or those of `email`), under a
/// header, never a secret.
pub async fn list(db: &Db, email: Option<&str>) -> anyhow::Result<()> {
    let user_id = match email {
        Some(email) => match users::find_by_email(db, email).await? {
            Some(user) => Some(user.id),
            None => bail!("no user with email {email}"),
        },
        None => None,
    };
    let listed = tokens::list(db, user_id).await?;
    if listed.is_empty() {
        println!("no API tokens");
        return Ok(());
    }
    let mut rows = vec![
        [
            "ID",
            "USER",
            "LABEL",
            "CREATED",
            "EXPIRES",
            "REVOKED",
            "LAST USED",
        ]
        .map(str::to_owned),
    ];
    rows.extend(listed.into_iter().map(|l| {
        let t = l.token;
        [
            t.token_id,
            l.user_email,
            t.label,
            time(Some(t.created_at)),
            time(t.expires_at),
            time(t.revoked_at),
            time(t.last_used_at),
        ]
    }));
    let mut widths = [0; 7];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    Ok(())
}

/// Run `relais token revoke`: the token stops working at once; revoking it again changes
/// nothing.
pub async fn revoke(db: &Db, id: &str) -> anyhow::Result<()> {
    if id.contains('.') {
        bail!(
            "give the token's id (the part before the dot, as `relais token list` shows it), not the whole token"
        );
    }
    let Some(token) = tokens::find_by_token_id(db, id).await? else {
        bail!("no token with id {id}");
    };
    if let Some(at) = token.revoked_at {
        println!("token {id} was already revoked at {}", time(Some(at)));
        return Ok(());
    }
    tokens::revoke(db, token.id, Utc::now()).await?;
    println!("token {id} revoked");
    Ok(())
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |at| at.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}
