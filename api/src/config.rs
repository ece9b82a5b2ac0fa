//! Configuration from environment variables, with defaults that make the embedded
//! (SQLite) mode work out of the box.

use std::env;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` (embedded) or `postgres://…` (production).
    pub database_url: String,
    /// `KAPOK_LISTEN`: address:port to bind.
    pub listen: String,
    /// `KAPOK_LOAD_DIVISIONS`: load the bundled Guangzhou divisions into an empty database.
    pub load_default_divisions: bool,
    /// `KAPOK_ENV`: `dev` (default) or `production`.
    pub dev_mode: bool,
    /// `KAPOK_JWT_SECRET`: HMAC key for access tokens, at least 32 bytes. Required
    /// outside dev mode; in dev mode a random one is made at each start.
    pub jwt_secret: Vec<u8>,
    /// `KAPOK_ACCESS_TTL`: access token lifetime in seconds.
    pub access_ttl_secs: i64,
    /// `KAPOK_REFRESH_TTL`: session (refresh token) lifetime in seconds.
    pub refresh_ttl_secs: i64,
    /// `KAPOK_ADMIN_PASSWORD`: the bootstrap administrator's password; random if unset.
    pub admin_password: Option<String>,
    /// `KAPOK_ADMIN_UNIT`: the unit the first administrator is created at (default:
    /// the root of the loaded divisions — with the national set, the lowest code
    /// among the provinces, 北京市).
    pub admin_unit: Option<String>,
    /// `KAPOK_ADMIN_ROLE`: the first administrator's role (default: the policy's
    /// highest-ranked role allowed at that unit's level).
    pub admin_role: Option<String>,
    /// `KAPOK_POLICY_FILE`: a policy file to use instead of the built-in one.
    pub policy_file: Option<String>,
    /// `KAPOK_LOGIN_MAX_FAILURES`: failed sign-ins per (account, client address) before
    /// that pair must wait.
    pub login_max_failures: u32,
    /// `KAPOK_LOGIN_ADDRESS_MAX_FAILURES`: failed sign-ins from one client address,
    /// whatever the account, before the address must wait.
    pub login_address_max_failures: u32,
    /// `KAPOK_LOGIN_ACCOUNT_SLOWDOWN`: failed sign-ins for one account from all
    /// addresses before attempts from addresses that never signed in to it are slowed.
    pub login_account_slowdown: u32,
    /// `KAPOK_LOGIN_FIRST_WAIT_MS`: the first wait once a sign-in limit is reached;
    /// it doubles with each further failure (to 15 min, or 60 s for the account key).
    pub login_first_wait_ms: i64,
    /// `KAPOK_HASH_CONCURRENCY`: password hashes computed at once (each takes 19 MiB).
    pub hash_concurrency: usize,
    /// `KAPOK_HASH_WAIT_MS`: how long a sign-in waits for a hashing slot before 429.
    pub hash_wait_ms: u64,
    /// Request size and shape limits.
    pub limits: Limits,
    /// `KAPOK_RATE_LIMIT` / `KAPOK_RATE_BURST`: requests per second per client
    /// address on `/graphql` (0 turns the limit off) and the burst allowed.
    pub rate_limit_per_sec: u32,
    pub rate_limit_burst: u32,
    /// `KAPOK_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `KAPOK_INTROSPECTION`: schema introspection and field suggestions; on in dev
    /// mode, off in production unless set.
    pub introspection: bool,
    /// `KAPOK_GRAPHIQL`: serve `/graphiql`; on in dev mode, off in production unless set.
    pub graphiql: bool,
    /// `KAPOK_CORS_ORIGINS`: web origins (`https://app.example.cn`) whose pages may
    /// call the API from a browser; none by default.
    pub cors_origins: Vec<String>,
    /// `KAPOK_DOCUMENT_CACHE_BYTES`: memory for parsed documents and persisted queries.
    pub document_cache_bytes: usize,
    /// `KAPOK_DB_MAX_CONNECTIONS`: on PostgreSQL, the connections each kind of the
    /// server's pools may hold in all (the main pool and the steady-plan one, each
    /// shared out between the workers: `db::connect_workers`); SQLite uses one.
    pub db_max_connections: u32,
    /// `KAPOK_WORKERS`: threads serving HTTP, each with its own PostgreSQL
    /// connections; the number of cores by default.
    pub workers: usize,
    /// The clock services read: the system's, except in tests that move it forward
    /// (never from the environment).
    pub clock: crate::services::Clock,
}

/// What one request may ask for. Every limit is checked before any work that grows
/// with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `KAPOK_MAX_BODY_BYTES`: request bodies (and GET query strings) beyond this are 413.
    pub max_body_bytes: usize,
    /// `KAPOK_MAX_FIELDS`: fields in a document once every fragment is expanded.
    pub max_fields: usize,
    /// `KAPOK_MAX_ALIASES`: aliased fields in an operation, fragments expanded.
    pub max_aliases: usize,
    /// `KAPOK_MAX_ROOT_FIELDS`: top-level fields of an operation.
    pub max_root_fields: usize,
    /// `KAPOK_MAX_DEPTH`: deepest selection accepted.
    pub max_depth: usize,
    /// `KAPOK_MAX_COMPLEXITY`: largest query cost accepted.
    pub max_complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 256 * 1024,
            max_fields: 2_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_depth: DEFAULT_MAX_DEPTH,
            max_complexity: DEFAULT_MAX_COMPLEXITY,
        }
    }
}

pub const MIN_SECRET_LEN: usize = 32;
pub const JWT_ISSUER: &str = "kapok";
pub const JWT_AUDIENCE: &str = "kapok-api";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} must be {expected}, got {value:?}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error(
        "KAPOK_JWT_SECRET must be set to at least 32 bytes outside dev mode (KAPOK_ENV=production)"
    )]
    MissingSecret,
    #[error("KAPOK_JWT_SECRET must be at least 32 bytes long")]
    ShortSecret,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://kapok.db?mode=rwc";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_DEPTH: usize = 16;
pub const DEFAULT_MAX_COMPLEXITY: usize = 5_000;

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let dev_mode = match var("KAPOK_ENV").as_deref().map(str::trim) {
            None | Some("dev") | Some("development") => true,
            Some("production") | Some("prod") => false,
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "KAPOK_ENV",
                    expected: "dev or production",
                    value: v.to_owned(),
                })
            }
        };
        let defaults = Limits::default();
        let jwt_secret = match var("KAPOK_JWT_SECRET") {
            Some(s) if s.len() >= MIN_SECRET_LEN => s.into_bytes(),
            Some(_) => return Err(ConfigError::ShortSecret),
            None if dev_mode => random_secret(),
            None => return Err(ConfigError::MissingSecret),
        };
        Ok(Config {
            dev_mode,
            jwt_secret,
            access_ttl_secs: parse_usize("KAPOK_ACCESS_TTL", 15 * 60)? as i64,
            refresh_ttl_secs: parse_usize("KAPOK_REFRESH_TTL", 30 * 24 * 3600)? as i64,
            admin_password: var("KAPOK_ADMIN_PASSWORD"),
            admin_unit: var("KAPOK_ADMIN_UNIT"),
            admin_role: var("KAPOK_ADMIN_ROLE"),
            policy_file: var("KAPOK_POLICY_FILE"),
            login_max_failures: parse_usize("KAPOK_LOGIN_MAX_FAILURES", 5)? as u32,
            login_address_max_failures: parse_usize("KAPOK_LOGIN_ADDRESS_MAX_FAILURES", 30)? as u32,
            login_account_slowdown: parse_usize("KAPOK_LOGIN_ACCOUNT_SLOWDOWN", 10)? as u32,
            login_first_wait_ms: parse_usize("KAPOK_LOGIN_FIRST_WAIT_MS", 1_000)?.clamp(1, 900_000)
                as i64,
            hash_concurrency: parse_usize("KAPOK_HASH_CONCURRENCY", default_hash_concurrency())?,
            hash_wait_ms: parse_usize("KAPOK_HASH_WAIT_MS", 2_000)? as u64,
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            db_max_connections: parse_u32("KAPOK_DB_MAX_CONNECTIONS", DEFAULT_DB_MAX_CONNECTIONS)?,
            workers: parse_usize("KAPOK_WORKERS", cores())?,
            listen: var("KAPOK_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.into()),
            limits: Limits {
                max_body_bytes: parse_usize("KAPOK_MAX_BODY_BYTES", defaults.max_body_bytes)?,
                max_fields: parse_usize("KAPOK_MAX_FIELDS", defaults.max_fields)?,
                max_aliases: parse_count("KAPOK_MAX_ALIASES", defaults.max_aliases)?,
                max_root_fields: parse_usize("KAPOK_MAX_ROOT_FIELDS", defaults.max_root_fields)?,
                max_depth: parse_usize("KAPOK_MAX_DEPTH", defaults.max_depth)?,
                max_complexity: parse_usize("KAPOK_MAX_COMPLEXITY", defaults.max_complexity)?,
            },
            rate_limit_per_sec: parse_count("KAPOK_RATE_LIMIT", 50)? as u32,
            rate_limit_burst: parse_usize("KAPOK_RATE_BURST", 200)? as u32,
            trusted_proxies: parse_addrs("KAPOK_TRUSTED_PROXIES")?,
            introspection: parse_bool("KAPOK_INTROSPECTION", dev_mode)?,
            graphiql: parse_bool("KAPOK_GRAPHIQL", dev_mode)?,
            cors_origins: parse_origins("KAPOK_CORS_ORIGINS")?,
            document_cache_bytes: parse_count(
                "KAPOK_DOCUMENT_CACHE_BYTES",
                DEFAULT_DOCUMENT_CACHE,
            )?,
            load_default_divisions: parse_bool("KAPOK_LOAD_DIVISIONS", true)?,
            clock: crate::services::Clock::system(),
        })
    }

    /// A configuration for tests and tools: the given database, an ephemeral port.
    pub fn for_database(database_url: impl Into<String>) -> Config {
        Config {
            database_url: database_url.into(),
            db_max_connections: DEFAULT_DB_MAX_CONNECTIONS,
            workers: cores(),
            listen: "127.0.0.1:0".into(),
            limits: Limits::default(),
            load_default_divisions: true,
            dev_mode: true,
            jwt_secret: random_secret(),
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            admin_password: None,
            admin_unit: None,
            admin_role: None,
            policy_file: None,
            login_max_failures: 5,
            login_address_max_failures: 30,
            login_account_slowdown: 10,
            login_first_wait_ms: 1_000,
            hash_concurrency: default_hash_concurrency(),
            hash_wait_ms: 2_000,
            // Tests and tools send many requests from one address; the abuse tests
            // turn the limit on.
            rate_limit_per_sec: 0,
            rate_limit_burst: 200,
            trusted_proxies: Vec::new(),
            introspection: true,
            graphiql: true,
            cors_origins: Vec::new(),
            document_cache_bytes: DEFAULT_DOCUMENT_CACHE,
            clock: crate::services::Clock::system(),
        }
    }
}

pub const DEFAULT_DOCUMENT_CACHE: usize = 32 * 1024 * 1024;

/// sqlx's own default pool size, kept as ours.
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 10;

/// `https://host[:port]` or `http://…`: an origin, not a URL with a path.
fn parse_origins(name: &'static str) -> Result<Vec<String>, ConfigError> {
    let Some(v) = var(name) else {
        return Ok(Vec::new());
    };
    v.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            match rest {
                Some(host)
                    if !host.is_empty()
                        && host
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)) =>
                {
                    Ok(o.to_owned())
                }
                _ => Err(ConfigError::Invalid {
                    name,
                    expected: "a comma-separated list of origins such as https://app.example.cn",
                    value: o.to_owned(),
                }),
            }
        })
        .collect()
}

/// One hash per core: argon2 is CPU- and memory-bound, more at once only queues.
fn default_hash_concurrency() -> usize {
    cores()
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

fn random_secret() -> Vec<u8> {
    use rand::Rng;
    let mut key = vec![0u8; 48];
    rand::rng().fill(&mut key[..]);
    key
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_usize(name: &'static str, default: usize) -> Result<usize, ConfigError> {
    positive(name, var(name), default)
}

fn parse_u32(name: &'static str, default: u32) -> Result<u32, ConfigError> {
    positive(name, var(name), default)
}

/// `value` (a variable's text, if set) as a whole number above zero that fits `N`.
fn positive<N>(name: &'static str, value: Option<String>, default: N) -> Result<N, ConfigError>
where
    N: std::str::FromStr + PartialOrd + From<u8>,
{
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<N>()
            .ok()
            .filter(|n| *n > N::from(0))
            .ok_or(ConfigError::Invalid {
                name,
                expected: "a positive whole number",
                value: v,
            }),
    }
}

/// Like [`parse_usize`], but 0 is allowed (it turns the limit off).
fn parse_count(name: &'static str, default: usize) -> Result<usize, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse::<usize>().map_err(|_| ConfigError::Invalid {
            name,
            expected: "a whole number",
            value: v,
        }),
    }
}

fn parse_addrs(name: &'static str) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    let Some(v) = var(name) else {
        return Ok(Vec::new());
    };
    v.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse().map_err(|_| ConfigError::Invalid {
                name,
                expected: "a comma-separated list of IP addresses",
                value: a.to_owned(),
            })
        })
        .collect()
}

fn parse_bool(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(name).as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::Invalid {
            name,
            expected: "true or false",
            value: v.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::{positive, ConfigError};

    #[test]
    fn counts_are_positive_whole_numbers_that_fit() {
        let n = |v: &str| positive::<u32>("KAPOK_X", Some(v.into()), 10);
        assert_eq!(positive::<u32>("KAPOK_X", None, 10).ok(), Some(10));
        assert_eq!(n("3").ok(), Some(3));
        assert_eq!(n(" 16 ").ok(), Some(16));
        for bad in ["0", "-1", "1.5", "ten", "4294967296"] {
            match n(bad) {
                Err(ConfigError::Invalid {
                    name,
                    expected,
                    value,
                }) => {
                    assert_eq!(name, "KAPOK_X");
                    assert_eq!(expected, "a positive whole number");
                    assert_eq!(value, bad);
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(
            positive::<usize>("KAPOK_X", Some("4294967296".into()), 1).ok(),
            Some(4_294_967_296)
        );
    }
}
