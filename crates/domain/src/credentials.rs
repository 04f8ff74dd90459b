//! Passwords and API tokens.
//!
//! Passwords are hashed with argon2id. API tokens are `<id>.<secret>`: the id finds the stored
//! token, the secret is kept only as a SHA-256 digest (it is 256 random bits, so a slow hash
//! would add nothing but latency) and compared in constant time. Both halves are lowercase hex,
//! which fits every token pattern the partner and hauler seeds accept.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Minimum length of a password chosen by a person.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hash a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail on a generated salt")
        .to_string()
}

/// Whether `password` matches a PHC hash made by [`hash_password`].
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A freshly generated API token: shown once, then only its digest is stored.
pub struct NewToken {
    /// Public half, stored in clear to find the token.
    pub id: String,
    /// SHA-256 digest of the secret half, in hex.
    pub secret_hash: String,
    /// The whole token to hand to the client.
    pub plain: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Make a new random token.
pub fn generate_token() -> NewToken {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut id);
    OsRng.fill_bytes(&mut secret);
    let id = hex::encode(id);
    let secret = hex::encode(secret);
    NewToken {
        secret_hash: digest(&secret),
        plain: format!("{id}.{secret}"),
        id,
    }
}

/// Split a presented token into its id and secret, refusing anything not shaped like ours.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 16) && hex(secret, 64)).then_some((id, secret))
}

/// Whether `secret` matches the stored digest, in constant time.
pub fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    digest(secret)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Emails are unique without regard to case: this is the form they are compared in.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_parse_and_match_their_digest_only() {
        let token = generate_token();
        let (id, secret) = parse_token(&token.plain).unwrap();
        assert_eq!(id, token.id);
        assert!(secret_matches(secret, &token.secret_hash));
        assert!(!secret_matches(
            &secret.replace('a', "b").replace('0', "1"),
            &token.secret_hash
        ));
        assert!(parse_token("abc.def").is_none());
        assert!(parse_token(&token.plain.replace('.', "")).is_none());
        assert!(!format!("{token:?}").contains(secret));
    }

    #[test]
    fn tokens_fit_the_hauler_seed_pattern() {
        // ^bearer [a-z0-9-_=]+.[a-z0-9-_=]+.?[a-z0-9-_.+/=]*$
        let token = generate_token().plain;
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'.')
        );
        assert_eq!(token.matches('.').count(), 1);
    }

    #[test]
    fn emails_compare_without_case() {
        assert_eq!(normalize_email(" Ann@Example.COM "), "ann@example.com");
    }
}
