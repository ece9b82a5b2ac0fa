//! The decision procedure: pure, synchronous, no I/O. Every decision carries the
//! rule and the assignment that made it; anything that cannot be evaluated denies.

use std::fmt;

use crate::model::{Action, Policy, Resource, REACH_OWN, REACH_SUBTREE};
use crate::unit::UnitCode;

/// One role held at one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub id: i64,
    pub role: String,
    pub unit: UnitCode,
    /// Unix seconds; `None` never expires.
    pub expires_at: Option<i64>,
}

/// Who is asking. Anonymous callers have no user and no assignments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    pub user_id: Option<i64>,
    pub assignments: Vec<Assignment>,
    /// The time decisions are made at (unix seconds), so expiry is decided purely.
    pub now: i64,
}

impl Principal {
    pub fn anonymous(now: i64) -> Principal {
        Principal {
            user_id: None,
            assignments: Vec::new(),
            now,
        }
    }

    fn live(&self) -> impl Iterator<Item = &Assignment> {
        self.assignments
            .iter()
            .filter(move |a| a.expires_at.is_none_or(|e| e > self.now))
    }
}

/// Why something is allowed: the deciding rule and, when a role decided, its assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant<'a> {
    Public,
    Subtree(&'a Assignment),
    Own(&'a Assignment),
}

impl Grant<'_> {
    pub fn assignment(&self) -> Option<&Assignment> {
        match self {
            Grant::Public => None,
            Grant::Subtree(a) | Grant::Own(a) => Some(a),
        }
    }
}

/// Where an action is allowed: the result of [`plan`]. Subtrees are normalized:
/// sorted by code, none inside another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope<'a> {
    pub resource: Resource,
    pub action: Action,
    pub public: bool,
    pub subtrees: Vec<(&'a UnitCode, &'a Assignment)>,
    /// The caller's own rows, with the assignment granting them.
    pub own: Option<(i64, &'a Assignment)>,
}

impl<'a> Scope<'a> {
    /// Nothing is reachable: callers answer without touching the database.
    pub fn is_nothing(&self) -> bool {
        !self.public && self.subtrees.is_empty() && self.own.is_none()
    }

    pub fn is_everything(&self) -> bool {
        self.public
    }

    /// The membership test lists are filtered by. `owner` is the user a row belongs
    /// to, for resources that have one.
    pub fn decide(&self, unit: &UnitCode, owner: Option<i64>) -> Decision<'a> {
        let (resource, action) = (self.resource, self.action);
        if self.public {
            return Decision::allow(resource, action, Grant::Public);
        }
        // Subtrees are sorted and disjoint: at most one can contain the unit.
        let idx = self
            .subtrees
            .partition_point(|(code, _)| code.as_str() <= unit.as_str());
        if let Some((code, a)) = idx.checked_sub(1).map(|i| self.subtrees[i]) {
            if code.contains(unit) {
                return Decision::allow(resource, action, Grant::Subtree(a));
            }
        }
        if let (Some((me, a)), Some(owner)) = (self.own, owner) {
            if me == owner {
                return Decision::allow(resource, action, Grant::Own(a));
            }
        }
        Decision::deny(resource, action, Denial::NoPermission)
    }
}

/// Why something is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    NoPermission,
    Anonymous,
    SelfGrant,
    UnknownRole(String),
    LevelNotAllowed {
        role: String,
        level: crate::Level,
    },
    NotGrantable {
        role: String,
        by: String,
    },
    RankNotLower {
        role: String,
        by: String,
    },
    OutlivesGrantor {
        role: String,
    },
    OutsideSubtree {
        unit: UnitCode,
    },
    /// Allowed only to holders at `needed` or above.
    LevelTooLow {
        needed: crate::Level,
    },
    /// The user to manage holds a role the caller could not grant.
    HoldsStrongerRole {
        role: String,
        unit: UnitCode,
        because: Box<Denial>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'a> {
    Allowed(Grant<'a>),
    Denied(Denial),
}

/// A decision with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'a> {
    pub resource: Resource,
    pub action: Action,
    pub outcome: Outcome<'a>,
}

impl<'a> Decision<'a> {
    fn allow(resource: Resource, action: Action, grant: Grant<'a>) -> Self {
        Decision {
            resource,
            action,
            outcome: Outcome::Allowed(grant),
        }
    }

    fn deny(resource: Resource, action: Action, denial: Denial) -> Self {
        Decision {
            resource,
            action,
            outcome: Outcome::Denied(denial),
        }
    }

    pub fn allowed(&self) -> bool {
        matches!(self.outcome, Outcome::Allowed(_))
    }

    /// The assignment that decided, when one did.
    pub fn assignment(&self) -> Option<&'a Assignment> {
        match &self.outcome {
            Outcome::Allowed(Grant::Subtree(a) | Grant::Own(a)) => Some(a),
            _ => None,
        }
    }

    /// A sentence a person can read.
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (r, a) = (self.resource, self.action);
        match &self.outcome {
            Outcome::Allowed(Grant::Public) => write!(f, "{r}.{a} is public"),
            Outcome::Allowed(Grant::Subtree(x)) => write!(
                f,
                "{r}.{a} granted by role {} at {} (assignment {}) over its subtree",
                x.role, x.unit, x.id
            ),
            Outcome::Allowed(Grant::Own(x)) => write!(
                f,
                "{r}.{a} granted on the caller's own records by role {} (assignment {})",
                x.role, x.id
            ),
            Outcome::Denied(d) => match d {
                Denial::NoPermission => write!(f, "no role grants {r}.{a} here"),
                Denial::Anonymous => write!(f, "sign in to {a} {r}"),
                Denial::SelfGrant => write!(f, "no one can grant or revoke their own roles"),
                Denial::UnknownRole(role) => write!(f, "unknown role {role:?}"),
                Denial::LevelNotAllowed { role, level } => {
                    write!(f, "role {role} cannot be held at a {level}")
                }
                Denial::NotGrantable { role, by } => write!(f, "role {by} may not grant {role}"),
                Denial::RankNotLower { role, by } => {
                    write!(f, "role {role} does not rank below {by}")
                }
                Denial::OutlivesGrantor { role } => {
                    write!(f, "{role} would expire later than the grantor's own role")
                }
                Denial::OutsideSubtree { unit } => {
                    write!(f, "{unit} is outside every unit where you manage roles")
                }
                Denial::LevelTooLow { needed } => {
                    write!(f, "{r}.{a} here needs a role held at a {needed} or above")
                }
                Denial::HoldsStrongerRole {
                    role,
                    unit,
                    because,
                } => {
                    let inner = Decision::deny(r, a, (**because).clone());
                    write!(
                        f,
                        "the user holds {role} at {unit}, which you could not grant ({inner})"
                    )
                }
            },
        }
    }
}

/// The live assignments granting `action` on `resource`, with their reach bits.
/// [`plan`] collects it; [`check`] folds it without allocating. Sharing it is what
/// keeps lists and single checks in agreement.
fn grants<'p, 'a>(
    policy: &'p Policy,
    principal: &'a Principal,
    resource: Resource,
    action: Action,
) -> impl Iterator<Item = (&'a Assignment, u8)> + use<'p, 'a> {
    principal.live().filter_map(move |a| {
        // An assignment of a role the policy no longer defines grants nothing.
        let role = policy.roles.get(&a.role)?;
        let bits = role.reach[resource.index()][action.index()];
        (bits != 0).then_some((a, bits))
    })
}

/// Where `principal` may do `action` on `resource`.
pub fn plan<'a>(
    policy: &Policy,
    principal: &'a Principal,
    resource: Resource,
    action: Action,
) -> Scope<'a> {
    let mut scope = Scope {
        resource,
        action,
        public: policy.is_public(resource, action),
        subtrees: Vec::new(),
        own: None,
    };
    if scope.public {
        return scope;
    }
    for (a, bits) in grants(policy, principal, resource, action) {
        if bits & REACH_SUBTREE != 0 {
            scope.subtrees.push((&a.unit, a));
        }
        if bits & REACH_OWN != 0 && scope.own.is_none() {
            if let Some(me) = principal.user_id {
                scope.own = Some((me, a));
            }
        }
    }
    normalize(&mut scope.subtrees);
    scope
}

/// Sorts by code and drops every subtree inside another; the outermost grant decides.
fn normalize(subtrees: &mut Vec<(&UnitCode, &Assignment)>) {
    if subtrees.len() < 2 {
        return;
    }
    subtrees.sort_by(|x, y| x.0.cmp(y.0).then(x.1.id.cmp(&y.1.id)));
    let mut kept: usize = 0;
    for i in 1..subtrees.len() {
        if !subtrees[kept].0.contains(subtrees[i].0) {
            kept += 1;
            subtrees.swap(kept, i);
        }
    }
    subtrees.truncate(kept + 1);
}

/// May `principal` do `action` on a `resource` row at `unit`? Membership in
/// [`plan`] — `plan(..).decide(unit, None)` — computed without building the plan:
/// the deciding grant is the one `normalize` would keep, the outermost subtree
/// containing the unit (lowest assignment id among equals).
pub fn check<'a>(
    policy: &Policy,
    principal: &'a Principal,
    resource: Resource,
    action: Action,
    unit: &UnitCode,
) -> Decision<'a> {
    if policy.is_public(resource, action) {
        return Decision::allow(resource, action, Grant::Public);
    }
    let mut best: Option<&'a Assignment> = None;
    for (a, bits) in grants(policy, principal, resource, action) {
        if bits & REACH_SUBTREE == 0 || !a.unit.contains(unit) {
            continue;
        }
        let better = best.is_none_or(|b| (a.unit.as_str(), a.id) < (b.unit.as_str(), b.id));
        if better {
            best = Some(a);
        }
    }
    match best {
        Some(a) => Decision::allow(resource, action, Grant::Subtree(a)),
        None => Decision::deny(resource, action, Denial::NoPermission),
    }
}

/// Like [`check`], counting only assignments held at `level` or above (a district
/// holder may act where a district is needed; a street holder may not). Among
/// several, the outermost decides, as in `check`.
pub fn check_from_level<'a>(
    policy: &Policy,
    principal: &'a Principal,
    resource: Resource,
    action: Action,
    unit: &UnitCode,
    level: crate::Level,
) -> Decision<'a> {
    let mut best: Option<&'a Assignment> = None;
    let mut reached = false;
    for (a, bits) in grants(policy, principal, resource, action) {
        if bits & REACH_SUBTREE == 0 || !a.unit.contains(unit) {
            continue;
        }
        reached = true;
        if a.unit.level() > level {
            continue;
        }
        if best.is_none_or(|b| (a.unit.as_str(), a.id) < (b.unit.as_str(), b.id)) {
            best = Some(a);
        }
    }
    match (best, reached) {
        (Some(a), _) => Decision::allow(resource, action, Grant::Subtree(a)),
        (None, true) => Decision::deny(resource, action, Denial::LevelTooLow { needed: level }),
        (None, false) => Decision::deny(resource, action, Denial::NoPermission),
    }
}

/// Like [`check`] for a row that belongs to a user.
pub fn check_owned<'a>(
    policy: &Policy,
    principal: &'a Principal,
    resource: Resource,
    action: Action,
    unit: &UnitCode,
    owner: i64,
) -> Decision<'a> {
    plan(policy, principal, resource, action).decide(unit, Some(owner))
}

/// May `principal` give `grantee` the role `role` at `unit`, until `expires_at`?
///
/// Allowed when one of the grantor's live assignments holds `role_assignment.grant`
/// over the unit, lists the role as grantable, outranks it, and lasts at least as
/// long as the new grant; the role must be holdable at the unit's level; and no one
/// grants to themselves.
pub fn can_grant<'a>(
    policy: &Policy,
    principal: &'a Principal,
    grantee: i64,
    role: &str,
    unit: &UnitCode,
    expires_at: Option<i64>,
) -> Decision<'a> {
    delegate(
        policy,
        principal,
        grantee,
        role,
        unit,
        Some(expires_at),
        Action::Grant,
    )
}

/// May `principal` revoke `grantee`'s `role` at `unit`? The same rules as granting,
/// without the expiry bound.
pub fn can_revoke<'a>(
    policy: &Policy,
    principal: &'a Principal,
    grantee: i64,
    role: &str,
    unit: &UnitCode,
) -> Decision<'a> {
    delegate(policy, principal, grantee, role, unit, None, Action::Revoke)
}

/// May `principal` manage (disable, reset the password of, end the sessions of,
/// move) a user who holds the roles `held`? Only if it could grant every one of
/// them: managing an account is as strong as the strongest role on it, so a street
/// admin cannot disable a district admin who happens to live in its street.
/// `None` when the user holds no roles (nothing here to refuse); otherwise the
/// first refusal, or the grant that covered the last role.
pub fn can_manage<'a>(
    policy: &Policy,
    principal: &'a Principal,
    user: i64,
    held: &[(String, UnitCode)],
) -> Option<Decision<'a>> {
    let mut last = None;
    for (role, unit) in held {
        // Expiry does not matter here: nothing is being granted.
        let d = delegate(policy, principal, user, role, unit, None, Action::Grant);
        if let Outcome::Denied(because) = d.outcome {
            return Some(Decision::deny(
                Resource::User,
                Action::Disable,
                Denial::HoldsStrongerRole {
                    role: role.clone(),
                    unit: unit.clone(),
                    because: Box::new(because),
                },
            ));
        }
        last = Some(d);
    }
    last
}

/// The roles `principal` could grant at `unit`, highest rank first, each with the
/// latest expiry such a grant may have (`None`: no limit) and the deciding grant.
/// What an admin app offers in its "grant a role" form.
pub fn grantable_roles<'a>(
    policy: &Policy,
    principal: &'a Principal,
    unit: &UnitCode,
) -> Vec<(String, Option<i64>, Decision<'a>)> {
    // Nobody in particular: the grantee is not the caller.
    const SOMEONE_ELSE: i64 = i64::MIN;
    let mut limits: Vec<i64> = principal.live().filter_map(|a| a.expires_at).collect();
    limits.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    let mut roles: Vec<&String> = policy.role_names.iter().collect();
    roles.sort_by_key(|r| std::cmp::Reverse(policy.roles.get(*r).map(|x| x.rank).unwrap_or(0)));
    for role in roles {
        let open = delegate(
            policy,
            principal,
            SOMEONE_ELSE,
            role,
            unit,
            Some(None),
            Action::Grant,
        );
        if open.allowed() {
            out.push((role.clone(), None, open));
            continue;
        }
        // The grantor's own role expires: a grant may run until then at most.
        for limit in &limits {
            let bounded = delegate(
                policy,
                principal,
                SOMEONE_ELSE,
                role,
                unit,
                Some(Some(*limit)),
                Action::Grant,
            );
            if bounded.allowed() {
                out.push((role.clone(), Some(*limit), bounded));
                break;
            }
        }
    }
    out
}

fn delegate<'a>(
    policy: &Policy,
    principal: &'a Principal,
    grantee: i64,
    role: &str,
    unit: &UnitCode,
    expires_at: Option<Option<i64>>,
    action: Action,
) -> Decision<'a> {
    let deny = |d| Decision::deny(Resource::RoleAssignment, action, d);
    let Some(me) = principal.user_id else {
        return deny(Denial::Anonymous);
    };
    if me == grantee {
        return deny(Denial::SelfGrant);
    }
    let Some(granted) = policy.roles.get(role) else {
        return deny(Denial::UnknownRole(role.to_owned()));
    };
    if !granted.levels.contains(&unit.level()) {
        return deny(Denial::LevelNotAllowed {
            role: role.to_owned(),
            level: unit.level(),
        });
    }
    // The most telling refusal among the grantor's assignments that reach the unit.
    let mut refusal = Denial::OutsideSubtree { unit: unit.clone() };
    for a in principal.live() {
        let Some(own_role) = policy.roles.get(&a.role) else {
            continue;
        };
        let manages =
            own_role.reach[Resource::RoleAssignment.index()][action.index()] & REACH_SUBTREE != 0;
        if !manages || !a.unit.contains(unit) {
            continue;
        }
        if !own_role.grantable.iter().any(|g| g == role) {
            refusal = Denial::NotGrantable {
                role: role.to_owned(),
                by: a.role.clone(),
            };
            continue;
        }
        if granted.rank >= own_role.rank {
            refusal = Denial::RankNotLower {
                role: role.to_owned(),
                by: a.role.clone(),
            };
            continue;
        }
        if let (Some(requested), Some(limit)) = (expires_at, a.expires_at) {
            if requested.is_none_or(|e| e > limit) {
                refusal = Denial::OutlivesGrantor {
                    role: role.to_owned(),
                };
                continue;
            }
        }
        return Decision::allow(Resource::RoleAssignment, action, Grant::Subtree(a));
    }
    deny(refusal)
}

/// Whether a field guarded by a field rule may be shown for a row at `unit`
/// (owned by `owner`, if the resource has owners). Unguarded fields are shown.
pub fn field_allowed<'a>(
    policy: &Policy,
    principal: &'a Principal,
    type_name: &str,
    field: &str,
    unit: &UnitCode,
    owner: Option<i64>,
) -> Option<Decision<'a>> {
    let rule = policy
        .field_rules
        .iter()
        .find(|r| r.type_name == type_name && r.field == field)?;
    Some(plan(policy, principal, rule.resource, rule.action).decide(unit, owner))
}
