//! Operator work on the audit log: checking the hash chain, exporting entries to a
//! file and archiving them (removing them only after the file is written and
//! checked, with an anchor the chain continues from), and the throttled sign-ins.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use entity::{audit_anchor, audit_log, login_throttled};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::services::audit::{entry_hash, lock_chain};

#[derive(Debug, thiserror::Error)]
pub enum AuditOpsError {
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

const BATCH: u64 = 2_000;

/// The next entries after `after` in id order (up to `through`, when given).
async fn batch_after(
    conn: &impl ConnectionTrait,
    after: i64,
    through: Option<i64>,
) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut q = audit_log::Entity::find().filter(audit_log::Column::Id.gt(after));
    if let Some(end) = through {
        q = q.filter(audit_log::Column::Id.lte(end));
    }
    q.order_by_asc(audit_log::Column::Id)
        .limit(BATCH)
        .all(conn)
        .await
}

/// Where a walk of the chain found it broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub id: i64,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// The archived entry the chain continues from, if any were archived.
    pub anchored_after: Option<i64>,
    pub first_break: Option<Break>,
}

/// Checks a run of entries against the hash expected before the first. `expected`
/// is updated to the last entry's hash; the first problem is returned.
fn check_run<'a>(
    rows: impl IntoIterator<Item = &'a audit_log::Model>,
    expected: &mut Option<String>,
    checked: &mut u64,
) -> Option<Break> {
    for m in rows {
        *checked += 1;
        let Some(stored) = &m.hash else {
            return Some(Break {
                id: m.id,
                problem: "the entry has no hash (written around the chain)".into(),
            });
        };
        if m.prev_hash != *expected {
            return Some(Break {
                id: m.id,
                problem:
                    "it does not follow the entry before it (one was removed, added or reordered)"
                        .into(),
            });
        }
        if entry_hash(m, m.prev_hash.as_deref()) != *stored {
            return Some(Break {
                id: m.id,
                problem: "its content does not match its hash (it was edited)".into(),
            });
        }
        *expected = Some(stored.clone());
    }
    None
}

async fn latest_anchor(conn: &impl ConnectionTrait) -> Result<Option<audit_anchor::Model>, DbErr> {
    audit_anchor::Entity::find()
        .order_by_desc(audit_anchor::Column::Id)
        .one(conn)
        .await
}

/// Walks the whole chain from the latest anchor (or the first entry), in id order.
pub async fn verify(
    conn: &DatabaseConnection,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<VerifyReport, AuditOpsError> {
    let anchor = latest_anchor(conn).await?;
    let mut expected = anchor.as_ref().map(|a| a.through_hash.clone());
    let mut after = anchor.as_ref().map(|a| a.through_id).unwrap_or(0);
    if let Some(p) = progress {
        p.set_length(audit_log::Entity::find().count(conn).await?);
    }
    let mut checked = 0;
    loop {
        let rows = batch_after(conn, after, None).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let before = checked;
        if let Some(b) = check_run(&rows, &mut expected, &mut checked) {
            return Ok(VerifyReport {
                entries: checked,
                anchored_after: anchor.map(|a| a.through_id),
                first_break: Some(b),
            });
        }
        if let Some(p) = progress {
            p.inc(checked - before);
        }
    }
    Ok(VerifyReport {
        entries: checked,
        anchored_after: anchor.map(|a| a.through_id),
        first_break: None,
    })
}

/// Chains entries written before the chain existed (the upgrade that added it):
/// only when no entry has a hash yet, so rows written around the chain later are
/// reported by `verify`, never blessed.
pub async fn seal_legacy(conn: &DatabaseConnection) -> Result<u64, DbErr> {
    let hashed = audit_log::Entity::find()
        .filter(audit_log::Column::Hash.is_not_null())
        .count(conn)
        .await?;
    if hashed > 0 {
        return Ok(0);
    }
    let txn = conn.begin().await?;
    lock_chain(&txn)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let mut prev: Option<String> = None;
    let mut after = 0;
    let mut sealed = 0;
    loop {
        let rows = batch_after(&txn, after, None).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for m in rows {
            let hash = entry_hash(&m, prev.as_deref());
            audit_log::Entity::update_many()
                .col_expr(audit_log::Column::PrevHash, prev.clone().into())
                .col_expr(audit_log::Column::Hash, hash.clone().into())
                .filter(audit_log::Column::Id.eq(m.id))
                .exec(&txn)
                .await?;
            prev = Some(hash);
            sealed += 1;
        }
    }
    txn.commit().await?;
    Ok(sealed)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub entries: u64,
    /// The last exported entry and its hash (None when nothing was before the date).
    pub through: Option<(i64, String)>,
    pub file_sha256: String,
}

fn file_err(path: &Path) -> impl Fn(std::io::Error) -> AuditOpsError + '_ {
    move |source| AuditOpsError::File {
        path: path.to_owned(),
        source,
    }
}

/// The last entry of the unbroken run of entries created before `before`: entries
/// are exported and archived as a prefix of the chain, never with holes.
async fn prefix_end(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let first_kept = audit_log::Entity::find()
        .filter(audit_log::Column::CreatedAt.gte(before))
        .order_by_asc(audit_log::Column::Id)
        .one(conn)
        .await?;
    let mut q = audit_log::Entity::find().order_by_desc(audit_log::Column::Id);
    if let Some(k) = first_kept {
        q = q.filter(audit_log::Column::Id.lt(k.id));
    }
    Ok(q.one(conn).await?.map(|m| m.id))
}

/// Writes every entry created before `before` (a prefix of the chain) to `file` as
/// gzip-compressed JSON Lines, then reads the file back and checks it: the count,
/// every entry's hash, the links between them, and that the last one is the entry
/// the database holds. The file appears under its name only once it is complete.
pub async fn export(
    conn: &DatabaseConnection,
    before: DateTime<Utc>,
    file: &Path,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<ExportReport, AuditOpsError> {
    let anchor = latest_anchor(conn).await?;
    let start_after = anchor.as_ref().map(|a| a.through_id).unwrap_or(0);
    let start_hash = anchor.map(|a| a.through_hash);
    let Some(end) = prefix_end(conn, before).await? else {
        return Err(AuditOpsError::Invalid(format!(
            "no audit entries before {before}"
        )));
    };
    if let Some(p) = progress {
        p.set_length(
            audit_log::Entity::find()
                .filter(audit_log::Column::Id.gt(start_after))
                .filter(audit_log::Column::Id.lte(end))
                .count(conn)
                .await?,
        );
    }
    let partial = file.with_extension("partial");
    let out = File::create(&partial).map_err(file_err(&partial))?;
    let mut gz = GzEncoder::new(BufWriter::new(out), flate2::Compression::default());
    let mut after = start_after;
    let mut written = 0u64;
    let mut expected = start_hash.clone();
    let mut checked = 0;
    loop {
        let rows = batch_after(conn, after, Some(end)).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        // Only an unbroken chain is exported: an archive of a tampered log would
        // carry the tampering away.
        if let Some(b) = check_run(&rows, &mut expected, &mut checked) {
            let _ = std::fs::remove_file(&partial);
            return Err(AuditOpsError::Invalid(format!(
                "the chain is broken at entry {}: {}; nothing was exported",
                b.id, b.problem
            )));
        }
        for m in rows {
            let line =
                serde_json::to_string(&m).map_err(|e| AuditOpsError::Invalid(e.to_string()))?;
            gz.write_all(line.as_bytes())
                .and_then(|_| gz.write_all(b"\n"))
                .map_err(file_err(&partial))?;
            written += 1;
        }
        if let Some(p) = progress {
            p.set_position(written);
        }
    }
    let out = gz.finish().map_err(file_err(&partial))?;
    let out = out.into_inner().map_err(|e| AuditOpsError::File {
        path: partial.clone(),
        source: e.into_error(),
    })?;
    out.sync_all().map_err(file_err(&partial))?;
    drop(out);
    std::fs::rename(&partial, file).map_err(file_err(file))?;
    let last_hash = expected.clone().unwrap_or_default();
    let file_sha256 = check_file(file, start_hash, written, &last_hash)?;
    Ok(ExportReport {
        entries: written,
        through: Some((end, last_hash)),
        file_sha256,
    })
}

/// Reads an export back: `entries` lines, each hashing to what it says, linked from
/// `start_hash`, the last with `last_hash`. Returns the file's SHA-256.
pub fn check_file(
    file: &Path,
    start_hash: Option<String>,
    entries: u64,
    last_hash: &str,
) -> Result<String, AuditOpsError> {
    let bytes = std::fs::read(file).map_err(file_err(file))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let reader = BufReader::new(MultiGzDecoder::new(&bytes[..]));
    let mut expected = start_hash;
    let mut checked = 0;
    for line in reader.lines() {
        let line = line.map_err(file_err(file))?;
        let m: audit_log::Model = serde_json::from_str(&line).map_err(|e| {
            AuditOpsError::Invalid(format!("{}: a line is not an entry: {e}", file.display()))
        })?;
        if let Some(b) = check_run([&m], &mut expected, &mut checked) {
            return Err(AuditOpsError::Invalid(format!(
                "{}: entry {} fails its check: {}",
                file.display(),
                b.id,
                b.problem
            )));
        }
    }
    if checked != entries || expected.as_deref().unwrap_or("") != last_hash {
        return Err(AuditOpsError::Invalid(format!(
            "{}: holds {checked} entries, {entries} were written",
            file.display()
        )));
    }
    Ok(sha)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveReport {
    pub export: ExportReport,
    pub removed: u64,
}

/// Exports the entries created before `before` to `file`, checks the file, and only
/// then removes those entries, recording an anchor (the last removed entry's id and
/// hash, the file and its SHA-256) in the same transaction.
pub async fn archive(
    conn: &DatabaseConnection,
    before: DateTime<Utc>,
    file: &Path,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<ArchiveReport, AuditOpsError> {
    let export = export(conn, before, file, progress).await?;
    let Some((through_id, through_hash)) = export.through.clone() else {
        return Ok(ArchiveReport { export, removed: 0 });
    };
    let txn = conn.begin().await?;
    lock_chain(&txn)
        .await
        .map_err(|e| AuditOpsError::Invalid(e.to_string()))?;
    // The entry the file ends with must still be the one in the database.
    let still = audit_log::Entity::find_by_id(through_id).one(&txn).await?;
    if still.and_then(|m| m.hash) != Some(through_hash.clone()) {
        return Err(AuditOpsError::Invalid(
            "the log changed while it was exported; nothing was removed".into(),
        ));
    }
    audit_anchor::Entity::insert(audit_anchor::ActiveModel {
        through_id: Set(through_id),
        through_hash: Set(through_hash),
        entries: Set(export.entries as i64),
        file: Set(crate::services::audit::cap_text(
            &file.display().to_string(),
            500,
        )),
        file_sha256: Set(export.file_sha256.clone()),
        archived_at: Set(crate::services::now()),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    let removed = audit_log::Entity::delete_many()
        .filter(audit_log::Column::Id.lte(through_id))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(ArchiveReport { export, removed })
}

/// Throttled sign-ins, newest window first.
pub async fn throttled(
    conn: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<login_throttled::Model>, DbErr> {
    login_throttled::Entity::find()
        .order_by_desc(login_throttled::Column::WindowStart)
        .order_by_desc(login_throttled::Column::Attempts)
        .limit(limit)
        .all(conn)
        .await
}
