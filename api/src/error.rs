//! The service-layer error and its single mapping to GraphQL errors.

use async_graphql::ErrorExtensions;
use policies::CodeError;
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

/// What a domain service can fail with. Messages of every variant but `Database` are
/// written for the client; database errors are logged and never shown.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthenticated(String),
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
        match self {
            ServiceError::BadInput(_) => ErrorCode::BadUserInput,
            ServiceError::NotFound(_) => ErrorCode::NotFound,
            ServiceError::Conflict(_) => ErrorCode::Conflict,
            ServiceError::Forbidden(_) => ErrorCode::Forbidden,
            ServiceError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ServiceError::Throttled { .. } => ErrorCode::Unauthenticated,
            ServiceError::Busy { .. } => ErrorCode::Forbidden,
            ServiceError::PasswordChangeRequired => ErrorCode::Forbidden,
            ServiceError::Database(_) => ErrorCode::Internal,
        }
    }

    /// A stable sub-code for errors that need one beyond their code.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            ServiceError::Throttled { .. } => Some("THROTTLED"),
            ServiceError::Busy { .. } => Some("SERVER_BUSY"),
            ServiceError::PasswordChangeRequired => Some("PASSWORD_CHANGE_REQUIRED"),
            _ => None,
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

    pub fn bad_input(msg: impl Into<String>) -> Self {
        ServiceError::BadInput(msg.into())
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

impl From<CodeError> for ServiceError {
    fn from(e: CodeError) -> Self {
        ServiceError::BadInput(e.to_string())
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
    fn extend(&self) -> async_graphql::Error {
        let mut error = async_graphql::Error::new(self.to_string());
        if let ServiceError::Database(e) = self {
            error.source = Some(std::sync::Arc::new(InternalCause(e.to_string())));
        }
        error.extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            if let Some(reason) = self.reason() {
                ext.set("reason", reason);
            }
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

/// Gives every error in a GraphQL response a code from the closed set, and logs what
/// the server got wrong: once per kind of error per request, however many fields
/// failed the same way. Errors raised by our resolvers already carry a code. Errors
/// without one come from request validation (parse errors, unknown fields, depth and
/// complexity limits: no path), from input that does not fit an argument's type
/// (the client's fault), or from a resolver that bypassed `ServiceError` (a bug):
/// the last become INTERNAL and lose their message, so nothing internal leaks.
pub fn normalize_errors(resp: &mut async_graphql::Response) {
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
        let has_code = err
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some();
        if has_code {
            if let Some(cause) = err.source::<InternalCause>() {
                log(ErrorCode::Internal, &cause.0);
            }
            continue;
        }
        let client_input = INPUT_ERROR_PREFIXES
            .iter()
            .any(|p| err.message.starts_with(p));
        let code = if err.path.is_empty() || client_input {
            ErrorCode::BadUserInput
        } else {
            log(ErrorCode::Internal, &err.message);
            err.message = "internal error".to_owned();
            ErrorCode::Internal
        };
        err.extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
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
