use clap::Parser;

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
