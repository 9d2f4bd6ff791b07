//! Configuration: parsed from TOML and validated without I/O ([`Config::parse`],
//! [`Config::load`]: a `Config` from either has passed [`Config::validate`]), then built into
//! live parts by `desk::build` (signers, trust store, classifier, clock), which every edge
//! shares. Relative paths are relative to the file.

mod types;
mod validate;

pub use types::{
    AuditConfig, CertifyConfig, Config, DigitizeConfig, ExportConfig, HttpConfig, InboxConfig,
    IndexConfig, LogConfig, ReportConfig, SignConfig, SignerProfile, StampConfig, StoreConfig,
    TargetRates, TrustConfig, UserConfig, WebhookConfig, WEBHOOK_EVENTS,
};
pub use validate::ConfigError;

use std::path::{Path, PathBuf};

impl Config {
    /// Parses and validates `text`; `base` is the folder relative paths are resolved against.
    pub fn parse(text: &str, base: &Path, origin: &str) -> Result<Self, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            file: origin.to_string(),
            message: e.to_string(),
        })?;
        cfg.base_dir = base.to_path_buf();
        cfg.origin = origin.to_string();
        cfg.validate()?;
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
        Self::parse(&text, &base, &path.display().to_string())
    }

    /// Where the index lives: `[index] url`, else `index.sqlite` in `[store] root`.
    pub fn index_location(&self) -> Result<crate::index::IndexLocation, ConfigError> {
        match &self.index.url {
            Some(url) => crate::index::IndexLocation::parse(url, &self.base_dir).map_err(|e| {
                ConfigError::Invalid {
                    file: self.origin.clone(),
                    message: e.to_string(),
                }
            }),
            None => Ok(crate::index::IndexLocation::Sqlite(
                self.resolve(&self.store.root).join("index.sqlite"),
            )),
        }
    }

    /// Where the blobs live: `[store] url` (`file:PATH`, `s3://BUCKET/PREFIX` with the
    /// object store's settings), else the folder `[store] root`.
    pub fn store_location(&self) -> Result<crate::store::StoreLocation, ConfigError> {
        use crate::store::{S3Location, StoreLocation};
        let bad = |message: String| ConfigError::Invalid {
            file: self.origin.clone(),
            message,
        };
        let root = self.resolve(&self.store.root);
        let Some(url) = &self.store.url else {
            return Ok(StoreLocation::Local(root));
        };
        if let Some(path) = url.strip_prefix("file:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(bad("[store] url = \"file:\": the folder is missing".into()));
            }
            return Ok(StoreLocation::Local(self.resolve(Path::new(path))));
        }
        if !url.starts_with("s3://") {
            return Err(bad(format!(
                "[store] url = {url:?}: expected \"file:FOLDER\" or \"s3://BUCKET/PREFIX\""
            )));
        }
        let (bucket, prefix) =
            S3Location::parse(url).map_err(|e| bad(format!("[store] url: {e}")))?;
        if let Some(e) = &self.store.endpoint {
            if !(e.starts_with("https://") || e.starts_with("http://")) || e.contains('@') {
                return Err(bad(format!(
                    "[store] endpoint = {e:?}: an http:// or https:// address (no credentials in it)"
                )));
            }
        }
        if self.store.region.trim().is_empty() {
            return Err(bad(
                "[store] region: a region name (any, for MinIO or Garage)".into(),
            ));
        }
        Ok(StoreLocation::S3(S3Location {
            bucket,
            prefix,
            endpoint: self.store.endpoint.clone(),
            region: self.store.region.clone(),
            path_style: self.store.path_style,
            credentials_file: self
                .store
                .credentials_file
                .as_deref()
                .map(|p| self.resolve(p)),
            spool: root.join("spool"),
        }))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(users: &str) -> Result<(), String> {
        let cfg = Config::parse(users, Path::new("."), "config.toml").map_err(|e| e.to_string())?;
        cfg.validate().map_err(|e| e.to_string())
    }

    #[test]
    fn a_user_signs_in_by_token_or_argon2id_password_and_bad_ones_are_named() {
        let token = format!("token_sha256 = \"{}\"", "ab".repeat(32));
        let phc = crate::api::auth::hash_password("a long password", [1; 16]).unwrap();
        let ok = |extra: &str| {
            check(&format!(
                "[users.an]\nrole = \"officer\"\nunits = [\"000.00.10.H59\"]\n{extra}\n"
            ))
        };
        assert_eq!(ok(&token), Ok(()));
        assert_eq!(ok(&format!("password_argon2 = \"{phc}\"")), Ok(()));
        let e = ok("").unwrap_err();
        assert!(
            e.contains("[users.an]") && e.contains("password_argon2"),
            "{e}"
        );
        let e = ok("token_sha256 = \"abc\"").unwrap_err();
        assert!(e.contains("64 hex digits"), "{e}");
        // a bcrypt hash or plain text is not accepted as a password hash
        let e = ok("password_argon2 = \"$2b$12$abcdefghijklmnopqrstuv\"").unwrap_err();
        assert!(e.contains("Argon2id"), "{e}");
        let e = ok("password_argon2 = \"hunter2\"").unwrap_err();
        assert!(e.contains("Argon2id"), "{e}");
    }

    #[test]
    fn report_targets_are_percentages_of_levels_that_exist() {
        let ok = "[report]\ndefault_level = \"commune\"\n[report.unit_levels]\n\"000.00.10.H59\" = \"district\"\n\
                  [report.targets.district]\ndigitization_rate = 40\n\
                  [report.targets.commune]\ndigitization_rate = 25\nreuse_rate = 80\n";
        assert_eq!(check(ok), Ok(()));
        let e = check(&ok.replace("= 40", "= 140")).unwrap_err();
        assert!(
            e.contains("[report.targets.district] digitization_rate = 140"),
            "{e}"
        );
        let e = check(&ok.replace("= \"district\"", "= \"ward\"")).unwrap_err();
        assert!(e.contains("no [report.targets.ward]"), "{e}");
        let e = check(&ok.replace("default_level = \"commune\"", "default_level = \"tinh\""))
            .unwrap_err();
        assert!(e.contains("[report] default_level = \"tinh\""), "{e}");
        let e = check("[report.targets.x]\nrate = 3\n").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn a_token_profile_names_one_key_source_and_no_pin_in_clear() {
        let signer = |body: &str| check(&format!("[signers.t]\n{body}\n"));
        let token = "pkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\n";
        assert_eq!(signer(token), Ok(()));
        assert_eq!(
            signer(&format!(
                "{token}token_label = \"A\"\nkey_id = \"a1:b2\"\npin_env = \"PIN\""
            )),
            Ok(())
        );
        for (body, want) in [
            (format!("{token}pkcs12 = \"a.p12\""), "one key source"),
            (
                format!("{token}key = \"k.pem\"\ncert = \"c.pem\""),
                "stays on the token",
            ),
            (format!("{token}key_id = \"xyz\""), "CKA_ID in hex"),
            (
                format!("{token}token_label = \"A\"\ntoken_serial = \"1\""),
                "not both",
            ),
            (
                format!("{token}pin_env = \"A\"\npin_file = \"p\""),
                "not both",
            ),
            (
                "pkcs12 = \"a.p12\"\npin_env = \"PIN\"".to_string(),
                "set pkcs11_module",
            ),
            (format!("{token}level = \"B-LTA\""), "needs a tsa_url"),
            (
                format!("{token}archive_tsa_url = \"https://x\""),
                "only http://",
            ),
            (format!("{token}pin = \"123456\""), "unknown field"),
        ] {
            let e = signer(&body).unwrap_err();
            assert!(e.contains(want), "{body}: {e}");
        }
        assert_eq!(
            signer(&format!("{token}tsa_url = \"http://t\"\nlevel = \"B-LTA\"")),
            Ok(())
        );
    }
}
