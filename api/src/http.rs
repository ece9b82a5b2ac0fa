//! The HTTP server: GraphQL over HTTP, GraphiQL and health probes. Each GraphQL
//! request is authenticated here and carries its caller (`Access`) to the resolvers.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{guard, web, App, HttpRequest, HttpResponse, HttpServer};
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use policies::{Policy, PolicyError};

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::db;
use crate::divisions;
use crate::error::{normalize_errors, ErrorCode};
use crate::graphql::{build_schema, request_data, AppSchema};
use crate::services::access::{Access, RequestMeta};
use crate::services::auth::{self as auth_service, TokenRejection};
use crate::services::Store;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to the database: {0}")]
    Connect(sea_orm::DbErr),
    #[error("cannot migrate the database: {0}")]
    Migrate(sea_orm::DbErr),
    #[error("cannot load the bundled divisions: {0}")]
    Divisions(#[from] divisions::ImportError),
    #[error("cannot read the policy file {path}: {source}")]
    PolicyFile {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("cannot create the first administrator: {0}")]
    Bootstrap(crate::error::ServiceError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// The policy in force: the built-in one, or the file `KAPOK_POLICY_FILE` names.
pub fn load_policy(config: &Config) -> Result<Policy, StartupError> {
    match &config.policy_file {
        None => Ok(Policy::default_policy()?),
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|source| StartupError::PolicyFile {
                    path: path.clone(),
                    source,
                })?;
            Ok(Policy::from_toml(&text)?)
        }
    }
}

struct AppState {
    schema: AppSchema,
    store: Store,
    keys: TokenKeys,
    policy: Arc<Policy>,
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Validates the policy, connects, migrates, loads Guangzhou into an empty
    /// database, creates the first administrator, and binds the port.
    pub async fn build(config: &Config) -> Result<Application, StartupError> {
        let policy = Arc::new(load_policy(config)?);
        let conn = db::connect(&config.database_url)
            .await
            .map_err(StartupError::Connect)?;
        db::migrate(&conn).await.map_err(StartupError::Migrate)?;
        if config.load_default_divisions {
            if let Some(report) = divisions::load_bundled_if_empty(&conn).await? {
                tracing::info!(
                    units = report.total().inserted,
                    "empty database: loaded the bundled Guangzhou divisions"
                );
            }
        }
        let store = Store::new(conn);
        let operator = Access::anonymous(
            policy.clone(),
            RequestMeta {
                client_addr: None,
                request_id: "startup".into(),
            },
        );
        if let Some(b) =
            auth_service::bootstrap_admin(&store, &operator, config.admin_password.clone())
                .await
                .map_err(StartupError::Bootstrap)?
        {
            tracing::info!(role = %b.role, unit = %b.unit, "created the first administrator `admin`");
            if let Some(pw) = b.generated_password {
                // Shown once, on the console only: it is stored nowhere but as a hash.
                println!("First administrator: username `admin`, password `{pw}` (change it after signing in)");
            }
        }
        let listener = TcpListener::bind(&config.listen).map_err(|source| StartupError::Bind {
            addr: config.listen.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                addr: config.listen.clone(),
                source,
            })?
            .port();
        let state = web::Data::new(AppState {
            schema: build_schema(store.clone(), config),
            store,
            keys: TokenKeys::new(config),
            policy,
        });
        let server = run(listener, state).map_err(|source| StartupError::Bind {
            addr: config.listen.clone(),
            source,
        })?;
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, state: web::Data<AppState>) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::Logger::new("%r %s %Dms"))
            .app_data(state.clone())
            .service(
                web::resource("/graphql")
                    .route(web::post().to(graphql))
                    .route(web::get().to(graphql_get)),
            )
            .service(web::resource("/graphiql").guard(guard::Get()).to(graphiql))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/certificates/{number}", web::get().to(verify_certificate))
    })
    .listen(listener)?
    .shutdown_timeout(20)
    .run();
    Ok(server)
}

fn request_meta(http: &HttpRequest) -> RequestMeta {
    let request_id = http
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            use rand::Rng;
            format!("{:016x}", rand::rng().random::<u64>())
        });
    RequestMeta {
        // The peer, not X-Forwarded-For: a header the client writes must not steer
        // sign-in throttling.
        client_addr: http.peer_addr().map(|a| a.ip().to_string()),
        request_id,
    }
}

/// The caller of this request, from its `Authorization: Bearer` token.
async fn caller(state: &AppState, http: &HttpRequest) -> Access {
    let meta = request_meta(http);
    let policy = state.policy.clone();
    let Some(value) = http.headers().get(header::AUTHORIZATION) else {
        return Access::anonymous(policy, meta);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        return Access::rejected(
            policy,
            meta,
            "the Authorization header must be `Bearer <token>`",
        );
    };
    match auth_service::authenticate(&state.store, &state.keys, token).await {
        Ok((principal, sid)) => Access::signed_in(policy, meta, principal, sid),
        Err(TokenRejection::Invalid(reason)) => Access::rejected(policy, meta, reason),
        Err(TokenRejection::Database(e)) => {
            tracing::error!(error = %e, "database error while checking a token");
            Access::unavailable(policy, meta)
        }
    }
}

async fn execute(
    state: &AppState,
    http: &HttpRequest,
    req: async_graphql::Request,
) -> GraphQLResponse {
    let access = caller(state, http).await;
    let req = request_data(req, &state.store, access);
    let mut resp = state.schema.execute(req).await;
    normalize_errors(&mut resp);
    resp.into()
}

async fn graphql(
    state: web::Data<AppState>,
    http: HttpRequest,
    req: GraphQLRequest,
) -> GraphQLResponse {
    execute(&state, &http, req.into_inner()).await
}

/// GET carries queries only (GraphQL over HTTP): a mutation must not run from a link.
async fn graphql_get(
    state: web::Data<AppState>,
    http: HttpRequest,
    req: GraphQLRequest,
) -> HttpResponse {
    let req = req.into_inner();
    let is_mutation = async_graphql::parser::parse_query(&req.query)
        .ok()
        .map(|doc| {
            doc.operations.iter().any(|(name, op)| {
                let selected = match (&req.operation_name, name) {
                    (Some(want), Some(n)) => want.as_str() == n.as_str(),
                    (Some(_), None) => false,
                    (None, _) => true,
                };
                selected && op.node.ty == async_graphql::parser::types::OperationType::Mutation
            })
        })
        .unwrap_or(false);
    if is_mutation {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .json(serde_json::json!({ "errors": [{
                "message": "mutations must be sent with POST",
                "extensions": { "code": ErrorCode::BadUserInput.as_str() }
            }]}));
    }
    let resp = execute(&state, &http, req).await;
    actix_web::Responder::respond_to(resp, &http).map_into_boxed_body()
}

async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// The process is up.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The process can reach its database.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "database unreachable" }))
        }
    }
}

/// Public verification of a certificate by its number: masked name and ID number,
/// hours, period and issuing unit. 404 with a code for unknown numbers.
async fn verify_certificate(state: web::Data<AppState>, number: web::Path<String>) -> HttpResponse {
    use crate::error::ServiceError;
    match crate::services::certificates::verify(&state.store, &number).await {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(ServiceError::NotFound(_)) => HttpResponse::NotFound().json(serde_json::json!({
            "valid": false,
            "code": "NOT_FOUND",
            "message": "no certificate has this number",
        })),
        Err(e) => {
            tracing::error!(error = ?e, "certificate verification failed");
            HttpResponse::InternalServerError().json(serde_json::json!({
                "code": "INTERNAL",
                "message": "internal error",
            }))
        }
    }
}
