//! Ledger invariants as properties: whatever sequence of logging, approving,
//! rejecting, correcting and revoking happens, a volunteer's total equals the sum
//! of its approved records, and the statistics (kept incrementally) equal a recount
//! from the rows.

use kapok_tests::{spawn_app, TestApp};
use proptest::prelude::*;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
enum Op {
    Log(u8),
    Approve(usize),
    Reject(usize),
    Correct(usize, i8),
    Revoke(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u8..=48).prop_map(Op::Log),
        3 => (0usize..8).prop_map(Op::Approve),
        1 => (0usize..8).prop_map(Op::Reject),
        2 => ((0usize..8), (-8i8..=8)).prop_map(|(i, d)| Op::Correct(i, d)),
        1 => (0usize..8).prop_map(Op::Revoke),
    ]
}

struct Fixture {
    app: TestApp,
    worker: String,
    reviewer: String,
}

const LOG: &str = "mutation($i: LogHoursInput!) { logHours(input: $i) { serviceRecord { id } } }";

async fn one(app: &TestApp, q: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), q))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<Option<i64>>(0).unwrap().unwrap_or(0)
}

async fn run(f: &Fixture, case: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let app = &f.app;
    let id_number = resident_id(case as u32);
    let v = app
        .data_as(
            &f.worker,
            "mutation($i: RegisterVolunteerInput!) { registerVolunteer(input: $i) { volunteer { id } } }",
            json!({ "i": { "realName": format!("志愿者{case}"), "idType": "RESIDENT_ID", "idNumber": id_number, "unitCode": "440104003108" } }),
        )
        .await;
    let vid = v["registerVolunteer"]["volunteer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut records: Vec<String> = Vec::new();
    let started = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    for op in ops {
        let pick = |i: &usize| records.get(i % records.len().max(1)).cloned();
        // Refusals (already decided, nothing to correct, ...) are part of the game;
        // only an INTERNAL error would be a failure.
        let body: Value = match op {
            Op::Log(h) => {
                let b = app
                    .gql_as(&f.worker, LOG, json!({ "i": { "volunteerId": vid, "hours": f64::from(*h) / 2.0, "content": "巡逻", "reason": "补录", "startedAt": started } }))
                    .await;
                if let Some(id) = b["data"]["logHours"]["serviceRecord"]["id"].as_str() {
                    records.push(id.to_owned());
                }
                b
            }
            Op::Approve(i) | Op::Reject(i) => {
                let Some(id) = pick(i) else { continue };
                let m = if matches!(op, Op::Approve(_)) {
                    "approveServiceRecord(input: { id: $id })"
                } else {
                    "rejectServiceRecord(input: { id: $id, reason: \"不实\" })"
                };
                app.gql_as(
                    &f.reviewer,
                    &format!("mutation($id: ID!) {{ {m} {{ serviceRecord {{ id }} }} }}"),
                    json!({ "id": id }),
                )
                .await
            }
            Op::Correct(i, d) => {
                let Some(id) = pick(i) else { continue };
                let b = app
                    .gql_as(&f.worker, LOG, json!({ "i": { "correctsId": id, "hours": f64::from(*d) / 2.0, "reason": "更正" } }))
                    .await;
                if let Some(id) = b["data"]["logHours"]["serviceRecord"]["id"].as_str() {
                    records.push(id.to_owned());
                }
                b
            }
            Op::Revoke(i) => {
                let Some(id) = pick(i) else { continue };
                app.gql_as(&f.reviewer, "mutation($id: ID!) { revokeServiceRecord(input: { id: $id, reason: \"造假\" }) { serviceRecord { id } } }", json!({ "id": id }))
                    .await
            }
        };
        for e in body["errors"].as_array().into_iter().flatten() {
            let code = e["extensions"]["code"].as_str().unwrap_or("");
            prop_assert!(
                ["CONFLICT", "BAD_USER_INPUT"].contains(&code),
                "{op:?}: {body:#}"
            );
        }
    }
    // The total, through the API, equals the sum of approved records, through the API.
    let total = app
        .data_as(
            &f.reviewer,
            "query($id: ID!) { volunteer(id: $id) { approvedHours } }",
            json!({ "id": vid }),
        )
        .await["volunteer"]["approvedHours"]
        .as_f64()
        .unwrap();
    let listed = app
        .data_as(&f.reviewer, "query($v: ID) { serviceRecords(volunteerId: $v, state: APPROVED, first: 100) { edges { node { hours } } } }", json!({ "v": vid }))
        .await;
    let sum: f64 = listed["serviceRecords"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["hours"].as_f64().unwrap())
        .sum();
    prop_assert_eq!(total, sum);
    prop_assert!(total >= 0.0);
    Ok(())
}

fn resident_id(seq: u32) -> String {
    kapok_tests::resident_id("19880202", seq)
}

/// The figures `unitStats` reports that a rebuild from the rows must reproduce.
const FIGURES: &str = r#"{ unitStats(code: "440104003") { figures { volunteers newVolunteers partyMembers partyMembersReporting activitiesHeld peopleServed hoursServed serviceRecords volunteersByStar { stars count } } children { unitCode figures { volunteers hoursServed serviceRecords } } } }"#;

#[test]
fn totals_equal_the_sum_of_approved_records_and_stats_equal_a_recount() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fixture = rt.block_on(async {
        let app = spawn_app().await;
        let (_, worker) = app
            .user_with_role("sw_ledger", "440104003", Some("social_worker"))
            .await;
        let (_, reviewer) = app
            .user_with_role("sa_ledger", "440104003", Some("street_admin"))
            .await;
        Fixture {
            app,
            worker,
            reviewer,
        }
    });
    // A fixed seed: the sequences must include approved corrections (asserted
    // below), which a fresh random draw of 12 cases sometimes did not, failing CI.
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        ProptestConfig {
            cases: 12,
            ..ProptestConfig::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let case = std::cell::Cell::new(0usize);
    runner
        .run(&prop::collection::vec(op(), 1..24), |ops| {
            case.set(case.get() + 1);
            rt.block_on(run(&fixture, case.get(), &ops))
        })
        .unwrap();
    rt.block_on(async {
        let app = &fixture.app;
        // Every volunteer's stored total is the sum of its approved records.
        assert_eq!(
            one(app, "SELECT COUNT(*) FROM volunteer v WHERE approved_half_hours <> COALESCE((SELECT SUM(half_hours) FROM service_record r WHERE r.volunteer_id = v.id AND r.state = 'approved'), 0)").await,
            0
        );
        // The sequences did approve, correct and revoke.
        assert!(one(app, "SELECT COUNT(*) FROM service_record WHERE state = 'approved' AND corrects_id IS NULL").await > 5);
        assert!(one(app, "SELECT COUNT(*) FROM service_record WHERE state = 'approved' AND corrects_id IS NOT NULL").await > 0);
        // The months kept beside the days, bumped with them, are the days rolled up.
        assert!(one(app, "SELECT COUNT(*) FROM unit_monthly").await > 0);
        assert_eq!(app.months_apart_from_days().await, 0);
        // And the kept subtrees, bumped with them, are the months summed.
        assert_eq!(app.subtrees_apart_from_months().await, 0);
        // The incrementally kept statistics equal those rebuilt from the rows.
        let kept = app.data_as(&fixture.reviewer, FIGURES, json!({})).await;
        let half = one(app, "SELECT CAST(SUM(half_hours) AS BIGINT) FROM service_record WHERE state = 'approved'").await;
        assert_eq!(kept["unitStats"]["figures"]["hoursServed"].as_f64().unwrap(), half as f64 / 2.0);
        kapok_api::services::daily::rebuild(&app.db).await.unwrap();
        let rebuilt = app.data_as(&fixture.reviewer, FIGURES, json!({})).await;
        assert_eq!(kept, rebuilt);
    });
}
