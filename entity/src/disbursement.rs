use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disbursement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub fund_id: i64,
    pub amount_fen: i64,
    pub purpose: String,
    pub payee_kind: crate::kinds::PayeeKind,
    pub payee_name: String,
    /// The names of the attached documents, as a JSON array of strings.
    pub attachments: String,
    pub state: crate::kinds::DisbursementState,
    pub proposed_by: Option<i64>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub return_reason: Option<String>,
    pub paid_entry_id: Option<i64>,
    pub reversed_entry_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// The campaign whose money it spends, if any.
    pub campaign_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
