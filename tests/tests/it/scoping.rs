//! Scoping with real Guangzhou data: a street office sees its street, never its
//! neighbour's; delegation never escalates.

use kapok_tests::{error_codes, spawn_app, TestApp};
use serde_json::{json, Value};

const BEIJING_ST: &str = "440104003"; // 北京街道
const YANYUNXI: &str = "440104003108"; // 盐运西社区 (in 北京街道)
const LIURONG_ST: &str = "440104004"; // 六榕街道
const JIUNANHAI: &str = "440104004102"; // 旧南海县社区 (in 六榕街道)
const YUEXIU: &str = "440104"; // 越秀区

fn code_of(body: &Value) -> String {
    error_codes(body).first().cloned().unwrap_or_default()
}

struct World {
    app: TestApp,
    admin: String,
    street_admin: String,
    district_admin: String,
    resident_in: String,
    resident_out: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, street_admin) = app
        .user_with_role("beijing_admin", BEIJING_ST, Some("street_admin"))
        .await;
    let (_, district_admin) = app
        .user_with_role("yuexiu_admin", YUEXIU, Some("district_admin"))
        .await;
    let (resident_in, _) = app
        .user_with_role("yanyunxi_vol", YANYUNXI, Some("volunteer"))
        .await;
    let (resident_out, _) = app
        .user_with_role("jiunanhai_vol", JIUNANHAI, Some("volunteer"))
        .await;
    World {
        app,
        admin,
        street_admin,
        district_admin,
        resident_in,
        resident_out,
    }
}

fn usernames(data: &Value) -> Vec<String> {
    data["users"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["username"].as_str().unwrap().to_owned())
        .collect()
}

const USERS: &str = "query($under: String) { users(under: $under, first: 100) { totalCount edges { node { id username unitCode } } } }";

#[tokio::test]
async fn a_street_admin_sees_its_street_only() {
    let w = world().await;
    let data = w.app.data_as(&w.street_admin, USERS, json!({})).await;
    let names = usernames(&data);
    assert!(names.contains(&"yanyunxi_vol".to_owned()), "{names:?}");
    assert!(names.contains(&"beijing_admin".to_owned()));
    assert!(!names.contains(&"jiunanhai_vol".to_owned()), "{names:?}");
    assert!(
        !names.contains(&"yuexiu_admin".to_owned()),
        "the district is above the street"
    );
    assert!(!names.contains(&"admin".to_owned()));
    for e in data["users"]["edges"].as_array().unwrap() {
        assert!(e["node"]["unitCode"]
            .as_str()
            .unwrap()
            .starts_with(BEIJING_ST));
    }
    assert_eq!(data["users"]["totalCount"], json!(names.len()));

    // Asking for the neighbour's subtree gives nothing, not an error that confirms it.
    let other = w
        .app
        .data_as(&w.street_admin, USERS, json!({ "under": LIURONG_ST }))
        .await;
    assert_eq!(other["users"]["totalCount"], 0);

    // Their IDs are null, exactly like IDs that do not exist.
    for q in [
        "query($id: ID!) { node(id: $id) { id } }",
        "query($id: ID!) { user(id: $id) { id } }",
    ] {
        let hidden = w
            .app
            .gql_as(&w.street_admin, q, json!({ "id": w.resident_out }))
            .await;
        let missing = w
            .app
            .gql_as(&w.street_admin, q, json!({ "id": "VXNlcjo5OTk5OQ" }))
            .await;
        assert!(hidden.get("errors").is_none(), "{hidden:#}");
        assert_eq!(hidden, missing);
        assert!(
            hidden["data"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| v.is_null()),
            "{hidden:#}"
        );
        let seen = w
            .app
            .data_as(&w.street_admin, q, json!({ "id": w.resident_in }))
            .await;
        assert!(seen.as_object().unwrap().values().next().unwrap()["id"].is_string());
    }
}

#[tokio::test]
async fn a_district_admin_sees_both_streets() {
    let w = world().await;
    let names = usernames(&w.app.data_as(&w.district_admin, USERS, json!({})).await);
    for n in [
        "yanyunxi_vol",
        "jiunanhai_vol",
        "beijing_admin",
        "yuexiu_admin",
    ] {
        assert!(names.contains(&n.to_owned()), "{n} missing from {names:?}");
    }
    assert!(
        !names.contains(&"admin".to_owned()),
        "the city is above the district"
    );
}

#[tokio::test]
async fn a_volunteer_sees_only_itself() {
    let w = world().await;
    let token = w.app.login("yanyunxi_vol", "yanyunxi_vol-password").await;
    let names = usernames(&w.app.data_as(&token, USERS, json!({})).await);
    assert_eq!(names, ["yanyunxi_vol"]);
    let me = w
        .app
        .data_as(&token, "{ me { roles { role } disabled } }", json!({}))
        .await;
    assert_eq!(me["me"]["roles"][0]["role"], "volunteer");
    let assignments = w
        .app
        .data_as(&token, "{ roleAssignments { totalCount } }", json!({}))
        .await;
    assert_eq!(
        assignments["roleAssignments"]["totalCount"], 0,
        "no role_assignment.read"
    );
    let log = w
        .app
        .data_as(&token, "{ auditLog { totalCount } }", json!({}))
        .await;
    assert_eq!(log["auditLog"]["totalCount"], 0);
}

#[tokio::test]
async fn anonymous_callers_get_only_public_data() {
    let w = world().await;
    let data = w.app.data(USERS, json!({})).await;
    assert_eq!(data["users"]["totalCount"], 0);
    let units = w
        .app
        .data(r#"{ units(level: DISTRICT) { totalCount } }"#, json!({}))
        .await;
    assert_eq!(units["units"]["totalCount"], 11);
    let grant = w
        .app
        .gql(
            "mutation($i: GrantRoleInput!) { grantRole(input: $i) { assignment { id } } }",
            json!({ "i": { "userId": w.resident_in, "role": "volunteer", "unitCode": YANYUNXI } }),
        )
        .await;
    assert_eq!(code_of(&grant), "UNAUTHENTICATED");
}

const GRANT: &str = "mutation($i: GrantRoleInput!) { grantRole(input: $i) { assignment { id role unitCode expiresAt } } }";

#[tokio::test]
async fn delegation_is_bounded() {
    let w = world().await;
    let grant = |role: &str, unit: &str, expires: Value| json!({ "i": { "userId": w.resident_in, "role": role, "unitCode": unit, "expiresAt": expires } });
    // Within its street, a lower role: fine.
    let ok = w
        .app
        .data_as(
            &w.street_admin,
            GRANT,
            grant("social_worker", YANYUNXI, json!(null)),
        )
        .await;
    assert_eq!(ok["grantRole"]["assignment"]["role"], "social_worker");
    // The same again is a conflict.
    let dup = w
        .app
        .gql_as(
            &w.street_admin,
            GRANT,
            grant("social_worker", YANYUNXI, json!(null)),
        )
        .await;
    assert_eq!(code_of(&dup), "CONFLICT");

    // Outside its street.
    let out = w
        .app
        .gql_as(
            &w.street_admin,
            GRANT,
            grant("social_worker", JIUNANHAI, json!(null)),
        )
        .await;
    assert_eq!(code_of(&out), "FORBIDDEN", "{out:#}");
    assert!(out["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("outside"));
    // Its own rank or higher.
    for (role, unit) in [
        ("street_admin", BEIJING_ST),
        ("district_admin", YUEXIU),
        ("city_admin", "4401"),
    ] {
        let body = w
            .app
            .gql_as(&w.street_admin, GRANT, grant(role, unit, json!(null)))
            .await;
        assert_eq!(code_of(&body), "FORBIDDEN", "{role}: {body:#}");
    }
    // A user outside its scope does not exist for it.
    let hidden = w
        .app
        .gql_as(
            &w.street_admin,
            GRANT,
            json!({ "i": { "userId": w.resident_out, "role": "volunteer", "unitCode": YANYUNXI } }),
        )
        .await;
    assert_eq!(code_of(&hidden), "NOT_FOUND");
    // Nor can it grant itself anything.
    let me = w
        .app
        .data_as(&w.street_admin, "{ me { id } }", json!({}))
        .await;
    let own = w
        .app
        .gql_as(
            &w.street_admin,
            GRANT,
            json!({ "i": { "userId": me["me"]["id"], "role": "auditor", "unitCode": BEIJING_ST } }),
        )
        .await;
    assert_eq!(code_of(&own), "FORBIDDEN");
}

#[tokio::test]
async fn a_grant_cannot_outlive_the_grantor() {
    let w = world().await;
    // The admin gives a street admin a role that ends in a week.
    let week = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let month = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let day = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (temp_id, _) = w.app.user_with_role("temp_admin", BEIJING_ST, None).await;
    w.app
        .data_as(&w.admin, GRANT, json!({ "i": { "userId": temp_id, "role": "street_admin", "unitCode": BEIJING_ST, "expiresAt": week } }))
        .await;
    let temp = w.app.login("temp_admin", "temp_admin-password").await;
    let grant = |expires: Value| json!({ "i": { "userId": w.resident_in, "role": "social_worker", "unitCode": YANYUNXI, "expiresAt": expires } });
    for expires in [json!(month), json!(null)] {
        let body = w.app.gql_as(&temp, GRANT, grant(expires.clone())).await;
        assert_eq!(code_of(&body), "FORBIDDEN", "{expires}: {body:#}");
        assert!(body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expire later"));
    }
    let ok = w.app.data_as(&temp, GRANT, grant(json!(day))).await;
    assert!(ok["grantRole"]["assignment"]["expiresAt"].is_string());
    let past = w.app.gql_as(&w.admin, GRANT, json!({ "i": { "userId": w.resident_in, "role": "auditor", "unitCode": YANYUNXI, "expiresAt": "2020-01-01T00:00:00Z" } })).await;
    assert_eq!(code_of(&past), "BAD_USER_INPUT");
}

#[tokio::test]
async fn revoking_follows_the_same_rules() {
    let w = world().await;
    let assignments = w
        .app
        .data_as(&w.district_admin, r#"{ roleAssignments(role: "street_admin") { edges { node { id unitCode user { username } } } } }"#, json!({}))
        .await;
    let street_assignment = assignments["roleAssignments"]["edges"][0]["node"]["id"].clone();
    let revoke = "mutation($i: RevokeRoleInput!) { revokeRole(input: $i) { assignment { id } } }";
    // The street admin cannot revoke its own role (nor anyone's at its rank).
    let own = w
        .app
        .gql_as(
            &w.street_admin,
            revoke,
            json!({ "i": { "assignmentId": street_assignment } }),
        )
        .await;
    assert_eq!(code_of(&own), "FORBIDDEN", "{own:#}");
    // The district admin above it can.
    w.app
        .data_as(
            &w.district_admin,
            revoke,
            json!({ "i": { "assignmentId": street_assignment } }),
        )
        .await;
}

#[tokio::test]
async fn users_are_created_only_in_scope() {
    let w = world().await;
    let q =
        "mutation($i: CreateUserInput!) { createUser(input: $i) { user { username unitCode } } }";
    let input = |name: &str, unit: &str| json!({ "i": { "username": name, "password": "long-enough-1", "displayName": "张三", "homeUnitCode": unit } });
    let ok = w
        .app
        .data_as(&w.street_admin, q, input("zhangsan", YANYUNXI))
        .await;
    assert_eq!(ok["createUser"]["user"]["unitCode"], YANYUNXI);
    let out = w
        .app
        .gql_as(&w.street_admin, q, input("lisi", JIUNANHAI))
        .await;
    assert_eq!(code_of(&out), "FORBIDDEN");
    let taken = w
        .app
        .gql_as(&w.street_admin, q, input("zhangsan", YANYUNXI))
        .await;
    assert_eq!(code_of(&taken), "CONFLICT");
    for bad in [
        input("X", YANYUNXI),
        input("wangwu", "12x"),
        input("wangwu", "440104003999"),
    ] {
        let body = w.app.gql_as(&w.street_admin, q, bad.clone()).await;
        assert!(
            ["BAD_USER_INPUT", "NOT_FOUND"].contains(&code_of(&body).as_str()),
            "{bad}: {body:#}"
        );
    }
}

#[tokio::test]
async fn units_are_added_and_renamed_in_scope() {
    let w = world().await;
    let create = "mutation($i: CreateUnitInput!) { createUnit(input: $i) { unit { code level parent { code } } } }";
    let grid = w
        .app
        .data_as(&w.street_admin, create, json!({ "i": { "parentCode": YANYUNXI, "code": "440104003108001", "name": "一号网格" } }))
        .await;
    assert_eq!(grid["createUnit"]["unit"]["level"], "GRID");
    assert_eq!(grid["createUnit"]["unit"]["parent"]["code"], YANYUNXI);
    let cases = [
        (
            json!({ "parentCode": JIUNANHAI, "code": "440104004102001", "name": "网格" }),
            "FORBIDDEN",
        ),
        (
            json!({ "parentCode": YANYUNXI, "code": "440104003109001", "name": "网格" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "parentCode": YANYUNXI, "code": "440104003108001", "name": "网格" }),
            "CONFLICT",
        ),
        (
            json!({ "parentCode": YANYUNXI, "code": "440104003108002", "name": " " }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "parentCode": "440104003199", "code": "440104003199001", "name": "网格" }),
            "NOT_FOUND",
        ),
    ];
    for (input, code) in cases {
        let body = w
            .app
            .gql_as(&w.street_admin, create, json!({ "i": input }))
            .await;
        assert_eq!(code_of(&body), code, "{input}: {body:#}");
    }
    let bad_code = w
        .app
        .gql_as(
            &w.street_admin,
            create,
            json!({ "i": { "parentCode": YANYUNXI, "code": "440104003109001", "name": "网格" } }),
        )
        .await;
    assert!(bad_code["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("440104003109001"));
    let rename = "mutation($i: RenameUnitInput!) { renameUnit(input: $i) { unit { name } } }";
    let ok = w
        .app
        .data_as(
            &w.street_admin,
            rename,
            json!({ "i": { "code": YANYUNXI, "name": "盐运西社区" } }),
        )
        .await;
    assert_eq!(ok["renameUnit"]["unit"]["name"], "盐运西社区");
    let out = w
        .app
        .gql_as(
            &w.street_admin,
            rename,
            json!({ "i": { "code": LIURONG_ST, "name": "x" } }),
        )
        .await;
    assert_eq!(code_of(&out), "FORBIDDEN");
}

#[tokio::test]
async fn permissions_and_explanations() {
    let w = world().await;
    let perms = |unit: &str| json!({ "u": unit });
    let q = "query($u: String!) { myPermissions(unitCode: $u) { resource action } }";
    let inside = w.app.data_as(&w.street_admin, q, perms(YANYUNXI)).await;
    let list = inside["myPermissions"].as_array().unwrap();
    assert!(list.contains(&json!({ "resource": "ROLE_ASSIGNMENT", "action": "GRANT" })));
    assert!(list.contains(&json!({ "resource": "UNIT", "action": "READ" })));
    let outside = w.app.data_as(&w.street_admin, q, perms(JIUNANHAI)).await;
    assert_eq!(
        outside["myPermissions"],
        json!([{ "resource": "UNIT", "action": "READ" }, { "resource": "ACTIVITY", "action": "BROWSE" }, { "resource": "STAR_NOMINATION", "action": "READ" }, { "resource": "DISCLOSURE", "action": "READ" }, { "resource": "HELP_REQUEST", "action": "BROWSE" }]),
        "only what is public"
    );

    let explain = "query($i: ExplainAccessInput!) { explainAccess(input: $i) { allowed reason assignment { role unitCode } } }";
    let e = w
        .app
        .data_as(&w.district_admin, explain, json!({ "i": { "userId": w.resident_in, "resource": "USER", "action": "READ", "unitCode": YANYUNXI } }))
        .await;
    assert_eq!(e["explainAccess"]["allowed"], false);
    let roles = w
        .app
        .data_as(
            &w.district_admin,
            "{ roleAssignments(role: \"street_admin\") { edges { node { user { id } } } } }",
            json!({}),
        )
        .await;
    let street_admin_id = roles["roleAssignments"]["edges"][0]["node"]["user"]["id"].clone();
    let e = w
        .app
        .data_as(&w.district_admin, explain, json!({ "i": { "userId": street_admin_id, "resource": "USER", "action": "DISABLE", "unitCode": YANYUNXI } }))
        .await;
    assert_eq!(e["explainAccess"]["allowed"], true);
    assert_eq!(e["explainAccess"]["assignment"]["role"], "street_admin");
    assert!(e["explainAccess"]["reason"]
        .as_str()
        .unwrap()
        .contains("street_admin at 440104003"));
    // The street admin cannot ask about a unit outside its street.
    let out = w
        .app
        .gql_as(&w.street_admin, explain, json!({ "i": { "userId": w.resident_in, "resource": "USER", "action": "READ", "unitCode": JIUNANHAI } }))
        .await;
    assert_eq!(code_of(&out), "FORBIDDEN");

    let roles = w
        .app
        .data(
            "{ roles { name rank levels grantable permissions { resource actions scope } } }",
            json!({}),
        )
        .await;
    let names: Vec<&str> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for n in [
        "province_admin",
        "city_admin",
        "district_admin",
        "street_admin",
        "community_admin",
        "social_worker",
        "fund_manager",
        "auditor",
        "volunteer",
    ] {
        assert!(names.contains(&n), "{n}");
    }
}

#[tokio::test]
async fn field_rules_hide_fields_without_the_permission() {
    let w = world().await;
    // A social worker may read users in its street but not their role assignments.
    let (_, worker) = w
        .app
        .user_with_role("sw_beijing", BEIJING_ST, Some("social_worker"))
        .await;
    let q = "query($id: ID!) { user(id: $id) { username disabled roles { role } } }";
    let seen = w
        .app
        .data_as(&worker, q, json!({ "id": w.resident_in }))
        .await;
    assert_eq!(seen["user"]["username"], "yanyunxi_vol");
    assert_eq!(seen["user"]["roles"], json!(null));
    assert_eq!(seen["user"]["disabled"], false);
    let by_admin = w
        .app
        .data_as(&w.street_admin, q, json!({ "id": w.resident_in }))
        .await;
    assert_eq!(by_admin["user"]["roles"][0]["role"], "volunteer");
}
