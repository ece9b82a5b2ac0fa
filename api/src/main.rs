use clap::Parser;

/// mimalloc instead of glibc's malloc: allocation was ~15 % of a signed-in list
/// request's server time (figures in README → Performance → Allocator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs before `main` and before the first allocation (see `tune_mimalloc`).
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static TUNE_MIMALLOC: extern "C" fn() = tune_mimalloc;

/// mimalloc's defaults on Linux commit each arena up front and only reset freed
/// memory after a delay, so resident memory stays near its peak: idle RSS went from
/// 38 to 75 MB. Committing on demand and returning freed pages at once keeps it
/// within a few MB of glibc's. These must hold before the first arena is made, i.e. before the
/// first allocation — set from `main` they came too late (62 MB idle). mimalloc's
/// own constructor (priority 101) has read its options by then, so they are set
/// outright, except where the operator chose them with `MIMALLOC_*` variables.
#[cfg(target_os = "linux")]
extern "C" fn tune_mimalloc() {
    // Indices of `mi_option_e` in mimalloc v3's mimalloc.h; libmimalloc-sys's
    // named constants follow v2's numbering.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    for (option, variable) in [
        (ARENA_EAGER_COMMIT, c"MIMALLOC_ARENA_EAGER_COMMIT"),
        (PURGE_DELAY, c"MIMALLOC_PURGE_DELAY"),
    ] {
        // SAFETY: getenv reads the environment, which nothing writes before main;
        // it allocates nothing. mi_option_set writes one word of mimalloc's table
        // while only this thread exists.
        unsafe {
            if libc::getenv(variable.as_ptr()).is_null() {
                libmimalloc_sys::mi_option_set(option, 0);
            }
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    kapok_api::telemetry::tune_allocator();
    kapok_api::telemetry::init();
    let cli = kapok_api::cli::Cli::parse();
    match kapok_api::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kapok: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
