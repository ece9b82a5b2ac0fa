//! Money donations to funds with gap-free receipt numbers, on a double-entry ledger:
//! every movement is an entry whose lines sum to zero; a fund's balance is the sum of
//! its lines. Entries are never changed; a correction is a reversing entry.

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
                    .table("ledger_entry")
                    .col(id_col())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("kind").string_len(40).not_null())
                    .col(ColumnDef::new("memo").string_len(500).not_null())
                    .col(ColumnDef::new("reverses_id").big_integer().null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ledger_entry_reverses")
                            .from("ledger_entry", "reverses_id")
                            .to("ledger_entry", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("ledger_line")
                    .col(id_col())
                    .col(ColumnDef::new("entry_id").big_integer().not_null())
                    .col(ColumnDef::new("account").string_len(60).not_null())
                    .col(ColumnDef::new("fund_id").big_integer().null())
                    .col(ColumnDef::new("amount_fen").big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ledger_line_entry")
                            .from("ledger_line", "entry_id")
                            .to("ledger_entry", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ledger_line_fund")
                            .from("ledger_line", "fund_id")
                            .to("fund", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_line_fund")
                    .table("ledger_line")
                    .col("fund_id")
                    .col("amount_fen")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("receipt_counter")
                    .col(ColumnDef::new("fund_id").big_integer().not_null())
                    .col(ColumnDef::new("year").integer().not_null())
                    .col(ColumnDef::new("last_seq").integer().not_null())
                    .primary_key(Index::create().col("fund_id").col("year"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("donation")
                    .col(id_col())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("fund_id").big_integer().not_null())
                    .col(ColumnDef::new("amount_fen").big_integer().not_null())
                    .col(ColumnDef::new("donor_kind").string_len(40).not_null())
                    .col(ColumnDef::new("donor_name").string_len(100).null())
                    .col(ColumnDef::new("donor_contact").string_len(100).null())
                    .col(ColumnDef::new("channel").string_len(40).not_null())
                    .col(ColumnDef::new("received_on").date().not_null())
                    .col(
                        ColumnDef::new("receipt_number")
                            .string_len(60)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("entry_id").big_integer().not_null())
                    .col(
                        ColumnDef::new("voided_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("void_reason").string_len(500).null())
                    .col(ColumnDef::new("void_entry_id").big_integer().null())
                    .col(ColumnDef::new("recorded_by").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_donation_fund")
                            .from("donation", "fund_id")
                            .to("fund", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_donation_entry")
                            .from("donation", "entry_id")
                            .to("ledger_entry", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_donation_unit", ["unit_code", "id"]),
            ("idx_donation_fund", ["fund_id", "id"]),
        ] {
            let mut index = Index::create();
            index.name(name).table("donation");
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["donation", "receipt_counter", "ledger_line", "ledger_entry"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
