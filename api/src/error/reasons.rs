//! The catalogue of reasons: every rule that can refuse a request has a stable
//! sub-code (`extensions.reason`), the `extensions.code` it maps to, and its message in
//! Simplified Chinese and English. `{name}` in a message is filled from the
//! problem's arguments; the test below keeps the two languages complete and in step.

use super::ErrorCode;

/// The language of error messages: Simplified Chinese unless the client asks for
/// English (`Accept-Language: en`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The language an `Accept-Language` header prefers among the two Kapok speaks:
    /// the highest-weighted `zh*` or `en*` tag wins; anything else means Chinese.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Zh;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("en") => Lang::En,
                Some("zh") => Lang::Zh,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, l)| l)
    }
}

macro_rules! reasons {
    ($( $(#[$doc:meta])* $name:ident: $code:ident, $en:literal, $zh:literal; )+) => {
        /// Why a request was refused: the stable `extensions.reason`.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Reason {
            $( $(#[$doc])* $name, )+
        }

        impl Reason {
            pub const ALL: &'static [Reason] = &[$(Reason::$name),+];

            /// The sub-code clients match on, e.g. `ACTIVITY_FULL`.
            pub fn as_str(self) -> &'static str {
                match self { $( Reason::$name => stringify!($name), )+ }
            }

            /// The `extensions.code` this reason belongs to.
            pub fn code(self) -> ErrorCode {
                match self { $( Reason::$name => ErrorCode::$code, )+ }
            }

            /// The message template in `lang`.
            pub fn template(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $( (Reason::$name, Lang::En) => $en,
                       (Reason::$name, Lang::Zh) => $zh, )+
                }
            }
        }
    };
}

reasons! {
    // Signing in and sessions.
    SIGN_IN_REQUIRED: Unauthenticated, "sign in first", "请先登录";
    BAD_CREDENTIALS: Unauthenticated, "wrong username or password", "用户名或密码错误";
    TOKEN_INVALID: Unauthenticated,
        "the access token is invalid or expired", "访问令牌无效或已过期";
    SESSION_ENDED: Unauthenticated, "the session has ended; sign in again", "会话已结束，请重新登录";
    ACCOUNT_DISABLED: Unauthenticated, "the account is disabled", "账号已停用";
    AUTHORIZATION_HEADER: Unauthenticated,
        "the Authorization header must be `Bearer <token>`",
        "Authorization 请求头须为 `Bearer <令牌>`";
    REFRESH_TOKEN_INVALID: Unauthenticated, "the refresh token is not valid", "刷新令牌无效";
    THROTTLED: Unauthenticated,
        "too many failed sign-ins; try again in {seconds} s",
        "登录失败次数过多，请在 {seconds} 秒后重试";
    PASSWORD_CHANGE_REQUIRED: Forbidden,
        "change your one-time password first (changePassword)",
        "请先修改一次性密码（changePassword）";
    CREDENTIALS_TOO_LONG: BadUserInput,
        "usernames are at most {username} bytes and passwords at most {password} characters",
        "用户名最多 {username} 字节，密码最多 {password} 个字符";
    SERVER_BUSY: Forbidden, "the server is busy; try again in {seconds} s", "服务器繁忙，请在 {seconds} 秒后重试";

    // Permissions (the policy's denials).
    NOT_PERMITTED: Forbidden, "no role grants {permission} here", "您在此没有 {permission} 权限";
    LEVEL_TOO_LOW: Forbidden,
        "{permission} here needs a role held at a {level} or above",
        "在此执行 {permission} 需要在 {level} 或更高层级任职的角色";
    SELF_GRANT: Forbidden, "no one can grant or revoke their own roles", "不能授予或撤销自己的角色";
    UNKNOWN_ROLE: BadUserInput, "unknown role {role}", "未知角色 {role}";
    ROLE_LEVEL_NOT_ALLOWED: BadUserInput,
        "role {role} cannot be held at a {level}", "角色 {role} 不能在 {level} 层级任职";
    ROLE_NOT_GRANTABLE: Forbidden, "role {by} may not grant {role}", "角色 {by} 不能授予 {role}";
    ROLE_RANK_NOT_LOWER: Forbidden,
        "role {role} does not rank below {by}", "角色 {role} 的级别不低于 {by}";
    OUTLIVES_GRANTOR: Forbidden,
        "{role} would expire later than the grantor's own role",
        "{role} 的到期时间不能晚于授予人自己的角色";
    OUTSIDE_SUBTREE: Forbidden,
        "{unit} is outside every unit where you manage roles",
        "{unit} 不在您管理角色的任何单位之内";
    HOLDS_STRONGER_ROLE: Forbidden,
        "the user holds {role} at {unit}, which you could not grant",
        "该用户在 {unit} 担任 {role}，您无权授予该角色";

    // Input shape.
    INVALID_ID: BadUserInput, "{value} is not a valid ID", "{value} 不是有效的 ID";
    WRONG_KIND_OF_ID: BadUserInput,
        "{value} names another kind of record", "{value} 指向另一种记录";
    TOO_MANY_IDS: BadUserInput, "`{field}` may hold at most {max} IDs", "{field} 最多包含 {max} 个 ID";
    PAGING_BOTH_WAYS: BadUserInput,
        "page with `first`/`after` or with `last`/`before`, not both",
        "分页请使用 first/after 或 last/before，二者不能同时使用";
    INVALID_CURSOR: BadUserInput, "`{field}` is not a valid cursor", "{field} 不是有效的分页游标";
    OUT_OF_RANGE: BadUserInput, "`{field}` must be {min} to {max}", "{field} 须在 {min} 到 {max} 之间";
    TEXT_LENGTH: BadUserInput,
        "`{field}` must be 1 to {max} characters", "{field} 须为 1 到 {max} 个字符";
    TEXT_TOO_LONG: BadUserInput,
        "`{field}` must be at most {max} characters", "{field} 最多 {max} 个字符";
    REQUIRED: BadUserInput, "`{field}` is required here", "此处须填写 {field}";
    REASON_REQUIRED: BadUserInput, "this change needs a `reason`", "此项变更须填写原因（reason）";
    IN_FUTURE: BadUserInput, "`{field}` is in the future", "{field} 晚于当前时间";
    MUST_BE_FUTURE: BadUserInput, "`{field}` must be in the future", "{field} 须晚于当前时间";
    ENDS_BEFORE_START: BadUserInput,
        "`{field}` must be after `{start}`", "{field} 须晚于 {start}";
    RANGE_REVERSED: BadUserInput, "`{field}` is before `{start}`", "{field} 早于 {start}";
    INVALID_UNIT_CODE: BadUserInput,
        "`{field}` is not a unit code: codes have 2, 4, 6, 9, 12 or 15 digits",
        "{field} 不是有效的区划代码：代码为 2、4、6、9、12 或 15 位数字";
    INVALID_UNIT_LEVEL: BadUserInput, "`{field}` is not a unit level", "{field} 不是有效的区划层级";
    INVALID_ID_NUMBER: BadUserInput,
        "the resident ID number must be 18 characters: 17 digits and a check digit (0-9 or X)",
        "居民身份证号码须为 18 位：17 位数字加 1 位校验码（0-9 或 X）";
    ID_NUMBER_CHECK_DIGIT: BadUserInput,
        "the resident ID number's check digit is wrong", "居民身份证号码校验码错误";
    ID_NUMBER_BIRTH_DATE: BadUserInput,
        "the resident ID number holds no valid birth date", "居民身份证号码中的出生日期无效";
    INVALID_DOCUMENT_NUMBER: BadUserInput,
        "the {kind} number has an invalid format", "{kind} 证件号码格式不正确";
    INVALID_CREDIT_CODE: BadUserInput,
        "the unified social credit code must be 18 characters from 0-9 and A-Y without I, O, S, V, Z",
        "统一社会信用代码须为 18 位，由 0-9 和除 I、O、S、V、Z 外的 A-Y 组成";
    CREDIT_CODE_CHECK: BadUserInput,
        "the unified social credit code's check character is wrong", "统一社会信用代码校验码错误";
    INVALID_PHONE: BadUserInput,
        "the phone number must be a mainland mobile number: 11 digits starting 13-19",
        "手机号码须为 11 位中国大陆手机号，以 13-19 开头";
    INVALID_USERNAME: BadUserInput,
        "`username` must be 3 to 64 lowercase letters, digits, '_', '.' or '-'",
        "用户名须为 3 到 64 位小写字母、数字、'_'、'.' 或 '-'";
    PASSWORD_LENGTH: BadUserInput,
        "passwords are {min} to {max} characters", "密码须为 {min} 到 {max} 个字符";
    UNKNOWN_SERVICE_FIELD: BadUserInput,
        "`{field}` names an unknown service field", "{field} 含有未知的服务领域";
    UNKNOWN_VALUE: BadUserInput, "`{field}` has an unknown value", "{field} 的取值未知";
    UNKNOWN_STAR_RATING: BadUserInput, "no such star rating", "没有这一星级";

    // Records that are missing or already there.
    NOT_FOUND: NotFound, "{what} not found", "未找到{what}";
    ALREADY_EXISTS: Conflict, "{what} already exists", "{what}已存在";
    EDIT_CONFLICT: Conflict,
        "the record was changed meanwhile; reload it", "记录已被他人修改，请刷新后重试";

    // Accounts and roles.
    USERNAME_TAKEN: Conflict, "username {username} is taken", "用户名 {username} 已被占用";
    ROLE_ALREADY_HELD: Conflict,
        "{username} already holds {role} at {unit}", "{username} 已在 {unit} 担任 {role}";
    ROLE_ALREADY_REVOKED: Conflict, "the assignment is already revoked", "该角色任职已撤销";
    SELF_DISABLE: BadUserInput, "you cannot disable or enable yourself", "不能停用或启用自己的账号";
    SELF_MOVE: BadUserInput, "you cannot move yourself to another unit", "不能把自己调到其他单位";
    WRONG_PASSWORD: BadUserInput, "the current password is wrong", "当前密码错误";
    RESET_OWN_PASSWORD: BadUserInput,
        "change your own password with changePassword", "请用 changePassword 修改自己的密码";

    // Units, organisations, teams, projects.
    UNIT_CODE_NOT_CHILD: BadUserInput,
        "unit code {code} does not extend parent code {parent} by one level",
        "区划代码 {code} 不是上级代码 {parent} 的下一级";
    CREDIT_CODE_TAKEN: Conflict,
        "an organisation with credit code {code} is already registered",
        "统一社会信用代码为 {code} 的组织已登记";
    PROJECT_NEEDS_OWNER: BadUserInput,
        "a project is owned by a team or an organisation", "项目须归属一支队伍或一个组织";
    SUB_TEAM_OUTSIDE_PARENT: BadUserInput,
        "a sub-team sits at its parent's unit ({parent}) or below it, not at {unit}",
        "下级队伍须在上级队伍所在单位（{parent}）或其下级，而不是 {unit}";
    TEAM_CYCLE: BadUserInput,
        "`parentId` is this team or one of its sub-teams", "parentId 是本队伍或其下级队伍";
    TEAM_TREE_TOO_DEEP: BadUserInput, "the team tree is too deep", "队伍层级过深";
    ALREADY_MEMBER: Conflict, "the volunteer is already a member", "该志愿者已是队员";
    LEADER_CANNOT_LEAVE: BadUserInput,
        "the leader cannot leave the team; name another leader first",
        "队长不能退出队伍，请先指定新队长";

    // Volunteers and moves.
    NOT_A_VOLUNTEER: BadUserInput,
        "you are not registered as a volunteer; name the volunteer with `volunteerId`",
        "您未注册为志愿者，请用 volunteerId 指定志愿者";
    NOT_A_COMMUNITY: BadUserInput,
        "`{field}` must be a community or grid, not a {level}", "{field} 须为社区或网格，而不是 {level}";
    PARTY_FIELDS_NON_MEMBER: BadUserInput,
        "only party members report to a community or have a party organisation",
        "只有党员可以填写报到社区或所在党组织";
    ALREADY_REGISTERED: Conflict,
        "this person is already registered as a volunteer", "此人已注册为志愿者";
    ACCOUNT_ALREADY_LINKED: Conflict,
        "this account is already linked to a volunteer record", "该账号已关联志愿者记录";
    VOLUNTEER_INACTIVE: Conflict, "the volunteer is not active", "该志愿者不在活跃状态";
    MOVE_SELF_DECISION: Forbidden,
        "a move is accepted by an administrator of the destination other than the volunteer",
        "转移申请须由转入单位的管理员（志愿者本人以外）受理";
    MOVE_DECIDED: Conflict, "the request is already {state}", "该申请已是 {state} 状态";
    VOLUNTEER_MOVED_SINCE: Conflict,
        "the volunteer has moved since the request; it must ask again",
        "提出申请后该志愿者已转移，须重新申请";

    // Activities.
    ACTIVITY_TOO_LONG: BadUserInput, "an activity lasts at most 31 days", "活动时长不得超过 31 天";
    RECRUITING_AFTER_START: BadUserInput,
        "recruiting happens before the activity starts", "招募须在活动开始前进行";
    ACTIVITY_NEEDS_OWNER: BadUserInput,
        "an activity belongs to a project or a team", "活动须属于一个项目或一支队伍";
    ACTIVITY_LOCKED: Conflict,
        "an activity that is {state} cannot be changed", "{state} 状态的活动不能修改";
    CAPACITY_BELOW_SIGNUPS: Conflict,
        "{count} volunteers have signed up; the capacity cannot go below that",
        "已有 {count} 名志愿者报名，名额不能低于此数";
    ACTIVITY_STARTED: Conflict,
        "the activity has started; its place and times can no longer change",
        "活动已开始，地点和时间不能再修改";
    NOT_AWAITING_REVIEW: Conflict,
        "only an activity waiting for review can be returned; this one is {state}",
        "只有待审核的活动可以退回，该活动为 {state} 状态";
    ALREADY_IN_STATE: Conflict, "the activity is already {state}", "活动已是 {state} 状态";
    START_PASSED: Conflict,
        "the activity's start has passed; it can no longer be published",
        "活动开始时间已过，不能再发布";
    AWAITING_REVIEW: Conflict,
        "the activity is waiting for review by the office above", "活动正在等待上级审核";
    NOT_CANCELLABLE: Conflict,
        "an activity that is {state} cannot be cancelled", "{state} 状态的活动不能取消";
    NOT_IN_PROGRESS: Conflict,
        "only an activity in progress can be closed; this one is {state}",
        "只有进行中的活动可以结项，该活动为 {state} 状态";

    // Sign-ups and attendance.
    NOT_RECRUITING: Conflict, "the activity is not open for sign-up", "活动未开放报名";
    ACTIVITY_FULL: Conflict, "the activity is full", "活动名额已满";
    SIGNUP_CANCELLED: Conflict, "the sign-up is already cancelled", "报名已取消";
    CANCEL_AFTER_START: Conflict,
        "a sign-up can be cancelled only before the activity starts", "只能在活动开始前取消报名";
    CODE_BY_VOLUNTEER_ONLY: Forbidden,
        "a check-in code is submitted by the volunteer itself; organisers check people in manually",
        "签到码须由志愿者本人提交，组织者请使用手动签到";
    WRONG_CHECK_IN_CODE: BadUserInput,
        "the check-in code is wrong or has expired", "签到码错误或已过期";
    CODE_OR_REASON: BadUserInput,
        "give either the activity's `code` or, for a manual entry, a `reason`",
        "请填写活动签到码（code），手动签到则填写原因（reason），二者选一";
    AT_ONLY_FOR_MANUAL: BadUserInput, "`at` is only for manual entries", "at 仅用于手动签到";
    FUND_CLOSED: Conflict,
        "the fund is closed: it takes no donations and does not change",
        "该慈善基金已关闭：不再接受捐赠，也不能修改";
    FUND_INSUFFICIENT: Conflict,
        "the fund holds {balance} fen, less than the {amount} fen this needs",
        "该基金余额为 {balance} 分，不足 {amount} 分";
    DISBURSEMENT_STATE: Conflict,
        "the disbursement is {state}: this step does not apply",
        "该支出处于 {state} 状态，不能进行此操作";
    DONATION_VOIDED: Conflict,
        "the donation is already void", "该捐赠已作废";
    NOT_OF_FUND: BadUserInput,
        "the {thing} belongs to another fund", "该{thing}不属于此基金";
    SAME_FUND: BadUserInput,
        "a transfer goes from one fund to another", "转账的转出和转入基金不能相同";
    GOODS_ITEMS: BadUserInput,
        "a goods donation lists 1 to 100 items, each with a name, a quantity above 0 and a value; a money donation lists none",
        "物资捐赠须列出 1 至 100 项物资（名称、数量大于 0、估值），资金捐赠不列物资";
    PLEDGE_MONEY_ONLY: BadUserInput,
        "a pledge is fulfilled by money donations only", "认捐只能以资金捐赠兑现";
    EXPORT_FORMAT: BadUserInput,
        "`format` is csv or xlsx", "format 须为 csv 或 xlsx";
    CHANNEL_NOT_IN_CAMPAIGN: BadUserInput,
        "the campaign does not raise through {channel}", "该募捐活动不接受 {channel} 渠道";
    OUTSIDE_CAMPAIGN: BadUserInput,
        "the donation was received outside the campaign's dates", "捐赠日期不在募捐活动期间";
    REPORT_PERIOD: BadUserInput,
        "{kind} report: {rule}", "{kind} 报告：{rule}";
    REPORT_EXISTS: Conflict,
        "a {kind} report for this period is already published (report {id}); publish a correction that names it",
        "该期间的 {kind} 报告已公开（报告 {id}），如需更正请发布更正报告并注明";
    CORRECTS_OTHER: BadUserInput,
        "a correction names a published report of the same fund, campaign and kind",
        "更正报告须针对同一基金、同一募捐活动、同一类型的已公开报告";
    // Residents and community help.
    HELP_STATE: Conflict,
        "a help request that is {state} cannot be {action}",
        "{state} 状态的求助不能{action}";
    HELP_CATEGORY: BadUserInput,
        "`category` is a service field's code or `material`",
        "category 须为服务领域代码或 material";
    HELP_CLAIMANT: BadUserInput,
        "a claim names exactly one of a volunteer, a team or a fund",
        "认领须指定志愿者、队伍或基金中的一个";
    HELP_FULFILMENT: BadUserInput,
        "a fulfilment says what was done: hours, goods or a paid disbursement of the claiming fund",
        "完成时须说明所做的事：服务时长、物资，或认领基金已支付的支出";
    HELP_RATING: BadUserInput, "`rating` is 1 to 5", "评分须为 1 到 5";
    ATTACHMENTS: BadUserInput,
        "at most 10 attachments, each named in 1 to 100 characters",
        "附件最多 10 个，每个名称 1 到 100 个字符";
    ALREADY_APPLIED: Conflict,
        "the volunteer already is a member of the team or has an application waiting",
        "该志愿者已是队员或已有待处理的申请";
    APPLICATION_DECIDED: Conflict,
        "the application has already been decided", "该申请已处理";
    TEAM_LEADER_ONLY: Forbidden,
        "only the team's leader or an admin with team.update decides applications",
        "只有队长或有 team.update 权限的管理员可以处理申请";
    COINS: BadUserInput,
        "`minutes` is 1 to 6,000,000 coin minutes", "minutes 须为 1 到 6,000,000 分钟";
    COINS_INSUFFICIENT: Conflict,
        "the time-bank account holds less than that", "时间银行账户余额不足";
    REDEMPTION_AGE: Forbidden,
        "coins are spent from age {age} ({hardship_age} for an account in hardship)",
        "时间币须年满 {age} 周岁方可兑换（困难账户 {hardship_age} 周岁）";
    NOT_A_RELATIVE: Forbidden,
        "coins are given only to relatives registered with the giver",
        "时间币只能赠与已登记的亲属";
    SAME_VOLUNTEER: BadUserInput,
        "the volunteer cannot be its own relative or pay itself",
        "不能以本人作为亲属或收款人";
    RELATIVE_EXISTS: Conflict, "that relative is already registered", "该亲属已登记";
    POOL_UNIT: BadUserInput,
        "coins go to the pool of the volunteer's community or a unit above it",
        "时间币只能捐入本人所在社区或其上级单位的互助池";
    NOT_A_SUPERMARKET: BadUserInput,
        "the station is not an open charity supermarket", "该站点不是在营的慈善超市";
    ITEM_EXISTS: Conflict, "the supermarket already stocks {name}", "该超市已有商品 {name}";
    QUANTITY: BadUserInput, "`quantity` is 1 to 100,000", "数量须为 1 到 100,000";
    STOCK_INSUFFICIENT: Conflict,
        "{name}: {available} in stock", "{name} 库存仅 {available}";
    NO_COIN_PRICE: BadUserInput,
        "the item has no price in time coins", "该商品未设时间币价格";
    QUOTA_EXCEEDED: Conflict,
        "the household may be issued {quota} items a month; {left} left this month",
        "该家庭每月限领 {quota} 件，本月尚可领取 {left} 件";
    NOT_OF_SUPERMARKET: BadUserInput,
        "the donation is not a goods donation of a fund at or above the supermarket's unit",
        "该捐赠不是超市所在单位或其上级基金的物资捐赠";
    NO_FUND_FOR_SHARE: Conflict,
        "no open fund at or above the supermarket's unit takes the sale's share",
        "超市所在单位及其上级没有在用的慈善基金，无法入账销售分成";

    FUND_LEVEL: BadUserInput,
        "a community charity fund is opened at a district, street or community, not at a {level}",
        "社区慈善基金须设在区、街道或社区，不能设在{level}";
    CHECK_IN_CLOSED: Conflict,
        "no check-in or check-out for an activity that is {state}",
        "{state} 状态的活动不能签到或签退";
    OUTSIDE_CHECK_IN_WINDOW: Conflict,
        "check-in and check-out happen between an hour before the start and the end",
        "签到和签退须在活动开始前一小时至活动结束之间";
    NOT_SIGNED_UP: Conflict, "the volunteer is not signed up", "该志愿者未报名";
    NOT_CHECKED_IN: Conflict, "the volunteer has not checked in", "该志愿者尚未签到";
    CHECK_OUT_BEFORE_CHECK_IN: BadUserInput,
        "check-out cannot be before check-in", "签退时间不能早于签到时间";

    // Service hours.
    HOURS_NOT_HALVES: BadUserInput,
        "`hours` must be a multiple of 0.5", "时长（hours）须为 0.5 的整数倍";
    HOURS_TOO_OLD: BadUserInput,
        "hours older than a year cannot be logged", "一年以前的服务时长不能补录";
    CORRECTS_NON_ORIGINAL: Conflict,
        "only an approved original record can be corrected", "只能更正已通过的原始记录";
    CORRECTION_ZERO: BadUserInput,
        "a correction changes the hours by a non-zero amount", "更正须改变时长（不能为零）";
    CORRECTION_TOO_LARGE: BadUserInput,
        "a correction cannot take away more hours than the record holds",
        "更正扣减的时长不能超过记录原有时长";
    OWN_HOURS_SIGNED_UP_ONLY: Forbidden,
        "you log your own hours only for activities you signed up for",
        "您只能为自己报名的活动补录时长";
    OWN_HOURS_OUT_OF_REACH: Forbidden,
        "you log your own hours only at your community, your teams' units, or for activities you signed up for",
        "您只能在所属社区、所在队伍的单位或已报名的活动中补录自己的时长";
    SELF_APPROVAL: Forbidden,
        "hours are decided by someone other than the person who recorded them or served them",
        "服务时长须由录入人和服务者以外的人审核";
    RECORD_DECIDED: Conflict,
        "the record is already {state}; approved records never change (log a correction instead)",
        "该记录已是 {state} 状态；已通过的记录不能修改（请提交更正）";
    REVOKES_NON_ORIGINAL: Conflict,
        "only an approved original record can be revoked", "只能撤销已通过的原始记录";
    HOURS_ALREADY_REVOKED: Conflict,
        "the record's hours are already taken away", "该记录的时长已被撤销";

    // Stars and certificates.
    NOMINATION_DECIDED: Conflict, "the nomination is {state}", "该提名为 {state} 状态";
    NOTICE_PERIOD: Conflict,
        "the nomination is publicly listed until {until}; grant it after that",
        "该提名公示至 {until}，请在公示期满后授予";
    BARRED_FROM_STARS: Conflict,
        "the volunteer is barred from star ratings after revoked hours",
        "该志愿者因时长被撤销，暂不能参加星级评定";
    ALREADY_HOLDS_STARS: Conflict,
        "the volunteer already holds {stars} stars", "该志愿者已是 {stars} 星级";
    HOURS_BELOW_STAR: Conflict,
        "the volunteer's approved hours no longer reach this star",
        "该志愿者已通过的服务时长已达不到这一星级";
    NAME_ISSUING_UNIT: BadUserInput,
        "you issue for several units: name one in `unitCode`",
        "您可以为多个单位出具证明，请用 unitCode 指定一个";
    NO_APPROVED_HOURS: BadUserInput,
        "no approved hours recorded by {unit} for this volunteer in the period",
        "{unit} 在该期间没有此志愿者已通过的服务时长";

    // The HTTP request, refused before any GraphQL work.
    RATE_LIMITED: Forbidden,
        "too many requests from this address; try again in {seconds} s",
        "该地址请求过多，请在 {seconds} 秒后重试";
    TOO_LARGE: BadUserInput, "requests are limited to {bytes} bytes", "请求不得超过 {bytes} 字节";
    UNSUPPORTED_MEDIA_TYPE: BadUserInput,
        "only `Content-Type: application/json` in UTF-8 is accepted (no forms, no uploads)",
        "只接受 UTF-8 编码的 `Content-Type: application/json`（不接受表单和上传）";
    CSRF_PREVENTED: BadUserInput,
        "this GET request may come from another site; send a header such as `X-Kapok-Request: 1` (or use POST with JSON)",
        "此 GET 请求可能来自其他网站；请加上 `X-Kapok-Request: 1` 等请求头（或改用 JSON 格式的 POST）";
    MISSING_BODY: BadUserInput, "the request body is empty", "请求体为空";
    INVALID_BODY: BadUserInput, "the request body could not be read", "无法读取请求体";
    INVALID_JSON: BadUserInput,
        "the body is not a JSON object with GraphQL parameters", "请求体不是含 GraphQL 参数的 JSON 对象";
    MISSING_QUERY: BadUserInput, "the request has no `query`", "请求缺少 `query`";
    INVALID_PARAMETER: BadUserInput,
        "the request parameter `{field}` is malformed or of the wrong type",
        "请求参数 `{field}` 格式或类型错误";
    NUL_CHARACTER: BadUserInput,
        "the document or a variable contains a NUL character", "查询文档或变量含有 NUL 字符";
    INVALID_PERSISTED_QUERY: BadUserInput,
        "`extensions.persistedQuery` must hold `version: 1` and a `sha256Hash` of 64 hex digits",
        "`extensions.persistedQuery` 须含 `version: 1` 和 64 位十六进制的 `sha256Hash`";
    PERSISTED_QUERY_HASH_MISMATCH: BadUserInput,
        "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`",
        "`extensions.persistedQuery.sha256Hash` 不是 `query` 的 SHA-256";
    /// Apollo clients match this exact message, so it is the same in both languages.
    PERSISTED_QUERY_NOT_FOUND: BadUserInput, "PersistedQueryNotFound", "PersistedQueryNotFound";
    MUTATION_OVER_GET: BadUserInput, "mutations must be sent with POST", "变更操作须用 POST 发送";
    TOO_MANY_FIELDS: BadUserInput,
        "the document has {found} fields once its fragments are expanded; at most {max} are allowed",
        "展开片段后查询文档有 {found} 个字段，最多允许 {max} 个";
    TOO_MANY_ALIASES: BadUserInput,
        "the operation has {found} aliased fields; at most {max} are allowed",
        "该操作有 {found} 个别名字段，最多允许 {max} 个";
    TOO_MANY_ROOT_FIELDS: BadUserInput,
        "the operation has {found} top-level fields; at most {max} are allowed",
        "该操作有 {found} 个顶层字段，最多允许 {max} 个";
    FRAGMENT_CYCLE: BadUserInput, "fragment {name} spreads itself", "片段 {name} 引用了自身";
    FRAGMENTS_TOO_DEEP: BadUserInput,
        "fragments are nested more than {max} deep", "片段嵌套超过 {max} 层";

    // The GraphQL request itself (async-graphql's own checks) and the server.
    INVALID_QUERY: BadUserInput, "{detail}", "请求无效：{detail}";
    INTERNAL: Internal, "internal error", "服务器内部错误";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(s: &str) -> BTreeSet<&str> {
        s.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(name, _)| name))
            .collect()
    }

    /// Both catalogues are complete: every reason has a Chinese message (with Chinese
    /// in it) and an English one, naming the same arguments.
    #[test]
    fn every_reason_speaks_both_languages() {
        for r in Reason::ALL {
            let (en, zh) = (r.template(Lang::En), r.template(Lang::Zh));
            assert!(!en.trim().is_empty(), "{r:?} has no English message");
            // The one protocol message clients match verbatim.
            let verbatim = *r == Reason::PERSISTED_QUERY_NOT_FOUND;
            assert!(
                verbatim || zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{r:?} has no Chinese message: {zh}"
            );
            assert_eq!(placeholders(en), placeholders(zh), "{r:?}");
            assert!(
                r.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{r:?}"
            );
        }
    }

    #[test]
    fn accept_language_picks_english_only_when_preferred() {
        for (header, lang) in [
            (None, Lang::Zh),
            (Some("en"), Lang::En),
            (Some("en-US,en;q=0.9"), Lang::En),
            (Some("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh),
            (Some("fr, en;q=0.5"), Lang::En),
            (Some("de"), Lang::Zh),
            (Some("zh;q=0.2, en;q=0.7"), Lang::En),
            (Some("en;q=0"), Lang::Zh),
            (Some(""), Lang::Zh),
        ] {
            assert_eq!(Lang::from_accept_language(header), lang, "{header:?}");
        }
    }
}
