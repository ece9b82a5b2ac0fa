//! Operations: the audit log's hash chain (verify, export, archive), and backups
//! with the documented restore.

use kapok_api::ops::audit;
use kapok_tests::{spawn_app, TestApp};
use sea_orm::ConnectionTrait;
use serde_json::json;

/// A few audited changes: users created, roles granted, sign-ins.
async fn some_history(app: &TestApp) {
    app.user_with_role("chain_a", "440104003", Some("street_admin"))
        .await;
    app.user_with_role("chain_b", "440104004", Some("street_admin"))
        .await;
    app.login_payload("chain_a", "wrong-password").await;
}

async fn exec(app: &TestApp, sql: &str) {
    app.db.execute_unprepared(sql).await.expect(sql);
}

#[tokio::test]
async fn an_edited_or_removed_entry_breaks_the_chain() {
    let app = spawn_app().await;
    some_history(&app).await;
    let report = audit::verify(&app.db, None).await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
    assert!(report.entries >= 8, "{report:?}");
    let ids: Vec<i64> = {
        let n = app.scalar("SELECT COUNT(*) FROM audit_log").await;
        assert_eq!(n as u64, report.entries);
        let mid = app
            .scalar("SELECT MIN(id) FROM audit_log WHERE action = 'role.grant'")
            .await;
        vec![mid]
    };
    // Someone with database access rewrites what a grant said.
    exec(
        &app,
        &format!(
            "UPDATE audit_log SET summary = '{{\"role\":\"volunteer\"}}' WHERE id = {}",
            ids[0]
        ),
    )
    .await;
    let report = audit::verify(&app.db, None).await.unwrap();
    let broken = report.first_break.expect("the edit is found");
    assert_eq!(broken.id, ids[0]);
    assert!(broken.problem.contains("edited"), "{}", broken.problem);

    // A removed entry is found at the one after it.
    let app = spawn_app().await;
    some_history(&app).await;
    let victim = app
        .scalar("SELECT MIN(id) FROM audit_log WHERE action = 'role.grant'")
        .await;
    let next = app
        .scalar(&format!(
            "SELECT MIN(id) FROM audit_log WHERE id > {victim}"
        ))
        .await;
    exec(&app, &format!("DELETE FROM audit_log WHERE id = {victim}")).await;
    let broken = audit::verify(&app.db, None)
        .await
        .unwrap()
        .first_break
        .expect("the removal is found");
    assert_eq!(broken.id, next);
    // So is a row written around the chain (no hash).
    let app = spawn_app().await;
    exec(
        &app,
        "INSERT INTO audit_log (actor_id, action, summary, created_at) VALUES (NULL, 'forged', '{}', CURRENT_TIMESTAMP)",
    )
    .await;
    let broken = audit::verify(&app.db, None)
        .await
        .unwrap()
        .first_break
        .expect("the forged row is found");
    assert!(broken.problem.contains("no hash"), "{}", broken.problem);
}

#[tokio::test]
async fn archived_entries_leave_an_anchor_and_the_chain_still_verifies() {
    let app = spawn_app().await;
    some_history(&app).await;
    let before_archive = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    let dir = std::env::temp_dir().join(format!("kapok-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("audit-{}.jsonl.gz", rand_suffix()));
    let cutoff = chrono::Utc::now() + chrono::Duration::seconds(1);
    // Export alone writes and checks the file, and removes nothing.
    let exported = audit::export(&app.db, cutoff, &file, None).await.unwrap();
    assert_eq!(exported.entries as i64, before_archive);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log").await,
        before_archive
    );
    std::fs::remove_file(&file).unwrap();
    // Archive: export, check, then remove, leaving an anchor.
    let archived = audit::archive(&app.db, cutoff, &file, None).await.unwrap();
    assert_eq!(archived.removed as i64, before_archive);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_anchor").await, 1);
    // The file checks on its own, and a truncated copy does not.
    let (last_id, last_hash) = archived.export.through.clone().unwrap();
    assert!(last_id > 0);
    audit::check_file(&file, None, archived.export.entries, &last_hash).unwrap();
    assert!(audit::check_file(&file, None, archived.export.entries + 1, &last_hash).is_err());
    // New entries continue the chain from the anchor.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.login_payload("chain_b", "wrong-password").await;
    app.admin_token().await;
    let report = audit::verify(&app.db, None).await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
    assert_eq!(report.anchored_after, Some(last_id));
    assert_eq!(report.entries, 2);
    // Tampering after the anchor is still found.
    exec(&app, "UPDATE audit_log SET client_addr = '10.6.6.6'").await;
    assert!(audit::verify(&app.db, None)
        .await
        .unwrap()
        .first_break
        .is_some());
    std::fs::remove_dir_all(&dir).ok();
}

fn rand_suffix() -> String {
    format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn a_backup_restores_into_a_working_server() {
    let app = spawn_app().await;
    app.user_with_role("kept_user", "440104003", Some("street_admin"))
        .await;
    let dir = std::env::temp_dir().join(format!("kapok-backup-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("kapok-backup.db");
    let result = kapok_api::ops::backup::backup(&app.db, &copy).await;
    if app.test_db.is_postgres() {
        // PostgreSQL has its own tools; the command says which.
        let err = result.unwrap_err().to_string();
        assert!(err.contains("pg_dump"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
        return;
    }
    let bytes = result.unwrap();
    assert!(bytes > 100_000, "{bytes}");
    // A second backup to the same file is refused rather than overwriting it.
    assert!(kapok_api::ops::backup::backup(&app.db, &copy)
        .await
        .is_err());
    // The documented restore: stop the server, put the copy where DATABASE_URL
    // points (here: a new path), start it.
    let restored = dir.join("kapok.db");
    std::fs::copy(&copy, &restored).unwrap();
    let mut config = kapok_api::config::Config::for_database(format!(
        "sqlite://{}?mode=rwc",
        restored.display()
    ));
    config.admin_password = Some(kapok_tests::ADMIN_PASSWORD.into());
    let server = kapok_api::http::Application::build(&config).await.unwrap();
    let address = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until_stopped());
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({
            "query": "mutation($i: LoginInput!) { login(input: $i) { user { username homeUnit { name } } } }",
            "variables": { "i": { "username": "kept_user", "password": "kept_user-password" } }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["login"]["user"]["homeUnit"]["name"], "北京街道",
        "{body:#}"
    );
    let restored_db = kapok_api::db::connect(&format!("sqlite://{}", restored.display()))
        .await
        .unwrap();
    let report = audit::verify(&restored_db, None).await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
    std::fs::remove_dir_all(&dir).ok();
}
