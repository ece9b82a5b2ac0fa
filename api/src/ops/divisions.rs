//! Importing administrative divisions from the CSV format of `shared/data/divisions`
//! (`code,name,level,parent_code`, parents before children, plain or gzip).
//!
//! The whole import is one transaction: a killed import leaves nothing behind and a
//! rerun does the whole job, so no subtree is ever half there. Rows are validated
//! against the database and the rows accepted before them; a bad row is reported
//! with its line number and skipped, and so is everything below it.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use entity::unit;
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use policies::{Level, UnitCode};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, TransactionTrait,
};

/// The Guangzhou divisions shipped with the server, loaded into an empty database.
pub const BUNDLED_GUANGZHOU: &[u8] = include_bytes!("../../data/guangzhou.csv");

/// Rows per INSERT: 4 values each keeps well under SQLite's 32,766 and PostgreSQL's
/// 65,535 bind parameters.
const INSERT_BATCH: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the file is not a divisions CSV: {0}")]
    Format(String),
    #[error("database error during import: {0}")]
    Database(#[from] DbErr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    pub line: u64,
    pub code: UnitCode,
    pub name: String,
    pub level: Level,
    pub parent: Option<UnitCode>,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows_read: u64,
    pub per_level: BTreeMap<Level, LevelCounts>,
    pub skipped: Vec<RowProblem>,
}

impl ImportReport {
    pub fn total(&self) -> LevelCounts {
        self.per_level
            .values()
            .fold(LevelCounts::default(), |a, c| LevelCounts {
                inserted: a.inserted + c.inserted,
                updated: a.updated + c.updated,
                unchanged: a.unchanged + c.unchanged,
            })
    }

    /// A printable summary: one line per level, then the skipped rows.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:<10} {:>10} {:>10} {:>10}\n",
            "level", "inserted", "updated", "unchanged"
        );
        for (level, c) in &self.per_level {
            out.push_str(&format!(
                "{:<10} {:>10} {:>10} {:>10}\n",
                level.as_str(),
                c.inserted,
                c.updated,
                c.unchanged
            ));
        }
        let t = self.total();
        out.push_str(&format!(
            "{:<10} {:>10} {:>10} {:>10}\n",
            "total", t.inserted, t.updated, t.unchanged
        ));
        out.push_str(&format!(
            "{} rows read, {} skipped\n",
            self.rows_read,
            self.skipped.len()
        ));
        for p in &self.skipped {
            out.push_str(&format!("  line {}: {}: {}\n", p.line, p.code, p.reason));
        }
        out
    }
}

/// Parses the CSV. Malformed rows become problems; only an unusable header is an error.
pub fn read_rows(input: impl Read) -> Result<(Vec<DivisionRow>, Vec<RowProblem>), ImportError> {
    let mut buffered = BufReader::new(input);
    let is_gzip = buffered
        .fill_buf()
        .map(|b| b.starts_with(&[0x1f, 0x8b]))
        .unwrap_or(false);
    let reader: Box<dyn Read> = if is_gzip {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| ImportError::Format(e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| ImportError::Format(format!("missing column `{name}`")))
    };
    let (c_code, c_name, c_level, c_parent) = (
        col("code")?,
        col("name")?,
        col("level")?,
        col("parent_code")?,
    );

    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in csv.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(RowProblem {
                    line,
                    code: String::new(),
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let field = |i: usize| record.get(i).unwrap_or("");
        let raw_code = field(c_code);
        match parse_row(
            line,
            raw_code,
            field(c_name),
            field(c_level),
            field(c_parent),
        ) {
            Ok(row) => rows.push(row),
            Err(reason) => problems.push(RowProblem {
                line,
                code: raw_code.to_owned(),
                reason,
            }),
        }
    }
    Ok((rows, problems))
}

fn parse_row(
    line: u64,
    code: &str,
    name: &str,
    level: &str,
    parent: &str,
) -> Result<DivisionRow, String> {
    let code = UnitCode::parse(code).map_err(|e| e.to_string())?;
    let level: Level = level
        .parse()
        .map_err(|e: policies::CodeError| e.to_string())?;
    if code.level() != level {
        return Err(format!(
            "level {level} does not match the code, which is a {} code",
            code.level()
        ));
    }
    if name.is_empty() {
        return Err("name is empty".into());
    }
    let parent = if parent.is_empty() {
        None
    } else {
        let p = UnitCode::parse(parent).map_err(|e| format!("parent_code: {e}"))?;
        if !p.is_parent_of(&code) {
            return Err(format!(
                "code does not extend parent code {p} one level down"
            ));
        }
        Some(p)
    };
    Ok(DivisionRow {
        line,
        code,
        name: name.to_owned(),
        level,
        parent,
    })
}

struct Existing {
    name: String,
    level: String,
    parent_code: Option<String>,
}

enum Action {
    Insert,
    Update,
    Unchanged,
}

pub async fn import_file(
    db: &DatabaseConnection,
    path: &Path,
    root: Option<&UnitCode>,
    progress: bool,
) -> Result<ImportReport, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let spinner = if progress {
        let s = ProgressBar::new_spinner();
        s.set_message(format!("reading {}", path.display()));
        s.enable_steady_tick(std::time::Duration::from_millis(120));
        s
    } else {
        ProgressBar::hidden()
    };
    let (rows, problems) = read_rows(file)?;
    spinner.finish_and_clear();
    import_rows(db, rows, problems, root, progress).await
}

/// Loads the bundled Guangzhou divisions when the unit table is empty. Returns the
/// report when it loaded anything.
pub async fn load_bundled_if_empty(
    db: &DatabaseConnection,
) -> Result<Option<ImportReport>, ImportError> {
    if unit::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let (rows, problems) = read_rows(BUNDLED_GUANGZHOU)?;
    import_rows(db, rows, problems, None, false).await.map(Some)
}

pub async fn import_rows(
    db: &DatabaseConnection,
    rows: Vec<DivisionRow>,
    mut problems: Vec<RowProblem>,
    root: Option<&UnitCode>,
    progress: bool,
) -> Result<ImportReport, ImportError> {
    let txn = db.begin().await?;
    // Read what exists inside the transaction so the plan matches what we write over.
    let existing: HashMap<String, Existing> = unit::Entity::find()
        .select_only()
        .columns([
            unit::Column::Code,
            unit::Column::Name,
            unit::Column::Level,
            unit::Column::ParentCode,
        ])
        .into_tuple::<(String, String, String, Option<String>)>()
        .all(&txn)
        .await?
        .into_iter()
        .map(|(code, name, level, parent_code)| {
            (
                code,
                Existing {
                    name,
                    level,
                    parent_code,
                },
            )
        })
        .collect();

    let mut report = ImportReport {
        rows_read: rows.len() as u64 + problems.len() as u64,
        ..Default::default()
    };
    // Levels of every unit a later row may hang under: the database's, then accepted rows'.
    let mut known: HashMap<String, Level> = existing
        .iter()
        .filter_map(|(code, e)| e.level.parse().ok().map(|l| (code.clone(), l)))
        .collect();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut inserts: Vec<(&DivisionRow, Option<String>)> = Vec::new();
    let mut updates: Vec<(&DivisionRow, Option<String>)> = Vec::new();

    for row in &rows {
        if let Some(root) = root {
            if !root.contains(&row.code) {
                continue;
            }
        }
        let skip = |reason: String| RowProblem {
            line: row.line,
            code: row.code.to_string(),
            reason,
        };
        if let Some(first) = first_line.get(row.code.as_str()) {
            problems.push(skip(format!("duplicate code, first seen on line {first}")));
            continue;
        }
        // The parent the row will be stored with. The root of a `--root` import may
        // stand alone when its parent is not loaded; a later import of the parent
        // links it.
        let parent = match &row.parent {
            None => None,
            Some(p) if known.contains_key(p.as_str()) => Some(p.to_string()),
            Some(_) if root == Some(&row.code) => None,
            Some(p) => {
                problems.push(skip(format!("parent {p} not found")));
                continue;
            }
        };
        let action = match existing.get(row.code.as_str()) {
            None => Action::Insert,
            Some(e) if e.level != row.level.as_str() => {
                problems.push(skip(format!(
                    "already exists as a {} unit, not a {}",
                    e.level, row.level
                )));
                continue;
            }
            // A standalone root keeps the parent it already has.
            Some(e) if e.name == row.name && (e.parent_code == parent || parent.is_none()) => {
                Action::Unchanged
            }
            Some(_) => Action::Update,
        };
        first_line.insert(row.code.to_string(), row.line);
        known.insert(row.code.to_string(), row.level);
        let counts = report.per_level.entry(row.level).or_default();
        match action {
            Action::Insert => {
                counts.inserted += 1;
                inserts.push((row, parent));
            }
            Action::Update => {
                counts.updated += 1;
                updates.push((row, parent));
            }
            Action::Unchanged => counts.unchanged += 1,
        }
    }

    let bar = if progress {
        let b = ProgressBar::new((inserts.len() + updates.len()) as u64);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} writing units [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };

    // Inserts first and in file order, so every parent exists before its children
    // (and before an update links an existing root to a newly inserted parent).
    for chunk in inserts.chunks(INSERT_BATCH) {
        let mut stmt = Query::insert();
        stmt.into_table(unit::Entity).columns([
            unit::Column::Code,
            unit::Column::Name,
            unit::Column::Level,
            unit::Column::ParentCode,
        ]);
        for (row, parent) in chunk {
            stmt.values([
                row.code.as_str().into(),
                row.name.as_str().into(),
                row.level.as_str().into(),
                parent.clone().into(),
            ])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        txn.execute(&stmt).await?;
        bar.inc(chunk.len() as u64);
    }
    for (row, parent) in &updates {
        let mut update = unit::Entity::update_many()
            .col_expr(unit::Column::Name, Expr::value(row.name.as_str()))
            .col_expr(unit::Column::UpdatedAt, Expr::current_timestamp());
        if let Some(p) = parent {
            update = update.col_expr(unit::Column::ParentCode, Expr::value(p.as_str()));
        }
        update
            .filter(unit::Column::Code.eq(row.code.as_str()))
            .exec(&txn)
            .await?;
        bar.inc(1);
    }
    txn.commit().await?;
    bar.finish_and_clear();
    problems.sort_by_key(|p| p.line);
    report.skipped = problems;
    Ok(report)
}
