use sea_orm::entity::prelude::*;

/// A volunteer's application to join a team.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "team_application")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub team_id: i64,
    pub volunteer_id: i64,
    pub user_id: Option<i64>,
    pub message: Option<String>,
    pub state: crate::kinds::ApplicationState,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
