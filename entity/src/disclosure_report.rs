use sea_orm::entity::prelude::*;

/// A published disclosure report of a fund (or one of its campaigns) for a period.
/// Never changed once written; a correction is a new report naming this one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosure_report")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub fund_id: i64,
    pub campaign_id: Option<i64>,
    pub kind: crate::kinds::DisclosureKind,
    pub period_from: Date,
    pub period_to: Date,
    /// The figures as published (JSON).
    pub content: String,
    pub note: Option<String>,
    pub corrects_id: Option<i64>,
    pub published_by: Option<i64>,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
