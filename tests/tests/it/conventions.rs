//! API conventions for front-end teams: automatic persisted queries (Apollo's
//! protocol) over POST and GET, and CORS for the configured origins only.

use kapok_tests::{spawn_app, spawn_app_with};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const QUERY: &str = r#"query Unit { unit(code: "440104") { name } }"#;

fn sha(q: &str) -> String {
    hex::encode(Sha256::digest(q.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

#[tokio::test]
async fn persisted_queries_follow_the_apollo_protocol() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let post = |body: Value| {
        let client = app.client.clone();
        let url = url.clone();
        async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let hash = sha(QUERY);
    // The hash alone, before anyone sent the text: the client is told to send it.
    let (status, body) = post(json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        body["errors"][0]["extensions"]["reason"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    // The text with its hash registers it…
    let (_, body) = post(json!({ "query": QUERY, "extensions": persisted(&hash) })).await;
    assert_eq!(body["data"]["unit"]["name"], "越秀区", "{body:#}");
    // …after which the hash alone is enough, over POST and over GET.
    let (_, body) = post(json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(body["data"]["unit"]["name"], "越秀区", "{body:#}");
    let body: Value = app
        .client
        .get(&url)
        .query(&[("extensions", persisted(&hash).to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["unit"]["name"], "越秀区", "{body:#}");
    // A hash that is not the text's, or a malformed extension, is refused.
    let (status, body) =
        post(json!({ "query": QUERY, "extensions": persisted(&sha("other")) })).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["reason"],
        "PERSISTED_QUERY_HASH_MISMATCH"
    );
    let (status, body) =
        post(json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } }))
            .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["reason"],
        "INVALID_PERSISTED_QUERY"
    );
    // A persisted document is checked like any other: limits still apply.
    let roots: String = (0..21).map(|_| "__typename ").collect();
    let big = format!("{{ {roots} }}");
    let (_, body) = post(json!({ "query": big, "extensions": persisted(&sha(&big)) })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["reason"],
        "TOO_MANY_ROOT_FIELDS"
    );
}

#[tokio::test]
async fn each_distinct_document_is_parsed_once() {
    let app = spawn_app().await;
    let metric = |text: &str| -> i64 {
        text.lines()
            .find(|l| l.starts_with(r#"kapok_document_cache{measure="entries"}"#))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let before = metric(&app.metrics().await);
    for _ in 0..5 {
        app.data(QUERY, json!({})).await;
    }
    // The metrics sample at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(metric(&app.metrics().await), before + 1);
}

#[tokio::test]
async fn browsers_may_call_from_the_configured_origins_only() {
    let app = spawn_app_with(|c| c.cors_origins = vec!["https://app.example.cn".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, authorization",
            )
            .send()
    };
    let ok = preflight("https://app.example.cn").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example.cn"
    );
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // An actual request from the allowed origin carries the header and exposes the
    // request id.
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", "https://app.example.cn")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.cn"
    );
    assert!(res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("x-request-id"));
    // No origins are configured by default.
    let closed = spawn_app().await;
    let res = closed
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/graphql", closed.address),
        )
        .header("origin", "https://app.example.cn")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

/// Statements one request costs.
async fn cost(app: &kapok_tests::TestApp, token: &str, query: &str) -> (u64, usize) {
    let before = app.statements().await;
    let data = app.data_as(token, query, json!({})).await;
    let after = app.statements().await;
    let rows = data
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|c| c["edges"].as_array())
        .map_or(0, Vec::len);
    (after - before, rows)
}

/// Every relation on a list item is batched: a page of 40 costs (about) the statements
/// a page of 3 does. Broken by resolving any of these relations one row at a time.
#[tokio::test]
async fn a_pages_statement_count_does_not_grow_with_its_length() {
    use kapok_api::ops::demo::{generate, DemoOptions};
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let opts = DemoOptions {
        under: policies::UnitCode::parse("440104003").unwrap(),
        volunteers: 200,
        teams: 45,
        organizations: 4,
        activities: 45,
        records: 300,
        donations: 300,
        seed: 11,
    };
    generate(&app.db, &opts, false).await.unwrap();
    // Demo teams are flat and leaderless, activities teamless, stations without an
    // operator: link them so that every relation has something to fetch.
    for link in [
        "UPDATE team SET leader_id = (SELECT MIN(id) FROM volunteer), \
         parent_id = (SELECT MIN(t.id) FROM team t) \
         WHERE id <> (SELECT MIN(t.id) FROM team t)",
        "UPDATE activity SET team_id = (SELECT MAX(id) FROM team)",
        "UPDATE station SET organization_id = (SELECT MIN(id) FROM organization)",
    ] {
        app.db.execute_unprepared(link).await.unwrap();
    }
    let admin = app.admin_token().await;
    let shapes = [
        "serviceRecords(first: FIRST) { edges { node { hours unit { name } \
           volunteer { realName fields unit { name } } \
           activity { title unit { name } project { name } team { name } stateChangedBy { username } } \
           recordedBy { username } decidedBy { username } corrects { id } } } }",
        "volunteers(first: FIRST) { edges { node { realName fields unit { name parent { name } } } } }",
        "teams(first: FIRST) { edges { node { name fields memberCount leader { realName } parent { name } unit { name } } } }",
        "activities(first: FIRST) { edges { node { title project { name team { name } } team { leader { realName } } stateChangedBy { username roles { role } } } } }",
        "stations(first: FIRST) { edges { node { name organization { name } unit { name } } } }",
        "donations(first: FIRST) { edges { node { amountFen fund { name balanceFen } campaign { name raisedFen } pledge { amountFen } unit { name } } } }",
        "disbursements(first: FIRST) { edges { node { amountFen fund { name balanceFen } campaign { name } unit { name } } } }",
        "pledges(first: FIRST) { edges { node { amountFen state fund { name } campaign { name } unit { name } } } }",
        "helpRequests(first: FIRST) { edges { node { state beneficiaryName claimedByVolunteer { realName } disbursement { amountFen } unit { name } } } }",
        "stockItems(first: FIRST) { edges { node { name station { name } unit { name } } } }",
        "stockMoves(first: FIRST) { edges { node { quantity item { name station { name } } household { members } donation { amountFen } shareDonation { amountFen } unit { name } } } }",
    ];
    for shape in shapes {
        let (small_cost, small_rows) = cost(
            &app,
            &admin,
            &format!("{{ {} }}", shape.replace("FIRST", "3")),
        )
        .await;
        let (big_cost, big_rows) = cost(
            &app,
            &admin,
            &format!("{{ {} }}", shape.replace("FIRST", "40")),
        )
        .await;
        assert!(
            big_rows > small_rows,
            "{shape}: {small_rows} then {big_rows} rows"
        );
        // A relation resolved row by row adds a statement per extra row (37 here);
        // a batch split in two because its rows were polled more than the loader's
        // delay apart adds one. The bound tells the two apart.
        let slack = (big_rows - small_rows) as u64 / 3;
        assert!(
            big_cost <= small_cost + slack,
            "{shape}: {small_rows} rows cost {small_cost} statements, {big_rows} rows cost {big_cost}"
        );
    }
}

/// Relay's `node` and `nodes`: null for what is missing or out of reach, in the order
/// asked; a malformed ID is the caller's mistake; at most 100 IDs at once.
#[tokio::test]
async fn node_and_nodes_follow_the_relay_specification() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (me, street) = app
        .user_with_role("nodes_street", "440104003", Some("street_admin"))
        .await;
    let (outside, _) = app.user_with_role("nodes_outside", "440104004", None).await;
    let missing = "VXNlcjo5OTk5OTk"; // User:999999
    let q = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { username } } }";
    let data = app
        .data_as(&street, q, json!({ "ids": [outside, me, missing, me] }))
        .await;
    assert_eq!(
        data["nodes"],
        json!([null, { "id": me, "username": "nodes_street" }, null, { "id": me, "username": "nodes_street" }])
    );
    // The administrator of the city sees both users.
    let data = app.data_as(&admin, q, json!({ "ids": [outside] })).await;
    assert_eq!(data["nodes"][0]["username"], "nodes_outside");
    let one = app
        .data_as(
            &street,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": outside }),
        )
        .await;
    assert!(one["node"].is_null());
    let bad = app.gql_as(&street, q, json!({ "ids": ["garbage"] })).await;
    assert_eq!(kapok_tests::error_codes(&bad), ["BAD_USER_INPUT"]);
    let many: Vec<&str> = std::iter::repeat_n(me.as_str(), 101).collect();
    let body = app.gql_as(&street, q, json!({ "ids": many })).await;
    assert_eq!(
        kapok_tests::error_codes(&body),
        ["BAD_USER_INPUT"],
        "{body:#}"
    );
}

/// Every type, field, argument, input field and enum value the API exposes carries a
/// description, read through introspection as a client's tools would; none points to
/// a file outside the repository.
#[tokio::test]
async fn every_part_of_the_schema_is_described() {
    let app = spawn_app().await;
    let body = app
        .gql(
            r#"{ __schema { types {
                name kind description
                fields(includeDeprecated: true) { name description args { name description } }
                inputFields { name description }
                enumValues(includeDeprecated: true) { name description }
            } } }"#,
            json!({}),
        )
        .await;
    let types = body["data"]["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("introspection failed: {body:#}"));
    let described = |v: &Value| v.as_str().is_some_and(|d| !d.trim().is_empty());
    let (mut missing, mut outside, mut total) = (Vec::new(), Vec::new(), 0);
    let mut check = |path: String, d: &Value| {
        total += 1;
        if !described(d) {
            missing.push(path);
        } else if d
            .as_str()
            .is_some_and(|d| d.contains("../") || d.contains(".md"))
        {
            outside.push(path);
        }
    };
    for t in types {
        let name = t["name"].as_str().unwrap_or_default();
        // The introspection types and the built-in scalars belong to the GraphQL
        // specification, not to Kapok.
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        check(name.to_owned(), &t["description"]);
        for f in t["fields"].as_array().into_iter().flatten() {
            let field = format!("{name}.{}", f["name"].as_str().unwrap_or_default());
            check(field.clone(), &f["description"]);
            for a in f["args"].as_array().into_iter().flatten() {
                check(
                    format!("{field}({})", a["name"].as_str().unwrap_or_default()),
                    &a["description"],
                );
            }
        }
        for key in ["inputFields", "enumValues"] {
            for f in t[key].as_array().into_iter().flatten() {
                check(
                    format!("{name}.{}", f["name"].as_str().unwrap_or_default()),
                    &f["description"],
                );
            }
        }
    }
    assert!(total > 900, "the walk saw only {total} parts of the schema");
    assert!(
        missing.is_empty(),
        "{} of {total} undescribed: {missing:#?}",
        missing.len()
    );
    assert!(
        outside.is_empty(),
        "descriptions pointing outside the repository: {outside:#?}"
    );
}

/// Errors carry a stable reason and the input path of the offending field; the
/// message is Simplified Chinese unless the client prefers English.
#[tokio::test]
async fn errors_name_their_reason_and_field_in_the_callers_language() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let create = r#"mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }"#;
    let vars = json!({ "i": { "username": "short_pw", "password": "abc",
        "displayName": "短密码", "homeUnitCode": "440104" } });
    let send = |lang: Option<&'static str>, query: &'static str, vars: Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            // A client of its own: the test client asks for English by default.
            let mut req = reqwest::Client::new()
                .post(format!("{}/graphql", app.address))
                .bearer_auth(admin)
                .json(&json!({ "query": query, "variables": vars }));
            if let Some(lang) = lang {
                req = req.header("accept-language", lang);
            }
            req.send().await.unwrap().json::<Value>().await.unwrap()
        }
    };
    let zh = send(None, create, vars.clone()).await;
    let err = &zh["errors"][0];
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{zh:#}");
    assert_eq!(err["extensions"]["reason"], "PASSWORD_LENGTH", "{zh:#}");
    assert_eq!(
        err["extensions"]["field"],
        json!(["input", "password"]),
        "{zh:#}"
    );
    assert_eq!(err["message"], "密码须为 8 到 128 个字符", "{zh:#}");

    let en = send(Some("en-GB,en;q=0.9,zh;q=0.5"), create, vars.clone()).await;
    assert_eq!(
        en["errors"][0]["message"],
        "passwords are 8 to 128 characters"
    );
    assert_eq!(en["errors"][0]["extensions"], err["extensions"]);

    // An argument of a query field is named by itself, not under `input`.
    let page = send(None, "{ units(first: 500) { totalCount } }", json!({})).await;
    let err = &page["errors"][0];
    assert_eq!(err["extensions"]["reason"], "OUT_OF_RANGE", "{page:#}");
    assert_eq!(err["extensions"]["field"], json!(["first"]), "{page:#}");
    assert_eq!(err["message"], "first 须在 0 到 100 之间", "{page:#}");

    // Refusals by the policy and by async-graphql's own checks have reasons too.
    let anon = reqwest::Client::new()
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": create, "variables": { "i": { "username": "anon_try",
            "password": "long-enough-password", "displayName": "匿名", "homeUnitCode": "440104" } } }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        anon["errors"][0]["extensions"]["reason"], "SIGN_IN_REQUIRED",
        "{anon:#}"
    );
    assert_eq!(anon["errors"][0]["message"], "请先登录", "{anon:#}");
    let unknown = send(None, "{ nope }", json!({})).await;
    assert_eq!(
        unknown["errors"][0]["extensions"]["reason"], "INVALID_QUERY",
        "{unknown:#}"
    );
    assert!(
        unknown["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("请求无效："),
        "{unknown:#}"
    );
}

/// Walks a whole list forward with `first`/`after`, then backward with
/// `last`/`before`: the two walks see the same rows in mirrored order, each once.
async fn walk(
    app: &kapok_tests::TestApp,
    token: &str,
    list: &str,
    args: &str,
    fields: &str,
) -> Vec<Value> {
    let mut forward = Vec::new();
    let mut after = Value::Null;
    loop {
        let q = format!(
            "query($c: String) {{ {list}({args} first: 7, after: $c) {{ totalCount \
             pageInfo {{ hasNextPage endCursor }} nodes {{ id {fields} }} }} }}"
        );
        let data = app.data_as(token, &q, json!({ "c": after })).await;
        let conn = &data[list];
        forward.extend(conn["nodes"].as_array().unwrap().iter().cloned());
        if conn["pageInfo"]["hasNextPage"] != true {
            assert_eq!(
                conn["totalCount"].as_u64().unwrap() as usize,
                forward.len(),
                "{list}({args})"
            );
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    let mut backward = Vec::new();
    let mut before = Value::Null;
    loop {
        let q = format!(
            "query($c: String) {{ {list}({args} last: 7, before: $c) {{ \
             pageInfo {{ hasPreviousPage startCursor }} nodes {{ id {fields} }} }} }}"
        );
        let data = app.data_as(token, &q, json!({ "c": before })).await;
        let conn = &data[list];
        let mut page = conn["nodes"].as_array().unwrap().clone();
        page.reverse();
        backward.extend(page);
        if conn["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = conn["pageInfo"]["startCursor"].clone();
    }
    backward.reverse();
    assert_eq!(forward, backward, "{list}({args}): backward walk differs");
    let ids: std::collections::HashSet<&str> =
        forward.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), forward.len(), "{list}({args}): a row came twice");
    forward
}

fn times(rows: &[Value], field: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
    rows.iter()
        .map(|r| r[field].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Lists sort by the fields people sort by, either way, and page forward and back
/// in that order; records and the audit log filter by a time range.
#[tokio::test]
async fn lists_sort_filter_by_time_and_page_both_ways() {
    use kapok_api::ops::demo::{generate, DemoOptions};
    let app = spawn_app().await;
    let opts = DemoOptions {
        under: policies::UnitCode::parse("440104003").unwrap(),
        volunteers: 60,
        teams: 3,
        organizations: 1,
        activities: 20,
        records: 80,
        donations: 0,
        seed: 5,
    };
    generate(&app.db, &opts, false).await.unwrap();
    let admin = app.admin_token().await;

    let by_date = walk(
        &app,
        &admin,
        "serviceRecords",
        "orderBy: { field: SERVICE_DATE },",
        "startedAt",
    )
    .await;
    assert!(by_date.len() > 50, "{}", by_date.len());
    let t = times(&by_date, "startedAt");
    assert!(
        t.windows(2).all(|w| w[0] <= w[1]),
        "records not by service date"
    );
    let desc = walk(
        &app,
        &admin,
        "serviceRecords",
        "orderBy: { field: SERVICE_DATE, direction: DESC },",
        "startedAt",
    )
    .await;
    let d = times(&desc, "startedAt");
    assert!(
        d.windows(2).all(|w| w[0] >= w[1]),
        "records not newest first"
    );

    // A time range: only service started inside it.
    let (from, to) = (t[20], t[60]);
    let ranged = walk(
        &app,
        &admin,
        "serviceRecords",
        &format!(
            "from: \"{}\", to: \"{}\", orderBy: {{ field: SERVICE_DATE }},",
            from.to_rfc3339(),
            to.to_rfc3339()
        ),
        "startedAt",
    )
    .await;
    let inside = t.iter().filter(|x| **x >= from && **x < to).count();
    assert_eq!(ranged.len(), inside);
    assert!(times(&ranged, "startedAt")
        .iter()
        .all(|x| *x >= from && *x < to));

    let by_hours = walk(
        &app,
        &admin,
        "volunteers",
        "orderBy: { field: HOURS, direction: DESC },",
        "approvedHours",
    )
    .await;
    assert!(by_hours.len() >= 50, "{}", by_hours.len());
    let h: Vec<f64> = by_hours
        .iter()
        .map(|v| v["approvedHours"].as_f64().unwrap())
        .collect();
    assert!(
        h.windows(2).all(|w| w[0] >= w[1]),
        "volunteers not by hours: {h:?}"
    );
    walk(
        &app,
        &admin,
        "volunteers",
        "orderBy: { field: NAME },",
        "realName",
    )
    .await;

    // Units: by name either way, and by code (the default) backwards too.
    let streets = walk(
        &app,
        &admin,
        "units",
        "under: \"4401\", level: STREET, orderBy: { field: NAME, direction: DESC },",
        "name",
    )
    .await;
    assert!(streets.len() > 100, "{}", streets.len());
    let by_code = walk(
        &app,
        &admin,
        "units",
        "under: \"440104\", orderBy: { field: CODE },",
        "code",
    )
    .await;
    let codes: Vec<&str> = by_code
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "units not by code");
    // A unit's children continue from the batched first page through the pager.
    let q = "query($c: String) { unit(code: \"440104\") { children(first: 5, after: $c) { pageInfo { endCursor } nodes { code } } } }";
    let first = app.data_as(&admin, q, json!({ "c": null })).await;
    let next = app
        .data_as(
            &admin,
            q,
            json!({ "c": first["unit"]["children"]["pageInfo"]["endCursor"] }),
        )
        .await;
    let (a, b) = (
        &first["unit"]["children"]["nodes"],
        &next["unit"]["children"]["nodes"],
    );
    assert_eq!(a.as_array().unwrap().len(), 5);
    assert!(
        a[4]["code"].as_str().unwrap() < b[0]["code"].as_str().unwrap(),
        "{a} then {b}"
    );

    let starts = walk(
        &app,
        &admin,
        "activities",
        "orderBy: { field: STARTS_AT },",
        "startsAt",
    )
    .await;
    let s = times(&starts, "startsAt");
    assert!(
        s.windows(2).all(|w| w[0] <= w[1]),
        "activities not by start"
    );

    let log = walk(
        &app,
        &admin,
        "auditLog",
        "orderBy: { field: TIME, direction: ASC },",
        "createdAt",
    )
    .await;
    let l = times(&log, "createdAt");
    assert!(
        l.windows(2).all(|w| w[0] <= w[1]),
        "audit log not oldest first"
    );
    let future = app
        .data_as(
            &admin,
            "{ auditLog(from: \"2999-01-01T00:00:00Z\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(future["auditLog"]["totalCount"], 0);

    // Lists of named records sort by name; the others by creation, either way.
    let teams = walk(
        &app,
        &admin,
        "teams",
        "orderBy: { field: NAME, direction: DESC },",
        "name",
    )
    .await;
    assert!(teams.len() >= 3);
    let moves = walk(
        &app,
        &admin,
        "signups",
        "orderBy: { field: CREATED_AT, direction: DESC },",
        "signedUpAt",
    )
    .await;
    let asc = walk(
        &app,
        &admin,
        "signups",
        "orderBy: { field: CREATED_AT },",
        "signedUpAt",
    )
    .await;
    assert_eq!(
        moves.iter().rev().collect::<Vec<_>>(),
        asc.iter().collect::<Vec<_>>()
    );
    walk(
        &app,
        &admin,
        "organizations",
        "orderBy: { field: NAME },",
        "name",
    )
    .await;

    // Both directions at once is refused; a cursor from another order is refused too.
    let both = app
        .gql_as(
            &admin,
            "{ volunteers(first: 2, last: 2) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        both["errors"][0]["extensions"]["reason"], "PAGING_BOTH_WAYS",
        "{both:#}"
    );
    let page = app
        .data_as(
            &admin,
            "{ volunteers(first: 1, orderBy: { field: HOURS }) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = page["volunteers"]["pageInfo"]["endCursor"].clone();
    let wrong = app
        .gql_as(&admin, "query($c: String) { serviceRecords(first: 1, after: $c, orderBy: { field: SERVICE_DATE }) { totalCount } }", json!({ "c": cursor }))
        .await;
    assert_eq!(
        wrong["errors"][0]["extensions"]["reason"], "INVALID_CURSOR",
        "{wrong:#}"
    );
}

/// A `Date` is `YYYY-MM-DD`: the signed, wider years chrono also reads (up to
/// +262143) are refused as input, since a day after the last one it can hold cannot
/// be computed — a period ending there took the server's task down.
#[tokio::test]
async fn dates_outside_four_digit_years_are_bad_input() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for day in [
        "+262142-12-31",
        "+262143-12-31",
        "+10000-01-01",
        "-0001-01-01",
        "12026-01-01",
    ] {
        let body = app
            .gql_as(
                &admin,
                "query($d: Date!) { unitStats(code: \"4401\", to: $d) { unitCode } }",
                json!({ "d": day }),
            )
            .await;
        assert_eq!(
            kapok_tests::error_codes(&body),
            ["BAD_USER_INPUT"],
            "{day}: {body}"
        );
    }
    let ok = app
        .data_as(
            &admin,
            "query($d: Date!) { unitStats(code: \"4401\", to: $d) { unitCode } }",
            json!({ "d": "9999-12-31" }),
        )
        .await;
    assert_eq!(ok["unitStats"]["unitCode"], "4401");
}
