//! The service-layer error and its single mapping to GraphQL errors.

pub mod reasons;

use std::borrow::Cow;

use async_graphql::ErrorExtensions;

use policies::CodeError;
pub use reasons::{Lang, Reason};
use sea_orm::DbErr;

/// The closed set of `extensions.code` values a client can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::BadUserInput,
        ErrorCode::Conflict,
        ErrorCode::Internal,
    ];
}

/// A rule's refusal: which rule ([`Reason`]), the input field it concerns (as the
/// client wrote it, e.g. `endsAt`), and the values its message names. Rendered in the
/// caller's language only when the response is written.
#[derive(Debug, Clone)]
pub struct Problem {
    pub reason: Reason,
    pub field: Option<Cow<'static, str>>,
    args: Vec<Arg>,
}

/// A value a message names: the same in both languages, or translated (record kinds).
#[derive(Debug, Clone)]
struct Arg {
    name: &'static str,
    en: String,
    zh: Option<String>,
}

impl Problem {
    /// The input field the problem is about; messages name it as `{field}`.
    pub fn at(mut self, field: impl Into<Cow<'static, str>>) -> Problem {
        let field = field.into();
        self.args.push(Arg {
            name: "field",
            en: field.to_string(),
            zh: None,
        });
        self.field = Some(field);
        self
    }

    /// A value the message names as `{name}`.
    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Problem {
        self.args.push(Arg {
            name,
            en: value.to_string(),
            zh: None,
        });
        self
    }

    /// A value with a different wording in Chinese (the name of a kind of record).
    pub fn arg_lang(mut self, name: &'static str, en: &str, zh: &str) -> Problem {
        self.args.push(Arg {
            name,
            en: en.to_owned(),
            zh: Some(zh.to_owned()),
        });
        self
    }

    /// The message in `lang`, its `{name}`s filled in.
    pub fn render(&self, lang: Lang) -> String {
        let mut out = self.reason.template(lang).to_owned();
        for a in &self.args {
            let value = match (lang, &a.zh) {
                (Lang::Zh, Some(zh)) => zh,
                _ => &a.en,
            };
            out = out.replace(&format!("{{{}}}", a.name), value);
        }
        out
    }
}

impl From<Reason> for Problem {
    fn from(reason: Reason) -> Problem {
        Problem {
            reason,
            field: None,
            args: Vec::new(),
        }
    }
}

impl Reason {
    /// This reason about an input field.
    pub fn at(self, field: impl Into<Cow<'static, str>>) -> Problem {
        Problem::from(self).at(field)
    }

    /// This reason naming a value.
    pub fn arg(self, name: &'static str, value: impl std::fmt::Display) -> Problem {
        Problem::from(self).arg(name, value)
    }
}

impl From<Reason> for ServiceError {
    fn from(r: Reason) -> ServiceError {
        ServiceError::Refused(r.into())
    }
}

impl From<Problem> for ServiceError {
    fn from(p: Problem) -> ServiceError {
        ServiceError::Refused(p)
    }
}

/// The kinds of record a NOT_FOUND names, in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thing {
    Activity,
    AuditEntry,
    Campaign,
    Certificate,
    DisclosureReport,
    Disbursement,
    Donation,
    Fund,
    TimeAccount,
    TeamApplication,
    StockMove,
    StockItem,
    Household,
    HelpRequest,
    MoveRequest,
    Node,
    Organization,
    Pledge,
    Project,
    RoleAssignment,
    ServiceRecord,
    Signup,
    StarNomination,
    Station,
    Team,
    TeamMember,
    Unit,
    User,
    Volunteer,
}

impl Thing {
    pub fn en(self) -> &'static str {
        match self {
            Thing::Activity => "activity",
            Thing::AuditEntry => "audit entry",
            Thing::Campaign => "campaign",
            Thing::Certificate => "certificate",
            Thing::DisclosureReport => "disclosure report",
            Thing::Disbursement => "disbursement",
            Thing::Donation => "donation",
            Thing::Fund => "fund",
            Thing::HelpRequest => "help request",
            Thing::Household => "household",
            Thing::StockItem => "stock item",
            Thing::StockMove => "stock movement",
            Thing::TeamApplication => "team application",
            Thing::TimeAccount => "time-bank account",
            Thing::MoveRequest => "move request",
            Thing::Node => "node",
            Thing::Organization => "organization",
            Thing::Pledge => "pledge",
            Thing::Project => "project",
            Thing::RoleAssignment => "role assignment",
            Thing::ServiceRecord => "service record",
            Thing::Signup => "sign-up",
            Thing::StarNomination => "star nomination",
            Thing::Station => "station",
            Thing::Team => "team",
            Thing::TeamMember => "team member",
            Thing::Unit => "unit",
            Thing::User => "user",
            Thing::Volunteer => "volunteer",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Thing::Activity => "活动",
            Thing::AuditEntry => "操作日志",
            Thing::Campaign => "募捐活动",
            Thing::Certificate => "证明",
            Thing::DisclosureReport => "信息公开报告",
            Thing::Disbursement => "支出",
            Thing::Donation => "捐赠",
            Thing::Fund => "慈善基金",
            Thing::HelpRequest => "求助",
            Thing::Household => "困难家庭",
            Thing::StockItem => "商品",
            Thing::StockMove => "库存变动",
            Thing::TeamApplication => "入队申请",
            Thing::TimeAccount => "时间银行账户",
            Thing::MoveRequest => "转移申请",
            Thing::Node => "记录",
            Thing::Organization => "组织",
            Thing::Pledge => "认捐",
            Thing::Project => "项目",
            Thing::RoleAssignment => "角色任职",
            Thing::ServiceRecord => "服务记录",
            Thing::Signup => "报名",
            Thing::StarNomination => "星级提名",
            Thing::Station => "站点",
            Thing::Team => "队伍",
            Thing::TeamMember => "队员",
            Thing::Unit => "单位",
            Thing::User => "用户",
            Thing::Volunteer => "志愿者",
        }
    }
}

/// What a domain service can fail with. Every variant but `Database` is a refusal
/// the client may read, with a [`Reason`]; database errors are logged and never shown.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A rule refused the request; its reason gives the code.
    #[error("{}", .0.render(Lang::En))]
    Refused(Problem),
    /// Missing, or out of the caller's reach: the two look the same.
    #[error("{} not found", .0.en())]
    NotFound(Thing),
    /// Sign-in attempts for this account or from this address must wait.
    #[error("too many failed sign-ins; try again in {retry_after} s")]
    Throttled { retry_after: u64 },
    /// An administrator reset the password: only `changePassword` (and signing out)
    /// work until the one-time password is replaced.
    #[error("change your one-time password first (changePassword)")]
    PasswordChangeRequired,
    /// A bounded resource (password hashing) stayed busy; the request may be retried.
    #[error("the server is busy; try again in {retry_after} s")]
    Busy { retry_after: u64 },
    #[error("internal error")]
    Database(#[from] DbErr),
}

impl ServiceError {
    pub fn code(&self) -> ErrorCode {
        self.reason().code()
    }

    /// The refusal as a [`Problem`], whatever the variant: its reason and the
    /// values its message names.
    pub fn problem(&self) -> Problem {
        let problem = Problem::from(self.reason());
        match self {
            ServiceError::Refused(p) => p.clone(),
            ServiceError::NotFound(t) => problem.arg_lang("what", t.en(), t.zh()),
            ServiceError::Throttled { retry_after } | ServiceError::Busy { retry_after } => {
                problem.arg("seconds", retry_after)
            }
            ServiceError::PasswordChangeRequired | ServiceError::Database(_) => problem,
        }
    }

    /// The stable sub-code (`extensions.reason`), without building the message's
    /// arguments.
    pub fn reason(&self) -> Reason {
        match self {
            ServiceError::Refused(p) => p.reason,
            ServiceError::NotFound(_) => Reason::NOT_FOUND,
            ServiceError::Throttled { .. } => Reason::THROTTLED,
            ServiceError::Busy { .. } => Reason::SERVER_BUSY,
            ServiceError::PasswordChangeRequired => Reason::PASSWORD_CHANGE_REQUIRED,
            ServiceError::Database(_) => Reason::INTERNAL,
        }
    }

    /// Seconds before the same request may succeed (HTTP 429 with `Retry-After`).
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ServiceError::Throttled { retry_after } | ServiceError::Busy { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }
}

impl From<std::convert::Infallible> for ServiceError {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

impl From<crate::auth::CredentialError> for ServiceError {
    fn from(e: crate::auth::CredentialError) -> Self {
        match e {
            crate::auth::CredentialError::Busy => ServiceError::Busy { retry_after: 1 },
            other => ServiceError::Database(DbErr::Custom(other.to_string())),
        }
    }
}

impl From<CodeError> for Problem {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::NotDigits(_) | CodeError::BadLength(..) => Reason::INVALID_UNIT_CODE.into(),
            CodeError::UnknownLevel(_) => Reason::INVALID_UNIT_LEVEL.into(),
        }
    }
}

impl From<crate::codes::CodeFormatError> for Problem {
    fn from(e: crate::codes::CodeFormatError) -> Self {
        use crate::codes::CodeFormatError as E;
        match e {
            E::ResidentIdShape => Reason::INVALID_ID_NUMBER.into(),
            E::ResidentIdCheckDigit => Reason::ID_NUMBER_CHECK_DIGIT.into(),
            E::ResidentIdBirthDate => Reason::ID_NUMBER_BIRTH_DATE.into(),
            E::DocumentShape(kind) => Reason::INVALID_DOCUMENT_NUMBER.arg("kind", kind),
            E::CreditCodeShape => Reason::INVALID_CREDIT_CODE.into(),
            E::CreditCodeCheck => Reason::CREDIT_CODE_CHECK.into(),
            E::Phone => Reason::INVALID_PHONE.into(),
        }
    }
}

/// The cause of an INTERNAL error, carried to [`normalize_errors`] (which logs it)
/// and never shown to the client.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

impl std::fmt::Display for InternalCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl ErrorExtensions for ServiceError {
    /// The error as resolvers return it: English for now; [`normalize_errors`] puts
    /// the message in the caller's language and the field in `extensions.field`.
    fn extend(&self) -> async_graphql::Error {
        let problem = self.problem();
        let mut error = async_graphql::Error::new(problem.render(Lang::En));
        error.source = Some(match self {
            ServiceError::Database(e) => std::sync::Arc::new(InternalCause(e.to_string())),
            _ => std::sync::Arc::new(problem.clone()),
        });
        error.extend_with(|_, ext| {
            ext.set("code", problem.reason.code().as_str());
            ext.set("reason", problem.reason.as_str());
            if let Some(secs) = self.retry_after() {
                ext.set("retryAfter", secs);
            }
        })
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Messages async-graphql gives input that does not fit an argument's type (a date
/// that is not a date, a number out of range): the client's mistake.
const INPUT_ERROR_PREFIXES: [&str; 3] = [
    "Failed to parse \"",
    "Expected input type \"",
    "Invalid value for argument",
];

/// Gives every error in a GraphQL response a code from the closed set and a reason
/// from the catalogue, writes its message in `lang`, names the offending input field
/// (`extensions.field`, e.g. `["input", "endsAt"]` under a mutation, whose root
/// fields take one `input`), and logs what the server got wrong: once per kind of
/// error per request, however many fields failed the same way. Errors raised by our
/// resolvers carry a [`Problem`]. Errors without one come from request validation
/// (parse errors, unknown fields, depth and complexity limits: no path), from input
/// that does not fit an argument's type (the client's fault), or from a resolver
/// that bypassed `ServiceError` (a bug): the last become INTERNAL and lose their
/// message, so nothing internal leaks.
pub fn normalize_errors(resp: &mut async_graphql::Response, lang: Lang, mutation: bool) {
    let mut logged: Vec<(ErrorCode, usize)> = Vec::new();
    let mut log = |code: ErrorCode, detail: &str| match logged.iter_mut().find(|(c, _)| *c == code)
    {
        Some((_, n)) => *n += 1,
        None => {
            tracing::error!(code = code.as_str(), error = %detail, "request failed");
            logged.push((code, 1));
        }
    };
    for err in &mut resp.errors {
        if let Some(cause) = err.source::<InternalCause>() {
            log(ErrorCode::Internal, &cause.0);
            err.message = Reason::INTERNAL.template(lang).to_owned();
            continue;
        }
        if let Some(problem) = err.source::<Problem>().cloned() {
            err.message = problem.render(lang);
            if let Some(field) = &problem.field {
                let mut path = Vec::new();
                if mutation && err.path.len() == 1 {
                    path.push(async_graphql::Value::from("input"));
                }
                path.push(async_graphql::Value::from(field.as_ref()));
                err.extensions
                    .get_or_insert_with(Default::default)
                    .set("field", async_graphql::Value::List(path));
            }
            continue;
        }
        let has_code = err
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some();
        if has_code {
            continue;
        }
        let client_input = INPUT_ERROR_PREFIXES
            .iter()
            .any(|p| err.message.starts_with(p));
        let reason = if err.path.is_empty() || client_input {
            err.message = Reason::INVALID_QUERY
                .arg("detail", &err.message)
                .render(lang);
            Reason::INVALID_QUERY
        } else {
            log(ErrorCode::Internal, &err.message);
            err.message = Reason::INTERNAL.template(lang).to_owned();
            Reason::INTERNAL
        };
        let ext = err.extensions.get_or_insert_with(Default::default);
        ext.set("code", reason.code().as_str());
        ext.set("reason", reason.as_str());
    }
    for (code, n) in logged {
        if n > 1 {
            tracing::error!(
                code = code.as_str(),
                more = n - 1,
                "the same request failed the same way more times"
            );
        }
    }
}
