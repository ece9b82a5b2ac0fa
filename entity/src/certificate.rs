use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub volunteer_id: i64,
    pub user_id: Option<i64>,
    /// The issuing unit.
    pub unit_code: String,
    pub period_from: Date,
    pub period_to: Date,
    pub half_hours: i64,
    /// Service content in the period, as JSON lines.
    pub content: String,
    pub real_name: String,
    pub id_kind: crate::kinds::IdType,
    pub id_number: String,
    pub volunteer_number: String,
    pub handler_id: i64,
    pub handler_name: String,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
