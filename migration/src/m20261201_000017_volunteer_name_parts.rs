//! Name search without scanning every volunteer in scope. `volunteers(search:)`
//! matches names containing the text (`real_name LIKE '%text%'`); at city scale that
//! was a scan of two million rows per search. `volunteer_name_part` keeps every
//! suffix of every name (cut to 10 characters): a name contains the text exactly when
//! one of its suffixes starts with it, so a search reads one index range — the
//! suffixes starting with the text's first 10 characters — and checks the few
//! volunteers it names with the same `LIKE` as before. Results do not change.
//!
//! Triggers keep the table in step with `volunteer` on both databases, whatever
//! writes it (the API, `demo-data`, SQL by hand). PostgreSQL compares the parts
//! byte-wise (`COLLATE "C"`), so a prefix is one range. SQLite's `LIKE` ignores the
//! case of ASCII letters, so its parts are kept in SQLite's `lower()` (ASCII only)
//! and searches lowered the same way. Names are at most 100 characters (the API's
//! limit), which bounds the parts per volunteer.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE volunteer_name_part (
  part varchar(10) COLLATE "C" NOT NULL,
  volunteer_id bigint NOT NULL,
  PRIMARY KEY (part, volunteer_id)
);
INSERT INTO volunteer_name_part (part, volunteer_id)
  SELECT DISTINCT substr(v.real_name, k, 10), v.id
  FROM volunteer v, generate_series(1, char_length(v.real_name)) AS k;
-- Bulk inserts (demo-data) add parts once per statement.
CREATE FUNCTION kapok_volunteer_names_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO volunteer_name_part (part, volunteer_id)
    SELECT DISTINCT substr(n.real_name, k, 10), n.id
    FROM inserted n, generate_series(1, char_length(n.real_name)) AS k;
  RETURN NULL;
END
$$;
CREATE TRIGGER volunteer_names_inserted AFTER INSERT ON volunteer
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION kapok_volunteer_names_inserted();
-- A rename or a deletion removes the old name's parts by the primary key.
CREATE FUNCTION kapok_volunteer_name_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM volunteer_name_part
    WHERE volunteer_id = OLD.id
      AND part IN (SELECT substr(OLD.real_name, k, 10) FROM generate_series(1, char_length(OLD.real_name)) AS k);
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO volunteer_name_part (part, volunteer_id)
      SELECT DISTINCT substr(NEW.real_name, k, 10), NEW.id
      FROM generate_series(1, char_length(NEW.real_name)) AS k;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER volunteer_name_changed AFTER UPDATE OF real_name OR DELETE ON volunteer
  FOR EACH ROW EXECUTE FUNCTION kapok_volunteer_name_changed();
ANALYZE volunteer_name_part;
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS volunteer_names_inserted ON volunteer;
DROP TRIGGER IF EXISTS volunteer_name_changed ON volunteer;
DROP FUNCTION IF EXISTS kapok_volunteer_names_inserted();
DROP FUNCTION IF EXISTS kapok_volunteer_name_changed();
DROP TABLE IF EXISTS volunteer_name_part;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER IF EXISTS volunteer_names_inserted;
DROP TRIGGER IF EXISTS volunteer_name_renamed;
DROP TRIGGER IF EXISTS volunteer_name_deleted;
DROP TABLE IF EXISTS volunteer_name_part;
"#;

/// SQLite allows no recursive query inside a trigger; the positions 1..=100 come
/// from a JSON array instead.
fn sqlite_up() -> String {
    let positions = (1..=100)
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let parts = |row: &str| {
        format!(
            "SELECT DISTINCT substr(lower({row}.real_name), p.value, 10), {row}.id \
             FROM json_each('[{positions}]') AS p WHERE p.value <= length({row}.real_name)"
        )
    };
    let old_parts = format!(
        "DELETE FROM volunteer_name_part WHERE volunteer_id = OLD.id AND part IN \
         (SELECT substr(lower(OLD.real_name), p.value, 10) FROM json_each('[{positions}]') AS p \
         WHERE p.value <= length(OLD.real_name));"
    );
    format!(
        "CREATE TABLE volunteer_name_part (\
           part TEXT NOT NULL, volunteer_id INTEGER NOT NULL, \
           PRIMARY KEY (part, volunteer_id)) WITHOUT ROWID;\n\
         INSERT OR IGNORE INTO volunteer_name_part (part, volunteer_id) {all};\n\
         CREATE TRIGGER volunteer_names_inserted AFTER INSERT ON volunteer BEGIN \
           INSERT OR IGNORE INTO volunteer_name_part (part, volunteer_id) {new}; END;\n\
         CREATE TRIGGER volunteer_name_renamed AFTER UPDATE OF real_name ON volunteer BEGIN \
           {old_parts} \
           INSERT OR IGNORE INTO volunteer_name_part (part, volunteer_id) {new}; END;\n\
         CREATE TRIGGER volunteer_name_deleted AFTER DELETE ON volunteer BEGIN {old_parts} END;\n\
         ANALYZE volunteer_name_part;",
        all = parts("v").replace("FROM json_each", "FROM volunteer AS v, json_each"),
        new = parts("NEW"),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DatabaseBackend::Postgres => UP.to_owned(),
            _ => sqlite_up(),
        };
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DatabaseBackend::Postgres => DOWN,
            _ => SQLITE_DOWN,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }
}
