use sea_orm::entity::prelude::*;

/// A fundraising drive (募捐活动) of a fund.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub fund_id: i64,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub target_fen: Option<i64>,
    /// A JSON array of donation channel names.
    pub channels: String,
    /// 慈善中国 备案编号.
    pub record_number: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
