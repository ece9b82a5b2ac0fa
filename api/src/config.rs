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
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} must be {expected}, got {value:?}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://kapok.db?mode=rwc";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_DEPTH: usize = 12;
pub const DEFAULT_MAX_COMPLEXITY: usize = 5_000;

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Ok(Config {
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
        }
    }
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
