//! Passwords and API tokens.
//!
//! Passwords are hashed with argon2id. API tokens are `<id>.<secret>`: the id finds the stored
//! token, the secret is kept only as a SHA-256 digest (it is 256 random bits, so a slow hash
//! would add nothing but latency) and compared in constant time. Both halves are lowercase hex,
//! which fits every token pattern the partner and hauler seeds accept.

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use std::sync::{LazyLock, Mutex};
use subtle::ConstantTimeEq;

/// Minimum length of a password chosen by a person.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hash a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .expect("a generated salt decodes");
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&Argon2::default(), password, salt_bytes, &mut out)
        .expect("argon2 with default parameters cannot fail on a generated salt");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: params.try_into().expect("default parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("a 32-byte output")),
    }
    .to_string()
}

/// Whether `password` matches a PHC hash made by [`hash_password`] (or by argon2 with other
/// parameters), compared in constant time.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let verify = || -> Option<bool> {
        let hash = PasswordHash::new(phc).ok()?;
        let expected = hash.hash?;
        let algorithm = Algorithm::try_from(hash.algorithm).ok()?;
        let version = hash
            .version
            .map_or(Ok(Version::default()), Version::try_from);
        let params = Params::try_from(&hash).ok()?;
        let mut salt = [0u8; 64];
        let salt = hash.salt?.decode_b64(&mut salt).ok()?;
        let argon2 = Argon2::new(algorithm, version.ok()?, params);
        let mut out = vec![0u8; expected.len()];
        argon2_into(&argon2, password, salt, &mut out).ok()?;
        Some(out.ct_eq(expected.as_bytes()).into())
    };
    verify().unwrap_or(false)
}

/// Argon2 into `out`, in working memory (19 MiB at the default cost) kept for the next call.
///
/// The crate allocates that memory afresh each time, 64-byte aligned: glibc's heaps then hold
/// on to it (freed chunks too small for the next aligned request), and the server's resident
/// memory grew by 19 MB per verification, to a gigabyte under bursts of failed logins. Reused
/// buffers cost nothing after the first calls. Their contents need no clearing: argon2 writes
/// every block before reading it.
fn argon2_into(
    argon2: &Argon2<'_>,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    let blocks = argon2.params().block_count();
    let spare = SPARE_MEMORY.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut memory = spare.unwrap_or_default();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let result = argon2.hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        out,
        &mut memory[..blocks],
    );
    let mut spares = SPARE_MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    if spares.len() < *MAX_SPARES && memory.len() <= MAX_SPARE_BLOCKS {
        spares.push(memory);
    }
    result
}

/// Working memories kept between calls: as many as calls run at once, up to [`MAX_SPARES`].
static SPARE_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());
/// One per core: the server verifies at most that many passwords at once.
static MAX_SPARES: LazyLock<usize> =
    LazyLock::new(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
/// Larger memories (a hash made with a higher cost) are not kept: 64 MiB.
const MAX_SPARE_BLOCKS: usize = 64 * 1024;

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
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_password("correct horse battery");
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert_eq!(parsed.params.to_string(), "m=19456,t=2,p=1");
        // A hash of the crate's own, with other costs and another variant.
        let salt = SaltString::generate(&mut OsRng);
        for (algorithm, m, t) in [
            (Algorithm::Argon2id, 8192, 3),
            (Algorithm::Argon2i, 4096, 1),
        ] {
            let params = Params::new(m, t, 1, None).unwrap();
            let theirs = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"correct horse battery", &salt)
                .unwrap()
                .to_string();
            assert!(
                verify_password("correct horse battery", &theirs),
                "{theirs}"
            );
            assert!(
                !verify_password("correct horse batterY", &theirs),
                "{theirs}"
            );
        }
        // Truncated or tampered hashes are refused.
        assert!(!verify_password(
            "correct horse battery",
            &ours[..ours.len() - 4]
        ));
        assert!(!verify_password(
            "correct horse battery",
            &ours.replace("m=19456", "m=19457")
        ));
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
