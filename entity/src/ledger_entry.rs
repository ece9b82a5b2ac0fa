use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub kind: crate::kinds::EntryKind,
    pub memo: String,
    pub reverses_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    /// The China Standard Time day the movement counts on (a donation's received day).
    pub booked_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
