//! Community charity funds: opened by fund managers in their subtree, read by
//! auditors, changed while open, closed once; every refusal has its code and reason.

use kapok_tests::{error_codes, spawn_app};
use serde_json::{json, Value};

const BEIJING: &str = "440104003"; // 北京街道
const LIURONG_COMMUNITY: &str = "440104004102"; // 旧南海县社区, 六榕街道

const OPEN: &str = "mutation($i: OpenFundInput!) { openFund(input: $i) { fund { id name status targetFen openedOn closedOn unitCode holderCreditCode createdBy { username } } } }";
const UPDATE: &str =
    "mutation($i: UpdateFundInput!) { updateFund(input: $i) { fund { id name targetFen } } }";
const CLOSE: &str =
    "mutation($i: CloseFundInput!) { closeFund(input: $i) { fund { status closedOn } } }";

fn code(body: &Value) -> String {
    error_codes(body).first().cloned().unwrap_or_default()
}

fn reason(body: &Value) -> &str {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("")
}

fn fund(unit: &str, name: &str, target: Value) -> Value {
    json!({ "i": {
        "unitCode": unit, "name": name, "holderName": "广州市慈善会",
        "holderCreditCode": "53440104MJL000001E", "purpose": "扶老助困、社区微心愿",
        "openedOn": "2026-01-15", "targetFen": target } })
}

#[tokio::test]
async fn funds_are_opened_changed_and_closed_in_scope() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    app.user_with_role("aud_yx", "440104", Some("auditor"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let auditor = app.login("aud_yx", "aud_yx-password").await;

    // ¥500,000 target: above GraphQL's 32-bit Int, exact as fen.
    let opened = app
        .data_as(
            &manager,
            OPEN,
            fund(BEIJING, "北京街道社区慈善基金", json!(5_000_000_000_i64)),
        )
        .await;
    let f = &opened["openFund"]["fund"];
    assert_eq!(f["status"], "OPEN");
    assert_eq!(f["targetFen"], 5_000_000_000_i64);
    assert_eq!(f["createdBy"]["username"], "fm_bj");
    assert!(f["closedOn"].is_null());
    let id = f["id"].as_str().unwrap().to_owned();

    // Refusals, each with its code and reason and nothing written.
    for (vars, want_code, want_reason) in [
        (
            fund(LIURONG_COMMUNITY, "六榕", Value::Null),
            "FORBIDDEN",
            "",
        ),
        (
            fund("4401", "全市", Value::Null),
            "BAD_USER_INPUT",
            "FUND_LEVEL",
        ),
        (
            fund(BEIJING, "零", json!(0)),
            "BAD_USER_INPUT",
            "OUT_OF_RANGE",
        ),
        (
            fund(BEIJING, "过大", json!(10_000_000_001_i64)),
            "BAD_USER_INPUT",
            "OUT_OF_RANGE",
        ),
        (
            fund(BEIJING, "", Value::Null),
            "BAD_USER_INPUT",
            "TEXT_LENGTH",
        ),
    ] {
        let r = app.gql_as(&manager, OPEN, vars.clone()).await;
        assert_eq!(code(&r), want_code, "{vars}: {r:#}");
        if !want_reason.is_empty() {
            assert_eq!(reason(&r), want_reason, "{vars}: {r:#}");
        }
    }
    let fractional = app
        .gql_as(&manager, OPEN, fund(BEIJING, "分", json!(1.5)))
        .await;
    assert_eq!(code(&fractional), "BAD_USER_INPUT", "{fractional:#}");

    // The neighbouring street's fund stays out of the manager's sight.
    let other = app
        .data_as(
            &admin,
            OPEN,
            fund(LIURONG_COMMUNITY, "旧南海县社区慈善基金", Value::Null),
        )
        .await;
    let other_id = other["openFund"]["fund"]["id"].as_str().unwrap();
    let seen = app
        .data_as(
            &manager,
            "query($o: ID!) { funds(first: 10) { totalCount nodes { name } } fund(id: $o) { id } node(id: $o) { id } }",
            json!({ "o": other_id }),
        )
        .await;
    assert_eq!(seen["funds"]["totalCount"], 1, "{seen:#}");
    assert!(seen["fund"].is_null() && seen["node"].is_null(), "{seen:#}");
    let audited = app
        .data_as(
            &auditor,
            "{ funds(orderBy: { field: NAME }, first: 10) { totalCount nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(audited["funds"]["totalCount"], 2);

    // Changes: the auditor reads only; the manager renames and clears the target.
    let denied = app
        .gql_as(
            &auditor,
            UPDATE,
            json!({ "i": { "id": id, "name": "改名" } }),
        )
        .await;
    assert_eq!(code(&denied), "FORBIDDEN", "{denied:#}");
    let renamed = app
        .data_as(
            &manager,
            UPDATE,
            json!({ "i": { "id": id, "name": "北京街道慈善基金", "targetFen": null } }),
        )
        .await;
    assert_eq!(renamed["updateFund"]["fund"]["name"], "北京街道慈善基金");
    assert!(renamed["updateFund"]["fund"]["targetFen"].is_null());

    // Closing: not before it opened, not in the future; once.
    for (day, want) in [
        ("2025-12-31", "RANGE_REVERSED"),
        ("2999-01-01", "IN_FUTURE"),
    ] {
        let r = app
            .gql_as(
                &manager,
                CLOSE,
                json!({ "i": { "id": id, "closedOn": day } }),
            )
            .await;
        assert_eq!(reason(&r), want, "{r:#}");
    }
    let closed = app
        .data_as(
            &manager,
            CLOSE,
            json!({ "i": { "id": id, "closedOn": "2026-06-30" } }),
        )
        .await;
    assert_eq!(closed["closeFund"]["fund"]["status"], "CLOSED");
    assert_eq!(closed["closeFund"]["fund"]["closedOn"], "2026-06-30");
    for (q, vars) in [
        (
            CLOSE,
            json!({ "i": { "id": id, "closedOn": "2026-07-01" } }),
        ),
        (UPDATE, json!({ "i": { "id": id, "name": "再改" } })),
    ] {
        let r = app.gql_as(&manager, q, vars).await;
        assert_eq!(code(&r), "CONFLICT", "{r:#}");
        assert_eq!(reason(&r), "FUND_CLOSED", "{r:#}");
    }

    // Every change is in the audit log.
    let log = app
        .data_as(
            &auditor,
            "{ auditLog(first: 50) { nodes { action } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = log["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["action"].as_str())
        .filter(|a| a.starts_with("fund."))
        .collect();
    for a in ["fund.open", "fund.update", "fund.close"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    // An anonymous caller sees no fund.
    let anon = app
        .gql("{ funds(first: 5) { totalCount } }", json!({}))
        .await;
    assert_eq!(anon["data"]["funds"]["totalCount"], 0, "{anon:#}");
}
