//! Connecting to and migrating the database.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// A pool of sqlx's default size, for the command-line tools.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_pool(url, crate::config::DEFAULT_DB_MAX_CONNECTIONS).await
}

/// The server's first pool, of up to `max_connections` (`KAPOK_DB_MAX_CONNECTIONS`)
/// on PostgreSQL, where it serves start-up (migrations, the first administrator)
/// and the listener for caller changes while each worker has pools of its own
/// ([`connect_workers`]); on SQLite its one connection serves everything.
pub async fn connect_pool(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, Plans::Custom, Open::Now).await
}

/// The steady pool's sessions' `application_name` on PostgreSQL.
pub const STEADY_APPLICATION_NAME: &str = "kapok (steady plans)";

/// One HTTP worker's own PostgreSQL pools: its main pool, and its steady one for the
/// statements whose best plan is the same whatever their values (see
/// `Store::steady`), whose sessions keep one generic plan per prepared statement
/// (`plan_cache_mode = force_generic_plan`; SQLite plans each statement once when
/// it is prepared anyway).
pub struct WorkerPools {
    pub main: DatabaseConnection,
    pub steady: DatabaseConnection,
}

/// On PostgreSQL, the pools of each of `workers` HTTP workers, `max_connections`
/// of each kind shared out between them ([`share_out`]); `None` on SQLite, whose
/// one connection all workers share (one writer at a time).
///
/// Why per worker: actix runs each worker on a single-threaded runtime of its own,
/// and a socket belongs to the runtime that opened it. In one shared pool, a
/// connection opened by one worker and taken by another has every readiness event
/// reach it through the first worker's thread — a wake-up across threads per read,
/// and a wait whenever that thread is busy. A street admin's list answered 28 % more
/// requests with each worker on its own connections (README → Performance). The
/// pools open no connection now: each is opened by the first statement that needs
/// it, on the worker that will use it.
pub async fn connect_workers(
    url: &str,
    max_connections: u32,
    workers: usize,
) -> Result<Option<Vec<WorkerPools>>, DbErr> {
    if !is_postgres_url(url) {
        return Ok(None);
    }
    let mut pools = Vec::with_capacity(workers);
    for max in share_out(max_connections, workers) {
        pools.push(WorkerPools {
            main: connect_with(url, max, Plans::Custom, Open::Lazily).await?,
            steady: connect_with(url, max, Plans::Generic, Open::Lazily).await?,
        });
    }
    Ok(Some(pools))
}

/// `total` connections shared out between `workers` as evenly as they go, at least
/// one each (a worker with none could run no statement).
pub fn share_out(total: u32, workers: usize) -> Vec<u32> {
    let workers = u32::try_from(workers.max(1)).unwrap_or(u32::MAX);
    (0..workers)
        .map(|i| (total / workers + u32::from(i < total % workers)).max(1))
        .collect()
}

#[derive(Clone, Copy)]
enum Plans {
    /// PostgreSQL's own choice between custom and generic plans.
    Custom,
    /// `plan_cache_mode = force_generic_plan` (see `WorkerPools::steady`).
    Generic,
}

#[derive(Clone, Copy)]
enum Open {
    /// One connection now, so that a wrong URL fails at once.
    Now,
    /// On the first statement that needs one.
    Lazily,
}

async fn connect_with(
    url: &str,
    max_connections: u32,
    plans: Plans,
    open: Open,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.connect_lazy(matches!(open, Open::Lazily));
    let plain_loopback = loopback_without_tls_setting(url);
    if is_postgres_url(url) {
        // SQLite keeps sea-orm's single connection: one writer at a time is all the
        // file allows, and two connections that both read then write in deferred
        // transactions fail with "database is locked" instead of waiting.
        opts.max_connections(max_connections);
    }
    opts.connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        // A ping on every checkout is a round trip per statement: half of a list's
        // round trips (measured: `bench/compare.sh`). A connection that was just in use
        // is alive; only one idle long enough for a server, proxy or firewall to have
        // dropped it is pinged first, and a connection that died anyway fails its
        // statement and leaves the pool.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        // Queries are traced by our own spans; sqlx's per-statement INFO lines drown them.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            // WAL lets readers run while the single writer writes.
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        .map_sqlx_postgres_opts(move |o| {
            let o = if plain_loopback {
                o.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable)
            } else {
                o
            };
            if matches!(plans, Plans::Generic) {
                // Named, so that `pg_stat_activity` tells the two pools apart.
                o.options([("plan_cache_mode", "force_generic_plan")])
                    .application_name(STEADY_APPLICATION_NAME)
            } else {
                o
            }
        });
    Database::connect(opts).await
}

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A PostgreSQL server on this machine, with no TLS setting in the URL or the
/// environment. TLS to a loopback address or a Unix socket protects nothing (the
/// bytes never leave the host) yet costs a fifth of a small request's CPU (measured:
/// `bench/compare.sh`), so it is not negotiated there; `sslmode=…` in the URL or
/// `PGSSLMODE` still decides.
fn loopback_without_tls_setting(url: &str) -> bool {
    use std::str::FromStr;
    if !is_postgres_url(url) || url.contains("sslmode=") || std::env::var_os("PGSSLMODE").is_some()
    {
        return false;
    }
    let Ok(o) = sea_orm::sqlx::postgres::PgConnectOptions::from_str(url) else {
        return false;
    };
    let host = o.get_host();
    host.starts_with('/')
        || host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Runs the migrations, then chains audit entries written before the audit chain
/// existed (a no-op once the chain has started).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    let sealed = crate::ops::audit::seal_legacy(db).await?;
    if sealed > 0 {
        tracing::info!(entries = sealed, "chained the existing audit entries");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::loopback_without_tls_setting as plain;

    #[test]
    fn connections_are_shared_out_evenly_at_least_one_each() {
        use super::share_out;
        assert_eq!(share_out(10, 2), [5, 5]);
        assert_eq!(share_out(3, 2), [2, 1]);
        assert_eq!(share_out(10, 4), [3, 3, 2, 2]);
        assert_eq!(share_out(1, 3), [1, 1, 1]);
        assert_eq!(share_out(7, 1), [7]);
        assert_eq!(share_out(5, 0), [5]);
    }

    #[test]
    fn tls_is_left_out_only_on_loopback_without_a_setting() {
        assert!(plain("postgres://postgres@127.0.0.1:5432/test"));
        assert!(plain("postgresql://u@localhost/db"));
        assert!(plain("postgres://u@[::1]:5432/db"));
        assert!(!plain("postgres://u@127.0.0.1/db?sslmode=require"));
        assert!(!plain("postgres://u@db.internal:5432/db"));
        assert!(!plain("postgres://u@10.0.0.5/db"));
        assert!(!plain("sqlite://kapok.db?mode=rwc"));
    }
}
