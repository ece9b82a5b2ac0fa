//! `kapok import-divisions`: idempotency, bad rows, subtrees, gzip.

use std::io::Write;

use entity::unit;
use kapok_api::cli::Cli;
use kapok_api::ops::divisions::{self, read_rows};
use kapok_tests::{spawn_app, TestDb};
use policies::{Level, UnitCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

const GUANGZHOU: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/data/guangzhou.csv");

fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "kapok_{}_{name}",
        std::process::id() as u64 * 1000 + rand_u16() as u64
    ));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(contents))
        .expect("write temp file");
    path
}

fn rand_u16() -> u16 {
    use rand::Rng;
    rand::rng().random()
}

#[tokio::test]
async fn importing_twice_changes_nothing() {
    let test_db = TestDb::create().await;
    let db = kapok_api::db::connect(test_db.url()).await.unwrap();
    kapok_api::db::migrate(&db).await.unwrap();

    let first = divisions::import_file(&db, GUANGZHOU.as_ref(), None, false)
        .await
        .unwrap();
    let counts =
        |r: &divisions::ImportReport, l: Level| r.per_level.get(&l).copied().unwrap_or_default();
    assert_eq!(counts(&first, Level::City).inserted, 1);
    assert_eq!(counts(&first, Level::District).inserted, 11);
    assert_eq!(counts(&first, Level::Street).inserted, 178);
    assert_eq!(counts(&first, Level::Community).inserted, 2851);
    assert!(first.skipped.is_empty());
    if test_db.is_postgres() {
        // Vacuumed, not only analysed: every page is marked all-visible, so counts
        // read the (level, code) index without visiting the table.
        use sea_orm::ConnectionTrait;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT relpages::bigint, relallvisible::bigint FROM pg_class WHERE relname = 'unit'",
            ))
            .await
            .unwrap()
            .unwrap();
        let pages: i64 = row.try_get_by_index(0).unwrap();
        let visible: i64 = row.try_get_by_index(1).unwrap();
        assert!(pages > 0);
        assert_eq!(visible, pages);
    }

    let second = divisions::import_file(&db, GUANGZHOU.as_ref(), None, false)
        .await
        .unwrap();
    let t = second.total();
    assert_eq!((t.inserted, t.updated, t.unchanged), (0, 0, 3041));

    // A renamed unit is updated, and only it.
    // A new one whose name needs quoting in CSV (PostgreSQL writes new units with COPY)
    // is stored as written.
    let mut renamed = std::fs::read_to_string(GUANGZHOU)
        .unwrap()
        .replace("440104003108,盐运西社区居委会", "440104003108,盐运西社区");
    renamed.push_str("440104003199,\"新社区, \"\"甲\"\" \\ 乙\",community,440104003\n");
    let path = temp_file("renamed.csv", renamed.as_bytes());
    let third = divisions::import_file(&db, &path, None, false)
        .await
        .unwrap();
    std::fs::remove_file(&path).ok();
    let t = third.total();
    assert_eq!((t.inserted, t.updated, t.unchanged), (1, 1, 3040));
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let stored = |code: &'static str| {
        let db = db.clone();
        async move {
            entity::unit::Entity::find()
                .filter(entity::unit::Column::Code.eq(code))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let new = stored("440104003199").await;
    assert_eq!(new.name, "新社区, \"甲\" \\ 乙");
    assert_eq!(new.parent_code.as_deref(), Some("440104003"));
    assert_eq!(stored("440104003108").await.name, "盐运西社区");
}

#[tokio::test]
async fn a_row_with_a_missing_parent_is_reported_and_skipped() {
    let app = spawn_app().await;
    let csv = "code,name,level,parent_code\n\
               440104003108001,第一网格,grid,440104003108\n\
               440199001,不存在的街道,street,440199\n\
               440199001001,不存在的社区,community,440199001\n\
               440104003108002,第二网格,grid,440104003108\n\
               440104003108003,,grid,440104003108\n\
               440104003109001,错层网格,street,440104003109\n";
    let path = temp_file("missing.csv", csv.as_bytes());
    let report = divisions::import_file(&app.db, &path, None, false)
        .await
        .unwrap();
    std::fs::remove_file(&path).ok();
    let lines: Vec<(u64, &str)> = report
        .skipped
        .iter()
        .map(|p| (p.line, p.code.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (3, "440199001"),
            (4, "440199001001"),
            (6, "440104003108003"),
            (7, "440104003109001"),
        ],
        "{}",
        report.render()
    );
    assert!(report.skipped[0].reason.contains("parent 440199 not found"));
    assert_eq!(report.per_level[&Level::Grid].inserted, 2);

    let data = app
        .data(
            r#"{ unit(code: "440104003108") { children { totalCount edges { node { code name level } } } }
                 units(level: STREET) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["unit"]["children"]["totalCount"], 2);
    assert_eq!(
        data["unit"]["children"]["edges"][0]["node"]["level"],
        "GRID"
    );
    assert_eq!(data["units"]["totalCount"], 178, "nothing else was harmed");
}

#[tokio::test]
async fn root_option_imports_one_subtree_from_a_gzip_file() {
    let test_db = TestDb::create().await;
    let db = kapok_api::db::connect(test_db.url()).await.unwrap();
    kapok_api::db::migrate(&db).await.unwrap();

    // A national-format file: a province above Guangzhou, and another city.
    let mut csv = String::from("code,name,level,parent_code\n44,广东省,province,\n4403,深圳市,city,44\n440303,罗湖区,district,4403\n");
    for line in std::fs::read_to_string(GUANGZHOU).unwrap().lines().skip(1) {
        let line = if line.starts_with("4401,") {
            format!("{line}44")
        } else {
            line.to_owned()
        };
        csv.push_str(&line);
        csv.push('\n');
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(csv.as_bytes()).unwrap();
    let path = temp_file("country.csv.gz", &gz.finish().unwrap());

    let root = UnitCode::parse("4401").unwrap();
    let report = divisions::import_file(&db, &path, Some(&root), false)
        .await
        .unwrap();
    assert!(report.skipped.is_empty(), "{}", report.render());
    assert_eq!(report.total().inserted, 3041);
    assert!(!report.per_level.contains_key(&Level::Province));

    // Importing the whole file later links Guangzhou under its province.
    let report = divisions::import_file(&db, &path, None, false)
        .await
        .unwrap();
    std::fs::remove_file(&path).ok();
    let t = report.total();
    assert_eq!(
        (t.inserted, t.updated, t.unchanged),
        (3, 1, 3040),
        "{}",
        report.render()
    );
    assert_eq!(parent_of(&db, "4401").await.as_deref(), Some("44"));
}

#[tokio::test]
async fn the_cli_imports_and_reports_bad_arguments() {
    let test_db = TestDb::create().await;
    // The CLI reads its database from the environment; tests hand it their own
    // configuration instead, since tests share one process environment.
    let cli = |args: &[&str]| {
        let mut full = vec!["kapok"];
        full.extend_from_slice(args);
        <Cli as clap::Parser>::try_parse_from(full)
    };
    assert!(cli(&["import-divisions"]).is_err(), "FILE is required");
    let parsed = cli(&["import-divisions", GUANGZHOU, "--root", "44x"]).unwrap();
    let err = run_with_db(parsed, test_db.url()).await.unwrap_err();
    assert!(err.to_string().contains("--root"), "{err}");
    let parsed = cli(&["import-divisions", "/nonexistent/file.csv"]).unwrap();
    let err = run_with_db(parsed, test_db.url()).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot read /nonexistent/file.csv"),
        "{err}"
    );
    let parsed = cli(&["import-divisions", GUANGZHOU, "--root", "440104"]).unwrap();
    run_with_db(parsed, test_db.url()).await.unwrap();
    let db = kapok_api::db::connect(test_db.url()).await.unwrap();
    let n = unit::Entity::find()
        .filter(unit::Column::Code.starts_with("440104"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(n, 1 + 18 + 222, "Yuexiu, its streets and communities");
}

async fn parent_of(db: &sea_orm::DatabaseConnection, code: &str) -> Option<String> {
    unit::Entity::find()
        .filter(unit::Column::Code.eq(code))
        .one(db)
        .await
        .unwrap()
        .and_then(|u| u.parent_code)
}

async fn run_with_db(cli: Cli, url: &str) -> Result<(), kapok_api::cli::CliError> {
    kapok_api::cli::run_with_config(cli, kapok_api::config::Config::for_database(url)).await
}

#[test]
fn header_must_name_the_columns() {
    let err = read_rows("id,title\n1,x\n".as_bytes()).unwrap_err();
    assert!(err.to_string().contains("missing column `code`"), "{err}");
    let (rows, problems) =
        read_rows("code,name,level,parent_code\n4401,广州市,city,\n".as_bytes()).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(problems.is_empty());
}
