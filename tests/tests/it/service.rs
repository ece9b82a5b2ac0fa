//! Volunteer service end to end: activities with review, sign-ups under
//! concurrency, check-in/out with rounding, approval without self-approval,
//! corrections, stars with notice periods and level-bound grants, fraud bars,
//! certificates with public verification, statistics and scoping.

use chrono::{Duration, Utc};
use kapok_tests::{error_codes, spawn_app, TestApp};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const STREET: &str = "440104003"; // 北京街道
const YANYUNXI: &str = "440104003108"; // 盐运西社区
const LIURONG: &str = "440104004"; // 六榕街道

/// A valid 18-character resident ID for a person born 1990-01-01 with sequence `seq`.
pub fn resident_id(seq: u32) -> String {
    kapok_tests::resident_id("19900101", seq)
}

fn code(body: &Value) -> String {
    error_codes(body).first().cloned().unwrap_or_default()
}

fn message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

async fn sql(app: &TestApp, stmt: &str) {
    app.db.execute_unprepared(stmt).await.expect("sql");
}

fn ts(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

struct World {
    app: TestApp,
    worker: String,
    reviewer: String,
    vol_token: String,
    volunteer_id: String,
    team_id: String,
}

/// 北京街道: a social worker, a street admin (reviewer), and a volunteer with its own
/// account (volunteer role held at the street).
async fn world() -> World {
    let app = spawn_app().await;
    let (_, worker) = app
        .user_with_role("sw_beijing", STREET, Some("social_worker"))
        .await;
    let (_, reviewer) = app
        .user_with_role("sa_beijing", STREET, Some("street_admin"))
        .await;
    let (vol_user, vol_token) = app.user_with_role("wang", STREET, Some("volunteer")).await;
    let v = app
        .data_as(
            &worker,
            "mutation($i: RegisterVolunteerInput!) { registerVolunteer(input: $i) { volunteer { id } } }",
            json!({ "i": { "realName": "王小明", "idType": "RESIDENT_ID", "idNumber": "440104199003071239", "phone": "13812345678", "unitCode": YANYUNXI, "userId": vol_user } }),
        )
        .await;
    let team = app
        .data_as(
            &worker,
            "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }",
            json!({ "i": { "name": "北京街道志愿服务队", "unitCode": STREET } }),
        )
        .await;
    World {
        volunteer_id: v["registerVolunteer"]["volunteer"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        team_id: team["createTeam"]["team"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        app,
        worker,
        reviewer,
        vol_token,
    }
}

const CREATE: &str = "mutation($i: CreateActivityInput!) { createActivity(input: $i) { activity { id state capacity } } }";
const PUBLISH: &str = "mutation($i: PublishActivityInput!) { publishActivity(input: $i) { submittedForReview activity { id state stateChangedBy { username } } } }";
const SIGN_UP: &str = "mutation($i: SignUpInput!) { signUp(input: $i) { signup { id active } } }";
const CHECK_IN: &str =
    "mutation($i: AttendanceInput!) { checkIn(input: $i) { session { checkInAt checkInMethod } } }";
const CHECK_OUT: &str = "mutation($i: AttendanceInput!) { checkOut(input: $i) { session { checkInAt checkOutAt checkOutMethod } serviceRecord { id hours state source } } }";
const APPROVE: &str = "mutation($i: ApproveServiceRecordInput!) { approveServiceRecord(input: $i) { serviceRecord { id state hours decidedBy { username } } } }";
const LOG: &str = "mutation($i: LogHoursInput!) { logHours(input: $i) { serviceRecord { id hours state source } } }";
const HOURS: &str = "query($id: ID!) { volunteer(id: $id) { approvedHours stars barredUntil } }";

async fn activity(w: &World, unit: &str, starts_in: Duration, capacity: i32) -> String {
    let start = Utc::now() + starts_in;
    let a = w
        .app
        .data_as(
            &w.worker,
            CREATE,
            json!({ "i": {
                "title": "长者饭堂助餐", "field": "elderly_care", "unitCode": unit, "teamId": w.team_id,
                "place": "盐运西社区长者饭堂", "startsAt": ts(start), "endsAt": ts(start + Duration::hours(3)),
                "capacity": capacity } }),
        )
        .await;
    a["createActivity"]["activity"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Moves the server's clock to `hours_ago` hours after the activity's start;
/// returns the start.
async fn started(w: &World, id: &str, hours_ago: i64) -> chrono::DateTime<Utc> {
    let a = w
        .app
        .data_as(
            &w.worker,
            "query($id: ID!) { activity(id: $id) { startsAt } }",
            json!({ "id": id }),
        )
        .await;
    let start: chrono::DateTime<Utc> = a["activity"]["startsAt"].as_str().unwrap().parse().unwrap();
    let to = start + Duration::hours(hours_ago);
    w.app.clock.advance(to - w.app.clock.now());
    start
}

/// Moves the server's clock past the public notice of every listed nomination.
async fn notice_passed(w: &World) {
    let n = w
        .app
        .data_as(
            &w.reviewer,
            "{ starNominations(state: LISTED, first: 10) { edges { node { listedUntil } } } }",
            json!({}),
        )
        .await;
    let until = n["starNominations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["node"]["listedUntil"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<Utc>>()
                .unwrap()
        })
        .max()
        .expect("a listed nomination");
    w.app
        .clock
        .advance(until + Duration::minutes(1) - w.app.clock.now());
}

#[tokio::test]
async fn an_activity_from_draft_to_certificate() {
    let w = world().await;
    let app = &w.app;
    let act = activity(&w, YANYUNXI, Duration::minutes(30), 2).await;

    // A community activity needs review: the author's call submits it.
    let body = app
        .data_as(&w.worker, PUBLISH, json!({ "i": { "id": act } }))
        .await;
    assert_eq!(body["publishActivity"]["submittedForReview"], true);
    assert_eq!(
        body["publishActivity"]["activity"]["state"],
        "PENDING_REVIEW"
    );
    let again = app
        .gql_as(&w.worker, PUBLISH, json!({ "i": { "id": act } }))
        .await;
    assert_eq!(code(&again), "CONFLICT", "{again:#}");
    // Volunteers do not see it before it is published.
    let q = "query($id: ID!) { activity(id: $id) { id state } }";
    let hidden = app.data_as(&w.vol_token, q, json!({ "id": act })).await;
    assert!(hidden["activity"].is_null(), "{hidden:#}");
    // The street office reviews and publishes; who moved it is recorded.
    let body = app
        .data_as(&w.reviewer, PUBLISH, json!({ "i": { "id": act } }))
        .await;
    assert_eq!(body["publishActivity"]["submittedForReview"], false);
    assert_eq!(body["publishActivity"]["activity"]["state"], "PUBLISHED");
    assert_eq!(
        body["publishActivity"]["activity"]["stateChangedBy"]["username"],
        "sa_beijing"
    );

    // The volunteer signs itself up; twice is the same sign-up.
    let s1 = app
        .data_as(&w.vol_token, SIGN_UP, json!({ "i": { "activityId": act } }))
        .await;
    let s2 = app
        .data_as(&w.vol_token, SIGN_UP, json!({ "i": { "activityId": act } }))
        .await;
    assert_eq!(s1["signUp"]["signup"]["id"], s2["signUp"]["signup"]["id"]);
    let seats = app
        .data_as(
            &w.vol_token,
            "query($id: ID!) { activity(id: $id) { signedUp seatsLeft } }",
            json!({ "id": act }),
        )
        .await;
    assert_eq!(seats["activity"]["signedUp"], 1);

    // Check-in by code: the organiser sees the code, the volunteer submits it.
    let c = app
        .data_as(
            &w.worker,
            "query($id: ID!) { activity(id: $id) { checkInCode { code qrPayload } } }",
            json!({ "id": act }),
        )
        .await;
    let the_code = c["activity"]["checkInCode"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(c["activity"]["checkInCode"]["qrPayload"]
        .as_str()
        .unwrap()
        .ends_with(&the_code));
    let none = app
        .data_as(
            &w.vol_token,
            "query($id: ID!) { activity(id: $id) { checkInCode { code } } }",
            json!({ "id": act }),
        )
        .await;
    assert!(
        none["activity"]["checkInCode"].is_null(),
        "volunteers do not see the code"
    );
    let wrong = app
        .gql_as(
            &w.vol_token,
            CHECK_IN,
            json!({ "i": { "activityId": act, "code": "000000x" } }),
        )
        .await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT");
    let first = app
        .data_as(
            &w.vol_token,
            CHECK_IN,
            json!({ "i": { "activityId": act, "code": the_code } }),
        )
        .await;
    let second = app
        .data_as(
            &w.vol_token,
            CHECK_IN,
            json!({ "i": { "activityId": act, "code": the_code } }),
        )
        .await;
    assert_eq!(first, second, "a double check-in changes nothing");
    assert_eq!(first["checkIn"]["session"]["checkInMethod"], "CODE");
    let out = app
        .data_as(
            &w.vol_token,
            CHECK_OUT,
            json!({ "i": { "activityId": act, "code": the_code } }),
        )
        .await;
    assert!(
        out["checkOut"]["serviceRecord"].is_null(),
        "under 15 minutes credits nothing"
    );
    // A volunteer cannot check itself in manually.
    let manual_self = app
        .gql_as(
            &w.vol_token,
            CHECK_IN,
            json!({ "i": { "activityId": act, "reason": "忘带手机" } }),
        )
        .await;
    assert_eq!(code(&manual_self), "FORBIDDEN", "{manual_self:#}");

    // Two hours later (in the database's view): the organiser checks in and out
    // manually, with a reason; 50 minutes count as one hour.
    let start = started(&w, &act, 2).await;
    // On the server's clock the activity is now under way, read alone or listed.
    let seen = app
        .data_as(
            &w.worker,
            "query($id: ID!) { activity(id: $id) { state } activities(state: IN_PROGRESS, first: 5) { edges { node { id state } } } }",
            json!({ "id": act }),
        )
        .await;
    assert_eq!(seen["activity"]["state"], "IN_PROGRESS", "{seen:#}");
    assert_eq!(seen["activities"]["edges"][0]["node"]["id"], act.as_str());
    assert_eq!(
        seen["activities"]["edges"][0]["node"]["state"],
        "IN_PROGRESS"
    );
    let manual = |at: chrono::DateTime<Utc>| json!({ "i": { "activityId": act, "volunteerId": w.volunteer_id, "reason": "手机没电，现场登记", "at": ts(at) } });
    app.data_as(&w.worker, CHECK_IN, manual(start)).await;
    let out = app
        .data_as(&w.worker, CHECK_OUT, manual(start + Duration::minutes(50)))
        .await;
    let rec = &out["checkOut"]["serviceRecord"];
    assert_eq!(rec["hours"], 1.0);
    assert_eq!(rec["state"], "RECORDED");
    assert_eq!(rec["source"], "CHECK_IN");
    let rec_id = rec["id"].as_str().unwrap().to_owned();
    // A retried check-out returns the same session and record.
    let retry = app
        .data_as(&w.worker, CHECK_OUT, manual(start + Duration::minutes(55)))
        .await;
    assert_eq!(retry["checkOut"]["serviceRecord"]["id"], rec_id.as_str());

    // Whoever recorded hours does not approve them; another approver does, once.
    let own = app
        .gql_as(&w.worker, APPROVE, json!({ "i": { "id": rec_id } }))
        .await;
    assert_eq!(code(&own), "FORBIDDEN", "{own:#}");
    let ok = app
        .data_as(&w.reviewer, APPROVE, json!({ "i": { "id": rec_id } }))
        .await;
    assert_eq!(
        ok["approveServiceRecord"]["serviceRecord"]["state"],
        "APPROVED"
    );
    let twice = app
        .gql_as(&w.reviewer, APPROVE, json!({ "i": { "id": rec_id } }))
        .await;
    assert_eq!(code(&twice), "CONFLICT");
    let rej = app
        .gql_as(&w.reviewer, "mutation($i: RejectServiceRecordInput!) { rejectServiceRecord(input: $i) { serviceRecord { id } } }", json!({ "i": { "id": rec_id, "reason": "x" } }))
        .await;
    assert_eq!(code(&rej), "CONFLICT", "approved records never change");

    // The volunteer logs its own hours; it cannot approve them; the worker can.
    let logged = app
        .data_as(&w.vol_token, LOG, json!({ "i": { "hours": 2.5, "content": "社区敬老探访", "startedAt": ts(Utc::now() - Duration::days(1)) } }))
        .await;
    assert_eq!(logged["logHours"]["serviceRecord"]["source"], "LOGGED");
    let logged_id = logged["logHours"]["serviceRecord"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let selfie = app
        .gql_as(&w.vol_token, APPROVE, json!({ "i": { "id": logged_id } }))
        .await;
    assert_eq!(code(&selfie), "FORBIDDEN");
    app.data_as(&w.worker, APPROVE, json!({ "i": { "id": logged_id } }))
        .await;
    let bad = app
        .gql_as(
            &w.vol_token,
            LOG,
            json!({ "i": { "hours": 0.7, "content": "x", "startedAt": ts(Utc::now()) } }),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    let backfill_no_reason = app
        .gql_as(&w.worker, LOG, json!({ "i": { "volunteerId": w.volunteer_id, "hours": 1, "content": "x", "startedAt": ts(Utc::now()) } }))
        .await;
    assert_eq!(code(&backfill_no_reason), "BAD_USER_INPUT");

    // A correction is a new linked record with the difference.
    let fix = app
        .data_as(
            &w.worker,
            LOG,
            json!({ "i": { "correctsId": rec_id, "hours": -0.5, "reason": "实际签退早于登记" } }),
        )
        .await;
    assert_eq!(fix["logHours"]["serviceRecord"]["source"], "CORRECTION");
    let fix_id = fix["logHours"]["serviceRecord"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.data_as(&w.reviewer, APPROVE, json!({ "i": { "id": fix_id } }))
        .await;
    let too_much = app
        .gql_as(
            &w.worker,
            LOG,
            json!({ "i": { "correctsId": rec_id, "hours": -1, "reason": "x" } }),
        )
        .await;
    assert_eq!(code(&too_much), "BAD_USER_INPUT", "{too_much:#}");
    let total = app
        .data_as(&w.vol_token, HOURS, json!({ "id": w.volunteer_id }))
        .await;
    assert_eq!(total["volunteer"]["approvedHours"], 3.0);

    // Close with the people served.
    let closed = app
        .data_as(&w.worker, "mutation($i: CloseActivityInput!) { closeActivity(input: $i) { activity { state peopleServed } } }", json!({ "i": { "id": act, "peopleServed": 30 } }))
        .await;
    assert_eq!(closed["closeActivity"]["activity"]["state"], "CLOSED");

    // The street certifies what it recorded.
    // The server's today: the clock moved hours past the activity's start, which may be
    // tomorrow in China Standard Time.
    let today = (app.clock.now() + Duration::hours(8)).date_naive();
    let cert = app
        .data_as(
            &w.worker,
            "mutation($i: IssueCertificateInput!) { issueCertificate(input: $i) { certificate { number realName idNumber volunteerNumber hours unitCode issuingUnit handler content { content hours } printableHtml } } }",
            json!({ "i": { "volunteerId": w.volunteer_id, "from": (today - Duration::days(30)).to_string(), "to": today.to_string() } }),
        )
        .await;
    let cert = &cert["issueCertificate"]["certificate"];
    assert_eq!(cert["hours"], 3.0);
    assert_eq!(cert["unitCode"], STREET);
    assert_eq!(cert["issuingUnit"], "北京街道");
    assert_eq!(cert["realName"], "王小明");
    assert_eq!(cert["idNumber"], "440104199003071239");
    assert_eq!(cert["handler"], "sw_beijing");
    assert_eq!(
        cert["content"],
        json!([{ "content": "社区敬老探访", "hours": 2.5 }, { "content": "长者饭堂助餐", "hours": 0.5 }])
    );
    assert!(cert["printableHtml"]
        .as_str()
        .unwrap()
        .contains("志愿服务记录证明"));
    let number = cert["number"].as_str().unwrap();
    assert_eq!(number.len(), 22);
    // Public verification shows masked data.
    let v: Value = app
        .client
        .get(format!("{}/certificates/{number}", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["name"], "王*明");
    assert_eq!(v["idNumber"], "440104********1239");
    assert_eq!(v["hours"], 3.0);
    assert_eq!(v["issuingUnit"], "北京街道");
    let missing = app
        .client
        .get(format!(
            "{}/certificates/ZY0000000000000000AAAA",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // Outside the period nothing is certified.
    let empty = app
        .gql_as(&w.worker, "mutation($i: IssueCertificateInput!) { issueCertificate(input: $i) { certificate { number } } }",
            json!({ "i": { "volunteerId": w.volunteer_id, "from": "2020-01-01", "to": "2020-12-31" } }))
        .await;
    assert_eq!(code(&empty), "BAD_USER_INPUT");

    // Statistics of the street.
    let stats = app
        .data_as(&w.reviewer, "{ unitStats(code: \"440104003\") { figures { volunteers activitiesHeld peopleServed hoursServed serviceRecords hoursPerVolunteer } children { unitCode figures { hoursServed } } } }", json!({}))
        .await;
    let f = &stats["unitStats"]["figures"];
    assert_eq!(f["volunteers"], 1);
    assert_eq!(f["activitiesHeld"], 1);
    assert_eq!(f["peopleServed"], 30);
    assert_eq!(f["hoursServed"], 3.0);
    assert_eq!(f["serviceRecords"], 2);
    assert_eq!(f["hoursPerVolunteer"], 3.0);
    let child = stats["unitStats"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unitCode"] == YANYUNXI)
        .unwrap();
    assert_eq!(child["figures"]["hoursServed"], 3.0);

    // The audit trail has every step.
    let admin = app.admin_token().await;
    let audit = app
        .data_as(
            &admin,
            "{ auditLog(first: 100) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = audit["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    for a in [
        "activity.create",
        "activity.submit",
        "activity.publish",
        "signup.create",
        "attendance.check_in",
        "attendance.check_out",
        "service_record.record",
        "service_record.approve",
        "activity.close",
        "certificate.issue",
    ] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
}

#[tokio::test]
async fn fifty_concurrent_signups_never_overbook() {
    let w = world().await;
    let app = &w.app;
    let act = activity(&w, STREET, Duration::days(2), 5).await;
    app.data_as(&w.worker, PUBLISH, json!({ "i": { "id": act } }))
        .await;
    let mut ids = Vec::new();
    for i in 0..50 {
        let v = app
            .data_as(
                &w.worker,
                "mutation($i: RegisterVolunteerInput!) { registerVolunteer(input: $i) { volunteer { id } } }",
                json!({ "i": { "realName": format!("志愿者{i}"), "idType": "RESIDENT_ID", "idNumber": resident_id(i + 100), "unitCode": YANYUNXI } }),
            )
            .await;
        ids.push(
            v["registerVolunteer"]["volunteer"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Fifty requests in flight at once, each on its own task.
    let mut set = tokio::task::JoinSet::new();
    for v in &ids {
        let (client, url, token) = (
            app.client.clone(),
            format!("{}/graphql", app.address),
            w.worker.clone(),
        );
        let body = json!({ "query": SIGN_UP, "variables": { "i": { "activityId": act, "volunteerId": v } } });
        set.spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        });
    }
    let results = set.join_all().await;
    let ok = results.iter().filter(|r| r.get("errors").is_none()).count();
    let full = results
        .iter()
        .filter(|r| code(r) == "CONFLICT" && message(r).contains("full"))
        .count();
    assert_eq!(
        ok,
        5,
        "{:#?}",
        results
            .iter()
            .find(|r| r.get("errors").is_some() && code(r) != "CONFLICT")
    );
    assert_eq!(full, 45);
    let a = app
        .data_as(
            &w.worker,
            "query($id: ID!) { activity(id: $id) { signedUp signups(first: 100) { totalCount } } }",
            json!({ "id": act }),
        )
        .await;
    assert_eq!(a["activity"]["signedUp"], 5);
    assert_eq!(a["activity"]["signups"]["totalCount"], 5);

    // Cancelling frees a seat; cancelling after the start is refused.
    let s = app
        .data_as(
            &w.worker,
            "query($id: ID!) { activity(id: $id) { signups(first: 1) { edges { node { id } } } } }",
            json!({ "id": act }),
        )
        .await;
    let sid = s["activity"]["signups"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancel =
        "mutation($i: CancelSignupInput!) { cancelSignup(input: $i) { signup { active } } }";
    let c = app
        .data_as(&w.worker, cancel, json!({ "i": { "signupId": sid } }))
        .await;
    assert_eq!(c["cancelSignup"]["signup"]["active"], false);
    let late = app
        .data_as(
            &w.worker,
            SIGN_UP,
            json!({ "i": { "activityId": act, "volunteerId": ids[49] } }),
        )
        .await;
    assert_eq!(late["signUp"]["signup"]["active"], true);
    let s = app
        .data_as(
            &w.worker,
            "query($id: ID!) { activity(id: $id) { signups(first: 1) { edges { node { id } } } } }",
            json!({ "id": act }),
        )
        .await;
    let sid = s["activity"]["signups"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    started(&w, &act, 1).await;
    let refused = app
        .gql_as(&w.worker, cancel, json!({ "i": { "signupId": sid } }))
        .await;
    assert_eq!(code(&refused), "CONFLICT", "{refused:#}");
}

/// Back-fills and approves `hours` for the world's volunteer in records of ≤ 24 h.
async fn earn(w: &World, hours: u32) {
    let mut left = hours;
    while left > 0 {
        let h = left.min(24);
        left -= h;
        let r = w
            .app
            .data_as(&w.worker, LOG, json!({ "i": { "volunteerId": w.volunteer_id, "hours": h, "content": "应急值守", "reason": "纸质签到表补录", "startedAt": ts(Utc::now() - Duration::days(2)) } }))
            .await;
        let id = r["logHours"]["serviceRecord"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        w.app
            .data_as(&w.reviewer, APPROVE, json!({ "i": { "id": id } }))
            .await;
    }
}

#[tokio::test]
async fn stars_are_nominated_listed_and_granted_by_level() {
    let w = world().await;
    let app = &w.app;
    let (_, district) = app
        .user_with_role("d_yuexiu", "440104", Some("district_admin"))
        .await;
    let city = app.admin_token().await;
    earn(&w, 120).await;
    let q = "query($v: ID) { starNominations(volunteerId: $v, first: 10) { edges { node { id stars state hours listedUntil volunteerName } } } }";
    let n = app
        .data_as(&w.reviewer, q, json!({ "v": w.volunteer_id }))
        .await;
    let edges = n["starNominations"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 1, "{n:#}");
    let nom = &edges[0]["node"];
    assert_eq!(nom["stars"], 1);
    assert_eq!(nom["state"], "LISTED");
    assert_eq!(nom["volunteerName"], "王小明");
    let nom_id = nom["id"].as_str().unwrap().to_owned();
    // The public notice: anyone reads it, with the name masked.
    let public = app.data(q, json!({ "v": w.volunteer_id })).await;
    assert_eq!(
        public["starNominations"]["edges"][0]["node"]["volunteerName"],
        "王*明"
    );

    let grant =
        "mutation($i: GrantStarInput!) { grantStar(input: $i) { nomination { state stars } } }";
    let early = app
        .gql_as(&district, grant, json!({ "i": { "nominationId": nom_id } }))
        .await;
    assert_eq!(code(&early), "CONFLICT", "still on notice: {early:#}");
    assert!(message(&early).contains("publicly listed"));
    notice_passed(&w).await;
    let street = app
        .gql_as(
            &w.reviewer,
            grant,
            json!({ "i": { "nominationId": nom_id } }),
        )
        .await;
    assert_eq!(code(&street), "FORBIDDEN", "{street:#}");
    assert!(message(&street).contains("district or above"), "{street:#}");
    let ok = app
        .data_as(&district, grant, json!({ "i": { "nominationId": nom_id } }))
        .await;
    assert_eq!(ok["grantStar"]["nomination"]["state"], "GRANTED");
    let v = app
        .data_as(&w.reviewer, HOURS, json!({ "id": w.volunteer_id }))
        .await;
    assert_eq!(v["volunteer"]["stars"], 1);

    // Past 1,500 hours: nominated for 2 to 5 stars at once.
    sql(app, "UPDATE volunteer SET approved_half_hours = 2998").await;
    earn(&w, 1).await;
    let n = app
        .data_as(
            &w.reviewer,
            "{ starNominations(state: LISTED, first: 10) { edges { node { id stars } } } }",
            json!({}),
        )
        .await;
    let listed: Vec<(i64, String)> = n["starNominations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["stars"].as_i64().unwrap(),
                e["node"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(listed.iter().map(|l| l.0).collect::<Vec<_>>(), [5, 4, 3, 2]);
    notice_passed(&w).await;
    let five = &listed[0].1;
    let d5 = app
        .gql_as(&district, grant, json!({ "i": { "nominationId": five } }))
        .await;
    assert_eq!(
        code(&d5),
        "FORBIDDEN",
        "a district admin cannot grant 5 stars: {d5:#}"
    );
    let c5 = app
        .data_as(&city, grant, json!({ "i": { "nominationId": five } }))
        .await;
    assert_eq!(c5["grantStar"]["nomination"]["stars"], 5);
    let n = app
        .data_as(
            &w.reviewer,
            "{ starNominations(state: SUPERSEDED, first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(n["starNominations"]["totalCount"], 3);
    let five_star = app.data_as(&w.reviewer, "{ volunteers(stars: 5, first: 10) { totalCount } unitStats(code: \"440104003\") { figures { volunteersByStar { count } } children { unit { name } } } }", json!({})).await;
    assert_eq!(five_star["volunteers"]["totalCount"], 1);
    assert_eq!(
        five_star["unitStats"]["figures"]["volunteersByStar"],
        json!([{ "count": 0 }, { "count": 0 }, { "count": 0 }, { "count": 0 }, { "count": 1 }])
    );
    assert_eq!(
        five_star["unitStats"]["children"][0]["unit"]["name"]
            .as_str()
            .map(|n| n.ends_with("社区居委会")),
        Some(true),
        "{five_star:#}"
    );
}

#[tokio::test]
async fn hours_revoked_for_fraud_bar_the_volunteer() {
    let w = world().await;
    let app = &w.app;
    earn(&w, 24).await;
    let recs = app
        .data_as(&w.reviewer, "query($v: ID) { serviceRecords(volunteerId: $v, state: APPROVED, first: 5) { edges { node { id } } } }", json!({ "v": w.volunteer_id }))
        .await;
    let rid = recs["serviceRecords"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sql(
        app,
        "UPDATE volunteer SET approved_half_hours = approved_half_hours + 160",
    )
    .await;
    earn(&w, 1).await; // 24 + 80 + 1 = 105 h: nominated for one star
    let revoke = "mutation($i: RevokeServiceRecordInput!) { revokeServiceRecord(input: $i) { serviceRecord { hours fraud source corrects { id } } } }";
    let r = app
        .data_as(
            &w.reviewer,
            revoke,
            json!({ "i": { "id": rid, "reason": "签到表伪造" } }),
        )
        .await;
    let r = &r["revokeServiceRecord"]["serviceRecord"];
    assert_eq!(r["hours"], -24.0);
    assert_eq!(r["fraud"], true);
    assert_eq!(r["source"], "REVOCATION");
    assert_eq!(r["corrects"]["id"], rid.as_str());
    let v = app
        .data_as(&w.reviewer, HOURS, json!({ "id": w.volunteer_id }))
        .await;
    assert_eq!(v["volunteer"]["approvedHours"], 81.0);
    assert!(v["volunteer"]["barredUntil"].is_string());
    let n = app
        .data_as(
            &w.reviewer,
            "{ starNominations(first: 5) { edges { node { state } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        n["starNominations"]["edges"][0]["node"]["state"],
        "WITHDRAWN"
    );
    // Barred: crossing a threshold again nominates nothing.
    earn(&w, 24).await;
    let n = app
        .data_as(
            &w.reviewer,
            "{ starNominations(state: LISTED, first: 5) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(n["starNominations"]["totalCount"], 0);
    let again = app
        .gql_as(
            &w.reviewer,
            revoke,
            json!({ "i": { "id": rid, "reason": "x" } }),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT");

    // The list of records answers alike from the flat path and the executor's: the
    // revocation's negative hours, a record still undecided (NULLs) among them.
    app.data_as(&w.worker, LOG, json!({ "i": { "volunteerId": w.volunteer_id, "hours": 2, "content": "社区巡逻", "reason": "补录", "startedAt": ts(Utc::now() - Duration::days(1)) } }))
        .await;
    let page = app
        .flat_and_executor_agree(
            &w.reviewer,
            r#"{ serviceRecords(first: 50) { totalCount
                   edges { cursor{I} node { id{I} unitCode{I} hours{I} startedAt{I} endedAt{I}
                     source{I} content{I} reason{I} state{I} recordedAt{I} decidedAt{I}
                     decisionNote{I} fraud{I} __typename{I} } } } }"#,
        )
        .await;
    let edges = page["serviceRecords"]["edges"].as_array().unwrap();
    assert!(edges.len() >= 4, "{page:#}");
    assert!(edges.iter().any(|e| e["node"]["decidedAt"].is_null()));
    assert!(edges
        .iter()
        .any(|e| e["node"]["hours"].as_f64().unwrap() < 0.0 && e["node"]["fraud"] == true));
    assert!(edges.iter().any(|e| e["node"]["state"] == "RECORDED"));
}

#[tokio::test]
async fn scoping_of_activities_records_and_signups() {
    let w = world().await;
    let app = &w.app;
    let (_, other_worker) = app
        .user_with_role("sw_liurong", LIURONG, Some("social_worker"))
        .await;
    let act = activity(&w, STREET, Duration::days(1), 10).await;
    app.data_as(&w.worker, PUBLISH, json!({ "i": { "id": act } }))
        .await;
    let s = app
        .data_as(&w.vol_token, SIGN_UP, json!({ "i": { "activityId": act } }))
        .await;
    let sid = s["signUp"]["signup"]["id"].as_str().unwrap().to_owned();
    earn(&w, 2).await;
    let recs = app
        .data_as(
            &w.worker,
            "{ serviceRecords(first: 5) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let rid = recs["serviceRecords"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // 六榕's social worker sees none of it.
    for id in [&act, &sid, &rid, &w.volunteer_id] {
        let body = app
            .data_as(
                &other_worker,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(body["node"].is_null(), "{id}: {body:#}");
    }
    let lists = app
        .data_as(&other_worker, "{ activities(first: 10) { totalCount } signups(first: 10) { totalCount } serviceRecords(first: 10) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        lists,
        json!({ "activities": { "totalCount": 0 }, "signups": { "totalCount": 0 }, "serviceRecords": { "totalCount": 0 } })
    );
    let approve = app
        .gql_as(&other_worker, APPROVE, json!({ "i": { "id": rid } }))
        .await;
    assert_eq!(code(&approve), "NOT_FOUND");
    let stats = app
        .gql_as(
            &other_worker,
            "{ unitStats(code: \"440104003\") { unitCode } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&stats), "FORBIDDEN");
    // The volunteer sees its own sign-ups and hours only.
    let mine = app
        .data_as(
            &w.vol_token,
            "{ signups(first: 10) { totalCount } serviceRecords(first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine,
        json!({ "signups": { "totalCount": 1 }, "serviceRecords": { "totalCount": 1 } })
    );
    let other_vol = app
        .data_as(&w.worker, "mutation($i: RegisterVolunteerInput!) { registerVolunteer(input: $i) { volunteer { id } } }",
            json!({ "i": { "realName": "李四", "idType": "RESIDENT_ID", "idNumber": resident_id(7), "unitCode": YANYUNXI } }))
        .await;
    let other_id = other_vol["registerVolunteer"]["volunteer"]["id"]
        .as_str()
        .unwrap();
    let not_mine = app
        .gql_as(
            &w.vol_token,
            SIGN_UP,
            json!({ "i": { "activityId": act, "volunteerId": other_id } }),
        )
        .await;
    assert_eq!(code(&not_mine), "NOT_FOUND", "{not_mine:#}");
    let log_other = app.gql_as(&w.vol_token, LOG, json!({ "i": { "volunteerId": other_id, "hours": 1, "content": "x", "startedAt": ts(Utc::now()) } })).await;
    assert_eq!(code(&log_other), "NOT_FOUND");
}

#[tokio::test]
async fn activity_rules_refuse_bad_input() {
    let w = world().await;
    let app = &w.app;
    let start = Utc::now() + Duration::days(1);
    let base = json!({ "title": "义诊", "field": "healthcare", "unitCode": STREET, "teamId": w.team_id, "place": "街道卫生站", "startsAt": ts(start), "endsAt": ts(start + Duration::hours(2)), "capacity": 10 });
    let cases = [
        ("endsAt", json!(ts(start - Duration::hours(1))), "after"),
        ("capacity", json!(0), "capacity"),
        ("field", json!("astrology"), "service field"),
        ("unitCode", json!("4401"), ""),
        (
            "recruitUntil",
            json!(ts(start + Duration::hours(1))),
            "before the activity starts",
        ),
    ];
    for (k, v, needle) in cases {
        let mut i = base.clone();
        i[k] = v;
        let body = app.gql_as(&w.worker, CREATE, json!({ "i": i })).await;
        let c = code(&body);
        assert!(c == "BAD_USER_INPUT" || c == "FORBIDDEN", "{k}: {body:#}");
        assert!(message(&body).contains(needle), "{k}: {body:#}");
    }
    let mut no_owner = base.clone();
    no_owner.as_object_mut().unwrap().remove("teamId");
    let body = app
        .gql_as(&w.worker, CREATE, json!({ "i": no_owner }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    // A street activity needs no review; cancelling needs a reason and happens
    // before the start.
    let act = activity(&w, STREET, Duration::days(1), 3).await;
    let p = app
        .data_as(&w.worker, PUBLISH, json!({ "i": { "id": act } }))
        .await;
    assert_eq!(p["publishActivity"]["activity"]["state"], "PUBLISHED");
    app.data_as(&w.vol_token, SIGN_UP, json!({ "i": { "activityId": act } }))
        .await;
    let cancel = "mutation($i: CancelActivityInput!) { cancelActivity(input: $i) { activity { state signedUp } } }";
    let c = app
        .data_as(
            &w.worker,
            cancel,
            json!({ "i": { "id": act, "reason": "台风预警" } }),
        )
        .await;
    assert_eq!(
        c["cancelActivity"]["activity"],
        json!({ "state": "CANCELLED", "signedUp": 0 })
    );
    let closed = app
        .gql_as(
            &w.worker,
            "mutation($i: CloseActivityInput!) { closeActivity(input: $i) { activity { state } } }",
            json!({ "i": { "id": act, "peopleServed": 1 } }),
        )
        .await;
    assert_eq!(code(&closed), "CONFLICT");
    let signup = app
        .gql_as(&w.vol_token, SIGN_UP, json!({ "i": { "activityId": act } }))
        .await;
    assert_eq!(code(&signup), "CONFLICT");
}

const UPDATE_ACTIVITY: &str = "mutation($i: UpdateActivityInput!) { updateActivity(input: $i) { activity { title description capacity place startsAt endsAt recruitUntil state } } }";
const RETURN_ACTIVITY: &str =
    "mutation($i: ReturnActivityInput!) { returnActivity(input: $i) { activity { state } } }";

/// A draft changes freely; a reviewer returns a submitted one with a reason; once
/// published, capacity never drops below the sign-ups and the times move only with a
/// reason (audited); closed or cancelled activities do not change.
#[tokio::test]
async fn activities_change_within_what_their_state_allows() {
    let w = world().await;
    let app = &w.app;
    let act = activity(&w, YANYUNXI, Duration::days(3), 3).await;
    let d = app
        .data_as(&w.worker, UPDATE_ACTIVITY, json!({ "i": { "id": act, "title": "长者饭堂助餐（周三）",
            "description": "请提前十分钟到达，穿志愿者马甲。", "place": "盐运西社区长者饭堂二楼", "recruitUntil": ts(Utc::now() + Duration::days(2)) } }))
        .await;
    let a = &d["updateActivity"]["activity"];
    assert_eq!(a["title"], "长者饭堂助餐（周三）");
    assert_eq!(a["description"], "请提前十分钟到达，穿志愿者马甲。");
    assert_eq!(a["place"], "盐运西社区长者饭堂二楼");
    assert!(a["recruitUntil"].is_string());
    // `null` clears a bound; leaving it out keeps it.
    let d = app
        .data_as(
            &w.worker,
            UPDATE_ACTIVITY,
            json!({ "i": { "id": act, "recruitUntil": null } }),
        )
        .await;
    assert!(d["updateActivity"]["activity"]["recruitUntil"].is_null());
    assert_eq!(
        d["updateActivity"]["activity"]["place"],
        "盐运西社区长者饭堂二楼"
    );

    // Submitted for review, then sent back by the street office with a reason.
    let sub = app
        .data_as(&w.worker, PUBLISH, json!({ "i": { "id": act } }))
        .await;
    assert_eq!(sub["publishActivity"]["submittedForReview"], true);
    let own = app
        .gql_as(
            &w.worker,
            RETURN_ACTIVITY,
            json!({ "i": { "id": act, "reason": "自己退回" } }),
        )
        .await;
    assert_eq!(code(&own), "FORBIDDEN", "{own:#}");
    let empty = app
        .gql_as(
            &w.reviewer,
            RETURN_ACTIVITY,
            json!({ "i": { "id": act, "reason": " " } }),
        )
        .await;
    assert_eq!(code(&empty), "BAD_USER_INPUT");
    let back = app
        .data_as(
            &w.reviewer,
            RETURN_ACTIVITY,
            json!({ "i": { "id": act, "reason": "请写明集合地点" } }),
        )
        .await;
    assert_eq!(back["returnActivity"]["activity"]["state"], "DRAFT");
    let again = app
        .gql_as(
            &w.reviewer,
            RETURN_ACTIVITY,
            json!({ "i": { "id": act, "reason": "再退" } }),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'activity.return'")
            .await,
        1
    );

    // Published, with two volunteers signed up.
    app.data_as(&w.reviewer, PUBLISH, json!({ "i": { "id": act } }))
        .await;
    app.data_as(&w.vol_token, SIGN_UP, json!({ "i": { "activityId": act } }))
        .await;
    let li = app
        .data_as(&w.worker, "mutation($i: RegisterVolunteerInput!) { registerVolunteer(input: $i) { volunteer { id } } }",
            json!({ "i": { "realName": "李四", "idType": "RESIDENT_ID", "idNumber": resident_id(8), "unitCode": YANYUNXI } }))
        .await;
    app.data_as(&w.worker, SIGN_UP, json!({ "i": { "activityId": act, "volunteerId": li["registerVolunteer"]["volunteer"]["id"] } }))
        .await;
    let below = app
        .gql_as(
            &w.worker,
            UPDATE_ACTIVITY,
            json!({ "i": { "id": act, "capacity": 1 } }),
        )
        .await;
    assert_eq!(code(&below), "CONFLICT", "{below:#}");
    let d = app
        .data_as(
            &w.worker,
            UPDATE_ACTIVITY,
            json!({ "i": { "id": act, "capacity": 2, "description": "午餐后集合" } }),
        )
        .await;
    assert_eq!(d["updateActivity"]["activity"]["capacity"], 2);
    assert_eq!(d["updateActivity"]["activity"]["state"], "PUBLISHED");
    // Moving the times needs a reason, and a start in the future.
    let later = Utc::now() + Duration::days(4);
    let moved =
        json!({ "id": act, "startsAt": ts(later), "endsAt": ts(later + Duration::hours(3)) });
    let body = app
        .gql_as(&w.worker, UPDATE_ACTIVITY, json!({ "i": moved }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert!(message(&body).contains("reason"), "{body:#}");
    let past = json!({ "id": act, "startsAt": ts(Utc::now() - Duration::hours(1)), "endsAt": ts(Utc::now() + Duration::hours(1)), "reason": "提前" });
    let body = app
        .gql_as(&w.worker, UPDATE_ACTIVITY, json!({ "i": past }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    let mut with_reason = moved.clone();
    with_reason["reason"] = json!("场地临时维修，顺延一天");
    let d = app
        .data_as(&w.worker, UPDATE_ACTIVITY, json!({ "i": with_reason }))
        .await;
    let starts = d["updateActivity"]["activity"]["startsAt"]
        .as_str()
        .unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(starts)
            .unwrap()
            .timestamp(),
        later.timestamp()
    );
    let reason_logged = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'activity.update' AND summary LIKE '%顺延一天%'")
        .await;
    assert_eq!(reason_logged, 1);
    // Bad values are refused whatever the state.
    for bad in [
        json!({ "id": act, "title": " " }),
        json!({ "id": act, "capacity": 0 }),
        json!({ "id": act, "endsAt": ts(later - Duration::hours(1)), "reason": "x" }),
        json!({ "id": act, "field": "no_such_field" }),
    ] {
        let body = app
            .gql_as(&w.worker, UPDATE_ACTIVITY, json!({ "i": bad }))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{bad}: {body:#}");
    }
    // Another street's social worker cannot touch it; a cancelled activity is final.
    let (_, other) = app
        .user_with_role("sw_liurong_upd", LIURONG, Some("social_worker"))
        .await;
    let body = app
        .gql_as(
            &other,
            UPDATE_ACTIVITY,
            json!({ "i": { "id": act, "title": "改" } }),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    app.data_as(
        &w.worker,
        "mutation($i: CancelActivityInput!) { cancelActivity(input: $i) { activity { state } } }",
        json!({ "i": { "id": act, "reason": "台风" } }),
    )
    .await;
    let body = app
        .gql_as(
            &w.worker,
            UPDATE_ACTIVITY,
            json!({ "i": { "id": act, "description": "x" } }),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT");
}
