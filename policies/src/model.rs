//! The policy as data: its file format, validation, and the closed vocabulary of
//! resources and actions the API enforces.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::unit::Level;

/// Something the API protects. Closed: a policy naming anything else is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Unit,
    User,
    RoleAssignment,
    AuditLog,
    Access,
    Organization,
    Station,
    Volunteer,
    Team,
    Project,
    Activity,
    Signup,
    ServiceRecord,
    StarNomination,
    Certificate,
    /// A community charity fund (社区慈善基金).
    Fund,
    /// A donation to a fund, with its receipt.
    Donation,
    /// Money paid out of a fund.
    Disbursement,
    /// A fund's published disclosure report (信息公开): `create` publishes one.
    Disclosure,
    /// A resident's help request (困难群众求助, 微心愿): `approve` verifies and
    /// publishes, `update` claims, fulfils, closes; `browse` lists published needs
    /// without anything that identifies the person.
    HelpRequest,
    /// A time-bank account (公益时间银行): `update` spends, gifts and donates coins.
    TimeAccount,
    /// A charity supermarket's stock, sales and the households it issues goods to.
    Supermarket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Create,
    Update,
    Disable,
    Grant,
    Revoke,
    Explain,
    /// Read personal data (ID numbers, phones) unmasked.
    ReadPersonal,
    /// Review someone else's work: publish an activity, approve service hours.
    Approve,
    /// See the public listing of published records, without the people in them.
    Browse,
}

impl Resource {
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub const ALL: [Resource; 22] = [
        Resource::Unit,
        Resource::User,
        Resource::RoleAssignment,
        Resource::AuditLog,
        Resource::Access,
        Resource::Organization,
        Resource::Station,
        Resource::Volunteer,
        Resource::Team,
        Resource::Project,
        Resource::Activity,
        Resource::Signup,
        Resource::ServiceRecord,
        Resource::StarNomination,
        Resource::Certificate,
        Resource::Fund,
        Resource::Donation,
        Resource::Disbursement,
        Resource::Disclosure,
        Resource::HelpRequest,
        Resource::TimeAccount,
        Resource::Supermarket,
    ];

    /// The actions that mean something for this resource.
    pub fn actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Resource::Unit => &[Read, Create, Update],
            Resource::User => &[Read, Create, Update, Disable],
            Resource::RoleAssignment => &[Read, Grant, Revoke],
            Resource::AuditLog => &[Read],
            Resource::Access => &[Explain],
            Resource::Organization => &[Read, Create, Update],
            Resource::Station => &[Read, Create, Update],
            Resource::Volunteer => &[Read, Create, Update, ReadPersonal],
            Resource::Team => &[Read, Create, Update],
            Resource::Project => &[Read, Create, Update],
            Resource::Activity => &[Read, Create, Update, Approve, Browse],
            Resource::Signup => &[Read, Create, Update],
            Resource::ServiceRecord => &[Read, Create, Approve],
            Resource::StarNomination => &[Read, Grant],
            Resource::Certificate => &[Read, Create],
            Resource::Fund => &[Read, Create, Update],
            Resource::Donation => &[Read, Create, Update, ReadPersonal],
            Resource::Disbursement => &[Read, Create, Update, Approve, ReadPersonal],
            Resource::Disclosure => &[Read, Create],
            Resource::HelpRequest => &[Read, Create, Update, Approve, ReadPersonal, Browse],
            Resource::TimeAccount => &[Read, Update],
            Resource::Supermarket => &[Read, Create, Update, ReadPersonal],
        }
    }

    /// Whether rows of this resource belong to a user, so "own" can apply.
    pub fn has_owner(self) -> bool {
        matches!(
            self,
            Resource::User
                | Resource::RoleAssignment
                | Resource::Volunteer
                | Resource::Team
                | Resource::Signup
                | Resource::ServiceRecord
                | Resource::StarNomination
                | Resource::Certificate
                | Resource::HelpRequest
                | Resource::TimeAccount
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Unit => "unit",
            Resource::User => "user",
            Resource::RoleAssignment => "role_assignment",
            Resource::AuditLog => "audit_log",
            Resource::Access => "access",
            Resource::Organization => "organization",
            Resource::Station => "station",
            Resource::Volunteer => "volunteer",
            Resource::Team => "team",
            Resource::Project => "project",
            Resource::Activity => "activity",
            Resource::Signup => "signup",
            Resource::ServiceRecord => "service_record",
            Resource::StarNomination => "star_nomination",
            Resource::Certificate => "certificate",
            Resource::Fund => "fund",
            Resource::Donation => "donation",
            Resource::Disbursement => "disbursement",
            Resource::Disclosure => "disclosure",
            Resource::HelpRequest => "help_request",
            Resource::TimeAccount => "time_account",
            Resource::Supermarket => "supermarket",
        }
    }
}

impl Action {
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Disable => "disable",
            Action::Grant => "grant",
            Action::Revoke => "revoke",
            Action::Explain => "explain",
            Action::ReadPersonal => "read_personal",
            Action::Approve => "approve",
            Action::Browse => "browse",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Resource {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Resource::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| PolicyError::Invalid(format!("unknown resource {s:?}")))
    }
}

impl std::str::FromStr for Action {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use Action::*;
        [
            Read,
            Create,
            Update,
            Disable,
            Grant,
            Revoke,
            Explain,
            ReadPersonal,
            Approve,
            Browse,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
        .ok_or_else(|| PolicyError::Invalid(format!("unknown action {s:?}")))
    }
}

/// How far a permission reaches from the assignment that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The holding unit and everything below it.
    Subtree,
    /// Only the holder's own records.
    Own,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub resource: Resource,
    pub actions: Vec<Action>,
    pub scope: Reach,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicPermission {
    pub resource: Resource,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    #[serde(default)]
    pub description: String,
    pub levels: Vec<Level>,
    pub rank: u32,
    #[serde(default)]
    pub grantable: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    /// `reach[resource][action]`: bit 0 subtree, bit 1 own. Filled at load so a
    /// decision tests a permission in O(1).
    #[serde(skip)]
    pub(crate) reach: [[u8; ACTION_COUNT]; RESOURCE_COUNT],
}

pub(crate) const RESOURCE_COUNT: usize = Resource::ALL.len();
pub(crate) const ACTION_COUNT: usize = 10;

pub(crate) const REACH_SUBTREE: u8 = 1;
pub(crate) const REACH_OWN: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    #[serde(rename = "type")]
    pub type_name: String,
    pub field: String,
    pub resource: Resource,
    pub action: Action,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Public {
    #[serde(default)]
    pub permissions: Vec<PublicPermission>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: u32,
    #[serde(default)]
    public: Public,
    roles: BTreeMap<String, Role>,
    #[serde(default)]
    field_rules: Vec<FieldRule>,
    #[serde(default)]
    activities: ActivityRules,
    stars: StarFile,
    #[serde(default)]
    charity: CharityFile,
    #[serde(default)]
    time_bank: TimeBankRules,
    #[serde(default)]
    supermarket: SupermarketRules,
}

/// The time bank (公益时间银行): what an hour of approved service deposits and who may
/// spend what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeBankRules {
    /// Time coins deposited per approved hour of service (1 to 10).
    pub coins_per_hour: u32,
    /// The most hours a volunteer's account takes in over its life (Nanjing: 1,500);
    /// approved hours beyond it deposit nothing.
    pub lifetime_cap_hours: u32,
    /// The age from which an account holder may spend its coins on services or goods
    /// (Shanghai: 65),
    pub redemption_age: u32,
    /// ... or from this age when the account is marked as in hardship (Shanghai: 60).
    pub hardship_redemption_age: u32,
    /// Coins are given only to relatives registered with the giver.
    pub gifts_to_relatives_only: bool,
}

impl Default for TimeBankRules {
    fn default() -> Self {
        TimeBankRules {
            coins_per_hour: 1,
            lifetime_cap_hours: 1500,
            redemption_age: 65,
            hardship_redemption_age: 60,
            gifts_to_relatives_only: true,
        }
    }
}

/// Charity supermarkets (慈善超市).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupermarketRules {
    /// The share of each sale (percent, 0 to 100) booked into the community fund.
    pub share_percent: u32,
    /// Items a household in difficulty may be issued free per calendar month.
    pub monthly_quota_items: u32,
}

impl Default for SupermarketRules {
    fn default() -> Self {
        SupermarketRules {
            share_percent: 10,
            monthly_quota_items: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CharityFile {
    approval: Vec<ApprovalStep>,
    #[serde(default)]
    disclosure: DisclosureRules,
}

impl Default for CharityFile {
    /// Up to ¥5,000 the community approves, up to ¥50,000 the street, above it the
    /// district.
    fn default() -> Self {
        CharityFile {
            approval: vec![
                ApprovalStep {
                    up_to_fen: Some(500_000),
                    level: Level::Community,
                },
                ApprovalStep {
                    up_to_fen: Some(5_000_000),
                    level: Level::Street,
                },
                ApprovalStep {
                    up_to_fen: None,
                    level: Level::District,
                },
            ],
            disclosure: DisclosureRules::default(),
        }
    }
}

/// Who approves disbursements up to an amount: a holder of `disbursement.approve`
/// at `level` or above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStep {
    /// The largest amount (fen) this step covers; `None` for the last, open-ended one.
    #[serde(default)]
    pub up_to_fen: Option<i64>,
    pub level: Level,
}

/// When disclosure reports fall due (慈善组织信息公开办法, in force 2026-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRules {
    /// A campaign running longer than this many months publishes interim reports.
    pub long_campaign_months: u32,
    /// ... one for every period of this many months from its start,
    pub interim_every_months: u32,
    /// ... each due this many days after its period ends.
    pub interim_due_days: u32,
    /// A campaign's final report is due this many months after it ends.
    pub final_within_months: u32,
    /// A fund's annual report of a year is due on this month and day of the next.
    pub annual_due_month: u32,
    pub annual_due_day: u32,
}

impl Default for DisclosureRules {
    fn default() -> Self {
        DisclosureRules {
            long_campaign_months: 6,
            interim_every_months: 3,
            interim_due_days: 30,
            final_within_months: 3,
            annual_due_month: 5,
            annual_due_day: 31,
        }
    }
}

/// Community charity money rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharityRules {
    /// Ascending by amount; the last step has no upper bound.
    pub approval: Vec<ApprovalStep>,
    pub disclosure: DisclosureRules,
}

impl CharityRules {
    /// The level whose holders of `disbursement.approve` (or those above) approve a
    /// disbursement of `fen`.
    pub fn approval_level(&self, fen: i64) -> Level {
        self.approval
            .iter()
            .find(|s| s.up_to_fen.is_none_or(|max| fen <= max))
            .or(self.approval.last())
            .map_or(Level::Province, |s| s.level)
    }
}

/// How activities are published.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRules {
    /// Activities at units of these levels are published only once a holder of
    /// `activity.approve` at a unit above them has reviewed them.
    #[serde(default)]
    pub review_levels: Vec<Level>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StarFile {
    hours: Vec<u32>,
    grant_levels: Vec<String>,
    notice_working_days: u32,
    fraud_bar_days: u32,
}

/// Where a star is granted: at least this level, or only at the top of the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantLevel {
    AtLeast(Level),
    Root,
}

/// Star ratings (星级志愿者): thresholds in approved hours and who grants each star.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarRules {
    /// `hours[n - 1]` approved hours earn star `n`; strictly increasing.
    pub hours: Vec<u32>,
    pub grant_levels: Vec<GrantLevel>,
    /// Working days (Monday to Friday) a nomination stays publicly listed first.
    pub notice_working_days: u32,
    /// Days a volunteer with hours revoked for fraud cannot be nominated or granted.
    pub fraud_bar_days: u32,
}

impl StarRules {
    /// The number of stars `hours` approved hours earn.
    pub fn stars_for(&self, hours: f64) -> u8 {
        self.hours
            .iter()
            .take_while(|&&h| hours >= f64::from(h))
            .count() as u8
    }

    pub fn max_stars(&self) -> u8 {
        self.hours.len() as u8
    }

    pub fn grant_level(&self, stars: u8) -> Option<GrantLevel> {
        self.grant_levels
            .get(usize::from(stars).checked_sub(1)?)
            .copied()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("policy file: {0}")]
    Parse(String),
    #[error("policy: {0}")]
    Invalid(String),
}

/// A validated policy. Build it with [`Policy::from_toml`] or [`Policy::default_policy`].
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) roles: FxHashMap<String, Role>,
    pub(crate) role_names: Vec<String>,
    pub(crate) public: Vec<(Resource, Action)>,
    pub(crate) field_rules: Vec<FieldRule>,
    pub(crate) activities: ActivityRules,
    pub(crate) stars: StarRules,
    pub(crate) charity: CharityRules,
    pub(crate) time_bank: TimeBankRules,
    pub(crate) supermarket: SupermarketRules,
}

/// The policy shipped with Kapok.
pub const DEFAULT_POLICY: &str = include_str!("../default.toml");

impl Policy {
    pub fn default_policy() -> Result<Policy, PolicyError> {
        Policy::from_toml(DEFAULT_POLICY)
    }

    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
        if file.version != 1 {
            return Err(PolicyError::Invalid(format!(
                "version {} is not supported (expected 1)",
                file.version
            )));
        }
        if file.roles.is_empty() {
            return Err(PolicyError::Invalid("no roles defined".into()));
        }
        let check_actions = |who: &str, resource: Resource, actions: &[Action]| {
            if actions.is_empty() {
                return Err(PolicyError::Invalid(format!(
                    "{who}: {resource} lists no actions"
                )));
            }
            for a in actions {
                if !resource.actions().contains(a) {
                    return Err(PolicyError::Invalid(format!(
                        "{who}: action {a} does not apply to {resource}"
                    )));
                }
            }
            Ok(())
        };
        for (name, role) in &file.roles {
            let who = format!("role {name}");
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(PolicyError::Invalid(format!(
                    "{who}: role names are lowercase letters and underscores"
                )));
            }
            if role.levels.is_empty() {
                return Err(PolicyError::Invalid(format!("{who}: no levels")));
            }
            for p in &role.permissions {
                check_actions(&who, p.resource, &p.actions)?;
                if p.scope == Reach::Own && !p.resource.has_owner() {
                    return Err(PolicyError::Invalid(format!(
                        "{who}: {} rows have no owner, so scope \"own\" cannot apply",
                        p.resource
                    )));
                }
            }
            for g in &role.grantable {
                let Some(granted) = file.roles.get(g) else {
                    return Err(PolicyError::Invalid(format!(
                        "{who}: grantable role {g:?} is not defined"
                    )));
                };
                if granted.rank >= role.rank {
                    return Err(PolicyError::Invalid(format!(
                        "{who}: may not grant {g}, whose rank {} is not below its own {}",
                        granted.rank, role.rank
                    )));
                }
            }
        }
        let mut public = Vec::new();
        for p in &file.public.permissions {
            check_actions("public", p.resource, &p.actions)?;
            public.extend(p.actions.iter().map(|a| (p.resource, *a)));
        }
        for r in &file.field_rules {
            if !r.resource.actions().contains(&r.action) {
                return Err(PolicyError::Invalid(format!(
                    "field rule {}.{}: action {} does not apply to {}",
                    r.type_name, r.field, r.action, r.resource
                )));
            }
        }
        let stars = validate_stars(&file.stars)?;
        let charity = validate_charity(&file.charity)?;
        validate_community(&file.time_bank, &file.supermarket)?;
        let role_names = file.roles.keys().cloned().collect();
        let mut roles = file.roles;
        for role in roles.values_mut() {
            for p in &role.permissions {
                let bit = match p.scope {
                    Reach::Subtree => REACH_SUBTREE,
                    Reach::Own => REACH_OWN,
                };
                for a in &p.actions {
                    role.reach[p.resource.index()][a.index()] |= bit;
                }
            }
        }
        Ok(Policy {
            roles: roles.into_iter().collect(),
            role_names,
            public,
            field_rules: file.field_rules,
            activities: file.activities,
            stars,
            charity,
            time_bank: file.time_bank,
            supermarket: file.supermarket,
        })
    }

    pub fn activity_rules(&self) -> &ActivityRules {
        &self.activities
    }

    pub fn star_rules(&self) -> &StarRules {
        &self.stars
    }

    pub fn charity_rules(&self) -> &CharityRules {
        &self.charity
    }

    pub fn time_bank_rules(&self) -> &TimeBankRules {
        &self.time_bank
    }

    pub fn supermarket_rules(&self) -> &SupermarketRules {
        &self.supermarket
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// Role names in alphabetical order.
    pub fn role_names(&self) -> &[String] {
        &self.role_names
    }

    pub fn is_public(&self, resource: Resource, action: Action) -> bool {
        self.public.contains(&(resource, action))
    }

    pub fn field_rules(&self) -> &[FieldRule] {
        &self.field_rules
    }

    /// The highest-ranked role that may be held at `level` (for bootstrapping the
    /// first administrator at the root unit).
    pub fn top_role_at(&self, level: Level) -> Option<&str> {
        self.role_names
            .iter()
            .filter_map(|n| self.roles.get(n).map(|r| (n, r)))
            .filter(|(_, r)| r.levels.contains(&level))
            .max_by_key(|(_, r)| r.rank)
            .map(|(n, _)| n.as_str())
    }
}

fn validate_community(t: &TimeBankRules, s: &SupermarketRules) -> Result<(), PolicyError> {
    let bad = |m: &str| Err(PolicyError::Invalid(m.to_owned()));
    if !(1..=10).contains(&t.coins_per_hour) {
        return bad("time_bank: `coins_per_hour` is 1 to 10");
    }
    if !(1..=100_000).contains(&t.lifetime_cap_hours) {
        return bad("time_bank: `lifetime_cap_hours` is 1 to 100000");
    }
    if t.redemption_age > 120 || t.hardship_redemption_age > t.redemption_age {
        return bad(
            "time_bank: `redemption_age` is at most 120 and `hardship_redemption_age` not above it",
        );
    }
    if s.share_percent > 100 {
        return bad("supermarket: `share_percent` is 0 to 100");
    }
    if !(1..=1000).contains(&s.monthly_quota_items) {
        return bad("supermarket: `monthly_quota_items` is 1 to 1000");
    }
    Ok(())
}

fn validate_charity(f: &CharityFile) -> Result<CharityRules, PolicyError> {
    let bad = |m: &str| Err(PolicyError::Invalid(format!("charity.approval: {m}")));
    let Some((last, steps)) = f.approval.split_last() else {
        return bad("lists at least one step");
    };
    if last.up_to_fen.is_some() {
        return bad("the last step has no `up_to_fen`: it covers every larger amount");
    }
    let mut previous: Option<&ApprovalStep> = None;
    for s in steps {
        let Some(max) = s.up_to_fen else {
            return bad("every step but the last names `up_to_fen`");
        };
        if max <= 0 || previous.is_some_and(|p| p.up_to_fen.is_some_and(|m| max <= m)) {
            return bad("`up_to_fen` must be positive and increasing");
        }
        previous = Some(s);
    }
    // Larger amounts go to the same office or one above, never below.
    if f.approval.windows(2).any(|w| w[1].level > w[0].level) {
        return bad("levels must not go down as amounts grow");
    }
    let d = &f.disclosure;
    let bad = |m: &str| Err(PolicyError::Invalid(format!("charity.disclosure: {m}")));
    for (name, months) in [
        ("long_campaign_months", d.long_campaign_months),
        ("interim_every_months", d.interim_every_months),
        ("final_within_months", d.final_within_months),
    ] {
        if !(1..=36).contains(&months) {
            return bad(&format!("`{name}` is 1 to 36 months"));
        }
    }
    if d.interim_due_days > 365 {
        return bad("`interim_due_days` is at most 365");
    }
    // A day every year has (29 February is not).
    const DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let month_days = (d.annual_due_month as usize)
        .checked_sub(1)
        .and_then(|m| DAYS.get(m));
    if month_days.is_none_or(|n| !(1..=*n).contains(&d.annual_due_day)) {
        return bad("`annual_due_month`/`annual_due_day` name a day every year has");
    }
    Ok(CharityRules {
        approval: f.approval.clone(),
        disclosure: *d,
    })
}

fn validate_stars(f: &StarFile) -> Result<StarRules, PolicyError> {
    let bad = |m: String| Err(PolicyError::Invalid(format!("stars: {m}")));
    if f.hours.is_empty() || f.hours.len() > 9 {
        return bad("`hours` lists 1 to 9 thresholds".into());
    }
    if f.hours[0] == 0 || f.hours.windows(2).any(|w| w[1] <= w[0]) {
        return bad("`hours` must be positive and strictly increasing".into());
    }
    if f.grant_levels.len() != f.hours.len() {
        return bad(format!(
            "`grant_levels` names {} levels for {} thresholds",
            f.grant_levels.len(),
            f.hours.len()
        ));
    }
    let mut grant_levels = Vec::new();
    for g in &f.grant_levels {
        grant_levels.push(match g.as_str() {
            "root" => GrantLevel::Root,
            other => match other.parse::<Level>() {
                Ok(l) => GrantLevel::AtLeast(l),
                Err(_) => return bad(format!("unknown grant level {other:?}")),
            },
        });
    }
    if f.notice_working_days == 0 {
        return bad("`notice_working_days` must be at least 1".into());
    }
    Ok(StarRules {
        hours: f.hours.clone(),
        grant_levels,
        notice_working_days: f.notice_working_days,
        fraud_bar_days: f.fraud_bar_days,
    })
}
