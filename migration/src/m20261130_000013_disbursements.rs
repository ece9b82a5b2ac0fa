//! Money paid out of funds: proposed, approved by the office the amount calls for
//! (or returned), paid (a ledger entry out of the fund), and possibly reversed.

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
                    .table("disbursement")
                    .col(id_col())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("fund_id").big_integer().not_null())
                    .col(ColumnDef::new("amount_fen").big_integer().not_null())
                    .col(ColumnDef::new("purpose").string_len(500).not_null())
                    .col(ColumnDef::new("payee_kind").string_len(40).not_null())
                    .col(ColumnDef::new("payee_name").string_len(200).not_null())
                    .col(ColumnDef::new("attachments").text().not_null())
                    .col(ColumnDef::new("state").string_len(40).not_null())
                    .col(ColumnDef::new("proposed_by").big_integer().null())
                    .col(ColumnDef::new("decided_by").big_integer().null())
                    .col(
                        ColumnDef::new("decided_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("return_reason").string_len(500).null())
                    .col(ColumnDef::new("paid_entry_id").big_integer().null())
                    .col(ColumnDef::new("reversed_entry_id").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_disbursement_fund")
                            .from("disbursement", "fund_id")
                            .to("fund", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_disbursement_unit")
                    .table("disbursement")
                    .col("unit_code")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("disbursement").to_owned())
            .await
    }
}
