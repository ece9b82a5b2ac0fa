//! `kapok demo-data`: reproducible, valid, scoped like everything else.

use kapok_api::ops::demo::{generate, DemoOptions};
use kapok_tests::spawn_app;
use policies::UnitCode;
use serde_json::json;

fn opts(seed: u64) -> DemoOptions {
    DemoOptions {
        under: UnitCode::parse("440104003").unwrap(),
        volunteers: 1_500,
        teams: 30,
        organizations: 6,
        activities: 60,
        records: 3_000,
        donations: 3_000,
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

/// On PostgreSQL the generated tables are left as a load of real data would be after
/// maintenance: the twice-written volunteers compact (no larger than a fresh copy of
/// them), and every page of the search's name parts marked all-visible for
/// index-only scans.
#[tokio::test]
async fn demo_data_leaves_postgresql_tables_compact_and_vacuumed() {
    let app = spawn_app().await;
    if app.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    generate(&app.db, &opts(4), false).await.unwrap();
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("CREATE TABLE volunteer_copy AS SELECT * FROM volunteer")
        .await
        .unwrap();
    let size = app.scalar("SELECT pg_relation_size('volunteer')").await;
    let copy = app
        .scalar("SELECT pg_relation_size('volunteer_copy')")
        .await;
    assert!(
        size > 0 && size <= copy + copy / 10,
        "{size} bytes, a copy {copy}"
    );
    let pages = app
        .scalar("SELECT relpages FROM pg_class WHERE relname = 'volunteer_name_part'")
        .await;
    let visible = app
        .scalar("SELECT relallvisible FROM pg_class WHERE relname = 'volunteer_name_part'")
        .await;
    assert!(
        pages > 0 && visible == pages,
        "{visible} of {pages} pages all-visible"
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
    liurong.activities = 20;
    liurong.records = 500;
    generate(&app.db, &liurong, false).await.unwrap();
    let admin = app.admin_token().await;
    let stats = app
        .data_as(
            &admin,
            r#"{ unitStats(code: "440104") {
                   unitCode streets communities
                   figures { volunteers partyMembers partyMembersReporting teams organizations
                             activitiesHeld peopleServed hoursServed serviceRecords volunteersByStar { stars count } }
                   stations { kind count streetsCovered communitiesCovered streetCoverage communityCoverage }
                   children { unitCode figures { volunteers partyMembers teams organizations hoursServed } } } }"#,
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
    // Activity and hour figures against a recount from the rows.
    let one = |q: &'static str| {
        let app = &app;
        async move {
            use sea_orm::{ConnectionTrait, Statement};
            let row = app
                .db
                .query_one_raw(Statement::from_string(app.db.get_database_backend(), q))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let half = one("SELECT CAST(SUM(half_hours) AS BIGINT) FROM service_record WHERE state = 'approved' AND unit_code LIKE '440104%'").await;
    assert!(half > 1_000);
    assert_eq!(
        stats["figures"]["hoursServed"].as_f64().unwrap(),
        half as f64 / 2.0
    );
    assert_eq!(
        stats["figures"]["serviceRecords"],
        one("SELECT COUNT(*) FROM service_record WHERE state = 'approved' AND unit_code LIKE '440104%'").await
    );
    assert_eq!(stats["figures"]["activitiesHeld"], 80);
    assert_eq!(
        stats["figures"]["peopleServed"],
        one("SELECT CAST(SUM(people_served) AS BIGINT) FROM activity WHERE state = 'closed'").await
    );
    let stars = stats["figures"]["volunteersByStar"].as_array().unwrap();
    assert_eq!(stars.len(), 5);
    for (n, s) in stars.iter().enumerate() {
        assert_eq!(s["stars"], n + 1);
        let q = format!("SELECT COUNT(*) FROM volunteer WHERE stars = {}", n + 1);
        let q: &'static str = Box::leak(q.into_boxed_str());
        assert_eq!(
            s["count"].as_i64().unwrap(),
            one(q).await,
            "{} stars",
            n + 1
        );
    }
    // The ledger: every volunteer's total is the sum of its approved records.
    assert_eq!(
        one("SELECT COUNT(*) FROM volunteer v WHERE approved_half_hours <> COALESCE((SELECT SUM(half_hours) FROM service_record r WHERE r.volunteer_id = v.id AND r.state = 'approved'), 0)").await,
        0
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
    // Unfiltered totals come from the kept figures: check them against the rows.
    for c in children {
        let code = c["unitCode"].as_str().unwrap();
        let q = format!("SELECT COUNT(*) FROM volunteer WHERE unit_code LIKE '{code}%'");
        let q: &'static str = Box::leak(q.into_boxed_str());
        assert_eq!(c["figures"]["volunteers"], one(q).await, "{code}");
    }
    assert_eq!(
        one("SELECT COUNT(*) FROM volunteer WHERE unit_code LIKE '440104%'").await,
        2_200
    );
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
    // Every kind, against the rows (one grouped statement counts them all).
    let kinds = stats["stations"].as_array().unwrap();
    assert_eq!(kinds.len(), 7);
    for k in kinds {
        let kind = k["kind"].as_str().unwrap().to_lowercase();
        let q = format!("SELECT COUNT(*) FROM station WHERE kind = '{kind}' AND closed_on IS NULL AND unit_code LIKE '440104%'");
        let q: &'static str = Box::leak(q.into_boxed_str());
        assert_eq!(k["count"].as_i64().unwrap(), one(q).await, "{kind}");
        let q = format!("SELECT COUNT(DISTINCT substr(unit_code, 1, 12)) FROM station WHERE kind = '{kind}' AND closed_on IS NULL AND unit_code LIKE '440104%' AND length(unit_code) >= 12");
        let q: &'static str = Box::leak(q.into_boxed_str());
        assert_eq!(
            k["communitiesCovered"].as_i64().unwrap(),
            one(q).await,
            "{kind}"
        );
    }
    // Stations are counted only when asked for: without them the same answer, and
    // one statement fewer (the caller is kept after the first request; measured
    // again if another request's statements fell between).
    let with = r#"{ unitStats(code: "440104") { figures { volunteers hoursServed } children { unitCode } stations { kind count } } }"#;
    let without = r#"{ unitStats(code: "440104") { figures { volunteers hoursServed } children { unitCode } } }"#;
    let mut fewer = false;
    for _ in 0..3 {
        let a = app.statements().await;
        let full = app.data_as(&admin, with, json!({})).await;
        let b = app.statements().await;
        let part = app.data_as(&admin, without, json!({})).await;
        let c = app.statements().await;
        assert_eq!(full["unitStats"]["figures"], part["unitStats"]["figures"]);
        assert_eq!(full["unitStats"]["children"], part["unitStats"]["children"]);
        let kinds: Vec<_> = stats["stations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| json!({ "kind": k["kind"], "count": k["count"] }))
            .collect();
        assert_eq!(full["unitStats"]["stations"], json!(kinds));
        if b - a == c - b + 1 {
            fewer = true;
            break;
        }
    }
    assert!(fewer, "stations were counted though not asked for");

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
        .data_as(&admin, r#"{ unitStats(code: "440104", from: "2001-01-01", to: "2002-01-01") { figures { volunteers newVolunteers hoursServed } } }"#, json!({}))
        .await;
    assert_eq!(
        none["unitStats"]["figures"],
        json!({ "volunteers": 0, "newVolunteers": 0, "hoursServed": 0.0 })
    );
    // A period counts the hours served in it; the whole year counts them all.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let year = app
        .data_as(&admin, &format!(r#"{{ unitStats(code: "440104", from: "{}", to: "{today}") {{ figures {{ hoursServed newVolunteers volunteers }} }} }}"#, today - chrono::Duration::days(400)), json!({}))
        .await;
    assert_eq!(
        year["unitStats"]["figures"]["hoursServed"],
        stats["figures"]["hoursServed"]
    );
    assert_eq!(year["unitStats"]["figures"]["newVolunteers"], 2_200);
    let half_year = app
        .data_as(&admin, &format!(r#"{{ unitStats(code: "440104", from: "{}", to: "{today}") {{ figures {{ hoursServed }} }} }}"#, today - chrono::Duration::days(182)), json!({}))
        .await;
    let part = half_year["unitStats"]["figures"]["hoursServed"]
        .as_f64()
        .unwrap();
    assert!(part > 0.0 && part < stats["figures"]["hoursServed"].as_f64().unwrap());
}

#[tokio::test]
async fn service_record_pages_walk_every_record_once_newest_first_by_unit() {
    let app = spawn_app().await;
    let mut o = opts(6);
    o.under = UnitCode::parse("440104").unwrap();
    o.volunteers = 900;
    o.teams = 20;
    o.activities = 40;
    o.records = 1_200;
    generate(&app.db, &o, false).await.unwrap();
    let admin = app.admin_token().await;
    let q = r#"query($after: String) { serviceRecords(under: "440104", first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id unitCode } } } }"#;
    let mut after = json!(null);
    let mut seen: Vec<(String, i64)> = Vec::new();
    let mut total: i64;
    loop {
        let data = app.data_as(&admin, q, json!({ "after": after })).await;
        let conn = &data["serviceRecords"];
        total = conn["totalCount"].as_i64().unwrap();
        for e in conn["edges"].as_array().unwrap() {
            let id = e["node"]["id"].as_str().unwrap();
            seen.push((e["node"]["unitCode"].as_str().unwrap().to_owned(), raw(id)));
        }
        if conn["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert!(total > 500, "{total}");
    assert_eq!(seen.len() as i64, total);
    let unique: std::collections::HashSet<_> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(unique.len() as i64, total);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "by unit, newest first within a unit");
}

fn raw(id: &str) -> i64 {
    use base64::Engine;
    let s = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .unwrap();
    String::from_utf8(s)
        .unwrap()
        .split_once(':')
        .unwrap()
        .1
        .parse()
        .unwrap()
}

/// The charity part: funds in most streets and some communities, a year of
/// donations with gap-free receipts and balanced entries, pledges and payments in
/// every state, annual reports published; the kept figures agree with the rows.
#[tokio::test]
async fn demo_charity_data_is_consistent_and_disclosed() {
    let app = spawn_app().await;
    let report = generate(&app.db, &opts(11), false).await.unwrap();
    assert_eq!(report.funds, 2, "北京街道 and one of its 13 communities");
    // The year's gifts, and a share of each supermarket sale.
    assert!(report.donations > 3_000);
    let gifts = report.donations as i64;
    assert!(report.pledges > 0 && report.disbursements > 0);
    assert_eq!(report.reports, 2);
    let admin = app.admin_token().await;
    let d = app
        .data_as(
            &admin,
            r#"{ funds(under: "440104003") { totalCount }
                 donations(under: "440104003") { totalCount }
                 paid: disbursements(state: PAID) { totalCount }
                 reversed: disbursements(state: REVERSED) { totalCount }
                 returned: disbursements(state: RETURNED) { totalCount }
                 campaigns { totalCount }
                 unitStats(code: "440104003") { communitiesWithFund figures { charity { funds raisedFen donations disbursedFen balanceFen pledgesOpen } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["funds"]["totalCount"], 2);
    assert_eq!(d["donations"]["totalCount"], gifts);
    assert_eq!(d["campaigns"]["totalCount"], 1);
    for state in ["paid", "reversed", "returned"] {
        assert!(d[state]["totalCount"].as_i64().unwrap() > 0, "{state}");
    }
    let charity = &d["unitStats"]["figures"]["charity"];
    assert_eq!(charity["funds"], 2);
    assert_eq!(charity["donations"], gifts);
    assert_eq!(d["unitStats"]["communitiesWithFund"], 1);
    let one = |q: &'static str| {
        let app = &app;
        async move { app.scalar(q).await }
    };
    assert_eq!(
        charity["raisedFen"].as_i64().unwrap(),
        one("SELECT CAST(SUM(amount_fen) AS BIGINT) FROM donation").await
    );
    assert_eq!(
        charity["balanceFen"].as_i64().unwrap(),
        one("SELECT CAST(SUM(amount_fen) AS BIGINT) FROM ledger_line WHERE fund_id IS NOT NULL")
            .await
    );
    assert!(charity["disbursedFen"].as_i64().unwrap() > 0);
    assert_eq!(
        one("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_line GROUP BY entry_id HAVING SUM(amount_fen) <> 0) t").await,
        0,
        "every entry balances"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM receipt_counter c WHERE last_seq <> (SELECT COUNT(*) FROM donation d WHERE d.fund_id = c.fund_id AND d.receipt_number LIKE '%-' || c.year || '-%')").await,
        0,
        "receipts run 1..n per fund and year"
    );
    // Last year's reports are public; compliance sees them on time.
    let public = app
        .data(
            r#"{ disclosureReports(under: "440104003") { totalCount nodes { kind raisedFen } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(public["disclosureReports"]["totalCount"], 2);
    let c = app
        .data_as(
            &admin,
            r#"{ disclosureCompliance(under: "440104003") { onTime overdue } }"#,
            json!({}),
        )
        .await;
    let on_time: i64 = c["disclosureCompliance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["onTime"].as_i64().unwrap())
        .sum();
    assert_eq!(on_time, 2);
}

#[tokio::test]
async fn demo_community_data_is_consistent_and_scoped() {
    let app = spawn_app().await;
    let report = generate(&app.db, &opts(13), false).await.unwrap();
    assert_eq!(report.help_requests, 13 * 8, "eight per community");
    assert_eq!(report.supermarkets, 2);
    assert!(report.time_accounts > 0 && report.stock_moves > 0);
    let one = |q: &'static str| {
        let app = &app;
        async move { app.scalar(q).await }
    };
    // Every state in use; claims only by volunteers of the request's community.
    assert_eq!(
        one("SELECT COUNT(DISTINCT state) FROM help_request").await,
        7
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM help_request h JOIN volunteer v ON v.id = h.claimed_volunteer_id WHERE v.unit_code <> h.unit_code").await,
        0
    );
    // The time bank: deposits match approved hours (capped), balances are the sums
    // of their lines, entries balance, no volunteer below zero.
    assert_eq!(
        one("SELECT COUNT(*) FROM time_account a WHERE a.balance_minutes <> (SELECT COALESCE(SUM(minutes), 0) FROM time_line l WHERE l.account_id = a.id)").await,
        0
    );
    assert_eq!(one("SELECT COUNT(*) FROM (SELECT entry_id FROM time_line GROUP BY entry_id HAVING SUM(minutes) <> 0) t").await, 0);
    assert_eq!(
        one("SELECT COUNT(*) FROM time_account a JOIN volunteer v ON v.id = a.volunteer_id WHERE a.deposited_minutes <> CASE WHEN v.approved_half_hours * 30 > 90000 THEN 90000 ELSE v.approved_half_hours * 30 END").await,
        0
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM time_account WHERE kind = 'volunteer' AND balance_minutes < 0")
            .await,
        0
    );
    // Stock: the movements' sum, never below zero; quotas; shares are the fund's.
    assert_eq!(
        one("SELECT COUNT(*) FROM stock_item i WHERE i.quantity < 0 OR i.quantity <> (SELECT COALESCE(SUM(quantity), 0) FROM stock_move m WHERE m.item_id = i.id)").await,
        0
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM (SELECT household_id, month FROM stock_move WHERE kind = 'free_issue' GROUP BY household_id, month HAVING SUM(-quantity) > 5) t").await,
        0
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM stock_move m JOIN donation d ON d.id = m.share_donation_id WHERE d.amount_fen <> m.share_fen OR m.share_fen <> m.amount_fen * 10 / 100").await,
        0
    );
    assert!(one("SELECT COUNT(*) FROM stock_move WHERE share_donation_id IS NOT NULL").await > 0);
    // Read through the API like live records: a street admin sees its street's.
    let (_, street) = app
        .user_with_role("demo_street", "440104003", Some("street_admin"))
        .await;
    let d = app
        .data_as(
            &street,
            "{ helpRequests { totalCount } stockItems { totalCount } households { totalCount } timeAccounts(kind: VOLUNTEER) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["helpRequests"]["totalCount"], 13 * 8);
    assert_eq!(d["stockItems"]["totalCount"], 16);
    assert_eq!(d["households"]["totalCount"], 13 * 3);
    assert_eq!(d["timeAccounts"]["totalCount"], report.time_accounts as i64);
    let public = app
        .data(
            "{ publishedNeeds(under: \"440104003\") { totalCount } }",
            json!({}),
        )
        .await;
    assert!(public["publishedNeeds"]["totalCount"].as_i64().unwrap() >= 13);
}

/// `unitStats` reads whole months from `unit_monthly` (a city's districts from
/// `subtree_monthly`) and only the edges of a period from `unit_daily`; for periods
/// starting and ending on and off month boundaries, every figure of a district and of
/// the city must equal the sum of the daily rows alone, and the kept months must
/// equal the days rolled up.
#[tokio::test]
async fn unit_stats_over_any_period_equal_the_daily_rows() {
    use chrono::{Datelike, Duration, NaiveDate};
    use kapok_api::services::daily::{bump, Delta};
    let app = spawn_app().await;
    generate(&app.db, &opts(11), false).await.unwrap();
    let admin = app.admin_token().await;
    // Figures kept at the city itself and at a second district, a month apart: the
    // city's own months are read beside its districts'.
    let city = UnitCode::parse("4401").unwrap();
    let other = UnitCode::parse("440106001").unwrap();
    let now = (chrono::Utc::now() + Duration::hours(8)).date_naive();
    let d = Delta {
        volunteers: 3,
        half_hours: 40,
        records: 2,
        raised_fen: 500,
        ..Delta::default()
    };
    bump(&app.db, &city, now - chrono::Months::new(2), d)
        .await
        .unwrap();
    bump(&app.db, &city, now, d).await.unwrap();
    bump(&app.db, &other, now - chrono::Months::new(1), d)
        .await
        .unwrap();
    // A figure summed from the daily rows alone.
    let daily = |col: &'static str, cond: String| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT CAST(COALESCE(SUM({col}), 0) AS BIGINT) FROM unit_daily WHERE {cond}"
            ))
            .await
        }
    };
    // Offices count China Standard Time days.
    let today = (chrono::Utc::now() + Duration::hours(8)).date_naive();
    let first = |d: NaiveDate| d.with_day(1).unwrap();
    let months_ago = |n: u32| first(today) - chrono::Months::new(n);
    let last_of = |d: NaiveDate| first(d) + chrono::Months::new(1) - Duration::days(1);
    let periods: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = vec![
        (None, None),
        (Some(months_ago(6)), Some(last_of(months_ago(2)))),
        (
            Some(months_ago(7) + Duration::days(14)),
            Some(months_ago(3) + Duration::days(9)),
        ),
        (
            Some(months_ago(4) + Duration::days(14)),
            Some(months_ago(4) + Duration::days(19)),
        ),
        (None, Some(last_of(months_ago(1)))),
        (None, Some(months_ago(5) + Duration::days(3))),
        (Some(months_ago(9) + Duration::days(1)), Some(months_ago(8))),
        (Some(months_ago(11)), None),
        (Some(first(today)), None),
        (Some(today), Some(today)),
    ];
    for ((from, to), (unit, kids)) in periods
        .into_iter()
        .flat_map(|p| [(p, ("440104", 18)), (p, ("4401", 11))])
    {
        let args = [("from", from), ("to", to)]
            .iter()
            .filter_map(|(k, v)| v.map(|d| format!(r#", {k}: "{d}""#)))
            .collect::<String>();
        let stats = app
            .data_as(
                &admin,
                &format!(
                    r#"{{ unitStats(code: "{unit}"{args}) {{
                        figures {{ volunteers newVolunteers hoursServed serviceRecords activitiesHeld peopleServed
                                  charity {{ raisedFen donations disbursedFen balanceFen pledgesOpen }} }}
                        children {{ unitCode figures {{ volunteers hoursServed serviceRecords }} }} }} }}"#
                ),
                json!({}),
            )
            .await["unitStats"]
            .clone();
        let to = to.unwrap_or(today);
        let upto = format!("unit_code LIKE '{unit}%' AND day <= '{to}'");
        let within = match from {
            Some(f) => format!("{upto} AND day >= '{f}'"),
            None => upto.clone(),
        };
        let f = &stats["figures"];
        let c = &f["charity"];
        let label = format!("{unit} {from:?}..{to}");
        let half = daily("half_hours", within.clone()).await;
        assert_eq!(
            f["hoursServed"].as_f64().unwrap(),
            half as f64 / 2.0,
            "{label}"
        );
        for (got, col, cond) in [
            (&f["volunteers"], "volunteers", &upto),
            (&f["newVolunteers"], "volunteers", &within),
            (&f["serviceRecords"], "records", &within),
            (&f["activitiesHeld"], "activities_held", &within),
            (&f["peopleServed"], "people_served", &within),
            (&c["raisedFen"], "raised_fen", &within),
            (&c["donations"], "donations", &within),
            (&c["disbursedFen"], "disbursed_fen", &within),
            (&c["balanceFen"], "fund_net_fen", &upto),
            (&c["pledgesOpen"], "pledges_open", &upto),
        ] {
            assert_eq!(*got, daily(col, cond.clone()).await, "{label} {col}");
        }
        let children = stats["children"].as_array().unwrap();
        assert_eq!(children.len(), kids);
        for c in children {
            let code = c["unitCode"].as_str().unwrap();
            let within = within.replace(&format!("'{unit}%'"), &format!("'{code}%'"));
            let upto = upto.replace(&format!("'{unit}%'"), &format!("'{code}%'"));
            assert_eq!(
                c["figures"]["serviceRecords"],
                daily("records", within).await,
                "{label} {code}"
            );
            assert_eq!(
                c["figures"]["volunteers"],
                daily("volunteers", upto).await,
                "{label} {code}"
            );
        }
    }
    // The months a rebuild left are the days rolled up (both ways round), and the
    // kept subtrees the months summed.
    assert!(app.scalar("SELECT COUNT(*) FROM unit_monthly").await > 12);
    assert_eq!(app.months_apart_from_days().await, 0);
    assert!(app.scalar("SELECT COUNT(*) FROM subtree_monthly").await > 12);
    assert_eq!(app.subtrees_apart_from_months().await, 0);
}

/// A list's `totalCount` is read from the kept figures: a kept subtree's own months
/// (a city, a district) when every subtree the caller reads is one, otherwise its
/// units' months. Whatever the shape of the caller's reach — nested roles, two
/// districts, a district and a street elsewhere, narrowed by `under` — it equals a
/// count of the rows.
#[tokio::test]
async fn kept_totals_equal_a_count_for_every_shape_of_reach() {
    let app = spawn_app().await;
    generate(&app.db, &opts(5), false).await.unwrap();
    let mut tianhe = opts(6);
    tianhe.under = UnitCode::parse("440106001").unwrap();
    tianhe.volunteers = 400;
    tianhe.activities = 10;
    tianhe.records = 200;
    tianhe.donations = 100;
    generate(&app.db, &tianhe, false).await.unwrap();
    let admin = app.admin_token().await;
    let grant = |user: String, role: &'static str, unit: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            app.data_as(
                &admin,
                "mutation($i: GrantRoleInput!) { grantRole(input: $i) { assignment { id } } }",
                json!({ "i": { "userId": user, "role": role, "unitCode": unit } }),
            )
            .await;
        }
    };
    // The first administrator is the city's.
    let city = admin.clone();
    let (_, district) = app
        .user_with_role("da_kept", "440104", Some("district_admin"))
        .await;
    let (nested, _) = app
        .user_with_role("nested_kept", "440104", Some("district_admin"))
        .await;
    grant(nested, "street_admin", "440104003").await;
    let nested = app.login("nested_kept", "nested_kept-password").await;
    let (in_city, _) = app
        .user_with_role("in_city_kept", "440104", Some("district_admin"))
        .await;
    grant(in_city, "auditor", "4401").await;
    let in_city = app.login("in_city_kept", "in_city_kept-password").await;
    let (two, _) = app
        .user_with_role("two_kept", "440104", Some("district_admin"))
        .await;
    grant(two, "district_admin", "440106").await;
    let two = app.login("two_kept", "two_kept-password").await;
    let (mixed, _) = app
        .user_with_role("mixed_kept", "440104", Some("district_admin"))
        .await;
    grant(mixed, "street_admin", "440106001").await;
    let mixed = app.login("mixed_kept", "mixed_kept-password").await;
    let rows = |cond: &'static str| {
        let app = &app;
        async move {
            app.scalar(&format!("SELECT COUNT(*) FROM volunteer WHERE {cond}"))
                .await
        }
    };
    let in_104 = "unit_code LIKE '440104%'";
    let in_106 = "unit_code LIKE '440106%'";
    let cases: Vec<(&str, &str, &str, i64)> = vec![
        ("city", &city, "", rows("unit_code LIKE '4401%'").await),
        (
            "city under a district",
            &city,
            r#"under: "440106""#,
            rows(in_106).await,
        ),
        (
            "city under a street",
            &city,
            r#"under: "440104003""#,
            rows("unit_code LIKE '440104003%'").await,
        ),
        ("district", &district, "", rows(in_104).await),
        (
            "district and a street in it",
            &nested,
            "",
            rows(in_104).await,
        ),
        (
            "district and the city around it",
            &in_city,
            "",
            rows("unit_code LIKE '4401%'").await,
        ),
        (
            "two districts",
            &two,
            "",
            rows("unit_code LIKE '440104%' OR unit_code LIKE '440106%'").await,
        ),
        (
            "two districts under one",
            &two,
            r#"under: "440106""#,
            rows(in_106).await,
        ),
        (
            "a district and a street elsewhere",
            &mixed,
            "",
            rows("unit_code LIKE '440104%' OR unit_code LIKE '440106001%'").await,
        ),
        ("district under another", &district, r#"under: "440106""#, 0),
    ];
    assert!(rows(in_106).await >= 400);
    for (label, token, args, expected) in cases {
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({args})")
        };
        for fields in ["totalCount", "totalCount edges { node { id } }"] {
            let got = app
                .data_as(
                    token,
                    &format!("{{ volunteers{args} {{ {fields} }} }}"),
                    json!({}),
                )
                .await["volunteers"]["totalCount"]
                .as_i64()
                .unwrap();
            assert_eq!(got, expected, "{label}: {fields}");
        }
    }
}
