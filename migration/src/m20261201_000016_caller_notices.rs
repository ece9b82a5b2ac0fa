//! Several instances may share one PostgreSQL database, each keeping who is calling
//! per session (`api/src/services/callers.rs`). These triggers notify the
//! `kapok_callers` channel in any transaction that revokes or changes a session,
//! disables a user or changes whether it must change its password, or grants,
//! changes or revokes a role; every instance's listener then forgets what it kept.
//! Notices are delivered at commit, once per distinct payload per transaction, and
//! take no row locks. New sessions and new users need no notice: nothing is kept for
//! them yet.
//!
//! SQLite has no notices. The same triggers bump the one row of `caller_epoch`
//! instead, which the server reads with each signed-in request (a cheap, in-process
//! read) and forgets what it kept when it moved; so a change made by hand with the
//! `sqlite3` shell also bites on the next request. (SQLite has a single writer, so the
//! shared row cannot deadlock two writers as it could on PostgreSQL.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE FUNCTION kapok_callers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kapok_callers', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
CREATE TRIGGER session_callers_changed
  AFTER UPDATE OF user_id, revoked_at, expires_at OR DELETE ON "session"
  FOR EACH STATEMENT EXECUTE FUNCTION kapok_callers_changed();
CREATE TRIGGER user_callers_changed
  AFTER UPDATE OF disabled, must_change_password OR DELETE ON "user"
  FOR EACH STATEMENT EXECUTE FUNCTION kapok_callers_changed();
CREATE TRIGGER role_assignment_callers_changed
  AFTER INSERT OR UPDATE OR DELETE ON "role_assignment"
  FOR EACH STATEMENT EXECUTE FUNCTION kapok_callers_changed();
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE caller_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO caller_epoch (id, version) VALUES (1, 0);
CREATE TRIGGER session_callers_updated AFTER UPDATE OF user_id, revoked_at, expires_at ON "session"
  BEGIN UPDATE caller_epoch SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER session_callers_deleted AFTER DELETE ON "session"
  BEGIN UPDATE caller_epoch SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_callers_updated AFTER UPDATE OF disabled, must_change_password ON "user"
  BEGIN UPDATE caller_epoch SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_callers_deleted AFTER DELETE ON "user"
  BEGIN UPDATE caller_epoch SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER role_assignment_callers_inserted AFTER INSERT ON "role_assignment"
  BEGIN UPDATE caller_epoch SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER role_assignment_callers_updated AFTER UPDATE ON "role_assignment"
  BEGIN UPDATE caller_epoch SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER role_assignment_callers_deleted AFTER DELETE ON "role_assignment"
  BEGIN UPDATE caller_epoch SET version = version + 1 WHERE id = 1; END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER IF EXISTS session_callers_updated;
DROP TRIGGER IF EXISTS session_callers_deleted;
DROP TRIGGER IF EXISTS user_callers_updated;
DROP TRIGGER IF EXISTS user_callers_deleted;
DROP TRIGGER IF EXISTS role_assignment_callers_inserted;
DROP TRIGGER IF EXISTS role_assignment_callers_updated;
DROP TRIGGER IF EXISTS role_assignment_callers_deleted;
DROP TABLE IF EXISTS caller_epoch;
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS session_callers_changed ON "session";
DROP TRIGGER IF EXISTS user_callers_changed ON "user";
DROP TRIGGER IF EXISTS role_assignment_callers_changed ON "role_assignment";
DROP FUNCTION IF EXISTS kapok_callers_changed();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DatabaseBackend::Postgres => UP,
            _ => SQLITE_UP,
        };
        manager.get_connection().execute_unprepared(sql).await?;
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
