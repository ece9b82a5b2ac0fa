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
/// outright, except where the operator chose them with `MIMALLOC_*` variables. The
/// server then delays purging again ([`delay_purging`]).
#[cfg(target_os = "linux")]
extern "C" fn tune_mimalloc() {
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

// Indices of `mi_option_e` in mimalloc v3's mimalloc.h; libmimalloc-sys's named
// constants follow v2's numbering.
#[cfg(target_os = "linux")]
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
#[cfg(target_os = "linux")]
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// For the server: freed memory goes back after a second (mimalloc's own default)
/// instead of at once, and the server returns it itself — after each password hash
/// and once a second on each thread that serves ([`release_freed_memory`]). Purging
/// at once cost an `madvise` and a TLB shootdown on both cores for memory the next
/// request took again: about an eighth of the server's CPU on a list (README →
/// Performance → Allocator). The other commands (imports, demo data) keep purging
/// at once, which keeps their peak lower. `MIMALLOC_PURGE_DELAY` still wins.
#[cfg(target_os = "linux")]
fn delay_purging() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mi_option_set writes one word of mimalloc's table; the purge delay
        // is read each time a purge is considered, so it may change at any time.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 1000) }
    }
    kapok_api::telemetry::set_memory_release(release_freed_memory);
}

/// Returns what mimalloc holds freed to the system now, whatever its delay: the
/// calling thread's free pages, and every thread's freed arena memory.
#[cfg(target_os = "linux")]
fn release_freed_memory() {
    // SAFETY: mi_collect takes no pointer and may be called from any thread.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    kapok_api::telemetry::tune_allocator();
    kapok_api::telemetry::init();
    let cli = kapok_api::cli::Cli::parse();
    #[cfg(target_os = "linux")]
    if matches!(cli.command, kapok_api::cli::Command::Serve) {
        delay_purging();
    }
    match kapok_api::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kapok: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The process's resident memory, from `/proc/self/status`.
    fn resident_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }

    /// The server's allocator keeps freed memory for a while (its purge delay); a
    /// release must hand it back at once, as the hashing threads and the idle
    /// server rely on.
    #[test]
    fn released_memory_leaves_the_process() {
        const MIB: u64 = 1024;
        // As the server runs: freed memory is kept for a second unless released.
        super::delay_purging();
        let before = resident_kib();
        // 64 MiB in blocks of the sizes a request allocates, not one huge block
        // (which may go straight back to the system on its own).
        let blocks: Vec<Vec<u8>> = (0..4096).map(|_| vec![1u8; 16 << 10]).collect();
        let held = resident_kib();
        assert!(held >= before + 60 * MIB, "{before} → {held} KiB");
        drop(std::hint::black_box(blocks));
        super::release_freed_memory();
        let after = resident_kib();
        assert!(
            after + 48 * MIB <= held,
            "{held} → {after} KiB after the release"
        );
    }
}
