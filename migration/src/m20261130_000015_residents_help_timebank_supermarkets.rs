//! Residents and community help: help requests (微心愿), team applications,
//! registered relatives, the time bank (公益时间银行) as its own double-entry ledger
//! in coin minutes, and charity supermarkets (慈善超市): households in difficulty,
//! stock items and every movement of stock.

use sea_orm_migration::prelude::*;

use crate::{id_col, timestamp_col, unit_code_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    if unique {
        i.unique();
    }
    for c in cols {
        i.col(Alias::new(*c));
    }
    manager.create_index(i.to_owned()).await
}

fn text(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().to_owned()
}

fn opt_text(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).null().to_owned()
}

fn opt_id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

fn req_id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn opt_time(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn fk(table: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(Alias::new(table), Alias::new(col))
        .to(Alias::new(to), Alias::new("id"))
        .to_owned()
}

const TABLES: [&str; 9] = [
    "stock_move",
    "stock_item",
    "household",
    "time_line",
    "time_entry",
    "time_account",
    "volunteer_relative",
    "team_application",
    "help_request",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        // Residents who sign themselves up give a mobile number.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("user"))
                    .add_column(opt_text("phone", 20))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("help_request")
                    .col(id_col())
                    .col(unit_code_col(b, "unit_code").not_null())
                    // The beneficiary: personal data (help_request.read_personal).
                    .col(text("beneficiary_name", 100))
                    .col(opt_text("beneficiary_phone", 20))
                    .col(opt_text("beneficiary_address", 200))
                    // A service field's code, or `material` for a material need.
                    .col(text("category", 60))
                    .col(text("urgency", 20))
                    .col(text("description", 2000))
                    .col(text("requested_by", 20))
                    // Attachment names, a JSON array.
                    .col(text("attachments", 2000))
                    .col(text("state", 20))
                    .col(opt_text("decline_reason", 500))
                    .col(opt_id("claimed_volunteer_id"))
                    .col(opt_id("claimed_team_id"))
                    .col(opt_id("claimed_fund_id"))
                    // The account of the claiming volunteer: "own" for the volunteer role.
                    .col(opt_id("owner_user_id"))
                    .col(opt_text("fulfilment_note", 1000))
                    .col(ColumnDef::new("fulfilment_half_hours").integer().null())
                    .col(opt_text("fulfilment_goods", 500))
                    .col(opt_id("disbursement_id"))
                    .col(opt_text("feedback", 1000))
                    .col(ColumnDef::new("feedback_rating").small_integer().null())
                    .col(timestamp_col("submitted_at"))
                    .col(opt_time("verified_at"))
                    .col(opt_id("verified_by"))
                    .col(opt_time("published_at"))
                    .col(opt_time("claimed_at"))
                    .col(opt_time("fulfilled_at"))
                    .col(opt_time("closed_at"))
                    .col(opt_id("created_by"))
                    .col(timestamp_col("updated_at"))
                    .foreign_key(&mut fk("help_request", "claimed_volunteer_id", "volunteer"))
                    .foreign_key(&mut fk("help_request", "claimed_team_id", "team"))
                    .foreign_key(&mut fk("help_request", "claimed_fund_id", "fund"))
                    .foreign_key(&mut fk("help_request", "disbursement_id", "disbursement"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_help_request_unit",
            "help_request",
            &["unit_code", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_help_request_state",
            "help_request",
            &["state", "unit_code", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_help_request_owner",
            "help_request",
            &["owner_user_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("team_application")
                    .col(id_col())
                    .col(unit_code_col(b, "unit_code").not_null())
                    .col(req_id("team_id"))
                    .col(req_id("volunteer_id"))
                    .col(opt_id("user_id"))
                    .col(opt_text("message", 500))
                    .col(text("state", 20))
                    .col(opt_id("decided_by"))
                    .col(opt_time("decided_at"))
                    .col(opt_text("note", 500))
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut fk("team_application", "team_id", "team"))
                    .foreign_key(&mut fk("team_application", "volunteer_id", "volunteer"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_team_application_unit",
            "team_application",
            &["unit_code", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_team_application_team",
            "team_application",
            &["team_id", "volunteer_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("volunteer_relative")
                    .col(id_col())
                    .col(unit_code_col(b, "unit_code").not_null())
                    .col(req_id("volunteer_id"))
                    .col(req_id("relative_id"))
                    .col(text("relation", 20))
                    .col(opt_id("created_by"))
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut fk("volunteer_relative", "volunteer_id", "volunteer"))
                    .foreign_key(&mut fk("volunteer_relative", "relative_id", "volunteer"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_volunteer_relative_pair",
            "volunteer_relative",
            &["volunteer_id", "relative_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("time_account")
                    .col(id_col())
                    // `volunteer:{id}`, `pool:{unit}`, `issued:{unit}`, `redeemed:{unit}`,
                    // `supermarket:{station}`: one account per key.
                    .col(text("account_key", 60))
                    .col(text("kind", 20))
                    .col(unit_code_col(b, "unit_code").not_null())
                    .col(opt_id("volunteer_id"))
                    .col(opt_id("user_id"))
                    // Kept with every line: the sum of the account's lines.
                    .col(
                        ColumnDef::new("balance_minutes")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    // Coin minutes deposited for service over the account's life (the cap).
                    .col(
                        ColumnDef::new("deposited_minutes")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new("hardship")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut fk("time_account", "volunteer_id", "volunteer"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_time_account_key",
            "time_account",
            &["account_key"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_time_account_unit",
            "time_account",
            &["unit_code", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("time_entry")
                    .col(id_col())
                    .col(text("kind", 20))
                    .col(unit_code_col(b, "unit_code").not_null())
                    .col(text("memo", 200))
                    .col(opt_id("service_record_id"))
                    .col(opt_id("stock_move_id"))
                    .col(opt_id("created_by"))
                    .col(timestamp_col("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("time_line")
                    .col(id_col())
                    .col(req_id("entry_id"))
                    .col(req_id("account_id"))
                    .col(ColumnDef::new("minutes").big_integer().not_null())
                    .col(ColumnDef::new("balance_after").big_integer().not_null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut fk("time_line", "entry_id", "time_entry"))
                    .foreign_key(&mut fk("time_line", "account_id", "time_account"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_time_line_account",
            "time_line",
            &["account_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_time_line_entry",
            "time_line",
            &["entry_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("household")
                    .col(id_col())
                    .col(unit_code_col(b, "unit_code").not_null())
                    // Personal data (supermarket.read_personal).
                    .col(text("head_name", 100))
                    .col(opt_text("phone", 20))
                    .col(opt_text("address", 200))
                    .col(text("category", 30))
                    .col(ColumnDef::new("members").small_integer().not_null())
                    .col(opt_id("created_by"))
                    .col(timestamp_col("created_at"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_household_unit",
            "household",
            &["unit_code", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("stock_item")
                    .col(id_col())
                    .col(unit_code_col(b, "unit_code").not_null())
                    .col(req_id("station_id"))
                    .col(text("name", 100))
                    .col(opt_text("unit_label", 20))
                    .col(ColumnDef::new("price_fen").big_integer().not_null())
                    .col(ColumnDef::new("coin_minutes").big_integer().null())
                    // Kept with every movement: the sum of the item's movements.
                    .col(
                        ColumnDef::new("quantity")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut fk("stock_item", "station_id", "station"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_stock_item_name",
            "stock_item",
            &["station_id", "name"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_stock_item_unit",
            "stock_item",
            &["unit_code", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("stock_move")
                    .col(id_col())
                    .col(unit_code_col(b, "unit_code").not_null())
                    .col(req_id("station_id"))
                    .col(req_id("item_id"))
                    .col(text("kind", 20))
                    .col(ColumnDef::new("quantity").big_integer().not_null())
                    .col(opt_id("donation_id"))
                    .col(opt_id("household_id"))
                    .col(opt_id("volunteer_id"))
                    .col(
                        ColumnDef::new("amount_fen")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new("share_fen")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(opt_id("share_donation_id"))
                    .col(opt_id("time_entry_id"))
                    .col(opt_text("reason", 500))
                    // `YYYY-MM` (China Standard Time) of a free issue: the quota's month.
                    .col(opt_text("month", 7))
                    .col(opt_id("created_by"))
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut fk("stock_move", "item_id", "stock_item"))
                    .foreign_key(&mut fk("stock_move", "donation_id", "donation"))
                    .foreign_key(&mut fk("stock_move", "household_id", "household"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_stock_move_item",
            "stock_move",
            &["item_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_stock_move_unit",
            "stock_move",
            &["unit_code", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_stock_move_household",
            "stock_move",
            &["household_id", "month"],
            false,
        )
        .await?;
        // The public browse: published activities starting later, in start order.
        index(
            manager,
            "idx_activity_state_start",
            "activity",
            &["state", "starts_at", "id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_activity_state_start")
                    .table(Alias::new("activity"))
                    .to_owned(),
            )
            .await?;
        for t in TABLES {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("user"))
                    .drop_column(Alias::new("phone"))
                    .to_owned(),
            )
            .await
    }
}
