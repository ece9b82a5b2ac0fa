//! Decision tests as data: a TOML file of cases (a principal's assignments, what it
//! asks, the expected decision with its reason and deciding assignment, and expected
//! list results over a small fixture tree). Run by `cargo test -p policies` and by
//! `kapok policy check [FILE]`.

use serde::Deserialize;

use crate::engine::{self, Assignment, Principal};
use crate::model::{Action, Policy, Resource};
use crate::unit::UnitCode;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// The units list cases are evaluated over.
    fixture_units: Vec<UnitCode>,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// 0 is an anonymous caller.
    #[serde(default = "default_user")]
    user_id: i64,
    #[serde(default)]
    assignments: Vec<CaseAssignment>,
    #[serde(default)]
    now: i64,
    check: Option<CheckQ>,
    grant: Option<GrantQ>,
    revoke: Option<GrantQ>,
    field: Option<FieldQ>,
    list: Option<ListQ>,
    manage: Option<ManageQ>,
    grantable: Option<GrantableQ>,
    expect: Expect,
}

/// Which roles may the caller grant at `unit`?
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantableQ {
    unit: UnitCode,
}

/// May the caller manage user `user`, who holds `holds`?
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManageQ {
    user: i64,
    holds: Vec<HeldRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeldRole {
    role: String,
    unit: UnitCode,
}

fn default_user() -> i64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseAssignment {
    id: i64,
    role: String,
    unit: UnitCode,
    expires_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckQ {
    resource: Resource,
    action: Action,
    unit: UnitCode,
    owner: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantQ {
    grantee: i64,
    role: String,
    unit: UnitCode,
    expires_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldQ {
    #[serde(rename = "type")]
    type_name: String,
    field: String,
    unit: UnitCode,
    owner: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQ {
    resource: Resource,
    action: Action,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    allowed: Option<bool>,
    /// The deciding assignment's id; 0 asserts that no assignment decided.
    assignment: Option<i64>,
    /// A substring of the decision's reason.
    reason: Option<String>,
    /// For list cases: the fixture units in scope, in code order.
    units: Option<Vec<UnitCode>>,
    /// For grantable cases: the roles, highest rank first, as `role` or `role until T`.
    roles: Option<Vec<String>>,
}

/// The outcome of a case file: how many cases ran and what failed.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub failures: Vec<String>,
}

pub fn run(policy: &Policy, text: &str) -> Result<Report, String> {
    let file: CaseFile = toml::from_str(text).map_err(|e| format!("case file: {e}"))?;
    let mut report = Report::default();
    for case in &file.cases {
        match run_case(policy, &file.fixture_units, case) {
            Ok(()) => report.passed += 1,
            Err(msg) => report.failures.push(format!("{}: {msg}", case.name)),
        }
    }
    Ok(report)
}

fn run_case(policy: &Policy, fixture: &[UnitCode], case: &Case) -> Result<(), String> {
    let principal = Principal {
        user_id: (case.user_id != 0).then_some(case.user_id),
        now: case.now,
        assignments: case
            .assignments
            .iter()
            .map(|a| Assignment {
                id: a.id,
                role: a.role.clone(),
                unit: a.unit.clone(),
                expires_at: a.expires_at,
            })
            .collect(),
    };
    let asked = [
        case.check.is_some(),
        case.grant.is_some(),
        case.revoke.is_some(),
        case.field.is_some(),
        case.list.is_some(),
        case.manage.is_some(),
        case.grantable.is_some(),
    ];
    if asked.iter().filter(|x| **x).count() != 1 {
        return Err(
            "exactly one of check, grant, revoke, field, list, manage, grantable is required"
                .into(),
        );
    }
    if let Some(g) = &case.grantable {
        let got: Vec<String> = engine::grantable_roles(policy, &principal, &g.unit)
            .into_iter()
            .map(|(role, until, _)| match until {
                Some(t) => format!("{role} until {t}"),
                None => role,
            })
            .collect();
        let want = case
            .expect
            .roles
            .as_ref()
            .ok_or("grantable cases need expect.roles")?;
        if &got != want {
            return Err(format!("expected roles {want:?}, got {got:?}"));
        }
        return Ok(());
    }
    if let Some(l) = &case.list {
        let scope = engine::plan(policy, &principal, l.resource, l.action);
        let got: Vec<UnitCode> = fixture
            .iter()
            .filter(|u| scope.decide(u, None).allowed())
            .cloned()
            .collect();
        let want = case
            .expect
            .units
            .as_ref()
            .ok_or("list cases need expect.units")?;
        if &got != want {
            return Err(format!("expected units {want:?}, got {got:?}"));
        }
        return Ok(());
    }
    let decision = if let Some(c) = &case.check {
        engine::plan(policy, &principal, c.resource, c.action).decide(&c.unit, c.owner)
    } else if let Some(g) = &case.grant {
        engine::can_grant(
            policy,
            &principal,
            g.grantee,
            &g.role,
            &g.unit,
            g.expires_at,
        )
    } else if let Some(g) = &case.revoke {
        engine::can_revoke(policy, &principal, g.grantee, &g.role, &g.unit)
    } else if let Some(m) = &case.manage {
        let held: Vec<(String, UnitCode)> = m
            .holds
            .iter()
            .map(|h| (h.role.clone(), h.unit.clone()))
            .collect();
        engine::can_manage(policy, &principal, m.user, &held)
            .ok_or("the user holds no roles: nothing decides")?
    } else if let Some(f) = &case.field {
        engine::field_allowed(policy, &principal, &f.type_name, &f.field, &f.unit, f.owner)
            .ok_or("no field rule for that field")?
    } else {
        return Err("nothing asked".into());
    };
    let reason = decision.reason();
    if let Some(want) = case.expect.allowed {
        if decision.allowed() != want {
            return Err(format!("expected allowed = {want}, got {reason:?}"));
        }
    }
    if let Some(want) = case.expect.assignment {
        let got = decision.assignment().map(|a| a.id).unwrap_or(0);
        if got != want {
            return Err(format!(
                "expected deciding assignment {want}, got {got} ({reason})"
            ));
        }
    }
    if let Some(want) = &case.expect.reason {
        if !reason.contains(want.as_str()) {
            return Err(format!(
                "expected reason containing {want:?}, got {reason:?}"
            ));
        }
    }
    Ok(())
}

/// The decision table for the built-in policy.
pub const DEFAULT_CASES: &str = include_str!("../decisions.toml");
