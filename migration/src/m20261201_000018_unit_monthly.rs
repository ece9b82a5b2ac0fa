//! The daily figures rolled up by month. A statistic over a city read every
//! (unit, day) row of its subtree — days × units, growing every day; with the months
//! kept too, it reads one row per unit and month before the period's edges and daily
//! rows only inside the edge months. `unit_monthly` holds, per unit and first day of
//! a month (China Standard Time), the sums of that month's `unit_daily` rows; the
//! service that bumps a day bumps its month in the same transaction, and the rebuild
//! recomputes both. The edge days are found by an index on `(day, unit_code)`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::unit_code_col;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The figure columns of `unit_daily`, in its order, as they stand at this migration.
const FIGURES: [&str; 17] = [
    "volunteers",
    "party_members",
    "party_reporting",
    "stars1",
    "stars2",
    "stars3",
    "stars4",
    "stars5",
    "half_hours",
    "records",
    "activities_held",
    "people_served",
    "raised_fen",
    "donations",
    "disbursed_fen",
    "fund_net_fen",
    "pledges_open",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut monthly = Table::create();
        monthly
            .table("unit_monthly")
            .col(unit_code_col(backend, "unit_code").not_null())
            .col(ColumnDef::new("month").date().not_null());
        for c in FIGURES {
            monthly.col(
                ColumnDef::new(Alias::new(c))
                    .big_integer()
                    .not_null()
                    .default(0),
            );
        }
        monthly.primary_key(Index::create().col("unit_code").col("month"));
        manager.create_table(monthly.to_owned()).await?;
        let month = match backend {
            DatabaseBackend::Postgres => "CAST(date_trunc('month', day) AS date)",
            _ => "date(day, 'start of month')",
        };
        let cols = FIGURES.join(", ");
        let sums = FIGURES
            .iter()
            .map(|c| format!("SUM({c})"))
            .collect::<Vec<_>>()
            .join(", ");
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO unit_monthly (unit_code, month, {cols}) \
                 SELECT unit_code, {month}, {sums} FROM unit_daily GROUP BY unit_code, {month}"
            ))
            .await?;
        // The days of a period's edge months are read by day first: the primary key
        // leads with the unit, and a city's range of units is the whole table.
        manager
            .create_index(
                Index::create()
                    .name("idx_unit_daily_day")
                    .table("unit_daily")
                    .col("day")
                    .col("unit_code")
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("ANALYZE unit_monthly")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_unit_daily_day")
                    .table("unit_daily")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("unit_monthly").if_exists().to_owned())
            .await?;
        Ok(())
    }
}
