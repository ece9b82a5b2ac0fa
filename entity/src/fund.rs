use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fund")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub name: String,
    pub holder_name: String,
    pub holder_credit_code: Option<String>,
    pub purpose: String,
    pub opened_on: Date,
    pub closed_on: Option<Date>,
    pub target_fen: Option<i64>,
    pub status: crate::kinds::FundStatus,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
