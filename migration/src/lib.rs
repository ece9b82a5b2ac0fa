pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_unit;
mod m20261126_000002_accounts;
mod m20261126_000003_volunteers;
mod m20261126_000004_teams;
mod m20261126_000005_activities;
mod m20261130_000006_hardening;
mod m20261130_000007_password_reset;
mod m20261130_000008_activity_description;
mod m20261130_000009_sort_indexes;
mod m20261130_000010_unit_name_index;
mod m20261130_000011_funds;
mod m20261130_000012_donations;
mod m20261130_000013_disbursements;
mod m20261130_000014_campaigns_pledges_disclosure;
mod m20261130_000015_residents_help_timebank_supermarkets;
mod m20261201_000016_caller_notices;
mod m20261201_000017_volunteer_name_parts;
mod m20261201_000018_unit_monthly;
mod m20261207_000019_subtree_monthly;

pub use m20261126_000003_volunteers::SERVICE_FIELDS;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_unit::Migration),
            Box::new(m20261126_000002_accounts::Migration),
            Box::new(m20261126_000003_volunteers::Migration),
            Box::new(m20261126_000004_teams::Migration),
            Box::new(m20261126_000005_activities::Migration),
            Box::new(m20261130_000006_hardening::Migration),
            Box::new(m20261130_000007_password_reset::Migration),
            Box::new(m20261130_000008_activity_description::Migration),
            Box::new(m20261130_000009_sort_indexes::Migration),
            Box::new(m20261130_000010_unit_name_index::Migration),
            Box::new(m20261130_000011_funds::Migration),
            Box::new(m20261130_000012_donations::Migration),
            Box::new(m20261130_000013_disbursements::Migration),
            Box::new(m20261130_000014_campaigns_pledges_disclosure::Migration),
            Box::new(m20261130_000015_residents_help_timebank_supermarkets::Migration),
            Box::new(m20261201_000016_caller_notices::Migration),
            Box::new(m20261201_000017_volunteer_name_parts::Migration),
            Box::new(m20261201_000018_unit_monthly::Migration),
            Box::new(m20261207_000019_subtree_monthly::Migration),
        ]
    }
}

/// Column definition for a unit code. On PostgreSQL codes get the "C" collation so
/// that string order is byte order and a subtree is one index range, whatever the
/// database's default locale.
pub fn unit_code_col(
    backend: sea_orm_migration::sea_orm::DbBackend,
    name: &'static str,
) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    col.string_len(15);
    if backend == sea_orm_migration::sea_orm::DbBackend::Postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}

/// `timestamptz` defaulting to now; SQLite stores it as ISO-8601 text.
pub fn timestamp_col(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .default(Expr::current_timestamp())
        .to_owned()
}

/// `id bigint` auto-increment primary key.
pub fn id_col() -> ColumnDef {
    ColumnDef::new("id")
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}
