//! Volunteer service, first part: service fields, organisations, stations, volunteers.

use sea_orm_migration::prelude::*;

use crate::{id_col, timestamp_col, unit_code_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The ten service fields every deployment starts with (code, name).
pub const SERVICE_FIELDS: [(&str, &str); 10] = [
    ("elderly_care", "老年人服务"),
    ("minors_protection", "未成年人保护"),
    ("healthcare", "医疗卫生"),
    ("mental_health", "心理健康"),
    ("emergency_rescue", "应急救援"),
    ("legal_mediation", "法律调解"),
    ("disability_assistance", "助残服务"),
    ("poverty_relief", "帮困救助"),
    ("environment", "生态环保"),
    ("culture_education", "文化教育"),
];

fn unit_fk(table: &'static str, col: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to("unit", "code")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("service_field")
                    .col(
                        ColumnDef::new("code")
                            .string_len(40)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("name").string_len(40).not_null())
                    .col(ColumnDef::new("sort_order").integer().not_null())
                    .to_owned(),
            )
            .await?;
        let mut seed = Query::insert();
        seed.into_table("service_field")
            .columns(["code", "name", "sort_order"]);
        for (i, (code, name)) in SERVICE_FIELDS.iter().enumerate() {
            seed.values_panic([(*code).into(), (*name).into(), (i as i32 + 1).into()]);
        }
        manager.exec_stmt(seed).await?;

        manager
            .create_table(
                Table::create()
                    .table("organization")
                    .col(id_col())
                    .col(ColumnDef::new("name").string_len(200).not_null())
                    .col(ColumnDef::new("kind").string_len(40).not_null())
                    .col(
                        ColumnDef::new("credit_code")
                            .string_len(18)
                            .not_null()
                            .unique_key(),
                    )
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("contact_name").string_len(100).null())
                    .col(ColumnDef::new("contact_phone").string_len(20).null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut unit_fk("organization", "unit_code"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_organization_unit")
                    .table("organization")
                    .col("unit_code")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("station")
                    .col(id_col())
                    .col(ColumnDef::new("kind").string_len(40).not_null())
                    .col(ColumnDef::new("name").string_len(200).not_null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("address").string_len(300).null())
                    .col(ColumnDef::new("opened_on").date().null())
                    .col(ColumnDef::new("closed_on").date().null())
                    .col(ColumnDef::new("organization_id").big_integer().null())
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut unit_fk("station", "unit_code"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_station_organization")
                            .from("station", "organization_id")
                            .to("organization", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_station_unit")
                    .table("station")
                    .col("unit_code")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_station_kind_unit")
                    .table("station")
                    .col("kind")
                    .col("unit_code")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("volunteer")
                    .col(id_col())
                    .col(
                        ColumnDef::new("volunteer_number")
                            .string_len(20)
                            .null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("real_name").string_len(100).not_null())
                    .col(ColumnDef::new("id_kind").string_len(20).not_null())
                    .col(
                        ColumnDef::new("id_number")
                            .string_len(24)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("phone").string_len(20).null())
                    .col(ColumnDef::new("gender").string_len(10).not_null())
                    .col(ColumnDef::new("birth_date").date().null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("user_id").big_integer().null().unique_key())
                    .col(
                        ColumnDef::new("party_member")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new("party_organization").string_len(200).null())
                    .col(unit_code_col(backend, "reported_unit_code").null())
                    .col(ColumnDef::new("status").string_len(20).not_null())
                    .col(timestamp_col("created_at"))
                    .col(timestamp_col("updated_at"))
                    .foreign_key(&mut unit_fk("volunteer", "unit_code"))
                    .foreign_key(&mut unit_fk("volunteer", "reported_unit_code"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_volunteer_user")
                            .from("volunteer", "user_id")
                            .to("user", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_volunteer_unit")
                    .table("volunteer")
                    .col("unit_code")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("volunteer_field")
                    .col(ColumnDef::new("volunteer_id").big_integer().not_null())
                    .col(ColumnDef::new("field_code").string_len(40).not_null())
                    .primary_key(Index::create().col("volunteer_id").col("field_code"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_volunteer_field_volunteer")
                            .from("volunteer_field", "volunteer_id")
                            .to("volunteer", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_volunteer_field_field")
                            .from("volunteer_field", "field_code")
                            .to("service_field", "code"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_volunteer_field_field")
                    .table("volunteer_field")
                    .col("field_code")
                    .col("volunteer_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "volunteer_field",
            "volunteer",
            "station",
            "organization",
            "service_field",
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
