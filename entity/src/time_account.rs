use sea_orm::entity::prelude::*;

/// A time-bank account; amounts in coin minutes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "time_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub account_key: String,
    pub kind: crate::kinds::TimeAccountKind,
    pub unit_code: String,
    pub volunteer_id: Option<i64>,
    pub user_id: Option<i64>,
    pub balance_minutes: i64,
    pub deposited_minutes: i64,
    pub hardship: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
