use sea_orm_migration::prelude::*;

use crate::{timestamp_col, unit_code_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("unit")
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(unit_code_col(backend, "code").not_null().unique_key())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(ColumnDef::new("level").string_len(16).not_null())
                    .col(unit_code_col(backend, "parent_code").null())
                    .col(timestamp_col("created_at"))
                    .col(timestamp_col("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unit_parent_code")
                            .from("unit", "parent_code")
                            .to("unit", "code")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // Children of a unit, in code order (children lists and their cursors).
        manager
            .create_index(
                Index::create()
                    .name("idx_unit_parent_code")
                    .table("unit")
                    .col("parent_code")
                    .col("code")
                    .to_owned(),
            )
            .await?;
        // One level within a subtree: a range on code after an equality on level.
        manager
            .create_index(
                Index::create()
                    .name("idx_unit_level_code")
                    .table("unit")
                    .col("level")
                    .col("code")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("unit").to_owned())
            .await
    }
}
