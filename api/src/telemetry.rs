use tracing_subscriber::EnvFilter;

/// `KAPOK_LOG` takes an `EnvFilter` directive; sqlx is held at warn because it logs
/// every statement at info. `KAPOK_LOG_FORMAT=json` writes one JSON object per line,
/// with the request's span (its `request_id`) on every line logged inside it.
pub fn init() {
    let filter = std::env::var("KAPOK_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("KAPOK_LOG_FORMAT")
        .map(|f| f.trim().eq_ignore_ascii_case("json"))
        .unwrap_or(false);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
