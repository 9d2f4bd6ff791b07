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
        let i = &self.inbox;
        let secs_ok = |v: f64, max: f64| v.is_finite() && (0.0..=max).contains(&v);
        if !secs_ok(i.stable_seconds, 3600.0)
            || !secs_ok(i.settle_seconds, 3600.0)
            || !secs_ok(i.poll_seconds, 3600.0)
            || i.poll_seconds < 0.05
            || !secs_ok(i.retry_seconds, 86_400.0)
        {
            return Err(bad(
                "[inbox] stable_seconds, settle_seconds and poll_seconds must be within 0 to 3600 (poll at least 0.05), retry_seconds within 0 to 86400".into(),
            ));
        }
        if i.queue == 0 || i.queue > 10_000 || i.workers > 256 || i.max_attempts == 0 {
            return Err(bad(
                "[inbox] queue must be 1 to 10000, workers at most 256, max_attempts at least 1"
                    .into(),
            ));
        }
        if i.max_file_bytes < 1024 {
            return Err(bad("[inbox] max_file_bytes must be at least 1024".into()));
        }
        let same = |a: &std::path::Path, b: &std::path::Path| a == b;
        if same(&i.path, &i.processed) || same(&i.path, &i.failed) || same(&i.processed, &i.failed)
        {
            return Err(bad(
                "[inbox] path, processed and failed must be three different folders".into(),
            ));
        }
        if i.processed.starts_with(&i.path) || i.failed.starts_with(&i.path) {
            return Err(bad(
                "[inbox] processed and failed must not be inside the inbox (their files would be taken again)".into(),
            ));
        }
        let upload_ok = (1024..=1 << 30).contains(&self.http.max_upload_bytes);
        let timeout_ok = self.http.timeout_seconds.is_finite()
            && (0.1..=3600.0).contains(&self.http.timeout_seconds);
        let session_ok = self.http.session_hours.is_finite()
            && (0.01..=720.0).contains(&self.http.session_hours);
        if !(upload_ok && timeout_ok && session_ok) {
            return Err(bad(
                "[http] max_upload_bytes must be 1 KiB to 1 GiB, timeout_seconds 0.1 to 3600 and session_hours 0.01 to 720"
                    .into(),
            ));
        }
        for (name, u) in &self.users {
            if !matches!(
                u.role.as_str(),
                "operator" | "officer" | "auditor" | "admin"
            ) {
                return Err(bad(format!(
                    "[users.{name}] role = \"{}\": use operator, officer, auditor or admin",
                    u.role
                )));
            }
            if let Some(t) = &u.token_sha256 {
                if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad(format!(
                        "[users.{name}] token_sha256 must be 64 hex digits (the SHA-256 of the token; `sohoa user token {name}` makes one)"
                    )));
                }
            }
            if let Some(p) = &u.password_argon2 {
                let ok = argon2::password_hash::PasswordHash::new(p)
                    .is_ok_and(|h| h.algorithm.as_str() == "argon2id");
                if !ok {
                    return Err(bad(format!(
                        "[users.{name}] password_argon2 must be an Argon2id hash ($argon2id$…; `sohoa user password {name}` makes one)"
                    )));
                }
            }
            if u.token_sha256.is_none() && u.password_argon2.is_none() {
                return Err(bad(format!(
                    "[users.{name}]: give token_sha256 or password_argon2 (or both), or the user cannot sign in"
                )));
            }
            if matches!(u.role.as_str(), "operator" | "officer") && u.units.is_empty() {
                return Err(bad(format!(
                    "[users.{name}]: an {} needs units = [\"…\"] (the units they work for)",
                    u.role
                )));
            }
        }
        for (name, p) in &self.signers {
            validate_signer(name, p).map_err(bad)?;
            if let Some(st) = &p.stamp {
                validate_stamp(name, st).map_err(bad)?;
            }
        }
        for (key, v) in [
            ("[store] signer", &self.store.signer),
            ("[store] agency_signer", &self.store.agency_signer),
            ("[certify] officer_signer", &self.certify.officer_signer),
            ("[certify] agency_signer", &self.certify.agency_signer),
            ("[export] signer", &self.export.signer),
            ("[audit] signer", &self.audit.signer),
        ] {
            if let Some(name) = v {
                if !self.signers.contains_key(name) {
                    return Err(bad(format!(
                        "{key} = \"{name}\" but there is no [signers.{name}]"
                    )));
                }
            }
        }
        self.index_location()?;
        self.store_location()?;
        let l = self.inbox.lease_seconds;
        if !l.is_finite() || !(3.0..=86_400.0).contains(&l) {
            return Err(bad(format!(
                "[inbox] lease_seconds = {l}: seconds, from 3 to 86400"
            )));
        }
        if let Some(n) = &self.inbox.node {
            if n.is_empty() || n.len() > 128 || n.chars().any(char::is_control) {
                return Err(bad(format!(
                    "[inbox] node = {n:?}: a name of 1 to 128 printable characters"
                )));
            }
        }
        if self.certify.book.trim().is_empty() || self.certify.book.len() > 64 {
            return Err(bad("[certify] book: a name of 1 to 64 characters".into()));
        }
        let h = self.store.renew_every_hours;
        if !h.is_finite() || h < 0.0 {
            return Err(bad(format!(
                "[store] renew_every_hours = {h}: hours, 0 (never) or more"
            )));
        }
        if !matches!(self.log.format.as_str(), "auto" | "human" | "json") {
            return Err(bad(format!(
                "[log] format = {:?}: \"auto\", \"human\" or \"json\"",
                self.log.format
            )));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return Err(bad(format!(
                "[log] level = {:?}: not a level or filter ({e}); e.g. \"info\"",
                self.log.level
            )));
        }
        for w in &self.webhooks {
            validate_webhook(w).map_err(|e| bad(format!("[[webhooks]] url = {:?}: {e}", w.url)))?;
        }
        let m = self.audit.checkpoint_every_minutes;
        if !m.is_finite() || m < 0.0 {
            return Err(bad(format!(
                "[audit] checkpoint_every_minutes = {m}: minutes, 0 (only when serve stops) or more"
            )));
        }
        validate_report(&self.report).map_err(bad)?;
        for (t, code) in &self.export.component_codes {
            if code.trim().is_empty() || code.len() > 64 || code.chars().any(char::is_control) {
                return Err(bad(format!(
                    "[export.component_codes] \"{t}\" = {code:?}: a code of 1 to 64 printable characters"
                )));
            }
        }
        Ok(())
    }
}

/// `[[webhooks]]`: a plain-HTTP URL, known kinds, one secret source, sane numbers.
fn validate_webhook(w: &super::WebhookConfig) -> Result<(), String> {
    let rest = w.url.strip_prefix("http://").ok_or(
        "an http:// URL (for https, a TLS-terminating proxy on this machine forwards to the receiver)",
    )?;
    if rest.is_empty() || rest.starts_with('/') || w.url.chars().any(char::is_whitespace) {
        return Err("the URL names no host".into());
    }
    for e in &w.events {
        if !super::WEBHOOK_EVENTS.contains(&e.as_str()) {
            return Err(format!(
                "events: {e:?} is not one of {}",
                super::WEBHOOK_EVENTS.join(", ")
            ));
        }
    }
    if w.secret_file.is_some() == w.secret_env.is_some() {
        return Err("set one of secret_file or secret_env (the HMAC key)".into());
    }
    for (key, v, min) in [
        ("timeout_seconds", w.timeout_seconds, 0.1),
        ("backoff_seconds", w.backoff_seconds, 0.0),
        ("max_backoff_seconds", w.max_backoff_seconds, 0.0),
    ] {
        if !v.is_finite() || v < min || v > 30.0 * 86_400.0 {
            return Err(format!("{key} = {v}: seconds, from {min}"));
        }
    }
    if !(1..=100).contains(&w.max_attempts) {
        return Err(format!("max_attempts = {}: 1 to 100", w.max_attempts));
    }
    Ok(())
}

/// `[report]`: every level named has targets, every target is a percentage.
fn validate_report(r: &super::ReportConfig) -> Result<(), String> {
    for (level, t) in &r.targets {
        for (key, v) in [
            ("digitization_rate", t.digitization_rate),
            ("signing_rate", t.signing_rate),
            ("reuse_rate", t.reuse_rate),
        ] {
            if let Some(v) = v.filter(|v| !(v.is_finite() && (0.0..=100.0).contains(v))) {
                return Err(format!(
                    "[report.targets.{level}] {key} = {v}: a percentage, 0 to 100"
                ));
            }
        }
    }
    let named = r
        .default_level
        .iter()
        .map(|l| ("[report] default_level".to_string(), l))
        .chain(
            r.unit_levels
                .iter()
                .map(|(u, l)| (format!("[report.unit_levels] \"{u}\""), l)),
        );
    for (key, level) in named {
        if !r.targets.contains_key(level) {
            return Err(format!(
                "{key} = \"{level}\" but there is no [report.targets.{level}]"
            ));
        }
    }
    Ok(())
}

/// One `[signers.NAME.stamp]`: values in range, lines that name known fields.
fn validate_stamp(name: &str, st: &super::StampConfig) -> Result<(), String> {
    let at = format!("[signers.{name}.stamp]");
    if let Some(size) = st.size {
        if !(4.0..=72.0).contains(&size) {
            return Err(format!("{at} size = {size}: points, 4 to 72"));
        }
    }
    if let Some(m) = st.margin_mm {
        if !(0.0..=100.0).contains(&m) {
            return Err(format!("{at} margin_mm = {m}: millimetres, 0 to 100"));
        }
    }
    if let Some(c) = &st.color {
        if crate::sign::appearance::presets::parse_color(c).is_none() {
            return Err(format!("{at} color = \"{c}\": write it as \"#RRGGBB\""));
        }
    }
    if let Some(lines) = &st.lines {
        if lines.is_empty() || lines.len() > 40 {
            return Err(format!("{at} lines: 1 to 40 lines"));
        }
        let known = [
            "name", "org", "time", "date", "reason", "location", "number", "book", "officer",
        ];
        let values: Vec<(&str, String)> = known.iter().map(|k| (*k, String::new())).collect();
        for l in lines {
            crate::sign::appearance::fill(l, &values).map_err(|e| format!("{at} {e}"))?;
        }
    }
    Ok(())
}

/// One `[signers.NAME]`: exactly one key source, and the settings it needs.
fn validate_signer(name: &str, p: &super::SignerProfile) -> Result<(), String> {
    use crate::sign::Level;
    let pem = p.key.is_some() || p.cert.is_some();
    let token = p.pkcs11_module.is_some();
    match (p.pkcs12.is_some(), token, pem) {
        (true, true, _) | (true, _, true) => {
            return Err(format!(
                "[signers.{name}]: give one key source: pkcs12, key + cert, or pkcs11_module"
            ))
        }
        (false, false, false) => {
            return Err(format!(
                "[signers.{name}]: no key: set pkcs12, key and cert, or pkcs11_module"
            ))
        }
        (false, false, true) if p.key.is_none() || p.cert.is_none() => {
            return Err(format!("[signers.{name}]: key and cert go together"))
        }
        (false, true, _) if p.key.is_some() => {
            return Err(format!(
            "[signers.{name}]: a token's key stays on the token: use key_id or key_label, not key"
        ))
        }
        _ => {}
    }
    if !token {
        for (k, set) in [
            ("token_label", p.token_label.is_some()),
            ("token_serial", p.token_serial.is_some()),
            ("key_id", p.key_id.is_some()),
            ("key_label", p.key_label.is_some()),
            ("pin_env", p.pin_env.is_some()),
            ("pin_file", p.pin_file.is_some()),
        ] {
            if set {
                return Err(format!(
                    "[signers.{name}]: {k} is for a token: set pkcs11_module"
                ));
            }
        }
    }
    if p.token_label.is_some() && p.token_serial.is_some() {
        return Err(format!(
            "[signers.{name}]: name the token by token_label or token_serial, not both"
        ));
    }
    if let Some(id) = &p.key_id {
        if hex::decode(id.replace(':', "")).map_or(true, |b| b.is_empty()) {
            return Err(format!(
                "[signers.{name}] key_id = \"{id}\": a CKA_ID in hex (e.g. \"01\" or \"a1:b2\")"
            ));
        }
    }
    if p.pin_env.is_some() && p.pin_file.is_some() {
        return Err(format!(
            "[signers.{name}]: set pin_env or pin_file, not both"
        ));
    }
    for (k, url) in [
        ("tsa_url", &p.tsa_url),
        ("archive_tsa_url", &p.archive_tsa_url),
    ] {
        if let Some(url) = url {
            if !url.starts_with("http://") {
                return Err(format!(
                    "[signers.{name}] {k} = \"{url}\": only http:// TSAs are supported (RFC 3161 replies are signed; VGCA's TSA is plain HTTP)"
                ));
            }
        }
    }
    if let Some(level) = p.level {
        if level >= Level::BT && p.tsa_url.is_none() {
            return Err(format!("[signers.{name}] level = \"{level}\" needs a tsa_url (B-T and above are timestamped)"));
        }
    }
    Ok(())
}
