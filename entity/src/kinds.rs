//! The closed sets the tables store as strings (states, kinds, methods). Each is one
//! enum: sea-orm stores it as its string, and with the `graphql` feature the API
//! exposes it as a GraphQL enum from the same definition, so there is no mirror to
//! keep in step and no string literal for a state anywhere else.

use sea_orm::entity::prelude::*;

macro_rules! kind {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $( $(#[$vmeta])* #[sea_orm(string_value = $value)] $variant, )+
        }

        impl $name {
            /// The stored string.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $value, )+ }
            }

            /// The kind a stored string names, if any (as `try_from_value`, without
            /// needing a `String`).
            pub fn from_stored(s: &str) -> Option<$name> {
                match s { $( $value => Some($name::$variant), )+ _ => None }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

kind!(
    /// What kind of body an organisation is.
    OrganizationKind {
        /// A registered social organisation (社会组织).
        SocialOrganization = "social_organization",
        /// A social-work agency (社工机构).
        SocialWorkAgency = "social_work_agency",
        /// A partner enterprise (爱心企业).
        Enterprise = "enterprise",
        /// A party organisation (党组织).
        PartyOrganization = "party_organization",
        /// Anything else.
        Other = "other",
    }
);

kind!(
    /// Kinds of station: the places where community service happens.
    StationKind {
        /// A street's social-work station (社工站).
        SocialWorkStation = "social_work_station",
        /// A community's social-work point (社工点).
        SocialWorkPoint = "social_work_point",
        /// A street's charity workstation (慈善工作站).
        CharityWorkstation = "charity_workstation",
        /// A community donation point (捐赠点).
        DonationPoint = "donation_point",
        /// A time-bank station (时间银行站点).
        TimeBankStation = "time_bank_station",
        /// A community charity space (慈善空间).
        CharitySpace = "charity_space",
        /// A charity supermarket (慈善超市).
        CharitySupermarket = "charity_supermarket",
    }
);

kind!(
    /// Where an activity is in its life.
    ActivityState {
        /// Being written; seen by its organisers and reviewers only.
        Draft = "draft",
        /// Submitted and waiting for review by the office above (待审核).
        PendingReview = "pending_review",
        /// Open (sign-ups follow the recruiting window); not started.
        Published = "published",
        /// Started, not closed.
        InProgress = "in_progress",
        /// Closed by its organiser, with the people it served.
        Closed = "closed",
        /// Called off before it started; its sign-ups were cancelled with it.
        Cancelled = "cancelled",
    }
);

impl ActivityState {
    /// Seen only by those who organise or review it.
    pub fn unpublished(self) -> bool {
        matches!(self, ActivityState::Draft | ActivityState::PendingReview)
    }
}

kind!(
    /// Whether a sign-up holds a seat.
    SignupState {
        /// Holds a seat.
        Active = "active",
        /// Given up by the volunteer or an organiser, or with the activity.
        Cancelled = "cancelled",
    }
);

kind!(
    /// Where a service record is in its review.
    ServiceRecordState {
        /// Waiting for approval.
        Recorded = "recorded",
        /// Approved: the hours count.
        Approved = "approved",
        /// Rejected, with a note.
        Rejected = "rejected",
    }
);

kind!(
    /// Where a service record came from.
    ServiceRecordSource {
        /// A check-in session, rounded by the rule.
        CheckIn = "check_in",
        /// Logged by the volunteer.
        Logged = "logged",
        /// Back-filled (补录) by an organiser, with a reason.
        Backfill = "backfill",
        /// A correction of an approved record (the difference in hours).
        Correction = "correction",
        /// Hours taken away for fraud.
        Revocation = "revocation",
    }
);

kind!(
    /// Where a star nomination (星级评定) is.
    NominationState {
        /// On public notice (公示), waiting for a grant.
        Listed = "listed",
        /// Granted: the volunteer holds the stars.
        Granted = "granted",
        /// Withdrawn after hours were revoked for fraud.
        Withdrawn = "withdrawn",
        /// A higher star was granted first.
        Superseded = "superseded",
    }
);

kind!(
    /// Where a volunteer's request to move to another unit is.
    MoveState {
        /// Waiting for the destination's administrators.
        Pending = "pending",
        /// Accepted: the volunteer moved.
        Accepted = "accepted",
        /// Declined, with a reason.
        Declined = "declined",
        /// Replaced by a newer request for the same volunteer.
        Withdrawn = "withdrawn",
    }
);

kind!(
    /// How a check-in or check-out was made.
    CheckMethod {
        /// The volunteer submitted the activity's code.
        Code = "code",
        /// An organiser entered it, with a reason.
        Manual = "manual",
        /// Checked out when the activity closed.
        Closed = "closed",
    }
);

kind!(
    /// A volunteer's gender, as derived from the resident ID or given.
    Gender {
        /// Male.
        Male = "male",
        /// Female.
        Female = "female",
        /// Not known (documents that do not carry it).
        Unknown = "unknown",
    }
);

kind!(
    /// The identity document a volunteer registered with.
    IdType {
        /// Resident identity card of the PRC (居民身份证), 18 characters.
        ResidentId = "resident_id",
        /// Passport (护照).
        Passport = "passport",
        /// Mainland travel permit for Hong Kong and Macao residents (港澳居民来往内地通行证).
        HkMacauPermit = "hk_macau_permit",
        /// Mainland travel permit for Taiwan residents (台湾居民来往大陆通行证).
        TaiwanPermit = "taiwan_permit",
    }
);

kind!(
    /// Whether a volunteer is registered and serving.
    VolunteerStatus {
        /// Registered; may sign up for activities.
        Active = "active",
    }
);

kind!(
    /// Whether a community charity fund takes donations.
    FundStatus {
        /// Open: takes donations and pays out.
        Open = "open",
        /// Closed (on `closedOn`): takes no donations; its history stays.
        Closed = "closed",
    }
);

kind!(
    /// Who gave a donation.
    DonorKind {
        /// A person (个人); the name is personal data.
        Person = "person",
        /// An enterprise or other body (企业/单位).
        Enterprise = "enterprise",
        /// Anonymous (匿名): no name is kept.
        Anonymous = "anonymous",
    }
);

kind!(
    /// How a donation came in.
    DonationChannel {
        /// Cash (现金).
        Cash = "cash",
        /// Bank transfer (银行转账).
        BankTransfer = "bank_transfer",
        /// An online charity platform (互联网募捐平台).
        OnlinePlatform = "online_platform",
        /// A community donation point (捐赠点).
        DonationPoint = "donation_point",
        /// A charity supermarket's share of its sales (慈善超市).
        CharitySupermarketShare = "charity_supermarket_share",
    }
);

kind!(
    /// What a ledger entry records.
    EntryKind {
        /// Money donated to a fund.
        Donation = "donation",
        /// A reversing entry: undoes the entry it names (a voided receipt, a
        /// reversed payment).
        Reversal = "reversal",
        /// Money paid out of a fund.
        Disbursement = "disbursement",
        /// Money moved from one fund to another.
        Transfer = "transfer",
        /// Goods donated to a fund, booked at their estimated value on a goods
        /// account: they do not add to the money the fund can pay out.
        GoodsDonation = "goods_donation",
    }
);

kind!(
    /// What a donation gives.
    DonationKind {
        /// Money (integer fen).
        Money = "money",
        /// Goods (物资), itemised with quantities and estimated values.
        Goods = "goods",
    }
);

kind!(
    /// What a disclosure report covers (慈善组织信息公开办法).
    DisclosureKind {
        /// A campaign's report during its run (at least every three months for a
        /// campaign over six months).
        Interim = "interim",
        /// A campaign's final report, within three months of its end.
        Final = "final",
        /// A fund's annual report of a calendar year, by 31 May of the next.
        Annual = "annual",
    }
);

kind!(
    /// Who a disbursement pays.
    PayeeKind {
        /// A service project.
        Project = "project",
        /// A household in difficulty (困难家庭); the name is personal data.
        Household = "household",
        /// An organisation.
        Organization = "organization",
    }
);

kind!(
    /// Where a disbursement is in its life.
    DisbursementState {
        /// Proposed, waiting for approval by the office its amount calls for.
        Proposed = "proposed",
        /// Approved; may be paid.
        Approved = "approved",
        /// Sent back with a reason; it goes no further.
        Returned = "returned",
        /// Paid out of the fund.
        Paid = "paid",
        /// A payment undone by a reversing entry: the money is back in the fund.
        Reversed = "reversed",
    }
);

kind!(
    /// Where a help request (微心愿) is in its life.
    HelpState {
        /// Filed; waiting for a community worker to verify it at home (入户核实).
        Submitted = "submitted",
        /// Verified by a community worker; not yet public.
        Verified = "verified",
        /// Public: the need is shown without anything identifying the person.
        Published = "published",
        /// A volunteer, a team or a fund has taken it on.
        Claimed = "claimed",
        /// Done: what was done is recorded.
        Fulfilled = "fulfilled",
        /// Closed with the beneficiary's feedback.
        Closed = "closed",
        /// Declined with a reason.
        Declined = "declined",
    }
);

kind!(
    /// How soon a need must be met.
    Urgency {
        /// Within weeks.
        Low = "low",
        /// Within days.
        Normal = "normal",
        /// Within a day or two.
        High = "high",
        /// At once.
        Urgent = "urgent",
    }
);

kind!(
    /// Who filed a help request.
    RequestedBy {
        /// The beneficiary itself.
        Beneficiary = "beneficiary",
        /// A community worker on the beneficiary's behalf.
        CommunityWorker = "community_worker",
        /// A grid worker (网格员) who found the need.
        GridWorker = "grid_worker",
    }
);

kind!(
    /// Where an application to join a team stands.
    ApplicationState {
        /// Waiting for the team leader or an admin.
        Pending = "pending",
        /// Accepted: the volunteer is a member.
        Approved = "approved",
        /// Turned down.
        Rejected = "rejected",
    }
);

kind!(
    /// How a registered relative is related to the volunteer.
    Kinship {
        /// Husband or wife.
        Spouse = "spouse",
        /// Father or mother.
        Parent = "parent",
        /// Son or daughter.
        Child = "child",
        /// Brother or sister.
        Sibling = "sibling",
        /// Grandparent.
        Grandparent = "grandparent",
        /// Grandchild.
        Grandchild = "grandchild",
    }
);

kind!(
    /// Kinds of time-bank account.
    TimeAccountKind {
        /// A volunteer's own account.
        Volunteer = "volunteer",
        /// A unit's mutual-aid pool (互助池).
        Pool = "pool",
        /// Where a unit's deposits for service come from.
        Issued = "issued",
        /// Where coins spent on services go.
        Redeemed = "redeemed",
        /// A charity supermarket taking coins for goods.
        Supermarket = "supermarket",
    }
);

kind!(
    /// What moved coins in the time bank.
    TimeEntryKind {
        /// Approved service hours deposited.
        Deposit = "deposit",
        /// Hours revoked for fraud withdrawn.
        Withdrawal = "withdrawal",
        /// Spent on a service by another volunteer.
        Service = "service",
        /// Spent on supermarket goods.
        Supermarket = "supermarket",
        /// Given to a registered relative.
        Gift = "gift",
        /// Donated to a unit's mutual-aid pool.
        Pool = "pool",
    }
);

kind!(
    /// Why a household receives help (困难家庭).
    HouseholdCategory {
        /// Minimum living allowance (低保).
        MinimumLiving = "minimum_living",
        /// Extreme poverty support (特困供养).
        ExtremePoverty = "extreme_poverty",
        /// Low income (低收入).
        LowIncome = "low_income",
        /// Another hardship a community worker recorded.
        Other = "other",
    }
);

kind!(
    /// What moved stock in a charity supermarket.
    StockMoveKind {
        /// In from an in-kind donation.
        DonationIn = "donation_in",
        /// In from a purchase.
        PurchaseIn = "purchase_in",
        /// Out by sale for money.
        Sale = "sale",
        /// Out in exchange for time coins.
        CoinExchange = "coin_exchange",
        /// Out free to a household in difficulty.
        FreeIssue = "free_issue",
        /// A stock count's difference (盘点).
        Count = "count",
    }
);
