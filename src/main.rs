use std::process::ExitCode;

use clap::Parser;
use inquiry_desk::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    match cli::run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inquiry-desk: {e:#}");
            ExitCode::FAILURE
        }
    }
}
