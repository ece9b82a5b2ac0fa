//! Schema-walking leak test: every field on `Query`, discovered by introspection, is
//! exercised as a low-rank caller; nothing outside its scope may come back. A new
//! field is covered automatically, or the test fails until it is classified.

use std::collections::BTreeSet;

use kapok_tests::{error_codes, spawn_app};
use serde_json::{json, Value};

const STREET: &str = "440104003"; // 北京街道: the low-rank callers' scope

/// Fields that are not lists of scoped rows, with why they cannot leak.
const NOT_SCOPED_ROWS: &[(&str, &str)] = &[
    ("me", "the caller itself"),
    ("roles", "the policy's role definitions, not data"),
    ("myPermissions", "the caller's own permissions"),
    (
        "grantableRoles",
        "the caller's own delegation rights: role definitions from the policy",
    ),
    (
        "explainAccess",
        "guarded by access.explain; covered in scoping.rs",
    ),
    ("serviceFields", "a managed list shared by every unit"),
    (
        "unitStats",
        "aggregates, refused outside volunteer.read; covered in demo.rs",
    ),
    (
        "publicActivities",
        "public by activity.browse: PublicActivity has no people in it; covered in community.rs",
    ),
    (
        "publishedNeeds",
        "public by help_request.browse: PublishedNeed never names the beneficiary; covered in community.rs",
    ),
    (
        "suggestedHelpers",
        "volunteers and teams read through the caller's scope (cx.find); covered in community.rs",
    ),
    (
        "helpRequestStats",
        "aggregates, refused without help_request.read at the unit; covered in community.rs",
    ),
    ("myTimeAccount", "the caller's own account"),
    ("myDashboard", "the caller itself"),
    (
        "disclosureCompliance",
        "obligations of funds the caller may read (fund.read); covered in disclosure.rs",
    ),
];

/// Types that are public by policy (unit.read is public): they carry `code`.
/// Types that are public by policy: units (unit.read) and star nominations (a public
/// notice, star_nomination.read; names masked, see service.rs).
/// Published disclosure reports are public (disclosure.read): figures and masked donors.
const PUBLIC_TYPES: &[&str] = &["Unit", "StarNomination", "DisclosureReport"];

async fn introspect(app: &kapok_tests::TestApp) -> Value {
    app.data(
        r#"{ __schema { queryType { fields {
              name
              args { name type { kind name ofType { kind name } } }
              type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
            } } }
            __type(name: "Query") { name } }"#,
        json!({}),
    )
    .await
}

/// The named type under NON_NULL / LIST wrappers.
fn type_name(t: &Value) -> String {
    let mut t = t;
    for _ in 0..8 {
        if let Some(name) = t["name"].as_str() {
            return name.to_owned();
        }
        t = &t["ofType"];
    }
    panic!("type wrapped too deeply for the introspection query: {t}")
}

async fn fields_of(app: &kapok_tests::TestApp, ty: &str) -> BTreeSet<String> {
    let data = app
        .data(
            "query($t: String!) { __type(name: $t) { fields { name } } }",
            json!({ "t": ty }),
        )
        .await;
    data["__type"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|x| x["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Full ID numbers and the phone number of the fixture's volunteers, and its donors'
/// name: personal data that must never reach a caller without `read_personal`.
const PERSONAL: [&str; 5] = [
    "王小明",
    "440104199003071239",
    "440104198506150049",
    "440104200001010059",
    "13812345678",
];

/// Data on both sides of the street's boundary: users and roles, volunteers,
/// organisations, stations, teams, projects, activities with sign-ups, approved
/// hours, nominations and certificates, funds with donations and disbursements,
/// audit entries. Returns the admin's token.
async fn fixture(app: &kapok_tests::TestApp) -> String {
    let admin = app.admin_token().await;
    // Data on both sides of the boundary, including audit entries and assignments.
    app.user_with_role("in_admin", STREET, Some("street_admin"))
        .await;
    app.user_with_role("in_worker", "440104003108", Some("social_worker"))
        .await;
    app.user_with_role("in_vol", "440104003108", Some("volunteer"))
        .await;
    app.user_with_role("out_admin", "440104004", Some("street_admin"))
        .await;
    app.user_with_role("out_vol", "440104004102", Some("volunteer"))
        .await;
    app.user_with_role("far_vol", "440105001101", Some("volunteer"))
        .await;
    app.login_payload("out_vol", "wrong-password").await;
    // Approvers other than the admin who records (no one approves their own entries).
    let (_, d104) = app
        .user_with_role("d_yuexiu", "440104", Some("district_admin"))
        .await;
    let (_, d105) = app
        .user_with_role("d_haizhu", "440105", Some("district_admin"))
        .await;
    let credit_codes = [
        "91350100M000100Y43",
        "53440104MJL000001E",
        "52440104MJ0000001M",
    ];
    for (i, (community, id_number)) in [
        ("440104003108", "440104199003071239"),
        ("440104004102", "440104198506150049"),
        ("440105001101", "440104200001010059"),
    ]
    .into_iter()
    .enumerate()
    {
        let street = &community[..9];
        let made = app.data_as(
            &admin,
            r#"mutation($v: RegisterVolunteerInput!, $o: CreateOrganizationInput!, $s: CreateStationInput!) {
                 registerVolunteer(input: $v) { volunteer { id } }
                 createOrganization(input: $o) { organization { id } }
                 createStation(input: $s) { station { id } } }"#,
            json!({
                "v": { "realName": format!("志愿者{i}"), "idType": "RESIDENT_ID", "idNumber": id_number, "unitCode": community, "phone": "13812345678" },
                "o": { "name": format!("社工机构{i}"), "kind": "SOCIAL_WORK_AGENCY", "creditCode": credit_codes[i], "unitCode": street },
                "s": { "kind": "SOCIAL_WORK_STATION", "name": format!("社工站{i}"), "unitCode": street },
            }),
        )
        .await;
        let fund = app.data_as(
            &admin,
            "mutation($i: OpenFundInput!) { openFund(input: $i) { fund { id } } }",
            json!({ "i": { "unitCode": street, "name": format!("慈善基金{i}"), "holderName": "广州市慈善会", "purpose": "扶老助困", "openedOn": "2026-01-01" } }),
        )
        .await;
        let fund_id = fund["openFund"]["fund"]["id"].clone();
        let campaign = app.data_as(
            &admin,
            "mutation($i: StartCampaignInput!) { startCampaign(input: $i) { campaign { id } } }",
            json!({ "i": { "fundId": fund_id, "name": format!("重阳敬老{i}"), "startsOn": "2026-01-01", "endsOn": "2026-12-31", "channels": ["BANK_TRANSFER", "CASH"] } }),
        )
        .await;
        let campaign_id = campaign["startCampaign"]["campaign"]["id"].clone();
        let pledge = app.data_as(
            &admin,
            "mutation($i: RecordPledgeInput!) { recordPledge(input: $i) { pledge { id } } }",
            json!({ "i": { "fundId": fund_id, "campaignId": campaign_id, "amountFen": 50000, "donorKind": "PERSON", "donorName": "王小明", "donorContact": "13812345678", "dueOn": "2099-12-31" } }),
        )
        .await;
        app.data_as(
            &admin,
            "mutation($i: RecordDonationInput!) { recordDonation(input: $i) { donation { id } } }",
            json!({ "i": { "fundId": fund_id, "campaignId": campaign_id, "pledgeId": pledge["recordPledge"]["pledge"]["id"], "amountFen": 10000, "donorKind": "PERSON", "donorName": "王小明", "donorContact": "13812345678", "channel": "BANK_TRANSFER", "receivedOn": "2026-02-01" } }),
        )
        .await;
        app.data_as(
            &admin,
            "mutation($i: RecordDonationInput!) { recordDonation(input: $i) { donation { id } } }",
            json!({ "i": { "fundId": fund_id, "kind": "GOODS", "items": [{ "name": "大米", "quantity": 10, "unit": "袋", "valueFen": 60000 }], "donorKind": "PERSON", "donorName": "王小明", "channel": "DONATION_POINT", "receivedOn": "2026-02-02" } }),
        )
        .await;
        app.data_as(
            &admin,
            "mutation($i: ProposeDisbursementInput!) { proposeDisbursement(input: $i) { disbursement { id } } }",
            json!({ "i": { "fundId": fund_id, "campaignId": campaign_id, "amountFen": 5000, "purpose": "临时救助", "payeeKind": "HOUSEHOLD", "payeeName": "王小明" } }),
        )
        .await;
        app.data_as(
            &admin,
            "mutation($i: PublishDisclosureInput!) { publishDisclosure(input: $i) { report { id } } }",
            json!({ "i": { "fundId": fund_id, "campaignId": campaign_id, "kind": "INTERIM", "periodFrom": "2026-01-01", "periodTo": "2026-03-31" } }),
        )
        .await;
        // A help request through publication, a supermarket with stock and a
        // household: community help on both sides of the boundary.
        let help = app
            .data_as(
                &admin,
                "mutation($i: FileHelpRequestInput!) { fileHelpRequest(input: $i) { helpRequest { id } } }",
                json!({ "i": { "unitCode": community, "beneficiaryName": "王小明", "beneficiaryPhone": "13812345678", "beneficiaryAddress": "盐运西路1号", "category": "elderly_care", "urgency": "HIGH", "description": "独居老人需要陪护", "requestedBy": "COMMUNITY_WORKER" } }),
            )
            .await;
        let help = help["fileHelpRequest"]["helpRequest"]["id"].clone();
        for step in ["verifyHelpRequest", "publishHelpRequest"] {
            app.data_as(
                &admin,
                &format!("mutation($id: ID!) {{ {step}(input: {{ id: $id }}) {{ helpRequest {{ id }} }} }}"),
                json!({ "id": help }),
            )
            .await;
        }
        let shop = app
            .data_as(
                &admin,
                "mutation($s: CreateStationInput!) { createStation(input: $s) { station { id } } }",
                json!({ "s": { "kind": "CHARITY_SUPERMARKET", "name": format!("慈善超市{i}"), "unitCode": street } }),
            )
            .await;
        let item = app
            .data_as(
                &admin,
                "mutation($i: AddStockItemInput!) { addStockItem(input: $i) { item { id } } }",
                json!({ "i": { "stationId": shop["createStation"]["station"]["id"], "name": "大米", "priceFen": 1000, "coinMinutes": 60 } }),
            )
            .await;
        let item = item["addStockItem"]["item"]["id"].clone();
        app.data_as(
            &admin,
            "mutation($i: ReceiveGoodsInput!) { receiveGoods(input: $i) { move { id } } }",
            json!({ "i": { "itemId": item, "quantity": 10, "costFen": 5000 } }),
        )
        .await;
        let household = app
            .data_as(
                &admin,
                "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) { household { id } } }",
                json!({ "i": { "unitCode": community, "headName": "王小明", "phone": "13812345678", "category": "MINIMUM_LIVING", "members": 2 } }),
            )
            .await;
        app.data_as(
            &admin,
            "mutation($i: IssueGoodsInput!) { issueGoods(input: $i) { move { id } } }",
            json!({ "i": { "itemId": item, "quantity": 1, "householdId": household["registerHousehold"]["household"]["id"] } }),
        )
        .await;
        let team = app
            .data_as(
                &admin,
                "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }",
                json!({ "i": { "name": format!("分队{i}"), "unitCode": street } }),
            )
            .await;
        app.data_as(
            &admin,
            "mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id } } }",
            json!({ "i": { "name": format!("项目{i}"), "field": "elderly_care", "unitCode": street, "teamId": team["createTeam"]["team"]["id"] } }),
        )
        .await;
        // An activity with a sign-up, approved hours, a nomination and a certificate.
        let volunteer_id = made["registerVolunteer"]["volunteer"]["id"].clone();
        let start = chrono::Utc::now() + chrono::Duration::days(3);
        let act = app
            .data_as(
                &admin,
                "mutation($i: CreateActivityInput!) { createActivity(input: $i) { activity { id } } }",
                json!({ "i": { "title": format!("活动{i}"), "field": "elderly_care", "unitCode": street, "teamId": team["createTeam"]["team"]["id"], "place": "社区", "startsAt": start.to_rfc3339(), "endsAt": (start + chrono::Duration::hours(2)).to_rfc3339(), "capacity": 10 } }),
            )
            .await;
        let act = act["createActivity"]["activity"]["id"].clone();
        app.data_as(
            &admin,
            "mutation($id: ID!) { publishActivity(input: { id: $id }) { activity { id } } }",
            json!({ "id": act }),
        )
        .await;
        app.data_as(&admin, "mutation($a: ID!, $v: ID!) { signUp(input: { activityId: $a, volunteerId: $v }) { signup { id } } }", json!({ "a": act, "v": volunteer_id })).await;
        let approver = if community.starts_with("440105") {
            &d105
        } else {
            &d104
        };
        for _ in 0..5 {
            let r = app
                .data_as(
                    &admin,
                    "mutation($v: ID!, $t: DateTime!) { logHours(input: { volunteerId: $v, hours: 24, content: \"值守\", reason: \"补录\", startedAt: $t }) { serviceRecord { id } } }",
                    json!({ "v": volunteer_id, "t": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339() }),
                )
                .await;
            app.data_as(approver, "mutation($id: ID!) { approveServiceRecord(input: { id: $id }) { serviceRecord { id } } }", json!({ "id": r["logHours"]["serviceRecord"]["id"] })).await;
        }
        let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
        app.data_as(
            &admin,
            "mutation($v: ID!, $f: Date!, $t: Date!, $u: String) { issueCertificate(input: { volunteerId: $v, from: $f, to: $t, unitCode: $u }) { certificate { id } } }",
            json!({ "v": volunteer_id, "f": (today - chrono::Duration::days(7)).to_string(), "t": today.to_string(), "u": street }),
        )
        .await;
    }

    admin
}

#[tokio::test]
async fn no_query_field_leaks_outside_the_callers_scope() {
    let app = spawn_app().await;
    let admin = fixture(&app).await;
    let street_admin = app.login("in_admin", "in_admin-password").await;
    let worker = app.login("in_worker", "in_worker-password").await;
    let volunteer = app.login("in_vol", "in_vol-password").await;
    // Every global ID outside the street, as the admin sees them.
    let all = app
        .data_as(
            &admin,
            r#"{ users(first: 100) { edges { node { id unitCode } } }
                 roleAssignments(first: 100) { edges { node { id unitCode } } }
                 auditLog(first: 100) { edges { node { id unitCode } } }
                 volunteers(first: 100) { edges { node { id unitCode } } }
                 organizations(first: 100) { edges { node { id unitCode } } }
                 stations(first: 100) { edges { node { id unitCode } } }
                 teams(first: 100) { edges { node { id unitCode } } }
                 projects(first: 100) { edges { node { id unitCode } } }
                 activities(first: 100) { edges { node { id unitCode } } }
                 signups(first: 100) { edges { node { id unitCode } } }
                 serviceRecords(first: 100) { edges { node { id unitCode } } }
                 certificates(first: 100) { edges { node { id unitCode } } } }"#,
            json!({}),
        )
        .await;
    // A second request: one more list of 100 would pass the complexity limit.
    let mut all = all;
    let charity = app
        .data_as(
            &admin,
            "{ funds(first: 100) { edges { node { id unitCode } } }
               donations(first: 100) { edges { node { id unitCode } } }
               disbursements(first: 100) { edges { node { id unitCode } } } }",
            json!({}),
        )
        .await;
    all["funds"] = charity["funds"].clone();
    all["donations"] = charity["donations"].clone();
    all["disbursements"] = charity["disbursements"].clone();
    let more = app
        .data_as(
            &admin,
            "{ campaigns(first: 100) { edges { node { id unitCode } } }
               pledges(first: 100) { edges { node { id unitCode } } } }",
            json!({}),
        )
        .await;
    all["campaigns"] = more["campaigns"].clone();
    all["pledges"] = more["pledges"].clone();
    let community = app
        .data_as(
            &admin,
            "{ helpRequests(first: 100) { edges { node { id unitCode } } }
               timeAccounts(first: 100) { edges { node { id unitCode } } }
               households(first: 100) { edges { node { id unitCode } } } }",
            json!({}),
        )
        .await;
    let stock = app
        .data_as(
            &admin,
            "{ stockItems(first: 100) { edges { node { id unitCode } } }
               stockMoves(first: 100) { edges { node { id unitCode } } } }",
            json!({}),
        )
        .await;
    for l in ["helpRequests", "timeAccounts", "households"] {
        all[l] = community[l].clone();
    }
    for l in ["stockItems", "stockMoves"] {
        all[l] = stock[l].clone();
    }
    let mut outside_ids = Vec::new();
    for list in [
        "users",
        "roleAssignments",
        "auditLog",
        "volunteers",
        "organizations",
        "stations",
        "teams",
        "projects",
        "activities",
        "signups",
        "serviceRecords",
        "certificates",
        "funds",
        "donations",
        "disbursements",
        "campaigns",
        "pledges",
        "helpRequests",
        "timeAccounts",
        "households",
        "stockItems",
        "stockMoves",
    ] {
        for e in all[list]["edges"].as_array().unwrap() {
            let unit = e["node"]["unitCode"].as_str().unwrap_or("");
            if !unit.starts_with(STREET) {
                outside_ids.push(e["node"]["id"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(
        outside_ids.len() >= 10,
        "fixture too small: {outside_ids:?}"
    );

    let schema = introspect(&app).await;
    let fields = schema["__schema"]["queryType"]["fields"]
        .as_array()
        .unwrap()
        .clone();
    let mut checked = Vec::new();
    let mut nested = Vec::new();
    for caller in [&street_admin, &worker, &volunteer] {
        for f in &fields {
            let name = f["name"].as_str().unwrap();
            let ty = type_name(&f["type"]);
            let args: Vec<&Value> = f["args"].as_array().unwrap().iter().collect();
            let required: Vec<&str> = args
                .iter()
                .filter(|a| a["type"]["kind"] == "NON_NULL")
                .map(|a| a["name"].as_str().unwrap())
                .collect();
            if NOT_SCOPED_ROWS.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Some(node_ty) = ty.strip_suffix("Connection") {
                assert!(
                    required.is_empty(),
                    "{name}: a list with required arguments needs a rule here"
                );
                let node_fields = fields_of(&app, node_ty).await;
                let probe = if PUBLIC_TYPES.contains(&node_ty) {
                    "__typename"
                } else {
                    assert!(
                        node_fields.contains("unitCode"),
                        "{node_ty} (listed by {name}) has no unitCode: the leak test cannot verify it"
                    );
                    "unitCode"
                };
                let q = format!("{{ {name}(first: 100) {{ edges {{ node {{ id {probe} }} }} }} }}");
                let data = app.data_as(caller, &q, json!({})).await;
                for e in data[name]["edges"].as_array().unwrap() {
                    let id = e["node"]["id"].as_str().unwrap();
                    if PUBLIC_TYPES.contains(&node_ty) {
                        continue;
                    }
                    let unit = e["node"][probe].as_str().unwrap_or("");
                    assert!(unit.starts_with(STREET), "{name} leaked {id} at {unit:?}");
                    assert!(!outside_ids.contains(&id.to_owned()), "{name} leaked {id}");
                }
                // One level below: every relation of the listed rows that is itself
                // a scoped record shows only what the caller may see on its own.
                for (field, selection) in relation_fields(&app, node_ty).await {
                    let q = format!(
                        "{{ {name}(first: 50) {{ edges {{ node {{ {field} {selection} }} }} }} }}"
                    );
                    let data = app.data_as(caller, &q, json!({})).await;
                    for e in data[name]["edges"].as_array().unwrap() {
                        for rel in nested_records(&e["node"][&field]) {
                            let id = rel["id"].as_str().unwrap_or("");
                            let unit = rel["unitCode"].as_str().unwrap_or("");
                            assert!(
                                unit.starts_with(STREET),
                                "{name}.{field} leaked {id} at {unit:?}"
                            );
                            assert!(
                                !outside_ids.contains(&id.to_owned()),
                                "{name}.{field} leaked {id}"
                            );
                        }
                    }
                    nested.push(format!("{node_ty}.{field}"));
                }
                checked.push(name.to_owned());
            } else if required == ["ids"] {
                // Many records by ID: each outside ID is null in its place.
                for chunk in outside_ids.chunks(100) {
                    let q = format!("query($ids: [ID!]!) {{ {name}(ids: $ids) {{ __typename }} }}");
                    let data = app.data_as(caller, &q, json!({ "ids": chunk })).await;
                    let got = data[name].as_array().unwrap();
                    assert_eq!(got.len(), chunk.len());
                    assert!(got.iter().all(Value::is_null), "{name} leaked: {data:#}");
                }
                checked.push(name.to_owned());
            } else if required == ["id"] {
                // A single record by ID: every outside ID is null, exactly like a
                // missing one (or, for a typed field, an ID of another kind is
                // refused as input).
                for id in &outside_ids {
                    let q = format!("query($id: ID!) {{ {name}(id: $id) {{ __typename }} }}");
                    let body = app.gql_as(caller, &q, json!({ "id": id })).await;
                    let codes = error_codes(&body);
                    assert!(
                        codes.is_empty() || codes == ["BAD_USER_INPUT"],
                        "{name}({id}) answered {body:#}"
                    );
                    assert!(
                        body["data"].is_null() || body["data"][name].is_null(),
                        "{name}({id}) leaked"
                    );
                }
                checked.push(name.to_owned());
            } else if PUBLIC_TYPES.contains(&ty.as_str()) {
                checked.push(name.to_owned());
            } else {
                panic!("Query.{name} is not covered by the leak test: classify it");
            }
        }
    }
    // The nested walk reaches the relations front-ends use most.
    for expected in [
        "ServiceRecord.volunteer",
        "ServiceRecord.activity",
        "Signup.volunteer",
        "Team.leader",
        "Team.members",
        "Activity.signups",
        "User.roles",
        "Station.organization",
    ] {
        assert!(
            nested.iter().any(|n| n == expected),
            "{expected} was not walked: {nested:?}"
        );
    }
    for expected in [
        "nodes",
        "teams",
        "projects",
        "volunteers",
        "volunteer",
        "organizations",
        "stations",
        "users",
        "roleAssignments",
        "auditLog",
        "node",
        "user",
        "units",
        "activities",
        "activity",
        "signups",
        "serviceRecords",
        "starNominations",
        "certificates",
        "funds",
        "fund",
        "donations",
        "donation",
        "disbursements",
        "disbursement",
        "campaigns",
        "campaign",
        "pledges",
        "pledge",
        "disclosureReports",
        "disclosureReport",
        "helpRequests",
        "helpRequest",
        "teamApplications",
        "timeAccounts",
        "timeAccount",
        "households",
        "household",
        "stockItems",
        "stockItem",
        "stockMoves",
    ] {
        assert!(
            checked.iter().any(|c| c == expected),
            "{expected} was not walked"
        );
    }
}

/// Fields of `ty` that lead to scoped records (objects, lists of objects or
/// connections whose records have `id` and `unitCode`), with the selection that
/// reads their ids and units. Public types (units) are left out.
async fn relation_fields(app: &kapok_tests::TestApp, ty: &str) -> Vec<(String, String)> {
    let data = app
        .data(
            r#"query($t: String!) { __type(name: $t) { fields {
                 name
                 args { type { kind } }
                 type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
               } } }"#,
            json!({ "t": ty }),
        )
        .await;
    let mut out = Vec::new();
    for f in data["__type"]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let required = f["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"]["kind"] == "NON_NULL");
        let target = type_name(&f["type"]);
        if required || PUBLIC_TYPES.contains(&target.as_str()) {
            continue;
        }
        let name = f["name"].as_str().unwrap().to_owned();
        let (record_ty, selection) = match target.strip_suffix("Connection") {
            Some(node_ty) => (
                node_ty.to_owned(),
                "(first: 10) { edges { node { id unitCode } } }".to_owned(),
            ),
            None => (target.clone(), "{ id unitCode }".to_owned()),
        };
        let fields = fields_of(app, &record_ty).await;
        if fields.contains("id") && fields.contains("unitCode") {
            out.push((name, selection));
        }
    }
    out
}

/// The records in a relation's value: one object, a list, or a connection's nodes.
fn nested_records(v: &Value) -> Vec<&Value> {
    if let Some(edges) = v.get("edges").and_then(Value::as_array) {
        edges.iter().map(|e| &e["node"]).collect()
    } else if let Some(items) = v.as_array() {
        items.iter().filter(|i| !i.is_null()).collect()
    } else if v.is_object() {
        vec![v]
    } else {
        Vec::new()
    }
}

/// The leaf fields of a type (scalars and enums) that take no required argument.
async fn leaf_fields(app: &kapok_tests::TestApp, ty: &str) -> Vec<String> {
    let data = app
        .data(
            r#"query($t: String!) { __type(name: $t) { fields {
                 name
                 args { type { kind } }
                 type { kind ofType { kind ofType { kind ofType { kind } } } }
               } } }"#,
            json!({ "t": ty }),
        )
        .await;
    let mut out = Vec::new();
    for f in data["__type"]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let mut t = &f["type"];
        while t["kind"] == "NON_NULL" || t["kind"] == "LIST" {
            t = &t["ofType"];
        }
        let leaf = t["kind"] == "SCALAR" || t["kind"] == "ENUM";
        let required = f["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"]["kind"] == "NON_NULL");
        if leaf && !required {
            out.push(f["name"].as_str().unwrap().to_owned());
        }
    }
    out
}

/// Every leaf field of every list, read by callers without `volunteer.read_personal`
/// (an auditor of the whole district, a volunteer, an anonymous caller): no full ID
/// number or phone number appears anywhere in what comes back, printable pages and
/// audit summaries included. The admin's unmasked reads are audited.
#[tokio::test]
async fn personal_data_is_masked_in_every_field_without_read_personal() {
    let app = spawn_app().await;
    let admin = fixture(&app).await;
    let (_, auditor) = app
        .user_with_role("district_auditor", "440104", Some("auditor"))
        .await;
    let volunteer = app.login("in_vol", "in_vol-password").await;
    let schema = introspect(&app).await;
    let fields = schema["__schema"]["queryType"]["fields"]
        .as_array()
        .unwrap()
        .clone();
    let mut walked = 0;
    for caller in [Some(&auditor), Some(&volunteer), None] {
        for f in &fields {
            let name = f["name"].as_str().unwrap();
            let ty = type_name(&f["type"]);
            let Some(node_ty) = ty.strip_suffix("Connection") else {
                continue;
            };
            let leaves = leaf_fields(&app, node_ty).await;
            let q = format!(
                "{{ {name}(first: 50) {{ edges {{ node {{ {} }} }} }} }}",
                leaves.join(" ")
            );
            let body = match caller {
                Some(token) => app.gql_as(token, &q, json!({})).await,
                None => app.gql(&q, json!({})).await,
            };
            let text = body.to_string();
            for secret in PERSONAL {
                assert!(
                    !text.contains(secret),
                    "{name} shows {secret} to a caller without read_personal: {text}"
                );
            }
            walked += 1;
        }
    }
    assert!(walked >= 30, "{walked}");
    // The auditor does see the certificates, masked, with the page masked too.
    let certs = app
        .data_as(
            &auditor,
            "{ certificates(first: 10) { edges { node { idNumber personalDataMasked printableHtml } } } }",
            json!({}),
        )
        .await;
    let edges = certs["certificates"]["edges"].as_array().unwrap();
    assert!(!edges.is_empty());
    for e in edges {
        assert_eq!(e["node"]["personalDataMasked"], true);
        assert!(e["node"]["idNumber"].as_str().unwrap().contains("****"));
    }
    // The admin holds read_personal: unmasked, and each read is audited.
    let before = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.read_personal' AND target LIKE 'certificate:%'")
        .await;
    let certs = app
        .data_as(
            &admin,
            "{ certificates(first: 10) { edges { node { idNumber printableHtml } } } }",
            json!({}),
        )
        .await;
    let shown = certs.to_string();
    assert!(shown.contains("440104199003071239"));
    let after = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.read_personal' AND target LIKE 'certificate:%'")
        .await;
    assert_eq!(after - before, 3, "one audited read per certificate");
}
