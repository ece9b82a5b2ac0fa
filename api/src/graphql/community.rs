//! Residents and community help: self-service sign-up and browsing, team
//! applications, help requests (微心愿), the time bank and charity supermarkets.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::kinds::{
    ApplicationState, Gender, HelpState, HouseholdCategory, IdType, Kinship, RequestedBy,
    StockMoveKind, TimeAccountKind, TimeEntryKind, Urgency,
};

use crate::graphql::accounts::{user_of, User};
use crate::graphql::attendance::Signup;
use crate::graphql::certificates::Certificate;
use crate::graphql::connection::{list, Connection, Paging};
use crate::graphql::disbursements::Disbursement;
use crate::graphql::donations::Donation;
use crate::graphql::funds::Fund;
use crate::graphql::ids::{global_id, id_of, opt_id, NodeKind};
use crate::graphql::scalars::{Day, Fen};
use crate::graphql::stations::Station;
use crate::graphql::teams::Team;
use crate::graphql::units::Unit;
use crate::graphql::volunteers::{volunteer_of, Volunteer};
use crate::graphql::{
    answer, cx_of, load_unit, loaders, parse_under, parts, target, visible, GqlResult,
};
use crate::services::attendance::{self, SignupFilter};
use crate::services::certificates::{self, CertificateFilter};
use crate::services::help_requests::{
    self, Claimant, Fulfilment, HelpFilter, HelpRequestRecord, Helper, NewHelpRequest,
    PublishedNeed as NeedRecord, Review,
};
use crate::services::selfservice::{
    self, Dashboard as DashboardRecord, ListedActivity, NewAccount,
};
use crate::services::supermarkets::{
    self, HouseholdFilter, HouseholdRecord, ItemFilter, ItemRecord, MoveFilter, MoveRecord,
    NewHousehold, NewItem, Payment, Receipt, Sale,
};
use crate::services::team_applications::{self, ApplicationFilter, ApplicationRecord};
use crate::services::timebank::{
    self, AccountFilter, Gift, NewRelative, PoolDonation, SpendOnService, StatementLine,
    TimeAccountRecord,
};
use crate::services::volunteers::NewVolunteer;
use crate::services::Seen;

fn paging(first: Option<i32>, after: Option<String>) -> Paging {
    Paging {
        first,
        after,
        last: None,
        before: None,
    }
}

fn coins(minutes: i64) -> f64 {
    minutes as f64 / 60.0
}

async fn opt_volunteer(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<Volunteer>> {
    match id {
        Some(id) => volunteer_of(ctx, id).await,
        None => Ok(None),
    }
}

async fn opt_team(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<Team>> {
    match id {
        Some(id) => Ok(loaders::load::<loaders::Teams>(ctx, id).await?.map(Team)),
        None => Ok(None),
    }
}

async fn opt_fund(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<Fund>> {
    match id {
        Some(id) => Ok(loaders::load::<loaders::Funds>(ctx, id).await?.map(Fund)),
        None => Ok(None),
    }
}

async fn opt_donation(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<Donation>> {
    match id {
        Some(id) => Ok(loaders::load::<loaders::Donations>(ctx, id)
            .await?
            .map(Donation)),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------- public listing

pub struct PublicActivity(pub ListedActivity);

/// A published activity that is recruiting, as anyone may see it: no sign-ups,
/// organisers or personal data.
#[Object]
impl PublicActivity {
    /// The activity's global ID (opaque; `node` answers it only to callers who may read the activity).
    async fn id(&self) -> ID {
        global_id(NodeKind::Activity, self.0.id)
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The service field's code.
    async fn field(&self) -> &str {
        &self.0.field
    }
    /// Where it takes place.
    async fn place(&self) -> &str {
        &self.0.place
    }
    /// When it starts.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// When it ends.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// Places still free.
    async fn seats_left(&self) -> i32 {
        self.0.seats_left
    }
    /// Division code of the organising unit.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The organising unit.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

pub struct PublishedNeed(pub NeedRecord);

/// A published need (微心愿) as anyone may see it: never who it is for.
#[Object]
impl PublishedNeed {
    /// The request's global ID (claim it with `claimHelpRequest`).
    async fn id(&self) -> ID {
        global_id(NodeKind::HelpRequest, self.0.id)
    }
    /// A service field's code, or `material`.
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// How soon it must be met.
    async fn urgency(&self) -> Urgency {
        self.0.urgency
    }
    /// What is needed.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// Division code of the community.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The community.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

// ---------------------------------------------------------------- help requests

pub struct HelpRequest(pub HelpRequestRecord);

impl HelpRequest {
    async fn who(&self, ctx: &Context<'_>) -> GqlResult<crate::services::Person> {
        loaders::children::<loaders::Beneficiaries>(ctx, &self.0).await
    }
}

/// A resident's help request (困难群众求助, 微心愿).
#[Object]
impl HelpRequest {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::HelpRequest, self.0.id)
    }
    /// The beneficiary's name (personal data): masked without
    /// `help_request.read_personal` at its unit; unmasked reads are audited.
    async fn beneficiary_name(&self, ctx: &Context<'_>) -> GqlResult<String> {
        Ok(self.who(ctx).await?.name)
    }
    /// The beneficiary's phone, under the same rule (last four digits when masked).
    async fn beneficiary_phone(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        Ok(self.who(ctx).await?.phone)
    }
    /// The beneficiary's address, under the same rule (null when masked).
    async fn beneficiary_address(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        Ok(self.who(ctx).await?.address)
    }
    /// Whether the beneficiary's fields are masked for this caller.
    async fn personal_data_masked(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.who(ctx).await?.masked)
    }
    /// A service field's code, or `material` for a material need.
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// How soon it must be met.
    async fn urgency(&self) -> Urgency {
        self.0.urgency
    }
    /// What is needed.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Who filed it.
    async fn requested_by(&self) -> RequestedBy {
        self.0.requested_by
    }
    /// Names of the attachments filed with it.
    async fn attachments(&self) -> &[String] {
        &self.0.attachments
    }
    /// Where it is in its life.
    async fn state(&self) -> HelpState {
        self.0.state
    }
    /// Why it was declined.
    async fn decline_reason(&self) -> Option<&str> {
        self.0.decline_reason.as_deref()
    }
    /// The volunteer who claimed it (null when none, or the caller cannot see it).
    async fn claimed_by_volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        opt_volunteer(ctx, self.0.claimed_volunteer_id).await
    }
    /// The team that claimed it.
    async fn claimed_by_team(&self, ctx: &Context<'_>) -> GqlResult<Option<Team>> {
        opt_team(ctx, self.0.claimed_team_id).await
    }
    /// The fund that claimed it.
    async fn claimed_by_fund(&self, ctx: &Context<'_>) -> GqlResult<Option<Fund>> {
        opt_fund(ctx, self.0.claimed_fund_id).await
    }
    /// What was done.
    async fn fulfilment_note(&self) -> Option<&str> {
        self.0.fulfilment_note.as_deref()
    }
    /// Hours given (recorded as the volunteer's service hours, for approval).
    async fn fulfilment_hours(&self) -> Option<f64> {
        self.0.fulfilment_half_hours.map(|h| f64::from(h) / 2.0)
    }
    /// Goods given.
    async fn fulfilment_goods(&self) -> Option<&str> {
        self.0.fulfilment_goods.as_deref()
    }
    /// The paid disbursement that met it (null when none or not visible).
    async fn disbursement(&self, ctx: &Context<'_>) -> GqlResult<Option<Disbursement>> {
        match self.0.disbursement_id {
            Some(id) => Ok(loaders::load::<loaders::Disbursements>(ctx, id)
                .await?
                .map(Disbursement)),
            None => Ok(None),
        }
    }
    /// The beneficiary's feedback.
    async fn feedback(&self) -> Option<&str> {
        self.0.feedback.as_deref()
    }
    /// The beneficiary's rating, 1 to 5.
    async fn feedback_rating(&self) -> Option<i32> {
        self.0.feedback_rating.map(i32::from)
    }
    /// When it was filed.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// When a community worker verified it.
    async fn verified_at(&self) -> Option<DateTime<Utc>> {
        self.0.verified_at
    }
    /// Who verified it.
    async fn verified_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.verified_by).await
    }
    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// When it was claimed.
    async fn claimed_at(&self) -> Option<DateTime<Utc>> {
        self.0.claimed_at
    }
    /// When it was fulfilled.
    async fn fulfilled_at(&self) -> Option<DateTime<Utc>> {
        self.0.fulfilled_at
    }
    /// When it was closed or declined.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// Who filed it.
    async fn created_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.created_by).await
    }
    /// Division code of the community.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The community.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

pub struct SuggestedHelper(help_requests::Suggestion);

/// A helper `suggestedHelpers` proposes: a volunteer or a team.
#[Object]
impl SuggestedHelper {
    /// The volunteer, when the helper is one.
    async fn volunteer(&self) -> Option<Volunteer> {
        match &self.0.helper {
            Helper::Volunteer(v) => Some(Volunteer::new(v.clone())),
            Helper::Team(_) => None,
        }
    }
    /// The team, when the helper is one.
    async fn team(&self) -> Option<Team> {
        match &self.0.helper {
            Helper::Team(t) => Some(Team(t.clone())),
            Helper::Volunteer(_) => None,
        }
    }
    /// Whether it serves the request's category.
    async fn field_match(&self) -> bool {
        self.0.field_match
    }
    /// 0: the request's community; 1: its street; 2: elsewhere in its district.
    async fn distance(&self) -> i32 {
        i32::from(self.0.distance)
    }
    /// The rank's score (higher first).
    async fn score(&self) -> i32 {
        self.0.score
    }
}

/// How many requests are in one state.
#[derive(SimpleObject)]
pub struct HelpStateCount {
    /// The state.
    pub state: HelpState,
    /// Requests in it.
    pub count: i64,
}

/// Help-request figures for a unit and everything below it.
#[derive(SimpleObject)]
pub struct HelpRequestStats {
    /// Requests by state.
    pub by_state: Vec<HelpStateCount>,
    /// Median hours from submission to fulfilment (fulfilled and closed requests).
    pub median_hours_to_fulfil: Option<f64>,
    /// Fulfilled or closed requests claimed by volunteers.
    pub fulfilled_by_volunteers: i64,
    /// ... by teams.
    pub fulfilled_by_teams: i64,
    /// ... by funds.
    pub fulfilled_by_funds: i64,
}

// ---------------------------------------------------------------- team applications

pub struct TeamApplication(pub ApplicationRecord);

/// A volunteer's application to join a team.
#[Object]
impl TeamApplication {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::TeamApplication, self.0.id)
    }
    /// The team (null when the caller cannot see it).
    async fn team(&self, ctx: &Context<'_>) -> GqlResult<Option<Team>> {
        opt_team(ctx, Some(self.0.team_id)).await
    }
    /// The applicant (null when the caller cannot see it).
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        volunteer_of(ctx, self.0.volunteer_id).await
    }
    /// What the applicant wrote.
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    /// Where it stands.
    async fn state(&self) -> ApplicationState {
        self.0.state
    }
    /// Who decided it.
    async fn decided_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.decided_by).await
    }
    /// When it was decided.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// The decider's note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Division code of the team's unit.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The team's unit.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

// ---------------------------------------------------------------- time bank

pub struct TimeAccount(pub TimeAccountRecord);

/// A time-bank account (公益时间银行). Amounts are coin minutes: 60 make a coin, and
/// an approved hour of service deposits the policy's `coins_per_hour`.
#[Object]
impl TimeAccount {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::TimeAccount, self.0.id)
    }
    /// Whose or what account it is.
    async fn kind(&self) -> TimeAccountKind {
        self.0.kind
    }
    /// The volunteer holding it (volunteer accounts; null when not visible).
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        opt_volunteer(ctx, self.0.volunteer_id).await
    }
    /// The balance in coin minutes: the sum of its statement's lines (below zero when
    /// revoked hours are owed).
    async fn balance_minutes(&self) -> i64 {
        self.0.balance_minutes
    }
    /// The balance in coins.
    async fn balance_coins(&self) -> f64 {
        coins(self.0.balance_minutes)
    }
    /// Coin minutes deposited for service over its life (the lifetime cap counts these).
    async fn deposited_minutes(&self) -> i64 {
        self.0.deposited_minutes
    }
    /// Marked as in hardship (the lower redemption age applies).
    async fn hardship(&self) -> bool {
        self.0.hardship
    }
    /// Its statement, oldest first, each line with the balance it left.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn statement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<TimeStatementLine>> {
        let seen = Seen::of(&self.0);
        list(ctx, paging(first, after), TimeStatementLine, |cx, page, want_total| async move {
            timebank::statement(cx, seen, &page, want_total).await
        })
        .await
    }
    /// Division code of the account's unit.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The account's unit.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

pub struct TimeStatementLine(pub StatementLine);

/// One line of a time-bank statement.
#[Object]
impl TimeStatementLine {
    /// What moved the coins.
    async fn kind(&self) -> TimeEntryKind {
        self.0.kind
    }
    /// The movement's note.
    async fn memo(&self) -> &str {
        &self.0.memo
    }
    /// Coin minutes in (positive) or out (negative).
    async fn minutes(&self) -> i64 {
        self.0.minutes
    }
    /// The balance after this line, in coin minutes.
    async fn balance_after(&self) -> i64 {
        self.0.balance_after
    }
    /// When it was booked.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

// ---------------------------------------------------------------- supermarkets

pub struct Household(pub HouseholdRecord);

impl Household {
    async fn head(&self, ctx: &Context<'_>) -> GqlResult<crate::services::Person> {
        loaders::children::<loaders::HouseholdHeads>(ctx, &self.0).await
    }
}

/// A household in difficulty (困难家庭) a charity supermarket issues goods to.
#[Object]
impl Household {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Household, self.0.id)
    }
    /// The head of the household (personal data): masked without
    /// `supermarket.read_personal`; unmasked reads are audited.
    async fn head_name(&self, ctx: &Context<'_>) -> GqlResult<String> {
        Ok(self.head(ctx).await?.name)
    }
    /// Its phone, under the same rule.
    async fn phone(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        Ok(self.head(ctx).await?.phone)
    }
    /// Its address, under the same rule (null when masked).
    async fn address(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        Ok(self.head(ctx).await?.address)
    }
    /// Whether the personal fields are masked for this caller.
    async fn personal_data_masked(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.head(ctx).await?.masked)
    }
    /// Why it receives help.
    async fn category(&self) -> HouseholdCategory {
        self.0.category
    }
    /// How many people live in it.
    async fn members(&self) -> i32 {
        i32::from(self.0.members)
    }
    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Division code of its community.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// Its community.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

pub struct StockItem(pub ItemRecord);

/// A line of goods a charity supermarket stocks.
#[Object]
impl StockItem {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::StockItem, self.0.id)
    }
    /// The supermarket (a station; null when the caller cannot see it).
    async fn station(&self, ctx: &Context<'_>) -> GqlResult<Option<Station>> {
        Ok(loaders::load::<loaders::Stations>(ctx, self.0.station_id)
            .await?
            .map(Station))
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What one of it is (袋, 瓶 …).
    async fn unit_label(&self) -> Option<&str> {
        self.0.unit_label.as_deref()
    }
    /// Its price in fen.
    async fn price_fen(&self) -> Fen {
        Fen(self.0.price_fen)
    }
    /// Its price in time-coin minutes, when it can be had for coins.
    async fn coin_minutes(&self) -> Option<i64> {
        self.0.coin_minutes
    }
    /// In stock: the sum of its movements.
    async fn quantity(&self) -> i64 {
        self.0.quantity
    }
    /// Its movements, oldest first (its stock card).
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn moves(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<StockMove>> {
        let seen = Seen::of(&self.0);
        list(
            ctx,
            paging(first, after),
            StockMove,
            |cx, page, want_total| async move {
                supermarkets::moves_of(cx, seen, &page, want_total).await
            },
        )
        .await
    }
    /// Division code of the supermarket's unit.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The supermarket's unit.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

pub struct StockMove(pub MoveRecord);

/// One movement of a stock item.
#[Object]
impl StockMove {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::StockMove, self.0.id)
    }
    /// The item moved (null when the caller cannot see it).
    async fn item(&self, ctx: &Context<'_>) -> GqlResult<Option<StockItem>> {
        Ok(loaders::load::<loaders::StockItems>(ctx, self.0.item_id)
            .await?
            .map(StockItem))
    }
    /// What moved it.
    async fn kind(&self) -> StockMoveKind {
        self.0.kind
    }
    /// Signed: in positive, out negative.
    async fn quantity(&self) -> i64 {
        self.0.quantity
    }
    /// The in-kind donation the goods came from.
    async fn donation(&self, ctx: &Context<'_>) -> GqlResult<Option<Donation>> {
        opt_donation(ctx, self.0.donation_id).await
    }
    /// The household goods were issued to.
    async fn household(&self, ctx: &Context<'_>) -> GqlResult<Option<Household>> {
        match self.0.household_id {
            Some(id) => Ok(loaders::load::<loaders::Households>(ctx, id)
                .await?
                .map(Household)),
            None => Ok(None),
        }
    }
    /// The volunteer whose coins paid.
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        opt_volunteer(ctx, self.0.volunteer_id).await
    }
    /// A sale's takings or a purchase's cost, in fen.
    async fn amount_fen(&self) -> Fen {
        Fen(self.0.amount_fen)
    }
    /// A sale's share booked into the fund, in fen.
    async fn share_fen(&self) -> Fen {
        Fen(self.0.share_fen)
    }
    /// The donation that booked the share.
    async fn share_donation(&self, ctx: &Context<'_>) -> GqlResult<Option<Donation>> {
        opt_donation(ctx, self.0.share_donation_id).await
    }
    /// A count's reason.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Who moved it.
    async fn created_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.created_by).await
    }
    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Division code of the supermarket's unit.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The supermarket's unit.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

// ---------------------------------------------------------------- dashboard

pub struct Dashboard(DashboardRecord);

/// A volunteer's own figures at a glance.
#[Object]
impl Dashboard {
    /// The volunteer's record.
    async fn volunteer(&self) -> Volunteer {
        Volunteer::new(self.0.volunteer.clone())
    }
    /// Approved hours of service that started this calendar year.
    async fn hours_this_year(&self) -> f64 {
        self.0.half_hours_this_year as f64 / 2.0
    }
    /// Its stars (星级).
    async fn stars(&self) -> i32 {
        i32::from(self.0.volunteer.stars)
    }
    /// Its time-bank balance in coin minutes.
    async fn time_balance_minutes(&self) -> i64 {
        self.0.time_balance_minutes
    }
    /// Its time-bank balance in coins.
    async fn time_balance_coins(&self) -> f64 {
        coins(self.0.time_balance_minutes)
    }
    /// Active sign-ups for activities that have not started.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn upcoming_signups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<Signup>> {
        let id = self.0.volunteer.id;
        list(
            ctx,
            paging(first, after),
            Signup,
            |cx, page, want_total| async move {
                let filter = SignupFilter {
                    volunteer_id: Some(id),
                    active: Some(true),
                    starts_after: Some(cx.now()),
                    ..Default::default()
                };
                attendance::list(cx, &filter, None, &page, want_total).await
            },
        )
        .await
    }
    /// Its certificates, oldest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn certificates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<Certificate>> {
        let id = self.0.volunteer.id;
        list(
            ctx,
            paging(first, after),
            Certificate::new,
            |cx, page, want_total| async move {
                let filter = CertificateFilter {
                    volunteer_id: Some(id),
                    ..Default::default()
                };
                certificates::list(cx, &filter, None, &page, want_total).await
            },
        )
        .await
    }
}

// ---------------------------------------------------------------- queries

#[derive(Default)]
pub struct CommunityQuery;

#[Object]
impl CommunityQuery {
    /// Published activities recruiting now at a unit or below it, by start time.
    /// Public (`activity.browse`): no sign-ups, organisers or personal data.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn public_activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A unit's division code, e.g. `440104`.")] under: String,
        #[graphql(desc = "Only activities of this service field.")] field: Option<String>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<PublicActivity>> {
        list(
            ctx,
            paging(first, after),
            PublicActivity,
            |cx, page, want_total| async move {
                let under = crate::services::parse_unit("under", &under)?;
                selfservice::browse_activities(cx, &under, field.as_deref(), &page, want_total)
                    .await
            },
        )
        .await
    }

    /// Published needs (微心愿) at a unit or below it, newest first. Public
    /// (`help_request.browse`): never who they are for.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn published_needs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A unit's division code, e.g. `440104`.")] under: String,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<PublishedNeed>> {
        list(
            ctx,
            paging(first, after),
            PublishedNeed,
            |cx, page, want_total| async move {
                let under = crate::services::parse_unit("under", &under)?;
                help_requests::browse(cx, &under, &page, want_total).await
            },
        )
        .await
    }

    /// Help requests the caller may read (`help_request.read`; a volunteer, those it
    /// claimed), newest first within each unit.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn help_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only records at this unit or below it (its division code).")]
        under: Option<String>,
        #[graphql(desc = "Only requests in this state.")] state: Option<HelpState>,
        #[graphql(desc = "Only requests of this urgency.")] urgency: Option<Urgency>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<HelpRequest>> {
        list(
            ctx,
            paging(first, after),
            HelpRequest,
            |cx, page, want_total| async move {
                let filter = HelpFilter {
                    under: parse_under(under.as_deref())?,
                    state,
                    urgency,
                };
                help_requests::list(cx, &filter, &page, want_total).await
            },
        )
        .await
    }

    /// A help request by its global ID; null when it does not exist or the caller may
    /// not see it.
    async fn help_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's global ID.")] id: ID,
    ) -> GqlResult<Option<HelpRequest>> {
        let raw = id_of(NodeKind::HelpRequest, &id).map_err(|e| e.extend())?;
        Ok(visible(help_requests::get(cx_of(ctx)?, raw).await)?.map(HelpRequest))
    }

    /// Teams and volunteers the caller may read in the request's district, ranked by
    /// field match and hierarchy distance (same community, then street).
    async fn suggested_helpers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The help request's global ID.")] request_id: ID,
        #[graphql(desc = "How many to return: 10 when left out, at most 50.")] first: Option<i32>,
    ) -> GqlResult<Vec<SuggestedHelper>> {
        let run = async {
            let id = id_of(NodeKind::HelpRequest, &request_id)?;
            let n = first.unwrap_or(10).clamp(1, 50) as usize;
            help_requests::suggested_helpers(parts(ctx)?, id, n).await
        };
        Ok(run
            .await
            .map_err(|e| e.extend())?
            .into_iter()
            .map(SuggestedHelper)
            .collect())
    }

    /// Help-request figures for a unit and everything below it (`help_request.read`
    /// at the unit).
    async fn help_request_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit's division code.")] unit_code: String,
    ) -> GqlResult<HelpRequestStats> {
        let run = async {
            let unit = crate::services::parse_unit("unitCode", &unit_code)?;
            help_requests::stats(parts(ctx)?, &unit).await
        };
        let s = run.await.map_err(|e| e.extend())?;
        Ok(HelpRequestStats {
            by_state: s
                .by_state
                .into_iter()
                .map(|(state, count)| HelpStateCount { state, count })
                .collect(),
            median_hours_to_fulfil: s.median_seconds_to_fulfil.map(|x| x as f64 / 3600.0),
            fulfilled_by_volunteers: s.fulfilled_by_volunteers,
            fulfilled_by_teams: s.fulfilled_by_teams,
            fulfilled_by_funds: s.fulfilled_by_funds,
        })
    }

    /// Applications to join teams the caller may read (`team.read` where the team
    /// is, or its own), newest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn team_applications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only records at this unit or below it (its division code).")]
        under: Option<String>,
        #[graphql(desc = "Only applications to this team (its global ID).")] team_id: Option<ID>,
        #[graphql(desc = "Only applications in this state.")] state: Option<ApplicationState>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<TeamApplication>> {
        list(
            ctx,
            paging(first, after),
            TeamApplication,
            |cx, page, want_total| async move {
                let filter = ApplicationFilter {
                    under: parse_under(under.as_deref())?,
                    team_id: opt_id(NodeKind::Team, &team_id)?,
                    state,
                };
                team_applications::list(cx, &filter, &page, want_total).await
            },
        )
        .await
    }

    /// Time-bank accounts the caller may read (`time_account.read`; a volunteer, its
    /// own), by unit.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn time_accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only records at this unit or below it (its division code).")]
        under: Option<String>,
        #[graphql(desc = "Only accounts of this kind.")] kind: Option<TimeAccountKind>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<TimeAccount>> {
        list(
            ctx,
            paging(first, after),
            TimeAccount,
            |cx, page, want_total| async move {
                let filter = AccountFilter {
                    under: parse_under(under.as_deref())?,
                    kind,
                };
                timebank::list(cx, &filter, &page, want_total).await
            },
        )
        .await
    }

    /// A time-bank account by its global ID; null when it does not exist or the
    /// caller may not see it.
    async fn time_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's global ID.")] id: ID,
    ) -> GqlResult<Option<TimeAccount>> {
        let raw = id_of(NodeKind::TimeAccount, &id).map_err(|e| e.extend())?;
        Ok(visible(timebank::get(cx_of(ctx)?, raw).await)?.map(TimeAccount))
    }

    /// The signed-in volunteer's own time-bank account.
    async fn my_time_account(&self, ctx: &Context<'_>) -> GqlResult<TimeAccount> {
        timebank::mine(cx_of(ctx)?)
            .await
            .map(TimeAccount)
            .map_err(|e| e.extend())
    }

    /// The signed-in volunteer's dashboard: upcoming sign-ups, hours this year,
    /// stars, time-bank balance, certificates.
    async fn my_dashboard(&self, ctx: &Context<'_>) -> GqlResult<Dashboard> {
        selfservice::dashboard(cx_of(ctx)?)
            .await
            .map(Dashboard)
            .map_err(|e| e.extend())
    }

    /// Households in difficulty the caller may read (`supermarket.read`).
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn households(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only records at this unit or below it (its division code).")]
        under: Option<String>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<Household>> {
        list(
            ctx,
            paging(first, after),
            Household,
            |cx, page, want_total| async move {
                let filter = HouseholdFilter {
                    under: parse_under(under.as_deref())?,
                };
                supermarkets::list_households(cx, &filter, &page, want_total).await
            },
        )
        .await
    }

    /// A household by its global ID; null when it does not exist or the caller may
    /// not see it.
    async fn household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The household's global ID.")] id: ID,
    ) -> GqlResult<Option<Household>> {
        let raw = id_of(NodeKind::Household, &id).map_err(|e| e.extend())?;
        Ok(visible(supermarkets::get_household(cx_of(ctx)?, raw).await)?.map(Household))
    }

    /// Stock items of charity supermarkets the caller may read (`supermarket.read`).
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn stock_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only records at this unit or below it (its division code).")]
        under: Option<String>,
        #[graphql(desc = "Only items of this supermarket (a station's global ID).")]
        station_id: Option<ID>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<StockItem>> {
        list(
            ctx,
            paging(first, after),
            StockItem,
            |cx, page, want_total| async move {
                let filter = ItemFilter {
                    under: parse_under(under.as_deref())?,
                    station_id: opt_id(NodeKind::Station, &station_id)?,
                };
                supermarkets::list_items(cx, &filter, &page, want_total).await
            },
        )
        .await
    }

    /// A stock item by its global ID; null when it does not exist or the caller may
    /// not see it.
    async fn stock_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item's global ID.")] id: ID,
    ) -> GqlResult<Option<StockItem>> {
        let raw = id_of(NodeKind::StockItem, &id).map_err(|e| e.extend())?;
        Ok(visible(supermarkets::get_item(cx_of(ctx)?, raw).await)?.map(StockItem))
    }

    /// Stock movements the caller may read (`supermarket.read`), newest first within
    /// each unit.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn stock_moves(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only records at this unit or below it (its division code).")]
        under: Option<String>,
        #[graphql(desc = "Only movements of this kind.")] kind: Option<StockMoveKind>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<StockMove>> {
        list(
            ctx,
            paging(first, after),
            StockMove,
            |cx, page, want_total| async move {
                let filter = MoveFilter {
                    under: parse_under(under.as_deref())?,
                    kind,
                };
                supermarkets::list_moves(cx, &filter, &page, want_total).await
            },
        )
        .await
    }
}

// ---------------------------------------------------------------- inputs and payloads

/// A resident's new account.
#[derive(InputObject)]
pub struct SignUpAccountInput {
    /// 3–64 of lowercase letters, digits, `_`, `.`, `-`.
    pub username: String,
    /// 8 to 128 characters.
    pub password: String,
    /// A mainland mobile number.
    pub phone: String,
    /// The community (or grid) the resident lives in.
    pub unit_code: String,
}

/// The result of `signUpAccount`.
#[derive(SimpleObject)]
pub struct SignUpAccountPayload {
    /// The new account (sign in with `login`).
    pub user: User,
}

/// The signed-in resident registering itself as a volunteer.
#[derive(InputObject)]
pub struct RegisterSelfInput {
    /// The person's legal name.
    pub real_name: String,
    /// The kind of ID document.
    pub id_type: IdType,
    /// The ID number (a resident ID card's check digit is verified); unique across the system.
    pub id_number: String,
    /// A mobile number (11 digits).
    pub phone: Option<String>,
    /// Only for documents other than the resident ID (which carries it).
    pub gender: Option<Gender>,
    /// Only for documents other than the resident ID (which carries it).
    pub birth_date: Option<Day>,
    /// The community (or grid) to serve in.
    pub unit_code: String,
    /// Codes of the service fields the volunteer offers.
    #[graphql(default)]
    pub fields: Vec<String>,
}

/// The result of `registerSelf`.
#[derive(SimpleObject)]
pub struct RegisterSelfPayload {
    /// The new volunteer record, linked to the caller's account.
    pub volunteer: Volunteer,
}

/// A volunteer asks to join a team.
#[derive(InputObject)]
pub struct ApplyToTeamInput {
    /// The team's global ID.
    pub team_id: ID,
    /// A note to the team leader (at most 500 characters).
    pub message: Option<String>,
}

/// A decision on an application.
#[derive(InputObject)]
pub struct DecideTeamApplicationInput {
    /// The application's global ID.
    pub id: ID,
    /// Accept (the volunteer joins) or turn down.
    pub approve: bool,
    /// A note to the applicant.
    pub note: Option<String>,
}

/// The result of `applyToTeam` and `decideTeamApplication`.
#[derive(SimpleObject)]
pub struct TeamApplicationPayload {
    /// The application as it is now.
    pub application: TeamApplication,
}

impl From<ApplicationRecord> for TeamApplicationPayload {
    fn from(a: ApplicationRecord) -> Self {
        TeamApplicationPayload {
            application: TeamApplication(a),
        }
    }
}

/// A new help request.
#[derive(InputObject)]
pub struct FileHelpRequestInput {
    /// The community (or grid) the beneficiary lives in.
    pub unit_code: String,
    /// The beneficiary's name (at most 100 characters).
    pub beneficiary_name: String,
    /// The beneficiary's mobile number.
    pub beneficiary_phone: Option<String>,
    /// The beneficiary's address (at most 200 characters).
    pub beneficiary_address: Option<String>,
    /// A service field's code (see `serviceFields`) or `material`.
    pub category: String,
    /// How soon it must be met.
    pub urgency: Urgency,
    /// What is needed (at most 2,000 characters).
    pub description: String,
    /// Who asked.
    pub requested_by: RequestedBy,
    /// Names of attached files (at most 10).
    #[graphql(default)]
    pub attachments: Vec<String>,
}

/// A review step on a help request.
#[derive(InputObject)]
pub struct HelpRequestIdInput {
    /// The request's global ID.
    pub id: ID,
}

/// Declining a help request.
#[derive(InputObject)]
pub struct DeclineHelpRequestInput {
    /// The request's global ID.
    pub id: ID,
    /// Why (at most 500 characters).
    pub reason: String,
}

/// Claiming a published help request: exactly one of a volunteer, a team or a
/// fund; none claims for the caller's own volunteer record.
#[derive(InputObject)]
pub struct ClaimHelpRequestInput {
    /// The request's global ID.
    pub id: ID,
    /// A volunteer's global ID (an office claiming for it).
    pub volunteer_id: Option<ID>,
    /// A team's global ID.
    pub team_id: Option<ID>,
    /// A fund's global ID.
    pub fund_id: Option<ID>,
}

/// What was done for a claimed request: at least one of hours, goods or a
/// disbursement.
#[derive(InputObject)]
pub struct FulfilHelpRequestInput {
    /// The request's global ID.
    pub id: ID,
    /// Hours the claiming volunteer gave (multiples of 0.5, at most 24): recorded as
    /// its service hours, for approval.
    pub hours: Option<f64>,
    /// Goods given (at most 500 characters).
    pub goods: Option<String>,
    /// A paid disbursement of the claiming fund.
    pub disbursement_id: Option<ID>,
    /// What was done (at most 1,000 characters).
    pub note: String,
}

/// Closing a fulfilled request with the beneficiary's feedback.
#[derive(InputObject)]
pub struct CloseHelpRequestInput {
    /// The request's global ID.
    pub id: ID,
    /// The beneficiary's words (at most 1,000 characters).
    pub feedback: String,
    /// 1 to 5.
    pub rating: i32,
}

/// The result of every help-request mutation.
#[derive(SimpleObject)]
pub struct HelpRequestPayload {
    /// The request as it is now.
    pub help_request: HelpRequest,
}

impl From<HelpRequestRecord> for HelpRequestPayload {
    fn from(r: HelpRequestRecord) -> Self {
        HelpRequestPayload {
            help_request: HelpRequest(r),
        }
    }
}

/// Spending coins on a service.
#[derive(InputObject)]
pub struct SpendTimeCoinsInput {
    /// The spending volunteer; left out, the caller's own record.
    pub volunteer_id: Option<ID>,
    /// Coin minutes (1 to 6,000,000).
    pub minutes: i64,
    /// What the service was (at most 200 characters).
    pub note: String,
}

/// Giving coins to a registered relative.
#[derive(InputObject)]
pub struct GiftTimeCoinsInput {
    /// The giver; left out, the caller's own record.
    pub from_volunteer_id: Option<ID>,
    /// The relative's volunteer global ID.
    pub to_volunteer_id: ID,
    /// Coin minutes (1 to 6,000,000).
    pub minutes: i64,
}

/// Donating coins to a mutual-aid pool.
#[derive(InputObject)]
pub struct DonateTimeCoinsInput {
    /// The donor; left out, the caller's own record.
    pub volunteer_id: Option<ID>,
    /// The pool's unit: the volunteer's community or a unit above it.
    pub unit_code: String,
    /// Coin minutes (1 to 6,000,000).
    pub minutes: i64,
}

/// Registering a relative with a volunteer.
#[derive(InputObject)]
pub struct RegisterRelativeInput {
    /// The volunteer's global ID.
    pub volunteer_id: ID,
    /// The relative's volunteer global ID.
    pub relative_id: ID,
    /// How they are related.
    pub relation: Kinship,
}

/// Marking an account as in hardship.
#[derive(InputObject)]
pub struct SetTimeBankHardshipInput {
    /// The volunteer's global ID.
    pub volunteer_id: ID,
    /// In hardship or not.
    pub hardship: bool,
}

/// The result of every time-bank mutation.
#[derive(SimpleObject)]
pub struct TimeAccountPayload {
    /// The (giving or spending) account as it is now.
    pub account: TimeAccount,
}

impl From<TimeAccountRecord> for TimeAccountPayload {
    fn from(a: TimeAccountRecord) -> Self {
        TimeAccountPayload {
            account: TimeAccount(a),
        }
    }
}

/// A household in difficulty.
#[derive(InputObject)]
pub struct RegisterHouseholdInput {
    /// Its community (or grid).
    pub unit_code: String,
    /// The head of the household (at most 100 characters).
    pub head_name: String,
    /// A mobile number.
    pub phone: Option<String>,
    /// Its address (at most 200 characters).
    pub address: Option<String>,
    /// Why it receives help.
    pub category: HouseholdCategory,
    /// How many people live in it (1 to 30).
    pub members: i32,
}

/// The result of `registerHousehold`.
#[derive(SimpleObject)]
pub struct HouseholdPayload {
    /// The household.
    pub household: Household,
}

/// A new line of goods.
#[derive(InputObject)]
pub struct AddStockItemInput {
    /// The supermarket (a charity-supermarket station's global ID).
    pub station_id: ID,
    /// Its name, unique in the supermarket (at most 100 characters).
    pub name: String,
    /// What one of it is (袋, 瓶 …).
    pub unit_label: Option<String>,
    /// Its price in fen.
    pub price_fen: Fen,
    /// Its price in coin minutes, to allow exchanges for time coins.
    pub coin_minutes: Option<i64>,
}

/// The result of `addStockItem`.
#[derive(SimpleObject)]
pub struct StockItemPayload {
    /// The item.
    pub item: StockItem,
}

/// Goods in.
#[derive(InputObject)]
pub struct ReceiveGoodsInput {
    /// The item's global ID.
    pub item_id: ID,
    /// How many (1 to 100,000).
    pub quantity: i64,
    /// The in-kind donation they came from; left out for a purchase.
    pub donation_id: Option<ID>,
    /// What a purchase cost, in fen.
    pub cost_fen: Option<Fen>,
}

/// Goods out by sale.
#[derive(InputObject)]
pub struct SellGoodsInput {
    /// The item's global ID.
    pub item_id: ID,
    /// How many (1 to 100,000).
    pub quantity: i64,
    /// Money or time coins.
    pub payment: Payment,
    /// For time coins: whose account pays (left out, the caller's own).
    pub volunteer_id: Option<ID>,
}

/// Goods out free to a household.
#[derive(InputObject)]
pub struct IssueGoodsInput {
    /// The item's global ID.
    pub item_id: ID,
    /// How many (1 to 100,000; within the household's monthly quota).
    pub quantity: i64,
    /// The household's global ID.
    pub household_id: ID,
}

/// A stock count (盘点).
#[derive(InputObject)]
pub struct CountStockInput {
    /// The item's global ID.
    pub item_id: ID,
    /// What was counted.
    pub counted: i64,
    /// Why it differs (or that it was checked; at most 500 characters).
    pub reason: String,
}

/// The result of every stock movement.
#[derive(SimpleObject)]
pub struct StockMovePayload {
    /// The movement.
    pub r#move: StockMove,
}

impl From<MoveRecord> for StockMovePayload {
    fn from(m: MoveRecord) -> Self {
        StockMovePayload {
            r#move: StockMove(m),
        }
    }
}

// ---------------------------------------------------------------- mutations

#[derive(Default)]
pub struct CommunityMutation;

async fn review(ctx: &Context<'_>, id: &ID, step: Review) -> GqlResult<HelpRequestPayload> {
    answer(async {
        let (cx, id) = target(ctx, NodeKind::HelpRequest, id)?;
        help_requests::review(cx, id, step, None).await
    })
    .await
}

#[Object]
impl CommunityMutation {
    /// Creates a resident's account (no role yet). Anonymous; limited per client
    /// address like sign-ins.
    async fn sign_up_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: SignUpAccountInput,
    ) -> GqlResult<SignUpAccountPayload> {
        let rules = ctx.data::<crate::services::throttle::ThrottleRules>()?;
        let new = NewAccount {
            username: input.username,
            password: input.password,
            phone: input.phone,
            unit_code: input.unit_code,
        };
        selfservice::sign_up_account(cx_of(ctx)?, rules, new)
            .await
            .map(|u| SignUpAccountPayload { user: User(u) })
            .map_err(|e| e.extend())
    }
    /// Registers the signed-in resident as a volunteer at a community; its account
    /// gets the `volunteer` role there.
    async fn register_self(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RegisterSelfInput,
    ) -> GqlResult<RegisterSelfPayload> {
        let new = NewVolunteer {
            real_name: input.real_name,
            id_kind: input.id_type,
            id_number: input.id_number,
            phone: input.phone,
            gender: input.gender,
            birth_date: input.birth_date.map(Into::into),
            unit_code: input.unit_code,
            fields: input.fields,
            party_member: false,
            party_organization: None,
            reported_unit_code: None,
            user_id: None,
        };
        selfservice::register_self(cx_of(ctx)?, new)
            .await
            .map(|v| RegisterSelfPayload {
                volunteer: Volunteer::new(v),
            })
            .map_err(|e| e.extend())
    }
    /// The signed-in volunteer asks to join a team.
    async fn apply_to_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ApplyToTeamInput,
    ) -> GqlResult<TeamApplicationPayload> {
        answer(async {
            let (cx, team) = target(ctx, NodeKind::Team, &input.team_id)?;
            team_applications::apply(cx, team, input.message.as_deref()).await
        })
        .await
    }
    /// Accepts or turns down an application (the team's leader, or `team.update` at
    /// the team's unit).
    async fn decide_team_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DecideTeamApplicationInput,
    ) -> GqlResult<TeamApplicationPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::TeamApplication, &input.id)?;
            team_applications::decide(cx, id, input.approve, input.note.as_deref()).await
        })
        .await
    }
    /// Files a help request at a community (`help_request.create`).
    async fn file_help_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: FileHelpRequestInput,
    ) -> GqlResult<HelpRequestPayload> {
        answer(async {
            let new = NewHelpRequest {
                unit_code: input.unit_code,
                beneficiary_name: input.beneficiary_name,
                beneficiary_phone: input.beneficiary_phone,
                beneficiary_address: input.beneficiary_address,
                category: input.category,
                urgency: input.urgency,
                description: input.description,
                requested_by: input.requested_by,
                attachments: input.attachments,
            };
            help_requests::file(parts(ctx)?, new).await
        })
        .await
    }
    /// Records the home visit (入户核实) that verified a submitted request
    /// (`help_request.approve`).
    async fn verify_help_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: HelpRequestIdInput,
    ) -> GqlResult<HelpRequestPayload> {
        review(ctx, &input.id, Review::Verify).await
    }
    /// Publishes a verified request: the public sees the need, never the person
    /// (`help_request.approve`).
    async fn publish_help_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: HelpRequestIdInput,
    ) -> GqlResult<HelpRequestPayload> {
        review(ctx, &input.id, Review::Publish).await
    }
    /// Declines a request that is not yet claimed, with a reason
    /// (`help_request.approve`).
    async fn decline_help_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DeclineHelpRequestInput,
    ) -> GqlResult<HelpRequestPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::HelpRequest, &input.id)?;
            help_requests::review(cx, id, Review::Decline, Some(&input.reason)).await
        })
        .await
    }
    /// Claims a published request for a volunteer (by default the caller's own
    /// record), a team or a fund.
    async fn claim_help_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ClaimHelpRequestInput,
    ) -> GqlResult<HelpRequestPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::HelpRequest, &input.id)?;
            let who = match (&input.volunteer_id, &input.team_id, &input.fund_id) {
                (v, None, None) => Claimant::Volunteer(opt_id(NodeKind::Volunteer, v)?),
                (None, Some(t), None) => Claimant::Team(id_of(NodeKind::Team, t)?),
                (None, None, Some(f)) => Claimant::Fund(id_of(NodeKind::Fund, f)?),
                _ => return Err(crate::error::Reason::HELP_CLAIMANT.at("volunteerId").into()),
            };
            help_requests::claim(cx, id, who).await
        })
        .await
    }
    /// Records what was done for a claimed request (`help_request.update`: the
    /// claiming volunteer or an office in scope).
    async fn fulfil_help_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: FulfilHelpRequestInput,
    ) -> GqlResult<HelpRequestPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::HelpRequest, &input.id)?;
            let f = Fulfilment {
                hours: input.hours,
                goods: input.goods,
                disbursement_id: opt_id(NodeKind::Disbursement, &input.disbursement_id)?,
                note: input.note,
            };
            help_requests::fulfil(cx, id, f).await
        })
        .await
    }
    /// Closes a fulfilled request with the beneficiary's feedback
    /// (`help_request.approve`).
    async fn close_help_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CloseHelpRequestInput,
    ) -> GqlResult<HelpRequestPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::HelpRequest, &input.id)?;
            let rating = i16::try_from(input.rating).unwrap_or(0);
            help_requests::close(cx, id, &input.feedback, rating).await
        })
        .await
    }
    /// Spends coins on a service (from the redemption age; `time_account.update`).
    async fn spend_time_coins(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: SpendTimeCoinsInput,
    ) -> GqlResult<TimeAccountPayload> {
        answer(async {
            let s = SpendOnService {
                volunteer_id: opt_id(NodeKind::Volunteer, &input.volunteer_id)?,
                minutes: input.minutes,
                note: input.note,
            };
            timebank::spend_on_service(parts(ctx)?, s).await
        })
        .await
    }
    /// Gives coins to a relative registered with the giver.
    async fn gift_time_coins(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: GiftTimeCoinsInput,
    ) -> GqlResult<TimeAccountPayload> {
        answer(async {
            let g = Gift {
                from_volunteer_id: opt_id(NodeKind::Volunteer, &input.from_volunteer_id)?,
                to_volunteer_id: id_of(NodeKind::Volunteer, &input.to_volunteer_id)?,
                minutes: input.minutes,
            };
            timebank::gift(parts(ctx)?, g).await
        })
        .await
    }
    /// Donates coins to the mutual-aid pool of the volunteer's community or a unit
    /// above it.
    async fn donate_time_coins(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DonateTimeCoinsInput,
    ) -> GqlResult<TimeAccountPayload> {
        answer(async {
            let d = PoolDonation {
                volunteer_id: opt_id(NodeKind::Volunteer, &input.volunteer_id)?,
                unit_code: input.unit_code,
                minutes: input.minutes,
            };
            timebank::donate_to_pool(parts(ctx)?, d).await
        })
        .await
    }
    /// Registers a relative with a volunteer (`volunteer.update` on the volunteer,
    /// `volunteer.read` on the relative); gifts may then go to it.
    async fn register_relative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RegisterRelativeInput,
    ) -> GqlResult<TimeAccountPayload> {
        answer(async {
            let r = NewRelative {
                volunteer_id: id_of(NodeKind::Volunteer, &input.volunteer_id)?,
                relative_id: id_of(NodeKind::Volunteer, &input.relative_id)?,
                relation: input.relation,
            };
            timebank::add_relative(parts(ctx)?, r).await
        })
        .await
    }
    /// Marks a volunteer's account as in hardship or not (an office with
    /// `time_account.update` over its unit).
    async fn set_time_bank_hardship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: SetTimeBankHardshipInput,
    ) -> GqlResult<TimeAccountPayload> {
        answer(async {
            let (cx, v) = target(ctx, NodeKind::Volunteer, &input.volunteer_id)?;
            timebank::set_hardship(cx, v, input.hardship).await
        })
        .await
    }
    /// Registers a household in difficulty at a community (`supermarket.create`).
    async fn register_household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RegisterHouseholdInput,
    ) -> GqlResult<HouseholdPayload> {
        let run = async {
            let h = NewHousehold {
                unit_code: input.unit_code,
                head_name: input.head_name,
                phone: input.phone,
                address: input.address,
                category: input.category,
                members: i16::try_from(input.members).unwrap_or(0),
            };
            supermarkets::register_household(parts(ctx)?, h).await
        };
        run.await
            .map(|h| HouseholdPayload {
                household: Household(h),
            })
            .map_err(|e| e.extend())
    }
    /// Adds a line of goods to a charity supermarket (`supermarket.create`).
    async fn add_stock_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: AddStockItemInput,
    ) -> GqlResult<StockItemPayload> {
        let run = async {
            let i = NewItem {
                station_id: id_of(NodeKind::Station, &input.station_id)?,
                name: input.name,
                unit_label: input.unit_label,
                price_fen: input.price_fen.0,
                coin_minutes: input.coin_minutes,
            };
            supermarkets::add_item(parts(ctx)?, i).await
        };
        run.await
            .map(|i| StockItemPayload { item: StockItem(i) })
            .map_err(|e| e.extend())
    }
    /// Goods in, from an in-kind donation or a purchase (`supermarket.update`).
    async fn receive_goods(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ReceiveGoodsInput,
    ) -> GqlResult<StockMovePayload> {
        answer(async {
            let r = Receipt {
                item_id: id_of(NodeKind::StockItem, &input.item_id)?,
                quantity: input.quantity,
                donation_id: opt_id(NodeKind::Donation, &input.donation_id)?,
                cost_fen: input.cost_fen.map(|f| f.0),
            };
            supermarkets::receive(parts(ctx)?, r).await
        })
        .await
    }
    /// Goods out by sale for money (its share booked into the fund) or time coins
    /// (`supermarket.update`).
    async fn sell_goods(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: SellGoodsInput,
    ) -> GqlResult<StockMovePayload> {
        answer(async {
            let s = Sale {
                item_id: id_of(NodeKind::StockItem, &input.item_id)?,
                quantity: input.quantity,
                payment: input.payment,
                volunteer_id: opt_id(NodeKind::Volunteer, &input.volunteer_id)?,
            };
            supermarkets::sell(parts(ctx)?, s).await
        })
        .await
    }
    /// Goods out free to a household in difficulty, within its monthly quota
    /// (`supermarket.update`).
    async fn issue_goods(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: IssueGoodsInput,
    ) -> GqlResult<StockMovePayload> {
        answer(async {
            let item = id_of(NodeKind::StockItem, &input.item_id)?;
            let h = id_of(NodeKind::Household, &input.household_id)?;
            supermarkets::issue(parts(ctx)?, item, input.quantity, h).await
        })
        .await
    }
    /// Records a stock count (盘点): the difference, with its reason
    /// (`supermarket.update`).
    async fn count_stock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CountStockInput,
    ) -> GqlResult<StockMovePayload> {
        answer(async {
            let item = id_of(NodeKind::StockItem, &input.item_id)?;
            supermarkets::count(parts(ctx)?, item, input.counted, &input.reason).await
        })
        .await
    }
}
