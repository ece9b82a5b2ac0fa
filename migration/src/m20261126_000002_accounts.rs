//! Accounts, sessions with rotating refresh tokens, role assignments, and the audit log.

use sea_orm_migration::prelude::*;

use crate::{id_col, timestamp_col, unit_code_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("user")
                    .col(id_col())
                    .col(
                        ColumnDef::new("username")
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("display_name").string_len(100).not_null())
                    .col(ColumnDef::new("password_hash").string().not_null())
                    .col(unit_code_col(backend, "home_unit_code").not_null())
                    .col(
                        ColumnDef::new("disabled")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(timestamp_col("created_at"))
                    .col(timestamp_col("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_home_unit")
                            .from("user", "home_unit_code")
                            .to("unit", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_user_home_unit",
                "user",
                &["home_unit_code", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("role_assignment")
                    .col(id_col())
                    .col(ColumnDef::new("user_id").big_integer().not_null())
                    .col(ColumnDef::new("role").string_len(64).not_null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(
                        ColumnDef::new("expires_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("granted_by").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .col(
                        ColumnDef::new("revoked_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("revoked_by").big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_assignment_user")
                            .from("role_assignment", "user_id")
                            .to("user", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_assignment_unit")
                            .from("role_assignment", "unit_code")
                            .to("unit", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_role_assignment_unit",
                "role_assignment",
                &["unit_code", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_role_assignment_user",
                "role_assignment",
                &["user_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("session")
                    .col(id_col())
                    .col(ColumnDef::new("user_id").big_integer().not_null())
                    .col(timestamp_col("created_at"))
                    .col(
                        ColumnDef::new("expires_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("revoked_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("revoked_reason").string_len(64).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_user")
                            .from("session", "user_id")
                            .to("user", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_session_user", "session", &["user_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_token")
                    .col(id_col())
                    .col(ColumnDef::new("session_id").big_integer().not_null())
                    .col(
                        ColumnDef::new("token_hash")
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp_col("created_at"))
                    .col(ColumnDef::new("spent_at").timestamp_with_time_zone().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_token_session")
                            .from("refresh_token", "session_id")
                            .to("session", "id"),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(id_col())
                    .col(ColumnDef::new("actor_id").big_integer().null())
                    .col(ColumnDef::new("action").string_len(64).not_null())
                    .col(ColumnDef::new("target").string_len(200).null())
                    .col(unit_code_col(backend, "unit_code").null())
                    .col(ColumnDef::new("summary").text().not_null())
                    .col(ColumnDef::new("client_addr").string_len(64).null())
                    .col(ColumnDef::new("request_id").string_len(64).null())
                    .col(timestamp_col("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_audit_log_unit",
                "audit_log",
                &["unit_code", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_audit_log_actor",
                "audit_log",
                &["actor_id", "id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_log",
            "refresh_token",
            "session",
            "role_assignment",
            "user",
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
