//! Volunteers, organisations and stations: scoping, personal data masking and its
//! audit, one registration per person, validation of real-world identifiers.

use kapok_tests::{error_codes, spawn_app, TestApp};
use serde_json::{json, Value};

const YANYUNXI: &str = "440104003108"; // 盐运西社区, 北京街道
const LIUYUN: &str = "440104003104"; // 流水井社区, another community of 北京街道
const JIUNANHAI: &str = "440104004102"; // 旧南海县社区, 六榕街道
const ID_A: &str = "440104199003071239"; // male, 1990-03-07
const ID_B: &str = "440104198506150049"; // female, 1985-06-15

const REGISTER: &str = "mutation($i: RegisterVolunteerInput!) { registerVolunteer(input: $i) {
    volunteer { id volunteerNumber realName idNumber phone personalDataMasked gender birthDate unitCode fields partyMember reportedUnitCode } } }";
const VOLUNTEER: &str = "query($id: ID!) { volunteer(id: $id) { id realName idNumber phone personalDataMasked unitCode } }";

fn code_of(body: &Value) -> String {
    error_codes(body).first().cloned().unwrap_or_default()
}

fn volunteer(name: &str, id: &str, unit: &str) -> Value {
    json!({ "i": { "realName": name, "idType": "RESIDENT_ID", "idNumber": id, "phone": "13812345678", "unitCode": unit } })
}

async fn register(app: &TestApp, token: &str, vars: Value) -> Value {
    app.data_as(token, REGISTER, vars).await["registerVolunteer"]["volunteer"].clone()
}

#[tokio::test]
async fn registration_derives_and_validates() {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let mut vars = volunteer("王小明", ID_A, YANYUNXI);
    vars["i"]["fields"] = json!(["elderly_care", "legal_mediation"]);
    vars["i"]["partyMember"] = json!(true);
    vars["i"]["reportedUnitCode"] = json!(LIUYUN);
    let v = register(&app, &worker, vars).await;
    assert_eq!(v["gender"], "MALE");
    assert_eq!(v["birthDate"], "1990-03-07");
    assert_eq!(v["volunteerNumber"].as_str().unwrap().len(), 15);
    assert!(v["volunteerNumber"]
        .as_str()
        .unwrap()
        .starts_with("V440104"));
    assert_eq!(v["fields"], json!(["elderly_care", "legal_mediation"]));
    assert_eq!(v["reportedUnitCode"], LIUYUN);
    assert_eq!(
        v["idNumber"], ID_A,
        "the social worker holds read_personal here"
    );

    let female = register(&app, &worker, volunteer("李小红", ID_B, LIUYUN)).await;
    assert_eq!(female["gender"], "FEMALE");

    let cases = [
        (
            volunteer("坏校验", "440104199003071234", YANYUNXI),
            "check digit",
        ),
        (
            volunteer("短号码", "4401041990030712", YANYUNXI),
            "18 characters",
        ),
        (
            volunteer("街道", "440104200001010059", "440104003"),
            "community or grid",
        ),
        (
            json!({ "i": { "realName": "护照", "idType": "PASSPORT", "idNumber": "E1", "unitCode": YANYUNXI } }),
            "passport",
        ),
        (
            json!({ "i": { "realName": "电话", "idType": "RESIDENT_ID", "idNumber": "440104200001010059", "phone": "12345", "unitCode": YANYUNXI } }),
            "mobile",
        ),
        (
            json!({ "i": { "realName": "领域", "idType": "RESIDENT_ID", "idNumber": "440104200001010059", "unitCode": YANYUNXI, "fields": ["astrology"] } }),
            "service field",
        ),
        (
            json!({ "i": { "realName": "非党员", "idType": "RESIDENT_ID", "idNumber": "440104200001010059", "unitCode": YANYUNXI, "reportedUnitCode": LIUYUN } }),
            "party members",
        ),
    ];
    for (vars, needle) in cases {
        let body = app.gql_as(&worker, REGISTER, vars.clone()).await;
        assert_eq!(code_of(&body), "BAD_USER_INPUT", "{vars}: {body:#}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(needle),
            "{body:#}"
        );
    }
    let passport = register(
        &app,
        &worker,
        json!({ "i": { "realName": "John Smith", "idType": "PASSPORT", "idNumber": "E12345678", "unitCode": YANYUNXI, "gender": "MALE", "birthDate": "1980-01-02" } }),
    )
    .await;
    assert_eq!(passport["gender"], "MALE");
    assert_eq!(passport["birthDate"], "1980-01-02");
}

#[tokio::test]
async fn a_person_registers_once_and_the_refusal_says_nowhere() {
    let app = spawn_app().await;
    let (_, beijing) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let (_, liurong) = app
        .user_with_role("sw_liurong", "440104004", Some("social_worker"))
        .await;
    register(&app, &beijing, volunteer("王小明", ID_A, YANYUNXI)).await;
    // Lower-case x, spaces: the same person.
    let body = app
        .gql_as(
            &liurong,
            REGISTER,
            volunteer("王小明", &format!(" {ID_A} "), JIUNANHAI),
        )
        .await;
    assert_eq!(code_of(&body), "CONFLICT", "{body:#}");
    let msg = body["errors"][0]["message"].as_str().unwrap();
    for leak in ["440104003", "盐运西", "北京", "sw_beijing", "王小明"] {
        assert!(!msg.contains(leak), "{msg}");
    }
}

#[tokio::test]
async fn social_workers_see_their_street_only() {
    let app = spawn_app().await;
    let (_, beijing) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let (_, liurong) = app
        .user_with_role("sw_liurong", "440104004", Some("social_worker"))
        .await;
    let ours = register(&app, &beijing, volunteer("王小明", ID_A, YANYUNXI)).await;
    let theirs = register(&app, &liurong, volunteer("李小红", ID_B, JIUNANHAI)).await;

    let list = app
        .data_as(
            &beijing,
            "{ volunteers(first: 100) { totalCount edges { node { realName unitCode } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["volunteers"]["totalCount"], 1);
    assert_eq!(list["volunteers"]["edges"][0]["node"]["realName"], "王小明");
    for q in [VOLUNTEER, "query($id: ID!) { node(id: $id) { id } }"] {
        let body = app
            .data_as(&beijing, q, json!({ "id": theirs["id"] }))
            .await;
        assert!(
            body.as_object().unwrap().values().all(|v| v.is_null()),
            "{body:#}"
        );
    }
    app.data_as(&beijing, VOLUNTEER, json!({ "id": ours["id"] }))
        .await;
    // Registering in the neighbour's street is refused.
    let body = app
        .gql_as(
            &beijing,
            REGISTER,
            volunteer("张三", "440104200001010059", JIUNANHAI),
        )
        .await;
    assert_eq!(code_of(&body), "FORBIDDEN");
    // Moving a volunteer out of its street is refused; within it is fine.
    let update = "mutation($i: UpdateVolunteerInput!) { updateVolunteer(input: $i) { volunteer { unitCode phone } } }";
    let out = app
        .gql_as(
            &beijing,
            update,
            json!({ "i": { "volunteerId": ours["id"], "unitCode": JIUNANHAI } }),
        )
        .await;
    assert_eq!(code_of(&out), "FORBIDDEN", "{out:#}");
    let moved = app
        .data_as(&beijing, update, json!({ "i": { "volunteerId": ours["id"], "unitCode": LIUYUN, "phone": "139 0000 1111" } }))
        .await;
    assert_eq!(moved["updateVolunteer"]["volunteer"]["unitCode"], LIUYUN);
    assert_eq!(
        moved["updateVolunteer"]["volunteer"]["phone"],
        "13900001111"
    );
    // A district admin sees both streets.
    let (_, district) = app
        .user_with_role("yuexiu_admin", "440104", Some("district_admin"))
        .await;
    let both = app
        .data_as(&district, "{ volunteers { totalCount } }", json!({}))
        .await;
    assert_eq!(both["volunteers"]["totalCount"], 2);
}

#[tokio::test]
async fn personal_data_is_masked_without_the_permission_and_audited_with_it() {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let (_, auditor) = app
        .user_with_role("yuexiu_auditor", "440104", Some("auditor"))
        .await;
    let v = register(&app, &worker, volunteer("王小明", ID_A, YANYUNXI)).await;

    let masked = app
        .data_as(&auditor, VOLUNTEER, json!({ "id": v["id"] }))
        .await["volunteer"]
        .clone();
    assert_eq!(masked["idNumber"], "440104********1239");
    assert_eq!(masked["phone"], "138****5678");
    assert_eq!(masked["personalDataMasked"], true);

    let admin = app.admin_token().await;
    let before = personal_reads(&app, &admin).await;
    let clear = app
        .data_as(&worker, VOLUNTEER, json!({ "id": v["id"] }))
        .await["volunteer"]
        .clone();
    assert_eq!(clear["idNumber"], ID_A);
    assert_eq!(clear["phone"], "13812345678");
    assert_eq!(clear["personalDataMasked"], false);
    // One unmasked read of one volunteer is one audit entry, however many fields.
    assert_eq!(personal_reads(&app, &admin).await, before + 1);
    // The auditor's masked read was not audited as a personal-data read.
    app.data_as(&auditor, VOLUNTEER, json!({ "id": v["id"] }))
        .await;
    assert_eq!(personal_reads(&app, &admin).await, before + 1);
}

#[tokio::test]
async fn a_volunteer_serves_itself() {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let (user_id, me) = app
        .user_with_role("wang_vol", YANYUNXI, Some("volunteer"))
        .await;
    let mut vars = volunteer("王小明", ID_A, YANYUNXI);
    vars["i"]["userId"] = json!(user_id);
    let mine = register(&app, &worker, vars).await;
    let other = register(&app, &worker, volunteer("李小红", ID_B, YANYUNXI)).await;

    let list = app
        .data_as(
            &me,
            "{ volunteers { totalCount edges { node { id idNumber } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["volunteers"]["totalCount"], 1);
    assert_eq!(
        list["volunteers"]["edges"][0]["node"]["idNumber"], ID_A,
        "its own data unmasked"
    );
    let body = app
        .data_as(&me, VOLUNTEER, json!({ "id": other["id"] }))
        .await;
    assert!(body["volunteer"].is_null(), "{body:#}");
    let update = "mutation($i: UpdateVolunteerInput!) { updateVolunteer(input: $i) { volunteer { phone fields } } }";
    let out = app
        .data_as(&me, update, json!({ "i": { "volunteerId": mine["id"], "phone": "13700001111", "fields": ["healthcare"] } }))
        .await;
    assert_eq!(
        out["updateVolunteer"]["volunteer"]["fields"],
        json!(["healthcare"])
    );
    let body = app
        .gql_as(
            &me,
            update,
            json!({ "i": { "volunteerId": other["id"], "phone": "13700001111" } }),
        )
        .await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    let body = app
        .gql_as(
            &me,
            REGISTER,
            volunteer("张三", "440104200001010059", YANYUNXI),
        )
        .await;
    assert_eq!(code_of(&body), "FORBIDDEN");
}

#[tokio::test]
async fn volunteer_filters() {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let mut a = volunteer("王小明", ID_A, YANYUNXI);
    a["i"]["fields"] = json!(["elderly_care"]);
    a["i"]["partyMember"] = json!(true);
    register(&app, &worker, a).await;
    register(&app, &worker, volunteer("李小红", ID_B, LIUYUN)).await;
    let count = |q: &'static str| {
        let (app, worker) = (&app, worker.clone());
        async move {
            app.data_as(&worker, q, json!({})).await["volunteers"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(
        count(r#"{ volunteers(field: "elderly_care") { totalCount } }"#).await,
        1
    );
    assert_eq!(
        count(r#"{ volunteers(partyMember: true) { totalCount } }"#).await,
        1
    );
    assert_eq!(
        count(r#"{ volunteers(search: "小红") { totalCount } }"#).await,
        1
    );
    assert_eq!(
        count(r#"{ volunteers(under: "440104003104") { totalCount } }"#).await,
        1
    );
    assert_eq!(
        count(r#"{ volunteers(under: "440104003") { totalCount } }"#).await,
        2
    );
    let fields = app.data("{ serviceFields { code name } }", json!({})).await;
    assert_eq!(fields["serviceFields"].as_array().unwrap().len(), 10);
    assert_eq!(fields["serviceFields"][0]["name"], "老年人服务");
}

/// On PostgreSQL an unfiltered page in unit order and its kept count (one statement)
/// are read through the pool whose sessions keep one generic plan per statement; a
/// search is planned for its values on the main pool. The answers are the same
/// either way.
#[tokio::test]
async fn steady_statements_run_with_generic_plans() {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    register(&app, &worker, volunteer("王小明", ID_A, YANYUNXI)).await;
    register(&app, &worker, volunteer("李小红", ID_B, LIUYUN)).await;
    let page = "{ volunteers(first: 1) { totalCount edges { cursor node { realName } } } }";
    // More runs than PostgreSQL's five custom plans before it would consider a
    // generic one by itself.
    let mut answers = Vec::new();
    for _ in 0..7 {
        answers.push(app.data_as(&worker, page, json!({})).await);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    let v = &answers[0]["volunteers"];
    assert_eq!(v["totalCount"], 2);
    assert_eq!(v["edges"][0]["node"]["realName"], "李小红");
    let after = app
        .data_as(
            &worker,
            "query($a: String) { volunteers(first: 1, after: $a) { edges { cursor node { realName } } } }",
            json!({ "a": v["edges"][0]["cursor"] }),
        )
        .await;
    assert_eq!(
        after["volunteers"]["edges"][0]["node"]["realName"],
        "王小明"
    );
    // The kept total rides on the page's rows; past the end there are none to carry it.
    let past = app
        .data_as(
            &worker,
            "query($a: String) { volunteers(first: 5, after: $a) { totalCount edges { node { realName } } } }",
            json!({ "a": after["volunteers"]["edges"][0]["cursor"] }),
        )
        .await;
    assert_eq!(past["volunteers"]["totalCount"], 2);
    assert_eq!(past["volunteers"]["edges"], json!([]));
    let elsewhere = app
        .data_as(
            &worker,
            r#"{ volunteers(under: "440104004") { totalCount edges { node { id } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(elsewhere["volunteers"]["totalCount"], 0);
    // So the total costs no statement of its own. (A caller read again, once the
    // PostgreSQL listener has connected and emptied what was kept, adds three to one
    // of the two: measured again.)
    let with_total = "{ volunteers(first: 1) { totalCount edges { node { realName } } } }";
    let without = "{ volunteers(first: 1) { edges { node { realName } } } }";
    let mut same = false;
    for _ in 0..3 {
        let a = app.statements().await;
        app.data_as(&worker, with_total, json!({})).await;
        let b = app.statements().await;
        app.data_as(&worker, without, json!({})).await;
        let c = app.statements().await;
        if b - a == c - b {
            same = true;
            break;
        }
    }
    assert!(same, "a list's total took a statement of its own");
    let searched = app
        .data_as(
            &worker,
            r#"{ volunteers(search: "小明") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(searched["volunteers"]["totalCount"], 1);
    if !app.test_db.is_postgres() {
        return;
    }
    // Each session's last statement: the steady pool ran the page, never the search.
    assert!(
        app.steady_sessions(
            "query LIKE 'SELECT \"volunteer\".%ORDER BY \"volunteer\".\"unit_code\"%'"
        )
        .await
            >= 1
    );
    assert_eq!(
        app.steady_sessions("query LIKE '%volunteer_name_part%'")
            .await,
        0
    );
    // And those sessions plan generically, as a worker's pools are made; its main
    // pool's sessions leave the choice to PostgreSQL.
    let worker = kapok_api::db::connect_workers(app.test_db.url(), 2, 1)
        .await
        .expect("connect")
        .and_then(|mut pools| pools.pop())
        .expect("a worker's pools on PostgreSQL");
    let mode = app_setting(&worker.steady, "plan_cache_mode").await;
    assert_eq!(mode, "force_generic_plan");
    assert_eq!(app_setting(&worker.main, "plan_cache_mode").await, "auto");
}

async fn app_setting(db: &sea_orm::DatabaseConnection, name: &str) -> String {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT current_setting('{name}')"),
        ))
        .await
        .expect("query runs")
        .expect("a row");
    row.try_get_by_index::<String>(0).expect("a setting")
}

/// A page of volunteers with only fields read from the row is resolved in one loop;
/// its answer is the executor's, field for field — aliases, a repeated field,
/// `__typename`, cursors, nulls and both `edges` and `nodes`.
#[tokio::test]
async fn a_flat_page_of_volunteers_answers_as_the_executor_does() {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let mut a = volunteer("王小明", ID_A, YANYUNXI);
    a["i"]["partyMember"] = json!(true);
    a["i"]["partyOrganization"] = json!("北京街道党工委");
    a["i"]["reportedUnitCode"] = json!(LIUYUN);
    register(&app, &worker, a).await;
    register(&app, &worker, volunteer("李小红", ID_B, LIUYUN)).await;
    let page = app
        .flat_and_executor_agree(
            &worker,
            "{ volunteers(first: 10) { totalCount edges { cursor{I} __typename{I} kind: __typename{I}
               node { __typename{I} id{I} volunteerNumber{I} realName{I} name: realName{I} realName{I}
                      idType{I} gender{I} unitCode{I} partyMember{I} partyOrganization{I}
                      reportedUnitCode{I} status{I} registeredAt{I} approvedHours{I} stars{I}
                      barredUntil{I} } }
               nodes { id{I} gender{I} } } }",
        )
        .await;
    let edges = page["volunteers"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    let names: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"王小明") && names.contains(&"李小红"),
        "{names:?}"
    );
    assert_eq!(edges[0]["kind"], "VolunteerEdge");
    assert_eq!(edges[0]["node"]["__typename"], "Volunteer");
    assert!(edges
        .iter()
        .any(|e| e["node"]["partyOrganization"] == "北京街道党工委"));
    assert!(edges
        .iter()
        .any(|e| e["node"]["partyOrganization"].is_null()));
    assert_eq!(page["volunteers"]["nodes"].as_array().unwrap().len(), 2);

    // A narrow flat page reads only its fields' columns (and the sort keys, for the
    // cursors): the same pages, cursors and second pages as the executor's full rows.
    for order in ["UNIT", "NAME", "HOURS", "REGISTERED_AT"] {
        for direction in ["ASC", "DESC"] {
            let by = format!("orderBy: {{ field: {order}, direction: {direction} }}");
            let first = app
                .flat_and_executor_agree(
                    &worker,
                    &format!(
                        "{{ volunteers(first: 1, {by}) {{ totalCount pageInfo {{ endCursor hasNextPage }}
                           edges {{ cursor node {{ gender{{I}} }} }} }} }}"
                    ),
                )
                .await;
            let end = first["volunteers"]["pageInfo"]["endCursor"]
                .as_str()
                .unwrap();
            let second = app
                .flat_and_executor_agree(
                    &worker,
                    &format!(
                        "{{ volunteers(first: 1, after: \"{end}\", {by}) {{
                           nodes {{ realName{{I}} approvedHours{{I}} }} }} }}"
                    ),
                )
                .await;
            assert_eq!(second["volunteers"]["nodes"].as_array().unwrap().len(), 1);
        }
    }

    // A page whose edges' cursors are not selected makes only `pageInfo`'s: the
    // same as when they are, either way, and they page on.
    register(
        &app,
        &worker,
        volunteer("赵小刚", "440104200001011238", YANYUNXI),
    )
    .await;
    for (paging, rows) in [
        ("first: 2", 2),
        ("first: 3", 3),
        ("last: 2", 2),
        ("last: 1", 1),
    ] {
        // The same page, with and without the edges' cursors selected.
        let page = |cursor: &str| {
            format!("{{ volunteers({paging}) {{ pageInfo {{ startCursor endCursor }} edges {{ {cursor}node {{ id }} }} }} }}")
        };
        let with = app.data_as(&worker, &page("cursor "), json!({})).await;
        let without = app.data_as(&worker, &page(""), json!({})).await;
        let edges = with["volunteers"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), rows, "{paging}");
        assert_eq!(
            with["volunteers"]["pageInfo"], without["volunteers"]["pageInfo"],
            "{paging}"
        );
        assert_eq!(
            with["volunteers"]["pageInfo"]["startCursor"],
            edges[0]["cursor"]
        );
        assert_eq!(
            with["volunteers"]["pageInfo"]["endCursor"],
            edges[rows - 1]["cursor"]
        );
    }
    let first = app
        .data_as(
            &worker,
            "{ volunteers(first: 2) { pageInfo { endCursor } nodes { id } } }",
            json!({}),
        )
        .await;
    let end = first["volunteers"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();
    let rest = app
        .data_as(
            &worker,
            &format!("{{ volunteers(first: 5, after: \"{end}\") {{ nodes {{ id }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(rest["volunteers"]["nodes"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn organizations_and_stations() {
    let app = spawn_app().await;
    let (_, street) = app
        .user_with_role("beijing_admin", "440104003", Some("street_admin"))
        .await;
    let org = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { organization { id kind creditCode unitCode } } }";
    let created = app
        .data_as(&street, org, json!({ "i": { "name": "北京街社工服务中心", "kind": "SOCIAL_WORK_AGENCY", "creditCode": "52440104mj0000001m", "unitCode": "440104003" } }))
        .await;
    let org_id = created["createOrganization"]["organization"]["id"].clone();
    assert_eq!(
        created["createOrganization"]["organization"]["creditCode"],
        "52440104MJ0000001M"
    );
    for (input, code) in [
        (
            json!({ "name": "重复", "kind": "ENTERPRISE", "creditCode": "52440104MJ0000001M", "unitCode": "440104003" }),
            "CONFLICT",
        ),
        (
            json!({ "name": "坏码", "kind": "ENTERPRISE", "creditCode": "52440104MJ0000001N", "unitCode": "440104003" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "name": "越界", "kind": "ENTERPRISE", "creditCode": "91350100M000100Y43", "unitCode": "440104004" }),
            "FORBIDDEN",
        ),
    ] {
        let body = app.gql_as(&street, org, json!({ "i": input })).await;
        assert_eq!(code_of(&body), code, "{body:#}");
    }
    let st = "mutation($i: CreateStationInput!) { createStation(input: $i) { station { kind organization { id } unitCode openedOn } } }";
    let s = app
        .data_as(&street, st, json!({ "i": { "kind": "SOCIAL_WORK_STATION", "name": "北京街社工站", "unitCode": "440104003", "organizationId": org_id, "openedOn": "2020-05-01" } }))
        .await;
    assert_eq!(s["createStation"]["station"]["organization"]["id"], org_id);
    let bad = app
        .gql_as(&street, st, json!({ "i": { "kind": "CHARITY_SPACE", "name": "x", "unitCode": "440104003", "openedOn": "2020-05-01", "closedOn": "2019-01-01" } }))
        .await;
    assert_eq!(code_of(&bad), "BAD_USER_INPUT");
    let list = app
        .data_as(
            &street,
            "{ stations(kind: SOCIAL_WORK_STATION) { totalCount } organizations { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(list["stations"]["totalCount"], 1);
    assert_eq!(list["organizations"]["totalCount"], 1);
}

async fn personal_reads(app: &TestApp, admin: &str) -> i64 {
    app.data_as(
        admin,
        r#"{ auditLog(action: "volunteer.read_personal") { totalCount } }"#,
        json!({}),
    )
    .await["auditLog"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn teams_form_a_tree_within_scope() {
    let app = spawn_app().await;
    let (_, district) = app
        .user_with_role("yuexiu_admin", "440104", Some("district_admin"))
        .await;
    let (_, beijing) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let (_, liurong) = app
        .user_with_role("sw_liurong", "440104004", Some("social_worker"))
        .await;
    let create = "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id unitCode fields memberCount leader { realName } parent { id } } } }";
    let root = app
        .data_as(
            &district,
            create,
            json!({ "i": { "name": "越秀区志愿服务总队", "unitCode": "440104" } }),
        )
        .await["createTeam"]["team"]
        .clone();
    let field_team = app
        .data_as(&district, create, json!({ "i": { "name": "法律调解分队", "unitCode": "440104", "parentId": root["id"], "fields": ["legal_mediation"] } }))
        .await["createTeam"]["team"]
        .clone();
    assert_eq!(field_team["fields"], json!(["legal_mediation"]));
    let leader = register(&app, &beijing, volunteer("王小明", ID_A, YANYUNXI)).await;
    let street_team = app
        .data_as(&district, create, json!({ "i": { "name": "北京街分队", "unitCode": "440104003", "parentId": root["id"], "leaderId": leader["id"] } }))
        .await["createTeam"]["team"]
        .clone();
    assert_eq!(street_team["memberCount"], 1, "the leader is a member");
    assert_eq!(street_team["leader"]["realName"], "王小明");
    assert_eq!(street_team["parent"]["id"], root["id"]);

    // A sub-team cannot sit outside its parent's unit.
    let body = app
        .gql_as(&district, create, json!({ "i": { "name": "错位", "unitCode": "440104004", "parentId": street_team["id"] } }))
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    // The street's social worker cannot create a team for the district.
    let body = app
        .gql_as(
            &beijing,
            create,
            json!({ "i": { "name": "越权", "unitCode": "440104" } }),
        )
        .await;
    assert_eq!(code_of(&body), "FORBIDDEN");

    // Members: add, duplicate, remove; the leader stays.
    let member = register(&app, &beijing, volunteer("李小红", ID_B, LIUYUN)).await;
    let add = "mutation($i: TeamMemberInput!) { addTeamMember(input: $i) { team { memberCount members { totalCount edges { node { realName } } } } } }";
    let remove =
        "mutation($i: TeamMemberInput!) { removeTeamMember(input: $i) { team { memberCount } } }";
    let ids = json!({ "i": { "teamId": street_team["id"], "volunteerId": member["id"] } });
    let added = app.data_as(&beijing, add, ids.clone()).await;
    assert_eq!(added["addTeamMember"]["team"]["memberCount"], 2);
    assert_eq!(added["addTeamMember"]["team"]["members"]["totalCount"], 2);
    assert_eq!(
        code_of(&app.gql_as(&beijing, add, ids.clone()).await),
        "CONFLICT"
    );
    let removed = app.data_as(&beijing, remove, ids.clone()).await;
    assert_eq!(removed["removeTeamMember"]["team"]["memberCount"], 1);
    assert_eq!(
        code_of(&app.gql_as(&beijing, remove, ids).await),
        "NOT_FOUND"
    );
    let leader_ids = json!({ "i": { "teamId": street_team["id"], "volunteerId": leader["id"] } });
    assert_eq!(
        code_of(&app.gql_as(&beijing, remove, leader_ids).await),
        "BAD_USER_INPUT"
    );
    // The neighbour's social worker sees no Beijing team and cannot touch it.
    let theirs = app
        .data_as(&liurong, "{ teams { totalCount } }", json!({}))
        .await;
    assert_eq!(theirs["teams"]["totalCount"], 0);
    let foreign = register(
        &app,
        &liurong,
        volunteer("张三", "440104200001010059", JIUNANHAI),
    )
    .await;
    let body = app
        .gql_as(
            &liurong,
            add,
            json!({ "i": { "teamId": street_team["id"], "volunteerId": foreign["id"] } }),
        )
        .await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    // Sub-teams of the root, as the district sees them.
    let subs = app
        .data_as(
            &district,
            "query($p: ID) { teams(parentId: $p) { totalCount } }",
            json!({ "p": root["id"] }),
        )
        .await;
    assert_eq!(subs["teams"]["totalCount"], 2);

    // Projects belong to a team or an organisation.
    let project = "mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id field team { id } unitCode } } }";
    let p = app
        .data_as(&beijing, project, json!({ "i": { "name": "长者饭堂助餐", "field": "elderly_care", "unitCode": "440104003", "teamId": street_team["id"], "startsOn": "2026-01-01", "endsOn": "2026-12-31" } }))
        .await;
    assert_eq!(
        p["createProject"]["project"]["team"]["id"],
        street_team["id"]
    );
    for (input, code) in [
        (
            json!({ "name": "无主", "field": "elderly_care", "unitCode": "440104003" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "name": "怪领域", "field": "astrology", "unitCode": "440104003", "teamId": street_team["id"] }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "name": "越界", "field": "elderly_care", "unitCode": "440104004", "teamId": street_team["id"] }),
            "FORBIDDEN",
        ),
    ] {
        let body = app.gql_as(&beijing, project, json!({ "i": input })).await;
        assert_eq!(code_of(&body), code, "{body:#}");
    }
    let listed = app
        .data_as(
            &beijing,
            r#"{ projects(field: "elderly_care") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(listed["projects"]["totalCount"], 1);
}

/// Every resource the policy lets a caller update has an update mutation: fields left
/// out stay, `null` clears, each change is audited with its old and new value, and the
/// rules of creation hold (scope, validation, owners, no team cycles).
#[tokio::test]
async fn organizations_stations_teams_projects_and_users_are_updated_in_scope() {
    let app = spawn_app().await;
    let (_, street) = app
        .user_with_role("upd_beijing", "440104003", Some("street_admin"))
        .await;
    let (_, liurong) = app
        .user_with_role("upd_liurong", "440104004", Some("street_admin"))
        .await;
    let org = app
        .data_as(&street, "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { organization { id } } }",
            json!({ "i": { "name": "北京街社工服务中心", "kind": "SOCIAL_WORK_AGENCY", "creditCode": "52440104mj0000001m", "unitCode": "440104003", "contactName": "陈姑娘", "contactPhone": "13800138000" } }))
        .await["createOrganization"]["organization"]["id"]
        .clone();
    let upd_org = "mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { organization { name kind contactName contactPhone creditCode } } }";
    let o = app
        .data_as(&street, upd_org, json!({ "i": { "id": org, "name": "北京街道社工服务中心", "kind": "SOCIAL_ORGANIZATION", "contactPhone": null } }))
        .await;
    let o = &o["updateOrganization"]["organization"];
    assert_eq!(o["name"], "北京街道社工服务中心");
    assert_eq!(o["kind"], "SOCIAL_ORGANIZATION");
    assert_eq!(o["contactName"], "陈姑娘", "left out: kept");
    assert!(o["contactPhone"].is_null(), "null: cleared");
    assert_eq!(o["creditCode"], "52440104MJ0000001M");
    let body = app
        .gql_as(
            &street,
            upd_org,
            json!({ "i": { "id": org, "contactPhone": "12345" } }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    let body = app
        .gql_as(
            &liurong,
            upd_org,
            json!({ "i": { "id": org, "name": "越界" } }),
        )
        .await;
    assert_eq!(
        code_of(&body),
        "NOT_FOUND",
        "another street's record is not there"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'organization.update'")
            .await,
        1,
        "refused and empty changes are not audited"
    );

    // A station is renamed and closed; closing before opening is refused.
    let station = app
        .data_as(&street, "mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } } }",
            json!({ "i": { "kind": "DONATION_POINT", "name": "盐运西捐赠点", "unitCode": YANYUNXI, "openedOn": "2021-03-01" } }))
        .await["createStation"]["station"]["id"]
        .clone();
    let upd_station = "mutation($i: UpdateStationInput!) { updateStation(input: $i) { station { name closedOn organization { id } } } }";
    let s = app
        .data_as(
            &street,
            upd_station,
            json!({ "i": { "id": station, "closedOn": "2026-11-30", "organizationId": org } }),
        )
        .await;
    assert_eq!(s["updateStation"]["station"]["closedOn"], "2026-11-30");
    assert_eq!(s["updateStation"]["station"]["organization"]["id"], org);
    let body = app
        .gql_as(
            &street,
            upd_station,
            json!({ "i": { "id": station, "closedOn": "2020-01-01" } }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");

    // Teams: renamed, new fields, a leader who joins, a parent, and no cycles.
    let team = |name: &str, parent: Value| {
        let app = &app;
        let street = street.clone();
        let name = name.to_owned();
        async move {
            app.data_as(
                &street,
                "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }",
                json!({ "i": { "name": name, "unitCode": "440104003", "parentId": parent } }),
            )
            .await["createTeam"]["team"]["id"]
                .clone()
        }
    };
    let root = team("北京街道志愿服务总队", Value::Null).await;
    let child = team("助老分队", root.clone()).await;
    let leader = register(&app, &street, volunteer("李队长", ID_A, YANYUNXI)).await;
    let upd_team = "mutation($i: UpdateTeamInput!) { updateTeam(input: $i) { team { name fields memberCount leader { id } parent { id } } } }";
    let t = app
        .data_as(&street, upd_team, json!({ "i": { "id": child, "name": "长者服务分队", "fields": ["elderly_care", "healthcare"], "leaderId": leader["id"] } }))
        .await;
    let t = &t["updateTeam"]["team"];
    assert_eq!(t["name"], "长者服务分队");
    assert_eq!(t["fields"], json!(["elderly_care", "healthcare"]));
    assert_eq!(t["memberCount"], 1, "the new leader joined");
    assert_eq!(t["leader"]["id"], leader["id"]);
    assert_eq!(t["parent"]["id"], root);
    for (input, why) in [
        (json!({ "id": root, "parentId": child }), "its own sub-team"),
        (json!({ "id": root, "parentId": root }), "itself"),
        (
            json!({ "id": child, "fields": ["no_such_field"] }),
            "an unknown field",
        ),
    ] {
        let body = app.gql_as(&street, upd_team, json!({ "i": input })).await;
        assert_eq!(code_of(&body), "BAD_USER_INPUT", "{why}: {body:#}");
    }
    let t = app
        .data_as(
            &street,
            upd_team,
            json!({ "i": { "id": child, "parentId": null, "leaderId": null } }),
        )
        .await;
    assert!(t["updateTeam"]["team"]["parent"].is_null());
    assert!(t["updateTeam"]["team"]["leader"].is_null());

    // Projects keep an owner.
    let project = app
        .data_as(&street, "mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id } } }",
            json!({ "i": { "name": "长者饭堂", "field": "elderly_care", "unitCode": "440104003", "teamId": root, "description": "" } }))
        .await["createProject"]["project"]["id"]
        .clone();
    let upd_project = "mutation($i: UpdateProjectInput!) { updateProject(input: $i) { project { name description team { id } organization { id } } } }";
    let body = app
        .gql_as(
            &street,
            upd_project,
            json!({ "i": { "id": project, "teamId": null } }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT", "no owner left: {body:#}");
    let p = app
        .data_as(&street, upd_project, json!({ "i": { "id": project, "teamId": null, "organizationId": org, "description": "每周三午餐" } }))
        .await;
    assert!(p["updateProject"]["project"]["team"].is_null());
    assert_eq!(p["updateProject"]["project"]["organization"]["id"], org);
    assert_eq!(p["updateProject"]["project"]["description"], "每周三午餐");

    // Users: anyone renames themselves; moving someone needs the scope at both ends.
    let (worker_id, worker) = app
        .user_with_role("upd_worker", "440104003", Some("social_worker"))
        .await;
    let upd_user = "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { displayName unitCode } } }";
    let me = app
        .data_as(
            &worker,
            upd_user,
            json!({ "i": { "id": worker_id, "displayName": "社工小陈" } }),
        )
        .await;
    assert_eq!(me["updateUser"]["user"]["displayName"], "社工小陈");
    let body = app
        .gql_as(
            &worker,
            upd_user,
            json!({ "i": { "id": worker_id, "homeUnitCode": YANYUNXI } }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT", "nobody moves themselves");
    let moved = app
        .data_as(
            &street,
            upd_user,
            json!({ "i": { "id": worker_id, "homeUnitCode": YANYUNXI } }),
        )
        .await;
    assert_eq!(moved["updateUser"]["user"]["unitCode"], YANYUNXI);
    let body = app
        .gql_as(
            &street,
            upd_user,
            json!({ "i": { "id": worker_id, "homeUnitCode": JIUNANHAI } }),
        )
        .await;
    assert_eq!(
        code_of(&body),
        "FORBIDDEN",
        "the destination is outside the street"
    );
    let body = app
        .gql_as(
            &liurong,
            upd_user,
            json!({ "i": { "id": worker_id, "displayName": "x" } }),
        )
        .await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    for action in [
        "station.update",
        "team.update",
        "project.update",
        "user.update",
    ] {
        let n = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
            ))
            .await;
        assert!(n >= 1, "{action} audited");
    }
}

/// A valid resident ID number born 1990-03-07 in Yuexiu, with sequence `seq`.
fn resident_id(seq: u32) -> String {
    kapok_tests::resident_id("19900307", seq)
}

/// Name search reads the kept name parts (migration 000017) instead of scanning; it
/// must find exactly what the scan finds — the same `LIKE` on each database, through
/// registrations, renames and rows written by SQL — and a search counts to 1,000
/// matches, then says it stopped there.
#[tokio::test]
async fn name_search_finds_what_a_scan_finds_and_caps_its_count() {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("sw_beijing", "440104003", Some("social_worker"))
        .await;
    let names = [
        "王小明",
        "李小红",
        "小小",
        "Anna Li",
        "阿卜杜热合曼·买买提明", // 11 characters: parts are cut to 10
        "50%_折扣",
    ];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let v = register(
            &app,
            &worker,
            volunteer(name, &resident_id(i as u32 + 1), YANYUNXI),
        )
        .await;
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    let number = app
        .data_as(
            &worker,
            "{ volunteers(first: 1) { nodes { volunteerNumber } } }",
            json!({}),
        )
        .await["volunteers"]["nodes"][0]["volunteerNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let search = "query($s: String) { volunteers(search: $s, first: 50) { totalCount totalCountCapped nodes { realName } } }";
    let check = |text: String| {
        let (app, worker, search) = (&app, worker.clone(), search);
        async move {
            let got = app.data_as(&worker, search, json!({ "s": text })).await;
            // The scan it replaced, on the same database (SQLite's LIKE ignores the
            // case of ASCII letters, PostgreSQL's does not).
            let escaped = text
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
                .replace('\'', "''");
            let scan = app
                .scalar(&format!(
                    "SELECT COUNT(*) FROM volunteer WHERE real_name LIKE '%{escaped}%' ESCAPE '\\' \
                     OR volunteer_number = '{}'",
                    text.replace('\'', "''")
                ))
                .await;
            let list = &got["volunteers"];
            assert_eq!(list["totalCount"], scan.min(1000), "{text}: {got}");
            assert_eq!(
                list["nodes"].as_array().unwrap().len() as i64,
                scan.min(50),
                "{text}"
            );
            assert_eq!(list["totalCountCapped"], scan > 1000, "{text}");
        }
    };
    for text in [
        "小",
        "小红",
        "王小明",
        "小小",
        "Anna",
        "anna",
        "li",
        "A",
        "明",
        "阿卜杜热合曼·买买提明",
        "杜热合曼·买买提明",
        "阿卜杜热合曼·买买提明x",
        "%",
        "_",
        "%_",
        "王大明",
        "'",
        &number,
    ] {
        check(text.to_owned()).await;
    }

    // A rename moves the name's parts.
    let rename = "mutation($i: UpdateVolunteerInput!) { updateVolunteer(input: $i) { volunteer { realName } } }";
    app.data_as(
        &worker,
        rename,
        json!({ "i": { "volunteerId": ids[0], "realName": "赵大明" } }),
    )
    .await;
    for text in ["王小明", "赵大明", "大明", "小明", "明"] {
        check(text.to_owned()).await;
    }

    // Rows written by SQL get their parts too; a search stops counting at 1,000.
    // Past 2,000 candidates a search walks the list instead of reading them: both
    // ways must find the same.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(
            "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 2100) \
             INSERT INTO volunteer (volunteer_number, real_name, id_kind, id_number, phone, gender, \
               birth_date, unit_code, party_member, status, created_at, updated_at, approved_half_hours, stars) \
             SELECT 'T' || n.k, '张三丰', v.id_kind, 'T' || n.k, v.phone, v.gender, v.birth_date, \
               v.unit_code, v.party_member, v.status, v.created_at, v.updated_at, 0, 0 \
             FROM volunteer v, n WHERE v.real_name = '李小红'",
        )
        .await
        .unwrap();
    let many = app
        .data_as(
            &worker,
            "{ volunteers(search: \"三丰\", first: 5) { totalCount totalCountCapped pageInfo { hasNextPage } nodes { realName } } }",
            json!({}),
        )
        .await;
    assert_eq!(many["volunteers"]["totalCount"], 1000, "{many}");
    assert_eq!(many["volunteers"]["totalCountCapped"], true);
    assert_eq!(many["volunteers"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(many["volunteers"]["nodes"][4]["realName"], "张三丰");
    for text in [
        "李小红",
        "三丰",
        "张三",
        "丰",
        "小",
        "T17",
        "T2100",
        "T2101",
    ] {
        check(text.to_owned()).await;
    }
    // A blank search is no search: not capped, and counted as the list without one is
    // (from the kept figures, which the rows written by SQL above bypassed, so a
    // COUNT over the rows would differ).
    let blank = app
        .data_as(
            &worker,
            "{ volunteers(search: \"  \", first: 1) { totalCount totalCountCapped } }",
            json!({}),
        )
        .await;
    let unsearched = app
        .data_as(
            &worker,
            "{ volunteers(first: 1) { totalCount totalCountCapped } }",
            json!({}),
        )
        .await;
    assert_eq!(blank, unsearched);
    assert_eq!(blank["volunteers"]["totalCountCapped"], false, "{blank}");
    // A list that is not a search counts exactly, past the cap too.
    let all = app
        .data_as(
            &worker,
            "{ volunteers(partyMember: false, first: 1) { totalCount totalCountCapped } }",
            json!({}),
        )
        .await;
    assert_eq!(all["volunteers"]["totalCountCapped"], false);
    assert_eq!(
        all["volunteers"]["totalCount"],
        app.scalar("SELECT COUNT(*) FROM volunteer WHERE NOT party_member")
            .await
    );
}

/// Pages of volunteers are decoded by `rows::VolunteerRows` (the columns matched once a
/// statement, cells by position, on PostgreSQL types checked once a statement), single
/// rows by `rows::VolunteerRow`; every value must be what sea-orm's derived decoding
/// reads from the same row, NULL or not, in any column order, on both databases.
#[tokio::test]
async fn volunteer_rows_decode_as_the_derived_model_does() {
    use chrono::{TimeZone, Utc};
    use entity::kinds::{Gender, IdType, VolunteerStatus};
    use entity::volunteer::{self, Column as C};
    use kapok_api::services::rows::{PartialVolunteerRow, VolunteerRow, VolunteerRows};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect, Set};

    let app = spawn_app().await;
    let user = entity::user::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("the bootstrap administrator")
        .id;
    let at = Utc.with_ymd_and_hms(2026, 3, 7, 8, 30, 15).unwrap()
        + chrono::Duration::microseconds(123_456);
    // One row with every nullable column set, one with every one NULL.
    let full = volunteer::ActiveModel {
        volunteer_number: Set(Some("44010400300001".into())),
        real_name: Set("欧阳子轩".into()),
        id_kind: Set(IdType::Passport),
        id_number: Set("E12345678".into()),
        phone: Set(Some("13812345678".into())),
        gender: Set(Gender::Female),
        birth_date: Set(chrono::NaiveDate::from_ymd_opt(1985, 6, 15)),
        unit_code: Set(YANYUNXI.into()),
        user_id: Set(Some(user)),
        party_member: Set(true),
        party_organization: Set(Some("北京街道党工委".into())),
        reported_unit_code: Set(Some(LIUYUN.into())),
        status: Set(VolunteerStatus::Active),
        created_at: Set(at),
        updated_at: Set(at + chrono::Duration::days(1)),
        approved_half_hours: Set(9_000_000_001),
        stars: Set(5),
        barred_until: Set(Some(at + chrono::Duration::days(365))),
        ..Default::default()
    };
    let empty = volunteer::ActiveModel {
        volunteer_number: Set(None),
        real_name: Set("Li".into()),
        id_kind: Set(IdType::ResidentId),
        id_number: Set(ID_A.into()),
        phone: Set(None),
        gender: Set(Gender::Unknown),
        birth_date: Set(None),
        unit_code: Set(JIUNANHAI.into()),
        user_id: Set(None),
        party_member: Set(false),
        party_organization: Set(None),
        reported_unit_code: Set(None),
        status: Set(VolunteerStatus::Active),
        created_at: Set(at),
        updated_at: Set(at),
        approved_half_hours: Set(0),
        stars: Set(0),
        barred_until: Set(None),
        ..Default::default()
    };
    full.insert(&app.db).await.unwrap();
    empty.insert(&app.db).await.unwrap();

    /// The rows of `q` as decoded by `M`.
    async fn read_as<M: sea_orm::FromQueryResult + Into<volunteer::Model>>(
        app: &TestApp,
        q: sea_orm::Select<volunteer::Entity>,
    ) -> Result<Vec<volunteer::Model>, sea_orm::DbErr> {
        let rows = q.into_model::<M>().all(&app.db).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
    /// The rows of `q` as a page reads them: one statement's rows by one decoder.
    async fn page_as(
        app: &TestApp,
        q: sea_orm::Select<volunteer::Entity>,
        mut rows: VolunteerRows,
    ) -> Result<Vec<volunteer::Model>, sea_orm::DbErr> {
        use sea_orm::{ConnectionTrait, QueryTrait};
        let read = app.db.query_all(&q.into_query()).await?;
        read.iter().map(|row| rows.read(row, "")).collect()
    }
    let all = || volunteer::Entity::find().order_by_asc(C::Id);
    let whole = all().all(&app.db).await.unwrap();
    assert_eq!(whole.len(), 2);
    let decoded = read_as::<VolunteerRow>(&app, all()).await.unwrap();
    assert_eq!(decoded, whole);
    assert!(decoded[0].phone.is_some() && decoded[1].phone.is_none());
    // The second row follows the plan the first made (NULLs where the first had values).
    assert_eq!(
        page_as(&app, all(), VolunteerRows::full()).await.unwrap(),
        whole
    );
    assert_eq!(
        page_as(&app, all(), VolunteerRows::partial())
            .await
            .unwrap(),
        whole
    );

    // The columns the other way round, with one the model does not have, and
    // placeholders in the personal columns' place.
    let mut columns = vec![
        C::Id,
        C::VolunteerNumber,
        C::RealName,
        C::IdKind,
        C::Gender,
        C::UnitCode,
        C::UserId,
        C::PartyMember,
        C::PartyOrganization,
        C::ReportedUnitCode,
        C::Status,
        C::CreatedAt,
        C::UpdatedAt,
        C::ApprovedHalfHours,
        C::Stars,
        C::BarredUntil,
    ];
    columns.reverse();
    let reordered = || {
        all()
            .select_only()
            .expr_as(Expr::val(7), "not_a_column")
            .columns(columns.clone())
            .expr_as(Expr::val(""), "id_number")
            .expr_as(Expr::cust("NULL"), "phone")
            .expr_as(Expr::cust("CAST(NULL AS DATE)"), "birth_date")
    };
    let derived = reordered().all(&app.db).await.unwrap();
    let decoded = read_as::<VolunteerRow>(&app, reordered()).await.unwrap();
    assert_eq!(decoded, derived);
    assert_eq!(
        page_as(&app, reordered(), VolunteerRows::full())
            .await
            .unwrap(),
        derived
    );
    assert_eq!(decoded[0].id_number, "");
    assert_eq!(
        decoded[0].party_organization.as_deref(),
        Some("北京街道党工委")
    );

    // A column missing is an error either way, not a default...
    let short = || all().select_only().columns([C::Id, C::RealName, C::Phone]);
    assert!(short().all(&app.db).await.is_err());
    assert!(read_as::<VolunteerRow>(&app, short()).await.is_err());
    assert!(page_as(&app, short(), VolunteerRows::full()).await.is_err());
    // ...except in a partial row, which holds what was read and leaves the rest empty.
    let partial = read_as::<PartialVolunteerRow>(&app, short()).await.unwrap();
    assert_eq!(partial.len(), 2);
    assert_eq!(
        page_as(&app, short(), VolunteerRows::partial())
            .await
            .unwrap(),
        partial
    );
    // A column of another type is an error, not a value: on PostgreSQL the type is
    // checked once for the statement and the cells are then read unchecked — an
    // integer's four bytes would read as text.
    let mistyped = || {
        all()
            .select_only()
            .columns([C::Id, C::UnitCode])
            .expr_as(Expr::val(7), "real_name")
    };
    assert!(read_as::<PartialVolunteerRow>(&app, mistyped())
        .await
        .is_err());
    assert!(page_as(&app, mistyped(), VolunteerRows::partial())
        .await
        .is_err());
    for (p, w) in partial.iter().zip(&whole) {
        assert_eq!(
            (p.id, &p.real_name, &p.phone),
            (w.id, &w.real_name, &w.phone)
        );
        assert_eq!(
            (p.unit_code.as_str(), p.stars, p.barred_until),
            ("", 0, None)
        );
    }
}
