//! The unit hierarchy through GraphQL, on the bundled Guangzhou data.

use std::collections::HashSet;

use kapok_tests::{error_codes, spawn_app};
use serde_json::json;

#[tokio::test]
async fn guangzhou_is_loaded_on_first_start() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{
              districts: units(level: DISTRICT) { totalCount }
              streets: units(level: STREET) { totalCount }
              communities: units(level: COMMUNITY) { totalCount }
              city: unit(code: "4401") { name level parent { code } descendantCount
                streetCount: descendantCount(level: STREET) }
            }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["districts"]["totalCount"], 11);
    assert_eq!(data["streets"]["totalCount"], 178);
    assert_eq!(data["communities"]["totalCount"], 2851);
    assert_eq!(data["city"]["name"], "广州市");
    assert_eq!(data["city"]["level"], "CITY");
    assert_eq!(data["city"]["parent"], json!(null));
    assert_eq!(data["city"]["descendantCount"], 11 + 178 + 2851);
    assert_eq!(data["city"]["streetCount"], 178);
}

#[tokio::test]
async fn a_community_with_its_ancestors() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ unit(code: "440104003108") {
                   id code name level
                   parent { code name }
                   ancestors { code name }
                 } }"#,
            json!({}),
        )
        .await;
    let unit = &data["unit"];
    assert_eq!(unit["name"], "盐运西社区居委会");
    assert_eq!(unit["level"], "COMMUNITY");
    assert_eq!(unit["parent"]["name"], "北京街道");
    let names: Vec<&str> = unit["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["广州市", "越秀区", "北京街道"]);

    // The global ID fetches the same unit through `node`.
    let id = unit["id"].as_str().unwrap();
    let node = app
        .data(
            "query($id: ID!) { node(id: $id) { id ... on Unit { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"]["code"], "440104003108");
    assert_eq!(node["node"]["id"], id);
}

/// A flat page of units (fields read from the row only) is answered as the executor
/// answers it; a nested `parent` sends the page through the executor.
#[tokio::test]
async fn a_flat_page_of_units_answers_as_the_executor_does() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let page = app
        .flat_and_executor_agree(
            &admin,
            r#"{ units(under: "440104", level: STREET, first: 20) { totalCount
                   edges { cursor{I} node { id{I} code{I} name{I} level{I} __typename{I} c: code{I} } }
                   nodes { name{I} } } }"#,
        )
        .await;
    let edges = page["units"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 18);
    assert_eq!(edges[0]["node"]["c"], edges[0]["node"]["code"]);
    assert_eq!(edges[0]["node"]["__typename"], "Unit");
    app.flat_and_executor_agree(
        &admin,
        r#"{ units(under: "440104", level: STREET, first: 5) {
               edges { node { code{I} parent { code{I} } } } } }"#,
    )
    .await;
}

#[tokio::test]
async fn streets_of_yuexiu() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ units(under: "440104", level: STREET, first: 100) {
                   totalCount edges { node { code level parent { code } } }
                 } }"#,
            json!({}),
        )
        .await;
    let edges = data["units"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 18);
    assert_eq!(data["units"]["totalCount"], 18);
    for e in edges {
        assert_eq!(e["node"]["level"], "STREET");
        assert_eq!(e["node"]["parent"]["code"], "440104");
        assert!(e["node"]["code"].as_str().unwrap().starts_with("440104"));
    }
}

#[tokio::test]
async fn pagination_walks_every_item_exactly_once() {
    let app = spawn_app().await;
    let query = r#"query($after: String) {
        units(under: "440104", first: 7, after: $after) {
          totalCount
          pageInfo { hasNextPage hasPreviousPage endCursor }
          edges { cursor node { code } }
        } }"#;
    let mut after = json!(null);
    let mut seen = Vec::new();
    let mut total = None;
    loop {
        let data = app.data(query, json!({ "after": after })).await;
        let conn = &data["units"];
        total.get_or_insert(conn["totalCount"].as_i64().unwrap());
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], !after.is_null());
        for e in conn["edges"].as_array().unwrap() {
            seen.push(e["node"]["code"].as_str().unwrap().to_owned());
        }
        if conn["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an item came twice");
    assert_eq!(seen.len() as i64, total.unwrap());
    // Yuexiu: 18 streets and their communities.
    let communities = app
        .data(r#"{ unit(code: "440104") { descendantCount } }"#, json!({}))
        .await;
    assert_eq!(communities["unit"]["descendantCount"], json!(seen.len()));
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "pages come in code order");
}

#[tokio::test]
async fn children_pages_and_counts() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ unit(code: "440104003") {
                   children(first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { node { code } } }
                 } }"#,
            json!({}),
        )
        .await;
    let children = &data["unit"]["children"];
    assert_eq!(children["totalCount"], 13);
    assert_eq!(children["edges"].as_array().unwrap().len(), 5);
    let after = children["pageInfo"]["endCursor"].clone();
    let rest = app
        .data(
            r#"query($after: String) { unit(code: "440104003") {
                   children(first: 100, after: $after) { pageInfo { hasNextPage } edges { node { code } } }
                 } }"#,
            json!({ "after": after }),
        )
        .await;
    assert_eq!(
        rest["unit"]["children"]["edges"].as_array().unwrap().len(),
        8
    );
    assert_eq!(rest["unit"]["children"]["pageInfo"]["hasNextPage"], false);

    // Many parents' children at once (batched by the loader) agree with one-by-one.
    let many = app
        .data(
            r#"{ units(under: "440104", level: STREET, first: 100) {
                   edges { node { code children(first: 3) { totalCount edges { node { code } } } } } } }"#,
            json!({}),
        )
        .await;
    for e in many["units"]["edges"].as_array().unwrap() {
        let kids = e["node"]["children"]["edges"].as_array().unwrap();
        assert!(kids.len() <= 3);
        let code = e["node"]["code"].as_str().unwrap();
        for k in kids {
            assert!(k["node"]["code"].as_str().unwrap().starts_with(code));
        }
        if code == "440104003" {
            assert_eq!(e["node"]["children"]["totalCount"], 13);
            assert_eq!(kids.len(), 3);
        }
    }
}

#[tokio::test]
async fn search_matches_names() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ units(search: "北京", first: 100) { totalCount edges { node { name } } } }"#,
            json!({}),
        )
        .await;
    let names: Vec<&str> = data["units"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"北京街道"));
    assert!(names.iter().all(|n| n.contains("北京")));
    // LIKE wildcards in the search text are literal.
    let none = app
        .data(r#"{ units(search: "%") { totalCount } }"#, json!({}))
        .await;
    assert_eq!(none["units"]["totalCount"], 0);
}

#[tokio::test]
async fn bad_arguments_have_stable_codes() {
    let app = spawn_app().await;
    let cases = [
        (r#"{ unit(code: "44x") { name } }"#, "BAD_USER_INPUT"),
        (r#"{ unit(code: "440") { name } }"#, "BAD_USER_INPUT"),
        (
            r#"{ units(under: "4401049") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (r#"{ units(under: "440199") { totalCount } }"#, "NOT_FOUND"),
        (
            r#"{ units(after: "bm90LWEtY3Vyc29y") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ units(after: "???") { totalCount } }"#,
            "BAD_USER_INPUT",
        ),
        (r#"{ units(first: 101) { totalCount } }"#, "BAD_USER_INPUT"),
        (r#"{ units(first: -1) { totalCount } }"#, "BAD_USER_INPUT"),
        (
            r#"{ unit(code: "4401") { children(first: 1000) { totalCount } } }"#,
            "BAD_USER_INPUT",
        ),
        (r#"{ node(id: "garbage") { id } }"#, "BAD_USER_INPUT"),
        (r#"{ nope }"#, "BAD_USER_INPUT"),
        (r#"{ unit(code: "4401") { "#, "BAD_USER_INPUT"),
    ];
    for (query, code) in cases {
        let body = app.gql(query, json!({})).await;
        assert_eq!(error_codes(&body), [code], "{query}: {body:#}");
    }
    // Well-formed but unknown: null, as Relay's `node` and GitHub's by-id fields.
    for query in [
        r#"{ unit(code: "440104999") { name } }"#,
        r#"{ node(id: "VW5pdDo5OTk5OTk5") { id } }"#,
    ] {
        let body = app.gql(query, json!({})).await;
        assert!(body.get("errors").is_none(), "{query}: {body:#}");
        assert!(
            body["data"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| v.is_null()),
            "{query}: {body:#}"
        );
    }
}

#[tokio::test]
async fn too_deep_and_too_complex_queries_are_refused() {
    let app = kapok_tests::spawn_app_with(|c| {
        c.limits.max_depth = 6;
        c.limits.max_complexity = 500;
    })
    .await;
    let deep = r#"{ unit(code: "440104003108") { parent { parent { parent { parent { parent { name } } } } } } }"#;
    let body = app.gql(deep, json!({})).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
    assert!(body["data"].is_null());

    let wide = r#"{ units(first: 100) { edges { node { children(first: 100) { edges { node { name } } } } } } }"#;
    let body = app.gql(wide, json!({})).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");

    let fine = r#"{ unit(code: "440104003108") { parent { parent { name } } } }"#;
    let body = app.gql(fine, json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

/// On PostgreSQL a unit by its code and lists in code order (a level, a subtree) are
/// read through the pool whose sessions keep one generic plan per statement; a name
/// search and a list in name order are planned for their values on the main pool.
/// The answers are the database's for every value, however often the statement ran.
#[tokio::test]
async fn unit_reads_in_code_order_run_with_generic_plans() {
    let app = spawn_app().await;
    let streets = r#"query($u: String!) { units(under: $u, level: STREET, first: 5) {
        totalCount edges { node { code name } } } }"#;
    // More runs than PostgreSQL's five custom plans before it would consider a
    // generic one by itself.
    let mut answers = Vec::new();
    for _ in 0..7 {
        answers.push(app.data(streets, json!({ "u": "440104" })).await);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(answers[0]["units"]["totalCount"], 18);
    // Other values through the same prepared statements: a district, a city, the
    // root, each as the database counts it.
    for under in ["440103", "440111", "4401"] {
        let got = app.data(streets, json!({ "u": under })).await;
        let want = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM unit WHERE level = 'street' AND code LIKE '{under}%'"
            ))
            .await;
        assert_eq!(got["units"]["totalCount"], want, "under {under}");
        let codes: Vec<&str> = got["units"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["code"].as_str().unwrap())
            .collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
        assert!(codes.iter().all(|c| c.starts_with(under)));
    }
    for _ in 0..7 {
        let one = app
            .data(r#"{ unit(code: "440104003") { name } }"#, json!({}))
            .await;
        assert_eq!(one["unit"]["name"], "北京街道");
    }
    let missing = app
        .data(r#"{ unit(code: "440104999") { name } }"#, json!({}))
        .await;
    assert_eq!(missing["unit"], json!(null));
    let by_name = app
        .data(
            r#"{ units(under: "440104", level: STREET, first: 100, orderBy: { field: NAME }) {
                   totalCount edges { node { name } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(by_name["units"]["totalCount"], 18);
    let searched = app
        .data(
            r#"{ units(search: "北京", first: 5) { totalCount edges { node { name } } } }"#,
            json!({}),
        )
        .await;
    assert!(searched["units"]["totalCount"].as_i64().unwrap() >= 1);
    if !app.test_db.is_postgres() {
        return;
    }
    // Each session's last statement: the steady pool read units, never by name.
    assert!(
        app.steady_sessions(r#"query LIKE '%FROM "unit" WHERE%'"#)
            .await
            >= 1
    );
    assert_eq!(
        app.steady_sessions(r#"(query LIKE '%LIKE%' OR query LIKE '%ORDER BY "unit"."name"%')"#)
            .await,
        0
    );
}
