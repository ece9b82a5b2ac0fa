//! Signing in, sessions, tokens, throttling, and revocation taking effect at once.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kapok_tests::{
    error_codes, spawn_app, spawn_app_with, TestApp, ADMIN_PASSWORD, TEST_JWT_SECRET,
};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const ME: &str = "{ me { id username roles { id role unit { code } expiresAt } } }";

fn code_of(body: &Value) -> String {
    error_codes(body).first().cloned().unwrap_or_default()
}

#[tokio::test]
async fn login_and_me() {
    let app = spawn_app().await;
    let payload = app.login_payload("admin", ADMIN_PASSWORD).await;
    let login = &payload["data"]["login"];
    assert_eq!(login["expiresIn"], 900);
    assert_eq!(login["user"]["username"], "admin");
    let token = login["accessToken"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let me = app.data_as(token, ME, json!({})).await;
    assert_eq!(me["me"]["username"], "admin");
    assert_eq!(me["me"]["roles"][0]["role"], "city_admin");
    assert_eq!(me["me"]["roles"][0]["unit"]["code"], "4401");
    // Anonymous callers have no `me`.
    assert_eq!(code_of(&app.gql(ME, json!({})).await), "UNAUTHENTICATED");
}

async fn time_login(app: &TestApp, user: &str, pw: &str) -> (Value, Duration) {
    let t = Instant::now();
    let body = app.login_payload(user, pw).await;
    (body, t.elapsed())
}

#[tokio::test]
async fn wrong_username_and_wrong_password_look_the_same() {
    let app = spawn_app_with(|c| c.login_max_failures = 100).await;
    let (unknown, t_unknown) = time_login(&app, "nobody", "whatever-password").await;
    let (wrong, t_wrong) = time_login(&app, "admin", "wrong-password").await;
    assert_eq!(code_of(&unknown), "UNAUTHENTICATED");
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    assert_eq!(
        unknown["errors"][0]["extensions"],
        wrong["errors"][0]["extensions"]
    );
    // Both pay for an argon2 verification: the unknown user is checked against a
    // dummy hash. (Generous bound: only a missing verification is this far off.)
    let (_, t_unknown2) = time_login(&app, "nobody2", "whatever-password").await;
    let (_, t_wrong2) = time_login(&app, "admin", "wrong-password2").await;
    let unknown_t = t_unknown.min(t_unknown2);
    let wrong_t = t_wrong.min(t_wrong2);
    assert!(
        unknown_t * 3 > wrong_t,
        "unknown user answered in {unknown_t:?}, wrong password in {wrong_t:?}"
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = spawn_app().await;
    let first = app.login_payload("admin", ADMIN_PASSWORD).await["data"]["login"].clone();
    let refresh = "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { accessToken refreshToken } }";
    let second = app
        .data(refresh, json!({ "t": first["refreshToken"] }))
        .await["refreshSession"]
        .clone();
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    let access2 = second["accessToken"].as_str().unwrap();
    app.data_as(access2, ME, json!({})).await;

    // Someone replays the spent token: refused, and the whole session ends.
    let replay = app
        .gql(refresh, json!({ "t": first["refreshToken"] }))
        .await;
    assert_eq!(code_of(&replay), "UNAUTHENTICATED");
    assert_eq!(
        code_of(&app.gql_as(access2, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    let again = app
        .gql(refresh, json!({ "t": second["refreshToken"] }))
        .await;
    assert_eq!(
        code_of(&again),
        "UNAUTHENTICATED",
        "the rotated token died with the session"
    );
    let garbage = app.gql(refresh, json!({ "t": "not-a-token" })).await;
    assert_eq!(code_of(&garbage), "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let other = app.admin_token().await;
    let out = app
        .data_as(&token, "mutation { logout { signedOut } }", json!({}))
        .await;
    assert_eq!(out["logout"]["signedOut"], true);
    assert_eq!(
        code_of(&app.gql_as(&token, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    // Another session of the same user lives on.
    app.data_as(&other, ME, json!({})).await;
}

fn forge(header: Value, claims: Value, key: Option<&[u8]>) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    match key {
        None => format!("{h}.{c}."),
        Some(k) => {
            let claims: serde_json::Map<String, Value> = serde_json::from_value(claims).unwrap();
            jsonwebtoken::encode(
                &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(k),
            )
            .unwrap()
        }
    }
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let good = app.admin_token().await;
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(good.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp();

    let mut tampered_claims = payload.clone();
    tampered_claims["sub"] = json!("999");
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(tampered_claims.to_string()),
        parts[2]
    );
    let unsigned = forge(
        json!({ "alg": "none", "typ": "JWT" }),
        payload.clone(),
        None,
    );
    let wrong_key = forge(
        json!({}),
        payload.clone(),
        Some(b"another-secret-another-secret-0123456789"),
    );
    let mut expired_claims = payload.clone();
    expired_claims["iat"] = json!(now - 7200);
    expired_claims["exp"] = json!(now - 3600);
    let expired = forge(json!({}), expired_claims, Some(TEST_JWT_SECRET));
    let mut wrong_aud = payload.clone();
    wrong_aud["aud"] = json!("someone-else");
    let wrong_audience = forge(json!({}), wrong_aud, Some(TEST_JWT_SECRET));

    // The same claims signed with the right key work: the forging is sound.
    let resigned = forge(json!({}), payload.clone(), Some(TEST_JWT_SECRET));
    app.data_as(&resigned, ME, json!({})).await;

    for (name, token) in [
        ("tampered", tampered),
        ("alg none", unsigned),
        ("wrong key", wrong_key),
        ("expired", expired),
        ("wrong audience", wrong_audience),
        ("garbage", "abc".to_owned()),
    ] {
        let body = app.gql_as(&token, ME, json!({})).await;
        assert_eq!(code_of(&body), "UNAUTHENTICATED", "{name}: {body:#}");
        // A refused token is not downgraded to anonymous, even for public data.
        let body = app
            .gql_as(&token, r#"{ unit(code: "4401") { name } }"#, json!({}))
            .await;
        assert_eq!(code_of(&body), "UNAUTHENTICATED", "{name}: {body:#}");
    }
    let no_bearer = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Authorization", format!("Basic {good}"))
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(code_of(&no_bearer), "UNAUTHENTICATED");
}

#[tokio::test]
async fn repeated_failures_are_throttled() {
    let app = spawn_app_with(|c| c.login_max_failures = 5).await;
    for _ in 0..5 {
        let body = app.login_payload("admin", "wrong-password").await;
        assert_eq!(body["errors"][0]["message"], "wrong username or password");
    }
    // Even the right password waits now.
    let body = app.login_payload("admin", ADMIN_PASSWORD).await;
    assert_eq!(code_of(&body), "UNAUTHENTICATED");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too many failed sign-ins"),
        "{body:#}"
    );
    // After the back-off (1 s at the first step) the right password works again.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let body = app.login_payload("admin", ADMIN_PASSWORD).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

#[tokio::test]
async fn disabling_a_user_bites_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, token) = app
        .user_with_role("wang", "440104003", Some("street_admin"))
        .await;
    app.data_as(&token, ME, json!({})).await;
    let q =
        "mutation($i: SetUserDisabledInput!) { setUserDisabled(input: $i) { user { disabled } } }";
    let out = app
        .data_as(
            &admin,
            q,
            json!({ "i": { "userId": id, "disabled": true } }),
        )
        .await;
    assert_eq!(out["setUserDisabled"]["user"]["disabled"], true);
    assert_eq!(
        code_of(&app.gql_as(&token, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    let login = app.login_payload("wang", "wang-password").await;
    assert_eq!(login["errors"][0]["message"], "wrong username or password");
    // No one disables themselves.
    let me = app.data_as(&admin, "{ me { id } }", json!({})).await;
    let body = app
        .gql_as(
            &admin,
            q,
            json!({ "i": { "userId": me["me"]["id"], "disabled": true } }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn revoked_and_expired_roles_bite_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, token) = app
        .user_with_role("lili", "440104003", Some("street_admin"))
        .await;
    let users = r#"{ users(first: 100) { totalCount } }"#;
    let before = app.data_as(&token, users, json!({})).await;
    assert!(before["users"]["totalCount"].as_i64().unwrap() >= 1);

    let me = app.data_as(&token, ME, json!({})).await;
    let assignment = me["me"]["roles"][0]["id"].clone();
    let revoke =
        "mutation($i: RevokeRoleInput!) { revokeRole(input: $i) { assignment { revokedAt } } }";
    let out = app
        .data_as(
            &admin,
            revoke,
            json!({ "i": { "assignmentId": assignment } }),
        )
        .await;
    assert!(out["revokeRole"]["assignment"]["revokedAt"].is_string());
    let after = app.data_as(&token, users, json!({})).await;
    assert_eq!(
        after["users"]["totalCount"], 0,
        "the same token sees nothing now"
    );
    let again = app
        .gql_as(
            &admin,
            revoke,
            json!({ "i": { "assignmentId": assignment } }),
        )
        .await;
    assert_eq!(code_of(&again), "CONFLICT");

    // An expiry in the past (set behind the API's back) takes effect the same way.
    let (_, token) = app
        .user_with_role("zhao", "440104003", Some("street_admin"))
        .await;
    assert!(
        app.data_as(&token, users, json!({})).await["users"]["totalCount"]
            .as_i64()
            .unwrap()
            >= 1
    );
    app.db
        .execute_unprepared(
            "UPDATE role_assignment SET expires_at = '2020-01-01T00:00:00Z' WHERE user_id = (SELECT id FROM \"user\" WHERE username = 'zhao')",
        )
        .await
        .unwrap();
    // On SQLite the next request sees it (the caller epoch moved). On PostgreSQL a
    // change made by SQL outside the API reaches the kept callers by notification, at
    // commit but asynchronously: allow it the time to arrive.
    let mut seen = app.data_as(&token, users, json!({})).await["users"]["totalCount"].clone();
    if app.test_db.is_postgres() {
        for _ in 0..100 {
            if seen == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            seen = app.data_as(&token, users, json!({})).await["users"]["totalCount"].clone();
        }
    }
    assert_eq!(seen, 0);
}

#[tokio::test]
async fn changing_the_password_signs_out_other_sessions() {
    let app = spawn_app().await;
    let (_, token) = app
        .user_with_role("chen", "440104003108", Some("volunteer"))
        .await;
    let other = app.login("chen", "chen-password").await;
    let q =
        "mutation($i: ChangePasswordInput!) { changePassword(input: $i) { user { username } } }";
    let wrong = app
        .gql_as(
            &token,
            q,
            json!({ "i": { "currentPassword": "nope-nope", "newPassword": "new-password-1" } }),
        )
        .await;
    assert_eq!(code_of(&wrong), "BAD_USER_INPUT");
    let short = app
        .gql_as(
            &token,
            q,
            json!({ "i": { "currentPassword": "chen-password", "newPassword": "short" } }),
        )
        .await;
    assert_eq!(code_of(&short), "BAD_USER_INPUT");
    app.data_as(
        &token,
        q,
        json!({ "i": { "currentPassword": "chen-password", "newPassword": "new-password-1" } }),
    )
    .await;
    app.data_as(&token, ME, json!({})).await;
    assert_eq!(
        code_of(&app.gql_as(&other, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    app.login("chen", "new-password-1").await;
    let old = app.login_payload("chen", "chen-password").await;
    assert_eq!(code_of(&old), "UNAUTHENTICATED");
}

#[tokio::test]
async fn every_mutation_and_login_attempt_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = app
        .user_with_role("sun", "440104003", Some("street_admin"))
        .await;
    app.login_payload("sun", "bad-password").await;
    app.login_payload("ghost", "bad-password").await;
    app.data_as(
        &admin,
        "mutation($i: SetUserDisabledInput!) { setUserDisabled(input: $i) { user { id } } }",
        json!({ "i": { "userId": id, "disabled": true } }),
    )
    .await;
    app.data_as(
        &admin,
        r#"mutation { createUnit(input: { parentCode: "440104003108", code: "440104003108001", name: "第一网格" }) { unit { code level } } }"#,
        json!({}),
    )
    .await;
    app.data_as(
        &admin,
        r#"mutation { renameUnit(input: { code: "440104003108001", name: "一号网格" }) { unit { name } } }"#,
        json!({}),
    )
    .await;
    let log = app
        .data_as(
            &admin,
            "{ auditLog(first: 100) { totalCount edges { node { action actorId actor { username } target unitCode summary clientAddr requestId createdAt } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = log["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    for want in [
        "auth.login",
        "user.create",
        "role.grant",
        "auth.login_failed",
        "user.disable",
        "unit.create",
        "unit.rename",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    let failed_unknown = log["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["target"] == "username:ghost")
        .unwrap_or_else(|| panic!("the unknown user's attempt is recorded: {log:#}"));
    assert_eq!(failed_unknown["node"]["clientAddr"], "127.0.0.1");
    assert!(failed_unknown["node"]["requestId"].is_string());
    // Newest first.
    assert_eq!(actions[0], "unit.rename");
    // The actor is a user, and the summary a JSON object, not a string to parse.
    let rename = &log["auditLog"]["edges"][0]["node"];
    assert_eq!(rename["actor"]["username"], "admin");
    assert!(rename["summary"].is_object(), "{rename:#}");
    let defs = app
        .data_as(
            &admin,
            "{ roleAssignments(first: 5) { edges { node { role definition { name rank levels } } } } }",
            json!({}),
        )
        .await;
    for e in defs["roleAssignments"]["edges"].as_array().unwrap() {
        assert_eq!(e["node"]["definition"]["name"], e["node"]["role"]);
    }
    // Filters.
    let grants = app
        .data_as(
            &admin,
            r#"{ auditLog(action: "role.grant") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(grants["auditLog"]["totalCount"], 1);
}

#[tokio::test]
async fn request_ids_from_the_client_are_recorded() {
    let app = spawn_app().await;
    let body: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "req-abc-123")
        .json(&json!({ "query": "mutation { login(input: { username: \"admin\", password: \"nope-nope\" }) { accessToken } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code_of(&body), "UNAUTHENTICATED");
    let admin = app.admin_token().await;
    let log = app
        .data_as(
            &admin,
            r#"{ auditLog(action: "auth.login_failed") { edges { node { requestId } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        log["auditLog"]["edges"][0]["node"]["requestId"],
        "req-abc-123"
    );
}

#[tokio::test]
async fn mutations_are_refused_over_get() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "mutation { logout { signedOut } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
}

async fn admin_roles(app: &TestApp) -> Value {
    let admin = app.admin_token().await;
    let me = app
        .data_as(
            &admin,
            "{ me { unitCode roles { role unitCode } } }",
            json!({}),
        )
        .await;
    me["me"].clone()
}

/// `KAPOK_ADMIN_UNIT` / `KAPOK_ADMIN_ROLE` place the first administrator; a unit that
/// is not loaded or a role not allowed there stops startup with a clear error.
#[tokio::test]
async fn the_first_administrator_is_made_where_the_operator_says() {
    let district = spawn_app_with(|c| c.admin_unit = Some("440104".into())).await;
    assert_eq!(
        admin_roles(&district).await,
        json!({ "unitCode": "440104", "roles": [{ "role": "district_admin", "unitCode": "440104" }] })
    );
    let auditor = spawn_app_with(|c| {
        c.admin_unit = Some("440104003".into());
        c.admin_role = Some("auditor".into());
    })
    .await;
    assert_eq!(
        admin_roles(&auditor).await["roles"],
        json!([{ "role": "auditor", "unitCode": "440104003" }])
    );
    for (unit, role, says) in [
        ("449999", None, "unit"),
        ("440104", Some("street_admin"), "street_admin"),
        ("440104", Some("mayor"), "mayor"),
    ] {
        let db = kapok_tests::TestDb::create().await;
        let mut config = kapok_api::config::Config::for_database(db.url());
        config.listen = "127.0.0.1:0".into();
        config.jwt_secret = TEST_JWT_SECRET.to_vec();
        config.admin_unit = Some(unit.into());
        config.admin_role = role.map(str::to_owned);
        let err = kapok_api::http::Application::build(&config)
            .await
            .err()
            .expect("startup must fail");
        let text = err.to_string();
        assert!(
            text.starts_with("cannot create the first administrator") && text.contains(says),
            "{text}"
        );
    }
}

/// Statements one signed-in request costs.
async fn cost(app: &TestApp, token: &str, q: &str) -> u64 {
    let before = app.statements().await;
    app.data_as(token, q, json!({})).await;
    app.statements().await - before
}

/// A signed-in client's later requests do not read its session, user and roles again
/// (three statements; SQLite still reads its one-row caller epoch).
#[tokio::test]
async fn a_signed_in_caller_is_read_from_the_database_once() {
    let app = spawn_app().await;
    let (_, token) = app
        .user_with_role("chen", "440104003", Some("street_admin"))
        .await;
    let q = "{ units(under: \"440104003\", first: 1) { totalCount } }";
    let anonymous = {
        let before = app.statements().await;
        app.data(q, json!({})).await;
        app.statements().await - before
    };
    // PostgreSQL keeps nothing until its listener is connected (just after start).
    let mut kept = u64::MAX;
    for _ in 0..200 {
        kept = cost(&app, &token, q).await;
        if kept <= anonymous + 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let epoch = u64::from(!app.test_db.is_postgres());
    assert_eq!(
        kept,
        anonymous + epoch,
        "a kept caller costs no statement but SQLite's epoch"
    );
    // A mutation by anyone forgets what was kept: the next request reads it again.
    let admin = app.admin_token().await;
    app.data_as(
        &admin,
        "mutation { logout(input: {}) { signedOut } }",
        json!({}),
    )
    .await;
    assert_eq!(cost(&app, &token, q).await, anonymous + epoch + 3);
}

/// Two instances on one database: a revocation through one bites on the other's kept
/// caller (SQLite: on its next request; PostgreSQL: once the notice arrives, at most
/// a second here).
#[tokio::test]
async fn a_revocation_through_one_instance_bites_on_another() {
    let a = spawn_app().await;
    let b = kapok_tests::spawn_peer(&a, |_| {}).await;
    let admin = a.admin_token().await;
    let (id, token) = a
        .user_with_role("sun", "440104003", Some("street_admin"))
        .await;
    // Kept by b (twice, so that the second answer comes from what b kept).
    for _ in 0..2 {
        assert_eq!(
            b.data_as(&token, ME, json!({})).await["me"]["username"],
            "sun"
        );
    }
    let q =
        "mutation($i: SetUserDisabledInput!) { setUserDisabled(input: $i) { user { disabled } } }";
    a.data_as(
        &admin,
        q,
        json!({ "i": { "userId": id, "disabled": true } }),
    )
    .await;
    let started = Instant::now();
    let mut body = b.gql_as(&token, ME, json!({})).await;
    if a.test_db.is_postgres() {
        while code_of(&body) != "UNAUTHENTICATED" && started.elapsed() < Duration::from_secs(1) {
            tokio::time::sleep(Duration::from_millis(5)).await;
            body = b.gql_as(&token, ME, json!({})).await;
        }
    }
    assert_eq!(code_of(&body), "UNAUTHENTICATED", "{body:#}");
}
