//! `relais partner-account create`: a partner account (company + manager) and its API token.

use anyhow::Context;
use relais_store::Db;

/// Create the company `company` with its manager `email` and print an API token for the
/// manager, alone on the last line.
pub async fn create(db: &Db, company: &str, email: &str) -> anyhow::Result<String> {
    if company.trim().is_empty() {
        anyhow::bail!("the company name must not be empty");
    }
    if !email.contains('@') {
        anyhow::bail!("{email} is not an email address");
    }
    let (company, user) = relais_store::partner::create_account(db, company, email)
        .await
        .with_context(|| format!("cannot create the partner account of {email}"))?;
    let (_, token) = relais_store::tokens::issue(db, user.id, "partner API", None).await?;
    println!(
        "partner company {} created (pk {})",
        company.name, company.id
    );
    println!("manager {} (user id {})", user.email, user.id);
    println!("{token}");
    Ok(token)
}
