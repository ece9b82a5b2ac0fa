//! Residents and community help through GraphQL, on both databases: self-service
//! sign-up and registration, public browsing, team applications, help requests,
//! the time bank and charity supermarkets.

use kapok_tests::{error_codes, spawn_app, TestApp};
use serde_json::{json, Value};

const STREET: &str = "440104003"; // 北京街道
const YANYUNXI: &str = "440104003108"; // 盐运西社区
const NEIGHBOUR: &str = "440104004102"; // 六榕街道的社区

use kapok_tests::resident_id;

fn reason(body: &Value) -> &str {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("")
}

fn code(body: &Value) -> String {
    error_codes(body).first().cloned().unwrap_or_default()
}

const SIGN_UP: &str =
    "mutation($i: SignUpAccountInput!) { signUpAccount(input: $i) { user { id username } } }";
const REGISTER_SELF: &str = "mutation($i: RegisterSelfInput!) { registerSelf(input: $i) { volunteer { id volunteerNumber } } }";
const FILE: &str = "mutation($i: FileHelpRequestInput!) { fileHelpRequest(input: $i) { helpRequest { id state beneficiaryName } } }";
const CLAIM: &str = "mutation($i: ClaimHelpRequestInput!) { claimHelpRequest(input: $i) { helpRequest { id state claimedByVolunteer { id } } } }";
const FULFIL: &str = "mutation($i: FulfilHelpRequestInput!) { fulfilHelpRequest(input: $i) { helpRequest { id state fulfilmentHours } } }";

/// A resident signs up and registers itself; returns its token and volunteer ID.
async fn resident(app: &TestApp, username: &str, birth: &str, seq: u32) -> (String, String) {
    let password = format!("{username}-password");
    app.data(
        SIGN_UP,
        json!({ "i": { "username": username, "password": password, "phone": "13912345678", "unitCode": YANYUNXI } }),
    )
    .await;
    let token = app.login(username, &password).await;
    let v = app
        .data_as(
            &token,
            REGISTER_SELF,
            json!({ "i": { "realName": "李阿姨", "idType": "RESIDENT_ID", "idNumber": resident_id(birth, seq), "unitCode": YANYUNXI, "fields": ["elderly_care"] } }),
        )
        .await;
    let id = v["registerSelf"]["volunteer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Roles are read per request: the same token serves as a volunteer at once.
    (token, id)
}

/// Files, verifies and publishes a request; returns its ID.
async fn published_request(app: &TestApp, worker: &str, description: &str) -> String {
    let r = app
        .data_as(
            worker,
            FILE,
            json!({ "i": { "unitCode": YANYUNXI, "beneficiaryName": "张大爷", "beneficiaryPhone": "13800001111", "beneficiaryAddress": "盐运西路5号", "category": "elderly_care", "urgency": "HIGH", "description": description, "requestedBy": "COMMUNITY_WORKER", "attachments": ["入户核实表.jpg"] } }),
        )
        .await;
    let id = r["fileHelpRequest"]["helpRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for step in ["verifyHelpRequest", "publishHelpRequest"] {
        app.data_as(
            worker,
            &format!("mutation($id: ID!) {{ {step}(input: {{ id: $id }}) {{ helpRequest {{ state }} }} }}"),
            json!({ "id": id }),
        )
        .await;
    }
    id
}

/// Approves every recorded service record of the community.
async fn approve_all(app: &TestApp, approver: &str) {
    let r = app
        .data_as(
            approver,
            "{ serviceRecords(state: RECORDED, first: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    for n in r["serviceRecords"]["nodes"].as_array().unwrap() {
        app.data_as(
            approver,
            "mutation($id: ID!) { approveServiceRecord(input: { id: $id }) { serviceRecord { state } } }",
            json!({ "id": n["id"] }),
        )
        .await;
    }
}

/// The README's community walkthrough, step by step.
#[tokio::test]
async fn the_readme_community_walkthrough() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, worker) = app
        .user_with_role("yyx_worker", YANYUNXI, Some("social_worker"))
        .await;
    let (_, office) = app
        .user_with_role("yyx_office", YANYUNXI, Some("community_admin"))
        .await;
    // 1. A resident signs up (anonymous) and registers as a volunteer.
    let (me, volunteer) = resident(&app, "li_ayi", "19550301", 1).await;
    // 2. A community worker files a request, verifies it at home and publishes it.
    let request = published_request(&app, &worker, "独居老人需要每周陪同就医").await;
    // Anyone sees the need, never the person.
    let public = app
        .data(
            "{ publishedNeeds(under: \"440104\") { totalCount nodes { id description urgency unitCode } } }",
            json!({}),
        )
        .await;
    assert_eq!(public["publishedNeeds"]["totalCount"], 1);
    assert_eq!(public["publishedNeeds"]["nodes"][0]["id"], request.as_str());
    assert!(!public.to_string().contains("张大爷"));
    // 3. The volunteer claims it for itself and fulfils it with two hours.
    let c = app
        .data_as(&me, CLAIM, json!({ "i": { "id": request } }))
        .await;
    assert_eq!(c["claimHelpRequest"]["helpRequest"]["state"], "CLAIMED");
    assert_eq!(
        c["claimHelpRequest"]["helpRequest"]["claimedByVolunteer"]["id"],
        volunteer.as_str()
    );
    let f = app
        .data_as(
            &me,
            FULFIL,
            json!({ "i": { "id": request, "hours": 2, "note": "陪同到越秀区人民医院复诊" } }),
        )
        .await;
    assert_eq!(f["fulfilHelpRequest"]["helpRequest"]["state"], "FULFILLED");
    // The volunteer sees the request it claimed, the beneficiary masked.
    let mine = app
        .data_as(
            &me,
            "{ helpRequests { nodes { id beneficiaryName personalDataMasked } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["helpRequests"]["nodes"][0]["beneficiaryName"], "张**");
    // 4. The worker approves the hours: they land in the time bank.
    approve_all(&app, &worker).await;
    let acct = app
        .data_as(
            &me,
            "{ myTimeAccount { balanceMinutes balanceCoins statement { nodes { kind minutes balanceAfter } } } }",
            json!({}),
        )
        .await;
    assert_eq!(acct["myTimeAccount"]["balanceMinutes"], 120, "{acct:#}");
    assert_eq!(
        acct["myTimeAccount"]["statement"]["nodes"][0]["kind"],
        "DEPOSIT"
    );
    let dash = app
        .data_as(&me, "{ myDashboard { hoursThisYear stars timeBalanceMinutes upcomingSignups { totalCount } certificates { totalCount } } }", json!({}))
        .await;
    assert_eq!(dash["myDashboard"]["hoursThisYear"], 2.0);
    assert_eq!(dash["myDashboard"]["timeBalanceMinutes"], 120);
    // 5. The worker closes the request with the beneficiary's feedback.
    let closed = app
        .data_as(
            &worker,
            "mutation($i: CloseHelpRequestInput!) { closeHelpRequest(input: $i) { helpRequest { state feedbackRating } } }",
            json!({ "i": { "id": request, "feedback": "非常感谢", "rating": 5 } }),
        )
        .await;
    assert_eq!(closed["closeHelpRequest"]["helpRequest"]["state"], "CLOSED");
    // 6. The street's fund takes the supermarket's share; the community runs a shop.
    let fund = app
        .data_as(
            &admin,
            "mutation($i: OpenFundInput!) { openFund(input: $i) { fund { id } } }",
            json!({ "i": { "unitCode": STREET, "name": "北京街社区慈善基金", "holderName": "广州市慈善会", "purpose": "扶老助困", "openedOn": "2026-01-01" } }),
        )
        .await;
    let fund = fund["openFund"]["fund"]["id"].as_str().unwrap().to_owned();
    let shop = app
        .data_as(
            &admin,
            "mutation($s: CreateStationInput!) { createStation(input: $s) { station { id } } }",
            json!({ "s": { "kind": "CHARITY_SUPERMARKET", "name": "盐运西慈善超市", "unitCode": YANYUNXI } }),
        )
        .await;
    let item = app
        .data_as(
            &office,
            "mutation($i: AddStockItemInput!) { addStockItem(input: $i) { item { id quantity } } }",
            json!({ "i": { "stationId": shop["createStation"]["station"]["id"], "name": "食用油 5L", "unitLabel": "瓶", "priceFen": 6000, "coinMinutes": 60 } }),
        )
        .await;
    let item = item["addStockItem"]["item"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.data_as(
        &office,
        "mutation($i: ReceiveGoodsInput!) { receiveGoods(input: $i) { move { quantity } } }",
        json!({ "i": { "itemId": item, "quantity": 10, "costFen": 50000 } }),
    )
    .await;
    // 7. The volunteer's hours buy a bottle at the supermarket.
    let sale = app
        .data_as(
            &office,
            "mutation($i: SellGoodsInput!) { sellGoods(input: $i) { move { kind quantity } } }",
            json!({ "i": { "itemId": item, "quantity": 1, "payment": "TIME_COINS", "volunteerId": volunteer } }),
        )
        .await;
    assert_eq!(sale["sellGoods"]["move"]["kind"], "COIN_EXCHANGE");
    let after = app
        .data_as(&me, "{ myTimeAccount { balanceMinutes } }", json!({}))
        .await;
    assert_eq!(after["myTimeAccount"]["balanceMinutes"], 60);
    // 8. A sale for money pays its 10 % into the fund in the same transaction.
    let sale = app
        .data_as(
            &office,
            "mutation($i: SellGoodsInput!) { sellGoods(input: $i) { move { kind amountFen shareFen shareDonation { channel amountFen } } } }",
            json!({ "i": { "itemId": item, "quantity": 2, "payment": "MONEY" } }),
        )
        .await;
    assert_eq!(sale["sellGoods"]["move"]["amountFen"], 12000);
    assert_eq!(sale["sellGoods"]["move"]["shareFen"], 1200);
    let bal = app
        .data_as(
            &admin,
            "query($f: ID!) { fund(id: $f) { balanceFen } }",
            json!({ "f": fund }),
        )
        .await;
    assert_eq!(bal["fund"]["balanceFen"], 1200);
    let stock = app
        .data_as(
            &office,
            "query($i: ID!) { stockItem(id: $i) { quantity moves { totalCount } } }",
            json!({ "i": item }),
        )
        .await;
    assert_eq!(stock["stockItem"]["quantity"], 7);
    assert_eq!(stock["stockItem"]["moves"]["totalCount"], 3);
    // Time-bank balances are the sums of their lines.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM time_account a WHERE a.balance_minutes <> (SELECT COALESCE(SUM(minutes), 0) FROM time_line l WHERE l.account_id = a.id)").await,
        0
    );
}

#[tokio::test]
async fn self_service_is_bounded_and_reveals_nothing() {
    let app = spawn_app().await;
    let (_, id) = resident(&app, "resident_a", "19900101", 7).await;
    assert!(!id.is_empty());
    // The same person again: a CONFLICT that says nothing of where or by whom.
    let password = "resident_b-password";
    app.data(
        SIGN_UP,
        json!({ "i": { "username": "resident_b", "password": password, "phone": "13912345679", "unitCode": YANYUNXI } }),
    )
    .await;
    let b = app.login("resident_b", password).await;
    let again = app
        .gql_as(
            &b,
            REGISTER_SELF,
            json!({ "i": { "realName": "李阿姨", "idType": "RESIDENT_ID", "idNumber": resident_id("19900101", 7), "unitCode": YANYUNXI } }),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT", "{again:#}");
    assert!(!again.to_string().contains(YANYUNXI));
    // Registering twice with one account is refused.
    let (a, _) = (app.login("resident_a", "resident_a-password").await, ());
    let twice = app
        .gql_as(
            &a,
            REGISTER_SELF,
            json!({ "i": { "realName": "李阿姨", "idType": "RESIDENT_ID", "idNumber": resident_id("19900101", 8), "unitCode": YANYUNXI } }),
        )
        .await;
    assert_eq!(code(&twice), "CONFLICT");
    // Anonymous callers cannot register; bad input is refused with reasons.
    let anon = app.gql(REGISTER_SELF, json!({ "i": { "realName": "x", "idType": "RESIDENT_ID", "idNumber": resident_id("19900101", 9), "unitCode": YANYUNXI } })).await;
    assert_eq!(code(&anon), "UNAUTHENTICATED");
    let bad = app
        .gql(SIGN_UP, json!({ "i": { "username": "ok_name", "password": "short", "phone": "13912345678", "unitCode": YANYUNXI } }))
        .await;
    assert_eq!(reason(&bad), "PASSWORD_LENGTH");
    let street = app
        .gql(SIGN_UP, json!({ "i": { "username": "ok_name", "password": "long-enough-1", "phone": "13912345678", "unitCode": STREET } }))
        .await;
    assert_eq!(reason(&street), "NOT_A_COMMUNITY");
    // Sign-ups from one address are limited like sign-ins.
    let mut throttled = false;
    for n in 0..12 {
        let r = app
            .gql(SIGN_UP, json!({ "i": { "username": format!("flood{n}"), "password": "long-enough-1", "phone": "13912345678", "unitCode": YANYUNXI } }))
            .await;
        if reason(&r) == "THROTTLED" || code(&r) == "FORBIDDEN" {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "sign-ups were not limited");
    // Public browsing: recruiting activities without people.
    let admin = app.admin_token().await;
    let start = chrono::Utc::now() + chrono::Duration::days(3);
    let team = app
        .data_as(
            &admin,
            "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }",
            json!({ "i": { "name": "探访队", "unitCode": STREET } }),
        )
        .await;
    let act = app
        .data_as(
            &admin,
            "mutation($i: CreateActivityInput!) { createActivity(input: $i) { activity { id } } }",
            json!({ "i": { "title": "重阳节探访", "field": "elderly_care", "unitCode": STREET, "teamId": team["createTeam"]["team"]["id"], "place": "北京街社区服务中心", "startsAt": start.to_rfc3339(), "endsAt": (start + chrono::Duration::hours(2)).to_rfc3339(), "capacity": 10 } }),
        )
        .await;
    let act = act["createActivity"]["activity"]["id"].clone();
    let before = app
        .data(
            "{ publicActivities(under: \"440104\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        before["publicActivities"]["totalCount"], 0,
        "drafts are not listed"
    );
    app.data_as(
        &admin,
        "mutation($id: ID!) { publishActivity(input: { id: $id }) { activity { id } } }",
        json!({ "id": act }),
    )
    .await;
    let listed = app
        .data("{ publicActivities(under: \"440104\") { totalCount nodes { id title seatsLeft unitCode } } }", json!({}))
        .await;
    assert_eq!(listed["publicActivities"]["totalCount"], 1);
    assert_eq!(listed["publicActivities"]["nodes"][0]["seatsLeft"], 10);
    let elsewhere = app
        .data(
            "{ publicActivities(under: \"440105\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(elsewhere["publicActivities"]["totalCount"], 0);
    // The anonymous caller still cannot read the activity itself.
    let node = app
        .data(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": act }),
        )
        .await;
    assert!(node["node"].is_null());
}

#[tokio::test]
async fn team_applications_are_decided_by_the_leader_or_an_admin() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (leader_token, leader) = resident(&app, "leader_a", "19800101", 11).await;
    let (me, volunteer) = resident(&app, "joiner_a", "19850101", 12).await;
    let team = app
        .data_as(
            &admin,
            "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }",
            json!({ "i": { "name": "助老服务队", "unitCode": STREET, "leaderId": leader } }),
        )
        .await;
    let team = team["createTeam"]["team"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let apply =
        "mutation($i: ApplyToTeamInput!) { applyToTeam(input: $i) { application { id state } } }";
    let a = app
        .data_as(
            &me,
            apply,
            json!({ "i": { "teamId": team, "message": "想参加" } }),
        )
        .await;
    let id = a["applyToTeam"]["application"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = app
        .gql_as(&me, apply, json!({ "i": { "teamId": team } }))
        .await;
    assert_eq!(reason(&again), "ALREADY_APPLIED");
    let own = app
        .data_as(&me, "{ teamApplications { totalCount } }", json!({}))
        .await;
    assert_eq!(own["teamApplications"]["totalCount"], 1);
    // The applicant cannot decide its own application; the leader can.
    let decide = "mutation($i: DecideTeamApplicationInput!) { decideTeamApplication(input: $i) { application { state } } }";
    let selfish = app
        .gql_as(&me, decide, json!({ "i": { "id": id, "approve": true } }))
        .await;
    assert_eq!(code(&selfish), "FORBIDDEN", "{selfish:#}");
    let ok = app
        .data_as(
            &leader_token,
            decide,
            json!({ "i": { "id": id, "approve": true } }),
        )
        .await;
    assert_eq!(
        ok["decideTeamApplication"]["application"]["state"],
        "APPROVED"
    );
    let twice = app
        .gql_as(
            &leader_token,
            decide,
            json!({ "i": { "id": id, "approve": false } }),
        )
        .await;
    assert_eq!(reason(&twice), "APPLICATION_DECIDED");
    let members = app
        .data_as(
            &admin,
            "query($t: ID!) { node(id: $t) { ... on Team { members { nodes { id } } } } }",
            json!({ "t": team }),
        )
        .await;
    assert!(members.to_string().contains(&volunteer));
}

#[tokio::test]
async fn help_requests_follow_their_states_and_scopes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, worker) = app
        .user_with_role("hr_worker", YANYUNXI, Some("social_worker"))
        .await;
    let (_, other) = app
        .user_with_role("hr_other", NEIGHBOUR, Some("social_worker"))
        .await;
    let (me, _) = resident(&app, "hr_vol", "19700101", 21).await;
    let (you, _) = resident(&app, "hr_vol2", "19700101", 22).await;
    // Refusals: anonymous, a neighbour's worker, an unknown category.
    let input = json!({ "i": { "unitCode": YANYUNXI, "beneficiaryName": "张大爷", "category": "elderly_care", "urgency": "NORMAL", "description": "需要送餐", "requestedBy": "BENEFICIARY" } });
    assert_eq!(code(&app.gql(FILE, input.clone()).await), "UNAUTHENTICATED");
    assert_eq!(
        code(&app.gql_as(&other, FILE, input.clone()).await),
        "FORBIDDEN"
    );
    let mut bad = input.clone();
    bad["i"]["category"] = json!("flying");
    assert_eq!(
        reason(&app.gql_as(&worker, FILE, bad).await),
        "HELP_CATEGORY"
    );
    let r = app.data_as(&worker, FILE, input.clone()).await;
    let id = r["fileHelpRequest"]["helpRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        r["fileHelpRequest"]["helpRequest"]["beneficiaryName"],
        "张大爷"
    );
    // Not yet published: volunteers cannot claim or see it; publishing skips nothing.
    let early = app.gql_as(&me, CLAIM, json!({ "i": { "id": id } })).await;
    assert_eq!(code(&early), "NOT_FOUND", "{early:#}");
    let skip = app
        .gql_as(
            &worker,
            "mutation($id: ID!) { publishHelpRequest(input: { id: $id }) { helpRequest { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(reason(&skip), "HELP_STATE");
    for step in ["verifyHelpRequest", "publishHelpRequest"] {
        app.data_as(&worker, &format!("mutation($id: ID!) {{ {step}(input: {{ id: $id }}) {{ helpRequest {{ state }} }} }}"), json!({ "id": id }))
            .await;
    }
    // Suggestions: the registered volunteers serving elderly care, same community first.
    let s = app
        .data_as(&worker, "query($id: ID!) { suggestedHelpers(requestId: $id) { volunteer { id unitCode } fieldMatch distance } }", json!({ "id": id }))
        .await;
    let list = s["suggestedHelpers"].as_array().unwrap();
    assert!(list.len() >= 2, "{s:#}");
    assert!(list
        .iter()
        .all(|h| h["fieldMatch"] == true && h["distance"] == 0));
    // One claim wins; the second is a CONFLICT, and the loser cannot read it.
    app.data_as(&me, CLAIM, json!({ "i": { "id": id } })).await;
    let lost = app.gql_as(&you, CLAIM, json!({ "i": { "id": id } })).await;
    assert_eq!(code(&lost), "NOT_FOUND", "{lost:#}");
    let seen = app
        .data_as(&you, "{ helpRequests { totalCount } }", json!({}))
        .await;
    assert_eq!(seen["helpRequests"]["totalCount"], 0);
    let nothing = app
        .gql_as(&me, FULFIL, json!({ "i": { "id": id, "note": "做了" } }))
        .await;
    assert_eq!(reason(&nothing), "HELP_FULFILMENT");
    app.data_as(
        &me,
        FULFIL,
        json!({ "i": { "id": id, "goods": "米一袋", "note": "送上门" } }),
    )
    .await;
    // A declined request states why; the stats count every state.
    let r2 = app.data_as(&worker, FILE, input.clone()).await;
    let id2 = r2["fileHelpRequest"]["helpRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let decline = "mutation($i: DeclineHelpRequestInput!) { declineHelpRequest(input: $i) { helpRequest { state declineReason } } }";
    assert_eq!(
        reason(
            &app.gql_as(
                &worker,
                decline,
                json!({ "i": { "id": id2, "reason": " " } })
            )
            .await
        ),
        "TEXT_LENGTH"
    );
    let d = app
        .data_as(
            &worker,
            decline,
            json!({ "i": { "id": id2, "reason": "已由民政救助覆盖" } }),
        )
        .await;
    assert_eq!(d["declineHelpRequest"]["helpRequest"]["state"], "DECLINED");
    let stats = app
        .data_as(&admin, "{ helpRequestStats(unitCode: \"440104\") { byState { state count } medianHoursToFulfil fulfilledByVolunteers fulfilledByFunds } }", json!({}))
        .await;
    let st = &stats["helpRequestStats"];
    assert_eq!(st["fulfilledByVolunteers"], 1);
    assert_eq!(st["fulfilledByFunds"], 0);
    assert!(st["medianHoursToFulfil"].as_f64().unwrap() >= 0.0);
    assert!(st["byState"]
        .as_array()
        .unwrap()
        .contains(&json!({ "state": "DECLINED", "count": 1 })));
    let refused = app
        .gql_as(
            &me,
            "{ helpRequestStats(unitCode: \"440104\") { fulfilledByVolunteers } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN");
    // A page of unmasked beneficiaries is audited once per unit, naming the rows.
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'help_request.read_personal'";
    let before = app.scalar(audited).await;
    let page = app
        .data_as(&worker, "{ helpRequests { nodes { beneficiaryName beneficiaryPhone beneficiaryAddress personalDataMasked } } }", json!({}))
        .await;
    let nodes = page["helpRequests"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert!(nodes
        .iter()
        .all(|n| n["beneficiaryName"] == "张大爷" && n["personalDataMasked"] == false));
    assert_eq!(app.scalar(audited).await, before + 1);
}

#[tokio::test]
async fn the_time_bank_keeps_its_limits_and_never_goes_below_zero_under_concurrency() {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("tb_worker", YANYUNXI, Some("social_worker"))
        .await;
    let (old, old_id) = resident(&app, "tb_old", "19500101", 31).await;
    let (young, young_id) = resident(&app, "tb_young", "19900101", 32).await;
    // Hours in: each logs 5 hours, the worker approves (300 coin minutes each).
    for (token, _) in [(&old, &old_id), (&young, &young_id)] {
        app.data_as(
            token,
            "mutation($t: DateTime!) { logHours(input: { hours: 5, content: \"社区值守\", startedAt: $t }) { serviceRecord { id } } }",
            json!({ "t": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339() }),
        )
        .await;
    }
    approve_all(&app, &worker).await;
    let spend = "mutation($i: SpendTimeCoinsInput!) { spendTimeCoins(input: $i) { account { balanceMinutes } } }";
    // Under the redemption age: refused, unless in hardship from 60 (not at 36).
    let r = app
        .gql_as(
            &young,
            spend,
            json!({ "i": { "minutes": 30, "note": "理发" } }),
        )
        .await;
    assert_eq!(reason(&r), "REDEMPTION_AGE");
    let hardship = "mutation($i: SetTimeBankHardshipInput!) { setTimeBankHardship(input: $i) { account { hardship } } }";
    let selfmark = app
        .gql_as(
            &young,
            hardship,
            json!({ "i": { "volunteerId": young_id, "hardship": true } }),
        )
        .await;
    assert_eq!(code(&selfmark), "FORBIDDEN", "a holder cannot mark itself");
    app.data_as(
        &worker,
        hardship,
        json!({ "i": { "volunteerId": young_id, "hardship": true } }),
    )
    .await;
    let still = app
        .gql_as(
            &young,
            spend,
            json!({ "i": { "minutes": 30, "note": "理发" } }),
        )
        .await;
    assert_eq!(reason(&still), "REDEMPTION_AGE");
    // Gifts only to registered relatives.
    let gift = "mutation($i: GiftTimeCoinsInput!) { giftTimeCoins(input: $i) { account { balanceMinutes } } }";
    let r = app
        .gql_as(
            &young,
            gift,
            json!({ "i": { "toVolunteerId": old_id, "minutes": 60 } }),
        )
        .await;
    assert_eq!(reason(&r), "NOT_A_RELATIVE");
    app.data_as(
        &worker,
        "mutation($i: RegisterRelativeInput!) { registerRelative(input: $i) { account { id } } }",
        json!({ "i": { "volunteerId": young_id, "relativeId": old_id, "relation": "PARENT" } }),
    )
    .await;
    let g = app
        .data_as(
            &young,
            gift,
            json!({ "i": { "toVolunteerId": old_id, "minutes": 60 } }),
        )
        .await;
    assert_eq!(g["giftTimeCoins"]["account"]["balanceMinutes"], 240);
    // The pool takes coins for the volunteer's community or above, not a neighbour's.
    let pool = "mutation($i: DonateTimeCoinsInput!) { donateTimeCoins(input: $i) { account { balanceMinutes } } }";
    let r = app
        .gql_as(
            &young,
            pool,
            json!({ "i": { "unitCode": NEIGHBOUR, "minutes": 30 } }),
        )
        .await;
    assert_eq!(reason(&r), "POOL_UNIT");
    app.data_as(
        &young,
        pool,
        json!({ "i": { "unitCode": STREET, "minutes": 30 } }),
    )
    .await;
    // The 70-year-old holds 360; twenty concurrent spends of 30 take exactly 12.
    let spends = (0..20).map(|_| {
        app.gql_as(
            &old,
            spend,
            json!({ "i": { "minutes": 30, "note": "助浴服务" } }),
        )
    });
    let results = futures_util::future::join_all(spends).await;
    let ok = results.iter().filter(|r| r["errors"].is_null()).count();
    let refused: Vec<&str> = results
        .iter()
        .filter(|r| !r["errors"].is_null())
        .map(reason)
        .collect();
    assert_eq!(ok, 12, "{refused:?}");
    assert!(
        refused.iter().all(|r| *r == "COINS_INSUFFICIENT"),
        "{refused:?}"
    );
    let acct = app
        .data_as(
            &old,
            "{ myTimeAccount { balanceMinutes statement(first: 100) { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(acct["myTimeAccount"]["balanceMinutes"], 0);
    assert_eq!(acct["myTimeAccount"]["statement"]["totalCount"], 14);
    // A fraud revocation withdraws what was deposited: the balance then owes.
    let (_, district) = app
        .user_with_role("tb_district", "440104", Some("district_admin"))
        .await;
    let rec = app
        .data_as(
            &worker,
            "{ serviceRecords(state: APPROVED, first: 10) { nodes { id volunteer { id } } } }",
            json!({}),
        )
        .await;
    let old_record = rec["serviceRecords"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["volunteer"]["id"] == old_id.as_str())
        .unwrap()["id"]
        .clone();
    app.data_as(&district, "mutation($id: ID!) { revokeServiceRecord(input: { id: $id, reason: \"虚报\" }) { serviceRecord { id } } }", json!({ "id": old_record }))
        .await;
    let owes = app
        .data_as(
            &old,
            "{ myTimeAccount { balanceMinutes depositedMinutes } }",
            json!({}),
        )
        .await;
    assert_eq!(owes["myTimeAccount"]["balanceMinutes"], -300, "{owes:#}");
    assert_eq!(owes["myTimeAccount"]["depositedMinutes"], 0);
    // Every entry balances and every balance is the sum of its lines.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM (SELECT entry_id FROM time_line GROUP BY entry_id HAVING SUM(minutes) <> 0) t").await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM time_account a WHERE a.balance_minutes <> (SELECT COALESCE(SUM(minutes), 0) FROM time_line l WHERE l.account_id = a.id)").await,
        0
    );
}

#[derive(Debug, Clone)]
enum StockOp {
    Receive(i64),
    Sell(i64),
    Issue(i64),
    Count(i64),
}

fn stock_op() -> impl proptest::strategy::Strategy<Value = StockOp> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (1..20i64).prop_map(StockOp::Receive),
        3 => (1..8i64).prop_map(StockOp::Sell),
        1 => (1..4i64).prop_map(StockOp::Issue),
        1 => (0..30i64).prop_map(StockOp::Count),
    ]
}

/// Random receipts, sales (some concurrent), free issues and counts: stock is the
/// sum of its movements and never below zero, the monthly quota holds, and the
/// sales' shares equal the fund's share donations and its balance.
#[test]
fn stock_and_shares_reconcile_under_random_movements() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, office, item, household, fund) = rt.block_on(async {
        let app = spawn_app().await;
        let admin = app.admin_token().await;
        let (_, office) = app.user_with_role("sm_office", YANYUNXI, Some("community_admin")).await;
        let fund = app
            .data_as(&admin, "mutation($i: OpenFundInput!) { openFund(input: $i) { fund { id } } }",
                json!({ "i": { "unitCode": YANYUNXI, "name": "盐运西社区基金", "holderName": "广州市慈善会", "purpose": "扶老助困", "openedOn": "2026-01-01" } }))
            .await;
        let shop = app
            .data_as(&admin, "mutation($s: CreateStationInput!) { createStation(input: $s) { station { id } } }",
                json!({ "s": { "kind": "CHARITY_SUPERMARKET", "name": "慈善超市", "unitCode": YANYUNXI } }))
            .await;
        let item = app
            .data_as(&office, "mutation($i: AddStockItemInput!) { addStockItem(input: $i) { item { id } } }",
                json!({ "i": { "stationId": shop["createStation"]["station"]["id"], "name": "大米", "priceFen": 2599 } }))
            .await;
        let household = app
            .data_as(&office, "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) { household { id } } }",
                json!({ "i": { "unitCode": YANYUNXI, "headName": "陈某", "category": "MINIMUM_LIVING", "members": 3 } }))
            .await;
        (
            app,
            office,
            item["addStockItem"]["item"]["id"].as_str().unwrap().to_owned(),
            household["registerHousehold"]["household"]["id"].as_str().unwrap().to_owned(),
            fund["openFund"]["fund"]["id"].as_str().unwrap().to_owned(),
        )
    });
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 6,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    runner
        .run(&proptest::collection::vec(stock_op(), 1..12), |ops| {
            rt.block_on(async {
                for op in ops {
                    match op {
                        StockOp::Receive(q) => {
                            app.data_as(&office, "mutation($i: ReceiveGoodsInput!) { receiveGoods(input: $i) { move { id } } }",
                                json!({ "i": { "itemId": item, "quantity": q } })).await;
                        }
                        StockOp::Sell(q) => {
                            // Two tills sell at once.
                            let sell = |q: i64| app.gql_as(&office, "mutation($i: SellGoodsInput!) { sellGoods(input: $i) { move { id } } }",
                                json!({ "i": { "itemId": item, "quantity": q, "payment": "MONEY" } }));
                            let (a, b) = futures_util::join!(sell(q), sell(q));
                            for r in [a, b] {
                                if !r["errors"].is_null() {
                                    assert_eq!(reason(&r), "STOCK_INSUFFICIENT", "{r:#}");
                                }
                            }
                        }
                        StockOp::Issue(q) => {
                            let r = app.gql_as(&office, "mutation($i: IssueGoodsInput!) { issueGoods(input: $i) { move { id } } }",
                                json!({ "i": { "itemId": item, "quantity": q, "householdId": household } })).await;
                            if !r["errors"].is_null() {
                                let why = reason(&r);
                                assert!(why == "STOCK_INSUFFICIENT" || why == "QUOTA_EXCEEDED", "{r:#}");
                            }
                        }
                        StockOp::Count(n) => {
                            app.data_as(&office, "mutation($i: CountStockInput!) { countStock(input: $i) { move { id } } }",
                                json!({ "i": { "itemId": item, "counted": n, "reason": "月末盘点" } })).await;
                        }
                    }
                }
                assert_eq!(app.scalar("SELECT COUNT(*) FROM stock_item i WHERE i.quantity < 0 OR i.quantity <> (SELECT COALESCE(SUM(quantity), 0) FROM stock_move m WHERE m.item_id = i.id)").await, 0);
                assert!(app.scalar("SELECT CAST(COALESCE(SUM(-quantity), 0) AS BIGINT) FROM stock_move WHERE kind = 'free_issue'").await <= 5);
                let shares = app.scalar("SELECT CAST(COALESCE(SUM(share_fen), 0) AS BIGINT) FROM stock_move WHERE kind = 'sale'").await;
                let donated = app.scalar("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM donation WHERE channel = 'charity_supermarket_share'").await;
                assert_eq!(shares, donated);
                let expected = app.scalar("SELECT CAST(COALESCE(SUM(amount_fen * 10 / 100), 0) AS BIGINT) FROM stock_move WHERE kind = 'sale'").await;
                assert_eq!(shares, expected);
                let bal = app.data_as(&office, "query($f: ID!) { fund(id: $f) { balanceFen } }", json!({ "f": fund })).await;
                assert_eq!(bal["fund"]["balanceFen"].as_i64().unwrap(), shares);
            });
            Ok(())
        })
        .unwrap();
    assert!(rt.block_on(app.scalar("SELECT COUNT(*) FROM stock_move WHERE kind = 'sale'")) > 0);
}

/// The policy's rate and lifetime cap: with 2 coins an hour and a 3-hour cap, 2 + 2
/// approved hours deposit 240 then 120 coin minutes, a third approval nothing; a
/// revocation withdraws what its hours deposited.
#[tokio::test]
async fn deposits_follow_the_policys_rate_and_lifetime_cap() {
    let path = std::env::temp_dir().join(format!(
        "kapok-cap-policy-{}-{}.toml",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let text = policies::DEFAULT_POLICY
        .replace("coins_per_hour = 1", "coins_per_hour = 2")
        .replace("lifetime_cap_hours = 1500", "lifetime_cap_hours = 3");
    std::fs::write(&path, text).unwrap();
    let file = path.to_str().unwrap().to_owned();
    let app = kapok_tests::spawn_app_with(|c| c.policy_file = Some(file)).await;
    let _ = std::fs::remove_file(&path);
    let (_, worker) = app
        .user_with_role("cap_worker", YANYUNXI, Some("social_worker"))
        .await;
    let (me, _) = resident(&app, "cap_vol", "19500101", 41).await;
    let log = "mutation($t: DateTime!) { logHours(input: { hours: 2, content: \"值守\", startedAt: $t }) { serviceRecord { id } } }";
    let t = json!({ "t": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339() });
    let mut firsts = Vec::new();
    for expected in [240, 360, 360] {
        let r = app.data_as(&me, log, t.clone()).await;
        firsts.push(r["logHours"]["serviceRecord"]["id"].clone());
        approve_all(&app, &worker).await;
        let a = app
            .data_as(
                &me,
                "{ myTimeAccount { balanceMinutes depositedMinutes statement { totalCount } } }",
                json!({}),
            )
            .await;
        assert_eq!(a["myTimeAccount"]["balanceMinutes"], expected, "{a:#}");
        assert_eq!(a["myTimeAccount"]["depositedMinutes"], expected);
    }
    let lines = app
        .data_as(
            &me,
            "{ myTimeAccount { statement { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        lines["myTimeAccount"]["statement"]["totalCount"], 2,
        "nothing past the cap"
    );
    let (_, district) = app
        .user_with_role("cap_district", "440104", Some("district_admin"))
        .await;
    app.data_as(&district, "mutation($id: ID!) { revokeServiceRecord(input: { id: $id, reason: \"虚报\" }) { serviceRecord { id } } }", json!({ "id": firsts[0] }))
        .await;
    let a = app
        .data_as(
            &me,
            "{ myTimeAccount { balanceMinutes depositedMinutes } }",
            json!({}),
        )
        .await;
    assert_eq!(a["myTimeAccount"]["balanceMinutes"], 120);
    assert_eq!(a["myTimeAccount"]["depositedMinutes"], 120);
}

#[derive(Debug, Clone)]
enum CoinOp {
    Earn { old: bool, hours: u32 },
    Spend(i64),
    Gift(i64),
    Pool { old: bool, minutes: i64 },
    Rush(i64),
    Revoke(usize),
}

fn coin_op() -> impl proptest::strategy::Strategy<Value = CoinOp> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (any::<bool>(), 1..4u32).prop_map(|(old, hours)| CoinOp::Earn { old, hours }),
        2 => (10..200i64).prop_map(CoinOp::Spend),
        2 => (10..200i64).prop_map(CoinOp::Gift),
        1 => (any::<bool>(), 10..100i64).prop_map(|(old, minutes)| CoinOp::Pool { old, minutes }),
        2 => (30..120i64).prop_map(CoinOp::Rush),
        1 => (0..16usize).prop_map(CoinOp::Revoke),
    ]
}

/// Random earning, spending, gifts, pool donations, rushes of three concurrent
/// spends and fraud revocations: every entry balances, every balance is the sum of
/// its lines, a spend never takes an account below zero (only a revocation may),
/// and what an account took in for service never passes the cap.
#[test]
fn time_bank_balances_are_their_lines_under_random_movements() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, worker, district, old, young, old_id) = rt.block_on(async {
        let app = spawn_app().await;
        let (_, worker) = app.user_with_role("pb_worker", YANYUNXI, Some("social_worker")).await;
        let (_, district) = app.user_with_role("pb_district", "440104", Some("district_admin")).await;
        let (old, old_id) = resident(&app, "pb_old", "19480101", 51).await;
        let (young, young_id) = resident(&app, "pb_young", "19920101", 52).await;
        app.data_as(
            &worker,
            "mutation($i: RegisterRelativeInput!) { registerRelative(input: $i) { account { id } } }",
            json!({ "i": { "volunteerId": young_id, "relativeId": old_id, "relation": "GRANDPARENT" } }),
        )
        .await;
        (app, worker, district, old, young, old_id)
    });
    let allowed = |r: &Value, ok: &[&str]| {
        if !r["errors"].is_null() {
            assert!(ok.contains(&reason(r)), "{r:#}");
        }
    };
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 6,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    runner
        .run(&proptest::collection::vec(coin_op(), 1..14), |ops| {
            rt.block_on(async {
                for op in ops {
                    match op {
                        CoinOp::Earn { old: o, hours } => {
                            let who = if o { &old } else { &young };
                            app.data_as(who, "mutation($h: Float!, $t: DateTime!) { logHours(input: { hours: $h, content: \"值守\", startedAt: $t }) { serviceRecord { id } } }",
                                json!({ "h": hours, "t": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339() })).await;
                            approve_all(&app, &worker).await;
                        }
                        CoinOp::Spend(m) => {
                            let r = app.gql_as(&old, "mutation($m: Int!) { spendTimeCoins(input: { minutes: $m, note: \"助餐\" }) { account { id } } }", json!({ "m": m })).await;
                            allowed(&r, &["COINS_INSUFFICIENT"]);
                        }
                        CoinOp::Gift(m) => {
                            let r = app.gql_as(&young, "mutation($to: ID!, $m: Int!) { giftTimeCoins(input: { toVolunteerId: $to, minutes: $m }) { account { id } } }", json!({ "to": old_id, "m": m })).await;
                            allowed(&r, &["COINS_INSUFFICIENT"]);
                        }
                        CoinOp::Pool { old: o, minutes } => {
                            let who = if o { &old } else { &young };
                            let r = app.gql_as(who, "mutation($m: Int!) { donateTimeCoins(input: { unitCode: \"440104003\", minutes: $m }) { account { id } } }", json!({ "m": minutes })).await;
                            allowed(&r, &["COINS_INSUFFICIENT"]);
                        }
                        CoinOp::Rush(m) => {
                            let spend = || app.gql_as(&old, "mutation($m: Int!) { spendTimeCoins(input: { minutes: $m, note: \"助浴\" }) { account { id } } }", json!({ "m": m }));
                            let (a, b, c) = futures_util::join!(spend(), spend(), spend());
                            for r in [a, b, c] {
                                allowed(&r, &["COINS_INSUFFICIENT"]);
                            }
                        }
                        CoinOp::Revoke(pick) => {
                            let recs = app.data_as(&worker, "{ serviceRecords(state: APPROVED, first: 100) { nodes { id source } } }", json!({})).await;
                            let originals: Vec<Value> = recs["serviceRecords"]["nodes"].as_array().unwrap().iter()
                                .filter(|n| n["source"] == "LOGGED").map(|n| n["id"].clone()).collect();
                            if let Some(id) = (!originals.is_empty()).then(|| originals[pick % originals.len()].clone()) {
                                let r = app.gql_as(&district, "mutation($id: ID!) { revokeServiceRecord(input: { id: $id, reason: \"虚报\" }) { serviceRecord { id } } }", json!({ "id": id })).await;
                                allowed(&r, &["HOURS_ALREADY_REVOKED", "REVOKES_NON_ORIGINAL"]);
                            }
                        }
                    }
                }
                assert_eq!(app.scalar("SELECT COUNT(*) FROM (SELECT entry_id FROM time_line GROUP BY entry_id HAVING SUM(minutes) <> 0) t").await, 0);
                assert_eq!(app.scalar("SELECT COUNT(*) FROM time_account a WHERE a.balance_minutes <> (SELECT COALESCE(SUM(minutes), 0) FROM time_line l WHERE l.account_id = a.id)").await, 0);
                // Below zero only on an account a revocation withdrew from, and never
                // by a spend: each spend line left a balance of at least zero.
                assert_eq!(app.scalar("SELECT COUNT(*) FROM time_line l JOIN time_entry e ON e.id = l.entry_id WHERE e.kind IN ('service', 'gift', 'pool', 'supermarket') AND l.minutes < 0 AND l.balance_after < 0").await, 0);
                assert_eq!(app.scalar("SELECT COUNT(*) FROM time_account a WHERE a.kind = 'volunteer' AND a.balance_minutes < 0 AND NOT EXISTS (SELECT 1 FROM time_line l JOIN time_entry e ON e.id = l.entry_id WHERE l.account_id = a.id AND e.kind = 'withdrawal')").await, 0);
                assert_eq!(app.scalar("SELECT COUNT(*) FROM time_account WHERE deposited_minutes < 0 OR deposited_minutes > 90000").await, 0);
            });
            Ok(())
        })
        .unwrap();
    assert!(rt.block_on(app.scalar("SELECT COUNT(*) FROM time_entry WHERE kind = 'service'")) > 0);
}
