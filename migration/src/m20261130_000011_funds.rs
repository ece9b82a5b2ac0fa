//! Community charity funds (社区慈善基金): each at a unit, held by an organisation,
//! open or closed. Money is integer fen; the ledger comes with donations.

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
                    .table("fund")
                    .col(id_col())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("name").string_len(200).not_null())
                    .col(ColumnDef::new("holder_name").string_len(200).not_null())
                    .col(ColumnDef::new("holder_credit_code").string_len(18).null())
                    .col(ColumnDef::new("purpose").string_len(2000).not_null())
                    .col(ColumnDef::new("opened_on").date().not_null())
                    .col(ColumnDef::new("closed_on").date().null())
                    .col(ColumnDef::new("target_fen").big_integer().null())
                    .col(ColumnDef::new("status").string_len(40).not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fund_unit")
                            .from("fund", "unit_code")
                            .to("unit", "code"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fund_created_by")
                            .from("fund", "created_by")
                            .to("user", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // The list orders: by unit (the default), by name.
        for (name, col) in [("idx_fund_unit", "unit_code"), ("idx_fund_name", "name")] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("fund")
                        .col(col)
                        .col("id")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("fund").to_owned())
            .await
    }
}
