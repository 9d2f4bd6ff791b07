//! `sohoa sheet`: the sheets an operator prints and puts in the scanner's tray — a dossier's
//! cover sheet and the separator between papers (see `classify::sheet`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use sohoa::classify::sheet::{self, Sheet};
use sohoa::sign::appearance::{StampFont, DEFAULT_FONT};

#[derive(Subcommand)]
pub enum SheetCommand {
    /// A dossier's cover sheet: its code as a QR code and in print; every paper after it in the tray belongs to that dossier.
    Cover {
        /// The dossier code (mã hồ sơ), as the one-stop system gives it.
        #[arg(long)]
        dossier: String,
        #[arg(short, long)]
        output: PathBuf,
        /// TrueType font of the text (default: Liberation Serif).
        #[arg(long)]
        font: Option<PathBuf>,
    },
    /// The separator sheet: patch code T and a `PATCHT` QR code; the paper before it ends there, and the sheet is not stored.
    Separator {
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long)]
        font: Option<PathBuf>,
    },
}

pub fn run(c: SheetCommand) -> anyhow::Result<ExitCode> {
    let (which, output, font) = match c {
        SheetCommand::Cover {
            dossier,
            output,
            font,
        } => (Sheet::Cover { dossier }, output, font),
        SheetCommand::Separator { output, font } => (Sheet::Separator, output, font),
    };
    let font = Arc::new(StampFont::load(
        &font.unwrap_or_else(|| PathBuf::from(DEFAULT_FONT)),
    )?);
    let pdf = sheet::pdf(&which, &font)?;
    std::fs::write(&output, &pdf).with_context(|| format!("writing {}", output.display()))?;
    println!(
        "wrote {} ({} bytes): print it at 100%, no scaling",
        output.display(),
        pdf.len()
    );
    Ok(ExitCode::SUCCESS)
}
