use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub field_code: String,
    pub unit_code: String,
    pub project_id: Option<i64>,
    pub team_id: Option<i64>,
    pub place: String,
    pub description: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub recruit_from: Option<DateTimeUtc>,
    pub recruit_until: Option<DateTimeUtc>,
    pub capacity: i32,
    pub signed_up: i32,
    pub state: crate::kinds::ActivityState,
    pub people_served: Option<i32>,
    pub checkin_secret: String,
    pub created_by: Option<i64>,
    pub state_changed_by: Option<i64>,
    pub state_changed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
