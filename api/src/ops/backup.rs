//! `kapok backup FILE`: an online, consistent copy of the embedded SQLite database.
//! PostgreSQL has its own tools (`pg_dump`), which are the right ones there.

use std::path::Path;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("this is a PostgreSQL database: back it up with pg_dump (e.g. `pg_dump -Fc -f kapok.dump \"$DATABASE_URL\"`) and restore with pg_restore")]
    NotSqlite,
    #[error("{0} exists already; choose a new file")]
    Exists(String),
    #[error("the backup file name must be valid UTF-8")]
    BadPath,
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
}

/// Copies the live database into `file` with `VACUUM INTO`: one read transaction,
/// so the copy is consistent while the server keeps serving, then checks the copy.
/// Returns the copy's size in bytes.
pub async fn backup(conn: &DatabaseConnection, file: &Path) -> Result<u64, BackupError> {
    if conn.get_database_backend() != DbBackend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if file.exists() {
        return Err(BackupError::Exists(file.display().to_string()));
    }
    let path = file.to_str().ok_or(BackupError::BadPath)?;
    // A string literal: VACUUM INTO takes no bound parameters.
    let literal = format!("'{}'", path.replace('\'', "''"));
    conn.execute_unprepared(&format!("VACUUM INTO {literal}"))
        .await?;
    let copy = sea_orm::Database::connect(format!("sqlite://{path}?mode=ro")).await?;
    let row = copy
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await?;
    let verdict: String = row
        .map(|r| r.try_get_by_index(0))
        .transpose()?
        .unwrap_or_default();
    copy.close().await.ok();
    if verdict != "ok" {
        return Err(BackupError::Corrupt(verdict));
    }
    Ok(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0))
}
