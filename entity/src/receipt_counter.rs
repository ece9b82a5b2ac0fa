use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "receipt_counter")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub fund_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub last_seq: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
