//! The `sohoa` binary: thin glue from the command line to the library stages (see `cli`).
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
