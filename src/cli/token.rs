//! `sohoa token list`: the PKCS#11 tokens a module sees, their certificates, and (with a PIN)
//! their private keys' labels and CKA_IDs — what a signer profile's `token_label`, `key_id`
//! or `key_label` should say. Never a secret.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use sohoa::config::Config;
use sohoa::sign::token::{self, PinSource, TokenSpec};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// List tokens, certificates and (with --pin-env, --pin-file or --login) keys.
    List(ListArgs),
}

#[derive(Args)]
pub struct ListArgs {
    /// The PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so, or the token vendor's).
    #[arg(long)]
    module: PathBuf,
    /// Log in with the PIN in this environment variable to list the private keys too.
    #[arg(long, conflicts_with_all = ["pin_file", "login"])]
    pin_env: Option<String>,
    /// Log in with the PIN in this file (mode 600).
    #[arg(long, conflicts_with = "login")]
    pin_file: Option<PathBuf>,
    /// Log in with a PIN asked on the terminal.
    #[arg(long)]
    login: bool,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(_cfg: &Config, c: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::List(a) = c;
    let pin = match (&a.pin_env, &a.pin_file, a.login) {
        (Some(v), _, _) => Some(PinSource::Env(v.clone())),
        (None, Some(f), _) => Some(PinSource::File(f.clone())),
        (None, None, true) => Some(PinSource::Prompt),
        _ => None,
    };
    let spec = TokenSpec {
        module: a.module.clone(),
        ..Default::default()
    };
    let tokens = token::list(&spec, pin.as_ref())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&tokens)?);
        return Ok(ExitCode::SUCCESS);
    }
    if tokens.is_empty() {
        println!("no token present in {}", a.module.display());
    }
    for t in &tokens {
        println!(
            "slot {}: token \"{}\" (serial {}, {} {})",
            t.slot, t.label, t.serial, t.manufacturer, t.model
        );
        for c in &t.certificates {
            println!(
                "  certificate \"{}\" CKA_ID {}: {} (valid until {})",
                c.label, c.id, c.subject, c.not_after
            );
        }
        if t.logged_in_keys {
            for (label, id) in &t.keys {
                println!("  private key \"{label}\" CKA_ID {id}");
            }
        } else {
            println!(
                "  (private keys are listed after logging in: --pin-env, --pin-file or --login)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
