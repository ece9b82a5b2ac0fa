//! Units sorted by name (`units(orderBy: {field: NAME})`): the name plus the id, so
//! a page is a range of the index, as for the other lists (000009).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_unit_name")
                    .table("unit")
                    .col("name")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_unit_name").table("unit").to_owned())
            .await
    }
}
