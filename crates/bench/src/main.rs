//! `relais-bench`: the benchmark suite (settings from `BENCH_*` variables; see
//! docs/performance.md). Exits with status 1 when a run failed or a target was missed.

use std::process::ExitCode;

fn main() -> ExitCode {
    let settings = match relais_bench::args::Settings::from_env() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(relais_bench::suite::run(&settings)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
