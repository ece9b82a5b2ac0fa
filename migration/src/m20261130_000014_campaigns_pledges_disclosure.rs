//! The rest of community charity money: fundraising campaigns (募捐活动), pledges
//! (认捐), goods donations, published disclosure reports (信息公开), the day each
//! ledger entry is booked on, and the charity figures kept per unit and day.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{id_col, timestamp_col, unit_code_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Kept per unit and day beside the volunteer figures (see `services::daily`).
const CHARITY_FIGURES: [&str; 5] = [
    "raised_fen",
    "donations",
    "disbursed_fen",
    "fund_net_fen",
    "pledges_open",
];

const DONATION_COLUMNS: [&str; 5] = ["kind", "items", "campaign_id", "pledge_id", "designation"];

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    manager.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("campaign")
                    .col(id_col())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("fund_id").big_integer().not_null())
                    .col(ColumnDef::new("name").string_len(200).not_null())
                    .col(ColumnDef::new("starts_on").date().not_null())
                    .col(ColumnDef::new("ends_on").date().not_null())
                    .col(ColumnDef::new("target_fen").big_integer().null())
                    // The channels it raises through, as a JSON array of channel names.
                    .col(ColumnDef::new("channels").string_len(400).not_null())
                    // 慈善中国 备案编号, where the drive was filed.
                    .col(ColumnDef::new("record_number").string_len(60).null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_fund")
                            .from("campaign", "fund_id")
                            .to("fund", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_campaign_unit",
            "campaign",
            &["unit_code", "id"],
        )
        .await?;
        index(manager, "idx_campaign_fund", "campaign", &["fund_id", "id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("pledge")
                    .col(id_col())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("fund_id").big_integer().not_null())
                    .col(ColumnDef::new("campaign_id").big_integer().null())
                    .col(ColumnDef::new("donor_kind").string_len(40).not_null())
                    .col(ColumnDef::new("donor_name").string_len(100).null())
                    .col(ColumnDef::new("donor_contact").string_len(100).null())
                    .col(ColumnDef::new("amount_fen").big_integer().not_null())
                    .col(ColumnDef::new("due_on").date().not_null())
                    // The sum of the valid donations that fulfil it, kept with them.
                    .col(
                        ColumnDef::new("fulfilled_fen")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new("fulfilled_on").date().null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pledge_fund")
                            .from("pledge", "fund_id")
                            .to("fund", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pledge_campaign")
                            .from("pledge", "campaign_id")
                            .to("campaign", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "idx_pledge_unit", "pledge", &["unit_code", "id"]).await?;
        index(manager, "idx_pledge_fund", "pledge", &["fund_id", "id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("disclosure_report")
                    .col(id_col())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("fund_id").big_integer().not_null())
                    .col(ColumnDef::new("campaign_id").big_integer().null())
                    .col(ColumnDef::new("kind").string_len(40).not_null())
                    .col(ColumnDef::new("period_from").date().not_null())
                    .col(ColumnDef::new("period_to").date().not_null())
                    // The figures as published, frozen (JSON).
                    .col(ColumnDef::new("content").text().not_null())
                    .col(ColumnDef::new("note").string_len(2000).null())
                    .col(ColumnDef::new("corrects_id").big_integer().null())
                    .col(ColumnDef::new("published_by").big_integer().null())
                    .col(timestamp_col("published_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_disclosure_fund")
                            .from("disclosure_report", "fund_id")
                            .to("fund", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_disclosure_corrects")
                            .from("disclosure_report", "corrects_id")
                            .to("disclosure_report", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_disclosure_unit",
            "disclosure_report",
            &["unit_code", "id"],
        )
        .await?;
        index(
            manager,
            "idx_disclosure_fund",
            "disclosure_report",
            &["fund_id", "id"],
        )
        .await?;

        let donation_cols = [
            ColumnDef::new("kind")
                .string_len(20)
                .not_null()
                .default("money")
                .to_owned(),
            // Goods: a JSON array of {name, quantity, unit, valueFen}.
            ColumnDef::new("items").text().null().to_owned(),
            ColumnDef::new("campaign_id")
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new("pledge_id").big_integer().null().to_owned(),
            ColumnDef::new("designation")
                .string_len(200)
                .null()
                .to_owned(),
        ];
        for mut col in donation_cols {
            manager
                .alter_table(
                    Table::alter()
                        .table("donation")
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("disbursement")
                    .add_column(ColumnDef::new("campaign_id").big_integer().null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_donation_campaign",
            "donation",
            &["campaign_id", "id"],
        )
        .await?;
        index(
            manager,
            "idx_donation_pledge",
            "donation",
            &["pledge_id", "id"],
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table("ledger_entry")
                    .add_column(ColumnDef::new("booked_on").date().null())
                    .to_owned(),
            )
            .await?;
        // Entries booked before this column existed are booked on the China Standard
        // Time day they were written.
        let backfill = match backend {
            DbBackend::Postgres => {
                "UPDATE ledger_entry SET booked_on = (created_at AT TIME ZONE 'Asia/Shanghai')::date"
            }
            _ => "UPDATE ledger_entry SET booked_on = date(created_at, '+8 hours')",
        };
        manager
            .get_connection()
            .execute_unprepared(backfill)
            .await?;
        index(
            manager,
            "idx_ledger_entry_booked",
            "ledger_entry",
            &["booked_on", "id"],
        )
        .await?;

        for c in CHARITY_FIGURES {
            manager
                .alter_table(
                    Table::alter()
                        .table("unit_daily")
                        .add_column(
                            ColumnDef::new(Alias::new(c))
                                .big_integer()
                                .not_null()
                                .default(0),
                        )
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for c in CHARITY_FIGURES {
            manager
                .alter_table(
                    Table::alter()
                        .table("unit_daily")
                        .drop_column(Alias::new(c))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_ledger_entry_booked")
                    .table("ledger_entry")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("ledger_entry")
                    .drop_column("booked_on")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("disbursement")
                    .drop_column("campaign_id")
                    .to_owned(),
            )
            .await?;
        for i in ["idx_donation_campaign", "idx_donation_pledge"] {
            manager
                .drop_index(Index::drop().name(i).table("donation").to_owned())
                .await?;
        }
        for c in DONATION_COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("donation")
                        .drop_column(Alias::new(c))
                        .to_owned(),
                )
                .await?;
        }
        for table in ["disclosure_report", "pledge", "campaign"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
