//! The `kapok` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use policies::UnitCode;

use crate::config::{Config, ConfigError};
use crate::http::{load_policy, Application, StartupError};
use crate::ops::divisions;
use crate::services::access::{Access, RequestMeta};
use crate::services::users::{self, NewUser};
use crate::services::{Ctx, Store};
use crate::{db, graphql};

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
    /// Generate a realistic, reproducible data set (organisations, stations, teams,
    /// volunteers) for a subtree. Not loaded by default.
    DemoData {
        /// The unit to fill (e.g. 440104 for Yuexiu).
        #[arg(long)]
        under: String,
        #[arg(long, default_value_t = 180_000)]
        volunteers: u64,
        #[arg(long, default_value_t = 1_400)]
        teams: u64,
        #[arg(long, default_value_t = 227)]
        organizations: u64,
        /// Closed activities over the past year.
        #[arg(long, default_value_t = 40_000)]
        activities: u64,
        /// Approved service records of those activities.
        #[arg(long, default_value_t = 2_000_000)]
        records: u64,
        /// Money donations over the past year to the subtree's community charity
        /// funds (with funds, campaigns, pledges, disbursements and annual reports);
        /// 0 for none.
        #[arg(long, default_value_t = 200_000)]
        donations: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Work with the access policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Check, export and archive the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the embedded SQLite database to FILE while the server runs (for
    /// PostgreSQL, use pg_dump).
    Backup {
        /// The new file to write.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain and report the first entry that breaks it.
    Verify,
    /// Write the entries created before DATE to FILE (JSON Lines, gzip) and check
    /// the file against the chain.
    Export {
        /// A day (the start of it in China Standard Time) or an RFC 3339 time.
        #[arg(long)]
        before: String,
        file: PathBuf,
    },
    /// Export like `export`, then remove the exported entries, leaving an anchor so
    /// `verify` still checks what remains.
    Archive {
        #[arg(long)]
        before: String,
        file: PathBuf,
    },
    /// Sign-in attempts refused by the throttle, per client address and window.
    Throttled {
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user holding one role at one unit; the password is read from stdin.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        /// Code of the unit the role is held at (also the user's home unit).
        #[arg(long)]
        unit: String,
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate the policy (KAPOK_POLICY_FILE or the built-in one) and run a decision
    /// table against it (default: the built-in table for the built-in policy).
    Check {
        /// A decision table file (see policies/decisions.toml).
        file: Option<PathBuf>,
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
    #[error("{0}")]
    Service(#[from] crate::error::ServiceError),
    #[error("{0}")]
    PolicyCheck(String),
    #[error(transparent)]
    Demo(#[from] crate::ops::demo::DemoError),
    #[error(transparent)]
    Audit(#[from] crate::ops::audit::AuditOpsError),
    #[error(transparent)]
    Backup(#[from] crate::ops::backup::BackupError),
    /// `kapok audit verify` found the chain broken (already reported on stdout).
    #[error("the audit chain is broken")]
    ChainBroken,
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    // Printing the schema needs no configuration (CI runs it with none).
    if let Command::Schema = cli.command {
        print!("{}", graphql::sdl());
        return Ok(());
    }
    run_with_config(cli, Config::from_env()?).await
}

pub async fn run_with_config(cli: Cli, config: Config) -> Result<(), CliError> {
    match cli.command {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            on_database(&config, Migrate::First, async |_| Ok(())).await?;
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
        Command::User(UserCommand::Create {
            username,
            role,
            unit,
            display_name,
        }) => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            user_create(&config, username, role, unit, display_name, password).await
        }
        Command::Policy(PolicyCommand::Check { file }) => policy_check(&config, file),
        Command::DemoData {
            under,
            volunteers,
            teams,
            organizations,
            activities,
            records,
            donations,
            seed,
        } => {
            let under = UnitCode::parse(&under)
                .map_err(|e| CliError::BadArgument(format!("--under: {e}")))?;
            let opts = crate::ops::demo::DemoOptions {
                under,
                volunteers,
                teams,
                organizations,
                activities,
                records,
                donations,
                seed,
            };
            let r = on_database(&config, Migrate::First, async |db| {
                if config.load_default_divisions {
                    divisions::load_bundled_if_empty(db).await?;
                }
                Ok(crate::ops::demo::generate(db, &opts, true).await?)
            })
            .await?;
            println!(
                "demo data under {}: {} organisations, {} stations, {} teams, {} volunteers, {} team memberships, {} activities, {} service records, {} funds, {} donations, {} pledges, {} disbursements, {} disclosure reports, {} help requests, {} time-bank accounts, {} supermarkets, {} stock movements in {:.1} s",
                opts.under, r.organizations, r.stations, r.teams, r.volunteers, r.memberships, r.activities, r.records, r.funds, r.donations, r.pledges, r.disbursements, r.reports, r.help_requests, r.time_accounts, r.supermarkets, r.stock_moves, r.seconds
            );
            Ok(())
        }
        Command::Audit(cmd) => audit_command(&config, cmd).await,
        Command::Backup { file } => {
            let bytes = on_database(&config, Migrate::No, async |db| {
                Ok(crate::ops::backup::backup(db, &file).await?)
            })
            .await?;
            println!(
                "backed up to {} ({bytes} bytes, integrity check ok)",
                file.display()
            );
            Ok(())
        }
        Command::ImportDivisions { file, root } => {
            let root = root
                .as_deref()
                .map(UnitCode::parse)
                .transpose()
                .map_err(|e| CliError::BadArgument(format!("--root: {e}")))?;
            let (report, secs) = on_database(&config, Migrate::First, async |db| {
                let started = std::time::Instant::now();
                let report = divisions::import_file(db, &file, root.as_ref(), true).await?;
                Ok((report, started.elapsed().as_secs_f64()))
            })
            .await?;
            print!("{}", report.render());
            println!(
                "took {secs:.1} s ({:.0} rows/s)",
                report.rows_read as f64 / secs.max(1e-9)
            );
            Ok(())
        }
    }
}

#[derive(Clone, Copy)]
enum Migrate {
    First,
    No,
}

/// Runs one command's `work` on a pool of its own, migrating first if asked, and
/// closes the pool whatever the outcome: sqlx pings each connection it takes back,
/// and a connection whose ping is still unanswered when the process exits is reset,
/// which PostgreSQL logs as an error ("connection reset by peer", once per command).
async fn on_database<T>(
    config: &Config,
    migrate: Migrate,
    work: impl AsyncFnOnce(&sea_orm::DatabaseConnection) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let db = db::connect(&config.database_url)
        .await
        .map_err(StartupError::Connect)?;
    let result = async {
        if let Migrate::First = migrate {
            db::migrate(&db).await.map_err(StartupError::Migrate)?;
        }
        work(&db).await
    }
    .await;
    if let Err(e) = db.close_by_ref().await {
        tracing::warn!(error = %e, "closing the database pool");
    }
    result
}

async fn user_create(
    config: &Config,
    username: String,
    role: String,
    unit: String,
    display_name: Option<String>,
    password: String,
) -> Result<(), CliError> {
    let policy = std::sync::Arc::new(load_policy(config)?);
    let operator = Access::anonymous(
        policy,
        RequestMeta {
            client_addr: None,
            request_id: "cli".into(),
        },
    );
    let (user, assignment) = on_database(config, Migrate::First, async |db| {
        Ok(users::create_as_operator(
            &Ctx::new(Store::new(db.clone()), operator),
            NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password,
                home_unit_code: unit,
            },
            &role,
        )
        .await?)
    })
    .await?;
    println!(
        "created user {} (id {}) with {role} at {} (assignment {assignment})",
        user.username, user.id, user.home_unit
    );
    Ok(())
}

fn policy_check(config: &Config, file: Option<PathBuf>) -> Result<(), CliError> {
    let policy = load_policy(config)?;
    println!(
        "policy is valid: {} roles ({})",
        policy.role_names().len(),
        policy.role_names().join(", ")
    );
    let (name, text) = match file {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(&path).map_err(|e| {
                CliError::BadArgument(format!("cannot read {}: {e}", path.display()))
            })?,
        ),
        None => (
            "the built-in decision table".to_owned(),
            policies::casefile::DEFAULT_CASES.to_owned(),
        ),
    };
    let report = policies::casefile::run(&policy, &text).map_err(CliError::PolicyCheck)?;
    for f in &report.failures {
        println!("FAILED {f}");
    }
    println!(
        "{}: {} passed, {} failed",
        name,
        report.passed,
        report.failures.len()
    );
    if report.failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::PolicyCheck(format!(
            "{} decision cases failed",
            report.failures.len()
        )))
    }
}

/// `--before`: a day in China Standard Time (its start) or an RFC 3339 time.
fn parse_before(s: &str) -> Result<chrono::DateTime<chrono::Utc>, CliError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        CliError::BadArgument(format!(
            "--before: {s:?} is neither a day (2026-06-01) nor an RFC 3339 time"
        ))
    })?;
    let cst = chrono::FixedOffset::east_opt(8 * 3600)
        .ok_or_else(|| CliError::BadArgument("time zone".into()))?;
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(cst).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| CliError::BadArgument(format!("--before: {s:?}")))
}

fn bar(message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}

async fn audit_command(config: &Config, cmd: AuditCommand) -> Result<(), CliError> {
    on_database(config, Migrate::First, async |db| audit_on(db, cmd).await).await
}

async fn audit_on(db: &sea_orm::DatabaseConnection, cmd: AuditCommand) -> Result<(), CliError> {
    use crate::ops::audit;
    match cmd {
        AuditCommand::Verify => {
            let progress = bar("verifying");
            let report = audit::verify(db, Some(&progress)).await?;
            progress.finish_and_clear();
            let from = report
                .anchored_after
                .map(|id| format!(" (continuing from archived entry {id})"))
                .unwrap_or_default();
            match report.first_break {
                None => {
                    println!("audit chain intact: {} entries{from}", report.entries);
                    Ok(())
                }
                Some(b) => {
                    println!(
                        "audit chain BROKEN at entry {}: {} ({} entries checked{from})",
                        b.id, b.problem, report.entries
                    );
                    Err(CliError::ChainBroken)
                }
            }
        }
        AuditCommand::Export { before, file } => {
            let before = parse_before(&before)?;
            let progress = bar("exporting");
            let r = audit::export(db, before, &file, Some(&progress)).await?;
            progress.finish_and_clear();
            println!(
                "exported {} entries created before {before} to {} (sha256 {}); the file was read back and checked",
                r.entries,
                file.display(),
                r.file_sha256
            );
            Ok(())
        }
        AuditCommand::Archive { before, file } => {
            let before = parse_before(&before)?;
            let progress = bar("archiving");
            let r = audit::archive(db, before, &file, Some(&progress)).await?;
            progress.finish_and_clear();
            println!(
                "archived {} entries created before {before} to {} (sha256 {}); removed {} from the database, anchor recorded",
                r.export.entries,
                file.display(),
                r.export.file_sha256,
                r.removed
            );
            Ok(())
        }
        AuditCommand::Throttled { limit } => {
            let rows = audit::throttled(db, limit).await?;
            println!(
                "{:<40} {:<25} {:>9}  last username",
                "client address", "window start (UTC)", "attempts"
            );
            for r in rows {
                let start = chrono::DateTime::from_timestamp_millis(r.window_start)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                println!(
                    "{:<40} {:<25} {:>9}  {}",
                    r.client_addr, start, r.attempts, r.last_username
                );
            }
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
