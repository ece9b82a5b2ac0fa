//! `kapok demo-data`: reproducible, valid, scoped like everything else.

use kapok_api::demo::{generate, DemoOptions};
use kapok_tests::spawn_app;
use policies::UnitCode;
use serde_json::json;

fn opts(seed: u64) -> DemoOptions {
    DemoOptions {
        under: UnitCode::parse("440104003").unwrap(),
        volunteers: 1_500,
        teams: 30,
        organizations: 6,
        seed,
    }
}

#[tokio::test]
async fn demo_data_is_realistic_reproducible_and_scoped() {
    let app = spawn_app().await;
    let report = generate(&app.db, &opts(3), false).await.unwrap();
    assert_eq!(report.volunteers, 1_500);
    assert_eq!(report.teams, 30);
    assert!(report.memberships > 0);
    // Again under the same unit: refused rather than duplicated.
    assert!(generate(&app.db, &opts(3), false).await.is_err());

    let admin = app.admin_token().await;
    let data = app
        .data_as(
            &admin,
            r#"{ volunteers(under: "440104003", first: 5) { totalCount edges { node { idNumber gender birthDate unitCode fields } } }
                 teams(under: "440104003") { totalCount }
                 organizations(under: "440104003") { totalCount }
                 stations(under: "440104003", kind: SOCIAL_WORK_POINT) { totalCount }
                 outside: volunteers(under: "440104004") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["volunteers"]["totalCount"], 1_500);
    assert_eq!(data["teams"]["totalCount"], 30);
    assert_eq!(data["organizations"]["totalCount"], 6);
    assert_eq!(
        data["stations"]["totalCount"], 13,
        "one point per community of 北京街道"
    );
    assert_eq!(data["outside"]["totalCount"], 0);
    for e in data["volunteers"]["edges"].as_array().unwrap() {
        let id = e["node"]["idNumber"].as_str().unwrap();
        assert!(kapok_api::codes::ResidentId::parse(id).is_ok(), "{id}");
        assert!(e["node"]["unitCode"]
            .as_str()
            .unwrap()
            .starts_with("440104003"));
        assert!(!e["node"]["fields"].as_array().unwrap().is_empty());
    }
    // A street admin sees them through the same scoping as real records.
    let (_, street) = app
        .user_with_role("beijing_admin", "440104003", Some("street_admin"))
        .await;
    let seen = app
        .data_as(&street, "{ volunteers { totalCount } }", json!({}))
        .await;
    assert_eq!(seen["volunteers"]["totalCount"], 1_500);

    // The same seed on another database gives the same people.
    let other = spawn_app().await;
    generate(&other.db, &opts(3), false).await.unwrap();
    let admin2 = other.admin_token().await;
    let q = r#"{ volunteers(first: 20) { edges { node { realName idNumber unitCode } } } }"#;
    assert_eq!(
        app.data_as(&admin, q, json!({})).await,
        other.data_as(&admin2, q, json!({})).await
    );
}

#[tokio::test]
async fn volunteer_pages_walk_every_volunteer_once() {
    let app = spawn_app().await;
    generate(&app.db, &opts(5), false).await.unwrap();
    let admin = app.admin_token().await;
    let q = r#"query($after: String) { volunteers(under: "440104003", first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id unitCode } } } }"#;
    let mut after = json!(null);
    let mut seen = Vec::new();
    loop {
        let data = app.data_as(&admin, q, json!({ "after": after })).await;
        let conn = &data["volunteers"];
        for e in conn["edges"].as_array().unwrap() {
            seen.push((
                e["node"]["unitCode"].as_str().unwrap().to_owned(),
                e["node"]["id"].as_str().unwrap().to_owned(),
            ));
        }
        if conn["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    let unique: std::collections::HashSet<_> = seen.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(unique.len(), 1_500);
    assert_eq!(seen.len(), 1_500);
    let units: Vec<&String> = seen.iter().map(|(u, _)| u).collect();
    let mut sorted = units.clone();
    sorted.sort();
    assert_eq!(units, sorted, "pages come in unit order");
    let bad = app
        .gql_as(
            &admin,
            r#"{ volunteers(after: "azE6bm9zbGFzaA") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(kapok_tests::error_codes(&bad), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn unit_stats_equal_a_recount_and_stay_in_scope() {
    let app = spawn_app().await;
    generate(&app.db, &opts(7), false).await.unwrap();
    let mut liurong = opts(8);
    liurong.under = UnitCode::parse("440104004").unwrap();
    liurong.volunteers = 700;
    liurong.teams = 12;
    generate(&app.db, &liurong, false).await.unwrap();
    let admin = app.admin_token().await;
    let stats = app
        .data_as(
            &admin,
            r#"{ unitStats(code: "440104") {
                   unitCode streets communities
                   figures { volunteers partyMembers partyMembersReporting teams organizations }
                   stations { kind count streetsCovered communitiesCovered streetCoverage communityCoverage }
                   children { unitCode figures { volunteers partyMembers teams organizations } } } }"#,
            json!({}),
        )
        .await["unitStats"]
        .clone();
    assert_eq!(stats["streets"], 18);
    assert_eq!(stats["communities"], 222);
    // Recount through the lists, a different query path.
    let count = |q: String| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let d = app.data_as(&admin, &q, json!({})).await;
            d.as_object().unwrap().values().next().unwrap()["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(stats["figures"]["volunteers"], 1_500 + 700);
    assert_eq!(
        stats["figures"]["volunteers"],
        count(r#"{ v: volunteers(under: "440104") { totalCount } }"#.into()).await
    );
    assert_eq!(
        stats["figures"]["partyMembers"],
        count(r#"{ v: volunteers(under: "440104", partyMember: true) { totalCount } }"#.into())
            .await
    );
    assert_eq!(
        stats["figures"]["teams"],
        count(r#"{ t: teams(under: "440104") { totalCount } }"#.into()).await
    );
    assert_eq!(
        stats["figures"]["organizations"],
        count(r#"{ o: organizations(under: "440104") { totalCount } }"#.into()).await
    );
    // Demo party members report to their own community, inside the district.
    assert_eq!(
        stats["figures"]["partyMembersReporting"],
        stats["figures"]["partyMembers"]
    );
    let children = stats["children"].as_array().unwrap();
    assert_eq!(children.len(), 18);
    let mut sum = 0;
    for c in children {
        let code = c["unitCode"].as_str().unwrap();
        let n = count(format!(
            r#"{{ v: volunteers(under: "{code}") {{ totalCount }} }}"#
        ))
        .await;
        assert_eq!(c["figures"]["volunteers"], n, "{code}");
        sum += n;
    }
    assert_eq!(sum, 2_200, "children add up to the whole");
    let points = stats["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "SOCIAL_WORK_POINT")
        .unwrap()
        .clone();
    assert_eq!(
        points["communitiesCovered"],
        13 + 16,
        "every community of the two streets"
    );
    let workstations = stats["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "SOCIAL_WORK_STATION")
        .unwrap()
        .clone();
    assert_eq!(workstations["streetsCovered"], 2);
    assert!((workstations["streetCoverage"].as_f64().unwrap() - 2.0 / 18.0).abs() < 1e-9);

    // A street admin gets its street and is refused the district and the neighbour.
    let (_, street) = app
        .user_with_role("beijing_admin", "440104003", Some("street_admin"))
        .await;
    let own = app
        .data_as(
            &street,
            r#"{ unitStats(code: "440104003") { figures { volunteers } children { unitCode } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(own["unitStats"]["figures"]["volunteers"], 1_500);
    assert_eq!(own["unitStats"]["children"].as_array().unwrap().len(), 13);
    for code in ["440104", "440104004"] {
        let body = app
            .gql_as(
                &street,
                &format!(r#"{{ unitStats(code: "{code}") {{ figures {{ volunteers }} }} }}"#),
                json!({}),
            )
            .await;
        assert_eq!(
            kapok_tests::error_codes(&body),
            ["FORBIDDEN"],
            "{code}: {body:#}"
        );
    }
    // A period with no registrations counts none.
    let none = app
        .data_as(&admin, r#"{ unitStats(code: "440104", from: "2001-01-01T00:00:00Z", to: "2002-01-01T00:00:00Z") { figures { volunteers } } }"#, json!({}))
        .await;
    assert_eq!(none["unitStats"]["figures"]["volunteers"], 0);
}
