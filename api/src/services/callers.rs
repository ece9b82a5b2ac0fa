//! Who is calling, kept between requests. Checking a token against the database
//! costs three statements (session, user, role assignments); a signed-in client sends
//! many requests with one session, so the answer is kept in process, keyed by session.
//!
//! Anything that could change an answer empties the cache before the next request may
//! use it:
//! - in this process, every mutation (it may have revoked, disabled, granted or changed a
//!   password), once it has run and before its response is sent;
//! - on PostgreSQL, every instance sharing the database: triggers on `session`, `user`
//!   and `role_assignment` notify the `kapok_callers` channel in the changing
//!   transaction, and a listener per instance empties its cache when the notice comes
//!   (at commit; a change made outside the API, by SQL, bites once the notice has
//!   arrived, normally well under a millisecond). While that listener is not connected
//!   (at start, after a lost connection) nothing is kept: notices sent meanwhile are lost;
//! - on SQLite, the same triggers bump `caller_epoch`, read with every signed-in
//!   request (in process, cheap): an answer is used only in the epoch it was read in,
//!   so even a change made by hand in the `sqlite3` shell bites on the next request.
//!
//! Entries also end with the session's or an assignment's expiry (checked at use) and
//! after [`MAX_AGE`]. A lookup that raced an emptying is not kept: entries carry the
//! generation they were read in, and only the current generation's answers count.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use policies::Principal;

/// The longest an answer is kept, whatever happens.
pub const MAX_AGE: Duration = Duration::from_secs(60);
/// Sessions kept at most; when full, the cache starts over.
const CAPACITY: usize = 20_000;
/// The PostgreSQL channel the triggers notify (migration `m20261201_000016`).
pub const CHANNEL: &str = "kapok_callers";

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub principal: Principal,
    pub session_expires_at: DateTime<Utc>,
    pub must_change_password: bool,
}

#[derive(Debug)]
struct Entry {
    caller: Caller,
    generation: u64,
    /// SQLite's `caller_epoch` when the answer was read (read before it).
    epoch: Option<i64>,
    stored: Instant,
}

#[derive(Debug)]
pub struct Callers {
    entries: Mutex<HashMap<i64, Entry>>,
    generation: AtomicU64,
    /// Whether changes made elsewhere reach this cache: always on SQLite (one process
    /// owns the file), on PostgreSQL only while the listener is connected.
    live: AtomicBool,
}

impl Callers {
    pub fn new(live: bool) -> Callers {
        Callers {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            live: AtomicBool::new(live),
        }
    }

    /// The generation a lookup starts in; pass it to [`Callers::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The kept answer for this session, if it is current and still valid now
    /// (`epoch`: SQLite's `caller_epoch` as this request read it).
    pub fn get(
        &self,
        session_id: i64,
        user_id: i64,
        now: DateTime<Utc>,
        epoch: Option<i64>,
    ) -> Option<Caller> {
        if !self.live.load(Ordering::SeqCst) {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let e = entries.get(&session_id)?;
        if e.generation != generation
            || e.epoch != epoch
            || e.stored.elapsed() >= MAX_AGE
            || e.caller.user_id != user_id
            || e.caller.session_expires_at <= now
        {
            return None;
        }
        let mut caller = e.caller.clone();
        // The engine decides assignment expiry by this time.
        caller.principal.now = now.timestamp();
        Some(caller)
    }

    /// Keeps an answer read in `generation` (and `epoch`), unless the cache was emptied
    /// since.
    pub fn put(&self, session_id: i64, caller: Caller, generation: u64, epoch: Option<i64>) {
        if !self.live.load(Ordering::SeqCst) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock that `clear` empties under.
        if self.generation() != generation {
            return;
        }
        if entries.len() >= CAPACITY && !entries.contains_key(&session_id) {
            entries.clear();
        }
        entries.insert(
            session_id,
            Entry {
                caller,
                generation,
                epoch,
                stored: Instant::now(),
            },
        );
    }

    /// Forgets every answer: something that decides them may have changed.
    pub fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }

    /// Turns keeping on or off (the PostgreSQL listener's state), emptying either way.
    pub fn set_live(&self, live: bool) {
        self.clear();
        self.live.store(live, Ordering::SeqCst);
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

/// SQLite's `caller_epoch` (migration `m20261201_000016`), moved by every change that
/// could change a caller; `None` on PostgreSQL, which notifies instead.
pub async fn epoch(db: &sea_orm::DatabaseConnection) -> Result<Option<i64>, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT version FROM caller_epoch WHERE id = 1",
        ))
        .await?;
    match row {
        Some(r) => Ok(Some(r.try_get_by_index::<i64>(0)?)),
        None => Ok(Some(0)),
    }
}

/// Listens for changes made through any instance and empties `callers` on each; keeps
/// reconnecting (nothing is kept while disconnected). Ends when the pool closes.
pub async fn listen(pool: sea_orm::sqlx::PgPool, callers: std::sync::Arc<Callers>) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut wait = Duration::from_millis(100);
    loop {
        if pool.is_closed() {
            return;
        }
        let connected = async {
            let mut l = PgListener::connect_with(&pool).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        }
        .await;
        let mut listener = match connected {
            Ok(l) => l,
            Err(e) => {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "cannot listen for session and role changes; not keeping callers");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        wait = Duration::from_millis(100);
        callers.set_live(true);
        loop {
            // `try_recv` gives `None` when the connection is lost: notices may have been
            // missed, so stop keeping until listening again.
            match listener.try_recv().await {
                Ok(Some(_)) => callers.clear(),
                Ok(None) | Err(_) => {
                    callers.set_live(false);
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(user_id: i64, expires_in: i64) -> Caller {
        Caller {
            user_id,
            principal: Principal::anonymous(0),
            session_expires_at: Utc::now() + chrono::Duration::seconds(expires_in),
            must_change_password: false,
        }
    }

    #[test]
    fn a_kept_answer_is_used_until_cleared() {
        let c = Callers::new(true);
        let g = c.generation();
        c.put(7, caller(1, 600), g, Some(3));
        let now = Utc::now();
        let hit = c.get(7, 1, now, Some(3)).expect("kept");
        assert_eq!(hit.principal.now, now.timestamp());
        assert!(
            c.get(7, 2, now, Some(3)).is_none(),
            "another user's token for the session"
        );
        assert!(c.get(7, 1, now, Some(4)).is_none(), "the epoch moved");
        c.clear();
        assert!(c.get(7, 1, now, Some(3)).is_none());
    }

    #[test]
    fn an_answer_read_before_a_clear_is_not_kept() {
        let c = Callers::new(true);
        let g = c.generation();
        c.clear(); // a revocation committed while the answer was being read
        c.put(7, caller(1, 600), g, None);
        assert!(c.get(7, 1, Utc::now(), None).is_none());
    }

    #[test]
    fn expired_sessions_and_a_dead_listener_keep_nothing() {
        let c = Callers::new(true);
        c.put(7, caller(1, -1), c.generation(), None);
        assert!(c.get(7, 1, Utc::now(), None).is_none());
        c.put(8, caller(1, 600), c.generation(), None);
        c.set_live(false);
        assert!(c.get(8, 1, Utc::now(), None).is_none());
        c.put(8, caller(1, 600), c.generation(), None);
        assert!(c.is_empty());
    }
}
