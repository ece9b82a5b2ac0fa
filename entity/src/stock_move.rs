use sea_orm::entity::prelude::*;

/// One movement of a stock item, signed (in positive, out negative).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_move")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub station_id: i64,
    pub item_id: i64,
    pub kind: crate::kinds::StockMoveKind,
    pub quantity: i64,
    pub donation_id: Option<i64>,
    pub household_id: Option<i64>,
    pub volunteer_id: Option<i64>,
    pub amount_fen: i64,
    pub share_fen: i64,
    pub share_donation_id: Option<i64>,
    pub time_entry_id: Option<i64>,
    pub reason: Option<String>,
    pub month: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
