//! Configuration from environment variables, with defaults that make the embedded
//! (SQLite) mode work out of the box.

use std::env;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` (embedded) or `postgres://…` (production).
    pub database_url: String,
    /// `KAPOK_LISTEN`: address:port to bind.
    pub listen: String,
    /// `KAPOK_MAX_DEPTH`: deepest GraphQL selection accepted.
    pub max_depth: usize,
    /// `KAPOK_MAX_COMPLEXITY`: largest GraphQL query complexity accepted.
    pub max_complexity: usize,
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
    /// `KAPOK_POLICY_FILE`: a policy file to use instead of the built-in one.
    pub policy_file: Option<String>,
    /// `KAPOK_LOGIN_MAX_FAILURES`: failed sign-ins per username or address before back-off.
    pub login_max_failures: u32,
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
pub const DEFAULT_MAX_DEPTH: usize = 12;
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
            policy_file: var("KAPOK_POLICY_FILE"),
            login_max_failures: parse_usize("KAPOK_LOGIN_MAX_FAILURES", 5)? as u32,
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            listen: var("KAPOK_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.into()),
            max_depth: parse_usize("KAPOK_MAX_DEPTH", DEFAULT_MAX_DEPTH)?,
            max_complexity: parse_usize("KAPOK_MAX_COMPLEXITY", DEFAULT_MAX_COMPLEXITY)?,
            load_default_divisions: parse_bool("KAPOK_LOAD_DIVISIONS", true)?,
        })
    }

    /// A configuration for tests and tools: the given database, an ephemeral port.
    pub fn for_database(database_url: impl Into<String>) -> Config {
        Config {
            database_url: database_url.into(),
            listen: "127.0.0.1:0".into(),
            max_depth: DEFAULT_MAX_DEPTH,
            max_complexity: DEFAULT_MAX_COMPLEXITY,
            load_default_divisions: true,
            dev_mode: true,
            jwt_secret: random_secret(),
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            admin_password: None,
            policy_file: None,
            login_max_failures: 5,
        }
    }
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
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(ConfigError::Invalid {
                name,
                expected: "a positive whole number",
                value: v,
            }),
    }
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
