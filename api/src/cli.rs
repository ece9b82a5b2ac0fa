//! The `kapok` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use policies::UnitCode;

use crate::config::{Config, ConfigError};
use crate::http::{Application, StartupError};
use crate::{db, divisions, graphql};

#[derive(Debug, Parser)]
#[command(
    name = "kapok",
    version,
    about = "Kapok (红棉): community charity and volunteer service API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, load the bundled Guangzhou divisions into an empty database, and serve.
    Serve,
    /// Run database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Import divisions from a CSV file (`code,name,level,parent_code`, plain or .gz).
    ImportDivisions {
        /// The CSV file.
        file: PathBuf,
        /// Import only this unit and what lies below it.
        #[arg(long)]
        root: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    BadArgument(String),
    #[error(transparent)]
    Import(#[from] divisions::ImportError),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    run_with_config(cli, Config::from_env()?).await
}

pub async fn run_with_config(cli: Cli, config: Config) -> Result<(), CliError> {
    match cli.command {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            let db = db::connect(&config.database_url)
                .await
                .map_err(StartupError::Connect)?;
            db::migrate(&db).await.map_err(StartupError::Migrate)?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Serve => {
            let app = Application::build(&config).await?;
            tracing::info!(
                "serving GraphQL on http://{}/graphql (GraphiQL at /graphiql)",
                display_addr(&config.listen, app.port())
            );
            app.run_until_stopped().await?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::ImportDivisions { file, root } => {
            let root = root
                .as_deref()
                .map(UnitCode::parse)
                .transpose()
                .map_err(|e| CliError::BadArgument(format!("--root: {e}")))?;
            let db = db::connect(&config.database_url)
                .await
                .map_err(StartupError::Connect)?;
            db::migrate(&db).await.map_err(StartupError::Migrate)?;
            let started = std::time::Instant::now();
            let report = divisions::import_file(&db, &file, root.as_ref(), true).await?;
            let secs = started.elapsed().as_secs_f64();
            print!("{}", report.render());
            println!(
                "took {secs:.1} s ({:.0} rows/s)",
                report.rows_read as f64 / secs.max(1e-9)
            );
            Ok(())
        }
    }
}

fn display_addr(listen: &str, port: u16) -> String {
    match listen.rsplit_once(':') {
        Some((host, _)) => format!("{host}:{port}"),
        None => listen.to_owned(),
    }
}
