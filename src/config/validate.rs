//! Configuration checks that need no I/O: references resolve, values are in range.

use super::types::Config;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("{file}: not valid TOML: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl Config {
    /// Checks the configuration without touching the file system.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid {
            file: self.origin.clone(),
            message,
        };
        if let Some(name) = &self.sign.default_signer {
            if !self.signers.contains_key(name) {
                return Err(bad(format!(
                    "[sign] default_signer = \"{name}\" but there is no [signers.{name}]"
                )));
            }
        }
        if !(4096..=1 << 20).contains(&self.sign.contents_size) {
            return Err(bad(format!(
                "[sign] contents_size = {} is out of range (4096 to 1048576 bytes)",
                self.sign.contents_size
            )));
        }
        if !(-14 * 60..=14 * 60).contains(&self.sign.utc_offset_minutes) {
            return Err(bad("[sign] utc_offset_minutes must be within ±840".into()));
        }
        let d = &self.digitize;
        let lang_ok = !d.lang.is_empty()
            && d.lang
                .split('+')
                .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        if !lang_ok {
            return Err(bad(format!(
                "[digitize] lang = \"{}\": use Tesseract language codes joined by +, e.g. \"vie\" or \"vie+eng\"",
                d.lang
            )));
        }
        if !(50.0..=1200.0).contains(&d.min_dpi) {
            return Err(bad(format!(
                "[digitize] min_dpi = {} is out of range (50 to 1200)",
                d.min_dpi
            )));
        }
        if !(1_000_000..=1_000_000_000).contains(&d.max_pixels) {
            return Err(bad(format!(
                "[digitize] max_pixels = {} is out of range (1 to 1000 megapixels)",
                d.max_pixels
            )));
        }
        if d.max_pages == 0 || d.workers > 256 {
            return Err(bad(
                "[digitize] max_pages must be at least 1 and workers at most 256".into(),
            ));
        }
        for (name, p) in &self.signers {
            let pem = p.key.is_some() || p.cert.is_some();
            match (p.pkcs12.is_some(), pem) {
                (true, true) => {
                    return Err(bad(format!(
                        "[signers.{name}]: give either pkcs12 or key + cert, not both"
                    )))
                }
                (false, false) => {
                    return Err(bad(format!(
                        "[signers.{name}]: no key: set pkcs12, or key and cert"
                    )))
                }
                (false, true) if p.key.is_none() || p.cert.is_none() => {
                    return Err(bad(format!("[signers.{name}]: key and cert go together")))
                }
                _ => {}
            }
            if let Some(url) = &p.tsa_url {
                if !url.starts_with("http://") {
                    return Err(bad(format!(
                        "[signers.{name}] tsa_url = \"{url}\": only http:// TSAs are supported (RFC 3161 replies are signed; VGCA's TSA is plain HTTP)"
                    )));
                }
            }
        }
        Ok(())
    }
}
