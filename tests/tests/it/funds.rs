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

const DONATE: &str = "mutation($i: RecordDonationInput!) { recordDonation(input: $i) { donation { id receiptNumber amountFen donorName personalDataMasked voidedAt } } }";

fn donation(fund: &str, amount: Value, kind: &str, name: Value, day: &str) -> Value {
    json!({ "i": { "fundId": fund, "amountFen": amount, "donorKind": kind, "donorName": name,
                   "donorContact": "13812345678", "channel": "CASH", "receivedOn": day } })
}

#[tokio::test]
async fn donations_take_gap_free_receipts_and_move_the_ledger() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    app.user_with_role("fm_lr", "440104004", Some("fund_manager"))
        .await;
    app.user_with_role("aud_yx", "440104", Some("auditor"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let neighbour = app.login("fm_lr", "fm_lr-password").await;
    let auditor = app.login("aud_yx", "aud_yx-password").await;
    let opened = app
        .data_as(
            &manager,
            OPEN,
            fund(BEIJING, "北京街道社区慈善基金", Value::Null),
        )
        .await;
    let fid = opened["openFund"]["fund"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let raw = {
        use base64::Engine;
        let s = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&fid)
            .unwrap();
        String::from_utf8(s)
            .unwrap()
            .split_once(':')
            .unwrap()
            .1
            .to_owned()
    };
    let receipt = |year: i32, seq: u32| format!("{BEIJING}-{raw}-{year}-{seq:06}");

    let mut ids = Vec::new();
    for (amount, kind, name) in [
        (100_000, "PERSON", json!("王小明")),
        (50_000, "ENTERPRISE", json!("广州市越秀区某某有限公司")),
        (2_000, "ANONYMOUS", Value::Null),
    ] {
        let d = app
            .data_as(
                &manager,
                DONATE,
                donation(&fid, json!(amount), kind, name, "2026-03-01"),
            )
            .await;
        let d = &d["recordDonation"]["donation"];
        assert_eq!(
            d["receiptNumber"],
            receipt(2026, ids.len() as u32 + 1).as_str()
        );
        ids.push(d["id"].as_str().unwrap().to_owned());
    }
    let balance = |token: String| {
        let app = &app;
        let fid = fid.clone();
        async move {
            app.data_as(
                &token,
                "query($f: ID!) { fund(id: $f) { balanceFen } }",
                json!({ "f": fid }),
            )
            .await["fund"]["balanceFen"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(balance(manager.clone()).await, 152_000);

    // Personal data: in full for the manager (audited), masked for the auditor.
    let q = "query($d: ID!) { donation(id: $d) { donorName donorContact personalDataMasked } }";
    let full = app.data_as(&manager, q, json!({ "d": ids[0] })).await;
    assert_eq!(full["donation"]["donorName"], "王小明");
    assert_eq!(full["donation"]["personalDataMasked"], false);
    let masked = app.data_as(&auditor, q, json!({ "d": ids[0] })).await;
    assert_eq!(masked["donation"]["donorName"], "王*明");
    assert_eq!(masked["donation"]["donorContact"], "***");
    assert_eq!(masked["donation"]["personalDataMasked"], true);
    let anonymous = app.data_as(&auditor, q, json!({ "d": ids[2] })).await;
    assert_eq!(anonymous["donation"]["donorName"], "匿名");
    assert!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'donation.read_personal'")
            .await
            >= 1
    );

    // Refusals write nothing and use no receipt number.
    for (vars, want) in [
        (
            donation(&fid, json!(0), "PERSON", json!("李四"), "2026-03-02"),
            "OUT_OF_RANGE",
        ),
        (
            donation(
                &fid,
                json!(10_000_000_001_i64),
                "PERSON",
                json!("李四"),
                "2026-03-02",
            ),
            "OUT_OF_RANGE",
        ),
        (
            donation(&fid, json!(100), "PERSON", Value::Null, "2026-03-02"),
            "TEXT_LENGTH",
        ),
        (
            donation(&fid, json!(100), "PERSON", json!("李四"), "2999-01-01"),
            "IN_FUTURE",
        ),
    ] {
        let r = app.gql_as(&manager, DONATE, vars).await;
        assert_eq!(reason(&r), want, "{r:#}");
    }
    let outside = app
        .gql_as(
            &neighbour,
            DONATE,
            donation(&fid, json!(100), "ANONYMOUS", Value::Null, "2026-03-02"),
        )
        .await;
    assert_eq!(code(&outside), "NOT_FOUND", "{outside:#}");

    // Voiding keeps the number in the sequence and takes the money back out.
    let void = "mutation($i: VoidDonationInput!) { voidDonation(input: $i) { donation { receiptNumber voidedAt voidReason } } }";
    let v = app
        .data_as(
            &manager,
            void,
            json!({ "i": { "id": ids[1], "reason": "重复登记" } }),
        )
        .await;
    assert_eq!(
        v["voidDonation"]["donation"]["receiptNumber"],
        receipt(2026, 2).as_str()
    );
    assert!(v["voidDonation"]["donation"]["voidedAt"].is_string());
    assert_eq!(balance(manager.clone()).await, 102_000);
    let again = app
        .gql_as(
            &manager,
            void,
            json!({ "i": { "id": ids[1], "reason": "再次" } }),
        )
        .await;
    assert_eq!(reason(&again), "DONATION_VOIDED", "{again:#}");
    let fourth = app
        .data_as(
            &manager,
            DONATE,
            donation(&fid, json!(300), "ANONYMOUS", Value::Null, "2026-03-05"),
        )
        .await;
    assert_eq!(
        fourth["recordDonation"]["donation"]["receiptNumber"],
        receipt(2026, 4).as_str()
    );
    // Numbers restart each year.
    let last_year = app
        .data_as(
            &manager,
            DONATE,
            donation(&fid, json!(300), "ANONYMOUS", Value::Null, "2025-12-31"),
        )
        .await;
    assert_eq!(
        last_year["recordDonation"]["donation"]["receiptNumber"],
        receipt(2025, 1).as_str()
    );
    // Every ledger entry balances, and the fund's balance is the sum of its lines.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_line GROUP BY entry_id HAVING SUM(amount_fen) <> 0) t").await,
        0
    );
    assert_eq!(balance(manager.clone()).await, 102_600);

    // Scope: the neighbouring street's manager and anonymous callers see none.
    for token in [Some(&neighbour), None] {
        let q = "{ donations(first: 10) { totalCount } }";
        let r = match token {
            Some(t) => app.data_as(t, q, json!({})).await,
            None => app.data(q, json!({})).await,
        };
        assert_eq!(r["donations"]["totalCount"], 0, "{r:#}");
    }
    let listed = app
        .data_as(&auditor, "query($f: ID) { donations(fundId: $f, first: 10) { totalCount nodes { receiptNumber } } }", json!({ "f": fid }))
        .await;
    assert_eq!(listed["donations"]["totalCount"], 5);

    // The public receipt check: masked donor, valid or void, 404 for a stranger.
    let check = |n: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(format!("{}/receipts/{n}", app.address))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, first) = check(receipt(2026, 1)).await;
    assert_eq!(status, 200);
    assert_eq!(first["valid"], true);
    assert_eq!(first["donor"], "王*明");
    assert_eq!(first["amountFen"], 100_000);
    let (_, voided) = check(receipt(2026, 2)).await;
    assert_eq!(voided["valid"], false);
    let (status, unknown) = check(format!("{BEIJING}-999-2026-000001")).await;
    assert_eq!(status, 404, "{unknown}");
    assert_eq!(unknown["valid"], false);

    // A closed fund takes no donations.
    app.data_as(
        &manager,
        CLOSE,
        json!({ "i": { "id": fid, "closedOn": "2026-06-30" } }),
    )
    .await;
    let closed = app
        .gql_as(
            &manager,
            DONATE,
            donation(&fid, json!(100), "ANONYMOUS", Value::Null, "2026-07-01"),
        )
        .await;
    assert_eq!(reason(&closed), "FUND_CLOSED", "{closed:#}");
    let (_, still) = check(receipt(2026, 4)).await;
    assert_eq!(still["valid"], true, "a closed fund keeps its receipts");
}

/// Donations recorded at once each take their own receipt number, with no gap and
/// no duplicate, and the fund's balance is their sum.
#[tokio::test]
async fn concurrent_donations_take_consecutive_receipts() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let opened = app
        .data_as(
            &manager,
            OPEN,
            fund(BEIJING, "北京街道社区慈善基金", Value::Null),
        )
        .await;
    let fid = opened["openFund"]["fund"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let n: i64 = 20;
    let answers = futures_util::future::join_all((1..=n).map(|i| {
        let vars = donation(&fid, json!(i * 100), "ANONYMOUS", Value::Null, "2026-04-01");
        let (app, manager) = (&app, &manager);
        async move { app.data_as(manager, DONATE, vars).await }
    }))
    .await;
    let mut seqs: Vec<i64> = answers
        .iter()
        .map(|a| {
            let number = a["recordDonation"]["donation"]["receiptNumber"]
                .as_str()
                .unwrap();
            number.rsplit('-').next().unwrap().parse().unwrap()
        })
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    let b = app
        .data_as(
            &manager,
            "query($f: ID!) { fund(id: $f) { balanceFen } }",
            json!({ "f": fid }),
        )
        .await;
    assert_eq!(
        b["fund"]["balanceFen"],
        (1..=n).map(|i| i * 100).sum::<i64>()
    );
}

#[derive(Debug, Clone)]
enum Op {
    Donate { fund: usize, fen: i64, year: i32 },
    Void { pick: usize },
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (0..2usize, 1..1_000_000i64, 2025..2027i32)
            .prop_map(|(fund, fen, year)| Op::Donate { fund, fen, year }),
        1 => (0..64usize).prop_map(|pick| Op::Void { pick }),
    ]
}

/// Random sequences of donations and voids on two funds: every ledger entry
/// balances, each fund's balance is the sum of its valid donations, and each fund's
/// receipt numbers for a year run 1..n without a gap.
#[test]
fn the_ledger_balances_and_receipts_stay_gap_free() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, manager, funds) = rt.block_on(async {
        let app = spawn_app().await;
        app.user_with_role("fm_prop", BEIJING, Some("fund_manager"))
            .await;
        let manager = app.login("fm_prop", "fm_prop-password").await;
        let mut funds = Vec::new();
        for name in ["甲基金", "乙基金"] {
            let f = app
                .data_as(&manager, OPEN, fund(BEIJING, name, Value::Null))
                .await;
            funds.push(f["openFund"]["fund"]["id"].as_str().unwrap().to_owned());
        }
        (app, manager, funds)
    });
    let donations = std::cell::RefCell::new(Vec::<String>::new());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 8,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    runner
        .run(&proptest::collection::vec(op(), 1..16), |ops| {
            rt.block_on(async {
                for op in ops {
                    match op {
                        Op::Donate { fund: f, fen, year } => {
                            let day = format!("{year}-05-01");
                            let d = app
                                .data_as(
                                    &manager,
                                    DONATE,
                                    donation(&funds[f], json!(fen), "ANONYMOUS", Value::Null, &day),
                                )
                                .await;
                            let id = d["recordDonation"]["donation"]["id"].as_str().unwrap();
                            donations.borrow_mut().push(id.to_owned());
                        }
                        Op::Void { pick } => {
                            let Some(id) = ({
                                let all = donations.borrow();
                                (!all.is_empty()).then(|| all[pick % all.len()].clone())
                            }) else {
                                continue;
                            };
                            let r = app
                                .gql_as(
                                    &manager,
                                    "mutation($i: VoidDonationInput!) { voidDonation(input: $i) { donation { id } } }",
                                    json!({ "i": { "id": id, "reason": "核对" } }),
                                )
                                .await;
                            // Voiding twice is refused; nothing else may fail.
                            if r["errors"].is_array() {
                                assert_eq!(reason(&r), "DONATION_VOIDED", "{r:#}");
                            }
                        }
                    }
                }
                let unbalanced = app
                    .scalar("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_line GROUP BY entry_id HAVING SUM(amount_fen) <> 0) t")
                    .await;
                assert_eq!(unbalanced, 0);
                for f in &funds {
                    let q = "query($f: ID!) { fund(id: $f) { balanceFen } donations(fundId: $f, first: 100) { nodes { amountFen voidedAt receiptNumber } } }";
                    let r = app.data_as(&manager, q, json!({ "f": f })).await;
                    let nodes = r["donations"]["nodes"].as_array().unwrap();
                    let valid: i64 = nodes
                        .iter()
                        .filter(|n| n["voidedAt"].is_null())
                        .map(|n| n["amountFen"].as_i64().unwrap())
                        .sum();
                    assert_eq!(r["fund"]["balanceFen"].as_i64().unwrap(), valid);
                    for year in [2025, 2026] {
                        let mut seqs: Vec<i64> = nodes
                            .iter()
                            .filter_map(|n| n["receiptNumber"].as_str())
                            .filter(|s| s.contains(&format!("-{year}-")))
                            .map(|s| s.rsplit('-').next().unwrap().parse().unwrap())
                            .collect();
                        seqs.sort();
                        assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
                    }
                }
            });
            Ok(())
        })
        .unwrap();
    assert!(donations.borrow().len() > 20, "the sequences donated");
    let voided =
        rt.block_on(app.scalar("SELECT COUNT(*) FROM donation WHERE voided_at IS NOT NULL"));
    assert!(voided > 0, "the sequences voided");
}
