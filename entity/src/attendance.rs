use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub signup_id: i64,
    pub activity_id: i64,
    pub volunteer_id: i64,
    pub unit_code: String,
    pub check_in_at: DateTimeUtc,
    pub check_out_at: Option<DateTimeUtc>,
    pub check_in_method: crate::kinds::CheckMethod,
    pub check_out_method: Option<crate::kinds::CheckMethod>,
    pub check_in_reason: Option<String>,
    pub check_out_reason: Option<String>,
    pub checked_in_by: Option<i64>,
    pub checked_out_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
