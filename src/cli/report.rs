//! `sohoa report`: the directives' indicators per unit and month, as a table, CSV or JSON
//! (the desk's rows, printed).

use std::process::ExitCode;

use clap::Args;
use sohoa::config::Config;
use sohoa::desk::report;

use super::context::Floor;

#[derive(Args)]
pub struct ReportArgs {
    /// Only this unit.
    #[arg(long)]
    unit: Option<String>,
    /// Only this month (YYYY-MM).
    #[arg(long)]
    month: Option<String>,
    /// CSV instead of a table.
    #[arg(long)]
    csv: bool,
    #[arg(long)]
    json: bool,
}

/// `sohoa report`: the directives' indicators per unit and month.
pub fn run_report(cfg: &Config, a: ReportArgs) -> anyhow::Result<ExitCode> {
    let mut floor = Floor::open(cfg, false)?;
    let rows = floor.desk().report(a.unit.as_deref(), a.month.as_deref())?;
    if a.csv {
        print!("{}", report::csv(&rows));
    } else if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", report::table(&rows));
    }
    Ok(ExitCode::SUCCESS)
}
