//! The `kapok` binary itself: start-up on a fresh database, graceful shutdown on
//! SIGTERM, bad configuration, and the CLI's exit codes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kapok_tests::TestDb;

fn kapok(db_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kapok"));
    cmd.env("DATABASE_URL", db_url)
        .env("KAPOK_LISTEN", "127.0.0.1:0")
        .env("KAPOK_LOG", "info")
        .env("NO_COLOR", "1");
    cmd
}

#[tokio::test]
async fn serve_loads_guangzhou_and_stops_cleanly_on_sigterm() {
    let db = TestDb::create().await;
    let mut child = kapok(db.url())
        .arg("serve")
        .stderr(Stdio::piped())
        .spawn()
        .expect("kapok starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let address = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server announces its address");
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split("/graphql").next().unwrap_or_default().to_owned();
        }
    };
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .json(&serde_json::json!({ "query": "{ units(level: STREET) { totalCount } }" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(body["data"]["units"]["totalCount"], 178);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(25);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn bad_configuration_refuses_to_start() {
    let db = TestDb::create().await;
    let out = kapok(db.url())
        .arg("serve")
        .env("KAPOK_MAX_DEPTH", "deep")
        .output()
        .expect("kapok runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("KAPOK_MAX_DEPTH must be a positive whole number"),
        "{err}"
    );
}

#[tokio::test]
async fn import_reports_skipped_rows_and_counts() {
    let db = TestDb::create().await;
    let path = std::env::temp_dir().join(format!("kapok_bin_import_{}.csv", std::process::id()));
    std::fs::write(
        &path,
        "code,name,level,parent_code\n4401,广州市,city,\n440104,越秀区,district,4401\n440199001,孤儿街道,street,440199\n",
    )
    .unwrap();
    let out = kapok(db.url())
        .args(["import-divisions", path.to_str().unwrap()])
        .output()
        .expect("kapok runs");
    std::fs::remove_file(&path).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("line 4: 440199001: parent 440199 not found"),
        "{stdout}"
    );
    assert!(stdout.contains("3 rows read, 1 skipped"), "{stdout}");

    let out = kapok(db.url())
        .args(["import-divisions", "/no/such/file.csv"])
        .output()
        .expect("kapok runs");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn schema_command_prints_the_sdl() {
    // Even where the server would refuse to start (production, no secret).
    let out = Command::new(env!("CARGO_BIN_EXE_kapok"))
        .arg("schema")
        .env("KAPOK_ENV", "production")
        .env_remove("KAPOK_JWT_SECRET")
        .output()
        .expect("kapok runs");
    assert!(out.status.success());
    let sdl = String::from_utf8_lossy(&out.stdout);
    assert!(sdl.contains("type Unit implements Node"), "{sdl}");
}

#[tokio::test]
async fn production_mode_refuses_to_start_without_a_secret() {
    let db = TestDb::create().await;
    for (secret, needle) in [
        (None, "KAPOK_JWT_SECRET must be set"),
        (Some("too-short"), "at least 32 bytes"),
    ] {
        let mut cmd = kapok(db.url());
        cmd.arg("serve")
            .env("KAPOK_ENV", "production")
            .env_remove("KAPOK_JWT_SECRET");
        if let Some(s) = secret {
            cmd.env("KAPOK_JWT_SECRET", s);
        }
        let out = cmd.output().expect("kapok runs");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
}

/// `migrate` alone creates no units; `serve` would load Guangzhou, so load it here.
fn import_guangzhou(db_url: &str) {
    let out = kapok(db_url)
        .args([
            "import-divisions",
            concat!(env!("CARGO_MANIFEST_DIR"), "/data/guangzhou.csv"),
        ])
        .output()
        .expect("import runs");
    assert!(out.status.success());
}

/// `kapok user create` with the password on stdin.
fn user_create(
    db_url: &str,
    username: &str,
    role: &str,
    unit: &str,
    password: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = kapok(db_url)
        .args([
            "user",
            "create",
            "--username",
            username,
            "--role",
            role,
            "--unit",
            unit,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kapok runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn user_create_reads_the_password_from_stdin() {
    let db = TestDb::create().await;
    import_guangzhou(db.url());
    let out = user_create(
        db.url(),
        "ops_zhang",
        "street_admin",
        "440104003",
        "a-long-password-1",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("created user ops_zhang"), "{stdout}");

    // The role must fit the unit's level.
    let out = user_create(
        db.url(),
        "ops_li",
        "street_admin",
        "440104",
        "a-long-password-1",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be held at a district"));
}

#[test]
fn policy_check_runs_the_decision_table() {
    let out = Command::new(env!("CARGO_BIN_EXE_kapok"))
        .args(["policy", "check"])
        .output()
        .expect("kapok runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("policy is valid: 9 roles"), "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");

    // A table with a wrong expectation fails the command.
    let path = std::env::temp_dir().join(format!("kapok_cases_{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "fixture_units = [\"4401\"]\n[[case]]\nname = \"wrong\"\ncheck = { resource = \"user\", action = \"read\", unit = \"4401\" }\nexpect = { allowed = true }\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kapok"))
        .args(["policy", "check", path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAILED wrong"));

    // An invalid policy file is refused.
    let bad = std::env::temp_dir().join(format!("kapok_policy_{}.toml", std::process::id()));
    std::fs::write(
        &bad,
        policies::DEFAULT_POLICY.replace("\"audit_log\"", "\"audit_logs\""),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kapok"))
        .args(["policy", "check"])
        .env("KAPOK_POLICY_FILE", &bad)
        .output()
        .unwrap();
    std::fs::remove_file(&bad).ok();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("audit_logs"));
}

#[tokio::test]
async fn audit_commands_verify_export_archive_and_report_tampering() {
    use sea_orm::ConnectionTrait;
    let db = TestDb::create().await;
    import_guangzhou(db.url());
    // An import writes nothing to the audit log; a user created by the operator does.
    let out = user_create(
        db.url(),
        "ops_user",
        "street_admin",
        "440104003",
        "an-operator-password",
    );
    assert!(out.status.success());
    let out = kapok(db.url()).args(["audit", "verify"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("audit chain intact: 1 entries"), "{text}");

    let dir = std::env::temp_dir().join(format!("kapok-cli-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("audit.jsonl.gz");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();
    let out = kapok(db.url())
        .args(["audit", "export", "--before", &tomorrow])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("exported 1 entries"), "{text}");
    assert!(file.exists());

    // Tamper with the database: verify exits non-zero and names the entry.
    let conn = kapok_api::db::connect(db.url()).await.unwrap();
    conn.execute_unprepared("UPDATE audit_log SET actor_id = 42")
        .await
        .unwrap();
    let out = kapok(db.url()).args(["audit", "verify"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("audit chain BROKEN at entry"), "{text}");
    // Nothing is archived from a broken chain.
    let out = kapok(db.url())
        .args(["audit", "archive", "--before", &tomorrow])
        .arg(dir.join("again.jsonl.gz"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("chain is broken"));

    let out = kapok(db.url())
        .args(["audit", "throttled"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("client address"));

    let backup = dir.join("copy.db");
    let out = kapok(db.url()).arg("backup").arg(&backup).output().unwrap();
    if db.is_postgres() {
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    } else {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(backup.exists());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn json_logs_carry_the_request_id() {
    let db = TestDb::create().await;
    let mut child = kapok(db.url())
        .arg("serve")
        .env("KAPOK_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .expect("kapok starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let address = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server announces its address");
        let json: serde_json::Value = serde_json::from_str(&line).expect("every line is JSON");
        let message = json["fields"]["message"].as_str().unwrap_or("");
        if let Some(rest) = message.split("http://").nth(1) {
            break rest.split("/graphql").next().unwrap_or_default().to_owned();
        }
    };
    let res = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .header("x-request-id", "json-log-check-1")
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "json-log-check-1");
    let deadline = Instant::now() + Duration::from_secs(10);
    let found = loop {
        let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
            break None;
        };
        let json: serde_json::Value = serde_json::from_str(&line).expect("every line is JSON");
        if json["span"]["request_id"] == "json-log-check-1" {
            break Some(json);
        }
    };
    let found = found.expect("a log line with the request id");
    assert_eq!(found["fields"]["message"], "request done");
    assert_eq!(found["fields"]["status"], 200);
    child.kill().ok();
    child.wait().ok();
}
