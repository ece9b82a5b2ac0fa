//! The HTTP server: GraphQL over HTTP, GraphiQL and health probes.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{guard, web, App, HttpResponse, HttpServer};
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::db;
use crate::divisions;
use crate::error::normalize_errors;
use crate::graphql::{build_schema, AppSchema};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to the database: {0}")]
    Connect(sea_orm::DbErr),
    #[error("cannot migrate the database: {0}")]
    Migrate(sea_orm::DbErr),
    #[error("cannot load the bundled divisions: {0}")]
    Divisions(#[from] divisions::ImportError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects, migrates, loads Guangzhou into an empty database and binds the port.
    pub async fn build(config: &Config) -> Result<Application, StartupError> {
        let db = db::connect(&config.database_url)
            .await
            .map_err(StartupError::Connect)?;
        db::migrate(&db).await.map_err(StartupError::Migrate)?;
        if config.load_default_divisions {
            if let Some(report) = divisions::load_bundled_if_empty(&db).await? {
                tracing::info!(
                    units = report.total().inserted,
                    "empty database: loaded the bundled Guangzhou divisions"
                );
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
        let schema = build_schema(db.clone(), config);
        let server = run(listener, schema, db).map_err(|source| StartupError::Bind {
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

fn run(
    listener: TcpListener,
    schema: AppSchema,
    db: DatabaseConnection,
) -> std::io::Result<Server> {
    let schema = web::Data::new(schema);
    let db = web::Data::new(db);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::Logger::new("%r %s %Dms"))
            .app_data(schema.clone())
            .app_data(db.clone())
            .service(
                web::resource("/graphql")
                    .route(web::post().to(graphql))
                    .route(web::get().to(graphql)),
            )
            .service(web::resource("/graphiql").guard(guard::Get()).to(graphiql))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
    })
    .listen(listener)?
    .shutdown_timeout(20)
    .run();
    Ok(server)
}

async fn graphql(schema: web::Data<AppSchema>, req: GraphQLRequest) -> GraphQLResponse {
    let mut resp = schema.execute(req.into_inner()).await;
    normalize_errors(&mut resp);
    resp.into()
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
async fn readyz(db: web::Data<DatabaseConnection>) -> HttpResponse {
    match db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "database unreachable" }))
        }
    }
}
