//! Connecting to and migrating the database.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// A pool of sqlx's default size, for the command-line tools.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, crate::config::DEFAULT_DB_MAX_CONNECTIONS, false).await
}

/// The server's main pool, of up to `max_connections` (`KAPOK_DB_MAX_CONNECTIONS`) on
/// PostgreSQL; one connection on SQLite.
pub async fn connect_pool(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, false).await
}

/// The steady pool's sessions' `application_name` on PostgreSQL.
pub const STEADY_APPLICATION_NAME: &str = "kapok (steady plans)";

/// A second pool for the statements whose best plan is the same whatever their
/// values (see `Store::steady`): on PostgreSQL its sessions keep one generic plan per
/// prepared statement (`plan_cache_mode = force_generic_plan`). `None` on SQLite,
/// which plans each statement once when it is prepared anyway.
pub async fn connect_steady(
    url: &str,
    max_connections: u32,
) -> Result<Option<DatabaseConnection>, DbErr> {
    if !is_postgres_url(url) {
        return Ok(None);
    }
    connect_with(url, max_connections, true).await.map(Some)
}

async fn connect_with(
    url: &str,
    max_connections: u32,
    generic_plans: bool,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
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
            if generic_plans {
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
