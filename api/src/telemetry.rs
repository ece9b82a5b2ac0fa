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

/// How the binary's allocator returns freed memory to the system at once (see
/// `main.rs`); unset where the system allocator does it by itself (the tests).
static RELEASE_FREED_MEMORY: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Sets [`release_freed_memory`]'s way, once, before any request is served.
pub fn set_memory_release(release: fn()) {
    let _ = RELEASE_FREED_MEMORY.set(release);
}

/// Returns memory freed but still held by the allocator to the system now. Called
/// after each password hash, so that its 19 MiB do not wait for the allocator's
/// delay, which is there for the small blocks a request frees and the next one
/// takes again.
pub fn release_freed_memory() {
    if let Some(release) = RELEASE_FREED_MEMORY.get() {
        release();
    }
}

/// [`release_freed_memory`] once a second, for as long as the calling thread's
/// runtime runs: the allocator returns freed memory only after a delay, and only
/// when something calls it, and each thread keeps the pages it freed until it
/// collects them itself — an idle server would keep what its last requests freed.
/// Spawned on each HTTP worker and on the main runtime; returns at once where the
/// allocator needs no help.
pub async fn release_freed_memory_periodically() {
    if RELEASE_FREED_MEMORY.get().is_none() {
        return;
    }
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        release_freed_memory();
    }
}
