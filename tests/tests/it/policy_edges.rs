//! The policy edges an attacker found: managing stronger accounts, volunteers moving
//! themselves or logging hours anywhere, second records approving the first's hours,
//! and units named outside the caller's scope.

use kapok_tests::{error_codes, spawn_app, TestApp};
use serde_json::{json, Value};

const REGISTER: &str = "mutation($i: RegisterVolunteerInput!) { registerVolunteer(input: $i) { volunteer { id unitCode } } }";
const LOG: &str =
    "mutation($i: LogHoursInput!) { logHours(input: $i) { serviceRecord { id state } } }";
const APPROVE: &str =
    "mutation($id: ID!) { approveServiceRecord(input: { id: $id }) { serviceRecord { state } } }";

fn message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn register(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql_as(token, REGISTER, json!({ "i": input })).await
}

fn id(body: &Value) -> String {
    body["data"]["registerVolunteer"]["volunteer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body:#}"))
        .to_owned()
}

async fn ago_hours(h: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339()
}

#[tokio::test]
async fn managing_a_user_needs_the_power_to_grant_every_role_it_holds() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, street) = app
        .user_with_role("sa_edge", "440104003", Some("street_admin"))
        .await;
    // A district admin who happens to live in the street.
    let (district_admin, _) = app.user_with_role("da_home", "440104003108", None).await;
    app.data_as(
        &admin,
        "mutation($i: GrantRoleInput!) { grantRole(input: $i) { assignment { id } } }",
        json!({ "i": { "userId": district_admin, "role": "district_admin", "unitCode": "440104" } }),
    )
    .await;
    let (community_admin, _) = app
        .user_with_role("ca_edge", "440104003108", Some("community_admin"))
        .await;
    let disable =
        "mutation($i: SetUserDisabledInput!) { setUserDisabled(input: $i) { user { disabled } } }";
    let body = app
        .gql_as(
            &street,
            disable,
            json!({ "i": { "userId": district_admin, "disabled": true } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body:#}");
    assert!(
        message(&body).contains("holds district_admin at 440104"),
        "{body:#}"
    );
    let body = app
        .gql_as(
            &street,
            disable,
            json!({ "i": { "userId": community_admin, "disabled": true } }),
        )
        .await;
    assert_eq!(
        body["data"]["setUserDisabled"]["user"]["disabled"], true,
        "{body:#}"
    );
}

#[tokio::test]
async fn a_volunteer_asks_to_move_and_the_destination_decides() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (mover_user, mover) = app
        .user_with_role("mover", "440104003108", Some("volunteer"))
        .await;
    let v = id(&register(
        &app,
        &admin,
        json!({ "realName": "李四", "idType": "RESIDENT_ID", "idNumber": "440104199003071239", "unitCode": "440104003108", "userId": mover_user }),
    )
    .await);
    let (_, origin) = app
        .user_with_role("origin_admin", "440104003", Some("street_admin"))
        .await;
    let (_, destination) = app
        .user_with_role("dest_admin", "440105001", Some("street_admin"))
        .await;
    let moved = app
        .data_as(
            &mover,
            "mutation($i: UpdateVolunteerInput!) { updateVolunteer(input: $i) { volunteer { unitCode } moveRequest { id state fromUnitCode toUnitCode } } }",
            json!({ "i": { "volunteerId": v, "unitCode": "440105001101" } }),
        )
        .await;
    let payload = &moved["updateVolunteer"];
    assert_eq!(
        payload["volunteer"]["unitCode"], "440104003108",
        "not moved yet"
    );
    assert_eq!(payload["moveRequest"]["state"], "PENDING");
    let request = payload["moveRequest"]["id"].as_str().unwrap().to_owned();
    // Audited where the volunteer is and where it wants to go.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.move_requested' AND unit_code IN ('440104003108', '440105001101')")
            .await,
        2
    );
    let accept = "mutation($id: ID!) { acceptVolunteerMove(input: { id: $id }) { moveRequest { state volunteer { unitCode } } } }";
    // Neither the volunteer itself nor the origin's administrators decide.
    let body = app.gql_as(&mover, accept, json!({ "id": request })).await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body:#}");
    let body = app.gql_as(&origin, accept, json!({ "id": request })).await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body:#}");
    let pending = app
        .data_as(
            &destination,
            "{ volunteerMoves(state: PENDING) { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(pending["volunteerMoves"]["totalCount"], 1);
    let done = app
        .data_as(&destination, accept, json!({ "id": request }))
        .await;
    assert_eq!(
        done["acceptVolunteerMove"]["moveRequest"]["state"],
        "ACCEPTED"
    );
    assert_eq!(
        done["acceptVolunteerMove"]["moveRequest"]["volunteer"]["unitCode"],
        "440105001101"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.move_accepted'")
            .await,
        2
    );
    // Decided once.
    let again = app
        .gql_as(&destination, accept, json!({ "id": request }))
        .await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);
}

#[tokio::test]
async fn own_hours_are_logged_only_where_the_volunteer_serves() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (user, vol) = app
        .user_with_role("hours_self", "440104003108", Some("volunteer"))
        .await;
    register(
        &app,
        &admin,
        json!({ "realName": "赵六", "idType": "RESIDENT_ID", "idNumber": "440104198506150049", "unitCode": "440104003108", "userId": user }),
    )
    .await;
    let at_city = app
        .gql_as(
            &vol,
            LOG,
            json!({ "i": { "hours": 24, "unitCode": "4401", "content": "值守", "startedAt": ago_hours(30).await } }),
        )
        .await;
    assert_eq!(error_codes(&at_city), ["FORBIDDEN"], "{at_city:#}");
    let elsewhere = app
        .gql_as(
            &vol,
            LOG,
            json!({ "i": { "hours": 2, "unitCode": "440104004102", "content": "值守", "startedAt": ago_hours(30).await } }),
        )
        .await;
    assert_eq!(error_codes(&elsewhere), ["FORBIDDEN"], "{elsewhere:#}");
    let at_home = app
        .data_as(
            &vol,
            LOG,
            json!({ "i": { "hours": 2, "content": "社区值守", "startedAt": ago_hours(30).await } }),
        )
        .await;
    assert_eq!(at_home["logHours"]["serviceRecord"]["state"], "RECORDED");
}

#[tokio::test]
async fn one_record_per_account_and_self_approval_checks_the_person() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (worker_user, worker) = app
        .user_with_role("sw_person", "440104003", Some("social_worker"))
        .await;
    let (_, other_approver) = app
        .user_with_role("sa_person", "440104003", Some("street_admin"))
        .await;
    id(&register(
        &app,
        &admin,
        json!({ "realName": "王小明", "idType": "RESIDENT_ID", "idNumber": "440104199003071239", "unitCode": "440104003108", "userId": worker_user }),
    )
    .await);
    // The same account cannot carry a second record…
    let second = register(
        &app,
        &admin,
        json!({ "realName": "王小明", "idType": "PASSPORT", "idNumber": "E12345678", "gender": "MALE", "birthDate": "1990-03-07", "unitCode": "440104003108", "userId": worker_user }),
    )
    .await;
    assert_eq!(error_codes(&second), ["CONFLICT"], "{second:#}");
    // …and a second record of the same person under a passport, without the
    // account, does not let the person approve its hours.
    let passport = id(&register(
        &app,
        &admin,
        json!({ "realName": "王小明", "idType": "PASSPORT", "idNumber": "E12345678", "gender": "MALE", "birthDate": "1990-03-07", "unitCode": "440104003108" }),
    )
    .await);
    let logged = app
        .data_as(
            &admin,
            LOG,
            json!({ "i": { "volunteerId": passport, "hours": 8, "content": "补录", "reason": "纸质签到表", "startedAt": ago_hours(40).await } }),
        )
        .await;
    let record = logged["logHours"]["serviceRecord"]["id"].clone();
    let body = app.gql_as(&worker, APPROVE, json!({ "id": record })).await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body:#}");
    let body = app
        .data_as(&other_approver, APPROVE, json!({ "id": record }))
        .await;
    assert_eq!(
        body["approveServiceRecord"]["serviceRecord"]["state"],
        "APPROVED"
    );
}

#[tokio::test]
async fn the_community_reported_to_is_checked_like_every_unit() {
    let app = spawn_app().await;
    let (_, street) = app
        .user_with_role("sa_report", "440104003", Some("street_admin"))
        .await;
    let outside = register(
        &app,
        &street,
        json!({ "realName": "党员甲", "idType": "RESIDENT_ID", "idNumber": "440104199003071239", "unitCode": "440104003108", "partyMember": true, "reportedUnitCode": "440105001101" }),
    )
    .await;
    assert_eq!(error_codes(&outside), ["FORBIDDEN"], "{outside:#}");
    let inside = register(
        &app,
        &street,
        json!({ "realName": "党员甲", "idType": "RESIDENT_ID", "idNumber": "440104199003071239", "unitCode": "440104003108", "partyMember": true, "reportedUnitCode": "440104003108" }),
    )
    .await;
    let v = id(&inside);
    let moved = app
        .gql_as(
            &street,
            "mutation($i: UpdateVolunteerInput!) { updateVolunteer(input: $i) { volunteer { id } } }",
            json!({ "i": { "volunteerId": v, "reportedUnitCode": "440105001101" } }),
        )
        .await;
    assert_eq!(error_codes(&moved), ["FORBIDDEN"], "{moved:#}");
}

#[tokio::test]
async fn admins_see_what_they_may_grant_and_reset_passwords_of_users_they_manage() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, street) = app
        .user_with_role("sa_grants", "440104003", Some("street_admin"))
        .await;
    let grantable = "query($u: String!) { grantableRoles(unitCode: $u) { role { name } until } }";
    let inside = app
        .data_as(&street, grantable, json!({ "u": "440104003108" }))
        .await;
    let names: Vec<&str> = inside["grantableRoles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "community_admin",
            "auditor",
            "fund_manager",
            "social_worker",
            "volunteer"
        ]
    );
    assert!(inside["grantableRoles"][0]["until"].is_null());
    let outside = app
        .data_as(&street, grantable, json!({ "u": "440105001101" }))
        .await;
    assert_eq!(outside["grantableRoles"], json!([]));

    // A social worker of the street, signed in.
    let (worker_id, worker_token) = app
        .user_with_role("sw_reset", "440104003108", Some("social_worker"))
        .await;
    let reset = "mutation($i: ResetPasswordInput!) { resetPassword(input: $i) { user { username } temporaryPassword } }";
    let out = app
        .data_as(&street, reset, json!({ "i": { "userId": worker_id } }))
        .await;
    let temporary = out["resetPassword"]["temporaryPassword"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(temporary.len(), 16);
    // Every session of the user ended.
    let body = app
        .gql_as(&worker_token, "{ me { username } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
    // The one-time password signs in, but only to choose a new one.
    let login = app
        .gql(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken passwordChangeRequired } }",
            json!({ "i": { "username": "sw_reset", "password": temporary } }),
        )
        .await;
    assert_eq!(
        login["data"]["login"]["passwordChangeRequired"], true,
        "{login:#}"
    );
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = app
        .gql_as(&token, "{ volunteers { totalCount } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body:#}");
    assert_eq!(
        body["errors"][0]["extensions"]["reason"],
        "PASSWORD_CHANGE_REQUIRED"
    );
    app.data_as(
        &token,
        "mutation($i: ChangePasswordInput!) { changePassword(input: $i) { user { username } } }",
        json!({ "i": { "currentPassword": temporary, "newPassword": "a-new-long-password" } }),
    )
    .await;
    let body = app
        .data_as(&token, "{ volunteers { totalCount } }", json!({}))
        .await;
    assert!(body["volunteers"]["totalCount"].is_number());
    // The audit says it happened, and never what the password was.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'user.reset_password'")
            .await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE summary LIKE '%{temporary}%'"
        ))
        .await,
        0
    );
    // Not a district admin who lives in the street, and not oneself.
    let (district_admin, _) = app.user_with_role("da_reset", "440104003108", None).await;
    app.data_as(
        &admin,
        "mutation($i: GrantRoleInput!) { grantRole(input: $i) { assignment { id } } }",
        json!({ "i": { "userId": district_admin, "role": "district_admin", "unitCode": "440104" } }),
    )
    .await;
    let body = app
        .gql_as(&street, reset, json!({ "i": { "userId": district_admin } }))
        .await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body:#}");
    let me = app.data_as(&street, "{ me { id } }", json!({})).await;
    let body = app
        .gql_as(&street, reset, json!({ "i": { "userId": me["me"]["id"] } }))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
}
