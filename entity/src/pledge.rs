use sea_orm::entity::prelude::*;

/// A pledge (认捐): an amount promised by a due day, fulfilled by linked donations.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pledge")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub fund_id: i64,
    pub campaign_id: Option<i64>,
    pub donor_kind: crate::kinds::DonorKind,
    pub donor_name: Option<String>,
    pub donor_contact: Option<String>,
    pub amount_fen: i64,
    pub due_on: Date,
    /// The sum of the valid donations linked to it.
    pub fulfilled_fen: i64,
    /// The day those donations first reached the amount; null until then.
    pub fulfilled_on: Option<Date>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
