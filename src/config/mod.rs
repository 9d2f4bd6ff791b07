//! Configuration: parsed from TOML ([`Config::parse`]), validated without I/O
//! ([`Config::validate`]), then built into live objects by the stage that needs them
//! (for example [`crate::sign::profile`] loads keys). Relative paths are relative to the file.

mod types;
mod validate;

pub use types::{
    Config, DigitizeConfig, HttpConfig, InboxConfig, SignConfig, SignerProfile, SubFilter,
    TrustConfig, UserConfig,
};
pub use validate::ConfigError;

use std::path::{Path, PathBuf};

impl Config {
    /// Parses `text`; `base` is the folder relative paths are resolved against.
    pub fn parse(text: &str, base: &Path, origin: &str) -> Result<Self, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            file: origin.to_string(),
            message: e.to_string(),
        })?;
        cfg.base_dir = base.to_path_buf();
        cfg.origin = origin.to_string();
        Ok(cfg)
    }

    /// Reads and parses a configuration file, then validates it.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let cfg = Self::parse(&text, &base, &path.display().to_string())?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// `p` resolved against the configuration file's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}
