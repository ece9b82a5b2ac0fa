use tracing_subscriber::EnvFilter;

/// `KAPOK_LOG` takes an `EnvFilter` directive; sqlx is held at warn because it logs
/// every statement at info.
pub fn init() {
    let filter = std::env::var("KAPOK_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
