//! Credentials: argon2id password hashes, JWT access tokens, opaque refresh tokens,
//! and the sign-in throttle.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, JWT_AUDIENCE, JWT_ISSUER};

/// OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("password hashing failed")]
    Hash,
    #[error("the blocking pool is gone")]
    Join,
}

/// Hashes on the blocking pool: 19 MiB of memory-hard work must not stall the async workers.
pub async fn hash_password(password: String) -> Result<String, CredentialError> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|_| CredentialError::Hash)
    })
    .await
    .map_err(|_| CredentialError::Join)?
}

/// A hash of a password nobody knows: unknown users are verified against it so a
/// wrong username costs the same time as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    argon2()
        .hash_password(b"kapok-dummy-password-for-timing")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Verifies on the blocking pool. `None` verifies against the dummy hash and fails.
pub async fn verify_password(
    password: String,
    hash: Option<String>,
) -> Result<bool, CredentialError> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = argon2()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        ok && known
    })
    .await
    .map_err(|_| CredentialError::Join)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(config: &Config) -> TokenKeys {
        // One algorithm, pinned: tokens claiming any other (`none` included) fail.
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_issuer(&[JWT_ISSUER]);
        validation.set_audience(&[JWT_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(&config.jwt_secret),
            decoding: DecodingKey::from_secret(&config.jwt_secret),
            validation,
            access_ttl_secs: config.access_ttl_secs,
            refresh_ttl_secs: config.refresh_ttl_secs,
        }
    }

    pub fn issue(
        &self,
        user_id: i64,
        session_id: i64,
        now: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iat: now,
            exp: now + self.access_ttl_secs,
            iss: JWT_ISSUER.into(),
            aud: JWT_AUDIENCE.into(),
        };
        jsonwebtoken::encode(
            &Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &self.encoding,
        )
    }

    /// The user and session a valid token names.
    pub fn verify(&self, token: &str) -> Option<(i64, i64)> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some((data.claims.sub.parse().ok()?, data.claims.sid.parse().ok()?))
    }
}

/// A new refresh token: 32 random bytes, URL-safe. Only its hash is stored.
pub fn new_refresh_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Failed sign-ins per username and per client address. After `max_failures` in a
/// row, each further attempt must wait, doubling from 1 s up to 15 min. Kept in
/// memory: a restart forgets it, and each server process throttles on its own.
pub struct Throttle {
    max_failures: u32,
    state: Mutex<HashMap<String, (u32, Instant)>>,
}

const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

impl Throttle {
    pub fn new(max_failures: u32) -> Throttle {
        Throttle {
            max_failures,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait before `keys` may try again, if any must wait.
    pub fn wait(&self, keys: &[String]) -> Option<u64> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        keys.iter()
            .filter_map(|k| state.get(k))
            .filter(|(n, _)| *n >= self.max_failures)
            .filter_map(|(n, last)| {
                let until = *last + self.backoff(*n);
                (until > now).then(|| (until - now).as_secs().max(1))
            })
            .max()
    }

    fn backoff(&self, failures: u32) -> Duration {
        let over = failures.saturating_sub(self.max_failures).min(20);
        Duration::from_secs(1u64 << over).min(MAX_BACKOFF)
    }

    pub fn failed(&self, keys: &[String]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Forget entries whose back-off has long passed, so the map stays small.
        if state.len() > 10_000 {
            state.retain(|_, (_, last)| now.duration_since(*last) < MAX_BACKOFF);
        }
        for k in keys {
            let e = state.entry(k.clone()).or_insert((0, now));
            e.0 += 1;
            e.1 = now;
        }
    }

    pub fn succeeded(&self, keys: &[String]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            state.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_and_unknown_users_fail() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!verify_password("wrong".into(), Some(hash)).await.unwrap());
        assert!(
            !verify_password("kapok-dummy-password-for-timing".into(), None)
                .await
                .unwrap()
        );
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let config = Config::for_database("sqlite::memory:");
        let keys = TokenKeys::new(&config);
        let now = chrono::Utc::now().timestamp();
        let token = keys.issue(7, 9, now).unwrap();
        assert_eq!(keys.verify(&token), Some((7, 9)));
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(keys.verify(&tampered), None);
        let other = TokenKeys::new(&Config::for_database("sqlite::memory:"));
        assert_eq!(
            other.verify(&token),
            None,
            "a token signed with another key"
        );
        let expired = keys.issue(7, 9, now - 3600).unwrap();
        assert_eq!(keys.verify(&expired), None);
    }

    #[test]
    fn throttle_backs_off_after_max_failures() {
        let t = Throttle::new(3);
        let keys = vec!["user:a".to_owned()];
        for _ in 0..3 {
            assert!(t.wait(&keys).is_none());
            t.failed(&keys);
        }
        assert!(t.wait(&keys).is_some());
        t.succeeded(&keys);
        assert!(t.wait(&keys).is_none());
    }
}
