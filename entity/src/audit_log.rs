use sea_orm::entity::prelude::*;

/// Serialisable for archives (`kapok audit export`): every column, so a file can be
/// checked against the hash chain on its own.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "audit_log")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: Option<String>,
    pub unit_code: Option<String>,
    pub summary: String,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
    /// The hash of the entry before this one in the chain (null for the first).
    pub prev_hash: Option<String>,
    /// SHA-256 over this entry's content and `prev_hash`, hex.
    pub hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
