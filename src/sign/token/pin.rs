//! Stage `sign`, tokens: where a token's user PIN comes from — an environment variable, a file
//! only the service user may read, or the terminal (no echo). Never the command line or
//! config.toml; never logged; the PIN is held in a zeroizing secret.

use std::path::{Path, PathBuf};

use cryptoki::types::AuthPin;

/// Where to read the PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinSource {
    Env(String),
    /// First line of the file; refused when group or others may read it.
    File(PathBuf),
    /// Asked on the controlling terminal.
    Prompt,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    #[error("the PIN variable ${0} is not set")]
    EnvUnset(String),
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: group or others may read this PIN file (mode {mode:o}); chmod 600 it", path.display())]
    Readable { path: PathBuf, mode: u32 },
    #[error("{}: the PIN file is empty", .0.display())]
    Empty(PathBuf),
    #[error("no PIN configured (pin_env or pin_file) and no terminal to ask on: {0}")]
    NoTerminal(String),
}

fn from_file(path: &Path) -> Result<String, PinError> {
    use std::os::unix::fs::PermissionsExt;
    let read = |source| PinError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mode = std::fs::metadata(path).map_err(read)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(PinError::Readable {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read)?;
    let pin = text.lines().next().unwrap_or_default().to_string();
    if pin.is_empty() {
        return Err(PinError::Empty(path.to_path_buf()));
    }
    Ok(pin)
}

impl PinSource {
    /// Reads the PIN (`what` names the token in the terminal prompt).
    pub fn read(&self, what: &str) -> Result<AuthPin, PinError> {
        let pin = match self {
            Self::Env(var) => std::env::var(var).map_err(|_| PinError::EnvUnset(var.clone()))?,
            Self::File(path) => from_file(path)?,
            Self::Prompt => {
                use std::io::IsTerminal;
                // A service or a pipe has no one to answer: say so rather than wait.
                if !std::io::stdin().is_terminal() {
                    return Err(PinError::NoTerminal(
                        "standard input is not a terminal".into(),
                    ));
                }
                rpassword::prompt_password(format!("PIN for {what}: "))
                    .map_err(|e| PinError::NoTerminal(e.to_string()))?
            }
        };
        Ok(AuthPin::new(pin))
    }
}
