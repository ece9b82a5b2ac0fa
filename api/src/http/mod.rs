//! The HTTP server: GraphQL over HTTP, GraphiQL, health probes and metrics. Each
//! GraphQL request is limited and authenticated here and carries its caller
//! (`Access`) to the resolvers.

pub(crate) mod documents;
mod exports;
mod graphiql;
mod graphql;
mod rate;

use graphql::Refusal;

use std::net::{IpAddr, TcpListener};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse, HttpServer};
use policies::{Policy, PolicyError};
use tracing::Instrument;

use crate::auth::TokenKeys;
use crate::config::{Config, Limits};
use crate::db;
use crate::graphql::{build_schemas, Schemas};
use crate::metrics::METRICS;
use crate::ops::divisions;
use crate::services::access::{Access, RequestMeta};
use crate::services::auth::{self as auth_service, TokenRejection};
use crate::services::{Ctx, Store};

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

/// What a worker serves with: the same for every worker, but for `store`, which is
/// on the worker's own pools (`db::connect_workers`).
#[derive(Clone)]
pub(crate) struct AppState {
    schemas: Arc<Schemas>,
    store: Store,
    keys: Arc<TokenKeys>,
    policy: Arc<Policy>,
    limits: Limits,
    rate: Option<Arc<rate::ClientRateLimit>>,
    trusted_proxies: Vec<IpAddr>,
    graphiql: bool,
    cors_origins: Vec<String>,
    documents: Arc<documents::Documents>,
}

pub struct Application {
    port: u16,
    server: Server,
    store: Store,
}

impl Application {
    /// Validates the policy, connects, migrates, loads Guangzhou into an empty
    /// database, creates the first administrator, and binds the port.
    pub async fn build(config: &Config) -> Result<Application, StartupError> {
        std::sync::LazyLock::force(&METRICS);

        let policy = Arc::new(load_policy(config)?);
        // At least two: on PostgreSQL one of them listens for caller changes for
        // good, and with a bound of one start-up would wait for it and fail.
        let conn = db::connect_pool(&config.database_url, config.db_max_connections.max(2))
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
        let store = Store::with_hashing(
            conn,
            crate::auth::HashGate::new(
                config.hash_concurrency,
                std::time::Duration::from_millis(config.hash_wait_ms),
            ),
        )
        .with_clock(config.clock.clone());
        store.listen_for_caller_changes();
        let operator = Access::anonymous(
            policy.clone(),
            RequestMeta {
                client_addr: None,
                request_id: "startup".into(),
            },
        );
        if let Some(b) = auth_service::bootstrap_admin(
            &Ctx::new(store.clone(), operator),
            config.admin_password.clone(),
            auth_service::BootstrapPlace {
                unit: config.admin_unit.clone(),
                role: config.admin_role.clone(),
            },
        )
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
        let state = AppState {
            schemas: Arc::new(build_schemas(config)),
            store: store.clone(),
            keys: Arc::new(TokenKeys::new(config)),
            policy,
            limits: config.limits,
            rate: rate::ClientRateLimit::new(config.rate_limit_per_sec, config.rate_limit_burst)
                .map(Arc::new),
            trusted_proxies: config.trusted_proxies.clone(),
            graphiql: config.graphiql,
            cors_origins: config.cors_origins.clone(),
            documents: Arc::new(documents::Documents::new(config.document_cache_bytes)),
        };
        let workers = config.workers.max(1);
        let states =
            match db::connect_workers(&config.database_url, config.db_max_connections, workers)
                .await
                .map_err(StartupError::Connect)?
            {
                Some(pools) => store
                    .for_workers(pools)
                    .into_iter()
                    .map(|store| AppState {
                        store,
                        ..state.clone()
                    })
                    .collect(),
                None => vec![state; workers],
            };
        // What start-up freed (migrations, the bundled divisions) goes back now, and
        // what this runtime frees later within a second.
        crate::telemetry::release_freed_memory();
        tokio::spawn(crate::telemetry::release_freed_memory_periodically());
        let server = run(listener, states).map_err(|source| StartupError::Bind {
            addr: config.listen.clone(),
            source,
        })?;
        Ok(Application {
            port,
            server,
            store,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then drains in-flight requests and closes the
    /// database pool (so PostgreSQL sees clean disconnects).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.store.close().await;
        served
    }
}

/// Serves with one worker per state, each worker on its own.
fn run(listener: TcpListener, states: Vec<AppState>) -> std::io::Result<Server> {
    let workers = states.len();
    let states: Arc<[AppState]> = states.into();
    // actix builds each worker's app once, on that worker's thread (again only if
    // the worker is restarted): the n-th build takes the n-th state.
    let built = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = HttpServer::new(move || {
        let n = built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        actix_web::rt::spawn(crate::telemetry::release_freed_memory_periodically());
        let state = web::Data::new(states[n % states.len()].clone());
        App::new()
            .wrap(from_fn(request_context))
            .app_data(state.clone())
            .service(
                web::resource("/graphql")
                    .wrap(cors(&state.cors_origins))
                    .route(web::post().to(graphql::post))
                    .route(web::get().to(graphql::get)),
            )
            .service(
                web::scope("/graphiql")
                    .wrap(actix_web::middleware::Compress::default())
                    .route("", web::get().to(graphiql::page))
                    .route("/assets/{name}", web::get().to(graphiql::asset)),
            )
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics))
            .route("/certificates/{number}", web::get().to(verify_certificate))
            .route("/receipts/{number}", web::get().to(check_receipt))
            .route("/exports/donations", web::get().to(exports::donations))
            .route(
                "/exports/funds/{fund}/statement",
                web::get().to(exports::statement),
            )
    })
    .workers(workers)
    .listen(listener)?
    .shutdown_timeout(20)
    .run();
    Ok(server)
}

/// Browsers may call `/graphql` from the configured origins only (none by default).
/// Other origins are not blocked here — scripts and servers send no `Origin` worth
/// trusting — but get no CORS headers, so a browser keeps the answer from the page.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .block_on_origin_mismatch(false)
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-kapok-request"),
            header::HeaderName::from_static("apollo-require-preflight"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The request id of this request: the client's `X-Request-Id` when it is short
/// and printable, else a new one.
#[derive(Clone)]
struct RequestId(String);

/// Gives every request an id (echoed in `X-Request-Id`), a tracing span carrying it,
/// and one log line when it ends.
async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            use rand::Rng;
            format!("{:016x}", rand::rng().random::<u64>())
        });
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path()
    );
    let started = std::time::Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(v) = header::HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), v);
    }
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request done"
        )
    });
    Ok(res)
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy, the
/// last address in `X-Forwarded-For` that is not one (a header any client writes
/// must not steer throttling unless a proxy we trust wrote it).
pub(crate) fn client_ip(state: &AppState, http: &HttpRequest) -> Option<IpAddr> {
    let peer = http.peer_addr()?.ip();
    if !state.trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = http
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter_map(|a| a.parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !state.trusted_proxies.contains(a))
            .unwrap_or(peer),
    )
}

fn request_meta(state: &AppState, http: &HttpRequest) -> RequestMeta {
    let request_id = http
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    RequestMeta {
        client_addr: client_ip(state, http).map(|ip| ip.to_string()),
        request_id,
    }
}

/// 429 with `Retry-After` when this client has used up its bucket.
pub(crate) fn rate_limited(state: &AppState, http: &HttpRequest) -> Result<(), Refusal> {
    let (Some(rate), Some(ip)) = (&state.rate, client_ip(state, http)) else {
        return Ok(());
    };
    rate.check(ip).map_err(|wait| {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Refusal::RateLimited(secs.max(1))
    })
}

/// The caller of this request, from its `Authorization: Bearer` token.
pub(crate) async fn caller(state: &AppState, http: &HttpRequest) -> Access {
    let meta = request_meta(state, http);
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
        return Access::rejected(policy, meta, crate::error::Reason::AUTHORIZATION_HEADER);
    };
    match auth_service::authenticate(&state.store, &state.keys, token).await {
        Ok((principal, sid, must_change)) => {
            Access::signed_in(policy, meta, principal, sid, must_change)
        }
        Err(TokenRejection::Invalid(reason)) => Access::rejected(policy, meta, reason),
        Err(TokenRejection::Database(e)) => {
            tracing::error!(error = %e, "database error while checking a token");
            Access::unavailable(policy, meta)
        }
    }
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

/// Prometheus text format. The pool is sampled here, at most once a second.
async fn metrics(state: web::Data<AppState>, http: HttpRequest) -> HttpResponse {
    if let Err(refusal) = rate_limited(&state, &http) {
        return refusal.respond(graphql::lang_of(&http));
    }
    state.store.sample_pool().await;
    let (entries, bytes) = state.documents.usage();
    METRICS
        .documents
        .with_label_values(&["entries"])
        .set(entries as i64);
    METRICS
        .documents
        .with_label_values(&["bytes"])
        .set(bytes as i64);
    // This server's own statement count, written here rather than through the
    // process-wide registry so that servers sharing a process (tests) do not mix.
    let body = format!(
        "{}# HELP kapok_db_statements_total SQL statements run by this server.\n\
         # TYPE kapok_db_statements_total counter\n\
         kapok_db_statements_total {}\n",
        METRICS.render(),
        state.store.statements()
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

/// Public verification of a certificate by its number: masked name and ID number,
/// hours, period and issuing unit. 404 with a code for unknown numbers.
async fn verify_certificate(
    state: web::Data<AppState>,
    http: HttpRequest,
    number: web::Path<String>,
) -> HttpResponse {
    public_check(&state, &http, |cx| async move {
        crate::services::certificates::verify(&cx, &number).await
    })
    .await
}

/// Public check of a donation receipt by its number: valid or void, the fund, the
/// amount, the day, the donor masked. 404 with a code for unknown numbers.
async fn check_receipt(
    state: web::Data<AppState>,
    http: HttpRequest,
    number: web::Path<String>,
) -> HttpResponse {
    public_check(&state, &http, |cx| async move {
        crate::services::donations::check_receipt(&cx, &number).await
    })
    .await
}

/// A check anyone holding a paper document may make (certificates, receipts):
/// rate-limited, as an anonymous caller, answered as JSON; a refusal names its
/// code and reason in the caller's language.
async fn public_check<T, Fut>(
    state: &AppState,
    http: &HttpRequest,
    check: impl FnOnce(Ctx) -> Fut,
) -> HttpResponse
where
    T: serde::Serialize,
    Fut: std::future::Future<Output = crate::error::ServiceResult<T>>,
{
    if let Err(refusal) = rate_limited(state, http) {
        return refusal.respond(graphql::lang_of(http));
    }
    let cx = Ctx::new(
        state.store.clone(),
        Access::anonymous(state.policy.clone(), RequestMeta::default()),
    );
    match check(cx).await {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(e) => {
            if e.code() == crate::error::ErrorCode::Internal {
                tracing::error!(error = ?e, path = http.path(), "public check failed");
            }
            let problem = e.problem();
            let status = match e.code() {
                crate::error::ErrorCode::NotFound => actix_web::http::StatusCode::NOT_FOUND,
                _ => actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            };
            HttpResponse::build(status).json(serde_json::json!({
                "valid": false,
                "code": problem.reason.code().as_str(),
                "reason": problem.reason.as_str(),
                "message": problem.render(graphql::lang_of(http)),
            }))
        }
    }
}
