//! Test harness: a fresh database per test (SQLite file, or a PostgreSQL database when
//! `KAPOK_TEST_DATABASE_URL` names a server), the real server on a random port, and
//! a client. Databases are dropped when the test's `TestApp` is.

use std::path::PathBuf;

use kapok_api::config::Config;
use kapok_api::http::Application;
// The figure columns of the kept tables, as the server names them.
use kapok_api::services::daily::COLUMNS as FIGURES;
use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};

/// `KAPOK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` runs every test
/// on PostgreSQL; unset, tests run on SQLite files.
pub const TEST_DATABASE_ENV: &str = "KAPOK_TEST_DATABASE_URL";

pub enum TestDb {
    Sqlite {
        path: PathBuf,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

fn random_suffix() -> String {
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect()
}

impl TestDb {
    /// A new, empty database. Panics (failing the test) when PostgreSQL was asked for
    /// and cannot be reached: CI must not silently fall back to SQLite.
    pub async fn create() -> TestDb {
        match std::env::var(TEST_DATABASE_ENV)
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("kapok_test_{}", random_suffix());
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("{TEST_DATABASE_ENV}: cannot reach PostgreSQL: {e}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_db_name(&admin_url, &name);
                TestDb::Postgres {
                    admin_url,
                    name,
                    url,
                }
            }
            Some(other) => panic!("{TEST_DATABASE_ENV} must be a postgres:// URL, got {other}"),
            None => {
                let path = std::env::temp_dir().join(format!("kapok_test_{}.db", random_suffix()));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                TestDb::Sqlite { path, url }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite { path, .. } => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            TestDb::Postgres {
                admin_url, name, ..
            } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, which cannot be blocked on; a
                // thread with its own runtime does the async work.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime for dropping the test database");
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            admin.close().await.ok();
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A direct connection, for arranging state and for breaking things on purpose.
    pub db: DatabaseConnection,
    /// Shared with peers ([`spawn_peer`]): dropped with the last of them.
    pub test_db: std::sync::Arc<TestDb>,
    /// The server's clock (shared with its peers): tests move it forward to reach
    /// a time a rule depends on, instead of editing rows.
    pub clock: kapok_api::services::Clock,
}

/// Starts the real server (migrations and the bundled Guangzhou load included) on a
/// fresh database and a random port.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The signing key test servers use, so tests can forge tokens on purpose.
pub const TEST_JWT_SECRET: &[u8] = b"kapok-test-secret-0123456789abcdef0123456789";

/// The bootstrap administrator's password in tests (`admin`, city_admin of 4401).
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    // KAPOK_TEST_LOG=1 shows the servers' logs (filter from KAPOK_LOG).
    if std::env::var_os("KAPOK_TEST_LOG").is_some() {
        kapok_api::telemetry::init();
    }
    let test_db = std::sync::Arc::new(TestDb::create().await);
    start_on(test_db, kapok_api::services::Clock::adjustable(), adjust).await
}

/// Another server on `app`'s database, as a second instance behind one load
/// balancer would be.
pub async fn spawn_peer(app: &TestApp, adjust: impl FnOnce(&mut Config)) -> TestApp {
    start_on(app.test_db.clone(), app.clock.clone(), adjust).await
}

async fn start_on(
    test_db: std::sync::Arc<TestDb>,
    clock: kapok_api::services::Clock,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config::for_database(test_db.url());
    config.clock = clock.clone();
    config.admin_password = Some(ADMIN_PASSWORD.into());
    config.jwt_secret = TEST_JWT_SECRET.to_vec();
    adjust(&mut config);
    let app = Application::build(&config).await.expect("server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = kapok_api::db::connect(test_db.url())
        .await
        .expect("connect");
    TestApp {
        address,
        // English messages, which the assertions read; the Chinese default has its
        // own test (conventions.rs).
        client: reqwest::Client::builder()
            .default_headers(reqwest::header::HeaderMap::from_iter([(
                reqwest::header::ACCEPT_LANGUAGE,
                reqwest::header::HeaderValue::from_static("en"),
            )]))
            .build()
            .expect("HTTP client"),
        db,
        test_db,
        clock,
    }
}

impl TestApp {
    /// The server's `/metrics` text (Prometheus exposition format).
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics body")
    }

    /// The value of an unlabelled metric in `/metrics`, if present.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned))
            .and_then(|n| n.trim().parse().ok())
    }

    /// This server's SQL statement count so far (`kapok_db_statements_total`).
    pub async fn statements(&self) -> u64 {
        self.metric("kapok_db_statements_total")
            .await
            .expect("kapok_db_statements_total in /metrics") as u64
    }

    /// POSTs a GraphQL request and returns the whole response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON body")
    }

    /// The `data` of a response that must have no errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// POSTs a GraphQL request with `Authorization: Bearer token`.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let text = self.text_as(token, query, variables).await;
        serde_json::from_str(&text).expect("JSON body")
    }

    pub async fn data_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql_as(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// The response body's text, as the server wrote it.
    pub async fn text_as(&self, token: &str, query: &str, variables: Value) -> String {
        self.client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .text()
            .await
            .expect("a body")
    }

    /// Runs `query` — its fields marked `{I}` — twice as `token`: unmarked, and with
    /// every marked field (with its alias) wrapped in an inline fragment
    /// (`... { name: realName }`), which sends those selections through
    /// async-graphql's executor instead of the server's loop that writes a page of
    /// flat fields (`FlatFields`) as JSON text. (Not `@include(if: true)`:
    /// async-graphql removes such directives before it executes, so the page stayed
    /// flat.) Asserts both answers are the same text, byte for byte — key order,
    /// escapes, numbers — and returns its data.
    pub async fn flat_and_executor_agree(&self, token: &str, query: &str) -> Value {
        let flat = self
            .text_as(token, &query.replace("{I}", ""), json!({}))
            .await;
        let executor = self.text_as(token, &in_fragments(query), json!({})).await;
        assert_eq!(flat, executor, "the flat page differs from the executor's");
        let body: Value = serde_json::from_str(&flat).expect("JSON body");
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Signs in and returns the whole `login` payload.
    pub async fn login_payload(&self, username: &str, password: &str) -> Value {
        self.gql(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken expiresIn user { id username } } }",
            json!({ "i": { "username": username, "password": password } }),
        )
        .await
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = self.login_payload(username, password).await;
        body["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login as {username} failed: {body:#}"))
            .to_owned()
    }

    /// POSTs a GraphQL request with extra headers; the whole response.
    pub async fn post_with(
        &self,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request sent")
    }

    /// PostgreSQL only: how many of the steady-plan pool's sessions on this test's
    /// database match `condition` (on `pg_stat_activity`, whose `query` is each
    /// session's last statement).
    pub async fn steady_sessions(&self, condition: &str) -> i64 {
        self.scalar(&format!(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = '{}' AND {condition}",
            kapok_api::db::STEADY_APPLICATION_NAME
        ))
        .await
    }

    /// A number from a SQL query on the test database (COUNT, SUM, …).
    pub async fn scalar(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                sql,
            ))
            .await
            .expect("query runs")
            .expect("a row");
        row.try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
            .expect("a number")
    }

    /// How many rows of `unit_monthly` are not the `unit_daily` rows rolled up by
    /// month, and the other way round (every figure column): 0 when they agree.
    pub async fn months_apart_from_days(&self) -> i64 {
        let month = match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "CAST(date_trunc('month', day) AS date)",
            _ => "date(day, 'start of month')",
        };
        let sums = FIGURES.map(|c| format!("SUM({c})")).join(", ");
        let rolled = format!(
            "SELECT unit_code, {month}, {sums} FROM unit_daily GROUP BY unit_code, {month}"
        );
        let kept = format!(
            "SELECT unit_code, month, {} FROM unit_monthly",
            FIGURES.join(", ")
        );
        self.scalar(&format!(
            "SELECT COUNT(*) FROM ({kept} EXCEPT {rolled}) AS a"
        ))
        .await
            + self
                .scalar(&format!(
                    "SELECT COUNT(*) FROM ({rolled} EXCEPT {kept}) AS b"
                ))
                .await
    }

    /// How many rows of `subtree_monthly` are not the `unit_monthly` rows summed per
    /// kept subtree (cities and districts) and month, and the other way round.
    pub async fn subtrees_apart_from_months(&self) -> i64 {
        let figures = FIGURES.join(", ");
        let sums = FIGURES.map(|c| format!("SUM({c}) AS {c}")).join(", ");
        // One operand of EXCEPT: compound operators group left to right.
        let summed = [4, 6]
            .map(|len| {
                format!(
                    "SELECT substr(unit_code, 1, {len}) AS unit_code, month, {sums} FROM unit_monthly \
                     WHERE length(unit_code) >= {len} GROUP BY substr(unit_code, 1, {len}), month"
                )
            })
            .join(" UNION ALL ");
        let summed = format!("SELECT * FROM ({summed}) AS s");
        let kept = format!("SELECT unit_code, month, {figures} FROM subtree_monthly");
        let apart = self
            .scalar(&format!(
                "SELECT COUNT(*) FROM ({kept} EXCEPT {summed}) AS a"
            ))
            .await
            + self
                .scalar(&format!(
                    "SELECT COUNT(*) FROM ({summed} EXCEPT {kept}) AS b"
                ))
                .await;
        if apart > 0 {
            use sea_orm::ConnectionTrait;
            for (label, sql) in [
                ("kept only", format!("{kept} EXCEPT {summed}")),
                ("summed only", format!("{summed} EXCEPT {kept}")),
            ] {
                let rows = self
                    .db
                    .query_all_raw(sea_orm::Statement::from_string(
                        self.db.get_database_backend(),
                        sql,
                    ))
                    .await
                    .expect("query runs");
                for r in rows {
                    let code: String = r.try_get_by_index(0).unwrap_or_default();
                    let values: Vec<i64> = (2..2 + FIGURES.len())
                        .map(|i| r.try_get_by_index::<i64>(i).unwrap_or(i64::MIN))
                        .collect();
                    eprintln!("{label}: {code} {values:?}");
                }
            }
        }
        apart
    }

    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates a user at `unit` holding `role` there (granted by the admin); returns
    /// the user's global ID and an access token for it.
    pub async fn user_with_role(
        &self,
        username: &str,
        unit: &str,
        role: Option<&str>,
    ) -> (String, String) {
        let admin = self.admin_token().await;
        let password = format!("{username}-password");
        let created = self
            .data_as(
                &admin,
                "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }",
                json!({ "i": { "username": username, "password": password, "displayName": username, "homeUnitCode": unit } }),
            )
            .await;
        let id = created["createUser"]["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        if let Some(role) = role {
            self.data_as(
                &admin,
                "mutation($i: GrantRoleInput!) { grantRole(input: $i) { assignment { id } } }",
                json!({ "i": { "userId": id, "role": role, "unitCode": unit } }),
            )
            .await;
        }
        let token = self.login(username, &password).await;
        (id, token)
    }
}

/// The `extensions.code` of each error in a response, in order.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A valid 18-character resident ID number of a person born on `birth` (YYYYMMDD)
/// in Yuexiu (440104), with sequence `seq` (its last digit gives the gender).
pub fn resident_id(birth: &str, seq: u32) -> String {
    let body = format!("440104{birth}{:03}", seq % 1000);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// `query` with each field marked `{I}` (and its alias) wrapped in an inline fragment
/// without a type condition: the same answer, by the executor's way.
fn in_fragments(query: &str) -> String {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = query.to_owned();
    while let Some(mark) = out.find("{I}") {
        let name = out[..mark].trim_end_matches(word).len();
        let before = out[..name].trim_end();
        let start = match before.strip_suffix(':') {
            Some(rest) => rest.trim_end().trim_end_matches(word).len(),
            None => name,
        };
        let field = out[start..mark].to_owned();
        out.replace_range(start..mark + 3, &format!("... {{ {field} }}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{in_fragments, replace_db_name};

    #[test]
    fn marked_fields_go_into_fragments() {
        assert_eq!(
            in_fragments("{ v { edges { cursor{I} node { id{I} name: realName{I} gender } } } }"),
            "{ v { edges { ... { cursor } node { ... { id } ... { name: realName } gender } } } }"
        );
        assert_eq!(
            in_fragments("{ a { n :  b{I} } }"),
            "{ a { ... { n :  b } } }"
        );
    }

    #[test]
    fn replaces_database_name() {
        assert_eq!(
            replace_db_name("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_db_name(
                "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
                "x"
            ),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
    }
}
