use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub volunteer_number: Option<String>,
    pub real_name: String,
    pub id_kind: crate::kinds::IdType,
    #[sea_orm(unique)]
    pub id_number: String,
    pub phone: Option<String>,
    pub gender: crate::kinds::Gender,
    pub birth_date: Option<Date>,
    pub unit_code: String,
    pub user_id: Option<i64>,
    pub party_member: bool,
    pub party_organization: Option<String>,
    pub reported_unit_code: Option<String>,
    pub status: crate::kinds::VolunteerStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Sum of approved service records, in half hours.
    pub approved_half_hours: i64,
    pub stars: i16,
    /// Set when approved hours were revoked for fraud.
    pub barred_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
