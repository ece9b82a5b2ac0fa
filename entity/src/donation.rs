use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "donation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub fund_id: i64,
    pub amount_fen: i64,
    pub donor_kind: crate::kinds::DonorKind,
    pub donor_name: Option<String>,
    pub donor_contact: Option<String>,
    pub channel: crate::kinds::DonationChannel,
    pub received_on: Date,
    #[sea_orm(unique)]
    pub receipt_number: String,
    pub entry_id: i64,
    pub voided_at: Option<DateTimeUtc>,
    pub void_reason: Option<String>,
    pub void_entry_id: Option<i64>,
    pub recorded_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub kind: crate::kinds::DonationKind,
    /// Goods: a JSON array of `{name, quantity, unit, valueFen}`.
    pub items: Option<String>,
    pub campaign_id: Option<i64>,
    pub pledge_id: Option<i64>,
    /// The project the donor designated the gift for (定向捐赠), if any.
    pub designation: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
