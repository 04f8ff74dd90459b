//! `relais hauler create`: set up a third-party hauler (seed 003) and one of its users.

use relais_store::entity::{hauler, user};
use relais_store::users::NewUser;
use relais_store::{Db, haulers, tokens, users};

/// Create a hauler named `name` and its user `email` (role ThirdPartyDispatcher).
pub async fn create_hauler(
    db: &Db,
    name: &str,
    email: &str,
) -> anyhow::Result<(hauler::Model, user::Model)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        anyhow::bail!("the hauler's name must be 1 to 200 characters long");
    }
    if !email.contains('@') {
        anyhow::bail!("{email} is not an email address");
    }
    if users::find_by_email(db, email).await?.is_some() {
        anyhow::bail!("a user with email {email} exists already");
    }
    let hauler = haulers::create(db, name).await?;
    let user = users::create(
        db,
        NewUser {
            email: email.to_owned(),
            ..Default::default()
        },
    )
    .await?;
    haulers::add_user(db, hauler.id, user.id, "ThirdPartyDispatcher").await?;
    Ok((hauler, user))
}

/// Run `relais hauler create`: print the hauler's UUID, then a bearer token for its user, each
/// alone on a line.
pub async fn create(db: &Db, name: &str, email: &str) -> anyhow::Result<()> {
    let (hauler, user) = create_hauler(db, name, email).await?;
    let (_, token) = tokens::issue(db, user.id, "hauler", None).await?;
    println!("{}", hauler.uuid);
    println!("{token}");
    Ok(())
}
