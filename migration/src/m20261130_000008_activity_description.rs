//! Activities gain a description: what volunteers will do, what to bring, whom to
//! ask. Organisers may edit it after publishing, unlike the times and the place.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("activity")
                    .add_column(ColumnDef::new("description").text().not_null().default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("activity")
                    .drop_column("description")
                    .to_owned(),
            )
            .await
    }
}
