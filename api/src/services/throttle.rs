//! The sign-in throttle. It lives in the database, so every instance sharing the
//! database enforces one limit, and an attempt is reserved (counted as a failure)
//! in one atomic statement *before* its password is hashed: however many guesses
//! arrive at once, no more than the limit are checked. A success gives the
//! reservation back.
//!
//! Three keys per attempt:
//! - the account at this address: after `pair_max` failures that pair waits, 1 s
//!   doubling up to 15 min — only the guesser's own address is held back;
//! - the address, whatever the account: after `address_max` failures, likewise;
//! - the account from anywhere: after `account_slowdown` failures, attempts from
//!   addresses that have never signed in to it are slowed (1 s doubling up to
//!   60 s), never locked out; the owner's known addresses skip this key, so an
//!   attack from elsewhere cannot lock the owner out.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Utc;
use entity::login_known_address;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement,
    TransactionSession, TransactionTrait, Value,
};

use crate::error::{ServiceError, ServiceResult};

/// Failures older than this (since the key's last attempt) are forgotten.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
const MAX_BACKOFF_MS: i64 = 15 * 60 * 1000;
const MAX_SLOWDOWN_MS: i64 = 60 * 1000;

#[derive(Debug, Clone, Copy)]
pub struct ThrottleRules {
    pub pair_max: u32,
    pub address_max: u32,
    pub account_slowdown: u32,
    /// The first wait once a key reaches its limit; it doubles from there.
    pub first_wait_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Pair,
    Address,
    Account,
}

/// The keys of one attempt, in the order they are reserved (always the same order,
/// so concurrent reservations on PostgreSQL cannot deadlock).
pub struct Attempt {
    keys: Vec<(KeyKind, String)>,
}

impl Attempt {
    /// `username` is lowercased; an attempt with no known address is keyed as
    /// `unknown`.
    pub fn new(username: &str, addr: Option<&str>, known_address: bool) -> Attempt {
        let user = username.to_lowercase();
        let addr = addr.unwrap_or("unknown");
        let mut keys = vec![
            (KeyKind::Pair, format!("pair:{user}|{addr}")),
            (KeyKind::Address, format!("addr:{addr}")),
        ];
        if !known_address {
            keys.push((KeyKind::Account, format!("account:{user}")));
        }
        Attempt { keys }
    }
}

impl Attempt {
    /// A self-service sign-up from `addr`: counted per address in a key of its own
    /// (so sign-ups and sign-ins do not use up each other's allowance), limited like
    /// a username and address pair.
    pub fn sign_up(addr: Option<&str>) -> Attempt {
        Attempt {
            keys: vec![(
                KeyKind::Pair,
                format!("signup:{}", addr.unwrap_or("unknown")),
            )],
        }
    }
}

impl ThrottleRules {
    fn rule(&self, kind: KeyKind) -> Backoff {
        let (max, cap_ms) = match kind {
            KeyKind::Pair => (self.pair_max, MAX_BACKOFF_MS),
            KeyKind::Address => (self.address_max, MAX_BACKOFF_MS),
            KeyKind::Account => (self.account_slowdown, MAX_SLOWDOWN_MS),
        };
        Backoff {
            max,
            first_ms: self.first_wait_ms.clamp(1, cap_ms),
            cap_ms,
        }
    }
}

/// After `max` failures a key waits `first_ms`, doubling up to `cap_ms`.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    max: u32,
    first_ms: i64,
    cap_ms: i64,
}

/// SQL for the time before which the next attempt waits, after the `f`-th failure
/// in a row: no wait (0, not `now`: concurrent requests read the clock at slightly
/// different moments) below `max`, then the first wait doubling up to the cap. Only
/// numbers we generate go into the text.
fn next_at_sql(f: &str, b: Backoff, now: i64) -> String {
    let (max, cap_ms) = (b.max, b.cap_ms);
    let mut sql = format!("CASE WHEN {f} < {max} THEN 0");
    let mut delay = b.first_ms;
    let mut n = max;
    while delay < cap_ms {
        sql.push_str(&format!(" WHEN {f} = {n} THEN {}", now + delay));
        delay *= 2;
        n += 1;
    }
    sql.push_str(&format!(" ELSE {} END", now + cap_ms));
    sql
}

pub(super) fn param(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}

/// Reserves one key: counts a failure unless the key must wait. `None` when it
/// must wait.
async fn reserve_key(
    conn: &impl ConnectionTrait,
    key: &str,
    backoff: Backoff,
    now: i64,
) -> ServiceResult<Option<i64>> {
    let backend = conn.get_database_backend();
    let stale = now - WINDOW_MS;
    let newf = format!(
        "CASE WHEN login_throttle.updated_at < {stale} THEN 1 ELSE login_throttle.failures + 1 END"
    );
    let sql = format!(
        "INSERT INTO login_throttle (\"key\", failures, next_at, updated_at) \
         VALUES ({p1}, 1, {first}, {now}) \
         ON CONFLICT (\"key\") DO UPDATE SET \
           failures = {newf}, \
           next_at = {next}, \
           updated_at = {now} \
         WHERE login_throttle.next_at <= {now} \
         RETURNING failures",
        p1 = param(backend, 1),
        first = next_at_sql("1", backoff, now),
        next = next_at_sql(&format!("({newf})"), backoff, now),
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(key)],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get_by_index::<i32>(0).map(i64::from)?),
        None => None,
    })
}

async fn next_at(conn: &impl ConnectionTrait, key: &str) -> ServiceResult<i64> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT next_at FROM login_throttle WHERE \"key\" = {}",
                param(backend, 1)
            ),
            [Value::from(key)],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Reserves every key of the attempt, or none: `Err(Throttled)` with the longest
/// wait when any key must wait (and then nothing was counted).
pub async fn reserve<C>(conn: &C, rules: &ThrottleRules, attempt: &Attempt) -> ServiceResult<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    cleanup(conn).await;
    let now = now_ms();
    let txn = conn.begin().await?;
    let mut refused = None;
    for (kind, key) in &attempt.keys {
        if reserve_key(&txn, key, rules.rule(*kind), now)
            .await?
            .is_none()
        {
            refused = Some(key);
            break;
        }
    }
    let Some(key) = refused else {
        txn.commit().await?;
        return Ok(());
    };
    txn.rollback().await?;
    let wait_ms = (next_at(conn, key).await? - now).max(0);
    Err(ServiceError::Throttled {
        retry_after: ((wait_ms + 999) / 1000).max(1) as u64,
    })
}

/// A correct password: the account's keys start over, the address gets its
/// reservation back, and the address is remembered as one the owner uses.
pub async fn succeeded(
    conn: &impl ConnectionTrait,
    attempt: &Attempt,
    user_id: i64,
    addr: Option<&str>,
) -> ServiceResult<()> {
    let backend = conn.get_database_backend();
    for (kind, key) in &attempt.keys {
        let sql = match kind {
            KeyKind::Pair | KeyKind::Account => format!(
                "DELETE FROM login_throttle WHERE \"key\" = {}",
                param(backend, 1)
            ),
            KeyKind::Address => format!(
                "UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END WHERE \"key\" = {}",
                param(backend, 1)
            ),
        };
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(key.as_str())],
        ))
        .await?;
    }
    if let Some(addr) = addr {
        login_known_address::Entity::insert(login_known_address::ActiveModel {
            user_id: Set(user_id),
            client_addr: Set(addr.to_owned()),
            last_success_at: Set(super::now()),
        })
        .on_conflict(
            OnConflict::columns([
                login_known_address::Column::UserId,
                login_known_address::Column::ClientAddr,
            ])
            .update_column(login_known_address::Column::LastSuccessAt)
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Whether the user has signed in from this address before.
pub async fn known_address(
    conn: &impl ConnectionTrait,
    user_id: i64,
    addr: Option<&str>,
) -> ServiceResult<bool> {
    let Some(addr) = addr else {
        return Ok(false);
    };
    Ok(super::scoped::unscoped::<login_known_address::Entity>(
        "sign-in throttling: there is no caller yet",
    )
    .filter(login_known_address::Column::UserId.eq(user_id))
    .filter(login_known_address::Column::ClientAddr.eq(addr))
    .one(conn)
    .await?
    .is_some())
}

/// Counts a refused attempt in its address's row for the current window. Returns
/// true for the window's first refusal (the one that goes into the audit log).
pub async fn count_refused(
    conn: &impl ConnectionTrait,
    addr: Option<&str>,
    username: &str,
    unit: Option<&str>,
) -> ServiceResult<bool> {
    let backend = conn.get_database_backend();
    let now = now_ms();
    let window = now - now.rem_euclid(WINDOW_MS);
    let stamp = super::now();
    let sql = format!(
        "INSERT INTO login_throttled (client_addr, window_start, attempts, last_username, unit_code, first_at, last_at) \
         VALUES ({p1}, {window}, 1, {p2}, {p3}, {p4}, {p4}) \
         ON CONFLICT (client_addr, window_start) DO UPDATE SET \
           attempts = login_throttled.attempts + 1, last_username = {p2}, last_at = {p4} \
         RETURNING attempts",
        p1 = param(backend, 1),
        p2 = param(backend, 2),
        p3 = param(backend, 3),
        p4 = param(backend, 4),
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                Value::from(addr.unwrap_or("unknown")),
                Value::from(username),
                Value::from(unit.map(str::to_owned)),
                Value::from(stamp),
            ],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<i64>(0)? == 1,
        None => false,
    })
}

static LAST_CLEANUP: AtomicI64 = AtomicI64::new(0);

/// Forgets keys whose failures have expired, at most once a minute per process, so
/// the table holds only recent attempts. Refused-attempt counts are kept 90 days.
async fn cleanup(conn: &impl ConnectionTrait) {
    let now = now_ms();
    let last = LAST_CLEANUP.load(Ordering::Relaxed);
    if now - last < 60_000
        || LAST_CLEANUP
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let stale = now - WINDOW_MS;
    let old_windows = now - 90 * 24 * 3600 * 1000;
    for sql in [
        format!("DELETE FROM login_throttle WHERE updated_at < {stale} AND next_at < {now}"),
        format!("DELETE FROM login_throttled WHERE window_start < {old_windows}"),
    ] {
        if let Err(e) = conn.execute_unprepared(&sql).await {
            tracing::warn!(error = %e, "sign-in throttle clean-up failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff {
            max: 5,
            first_ms: 1_000,
            cap_ms: 8_000,
        };
        let sql = next_at_sql("f", b, 100);
        assert_eq!(
            sql,
            "CASE WHEN f < 5 THEN 0 WHEN f = 5 THEN 1100 WHEN f = 6 THEN 2100 WHEN f = 7 THEN 4100 ELSE 8100 END"
        );
    }

    #[test]
    fn known_addresses_skip_the_account_key() {
        let a = Attempt::new("Admin", Some("10.0.0.1"), false);
        let keys: Vec<&str> = a.keys.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["pair:admin|10.0.0.1", "addr:10.0.0.1", "account:admin"]
        );
        assert_eq!(Attempt::new("admin", Some("10.0.0.1"), true).keys.len(), 2);
    }
}
