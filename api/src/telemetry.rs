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

/// Keeps large allocations out of the heap. glibc raises its mmap threshold after
/// the first large block is freed, so every 19 MiB password hash after that comes
/// from (and stays in) a malloc arena: 150 sign-ins at once left the process at
/// 400 MB for good. A fixed threshold disables that adjustment: blocks of 128 KiB
/// and more are mapped and unmapped, and memory returns to the system when the
/// sign-ins end. The `kapok` binary allocates through mimalloc (see `main.rs`), so
/// there this only governs what C code (SQLite) allocates; the library's users — the
/// tests — keep the system allocator.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter, under glibc's own lock; it
    // is called once, at start, before any request is served.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
