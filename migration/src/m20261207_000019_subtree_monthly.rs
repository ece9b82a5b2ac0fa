//! The monthly figures summed per subtree, for units at district level and above. A
//! city's statistics summed `unit_monthly` over every unit of the city (8,600
//! unit-months for Guangzhou), so their cost grew with the units and the months;
//! `subtree_monthly` holds, per city and district and month, the sums of
//! `unit_monthly` over the unit's subtree, itself included, so a city reads its own
//! months and its districts' rows — one per child and month (a province, its
//! cities'). Streets and communities are not kept: a district's statistics read its
//! units' months directly (a few thousand rows at most), and every level kept costs a
//! row per change; nor are provinces, so that all changes in one do not wait at one
//! row. The service that bumps a unit's month bumps its kept subtrees' in the same
//! transaction, and the rebuild recomputes them.

use sea_orm_migration::prelude::*;

use crate::unit_code_col;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The figure columns of `unit_monthly`, in its order, as they stand at this migration.
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

/// Code lengths of the kept levels: city, district.
const KEPT_LEVELS: [usize; 2] = [4, 6];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut table = Table::create();
        table
            .table("subtree_monthly")
            .col(unit_code_col(backend, "unit_code").not_null())
            .col(ColumnDef::new("month").date().not_null());
        for c in FIGURES {
            table.col(
                ColumnDef::new(Alias::new(c))
                    .big_integer()
                    .not_null()
                    .default(0),
            );
        }
        table.primary_key(Index::create().col("unit_code").col("month"));
        manager.create_table(table.to_owned()).await?;
        let cols = FIGURES.join(", ");
        let sums = FIGURES
            .iter()
            .map(|c| format!("SUM({c})"))
            .collect::<Vec<_>>()
            .join(", ");
        for len in KEPT_LEVELS {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "INSERT INTO subtree_monthly (unit_code, month, {cols}) \
                     SELECT substr(unit_code, 1, {len}), month, {sums} FROM unit_monthly \
                     WHERE length(unit_code) >= {len} \
                     GROUP BY substr(unit_code, 1, {len}), month"
                ))
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared("ANALYZE subtree_monthly")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table("subtree_monthly")
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
