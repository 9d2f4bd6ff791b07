//! Edge `cli`: where `tracing` events go — standard error, human-readable on a terminal, JSON
//! lines otherwise (journald, ELK), as `[log] format` says; `sohoa serve` logs at `[log]
//! level`, the other commands only their warnings (their results are on standard output).
//! `SOHOA_LOG` overrides the level.

use std::io::IsTerminal;

use sohoa::config::LogConfig;
use tracing_subscriber::EnvFilter;

/// Installs the subscriber once, for the whole process.
pub fn init(cfg: &LogConfig, service: bool) {
    let level = std::env::var("SOHOA_LOG").ok().unwrap_or_else(|| {
        if service {
            cfg.level.clone()
        } else {
            "warn".to_string()
        }
    });
    // the configured filter was checked when the file was read; a bad SOHOA_LOG falls back
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|e| {
        eprintln!("sohoa: SOHOA_LOG={level:?} is not a filter ({e}); logging at info");
        EnvFilter::new("info")
    });
    let terminal = std::io::stderr().is_terminal();
    let json = match cfg.format.as_str() {
        "json" => true,
        "human" => false,
        _ => !terminal,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // a second init (never in this binary) would only be refused
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init()
    } else {
        builder.with_ansi(terminal).try_init()
    };
}
