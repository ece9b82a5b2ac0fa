use sea_orm::entity::prelude::*;

/// Where the audit chain continues after entries were archived to a file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_anchor")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The last archived entry.
    pub through_id: i64,
    pub through_hash: String,
    pub entries: i64,
    pub file: String,
    pub file_sha256: String,
    pub archived_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
