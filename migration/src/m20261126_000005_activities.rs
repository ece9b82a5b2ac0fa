//! Volunteer service, second part: activities, sign-ups, attendance (check-in/out),
//! service records, star nominations, certificates, and the per-unit daily figures
//! that statistics are answered from.

use sea_orm_migration::prelude::*;

use crate::{id_col, timestamp_col, unit_code_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    table: &'static str,
    col: &'static str,
    to: &'static str,
    to_col: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(to, to_col)
        .to_owned()
}

fn ts_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn ts(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn counter(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    manager.create_index(idx.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        // A volunteer's ledger total and stars, kept with every approval and grant so
        // lists and filters never sum records. SQLite adds one column per statement.
        for col in [
            counter("approved_half_hours"),
            ColumnDef::new("stars")
                .small_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ts_null("barred_until"),
        ] {
            manager
                .alter_table(Table::alter().table("volunteer").add_column(col).to_owned())
                .await?;
        }
        index(
            manager,
            "idx_volunteer_unit_stars",
            "volunteer",
            &["unit_code", "stars"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("activity")
                    .col(id_col())
                    .col(ColumnDef::new("title").string_len(200).not_null())
                    .col(ColumnDef::new("field_code").string_len(40).not_null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("project_id").big_integer().null())
                    .col(ColumnDef::new("team_id").big_integer().null())
                    .col(ColumnDef::new("place").string_len(200).not_null())
                    .col(ts("starts_at"))
                    .col(ts("ends_at"))
                    .col(ts_null("recruit_from"))
                    .col(ts_null("recruit_until"))
                    .col(ColumnDef::new("capacity").integer().not_null())
                    .col(ColumnDef::new("signed_up").integer().not_null().default(0))
                    .col(ColumnDef::new("state").string_len(20).not_null())
                    .col(ColumnDef::new("people_served").integer().null())
                    .col(ColumnDef::new("checkin_secret").string_len(64).not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(ColumnDef::new("state_changed_by").big_integer().null())
                    .col(timestamp_col("state_changed_at"))
                    .col(timestamp_col("created_at"))
                    .foreign_key(&mut fk("activity", "unit_code", "unit", "code"))
                    .foreign_key(&mut fk("activity", "field_code", "service_field", "code"))
                    .foreign_key(&mut fk("activity", "project_id", "project", "id"))
                    .foreign_key(&mut fk("activity", "team_id", "team", "id"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_activity_unit",
            "activity",
            &["unit_code", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_activity_unit_start",
            "activity",
            &["unit_code", "starts_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("signup")
                    .col(id_col())
                    .col(ColumnDef::new("activity_id").big_integer().not_null())
                    .col(ColumnDef::new("volunteer_id").big_integer().not_null())
                    .col(ColumnDef::new("user_id").big_integer().null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("state").string_len(20).not_null())
                    .col(timestamp_col("created_at"))
                    .col(ts_null("cancelled_at"))
                    .foreign_key(&mut fk("signup", "activity_id", "activity", "id"))
                    .foreign_key(&mut fk("signup", "volunteer_id", "volunteer", "id"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_signup_once",
            "signup",
            &["activity_id", "volunteer_id"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_signup_unit",
            "signup",
            &["unit_code", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_signup_volunteer",
            "signup",
            &["volunteer_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("attendance")
                    .col(id_col())
                    .col(ColumnDef::new("signup_id").big_integer().not_null())
                    .col(ColumnDef::new("activity_id").big_integer().not_null())
                    .col(ColumnDef::new("volunteer_id").big_integer().not_null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ts("check_in_at"))
                    .col(ts_null("check_out_at"))
                    .col(ColumnDef::new("check_in_method").string_len(20).not_null())
                    .col(ColumnDef::new("check_out_method").string_len(20).null())
                    .col(ColumnDef::new("check_in_reason").string_len(500).null())
                    .col(ColumnDef::new("check_out_reason").string_len(500).null())
                    .col(ColumnDef::new("checked_in_by").big_integer().null())
                    .col(ColumnDef::new("checked_out_by").big_integer().null())
                    .foreign_key(&mut fk("attendance", "signup_id", "signup", "id"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_attendance_signup",
            "attendance",
            &["signup_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("service_record")
                    .col(id_col())
                    .col(ColumnDef::new("volunteer_id").big_integer().not_null())
                    .col(ColumnDef::new("user_id").big_integer().null())
                    .col(ColumnDef::new("activity_id").big_integer().null())
                    .col(ColumnDef::new("attendance_id").big_integer().null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("half_hours").integer().not_null())
                    .col(ts("started_at"))
                    .col(ts_null("ended_at"))
                    .col(ColumnDef::new("source").string_len(20).not_null())
                    .col(ColumnDef::new("content").string_len(200).not_null())
                    .col(ColumnDef::new("reason").string_len(500).null())
                    .col(ColumnDef::new("state").string_len(20).not_null())
                    .col(ColumnDef::new("recorded_by").big_integer().null())
                    .col(timestamp_col("recorded_at"))
                    .col(ColumnDef::new("decided_by").big_integer().null())
                    .col(ts_null("decided_at"))
                    .col(ColumnDef::new("decision_note").string_len(500).null())
                    .col(ColumnDef::new("corrects_id").big_integer().null())
                    .col(ColumnDef::new("fraud").boolean().not_null().default(false))
                    .foreign_key(&mut fk("service_record", "volunteer_id", "volunteer", "id"))
                    .foreign_key(&mut fk("service_record", "activity_id", "activity", "id"))
                    .foreign_key(&mut fk("service_record", "unit_code", "unit", "code"))
                    .foreign_key(&mut fk(
                        "service_record",
                        "corrects_id",
                        "service_record",
                        "id",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_service_record_unit",
            "service_record",
            &["unit_code", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_service_record_volunteer",
            "service_record",
            &["volunteer_id", "state"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_service_record_corrects",
            "service_record",
            &["corrects_id"],
            false,
        )
        .await?;
        // One record per check-out: a retried check-out cannot credit twice.
        index(
            manager,
            "idx_service_record_attendance",
            "service_record",
            &["attendance_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("star_nomination")
                    .col(id_col())
                    .col(ColumnDef::new("volunteer_id").big_integer().not_null())
                    .col(ColumnDef::new("user_id").big_integer().null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("stars").small_integer().not_null())
                    .col(ColumnDef::new("half_hours").big_integer().not_null())
                    .col(ColumnDef::new("state").string_len(20).not_null())
                    .col(ts("nominated_at"))
                    .col(ts("listed_until"))
                    .col(ColumnDef::new("granted_by").big_integer().null())
                    .col(ts_null("granted_at"))
                    .foreign_key(&mut fk(
                        "star_nomination",
                        "volunteer_id",
                        "volunteer",
                        "id",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_star_nomination_once",
            "star_nomination",
            &["volunteer_id", "stars"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_star_nomination_unit",
            "star_nomination",
            &["unit_code", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("certificate")
                    .col(id_col())
                    .col(
                        ColumnDef::new("number")
                            .string_len(40)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("volunteer_id").big_integer().not_null())
                    .col(ColumnDef::new("user_id").big_integer().null())
                    .col(unit_code_col(backend, "unit_code").not_null())
                    .col(ColumnDef::new("period_from").date().not_null())
                    .col(ColumnDef::new("period_to").date().not_null())
                    .col(ColumnDef::new("half_hours").big_integer().not_null())
                    .col(ColumnDef::new("content").text().not_null())
                    .col(ColumnDef::new("real_name").string_len(100).not_null())
                    .col(ColumnDef::new("id_kind").string_len(20).not_null())
                    .col(ColumnDef::new("id_number").string_len(40).not_null())
                    .col(ColumnDef::new("volunteer_number").string_len(40).not_null())
                    .col(ColumnDef::new("handler_id").big_integer().not_null())
                    .col(ColumnDef::new("handler_name").string_len(100).not_null())
                    .col(timestamp_col("issued_at"))
                    .foreign_key(&mut fk("certificate", "volunteer_id", "volunteer", "id"))
                    .foreign_key(&mut fk("certificate", "unit_code", "unit", "code"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_certificate_unit",
            "certificate",
            &["unit_code", "id"],
            false,
        )
        .await?;

        // Figures per unit and day (China Standard Time), kept in the transaction of
        // every change; statistics sum ranges of this table instead of loading rows.
        // Stock figures (volunteers, stars) are stored as daily changes.
        let mut daily = Table::create();
        daily
            .table("unit_daily")
            .col(unit_code_col(backend, "unit_code").not_null())
            .col(ColumnDef::new("day").date().not_null());
        for c in [
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
        ] {
            daily.col(counter(c));
        }
        daily.primary_key(Index::create().col("unit_code").col("day"));
        manager.create_table(daily.to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "unit_daily",
            "certificate",
            "star_nomination",
            "service_record",
            "attendance",
            "signup",
            "activity",
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_volunteer_unit_stars")
                    .table("volunteer")
                    .to_owned(),
            )
            .await?;
        for c in ["barred_until", "stars", "approved_half_hours"] {
            manager
                .alter_table(Table::alter().table("volunteer").drop_column(c).to_owned())
                .await?;
        }
        Ok(())
    }
}
