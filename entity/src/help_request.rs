use sea_orm::entity::prelude::*;

/// A help request (微心愿 / 困难群众求助) at a community.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "help_request")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub beneficiary_name: String,
    pub beneficiary_phone: Option<String>,
    pub beneficiary_address: Option<String>,
    pub category: String,
    pub urgency: crate::kinds::Urgency,
    pub description: String,
    pub requested_by: crate::kinds::RequestedBy,
    pub attachments: String,
    pub state: crate::kinds::HelpState,
    pub decline_reason: Option<String>,
    pub claimed_volunteer_id: Option<i64>,
    pub claimed_team_id: Option<i64>,
    pub claimed_fund_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    pub fulfilment_note: Option<String>,
    pub fulfilment_half_hours: Option<i32>,
    pub fulfilment_goods: Option<String>,
    pub disbursement_id: Option<i64>,
    pub feedback: Option<String>,
    pub feedback_rating: Option<i16>,
    pub submitted_at: DateTimeUtc,
    pub verified_at: Option<DateTimeUtc>,
    pub verified_by: Option<i64>,
    pub published_at: Option<DateTimeUtc>,
    pub claimed_at: Option<DateTimeUtc>,
    pub fulfilled_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub created_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
