use sea_orm::entity::prelude::*;

/// Sign-in attempts refused by the throttle: one row per client address and
/// window, with a count.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttled")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_addr: String,
    /// Start of the window, milliseconds since the epoch.
    #[sea_orm(primary_key, auto_increment = false)]
    pub window_start: i64,
    pub attempts: i64,
    pub last_username: String,
    pub unit_code: Option<String>,
    pub first_at: DateTimeUtc,
    pub last_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
