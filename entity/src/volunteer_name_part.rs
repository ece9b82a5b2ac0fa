use sea_orm::entity::prelude::*;

/// One suffix of a volunteer's name, cut to 10 characters (on SQLite in `lower()`,
/// which folds ASCII only, as its `LIKE` does). Kept by triggers (migration 000017):
/// a name contains a text exactly when one of its suffixes starts with it, so a name
/// search reads one range of this table's primary key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_name_part")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub part: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub volunteer_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
