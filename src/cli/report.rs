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
    #[arg(long, conflicts_with_all = ["from", "to"])]
    month: Option<String>,
    /// From this month on (YYYY-MM).
    #[arg(long)]
    from: Option<String>,
    /// Up to this month (YYYY-MM).
    #[arg(long)]
    to: Option<String>,
    /// CSV instead of a table.
    #[arg(long)]
    csv: bool,
    #[arg(long)]
    json: bool,
}

/// `sohoa report`: the directives' indicators per unit and month.
pub fn run_report(cfg: &Config, a: ReportArgs) -> anyhow::Result<ExitCode> {
    let mut floor = Floor::open(cfg, false)?;
    let (from, to) = match &a.month {
        Some(m) => (Some(m.as_str()), Some(m.as_str())),
        None => (a.from.as_deref(), a.to.as_deref()),
    };
    let rows = floor.desk().report_period(a.unit.as_deref(), from, to)?;
    if a.csv {
        print!("{}", report::csv(&rows));
    } else if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", report::table(&rows));
    }
    Ok(ExitCode::SUCCESS)
}
