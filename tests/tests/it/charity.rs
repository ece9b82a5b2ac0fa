//! The rest of community charity money: campaigns, pledges, goods donations,
//! transfers between funds, published disclosure and who is late, and the charity
//! figures kept for `unitStats` — through GraphQL, on both databases.

use chrono::Duration;
use kapok_tests::{error_codes, spawn_app, TestApp};
use serde_json::{json, Value};

const BEIJING: &str = "440104003"; // 北京街道
const LIURONG: &str = "440104004"; // 六榕街道

const OPEN: &str = "mutation($i: OpenFundInput!) { openFund(input: $i) { fund { id } } }";
const CAMPAIGN: &str = "mutation($i: StartCampaignInput!) { startCampaign(input: $i) { campaign { id name channels raisedFen } } }";
const PLEDGE: &str = "mutation($i: RecordPledgeInput!) { recordPledge(input: $i) { pledge { id state fulfilledFen } } }";
const DONATE: &str = "mutation($i: RecordDonationInput!) { recordDonation(input: $i) { donation { id kind amountFen receiptNumber items { name quantity unit valueFen } } } }";
const VOID: &str =
    "mutation($i: VoidDonationInput!) { voidDonation(input: $i) { donation { id } } }";
const TRANSFER: &str = "mutation($i: TransferBetweenFundsInput!) { transferBetweenFunds(input: $i) { fromFund { balanceFen } toFund { balanceFen } amountFen } }";
const PUBLISH: &str = "mutation($i: PublishDisclosureInput!) { publishDisclosure(input: $i) { report { id kind periodFrom periodTo raisedFen disbursedFen goodsValueFen openingBalanceFen closingBalanceFen moneyIn { month channel amountFen donations } moneyOut { purpose amountFen disbursements } corrects { id } } } }";
const STATS: &str = "query($c: String!, $f: Date, $t: Date) { unitStats(code: $c, from: $f, to: $t) { streetsWithFund communitiesWithFund figures { charity { funds raisedFen donations disbursedFen balanceFen pledgesOpen } } children { unitCode figures { charity { funds raisedFen balanceFen pledgesOpen } } } } }";

fn reason(body: &Value) -> &str {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("")
}

fn code(body: &Value) -> String {
    error_codes(body).first().cloned().unwrap_or_default()
}

async fn open_fund(app: &TestApp, token: &str, unit: &str, name: &str, opened: &str) -> String {
    let f = app
        .data_as(
            token,
            OPEN,
            json!({ "i": { "unitCode": unit, "name": name, "holderName": "广州市慈善会",
                "holderCreditCode": "53440104MJL000001E", "purpose": "扶老助困", "openedOn": opened } }),
        )
        .await;
    f["openFund"]["fund"]["id"].as_str().unwrap().to_owned()
}

fn money(fund: &str, fen: i64, day: &str) -> Value {
    json!({ "i": { "fundId": fund, "amountFen": fen, "donorKind": "PERSON", "donorName": "王小明",
        "donorContact": "13812345678", "channel": "BANK_TRANSFER", "receivedOn": day } })
}

async fn balance(app: &TestApp, token: &str, fund: &str) -> i64 {
    let r = app
        .data_as(
            token,
            "query($f: ID!) { fund(id: $f) { balanceFen } }",
            json!({ "f": fund }),
        )
        .await;
    r["fund"]["balanceFen"].as_i64().unwrap()
}

fn today(app: &TestApp) -> chrono::NaiveDate {
    (app.clock.now() + Duration::hours(8)).date_naive()
}

#[tokio::test]
async fn campaigns_pledges_and_goods() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    app.user_with_role("aud_yx", "440104", Some("auditor"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let auditor = app.login("aud_yx", "aud_yx-password").await;
    let fund = open_fund(
        &app,
        &manager,
        BEIJING,
        "北京街道社区慈善基金",
        "2026-01-01",
    )
    .await;
    let other = open_fund(&app, &manager, BEIJING, "另一基金", "2026-01-01").await;
    let day = today(&app);
    let start = (day - Duration::days(10)).to_string();
    let end = (day + Duration::days(60)).to_string();

    // Campaign refusals: no channel, reversed dates, a bad record number, a target of 0.
    for (patch, want) in [
        (json!({ "channels": [] }), "OUT_OF_RANGE"),
        (json!({ "endsOn": "2025-01-01" }), "RANGE_REVERSED"),
        (json!({ "recordNumber": "备案 1" }), "TEXT_LENGTH"),
        (json!({ "targetFen": 0 }), "OUT_OF_RANGE"),
    ] {
        let mut i = json!({ "fundId": fund, "name": "重阳敬老", "startsOn": start, "endsOn": end,
            "channels": ["CASH", "BANK_TRANSFER"], "recordNumber": "53440000MJK000000X-2026-001" });
        for (k, v) in patch.as_object().unwrap() {
            i[k] = v.clone();
        }
        let r = app.gql_as(&manager, CAMPAIGN, json!({ "i": i })).await;
        assert_eq!(reason(&r), want, "{r:#}");
    }
    let c = app
        .data_as(
            &manager,
            CAMPAIGN,
            json!({ "i": { "fundId": fund, "name": "重阳敬老", "startsOn": start, "endsOn": end,
                "targetFen": 10_000_000, "channels": ["CASH", "BANK_TRANSFER", "CASH"],
                "recordNumber": "53440000MJK000000X-2026-001" } }),
        )
        .await;
    let campaign = c["startCampaign"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        c["startCampaign"]["campaign"]["channels"],
        json!(["BANK_TRANSFER", "CASH"])
    );

    // A pledge of ¥1,000 due in 30 days.
    let due = (day + Duration::days(30)).to_string();
    let p = app
        .data_as(
            &manager,
            PLEDGE,
            json!({ "i": { "fundId": fund, "campaignId": campaign, "amountFen": 100_000,
                "donorKind": "ENTERPRISE", "donorName": "广州某某科技有限公司", "dueOn": due } }),
        )
        .await;
    assert_eq!(p["recordPledge"]["pledge"]["state"], "OPEN");
    let pledge = p["recordPledge"]["pledge"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let past_due = app
        .gql_as(
            &manager,
            PLEDGE,
            json!({ "i": { "fundId": fund, "amountFen": 100, "donorKind": "ANONYMOUS", "dueOn": "2020-01-01" } }),
        )
        .await;
    assert_eq!(reason(&past_due), "RANGE_REVERSED");

    // Donations naming the campaign must fit it; naming another fund's pledge or
    // campaign is refused; nothing is written by a refusal.
    let mut with = money(&fund, 40_000, &day.to_string());
    with["i"]["campaignId"] = json!(campaign);
    with["i"]["pledgeId"] = json!(pledge);
    let mut wrong_channel = with.clone();
    wrong_channel["i"]["channel"] = json!("ONLINE_PLATFORM");
    let mut too_early = with.clone();
    too_early["i"]["receivedOn"] = json!((day - Duration::days(20)).to_string());
    let mut other_fund = with.clone();
    other_fund["i"]["fundId"] = json!(other);
    let before = app.scalar("SELECT COUNT(*) FROM donation").await;
    for (vars, want) in [
        (wrong_channel, "CHANNEL_NOT_IN_CAMPAIGN"),
        (too_early, "OUTSIDE_CAMPAIGN"),
        (other_fund, "NOT_OF_FUND"),
    ] {
        let r = app.gql_as(&manager, DONATE, vars).await;
        assert_eq!(code(&r), "BAD_USER_INPUT", "{r:#}");
        assert_eq!(reason(&r), want, "{r:#}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM donation").await, before);

    let first = app.data_as(&manager, DONATE, with.clone()).await;
    let first_id = first["recordDonation"]["donation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = "query($p: ID!, $c: ID!) { pledge(id: $p) { state fulfilledFen fulfilledOn donorName personalDataMasked } campaign(id: $c) { raisedFen } }";
    let r = app
        .data_as(&manager, q, json!({ "p": pledge, "c": campaign }))
        .await;
    assert_eq!(r["pledge"]["state"], "PARTLY_FULFILLED");
    assert_eq!(r["pledge"]["fulfilledFen"], 40_000);
    assert_eq!(r["pledge"]["donorName"], "广州某某科技有限公司");
    assert_eq!(r["campaign"]["raisedFen"], 40_000);
    // The auditor sees the pledge with its donor masked.
    let seen = app
        .data_as(&auditor, q, json!({ "p": pledge, "c": campaign }))
        .await;
    assert_eq!(seen["pledge"]["personalDataMasked"], true);
    assert_ne!(seen["pledge"]["donorName"], "广州某某科技有限公司");

    with["i"]["amountFen"] = json!(60_000);
    app.data_as(&manager, DONATE, with.clone()).await;
    let r = app
        .data_as(&manager, q, json!({ "p": pledge, "c": campaign }))
        .await;
    assert_eq!(r["pledge"]["state"], "FULFILLED");
    assert_eq!(r["pledge"]["fulfilledOn"], day.to_string());
    // Voiding a donation that counted towards it takes the pledge back below.
    app.data_as(
        &manager,
        VOID,
        json!({ "i": { "id": first_id, "reason": "重复录入" } }),
    )
    .await;
    let r = app
        .data_as(&manager, q, json!({ "p": pledge, "c": campaign }))
        .await;
    assert_eq!(r["pledge"]["state"], "PARTLY_FULFILLED");
    assert_eq!(r["pledge"]["fulfilledFen"], 60_000);
    assert_eq!(r["campaign"]["raisedFen"], 60_000);
    let listed = app
        .data_as(
            &manager,
            "query($c: ID!) { open: pledges(state: PARTLY_FULFILLED) { totalCount } byCampaign: pledges(campaignId: $c) { totalCount } lapsed: pledges(state: LAPSED) { totalCount } }",
            json!({ "c": campaign }),
        )
        .await;
    assert_eq!(listed["open"]["totalCount"], 1);
    assert_eq!(listed["byCampaign"]["totalCount"], 1);
    assert_eq!(listed["lapsed"]["totalCount"], 0);

    // Goods: itemised, valued, receipted, and no money the fund can pay out.
    let held = balance(&app, &manager, &fund).await;
    let goods = app
        .data_as(
            &manager,
            DONATE,
            json!({ "i": { "fundId": fund, "kind": "GOODS", "donorKind": "ANONYMOUS", "channel": "DONATION_POINT",
                "receivedOn": day.to_string(), "designation": "长者饭堂",
                "items": [{ "name": "大米", "quantity": 20, "unit": "袋", "valueFen": 120_000 },
                          { "name": "食用油", "quantity": 10, "valueFen": 80_000 }] } }),
        )
        .await;
    let g = &goods["recordDonation"]["donation"];
    assert_eq!(g["kind"], "GOODS");
    assert_eq!(g["amountFen"], 200_000);
    assert_eq!(g["items"][0]["unit"], "袋");
    assert!(g["receiptNumber"].as_str().unwrap().ends_with("-000003"));
    assert_eq!(balance(&app, &manager, &fund).await, held);
    for bad in [
        json!({ "kind": "GOODS", "items": [] }),
        json!({ "kind": "GOODS", "items": [{ "name": "米", "quantity": 0, "valueFen": 1 }] }),
        json!({ "kind": "GOODS", "amountFen": 100, "items": [{ "name": "米", "quantity": 1, "valueFen": 100 }] }),
        json!({ "kind": "MONEY", "amountFen": 100, "items": [{ "name": "米", "quantity": 1, "valueFen": 100 }] }),
    ] {
        let mut i = json!({ "fundId": fund, "donorKind": "ANONYMOUS", "channel": "CASH", "receivedOn": day.to_string() });
        for (k, v) in bad.as_object().unwrap() {
            i[k] = v.clone();
        }
        let r = app.gql_as(&manager, DONATE, json!({ "i": i })).await;
        assert_eq!(reason(&r), "GOODS_ITEMS", "{r:#}");
    }
    // Pledges are fulfilled by money.
    let r = app
        .gql_as(
            &manager,
            DONATE,
            json!({ "i": { "fundId": fund, "kind": "GOODS", "pledgeId": pledge, "donorKind": "ANONYMOUS",
                "channel": "CASH", "receivedOn": day.to_string(),
                "items": [{ "name": "米", "quantity": 1, "valueFen": 100 }] } }),
        )
        .await;
    assert_eq!(reason(&r), "PLEDGE_MONEY_ONLY", "{r:#}");
    // Voiding goods takes nothing from the money.
    app.data_as(
        &manager,
        VOID,
        json!({ "i": { "id": g["id"], "reason": "物资退回" } }),
    )
    .await;
    assert_eq!(balance(&app, &manager, &fund).await, held);

    // Partly fulfilled is still open in the statistics (kept with a lapse day ahead,
    // which an open-ended period does not count yet).
    let admin = app.admin_token().await;
    let open = |s: &Value| s["unitStats"]["figures"]["charity"]["pledgesOpen"].clone();
    let s = app.data_as(&admin, STATS, json!({ "c": BEIJING })).await;
    assert_eq!(open(&s), 1, "{s:#}");
    // After the due day the pledge has lapsed.
    app.clock.advance(Duration::days(31));
    let r = app
        .data_as(&manager, q, json!({ "p": pledge, "c": campaign }))
        .await;
    assert_eq!(r["pledge"]["state"], "LAPSED");
    let s = app.data_as(&admin, STATS, json!({ "c": BEIJING })).await;
    assert_eq!(open(&s), 0);
}

#[tokio::test]
async fn transfers_move_money_between_funds_with_approval() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    app.user_with_role("sa_bj", BEIJING, Some("street_admin"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let street = app.login("sa_bj", "sa_bj-password").await;
    let admin = app.admin_token().await;
    let a = open_fund(&app, &manager, BEIJING, "甲基金", "2026-01-01").await;
    let b = open_fund(
        &app,
        &manager,
        &format!("{BEIJING}108"),
        "乙基金",
        "2026-01-01",
    )
    .await;
    let far = open_fund(&app, &admin, LIURONG, "六榕基金", "2026-01-01").await;
    let day = today(&app).to_string();
    app.data_as(&manager, DONATE, money(&a, 300_000, &day))
        .await;

    let t = |from: &str, to: &str, fen: i64| json!({ "i": { "fromFundId": from, "toFundId": to, "amountFen": fen, "memo": "调剂" } });
    for (token, vars, want_code, want_reason) in [
        // The fund manager holds no approval.
        (&manager, t(&a, &b, 1000), "FORBIDDEN", ""),
        (&street, t(&a, &a, 1000), "BAD_USER_INPUT", "SAME_FUND"),
        (&street, t(&a, &b, 0), "BAD_USER_INPUT", "OUT_OF_RANGE"),
        (&street, t(&a, &b, 300_001), "CONFLICT", "FUND_INSUFFICIENT"),
        // ¥50,000.01 needs the district.
        (&street, t(&a, &b, 5_000_001), "FORBIDDEN", ""),
        // Out of the street's reach.
        (&street, t(&a, &far, 1000), "NOT_FOUND", ""),
    ] {
        let r = app.gql_as(token, TRANSFER, vars).await;
        assert_eq!(code(&r), want_code, "{r:#}");
        if !want_reason.is_empty() {
            assert_eq!(reason(&r), want_reason, "{r:#}");
        }
    }
    let moved = app.data_as(&street, TRANSFER, t(&a, &b, 120_000)).await;
    let m = &moved["transferBetweenFunds"];
    assert_eq!(m["fromFund"]["balanceFen"], 180_000);
    assert_eq!(m["toFund"]["balanceFen"], 120_000);
    // One balanced entry of kind transfer, in the audit log.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_entry WHERE kind = 'transfer'")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'fund.transfer'")
            .await,
        1
    );
    // The street's balance is unchanged by a move inside it; the community's grew.
    let s = app.data_as(&admin, STATS, json!({ "c": BEIJING })).await;
    assert_eq!(s["unitStats"]["figures"]["charity"]["balanceFen"], 300_000);
    let community = s["unitStats"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unitCode"] == format!("{BEIJING}108"))
        .unwrap();
    assert_eq!(community["figures"]["charity"]["balanceFen"], 120_000);
    assert_eq!(community["figures"]["charity"]["funds"], 1);
    assert_eq!(s["unitStats"]["figures"]["charity"]["funds"], 2);
    assert_eq!(s["unitStats"]["communitiesWithFund"], 1);
}

#[tokio::test]
async fn disclosure_is_published_read_anonymously_and_tracked() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    app.user_with_role("fm_lr", LIURONG, Some("fund_manager"))
        .await;
    app.user_with_role("sa_bj", BEIJING, Some("street_admin"))
        .await;
    app.user_with_role("da_yx", "440104", Some("district_admin"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let liurong = app.login("fm_lr", "fm_lr-password").await;
    let street = app.login("sa_bj", "sa_bj-password").await;
    let district = app.login("da_yx", "da_yx-password").await;
    let fund = open_fund(
        &app,
        &manager,
        BEIJING,
        "北京街道社区慈善基金",
        "2025-03-01",
    )
    .await;
    let lr_fund = open_fund(
        &app,
        &liurong,
        LIURONG,
        "六榕街道社区慈善基金",
        "2025-06-01",
    )
    .await;
    for (fen, day, name) in [
        (50_000, "2025-04-02", json!("王小明")),
        (30_000, "2025-04-20", Value::Null),
        (20_000, "2025-09-09", json!("李四")),
        (999, "2026-01-05", json!("赵五")),
    ] {
        let mut d = money(&fund, fen, day);
        if name.is_null() {
            d["i"]["donorKind"] = json!("ANONYMOUS");
        } else {
            d["i"]["donorName"] = name;
        }
        app.data_as(&manager, DONATE, d).await;
    }
    // A payment in 2025 (approved by the street; the manager proposes).
    let p = app
        .data_as(
            &manager,
            "mutation($i: ProposeDisbursementInput!) { proposeDisbursement(input: $i) { disbursement { id } } }",
            json!({ "i": { "fundId": fund, "amountFen": 25_000, "purpose": "困难长者慰问", "payeeKind": "PROJECT", "payeeName": "长者慰问项目" } }),
        )
        .await;
    let d = p["proposeDisbursement"]["disbursement"]["id"].clone();
    app.data_as(
        &street,
        "mutation($id: ID!) { approveDisbursement(input: { id: $id }) { disbursement { state } } }",
        json!({ "id": d }),
    )
    .await;
    app.data_as(
        &manager,
        "mutation($id: ID!) { payDisbursement(input: { id: $id }) { disbursement { state } } }",
        json!({ "id": d }),
    )
    .await;
    // Book the payment in 2025 (it was paid today): the report reads booked days.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "UPDATE ledger_entry SET booked_on = '2025-10-10' WHERE kind = 'disbursement'",
    )
    .await
    .unwrap();

    let annual = json!({ "i": { "fundId": fund, "kind": "ANNUAL", "periodFrom": "2025-01-01", "periodTo": "2025-12-31", "note": "2025年度公开" } });
    // Refusals: not the caller's fund, the wrong shape, a period not yet over.
    let r = app.gql_as(&liurong, PUBLISH, annual.clone()).await;
    assert_eq!(code(&r), "NOT_FOUND", "{r:#}");
    let r = app.gql_as(&street, PUBLISH, annual.clone()).await;
    assert!(r["errors"].is_null(), "a street admin publishes: {r:#}");
    let published = &r["data"]["publishDisclosure"]["report"];
    assert_eq!(published["raisedFen"], 100_000);
    assert_eq!(published["disbursedFen"], 25_000);
    assert_eq!(published["openingBalanceFen"], 0);
    assert_eq!(published["closingBalanceFen"], 75_000);
    assert_eq!(
        published["moneyIn"],
        json!([
            { "month": "2025-04", "channel": "bank_transfer", "amountFen": 80_000, "donations": 2 },
            { "month": "2025-09", "channel": "bank_transfer", "amountFen": 20_000, "donations": 1 },
        ])
    );
    assert_eq!(
        published["moneyOut"],
        json!([{ "purpose": "困难长者慰问", "amountFen": 25_000, "disbursements": 1 }])
    );
    let report = published["id"].as_str().unwrap().to_owned();
    for (vars, want) in [
        (annual.clone(), "REPORT_EXISTS"),
        (
            json!({ "i": { "fundId": fund, "kind": "ANNUAL", "periodFrom": "2025-02-01", "periodTo": "2025-12-31" } }),
            "REPORT_PERIOD",
        ),
        (
            json!({ "i": { "fundId": fund, "kind": "ANNUAL", "periodFrom": "2026-01-01", "periodTo": "2026-12-31" } }),
            "REPORT_PERIOD",
        ),
        (
            json!({ "i": { "fundId": fund, "kind": "FINAL", "periodFrom": "2025-01-01", "periodTo": "2025-12-31" } }),
            "REPORT_PERIOD",
        ),
    ] {
        let r = app.gql_as(&manager, PUBLISH, vars).await;
        assert_eq!(reason(&r), want, "{r:#}");
    }
    // A correction names what it corrects.
    let mut correction = annual.clone();
    correction["i"]["correctsId"] = json!(report);
    correction["i"]["note"] = json!("更正：补充说明");
    let c = app.data_as(&manager, PUBLISH, correction).await;
    assert_eq!(c["publishDisclosure"]["report"]["corrects"]["id"], report);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'disclosure.publish'")
            .await,
        2
    );

    // Anyone reads it: the figures and the donors, masked; never the fund itself.
    let public = app
        .data(
            "query($f: ID!) { disclosureReports(fundId: $f, first: 2) { totalCount nodes { fundName holderName raisedFen closingBalanceFen fund { id } corrects { id } donors(first: 10) { totalCount nodes { name amountFen receivedOn } } } } }",
            json!({ "f": fund }),
        )
        .await;
    let reports = &public["disclosureReports"];
    assert_eq!(reports["totalCount"], 2);
    let first = &reports["nodes"][1];
    assert_eq!(first["fundName"], "北京街道社区慈善基金");
    assert!(
        first["fund"].is_null(),
        "anonymous callers do not read funds"
    );
    assert_eq!(first["donors"]["totalCount"], 3);
    let names: Vec<&str> = first["donors"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["王*明", "匿名", "李*"]);
    assert!(!public.to_string().contains("王小明"));
    assert!(!public.to_string().contains("13812345678"));
    // Reports cannot be changed: there is no mutation for it.
    let schema = app
        .data(
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let names = schema.to_string();
    assert!(names.contains("publishDisclosure"));
    assert!(!names.contains("updateDisclosure") && !names.contains("deleteDisclosure"));

    // Compliance: the district sees both streets; 六榕's 2025 annual report is
    // overdue after 31 May 2026, 北京's was published late (today).
    let q = "query($u: String, $d: Date) { disclosureCompliance(under: $u, asOf: $d) { unitCode due overdue onTime late obligations { fundName kind periodFrom periodTo dueOn status reportId } } }";
    let c = app
        .data_as(
            &district,
            q,
            json!({ "u": "440104", "d": today(&app).to_string() }),
        )
        .await;
    let units = c["disclosureCompliance"].as_array().unwrap();
    assert_eq!(units.len(), 2, "{c:#}");
    let bj = units.iter().find(|u| u["unitCode"] == BEIJING).unwrap();
    let lr = units.iter().find(|u| u["unitCode"] == LIURONG).unwrap();
    assert_eq!(bj["late"], 1, "{bj:#}");
    assert_eq!(bj["obligations"][0]["status"], "LATE");
    assert_eq!(bj["obligations"][0]["dueOn"], "2026-05-31");
    assert_eq!(bj["obligations"][0]["reportId"], report);
    assert_eq!(lr["overdue"], 1, "{lr:#}");
    assert_eq!(lr["obligations"][0]["kind"], "ANNUAL");
    // Before the deadline it was merely due (and the report, published later, does
    // not count yet).
    let early = app
        .data_as(&district, q, json!({ "u": "440104", "d": "2026-03-01" }))
        .await;
    for u in early["disclosureCompliance"].as_array().unwrap() {
        assert_eq!(u["due"], 1, "{u:#}");
    }
    // A fund manager sees its own street only.
    let own = app
        .data_as(&liurong, q, json!({ "u": null, "d": null }))
        .await;
    let own = own["disclosureCompliance"].as_array().unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["unitCode"], LIURONG);
    let _ = lr_fund;
}

#[tokio::test]
async fn a_long_campaign_owes_interim_reports_and_a_final_one() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let day = today(&app);
    let fund = open_fund(
        &app,
        &manager,
        BEIJING,
        "北京街道社区慈善基金",
        &(day - Duration::days(400)).to_string(),
    )
    .await;
    // Eight months, ended a week ago: interim reports for months 1–3 and 4–6, then
    // the final report.
    let starts = day - Duration::days(250);
    let ends = day - Duration::days(7);
    let c = app
        .data_as(
            &manager,
            CAMPAIGN,
            json!({ "i": { "fundId": fund, "name": "助学行动", "startsOn": starts.to_string(), "endsOn": ends.to_string(), "channels": ["ONLINE_PLATFORM"] } }),
        )
        .await;
    let campaign = c["startCampaign"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = "{ disclosureCompliance { obligations { kind periodFrom periodTo dueOn status } } }";
    let r = app.data_as(&manager, q, json!({})).await;
    let obligations: Vec<&Value> = r["disclosureCompliance"][0]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] != "ANNUAL")
        .collect();
    let kinds: Vec<&str> = obligations
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["INTERIM", "INTERIM", "FINAL"], "{r:#}");
    assert_eq!(obligations[0]["periodFrom"], starts.to_string());
    assert_eq!(obligations[2]["status"], "DUE");
    assert_eq!(obligations[0]["status"], "OVERDUE");
    // The final report, published now, is on time.
    app.data_as(
        &manager,
        PUBLISH,
        json!({ "i": { "fundId": fund, "campaignId": campaign, "kind": "FINAL", "periodFrom": starts.to_string(), "periodTo": ends.to_string() } }),
    )
    .await;
    let r = app.data_as(&manager, q, json!({})).await;
    let last = r["disclosureCompliance"][0]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "FINAL")
        .cloned()
        .unwrap();
    assert_eq!(last["status"], "ON_TIME");
    // An interim report outside the run is refused.
    let r = app
        .gql_as(
            &manager,
            PUBLISH,
            json!({ "i": { "fundId": fund, "campaignId": campaign, "kind": "INTERIM", "periodFrom": (starts - Duration::days(1)).to_string(), "periodTo": ends.to_string() } }),
        )
        .await;
    assert_eq!(reason(&r), "REPORT_PERIOD", "{r:#}");
}

#[derive(Debug, Clone)]
enum Op {
    Donate { fund: usize, fen: i64, pledge: bool },
    Void { pick: usize },
    Pledge { fund: usize, fen: i64 },
    Pay { fund: usize, fen: i64 },
    Reverse { pick: usize },
    Transfer { from: usize, fen: i64 },
    Tomorrow,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        4 => (0..2usize, 1..200_000i64, any::<bool>())
            .prop_map(|(fund, fen, pledge)| Op::Donate { fund, fen, pledge }),
        1 => (0..64usize).prop_map(|pick| Op::Void { pick }),
        1 => (0..2usize, 1..300_000i64).prop_map(|(fund, fen)| Op::Pledge { fund, fen }),
        2 => (0..2usize, 1..300_000i64).prop_map(|(fund, fen)| Op::Pay { fund, fen }),
        1 => (0..64usize).prop_map(|pick| Op::Reverse { pick }),
        1 => (0..2usize, 1..300_000i64).prop_map(|(from, fen)| Op::Transfer { from, fen }),
        1 => Just(Op::Tomorrow),
    ]
}

struct Fixture {
    app: TestApp,
    manager: String,
    approver: String,
    funds: Vec<String>,
}

fn id_of(v: &Value, path: &[&str]) -> String {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_str().unwrap_or_default().to_owned()
}

/// Random sequences of donations (some towards pledges), voids, pledges, payments
/// (proposed, approved by another, paid), reversals, transfers and days passing, on
/// two funds in two units: every entry balances, no fund is ever below zero, each
/// fund's balance is its valid donations less its paid disbursements plus or minus
/// its transfers, the kept figures equal a recount from the rows, and receipt
/// numbers run 1..n.
#[test]
fn the_charity_ledger_holds_under_random_sequences() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fx = rt.block_on(async {
        let app = spawn_app().await;
        app.user_with_role("fm_prop", BEIJING, Some("fund_manager"))
            .await;
        app.user_with_role("sa_prop", BEIJING, Some("street_admin"))
            .await;
        let manager = app.login("fm_prop", "fm_prop-password").await;
        let approver = app.login("sa_prop", "sa_prop-password").await;
        let day = today(&app);
        let mut funds = Vec::new();
        for (unit, name) in [(BEIJING, "甲基金"), ("440104003108", "乙基金")] {
            funds.push(
                open_fund(
                    &app,
                    &manager,
                    unit,
                    name,
                    &(day - Duration::days(30)).to_string(),
                )
                .await,
            );
        }
        Fixture {
            app,
            manager,
            approver,
            funds,
        }
    });
    let donations = std::cell::RefCell::new(Vec::<String>::new());
    let paid = std::cell::RefCell::new(Vec::<String>::new());
    let pledges = std::cell::RefCell::new(vec![Vec::<String>::new(), Vec::new()]);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 6,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let Fixture {
        app,
        manager,
        approver,
        funds,
    } = &fx;
    runner
        .run(&proptest::collection::vec(op(), 1..20), |ops| {
            rt.block_on(async {
                for op in ops {
                    let day = today(app).to_string();
                    match op {
                        Op::Donate { fund, fen, pledge } => {
                            let mut d = money(&funds[fund], fen, &day);
                            if pledge {
                                if let Some(p) = pledges.borrow()[fund].last() {
                                    d["i"]["pledgeId"] = json!(p);
                                }
                            }
                            let r = app.data_as(manager, DONATE, d).await;
                            donations.borrow_mut().push(id_of(&r, &["recordDonation", "donation", "id"]));
                        }
                        Op::Void { pick } => {
                            let Some(id) = ({
                                let all = donations.borrow();
                                (!all.is_empty()).then(|| all[pick % all.len()].clone())
                            }) else {
                                continue;
                            };
                            let r = app.gql_as(manager, VOID, json!({ "i": { "id": id, "reason": "核对" } })).await;
                            if r["errors"].is_array() {
                                assert!(["DONATION_VOIDED", "FUND_INSUFFICIENT"].contains(&reason(&r)), "{r:#}");
                            }
                        }
                        Op::Pledge { fund, fen } => {
                            let due = (today(app) + Duration::days(3)).to_string();
                            let r = app
                                .data_as(manager, PLEDGE, json!({ "i": { "fundId": funds[fund], "amountFen": fen, "donorKind": "ANONYMOUS", "dueOn": due } }))
                                .await;
                            pledges.borrow_mut()[fund].push(id_of(&r, &["recordPledge", "pledge", "id"]));
                        }
                        Op::Pay { fund, fen } => {
                            let p = app
                                .data_as(
                                    manager,
                                    "mutation($i: ProposeDisbursementInput!) { proposeDisbursement(input: $i) { disbursement { id } } }",
                                    json!({ "i": { "fundId": funds[fund], "amountFen": fen, "purpose": "救助", "payeeKind": "PROJECT", "payeeName": "项目" } }),
                                )
                                .await;
                            let id = id_of(&p, &["proposeDisbursement", "disbursement", "id"]);
                            app.data_as(approver, "mutation($id: ID!) { approveDisbursement(input: { id: $id }) { disbursement { id } } }", json!({ "id": id })).await;
                            let r = app.gql_as(manager, "mutation($id: ID!) { payDisbursement(input: { id: $id }) { disbursement { id } } }", json!({ "id": id })).await;
                            if r["errors"].is_array() {
                                assert_eq!(reason(&r), "FUND_INSUFFICIENT", "{r:#}");
                            } else {
                                paid.borrow_mut().push(id);
                            }
                        }
                        Op::Reverse { pick } => {
                            let Some(id) = ({
                                let all = paid.borrow();
                                (!all.is_empty()).then(|| all[pick % all.len()].clone())
                            }) else {
                                continue;
                            };
                            let r = app.gql_as(manager, "mutation($i: DisbursementReasonInput!) { reverseDisbursement(input: $i) { disbursement { id } } }", json!({ "i": { "id": id, "reason": "退回" } })).await;
                            if r["errors"].is_array() {
                                assert_eq!(reason(&r), "DISBURSEMENT_STATE", "{r:#}");
                            }
                        }
                        Op::Transfer { from, fen } => {
                            let r = app
                                .gql_as(approver, TRANSFER, json!({ "i": { "fromFundId": funds[from], "toFundId": funds[1 - from], "amountFen": fen, "memo": "调剂" } }))
                                .await;
                            if r["errors"].is_array() {
                                assert_eq!(reason(&r), "FUND_INSUFFICIENT", "{r:#}");
                            }
                        }
                        Op::Tomorrow => app.clock.advance(Duration::days(1)),
                    }
                    // No fund is ever below zero.
                    let negative = app
                        .scalar("SELECT COUNT(*) FROM (SELECT fund_id FROM ledger_line WHERE fund_id IS NOT NULL GROUP BY fund_id HAVING SUM(amount_fen) < 0) t")
                        .await;
                    assert_eq!(negative, 0);
                }
                let unbalanced = app
                    .scalar("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_line GROUP BY entry_id HAVING SUM(amount_fen) <> 0) t")
                    .await;
                assert_eq!(unbalanced, 0);
                // Balance = valid money donations − paid disbursements ± transfers.
                let mismatched = app
                    .scalar(
                        "SELECT COUNT(*) FROM fund f WHERE \
                         COALESCE((SELECT SUM(amount_fen) FROM ledger_line l WHERE l.fund_id = f.id), 0) <> \
                         COALESCE((SELECT SUM(amount_fen) FROM donation d WHERE d.fund_id = f.id AND d.kind = 'money' AND d.voided_at IS NULL), 0) \
                         - COALESCE((SELECT SUM(amount_fen) FROM disbursement b WHERE b.fund_id = f.id AND b.state = 'paid'), 0) \
                         + COALESCE((SELECT SUM(l.amount_fen) FROM ledger_line l JOIN ledger_entry e ON e.id = l.entry_id WHERE l.fund_id = f.id AND e.kind = 'transfer'), 0)",
                    )
                    .await;
                assert_eq!(mismatched, 0);
                // Pledges: what they hold is what their valid donations gave.
                let pledge_off = app
                    .scalar("SELECT COUNT(*) FROM pledge p WHERE fulfilled_fen <> COALESCE((SELECT SUM(amount_fen) FROM donation d WHERE d.pledge_id = p.id AND d.voided_at IS NULL), 0)")
                    .await;
                assert_eq!(pledge_off, 0);
                // Receipt numbers run 1..n per fund and year.
                let gaps = app
                    .scalar("SELECT COUNT(*) FROM receipt_counter c WHERE last_seq <> (SELECT COUNT(*) FROM donation d WHERE d.fund_id = c.fund_id AND d.receipt_number LIKE '%-' || c.year || '-%')")
                    .await;
                assert_eq!(gaps, 0);
                // The kept figures equal a recount from the rows, for the whole
                // street, each community, and a period.
                let from = (today(app) - Duration::days(2)).to_string();
                for vars in [json!({ "c": BEIJING }), json!({ "c": BEIJING, "f": from })] {
                    let kept = app.data_as(approver, STATS, vars.clone()).await;
                    kapok_api::services::daily::rebuild(&app.db).await.unwrap();
                    let rebuilt = app.data_as(approver, STATS, vars).await;
                    assert_eq!(kept, rebuilt);
                }
                let kept = app.data_as(approver, STATS, json!({ "c": BEIJING })).await;
                let all: i64 = app
                    .scalar("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM ledger_line WHERE fund_id IS NOT NULL")
                    .await;
                assert_eq!(kept["unitStats"]["figures"]["charity"]["balanceFen"], all);
            });
            Ok(())
        })
        .unwrap();
    assert!(donations.borrow().len() > 10, "the sequences donated");
    assert!(!paid.borrow().is_empty(), "the sequences paid");
    for (what, sql) in [
        (
            "transferred",
            "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'transfer'",
        ),
        (
            "reversed a payment",
            "SELECT COUNT(*) FROM disbursement WHERE state = 'reversed'",
        ),
        (
            "voided",
            "SELECT COUNT(*) FROM donation WHERE voided_at IS NOT NULL",
        ),
        (
            "donated towards a pledge",
            "SELECT COUNT(*) FROM donation WHERE pledge_id IS NOT NULL",
        ),
    ] {
        assert!(rt.block_on(fx.app.scalar(sql)) > 0, "the sequences {what}");
    }
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut r = app.client.get(format!("{}{path}", app.address));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn exports_stream_donations_and_statements_as_csv_and_xlsx() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    app.user_with_role("aud_yx", "440104", Some("auditor"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let auditor = app.login("aud_yx", "aud_yx-password").await;
    let fund = open_fund(
        &app,
        &manager,
        BEIJING,
        "北京街道社区慈善基金",
        "2026-01-01",
    )
    .await;
    let day = today(&app).to_string();
    let mut ids = Vec::new();
    for fen in [10_000, 25_050, 7_000] {
        let d = app.data_as(&manager, DONATE, money(&fund, fen, &day)).await;
        ids.push(id_of(&d, &["recordDonation", "donation", "id"]));
    }
    app.data_as(
        &manager,
        VOID,
        json!({ "i": { "id": ids[2], "reason": "重复" } }),
    )
    .await;
    // Past one page of reads: 2,100 more rows loaded directly.
    let entry = app.scalar("SELECT MIN(id) FROM ledger_entry").await;
    let fund_raw = app.scalar("SELECT MIN(id) FROM fund").await;
    let values: Vec<String> = (0..2100)
        .map(|i| {
            format!(
                "('{BEIJING}', {fund_raw}, 100, 'anonymous', 'cash', '2026-03-01', 'BULK-{i:05}', {entry}, '2026-03-01T00:00:00+00:00', 'money')"
            )
        })
        .collect();
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "INSERT INTO donation (unit_code, fund_id, amount_fen, donor_kind, channel, received_on, receipt_number, entry_id, created_at, kind) VALUES {}",
            values.join(", ")
        ),
    )
    .await
    .unwrap();

    // CSV, as the manager (donors in full) and as the auditor (masked).
    let path = format!("/exports/donations?format=csv&under={BEIJING}");
    let r = get(&app, Some(&manager), &path).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("donations.csv"));
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark first");
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 3 + 2100);
    assert!(lines[0].starts_with("收据编号,接收日期,基金"));
    assert!(
        lines[1].contains(",250.50,") || lines[2].contains(",250.50,"),
        "{}",
        lines[2]
    );
    assert!(text.contains("王小明"));
    assert!(text.contains("作废,重复"));
    let masked = get(&app, Some(&auditor), &path).await.text().await.unwrap();
    assert!(!masked.contains("王小明") && masked.contains("王*明"));
    // One fund, one period.
    let narrow = get(
        &app,
        Some(&manager),
        &format!("/exports/donations?fundId={fund}&from={day}&to={day}"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(narrow.lines().count(), 4);

    // Refusals: no caller, a reversed period, a fund out of reach.
    for (token, path, status, want) in [
        (None, path.clone(), 401, "UNAUTHENTICATED"),
        (
            Some(&manager),
            "/exports/donations?from=2026-05-01&to=2026-04-01".to_owned(),
            400,
            "BAD_USER_INPUT",
        ),
        (
            Some(&manager),
            "/exports/donations?format=pdf".to_owned(),
            400,
            "BAD_USER_INPUT",
        ),
        (
            Some(&manager),
            "/exports/donations?from=2026-13-01".to_owned(),
            400,
            "BAD_USER_INPUT",
        ),
        (
            Some(&manager),
            "/exports/funds/RnVuZDo5OTk5/statement".to_owned(),
            404,
            "NOT_FOUND",
        ),
    ] {
        let r = get(&app, token.map(String::as_str), &path).await;
        assert_eq!(r.status(), status, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], want, "{path}: {body}");
        if path.contains("pdf") {
            assert_eq!(body["reason"], "EXPORT_FORMAT");
        }
    }

    // The statement: every line with the running balance, ending at the balance.
    let s = get(
        &app,
        Some(&manager),
        &format!("/exports/funds/{fund}/statement?format=csv"),
    )
    .await
    .text()
    .await
    .unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 1 + 4, "{s}");
    let last = lines.last().unwrap();
    assert!(last.ends_with(",350.50"), "{last}");
    assert_eq!(balance(&app, &manager, &fund).await, 35_050);
    // Past one page of statement lines: 2,100 balanced entries of ¥1 loaded directly,
    // 70 a day over 30 days of April (so pages break inside a day).
    let entries: Vec<String> = (0..2100)
        .map(|i| {
            format!(
                "({}, '{BEIJING}', 'donation', 'bulk', '2026-04-01T00:00:00+00:00', '2026-04-{:02}')",
                1_000_000 + i,
                1 + i % 30
            )
        })
        .collect();
    let lines_sql: Vec<String> = (0..2100)
        .flat_map(|i| {
            [
                format!("({}, 'fund:{fund_raw}', {fund_raw}, 100)", 1_000_000 + i),
                format!("({}, 'donations:cash', NULL, -100)", 1_000_000 + i),
            ]
        })
        .collect();
    for sql in [
        format!(
            "INSERT INTO ledger_entry (id, unit_code, kind, memo, created_at, booked_on) VALUES {}",
            entries.join(", ")
        ),
        format!(
            "INSERT INTO ledger_line (entry_id, account, fund_id, amount_fen) VALUES {}",
            lines_sql.join(", ")
        ),
    ] {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, &sql)
            .await
            .unwrap();
    }
    let statement = |query: String| {
        let (app, manager, fund) = (&app, &manager, &fund);
        async move {
            get(
                app,
                Some(manager),
                &format!("/exports/funds/{fund}/statement?format=csv{query}"),
            )
            .await
            .text()
            .await
            .unwrap()
        }
    };
    let s = statement(String::new()).await;
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 1 + 2100 + 4);
    assert!(
        lines.last().unwrap().ends_with(",2450.50"),
        "{}",
        lines.last().unwrap()
    );
    let mut entries_seen: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    entries_seen.sort();
    entries_seen.dedup();
    assert_eq!(entries_seen.len(), 2100 + 4, "every line once");
    // A period: the opening balance carried in, only its days listed.
    let s = statement("&from=2026-04-15&to=2026-04-20".into()).await;
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 1 + 6 * 70);
    assert!(
        lines[1].starts_with("2026-04-15,") && lines[1].ends_with(",981.00"),
        "{}",
        lines[1]
    );
    assert!(
        lines.last().unwrap().ends_with(",1400.00"),
        "{}",
        lines.last().unwrap()
    );

    // XLSX: a workbook whose one sheet holds the header and every row.
    let r = get(
        &app,
        Some(&auditor),
        &format!("/exports/donations?format=xlsx&under={BEIJING}"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let bytes = r.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    assert_eq!(sheet.matches("<row ").count(), 1 + 3 + 2100);
    assert!(sheet.contains("王*明") && !sheet.contains("王小明"));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('donation.export', 'fund.statement')"
        )
        .await,
        7,
        "each export made is audited once; refusals are not"
    );
}

#[tokio::test]
async fn a_receipt_prints_on_a4_with_the_amount_in_words() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    app.user_with_role("aud_yx", "440104", Some("auditor"))
        .await;
    let manager = app.login("fm_bj", "fm_bj-password").await;
    let auditor = app.login("aud_yx", "aud_yx-password").await;
    let fund = open_fund(
        &app,
        &manager,
        BEIJING,
        "北京街道社区慈善基金",
        "2026-01-01",
    )
    .await;
    let d = app
        .data_as(
            &manager,
            DONATE,
            money(&fund, 123_456, &today(&app).to_string()),
        )
        .await;
    let id = id_of(&d, &["recordDonation", "donation", "id"]);
    let number = id_of(&d, &["recordDonation", "donation", "receiptNumber"]);
    let q = "query($id: ID!) { donation(id: $id) { printableReceipt } }";
    let page = app.data_as(&manager, q, json!({ "id": id })).await;
    let html = page["donation"]["printableReceipt"].as_str().unwrap();
    assert!(html.contains("size: A4"));
    assert!(html.contains(&number));
    assert!(html.contains("1234.56") && html.contains("壹仟贰佰叁拾肆元伍角陆分"));
    assert!(html.contains("王小明") && html.contains("银行转账"));
    let page = app.data_as(&auditor, q, json!({ "id": id })).await;
    let html = page["donation"]["printableReceipt"].as_str().unwrap();
    assert!(html.contains("王*明") && !html.contains("王小明"));
    // The public check of the same number.
    let check: Value = get(&app, None, &format!("/receipts/{number}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["valid"], true);
    assert_eq!(check["amountFen"], 123_456);
    assert_eq!(check["donor"], "王*明");
}

/// The README's charity walkthrough, step by step.
#[tokio::test]
async fn the_readme_charity_walkthrough() {
    let app = spawn_app().await;
    app.user_with_role("fm_bj", BEIJING, Some("fund_manager"))
        .await;
    app.user_with_role("sa_bj", BEIJING, Some("street_admin"))
        .await;
    let fm = app.login("fm_bj", "fm_bj-password").await;
    let street = app.login("sa_bj", "sa_bj-password").await;
    // 1. A fund and a campaign.
    let f = app
        .data_as(
            &fm,
            r#"mutation { openFund(input: { unitCode: "440104003", name: "北京街道社区慈善基金",
                holderName: "广州市慈善会", holderCreditCode: "53440104MJL000001E",
                purpose: "扶老助困、社区微心愿", openedOn: "2026-01-01", targetFen: 50000000 }) { fund { id status } } }"#,
            json!({}),
        )
        .await;
    let fund = id_of(&f, &["openFund", "fund", "id"]);
    let c = app
        .data_as(
            &fm,
            r#"mutation($f: ID!) { startCampaign(input: { fundId: $f, name: "重阳敬老募捐", startsOn: "2026-01-01",
                endsOn: "2026-12-31", channels: [BANK_TRANSFER, CASH], recordNumber: "53440000MJK000000X-2026-001" }) {
                campaign { id } } }"#,
            json!({ "f": fund }),
        )
        .await;
    let campaign = id_of(&c, &["startCampaign", "campaign", "id"]);
    // 2. A donation and its receipt.
    let d = app
        .data_as(
            &fm,
            r#"mutation($f: ID!, $c: ID!) { recordDonation(input: { fundId: $f, campaignId: $c, amountFen: 100000,
                donorKind: PERSON, donorName: "王小明", donorContact: "13812345678", channel: BANK_TRANSFER,
                receivedOn: "2026-08-15" }) { donation { id receiptNumber printableReceipt fund { balanceFen } } } }"#,
            json!({ "f": fund, "c": campaign }),
        )
        .await;
    let donation = &d["recordDonation"]["donation"];
    assert_eq!(donation["fund"]["balanceFen"], 100_000);
    assert!(donation["printableReceipt"]
        .as_str()
        .unwrap()
        .contains("壹仟元整"));
    let number = donation["receiptNumber"].as_str().unwrap();
    let check: Value = get(&app, None, &format!("/receipts/{number}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["valid"], true);
    // 3. A disbursement, proposed, approved by the street, paid.
    let p = app
        .data_as(
            &fm,
            r#"mutation($f: ID!, $c: ID!) { proposeDisbursement(input: { fundId: $f, campaignId: $c, amountFen: 80000,
                purpose: "困难长者慰问", payeeKind: PROJECT, payeeName: "重阳长者慰问项目" }) { disbursement { id state } } }"#,
            json!({ "f": fund, "c": campaign }),
        )
        .await;
    let disb = id_of(&p, &["proposeDisbursement", "disbursement", "id"]);
    let a = app
        .data_as(
            &street,
            "mutation($id: ID!) { approveDisbursement(input: { id: $id }) { disbursement { state } } }",
            json!({ "id": disb }),
        )
        .await;
    assert_eq!(
        a["approveDisbursement"]["disbursement"]["state"],
        "APPROVED"
    );
    let paid = app
        .data_as(
            &fm,
            "mutation($id: ID!) { payDisbursement(input: { id: $id }) { disbursement { state fund { balanceFen } } } }",
            json!({ "id": disb }),
        )
        .await;
    assert_eq!(
        paid["payDisbursement"]["disbursement"]["fund"]["balanceFen"],
        20_000
    );
    // 4. The quarterly report.
    let r = app
        .data_as(
            &fm,
            r#"mutation($f: ID!, $c: ID!) { publishDisclosure(input: { fundId: $f, campaignId: $c, kind: INTERIM,
                periodFrom: "2026-07-01", periodTo: "2026-09-30", note: "第三季度公开" }) {
                report { id raisedFen moneyIn { month channel amountFen } closingBalanceFen } } }"#,
            json!({ "f": fund, "c": campaign }),
        )
        .await;
    let report = &r["publishDisclosure"]["report"];
    assert_eq!(report["raisedFen"], 100_000);
    assert_eq!(report["moneyIn"][0]["month"], "2026-08");
    assert_eq!(
        report["closingBalanceFen"], 100_000,
        "paid after the quarter"
    );
    // 5. Read anonymously.
    let public = app
        .data(
            "{ disclosureReports(first: 5) { nodes { fundName campaignName kind periodFrom periodTo raisedFen moneyIn { month amountFen } donors(first: 10) { nodes { name amountFen } } } } }",
            json!({}),
        )
        .await;
    let node = &public["disclosureReports"]["nodes"][0];
    assert_eq!(node["campaignName"], "重阳敬老募捐");
    assert_eq!(
        node["donors"]["nodes"][0],
        json!({ "name": "王*明", "amountFen": 100000 })
    );
    // 6. Exports.
    let xlsx = get(
        &app,
        Some(&fm),
        &format!("/exports/funds/{fund}/statement?format=xlsx&from=2026-01-01&to=2026-12-31"),
    )
    .await;
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let csv = get(
        &app,
        Some(&fm),
        "/exports/donations?format=csv&under=440104003",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(csv.contains(number) && csv.contains("王小明"));
    let c = app
        .data_as(
            &street,
            r#"{ disclosureCompliance(under: "440104") { unitCode obligations { kind status } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(c["disclosureCompliance"][0]["unitCode"], BEIJING);
}
