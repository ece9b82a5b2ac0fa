use sea_orm::entity::prelude::*;

/// A volunteer's request to move its registration to another unit, decided by the
/// destination's administrators.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_move")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub volunteer_id: i64,
    pub from_unit_code: String,
    pub to_unit_code: String,
    pub requested_by: Option<i64>,
    /// `pending`, `accepted`, `declined` or `withdrawn`.
    pub state: crate::kinds::MoveState,
    pub note: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
