//! The decision table, policy validation, and properties of the engine.

use policies::{
    can_grant, check, plan, Action, Assignment, Level, Policy, Principal, Resource, UnitCode,
};
use proptest::prelude::*;

const CASES: &str = include_str!("../decisions.toml");

#[test]
fn decision_table_passes() {
    let policy = Policy::default_policy().expect("default policy is valid");
    let report = policies::casefile::run(&policy, CASES).expect("case file parses");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert!(report.passed >= 30, "only {} cases ran", report.passed);
}

#[test]
fn a_wrong_expectation_fails() {
    // The runner must be able to fail: flip one expectation.
    let policy = Policy::default_policy().unwrap();
    let flipped = CASES.replacen(
        "expect = { allowed = true, assignment = 7, reason = \"role street_admin at 440104003\" }",
        "expect = { allowed = false }",
        1,
    );
    assert_ne!(flipped, CASES);
    let report = policies::casefile::run(&policy, &flipped).unwrap();
    assert_eq!(report.failures.len(), 1, "{:#?}", report.failures);
}

fn refused(text: &str, needle: &str) {
    match Policy::from_toml(text) {
        Ok(_) => panic!("policy accepted, expected refusal mentioning {needle:?}"),
        Err(e) => assert!(e.to_string().contains(needle), "{e}"),
    }
}

#[test]
fn invalid_policies_are_refused() {
    let base = policies::DEFAULT_POLICY;
    refused(
        &base.replace("resource = \"audit_log\"", "resource = \"audit_logs\""),
        "audit_logs",
    );
    refused(
        &base.replace("actions = [\"browse\"] },\n]", "actions = [\"fly\"] },\n]"),
        "fly",
    );
    refused(
        &base.replace("levels = [\"street\"]", "levels = [\"village\"]"),
        "village",
    );
    refused(
        &base.replace("grantable = [\"community_admin\"", "grantable = [\"mayor\""),
        "mayor",
    );
    refused(
        &base.replace(
            "grantable = [\"community_admin\"",
            "grantable = [\"city_admin\"",
        ),
        "may not grant city_admin",
    );
    refused(&base.replace("version = 1", "version = 2"), "version 2");
    refused(
        &base.replace("share_percent = 10", "share_percent = 110"),
        "share_percent",
    );
    refused(
        &base.replace(
            "hardship_redemption_age = 60",
            "hardship_redemption_age = 70",
        ),
        "hardship_redemption_age",
    );
    refused(
        &base.replace("coins_per_hour = 1", "coins_per_hour = 0"),
        "coins_per_hour",
    );
    refused(
        &base.replace(
            "action = \"read\"\n\n[[field_rules]]",
            "action = \"explain\"\n\n[[field_rules]]",
        ),
        "field rule",
    );
    refused(
        &base.replace(
            "{ resource = \"user\", actions = [\"read\", \"update\"], scope = \"own\" }",
            "{ resource = \"unit\", actions = [\"read\"], scope = \"own\" }",
        ),
        "no owner",
    );
    refused(
        "version = 1\n[roles]\n[stars]\nhours = [1]\ngrant_levels = [\"root\"]\nnotice_working_days = 1\nfraud_bar_days = 0\n",
        "no roles",
    );
    refused(
        &base.replace("hours = [100, 300, 600", "hours = [100, 300, 300"),
        "strictly increasing",
    );
    refused(
        &base.replace("grant_levels = [\"district\", ", "grant_levels = ["),
        "names 4 levels for 5 thresholds",
    );
    refused(
        &base.replace("\"city\", \"root\"]", "\"city\", \"planet\"]"),
        "unknown grant level",
    );
    refused(&base.replace("[stars]", "[starz]"), "starz");
    refused("not toml at all [", "policy file");
}

#[test]
fn bootstrap_role_is_the_top_role_of_the_level() {
    let policy = Policy::default_policy().unwrap();
    assert_eq!(policy.top_role_at(Level::City), Some("city_admin"));
    assert_eq!(policy.top_role_at(Level::Province), Some("province_admin"));
}

// A small hierarchy to draw units and assignments from.
const UNITS: [&str; 12] = [
    "44",
    "4401",
    "4403",
    "440104",
    "440105",
    "440104003",
    "440104004",
    "440105001",
    "440104003108",
    "440104003109",
    "440104004001",
    "440104003108001",
];
const ROLES: [&str; 10] = [
    "province_admin",
    "city_admin",
    "district_admin",
    "street_admin",
    "community_admin",
    "auditor",
    "social_worker",
    "fund_manager",
    "volunteer",
    "no_such_role",
];
const RESOURCES: [Resource; 22] = Resource::ALL;
const ACTIONS: [Action; 10] = [
    Action::Read,
    Action::Create,
    Action::Update,
    Action::Disable,
    Action::Grant,
    Action::Revoke,
    Action::Explain,
    Action::ReadPersonal,
    Action::Approve,
    Action::Browse,
];

fn unit() -> impl Strategy<Value = UnitCode> {
    prop::sample::select(UNITS.to_vec()).prop_map(|u| UnitCode::parse(u).unwrap())
}

fn assignment() -> impl Strategy<Value = Assignment> {
    (
        1..1000i64,
        prop::sample::select(ROLES.to_vec()),
        unit(),
        prop::option::of(0..200i64),
    )
        .prop_map(|(id, role, unit, expires_at)| Assignment {
            id,
            role: role.into(),
            unit,
            expires_at,
        })
}

fn principal() -> impl Strategy<Value = Principal> {
    (
        prop::option::of(1..5i64),
        prop::collection::vec(assignment(), 0..6),
        0..200i64,
    )
        .prop_map(|(user_id, assignments, now)| Principal {
            user_id,
            assignments,
            now,
        })
}

proptest! {
    #[test]
    fn check_is_plan_membership(
        p in principal(),
        r in prop::sample::select(RESOURCES.to_vec()),
        a in prop::sample::select(ACTIONS.to_vec()),
        u in unit(),
    ) {
        let policy = Policy::default_policy().unwrap();
        let scope = plan(&policy, &p, r, a);
        let decision = check(&policy, &p, r, a, &u);
        // Membership by brute force: public, or inside some subtree of the plan.
        let brute = scope.public || scope.subtrees.iter().any(|(s, _)| s.contains(&u));
        prop_assert_eq!(decision.allowed(), brute);
        // And the plan agrees with the assignments themselves.
        let direct = policy.is_public(r, a) || p.assignments.iter().any(|x| {
            x.expires_at.is_none_or(|e| e > p.now)
                && x.unit.contains(&u)
                && policy.role(&x.role).is_some_and(|role| role.permissions.iter().any(|perm| {
                    perm.resource == r && perm.actions.contains(&a) && perm.scope == policies::Reach::Subtree
                }))
        });
        prop_assert_eq!(decision.allowed(), direct);
        // Normalized: sorted, none inside another.
        for w in scope.subtrees.windows(2) {
            prop_assert!(w[0].0 < w[1].0);
            prop_assert!(!w[0].0.contains(w[1].0));
        }
        if let Some(x) = decision.assignment() {
            prop_assert!(x.unit.contains(&u));
        }
    }

    #[test]
    fn delegation_never_escalates(
        p in principal(),
        grantee in 1..5i64,
        role in prop::sample::select(ROLES.to_vec()),
        u in unit(),
        expires_at in prop::option::of(0..300i64),
    ) {
        let policy = Policy::default_policy().unwrap();
        let d = can_grant(&policy, &p, grantee, role, &u, expires_at);
        if d.allowed() {
            let by = d.assignment().expect("an allowed grant names its assignment");
            let by_role = policy.role(&by.role).unwrap();
            let granted = policy.role(role).unwrap();
            prop_assert!(p.user_id.is_some() && p.user_id != Some(grantee));
            prop_assert!(granted.rank < by_role.rank);
            prop_assert!(by_role.grantable.iter().any(|g| g == role));
            prop_assert!(by.unit.contains(&u));
            prop_assert!(granted.levels.contains(&u.level()));
            prop_assert!(by.expires_at.is_none_or(|e| e > p.now));
            if let Some(limit) = by.expires_at {
                prop_assert!(expires_at.is_some_and(|e| e <= limit));
            }
            // Whatever the grantee receives, the grantor could already do there.
            for perm in &granted.permissions {
                for action in &perm.actions {
                    if perm.scope == policies::Reach::Subtree {
                        prop_assert!(
                            check(&policy, &p, perm.resource, *action, &u).allowed(),
                            "{role} grants {}.{} the grantor lacks", perm.resource, action
                        );
                    }
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn check_names_the_same_assignment_as_the_plan(
        p in principal(),
        r in prop::sample::select(RESOURCES.to_vec()),
        a in prop::sample::select(ACTIONS.to_vec()),
        u in unit(),
    ) {
        let policy = Policy::default_policy().unwrap();
        let via_plan = plan(&policy, &p, r, a).decide(&u, None);
        let direct = check(&policy, &p, r, a, &u);
        prop_assert_eq!(via_plan, direct);
    }
}

#[test]
fn stars_follow_the_thresholds_and_levels() {
    use policies::GrantLevel;
    let policy = Policy::default_policy().unwrap();
    let rules = policy.star_rules();
    let table = [
        (0.0, 0),
        (99.5, 0),
        (100.0, 1),
        (299.5, 1),
        (300.0, 2),
        (600.0, 3),
        (1000.0, 4),
        (1499.5, 4),
        (1500.0, 5),
        (9000.0, 5),
    ];
    for (hours, stars) in table {
        assert_eq!(rules.stars_for(hours), stars, "{hours} h");
    }
    assert_eq!(
        rules.grant_level(1),
        Some(GrantLevel::AtLeast(Level::District))
    );
    assert_eq!(rules.grant_level(4), Some(GrantLevel::AtLeast(Level::City)));
    assert_eq!(rules.grant_level(5), Some(GrantLevel::Root));
    assert_eq!(rules.grant_level(0), None);
    assert_eq!(rules.grant_level(6), None);
}

#[test]
fn level_bound_checks_name_their_reason() {
    let policy = Policy::default_policy().unwrap();
    let p = Principal {
        user_id: Some(1),
        assignments: vec![Assignment {
            id: 3,
            role: "district_admin".into(),
            unit: UnitCode::parse("440104").unwrap(),
            expires_at: None,
        }],
        now: 0,
    };
    let unit = UnitCode::parse("440104003108").unwrap();
    let grant = |level| {
        policies::check_from_level(
            &policy,
            &p,
            Resource::StarNomination,
            Action::Grant,
            &unit,
            level,
        )
    };
    let d = grant(Level::District);
    assert!(d.allowed());
    assert_eq!(d.assignment().map(|a| a.id), Some(3));
    let d = grant(Level::City);
    assert!(!d.allowed());
    assert_eq!(
        d.reason(),
        "star_nomination.grant here needs a role held at a city or above"
    );
    let elsewhere = UnitCode::parse("440105001").unwrap();
    let d = policies::check_from_level(
        &policy,
        &p,
        Resource::StarNomination,
        Action::Grant,
        &elsewhere,
        Level::District,
    );
    assert_eq!(d.reason(), "no role grants star_nomination.grant here");
}

/// Who approves a disbursement, by amount, as the default policy says; and a charity
/// section that could send a larger amount to a lower office is refused at start.
#[test]
fn disbursement_approval_follows_the_amount() {
    let policy = Policy::default_policy().unwrap();
    let rules = policy.charity_rules();
    for (fen, level) in [
        (1, Level::Community),
        (500_000, Level::Community),
        (500_001, Level::Street),
        (5_000_000, Level::Street),
        (5_000_001, Level::District),
        (10_000_000_000, Level::District),
    ] {
        assert_eq!(rules.approval_level(fen), level, "{fen} fen");
    }
    let base = policies::DEFAULT_POLICY;
    refused(
        &base.replace(
            "{ up_to_fen = 5000000, level = \"street\" },",
            "{ up_to_fen = 5000000, level = \"grid\" },",
        ),
        "levels must not go down",
    );
    refused(
        &base.replace("  { level = \"district\" },\n", ""),
        "the last step has no `up_to_fen`",
    );
    refused(
        &base.replace("up_to_fen = 5000000", "up_to_fen = 400000"),
        "increasing",
    );
}

/// When disclosure reports fall due is policy data: the default follows 民政部令第81号,
/// and a section naming an impossible rule is refused at start.
#[test]
fn disclosure_rules_are_validated() {
    let policy = Policy::default_policy().unwrap();
    let d = policy.charity_rules().disclosure;
    assert_eq!(
        (
            d.long_campaign_months,
            d.interim_every_months,
            d.interim_due_days,
            d.final_within_months,
            d.annual_due_month,
            d.annual_due_day
        ),
        (6, 3, 30, 3, 5, 31)
    );
    let base = policies::DEFAULT_POLICY;
    refused(
        &base.replace(
            "annual_due_day = 31",
            "annual_due_day = 31\nannual_due_month = 2",
        ),
        "policy file",
    );
    refused(
        &base
            .replace("annual_due_month = 5", "annual_due_month = 2")
            .replace("annual_due_day = 31", "annual_due_day = 29"),
        "a day every year has",
    );
    refused(
        &base.replace("interim_every_months = 3", "interim_every_months = 0"),
        "1 to 36 months",
    );
    refused(
        &base.replace("interim_due_days = 30", "interim_due_days = 400"),
        "at most 365",
    );
    refused(
        &base.replace(
            "final_within_months = 3",
            "final_within_months = 3\nfinal_wthin = 1",
        ),
        "policy file",
    );
}
