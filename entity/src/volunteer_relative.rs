use sea_orm::entity::prelude::*;

/// A relative registered with a volunteer (time-bank gifts go only to these).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_relative")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_code: String,
    pub volunteer_id: i64,
    pub relative_id: i64,
    pub relation: crate::kinds::Kinship,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
