//! Indexes for the orders lists offer (`orderBy`): each is the sort key plus the id,
//! so a page in that order is a range of the index that stops after `first + 1`
//! rows, and the cursor (the key and the id) starts the next page's range exactly.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &str); 10] = [
    ("idx_activity_starts_at", "activity", "starts_at"),
    (
        "idx_service_record_started_at",
        "service_record",
        "started_at",
    ),
    (
        "idx_service_record_recorded_at",
        "service_record",
        "recorded_at",
    ),
    ("idx_volunteer_real_name", "volunteer", "real_name"),
    (
        "idx_volunteer_half_hours",
        "volunteer",
        "approved_half_hours",
    ),
    ("idx_volunteer_created_at", "volunteer", "created_at"),
    ("idx_organization_name", "organization", "name"),
    ("idx_station_name", "station", "name"),
    ("idx_team_name", "team", "name"),
    ("idx_project_name", "project", "name"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, col) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(col)
                        .col("id")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
