use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "star_nomination")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub volunteer_id: i64,
    pub user_id: Option<i64>,
    pub unit_code: String,
    pub stars: i16,
    pub half_hours: i64,
    pub state: crate::kinds::NominationState,
    pub nominated_at: DateTimeUtc,
    pub listed_until: DateTimeUtc,
    pub granted_by: Option<i64>,
    pub granted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
