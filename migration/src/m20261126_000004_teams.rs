//! Volunteer teams (a tree, each team at a unit) with fields and members, and service
//! projects on the published list.

use sea_orm_migration::prelude::*;

use crate::{id_col, timestamp_col, unit_code_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("team")
                    .col(id_col())
                    .col(ColumnDef::new("name").string_len(200).not_null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("parent_id").big_integer().null())
                    .col(ColumnDef::new("leader_id").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_unit")
                            .from("team", "unit_code")
                            .to("unit", "code"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_parent")
                            .from("team", "parent_id")
                            .to("team", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_leader")
                            .from("team", "leader_id")
                            .to("volunteer", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_team_unit")
                    .table("team")
                    .col("unit_code")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_team_parent")
                    .table("team")
                    .col("parent_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("team_field")
                    .col(ColumnDef::new("team_id").big_integer().not_null())
                    .col(ColumnDef::new("field_code").string_len(40).not_null())
                    .primary_key(Index::create().col("team_id").col("field_code"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_field_team")
                            .from("team_field", "team_id")
                            .to("team", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_field_field")
                            .from("team_field", "field_code")
                            .to("service_field", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("team_member")
                    .col(ColumnDef::new("team_id").big_integer().not_null())
                    .col(ColumnDef::new("volunteer_id").big_integer().not_null())
                    .col(timestamp_col("joined_at"))
                    .primary_key(Index::create().col("team_id").col("volunteer_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_member_team")
                            .from("team_member", "team_id")
                            .to("team", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_member_volunteer")
                            .from("team_member", "volunteer_id")
                            .to("volunteer", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_team_member_volunteer")
                    .table("team_member")
                    .col("volunteer_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("project")
                    .col(id_col())
                    .col(ColumnDef::new("name").string_len(200).not_null())
                    .col(ColumnDef::new("field_code").string_len(40).not_null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("team_id").big_integer().null())
                    .col(ColumnDef::new("organization_id").big_integer().null())
                    .col(ColumnDef::new("description").text().not_null())
                    .col(ColumnDef::new("starts_on").date().null())
                    .col(ColumnDef::new("ends_on").date().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_unit")
                            .from("project", "unit_code")
                            .to("unit", "code"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_field")
                            .from("project", "field_code")
                            .to("service_field", "code"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_team")
                            .from("project", "team_id")
                            .to("team", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_organization")
                            .from("project", "organization_id")
                            .to("organization", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_project_unit")
                    .table("project")
                    .col("unit_code")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["project", "team_member", "team_field", "team"] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
