//! Configuration: parsed from TOML and validated without I/O ([`Config::parse`],
//! [`Config::load`]: a `Config` from either has passed [`Config::validate`]), then built into
//! live parts by `desk::build` (signers, trust store, classifier, clock), which every edge
//! shares. Relative paths are relative to the file.

mod types;
mod validate;

pub use types::{
    AuditConfig, CertifyConfig, Config, DigitizeConfig, ExportConfig, HttpConfig, InboxConfig,
    LogConfig, ReportConfig, SignConfig, SignerProfile, StampConfig, TargetRates, TrustConfig,
    UserConfig, WebhookConfig, WEBHOOK_EVENTS,
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
