//! Kapok's server: configuration, database access, domain services, the GraphQL API and
//! the command line. Resolvers live in `graphql`, business rules in `services`.

pub mod auth;
pub mod cli;
pub mod codes;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod html;
pub mod http;
pub mod metrics;
pub mod ops;
pub mod pagination;
pub mod services;
pub mod telemetry;
