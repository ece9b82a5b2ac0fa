//! Hardening: the sign-in throttle in the database (shared by every instance), a
//! hash chain over the audit log with anchors for archived entries, one volunteer
//! record per account, and volunteers' requests to move to another unit.

use sea_orm_migration::prelude::*;

use crate::{id_col, timestamp_col, unit_code_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        // One row per throttle key (an account at an address, an address, an
        // account); times are milliseconds since the epoch so that the reservation
        // is one portable arithmetic statement.
        manager
            .create_table(
                Table::create()
                    .table("login_throttle")
                    .col(
                        ColumnDef::new("key")
                            .string_len(200)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("failures").integer().not_null())
                    .col(ColumnDef::new("next_at").big_integer().not_null())
                    .col(ColumnDef::new("updated_at").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_known_address")
                    .col(ColumnDef::new("user_id").big_integer().not_null())
                    .col(ColumnDef::new("client_addr").string_len(64).not_null())
                    .col(timestamp_col("last_success_at"))
                    .primary_key(Index::create().col("user_id").col("client_addr"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_login_known_address_user")
                            .from("login_known_address", "user_id")
                            .to("user", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // Throttled attempts: one row per address and window, with a count, so a
        // flood of refused attempts costs a counter, not a row each.
        manager
            .create_table(
                Table::create()
                    .table("login_throttled")
                    .col(ColumnDef::new("client_addr").string_len(64).not_null())
                    .col(ColumnDef::new("window_start").big_integer().not_null())
                    .col(ColumnDef::new("attempts").big_integer().not_null())
                    .col(ColumnDef::new("last_username").string_len(64).not_null())
                    .col(unit_code_col(backend, "unit_code").null())
                    .col(timestamp_col("first_at"))
                    .col(timestamp_col("last_at"))
                    .primary_key(Index::create().col("client_addr").col("window_start"))
                    .to_owned(),
            )
            .await?;
        for col in ["prev_hash", "hash"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("audit_log")
                        .add_column(ColumnDef::new(col).string_len(64).null())
                        .to_owned(),
                )
                .await?;
        }
        // Where the chain continues after entries were archived: the last archived
        // entry's id and hash.
        manager
            .create_table(
                Table::create()
                    .table("audit_anchor")
                    .col(id_col())
                    .col(ColumnDef::new("through_id").big_integer().not_null())
                    .col(ColumnDef::new("through_hash").string_len(64).not_null())
                    .col(ColumnDef::new("entries").big_integer().not_null())
                    .col(ColumnDef::new("file").string_len(500).not_null())
                    .col(ColumnDef::new("file_sha256").string_len(64).not_null())
                    .col(timestamp_col("archived_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_volunteer_user_unique")
                    .table("volunteer")
                    .col("user_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("volunteer_move")
                    .col(id_col())
                    .col(ColumnDef::new("volunteer_id").big_integer().not_null())
                    .col(unit_code_col(backend, "from_unit_code").not_null())
                    .col(unit_code_col(backend, "to_unit_code").not_null())
                    .col(ColumnDef::new("requested_by").big_integer().null())
                    .col(ColumnDef::new("state").string_len(16).not_null())
                    .col(ColumnDef::new("note").string_len(500).null())
                    .col(ColumnDef::new("decided_by").big_integer().null())
                    .col(
                        ColumnDef::new("decided_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("decision_reason").string_len(500).null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_volunteer_move_volunteer")
                            .from("volunteer_move", "volunteer_id")
                            .to("volunteer", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_volunteer_move_to", ["to_unit_code", "id"]),
            ("idx_volunteer_move_from", ["from_unit_code", "id"]),
            ("idx_volunteer_move_volunteer", ["volunteer_id", "id"]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table("volunteer_move");
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "volunteer_move",
            "audit_anchor",
            "login_throttled",
            "login_known_address",
            "login_throttle",
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_volunteer_user_unique")
                    .table("volunteer")
                    .to_owned(),
            )
            .await?;
        for col in ["prev_hash", "hash"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("audit_log")
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
