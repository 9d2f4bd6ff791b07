//! `sohoa audit verify` (the chain and every checkpoint) and `sohoa audit checkpoint` (anchor
//! the head now); `anchor` is also what `sohoa serve` runs on its interval and when it stops.

use std::process::ExitCode;

use clap::Subcommand;
use sohoa::audit::Reason;
use sohoa::config::Config;
use sohoa::desk::{build, AnchorRequest, Anchored};
use sohoa::sign::tsa::TimestampAuthority;

use super::context::{self, Floor};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Checks the hash chain of the audit log and every signed checkpoint of it in the store;
    /// names the first broken link and each checkpoint the log contradicts. Exit 0: intact.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Signs the chain's head now (the [audit] signer, time-stamped when its profile has a
    /// TSA) into a checkpoint in the blob store; nothing when the newest checkpoint holds it.
    Checkpoint {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cfg: &Config, c: AuditCommand) -> anyhow::Result<ExitCode> {
    match c {
        AuditCommand::Verify { json } => verify(cfg, json),
        AuditCommand::Checkpoint { json } => {
            let done = anchor(cfg, Reason::Command)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&done)?);
            } else {
                println!("{}", say(&done));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes a checkpoint of the log's head (unless the newest one holds it already).
pub(super) fn anchor(cfg: &Config, reason: Reason) -> anyhow::Result<Anchored> {
    let signer = build::audit_signer(cfg)?;
    let mut floor = Floor::open(cfg, true)?;
    let req = AnchorRequest {
        signer: signer.signer.as_ref(),
        tsa: signer
            .tsa
            .as_ref()
            .map(|t| (t as &dyn TimestampAuthority, context::nonce())),
        reason,
    };
    Ok(floor.desk().anchor_audit(&req)?)
}

/// One line about a checkpoint run.
pub(super) fn say(a: &Anchored) -> String {
    match a {
        Anchored::Written {
            key,
            seq,
            timestamped,
            ..
        } => format!(
            "audit log anchored at entry {seq}: checkpoint {key}{}",
            if *timestamped {
                " (signed, time-stamped)"
            } else {
                " (signed; its profile has no TSA, so not time-stamped)"
            }
        ),
        Anchored::Unchanged { key, seq } => {
            format!("audit log already anchored at entry {seq} by checkpoint {key}")
        }
        Anchored::EmptyLog => "the audit log is empty: nothing to anchor".into(),
        _ => format!("{a:?}"),
    }
}

fn verify(cfg: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let mut floor = Floor::open(cfg, true)?;
    let v = floor.desk().verify_audit()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if v.intact {
        println!(
            "audit log intact: {} entries, head {}; {} checkpoint(s) hold, anchored to entry {}",
            v.chain.entries,
            v.chain.head.as_deref().unwrap_or("-"),
            v.checkpoints.len(),
            v.anchored_to
        );
    } else {
        println!("AUDIT LOG BROKEN:");
        for p in &v.problems {
            println!("  {p}");
        }
    }
    if !json {
        for w in &v.warnings {
            println!("warning: {w}");
        }
    }
    Ok(if v.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
