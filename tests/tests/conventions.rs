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
    let scrape = || async {
        app.client
            .get(format!("{}/metrics", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = metric(&scrape().await);
    for _ in 0..5 {
        app.data(QUERY, json!({})).await;
    }
    // The metrics sample at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(metric(&scrape().await), before + 1);
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
