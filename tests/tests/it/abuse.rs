//! The abuse suite: what an anonymous (or hostile) caller can send must be bounded in
//! CPU, memory and disk, and sign-in must hold under concurrency and from many
//! addresses. Each test is one attack class from the hardening issue.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use kapok_tests::{error_codes, spawn_app, spawn_app_with, spawn_peer, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";

/// `F1{...F0 ...F0}` … `F{n}{...F{n-1} ...F{n-1}}`: 2^n fields from a 1 KB text.
fn fragment_bomb(n: usize) -> String {
    let mut q = format!("query {{ ...F{n} }}\nfragment F0 on Query {{ __typename }}\n");
    for i in 1..=n {
        q.push_str(&format!(
            "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    q
}

fn reason(body: &Value) -> &str {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("<none>")
}

async fn login_as(app: &TestApp, from: Option<&str>, username: &str, password: &str) -> Value {
    let headers: Vec<(&str, &str)> = from
        .map(|a| vec![("x-forwarded-for", a)])
        .unwrap_or_default();
    app.post_with(
        &headers,
        LOGIN,
        json!({ "i": { "username": username, "password": password } }),
    )
    .await
    .json()
    .await
    .unwrap()
}

fn signed_in(body: &Value) -> bool {
    body["data"]["login"]["accessToken"].is_string()
}

#[tokio::test]
async fn fragment_bombs_are_refused_in_milliseconds() {
    let app = spawn_app().await;
    let bomb = fragment_bomb(26);
    assert!(bomb.len() < 1100, "{} bytes", bomb.len());
    let started = Instant::now();
    let body = app.gql(&bomb, json!({})).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
    assert_eq!(reason(&body), "TOO_MANY_FIELDS");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    // Several at once do not stall the server: a cheap query still answers.
    let started = Instant::now();
    let bombs: Vec<_> = (0..4).map(|_| app.gql(&bomb, json!({}))).collect();
    for body in join_all(bombs).await {
        assert_eq!(reason(&body), "TOO_MANY_FIELDS");
    }
    let unit = app
        .data(r#"{ unit(code: "4401") { name } }"#, json!({}))
        .await;
    assert_eq!(unit["unit"]["name"], "广州市");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn aliases_root_fields_and_counts_are_limited() {
    let app = spawn_app().await;
    let many: String = (0..1000)
        .map(|i| format!(r#"a{i}: units(first: 0, search: "社区") {{ totalCount }} "#))
        .collect();
    let body = app.gql(&format!("{{ {many} }}"), json!({})).await;
    assert_eq!(reason(&body), "TOO_MANY_ALIASES", "{body:#}");
    // The default limit is 30 aliases, at any depth.
    let aliases = |n: usize| -> String { (0..n).map(|i| format!("a{i}: name ")).collect() };
    let body = app
        .gql(
            &format!(r#"{{ unit(code: "4401") {{ {} }} }}"#, aliases(31)),
            json!({}),
        )
        .await;
    assert_eq!(reason(&body), "TOO_MANY_ALIASES");
    let body = app
        .gql(
            &format!(r#"{{ unit(code: "4401") {{ {} }} }}"#, aliases(30)),
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    // A count carries its own cost, and `first: 0` still costs a row: 20 counts
    // exceed the complexity budget, where each would have cost 1 before.
    let counts = |n: usize| -> String {
        (0..n)
            .map(|i| format!(r#"c{i}: units(first: 0, search: "社区") {{ totalCount }} "#))
            .collect()
    };
    let body = app.gql(&format!("{{ {} }}", counts(20)), json!({})).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("too complex"));
    let body = app.gql(&format!("{{ {} }}", counts(15)), json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    // Top-level fields, aliased or not, are limited too (20 by default).
    let roots = |n: usize| -> String { (0..n).map(|_| "__typename ").collect() };
    let body = app.gql(&format!("{{ {} }}", roots(21)), json!({})).await;
    assert_eq!(reason(&body), "TOO_MANY_ROOT_FIELDS");
    let body = app.gql(&format!("{{ {} }}", roots(20)), json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

async fn raw_status(app: &TestApp, request: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer (and close) before everything is sent.
    let _ = stream.write_all(&request).await;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn bodies_are_limited_and_only_json_is_taken() {
    // 32 KB here so that an oversized GET still fits in a URL the client can send.
    let app = spawn_app_with(|c| c.limits.max_body_bytes = 32 * 1024).await;
    let url = format!("{}/graphql", app.address);
    // A declared length over the limit is refused before the body is read.
    let huge = format!(
        r#"{{"query":"{{ __typename }}","variables":{{"x":"{}"}}}}"#,
        "a".repeat(300 * 1024)
    );
    let started = Instant::now();
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(reason(&body), "TOO_LARGE");
    assert!(started.elapsed() < Duration::from_secs(2));
    // A chunked body with no length is cut off as soon as it passes the limit.
    let mut chunked = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..16 {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let status = raw_status(&app, chunked).await;
    assert!(status.contains(" 413 "), "{status}");
    // Forms, multipart and plain text can be sent cross-site without a preflight
    // (and there are no uploads): 415.
    for ct in [
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/x-www-form-urlencoded",
    ] {
        let res = app
            .client
            .post(&url)
            .header("content-type", ct)
            .body(r#"{"query":"mutation { logout { ok } }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415, "{ct}");
    }
    let res = app
        .client
        .post(&url)
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415, "no content type");
    // An oversized GET is refused too.
    let res = app
        .client
        .get(&url)
        .query(&[(
            "query",
            format!("{{ __typename }} #{}", "x".repeat(40 * 1024)),
        )])
        .send()
        .await
        .unwrap();
    assert!(
        [413, 414, 431].contains(&res.status().as_u16()),
        "{}",
        res.status()
    );
}

#[tokio::test]
async fn clients_are_rate_limited() {
    let app = spawn_app_with(|c| {
        c.rate_limit_per_sec = 2;
        c.rate_limit_burst = 3;
    })
    .await;
    for _ in 0..3 {
        let res = app.post_with(&[], "{ __typename }", json!({})).await;
        assert_eq!(res.status(), 200);
    }
    let res = app.post_with(&[], "{ __typename }", json!({})).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
    assert_eq!(reason(&body), "RATE_LIMITED");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = app.post_with(&[], "{ __typename }", json!({})).await;
    assert_eq!(res.status(), 200, "the bucket refills");
}

#[tokio::test]
async fn parallel_guesses_cannot_pass_the_limit() {
    // A first wait longer than the whole burst: what is measured is the limit, not
    // how fast a loaded machine answers 40 requests.
    let app = spawn_app_with(|c| {
        c.login_max_failures = 5;
        c.login_first_wait_ms = 60_000;
    })
    .await;
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let password = if i == 20 {
                ADMIN_PASSWORD.to_owned()
            } else {
                format!("wrong-password-{i}")
            };
            let app = &app;
            async move { login_as(app, None, "admin", &password).await }
        })
        .collect();
    let answers = join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|b| signed_in(b) || b["errors"][0]["message"] == "wrong username or password")
        .count();
    let throttled = answers.iter().filter(|b| reason(b) == "THROTTLED").count();
    assert!(checked <= 5, "{checked} guesses were checked");
    assert_eq!(checked + throttled, 40);
    let failures = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
        .await;
    assert!(failures <= 5, "{failures}");
}

#[tokio::test]
async fn hashing_is_bounded_and_excess_gets_429() {
    let app = spawn_app_with(|c| {
        c.hash_concurrency = 1;
        c.hash_wait_ms = 30;
        c.login_address_max_failures = 1000;
    })
    .await;
    let attempts: Vec<_> = (0..12)
        .map(|i| {
            let app = &app;
            async move { login_as(app, None, &format!("nobody{i}"), "a-wrong-password").await }
        })
        .collect();
    let answers = join_all(attempts).await;
    let busy = answers
        .iter()
        .filter(|b| reason(b) == "SERVER_BUSY")
        .count();
    assert!(
        busy > 0,
        "with one slot and a 30 ms wait some must be refused"
    );
    for b in &answers {
        let r = reason(b);
        assert!(
            r == "SERVER_BUSY" || b["errors"][0]["message"] == "wrong username or password",
            "{b:#}"
        );
    }
    let res = app.metrics().await;
    assert!(res.contains("kapok_signin_hash_rejected_total"), "{res}");
    assert!(res.contains("kapok_signin_hash_queue"));
}

#[tokio::test]
async fn a_long_username_reaches_nothing() {
    let app = spawn_app().await;
    let audits = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    for name in ["x".repeat(65), "用户".repeat(40_000)] {
        let body = login_as(&app, None, &name, "whatever-password").await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
    }
    let body = login_as(&app, None, "admin", &"p".repeat(600)).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log").await, audits);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM login_throttle").await, 0);
}

#[tokio::test]
async fn an_attack_from_many_addresses_does_not_lock_the_owner_out() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.login_max_failures = 5;
        c.login_account_slowdown = 10;
        // Waits that outlast the 100 guesses below on a loaded machine.
        c.login_first_wait_ms = 30_000;
    })
    .await;
    // The owner has signed in from its office before.
    assert!(signed_in(
        &login_as(&app, Some("10.0.0.1"), "admin", ADMIN_PASSWORD).await
    ));
    // Attackers spread over 20 addresses, 5 guesses each.
    for a in 2..22 {
        let addr = format!("10.0.1.{a}");
        for g in 0..5 {
            login_as(&app, Some(&addr), "admin", &format!("guess-{a}-{g}")).await;
        }
    }
    // Each attacking address that got 5 guesses checked is held back itself…
    let again = login_as(&app, Some("10.0.1.2"), "admin", ADMIN_PASSWORD).await;
    assert_eq!(reason(&again), "THROTTLED", "{again:#}");
    // …the account is slowed for addresses it never signed in from, with a wait
    // that stays short (a slowdown, not a lockout)…
    let stranger = login_as(&app, Some("10.9.9.9"), "admin", ADMIN_PASSWORD).await;
    assert_eq!(reason(&stranger), "THROTTLED", "{stranger:#}");
    let wait = stranger["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!(wait <= 60, "{wait}");
    // …and the owner at its known address signs in at once.
    let owner = login_as(&app, Some("10.0.0.1"), "admin", ADMIN_PASSWORD).await;
    assert!(signed_in(&owner), "{owner:#}");
    // Far fewer guesses were checked than were sent.
    let checked = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
        .await;
    assert!(checked < 100, "{checked} of 100 guesses were checked");
}

#[tokio::test]
async fn two_servers_share_one_throttle() {
    let a = spawn_app_with(|c| c.login_max_failures = 5).await;
    let b = spawn_peer(&a, |c| c.login_max_failures = 5).await;
    for i in 0..3 {
        login_as(&a, None, "admin", &format!("wrong-a-{i}")).await;
    }
    for i in 0..2 {
        login_as(&b, None, "admin", &format!("wrong-b-{i}")).await;
    }
    // Five failures across the two: both refuse the sixth, even the right password.
    for server in [&a, &b] {
        let body = login_as(server, None, "admin", ADMIN_PASSWORD).await;
        assert_eq!(reason(&body), "THROTTLED", "{body:#}");
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(signed_in(
        &login_as(&b, None, "admin", ADMIN_PASSWORD).await
    ));
}

#[tokio::test]
async fn a_flood_of_refused_attempts_writes_one_audit_row_per_window() {
    let app = spawn_app_with(|c| {
        c.login_address_max_failures = 3;
        c.login_first_wait_ms = 30_000;
    })
    .await;
    for i in 0..3 {
        login_as(&app, None, &format!("user{i}"), "wrong-password").await;
    }
    // The address now waits 30 s: every attempt of the flood is refused.
    let flood: i64 = 50;
    for i in 0..flood {
        let body = login_as(
            &app,
            None,
            &format!("{}{i}", "u".repeat(60)),
            "wrong-password",
        )
        .await;
        assert_eq!(reason(&body), "THROTTLED", "attempt {i}: {body:#}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_throttled'")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT CAST(SUM(attempts) AS BIGINT) FROM login_throttled")
            .await,
        flood
    );
    // Every audited field is capped.
    assert!(
        app.scalar("SELECT MAX(LENGTH(summary)) FROM audit_log")
            .await
            <= 4096
    );
    assert!(
        app.scalar("SELECT MAX(LENGTH(target)) FROM audit_log")
            .await
            <= 201
    );
}

#[tokio::test]
async fn client_mistakes_are_never_internal() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // A date that is not a date, in a variable.
    let body = app
        .gql_as(
            &admin,
            "query($f: Date) { unitStats(code: \"440104\", from: $f) { figures { volunteers } } }",
            json!({ "f": "2026-02-30" }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
    let body = app
        .gql_as(
            &admin,
            "mutation($t: DateTime!) { logHours(input: { hours: 1, content: \"x\", reason: \"y\", startedAt: $t }) { serviceRecord { id } } }",
            json!({ "t": "2026-13-45T99:00:00Z" }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
    // NUL bytes: SQLite would store them, PostgreSQL would fail.
    let res = app
        .post_with(
            &[("authorization", &format!("Bearer {admin}"))],
            "mutation($i: CreateUnitInput!) { createUnit(input: $i) { unit { code } } }",
            json!({ "i": { "code": "440104003999", "name": "a\u{0}b" } }),
        )
        .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(reason(&body), "NUL_CHARACTER");
    let body = app
        .gql(r#"{ units(search: "a\u0000b") { totalCount } }"#, json!({}))
        .await;
    assert_eq!(reason(&body), "NUL_CHARACTER", "{body:#}");
    // A username longer than the column: refused, not a database error.
    let body = app
        .gql_as(
            &admin,
            "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }",
            json!({ "i": { "username": "z".repeat(300), "password": "a-long-password", "displayName": "Z", "homeUnitCode": "440104" } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
}

#[tokio::test]
async fn cross_site_gets_need_a_preflight_header() {
    let app = spawn_app().await;
    let get = |headers: Vec<(&'static str, &'static str)>| {
        let mut req = app
            .client
            .get(format!("{}/graphql", app.address))
            .query(&[("query", "{ __typename }")]);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let res = get(vec![("sec-fetch-site", "cross-site")]).await.unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(reason(&body), "CSRF_PREVENTED");
    let res = get(vec![("user-agent", "Mozilla/5.0 (X11; Linux x86_64)")])
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        400,
        "an older browser without Sec-Fetch headers"
    );
    for ok in [
        vec![("sec-fetch-site", "cross-site"), ("x-kapok-request", "1")],
        vec![("sec-fetch-site", "same-origin")],
        vec![],
    ] {
        assert_eq!(get(ok.clone()).await.unwrap().status(), 200, "{ok:?}");
    }
}

#[tokio::test]
async fn production_hides_the_schema_and_graphiql() {
    let app = spawn_app_with(|c| {
        c.introspection = false;
        c.graphiql = false;
    })
    .await;
    let body = app.gql("{ __schema { types { name } } }", json!({})).await;
    assert!(body["data"]["__schema"].is_null(), "{body:#}");
    let body = app
        .gql(
            r#"{ __type(name: "Query") { fields { name } } }"#,
            json!({}),
        )
        .await;
    assert!(body["data"]["__type"].is_null(), "{body:#}");
    let body = app
        .gql("{ unitz(code: \"4401\") { name } }", json!({}))
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    let res = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn request_ids_are_returned_and_audited() {
    let app = spawn_app().await;
    let res = app
        .post_with(
            &[("x-request-id", "trace-abc-123")],
            "{ __typename }",
            json!({}),
        )
        .await;
    assert_eq!(res.headers()["x-request-id"], "trace-abc-123");
    let res = app.post_with(&[], "{ __typename }", json!({})).await;
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 16);
    app.post_with(
        &[("x-request-id", "login-trace-1")],
        LOGIN,
        json!({ "i": { "username": "admin", "password": "wrong-password" } }),
    )
    .await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE request_id = 'login-trace-1'")
            .await,
        1
    );
}

/// `KAPOK_DB_MAX_CONNECTIONS` bounds each kind of PostgreSQL pool, as the metrics
/// report them: the workers' main pools and their steady-plan pools, shared out
/// between the `KAPOK_WORKERS` workers (at least one each), and the pool start-up
/// used. SQLite keeps its one connection.
#[tokio::test]
async fn pools_are_sized_by_the_configuration() {
    for (workers, max_connections, expected) in [
        (2, 3, ["3", "3", "3"]),
        // Fewer connections than workers: one each.
        (3, 2, ["3", "3", "2"]),
        // A bound of one: start-up still has a second connection beside the one
        // that listens for caller changes (it waited for it and failed before).
        (2, 1, ["2", "2", "2"]),
    ] {
        let app = spawn_app_with(|c| {
            c.workers = workers;
            c.db_max_connections = max_connections;
        })
        .await;
        // Many lists at once, on every worker: together they stay within the bound.
        let lists = (0..24).map(|_| {
            app.gql(
                r#"{ units(under: "4401", level: COMMUNITY, first: 100) { totalCount } }"#,
                json!({}),
            )
        });
        for answer in join_all(lists).await {
            assert!(answer["errors"].is_null(), "{answer}");
        }
        let text = app.metrics().await;
        let max = |pool: &str| {
            let series = format!(r#"kapok_db_pool_connections{{pool="{pool}",state="max"}} "#);
            text.lines()
                .find_map(|l| l.strip_prefix(series.as_str()))
                .map(str::to_owned)
        };
        let kinds = [max("main"), max("steady"), max("startup")];
        if app.test_db.is_postgres() {
            assert_eq!(kinds, expected.map(|n| Some(n.to_owned())), "{text}");
            let steady = app.steady_sessions("true").await;
            assert!(
                (1..=i64::from(expected[1].parse::<u8>().unwrap())).contains(&steady),
                "{steady} steady sessions\n{text}"
            );
        } else {
            // One connection whatever the setting (one writer at a time), shared
            // by every worker.
            assert_eq!(kinds, [Some("1".to_owned()), None, None], "{text}");
        }
    }
}

#[tokio::test]
async fn metrics_count_requests_and_refusals() {
    let app = spawn_app().await;
    app.post_with(&[], "query Ping { __typename }", json!({}))
        .await;
    app.gql(&fragment_bomb(20), json!({})).await;
    let text = app.metrics().await;
    for needle in [
        r#"kapok_graphql_requests_total{code="OK",operation="Ping"}"#,
        "kapok_graphql_request_duration_seconds_bucket",
        r#"kapok_http_refused_total{reason="shape"}"#,
        r#"kapok_db_pool_connections{pool="main",state="idle"}"#,
        "kapok_db_pool_acquire_seconds_count",
        "kapok_db_statement_duration_seconds_count",
        "kapok_signin_hashing",
        "kapok_signin_throttled_total",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
}
