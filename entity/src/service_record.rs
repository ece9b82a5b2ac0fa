use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_record")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub volunteer_id: i64,
    pub user_id: Option<i64>,
    pub activity_id: Option<i64>,
    pub attendance_id: Option<i64>,
    /// The unit that recorded the hours (and certifies them).
    pub unit_code: String,
    /// Hours in half-hour units; negative only for corrections.
    pub half_hours: i32,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub source: crate::kinds::ServiceRecordSource,
    pub content: String,
    pub reason: Option<String>,
    pub state: crate::kinds::ServiceRecordState,
    pub recorded_by: Option<i64>,
    pub recorded_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: Option<String>,
    pub corrects_id: Option<i64>,
    pub fraud: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
