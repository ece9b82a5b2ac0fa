use sea_orm::entity::prelude::*;

/// A line of goods a charity supermarket stocks.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub station_id: i64,
    pub name: String,
    pub unit_label: Option<String>,
    pub price_fen: i64,
    pub coin_minutes: Option<i64>,
    pub quantity: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
