use sea_orm::entity::prelude::*;

/// One movement of time coins; its lines sum to zero.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "time_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: crate::kinds::TimeEntryKind,
    pub unit_code: String,
    pub memo: String,
    pub service_record_id: Option<i64>,
    pub stock_move_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
