//! Credentials: argon2id password hashes (a bounded number at once), JWT access
//! tokens and opaque refresh tokens.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::Duration;

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
    #[error("the hashing threads are gone")]
    Join,
    /// Every hashing slot stayed busy for the whole wait.
    #[error("too many sign-ins at once")]
    Busy,
}

type Job = Box<dyn FnOnce() + Send>;

/// How many hashes run at once, and how long a caller waits for a slot. Each hash
/// holds 19 MiB: without a bound, 150 parallel sign-ins took 1.1 GB. Hashes run on
/// this gate's own threads, one per slot, and each thread hands what its hash freed
/// back to the system when it is done (`telemetry::release_freed_memory`), however
/// many sign-ins came through.
pub struct HashGate {
    slots: tokio::sync::Semaphore,
    wait: Duration,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

impl std::fmt::Debug for HashGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashGate")
            .field("free_slots", &self.slots.available_permits())
            .field("wait", &self.wait)
            .finish()
    }
}

impl HashGate {
    pub fn new(concurrency: usize, wait: Duration) -> HashGate {
        let concurrency = concurrency.max(1);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(concurrency);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..concurrency {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("kapok-hash-{i}"))
                .spawn(move || loop {
                    // The threads end when the gate (the sender) is dropped.
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => {
                            job();
                            crate::telemetry::release_freed_memory();
                        }
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        HashGate {
            slots: tokio::sync::Semaphore::new(concurrency),
            wait,
            jobs,
        }
    }
}

impl Default for HashGate {
    /// One slot per core, two seconds' wait.
    fn default() -> Self {
        HashGate::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            Duration::from_secs(2),
        )
    }
}

/// Runs `work` on one of the gate's threads once a slot is free, waiting at most the
/// configured time for one.
async fn with_slot<T: Send + 'static>(
    gate: &HashGate,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CredentialError> {
    use crate::metrics::{GaugeGuard, METRICS};
    let queued = GaugeGuard::new(&METRICS.hash_waiting);
    let permit = match tokio::time::timeout(gate.wait, gate.slots.acquire()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            METRICS.hash_rejected.inc();
            return Err(CredentialError::Busy);
        }
    };
    drop(queued);
    let _running = GaugeGuard::new(&METRICS.hash_running);
    let (tx, rx) = tokio::sync::oneshot::channel();
    gate.jobs
        .send(Box::new(move || {
            let _ = tx.send(work());
        }))
        .map_err(|_| CredentialError::Join)?;
    let result = rx.await.map_err(|_| CredentialError::Join);
    drop(permit);
    result
}

/// Hashes on the gate's threads: 19 MiB of memory-hard work must not stall the async
/// workers, and at most a bounded number run at once.
pub async fn hash_password(gate: &HashGate, password: String) -> Result<String, CredentialError> {
    with_slot(gate, move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|_| CredentialError::Hash)
    })
    .await?
}

/// A hash of a password nobody knows: unknown users are verified against it so a
/// wrong username costs the same time as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    argon2()
        .hash_password(b"kapok-dummy-password-for-timing")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Verifies on the gate's threads. `None` verifies against the dummy hash and fails.
pub async fn verify_password(
    gate: &HashGate,
    password: String,
    hash: Option<String>,
) -> Result<bool, CredentialError> {
    with_slot(gate, move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = argon2()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        ok && known
    })
    .await
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
    /// Tokens whose signature and claims checked out, with what they say. A client
    /// sends the same token with every request until it expires, and checking its
    /// HMAC and parsing its JSON again cost about 3 % of the server's time for a page
    /// of volunteers. Only tokens that verified are kept, so an anonymous caller adds
    /// nothing; a kept one is refused once it expires, as `decode` would refuse it;
    /// the least recently used go past `KEPT_TOKENS`. Whether its session, user and
    /// roles still stand is checked after this, on every request.
    verified: Mutex<lru::LruCache<Box<str>, Verified>>,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

/// How many verified tokens `TokenKeys` keeps: one per client signed in at once, each
/// about 300 bytes with its entry.
const KEPT_TOKENS: usize = 4096;

#[derive(Clone, Copy)]
struct Verified {
    user: i64,
    session: i64,
    exp: i64,
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
            verified: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(KEPT_TOKENS).unwrap_or(NonZeroUsize::MIN),
            )),
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
        self.verify_at(token, jsonwebtoken::get_current_timestamp() as i64)
    }

    /// `verify` at `now` (seconds since the epoch) for a kept token; one not kept
    /// is decoded by `jsonwebtoken` at its own clock.
    fn verify_at(&self, token: &str, now: i64) -> Option<(i64, i64)> {
        // A poisoned lock only means another thread panicked while holding it: the
        // cache is skipped, never trusted half-written.
        if let Ok(mut kept) = self.verified.lock() {
            if let Some(v) = kept.get(token).copied() {
                // Expired exactly when `decode` says so: `exp` before now less leeway.
                if v.exp >= now.saturating_sub(self.validation.leeway as i64) {
                    return Some((v.user, v.session));
                }
                kept.pop(token);
                return None;
            }
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let user = data.claims.sub.parse().ok()?;
        let session = data.claims.sid.parse().ok()?;
        if let Ok(mut kept) = self.verified.lock() {
            kept.put(
                token.into(),
                Verified {
                    user,
                    session,
                    exp: data.claims.exp,
                },
            );
        }
        Some((user, session))
    }

    #[cfg(test)]
    fn kept_tokens(&self) -> usize {
        self.verified.lock().map(|k| k.len()).unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_and_unknown_users_fail() {
        let gate = HashGate::default();
        let hash = hash_password(&gate, "correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify_password(&gate, "correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password(&gate, "wrong".into(), Some(hash))
            .await
            .unwrap());
        assert!(
            !verify_password(&gate, "kapok-dummy-password-for-timing".into(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn hashing_waits_for_a_slot_then_gives_up() {
        let gate = HashGate::new(1, Duration::from_millis(20));
        // The only slot, held for as long as the test says: a hash running in it
        // flaked both ways (on a loaded machine it had not started yet; on a fast one
        // it finished inside the 20 ms wait and the second hash got the slot).
        let held = gate.slots.acquire().await.unwrap();
        let refused = hash_password(&gate, "another-password".into()).await;
        assert!(matches!(refused, Err(CredentialError::Busy)), "{refused:?}");
        drop(held);
        assert!(hash_password(&gate, "a-long-password".into()).await.is_ok());
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
    fn verified_tokens_are_kept_until_they_expire_and_only_they() {
        let keys = TokenKeys::new(&Config::for_database("sqlite::memory:"));
        let now = chrono::Utc::now().timestamp();
        let token = keys.issue(7, 9, now).unwrap();
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(keys.verify(&tampered), None);
        assert_eq!(keys.verify(&keys.issue(7, 9, now - 3600).unwrap()), None);
        assert_eq!(keys.kept_tokens(), 0, "tokens that failed are not kept");
        assert_eq!(keys.verify(&token), Some((7, 9)));
        assert_eq!(keys.kept_tokens(), 1);
        assert_eq!(keys.verify(&tampered), None, "only the exact token is kept");
        // Kept, it answers as `decode` would at that time: valid through the leeway...
        let exp = now + keys.access_ttl_secs;
        assert_eq!(keys.verify_at(&token, exp + 5), Some((7, 9)));
        // ...and refused after it (`decode`, on the real clock, would still pass it).
        assert_eq!(keys.verify_at(&token, exp + 6), None);
        assert_eq!(keys.kept_tokens(), 0, "an expired token is forgotten");
        assert_eq!(keys.verify(&token), Some((7, 9)));
    }

    #[test]
    fn kept_tokens_are_bounded() {
        let keys = TokenKeys::new(&Config::for_database("sqlite::memory:"));
        let now = chrono::Utc::now().timestamp();
        let first = keys.issue(0, 0, now).unwrap();
        assert_eq!(keys.verify(&first), Some((0, 0)));
        for i in 1..KEPT_TOKENS as i64 + 10 {
            let token = keys.issue(i, i, now).unwrap();
            assert_eq!(keys.verify(&token), Some((i, i)));
        }
        assert_eq!(keys.kept_tokens(), KEPT_TOKENS);
        // The first, forgotten, still verifies the long way (and is kept again).
        assert_eq!(keys.verify(&first), Some((0, 0)));
        assert_eq!(keys.kept_tokens(), KEPT_TOKENS);
    }
}
