//! `relais admin ...`: administrators, made and given a new password from the command line.
//! Passwords are read from standard input, never from the command line.

use anyhow::bail;
use relais_domain::credentials::{MIN_PASSWORD_LEN, hash_password};
use relais_store::users::NewUser;
use relais_store::{Db, setup, users};
use std::io::Read;

/// Run `relais admin create`: a user holding every permission, globally, with write.
pub async fn create(
    db: &Db,
    email: &str,
    password: &str,
    first_name: Option<String>,
    last_name: Option<String>,
) -> anyhow::Result<()> {
    let user = setup::create_admin(
        db,
        NewUser {
            email: email.to_owned(),
            password_hash: Some(hash_password(password)),
            first_name,
            last_name,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot create {email}: {e}"))?;
    println!("administrator {} created (id {})", user.email, user.id);
    Ok(())
}

/// Run `relais admin reset-password`: replace the password of the user `email`. Its tokens
/// stay valid (`relais token revoke` ends them).
pub async fn reset_password(db: &Db, email: &str, password: &str) -> anyhow::Result<()> {
    let Some(user) = users::find_by_email(db, email).await? else {
        bail!("no user with email {email}");
    };
    users::set_password_hash(db, user.id, hash_password(password)).await?;
    println!("password of {} replaced", user.email);
    Ok(())
}

/// The password on standard input (one trailing line break dropped), long enough.
pub fn password_from_stdin() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| anyhow::anyhow!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < MIN_PASSWORD_LEN {
        bail!("the password must be at least {MIN_PASSWORD_LEN} characters long");
    }
    Ok(password.to_owned())
}
