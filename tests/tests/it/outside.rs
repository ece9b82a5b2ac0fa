//! Kapok seen from outside, by tools that are not ours: the graphql-http server
//! audits (GraphQL over HTTP conformance, all must be ok) and GraphiQL in a real
//! headless Chromium with every other host cut off.
//!
//! They need Node.js (with `npm ci` run in `tests/js`, done here when npm is
//! available) and Chromium. Where those are missing the checks say so and pass,
//! unless `KAPOK_REQUIRE_JS_CHECKS=1` (set by `.ci/run`), which makes them fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use kapok_tests::spawn_app;

fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("js")
}

fn required() -> bool {
    std::env::var("KAPOK_REQUIRE_JS_CHECKS").is_ok_and(|v| v == "1")
}

static INSTALL: Mutex<Option<Result<(), String>>> = Mutex::new(None);

/// `npm ci` in tests/js once per test process, when node_modules is missing.
fn node_ready() -> Result<(), String> {
    let mut done = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = done.as_ref() {
        return r.clone();
    }
    let result = (|| {
        let ok = Command::new("node")
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            return Err("node is not installed".to_owned());
        }
        if js_dir().join("node_modules/graphql-http").exists()
            && js_dir().join("node_modules/playwright-core").exists()
        {
            return Ok(());
        }
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(js_dir())
            .output()
            .map_err(|e| format!("npm is not available: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "npm ci failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    })();
    *done = Some(result.clone());
    result
}

/// Ok(false) when the check cannot run here and is not required.
fn can_run(what: &str, ready: Result<(), String>) -> bool {
    match ready {
        Ok(()) => true,
        Err(why) if required() => panic!("{what} must run (KAPOK_REQUIRE_JS_CHECKS=1): {why}"),
        Err(why) => {
            eprintln!("SKIPPED {what}: {why} (set KAPOK_REQUIRE_JS_CHECKS=1 to require it)");
            false
        }
    }
}

async fn node(script: &str, arg: String) -> std::process::Output {
    let script = js_dir().join(script);
    tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(arg)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_over_http_audits_all_pass() {
    if !can_run("the graphql-http audit", node_ready()) {
        return;
    }
    let app = spawn_app().await;
    let out = node("audit.mjs", format!("{}/graphql", app.address)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no summary from the audit: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    eprintln!("{stdout}");
    assert_eq!(summary["total"], 61, "{stdout}");
    assert_eq!(summary["ok"], 61, "{stdout}");
    assert!(out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_renders_and_runs_a_query_with_the_network_cut_off() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let browser = if Path::new(&chromium).exists() {
        Ok(())
    } else {
        Err(format!(
            "no Chromium at {chromium} (apt-get install chromium)"
        ))
    };
    if !can_run("the GraphiQL browser check", node_ready().and(browser)) {
        return;
    }
    let app = spawn_app().await;
    let out = node("graphiql.mjs", app.address.clone()).await;
    assert!(
        out.status.success(),
        "{} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(report["ran"], true);
    assert_eq!(report["externalRequests"], serde_json::json!([]));
}
