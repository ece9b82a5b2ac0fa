//! Domain services. They are the only code that reaches the database: [`Store`]'s
//! connection is private to this module, so resolvers cannot query anything
//! themselves. Services take the caller's [`access::Access`] and read through
//! [`scoped`], which turns the policy's plan into a condition on each row's unit.

pub mod access;
pub mod audit;
pub mod auth;
pub mod ranges;
pub mod roles;
mod scoped;
pub mod units;
pub mod users;

use sea_orm::{DatabaseConnection, DbErr};

/// Handle to the database, opaque outside `services`.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    pub fn new(db: DatabaseConnection) -> Store {
        Store { db }
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }
}

/// Current time as stored: UTC, to the microsecond (PostgreSQL's precision, so
/// values read back compare equal).
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
