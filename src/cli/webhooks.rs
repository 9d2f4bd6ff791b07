//! `sohoa webhooks`: the deliveries of the inbox's events to `[[webhooks]]` receivers — the
//! list (`--state dead`: the dead letters) and a dead letter sent again.

use std::process::ExitCode;

use clap::Subcommand;
use sohoa::config::Config;

use super::context::Floor;

#[derive(Subcommand)]
pub enum WebhooksCommand {
    /// Deliveries, newest first: event, kind, receiver, state, attempts, last error.
    List {
        /// pending, delivered or dead.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Send a dead letter again (at the service's next pass; logged).
    Retry { event_id: String, url: String },
}

pub fn run(cfg: &Config, c: WebhooksCommand) -> anyhow::Result<ExitCode> {
    let mut floor = Floor::open(cfg, false)?;
    match c {
        WebhooksCommand::List { state, limit, json } => {
            let rows = floor.desk().webhook_deliveries(state.as_deref(), limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no deliveries");
            } else {
                for d in &rows {
                    println!(
                        "{}  {:<16} {:<9} {:>2} attempts  {}{}",
                        d.event_id,
                        d.kind,
                        d.state.code(),
                        d.attempts,
                        d.url,
                        d.last_error
                            .as_deref()
                            .map(|e| format!("  ({e})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        WebhooksCommand::Retry { event_id, url } => {
            floor.desk().webhook_retry(&event_id, &url)?;
            println!("{event_id} to {url}: pending again");
        }
    }
    Ok(ExitCode::SUCCESS)
}
