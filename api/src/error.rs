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
            ServiceError::Database(_) => ErrorCode::Internal,
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

impl From<CodeError> for ServiceError {
    fn from(e: CodeError) -> Self {
        ServiceError::BadInput(e.to_string())
    }
}

impl ErrorExtensions for ServiceError {
    fn extend(&self) -> async_graphql::Error {
        if let ServiceError::Database(e) = self {
            tracing::error!(error = %e, "database error");
        }
        async_graphql::Error::new(self.to_string())
            .extend_with(|_, ext| ext.set("code", self.code().as_str()))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Gives every error in a GraphQL response a code from the closed set. Errors raised
/// by our resolvers already carry one. Errors without one come either from request
/// validation (parse errors, unknown fields, depth and complexity limits: no path,
/// the client's fault) or from a resolver that bypassed `ServiceError` (a bug): the
/// latter become INTERNAL and lose their message, so nothing internal leaks.
pub fn normalize_errors(resp: &mut async_graphql::Response) {
    for err in &mut resp.errors {
        let has_code = err
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some();
        if has_code {
            continue;
        }
        let code = if err.path.is_empty() {
            ErrorCode::BadUserInput
        } else {
            tracing::error!(message = %err.message, "resolver error without a code");
            err.message = "internal error".to_owned();
            ErrorCode::Internal
        };
        err.extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
    }
}
