use sea_orm::entity::prelude::*;

/// A household in difficulty (困难家庭) that charity supermarkets issue goods to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "household")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub head_name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub category: crate::kinds::HouseholdCategory,
    pub members: i16,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
