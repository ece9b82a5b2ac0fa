//! Disbursements: approved by the office the amount calls for and never by the
//! proposer, paid only from what the fund holds (also when paid all at once), and
//! reversed with a ledger entry.

use kapok_tests::{error_codes, spawn_app, TestApp};
use serde_json::{json, Value};

const COMMUNITY: &str = "440104003108"; // 盐运西社区, 北京街道, 越秀区

const PROPOSE: &str = "mutation($i: ProposeDisbursementInput!) { proposeDisbursement(input: $i) { disbursement { id state amountFen } } }";

fn code(body: &Value) -> String {
    error_codes(body).first().cloned().unwrap_or_default()
}

fn reason(body: &Value) -> &str {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("")
}

/// A fund at the community holding `fen`, opened and filled by `manager`.
async fn funded(app: &TestApp, manager: &str, fen: i64) -> String {
    let f = app
        .data_as(
            manager,
            "mutation($i: OpenFundInput!) { openFund(input: $i) { fund { id } } }",
            json!({ "i": { "unitCode": COMMUNITY, "name": "盐运西社区慈善基金", "holderName": "广州市慈善会",
                           "purpose": "扶老助困", "openedOn": "2026-01-01" } }),
        )
        .await;
    let fid = f["openFund"]["fund"]["id"].as_str().unwrap().to_owned();
    app.data_as(
        manager,
        "mutation($i: RecordDonationInput!) { recordDonation(input: $i) { donation { id } } }",
        json!({ "i": { "fundId": fid, "amountFen": fen, "donorKind": "ANONYMOUS", "channel": "CASH", "receivedOn": "2026-02-01" } }),
    )
    .await;
    fid
}

async fn propose(app: &TestApp, token: &str, fund: &str, fen: i64, payee: (&str, &str)) -> String {
    let d = app
        .data_as(
            token,
            PROPOSE,
            json!({ "i": { "fundId": fund, "amountFen": fen, "purpose": "困难家庭临时救助",
                           "payeeKind": payee.0, "payeeName": payee.1, "attachments": ["申请表.pdf", "入户核实记录.jpg"] } }),
        )
        .await;
    d["proposeDisbursement"]["disbursement"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn step(app: &TestApp, token: &str, mutation: &str, id: &str) -> Value {
    let q = format!(
        "mutation($i: DisbursementInput!) {{ {mutation}(input: $i) {{ disbursement {{ state }} }} }}"
    );
    app.gql_as(token, &q, json!({ "i": { "id": id } })).await
}

async fn balance(app: &TestApp, token: &str, fund: &str) -> i64 {
    app.data_as(
        token,
        "query($f: ID!) { fund(id: $f) { balanceFen } }",
        json!({ "f": fund }),
    )
    .await["fund"]["balanceFen"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn approval_is_bound_to_the_amounts_level_and_payment_to_the_balance() {
    let app = spawn_app().await;
    for (name, unit, role) in [
        ("fm_c", COMMUNITY, "fund_manager"),
        ("c_admin", COMMUNITY, "community_admin"),
        ("s_admin", "440104003", "street_admin"),
        ("d_admin", "440104", "district_admin"),
        ("aud", "440104", "auditor"),
    ] {
        app.user_with_role(name, unit, Some(role)).await;
    }
    let t = |n: &'static str| {
        let app = &app;
        async move { app.login(n, &format!("{n}-password")).await }
    };
    let (fm, ca, sa, da, aud) = (
        t("fm_c").await,
        t("c_admin").await,
        t("s_admin").await,
        t("d_admin").await,
        t("aud").await,
    );
    let fund = funded(&app, &fm, 10_000_000).await;

    // ¥3,000: the community approves. ¥30,000: the street. ¥80,000: the district.
    let a = propose(&app, &fm, &fund, 300_000, ("HOUSEHOLD", "陈大文")).await;
    let b = propose(&app, &fm, &fund, 3_000_000, ("PROJECT", "长者饭堂")).await;
    let c = propose(&app, &fm, &fund, 8_000_000, ("ORGANIZATION", "某社工机构")).await;
    let ok = |r: &Value, want: &str| assert!(r["data"].to_string().contains(want), "{r:#}");
    ok(
        &step(&app, &ca, "approveDisbursement", &a).await,
        "APPROVED",
    );
    let low = step(&app, &ca, "approveDisbursement", &b).await;
    assert_eq!(
        (code(&low).as_str(), reason(&low)),
        ("FORBIDDEN", "LEVEL_TOO_LOW"),
        "{low:#}"
    );
    ok(
        &step(&app, &sa, "approveDisbursement", &b).await,
        "APPROVED",
    );
    let low = step(&app, &sa, "approveDisbursement", &c).await;
    assert_eq!(reason(&low), "LEVEL_TOO_LOW", "{low:#}");
    let manager_approves = step(&app, &fm, "approveDisbursement", &c).await;
    assert_eq!(code(&manager_approves), "FORBIDDEN", "{manager_approves:#}");
    ok(
        &step(&app, &da, "approveDisbursement", &c).await,
        "APPROVED",
    );
    // Never the proposer; a returned one goes no further.
    let own = propose(&app, &sa, &fund, 100, ("PROJECT", "长者饭堂")).await;
    let selfish = step(&app, &sa, "approveDisbursement", &own).await;
    assert_eq!(reason(&selfish), "SELF_APPROVAL", "{selfish:#}");
    let returned = app
        .data_as(
            &ca,
            "mutation($i: DisbursementReasonInput!) { returnDisbursement(input: $i) { disbursement { state returnReason } } }",
            json!({ "i": { "id": own, "reason": "缺少发票" } }),
        )
        .await;
    assert_eq!(
        returned["returnDisbursement"]["disbursement"]["state"],
        "RETURNED"
    );
    let late = step(&app, &da, "approveDisbursement", &own).await;
    assert_eq!(reason(&late), "DISBURSEMENT_STATE", "{late:#}");

    // Payment: only what the fund holds.
    ok(&step(&app, &fm, "payDisbursement", &a).await, "PAID");
    ok(&step(&app, &fm, "payDisbursement", &b).await, "PAID");
    assert_eq!(balance(&app, &fm, &fund).await, 6_700_000);
    let short = step(&app, &fm, "payDisbursement", &c).await;
    assert_eq!(
        (code(&short).as_str(), reason(&short)),
        ("CONFLICT", "FUND_INSUFFICIENT"),
        "{short:#}"
    );
    assert_eq!(balance(&app, &fm, &fund).await, 6_700_000);
    let twice = step(&app, &fm, "payDisbursement", &a).await;
    assert_eq!(reason(&twice), "DISBURSEMENT_STATE", "{twice:#}");
    // A reversal puts the money back; then the large one can be paid.
    let reversed = app
        .data_as(
            &fm,
            "mutation($i: DisbursementReasonInput!) { reverseDisbursement(input: $i) { disbursement { state } } }",
            json!({ "i": { "id": b, "reason": "项目取消，款项退回" } }),
        )
        .await;
    assert_eq!(
        reversed["reverseDisbursement"]["disbursement"]["state"],
        "REVERSED"
    );
    assert_eq!(balance(&app, &fm, &fund).await, 9_700_000);
    ok(&step(&app, &fm, "payDisbursement", &c).await, "PAID");
    assert_eq!(balance(&app, &fm, &fund).await, 1_700_000);

    // A household's name is masked for the auditor, who changes nothing.
    let q = "query($d: ID!) { disbursement(id: $d) { payeeName attachments state } }";
    let seen = app.data_as(&aud, q, json!({ "d": a })).await;
    assert_eq!(seen["disbursement"]["payeeName"], "陈*文");
    assert_eq!(
        seen["disbursement"]["attachments"],
        json!(["申请表.pdf", "入户核实记录.jpg"])
    );
    let full = app.data_as(&fm, q, json!({ "d": a })).await;
    assert_eq!(full["disbursement"]["payeeName"], "陈大文");
    let denied = step(&app, &aud, "payDisbursement", &c).await;
    assert_eq!(code(&denied), "FORBIDDEN", "{denied:#}");
    // Bad input writes nothing.
    for (fen, want) in [(0, "OUT_OF_RANGE"), (10_000_000_001_i64, "OUT_OF_RANGE")] {
        let r = app
            .gql_as(&fm, PROPOSE, json!({ "i": { "fundId": fund, "amountFen": fen, "purpose": "x", "payeeKind": "PROJECT", "payeeName": "x" } }))
            .await;
        assert_eq!(reason(&r), want, "{r:#}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_line GROUP BY entry_id HAVING SUM(amount_fen) <> 0) t").await,
        0
    );
}

/// 50 approved disbursements paid at once from a fund that can pay 33 of them:
/// exactly 33 are paid and the fund never goes below zero.
#[tokio::test]
async fn concurrent_payments_never_overdraw_a_fund() {
    let app = spawn_app().await;
    app.user_with_role("fm_c", COMMUNITY, Some("fund_manager"))
        .await;
    app.user_with_role("c_admin", COMMUNITY, Some("community_admin"))
        .await;
    let fm = app.login("fm_c", "fm_c-password").await;
    let ca = app.login("c_admin", "c_admin-password").await;
    let fund = funded(&app, &fm, 1_000_000).await;
    let mut ids = Vec::new();
    for _ in 0..50 {
        let id = propose(&app, &fm, &fund, 30_000, ("PROJECT", "长者饭堂")).await;
        let r = step(&app, &ca, "approveDisbursement", &id).await;
        assert!(r["errors"].is_null(), "{r:#}");
        ids.push(id);
    }
    let answers = futures_util::future::join_all(ids.iter().map(|id| {
        let (app, fm) = (&app, &fm);
        async move { step(app, fm, "payDisbursement", id).await }
    }))
    .await;
    let paid = answers.iter().filter(|a| a["errors"].is_null()).count();
    let short = answers
        .iter()
        .filter(|a| reason(a) == "FUND_INSUFFICIENT")
        .count();
    assert_eq!(
        (paid, short),
        (33, 17),
        "{:#}",
        answers
            .iter()
            .find(|a| !a["errors"].is_null() && reason(a) != "FUND_INSUFFICIENT")
            .cloned()
            .unwrap_or_default()
    );
    assert_eq!(balance(&app, &fm, &fund).await, 10_000);
}
