//! Signing with keys on a PKCS#11 token: a real SoftHSM2 token (Debian `softhsm2`) in a
//! temporary folder, the test PKI's keys and certificates imported with `softhsm2-util` and
//! `pkcs11-tool` (OpenSC). sohoa signs from the CLI and from the service; pyHanko and pdfsig
//! accept it; pyHanko signs through the same token and sohoa verifies it; a wrong PIN, a
//! missing token or key, and a token pulled out and put back each give a clear answer and
//! lose nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers::*;

/// Debian's SoftHSM2 module.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The test tokens' user PIN (TEST ONLY) and security officer PIN.
pub const PIN: &str = "246810";
const SO_PIN: &str = "13579135";

/// A SoftHSM2 token folder of its own (`SOFTHSM2_CONF` points at its configuration).
pub struct SoftHsm {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    /// A file holding [`PIN`], mode 600.
    pub pin_file: PathBuf,
}

fn ok(what: &str, o: std::io::Result<Output>) -> Output {
    let o = o.unwrap_or_else(|e| panic!("{what}: {e} (run scripts/setup.sh)"));
    assert!(o.status.success(), "{what}: {}", text(&o));
    o
}

impl SoftHsm {
    pub fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tmp();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir_all(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        let pin_file = dir.path().join("pin.txt");
        std::fs::write(&pin_file, PIN).unwrap();
        std::fs::set_permissions(&pin_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        Self {
            dir,
            conf,
            pin_file,
        }
    }

    /// A command with `SOFTHSM2_CONF` set to this folder's configuration.
    pub fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("SOFTHSM2_CONF", &self.conf);
        c
    }

    /// `sohoa ARGS…` seeing this token folder, the PIN in `$SOHOA_TEST_PIN`.
    pub fn sohoa(&self, args: &[&str]) -> Output {
        self.cmd(env!("CARGO_BIN_EXE_sohoa"))
            .args(args)
            .env("SOHOA_TEST_PIN", PIN)
            .current_dir(root())
            .output()
            .expect("run sohoa")
    }

    /// Makes token `label` holding, for each `(name, id)`, the key of `certs-test/NAME` with
    /// CKA_ID `id` and CKA_LABEL `name`, and its certificate with the same id and label; and
    /// the sub-CA's certificate (id ff). Returns the token's folder (to pull it out).
    pub fn token(&self, label: &str, keys: &[(&str, &str)]) -> PathBuf {
        let tokens = self.dir.path().join("tokens");
        let before: Vec<_> = std::fs::read_dir(&tokens)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        ok(
            "softhsm2-util --init-token",
            self.cmd("softhsm2-util")
                .args([
                    "--init-token",
                    "--free",
                    "--label",
                    label,
                    "--pin",
                    PIN,
                    "--so-pin",
                    SO_PIN,
                ])
                .output(),
        );
        let folder = std::fs::read_dir(&tokens)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| !before.contains(p))
            .expect("the new token's folder");
        let work = self.dir.path();
        for (name, id) in keys {
            let key = work.join(format!("{name}.key.pem"));
            ok(
                "openssl pkcs8 (decrypt the test key)",
                Command::new("openssl")
                    .args(["pkcs8", "-in"])
                    .arg(certs(&format!("{name}.key.pem")))
                    .arg("-passin")
                    .arg(format!("file:{}", passphrase_file().display()))
                    .arg("-out")
                    .arg(&key)
                    .output(),
            );
            ok(
                "softhsm2-util --import",
                self.cmd("softhsm2-util")
                    .arg("--import")
                    .arg(&key)
                    .args(["--token", label, "--label", name, "--id", id, "--pin", PIN])
                    .output(),
            );
            std::fs::remove_file(&key).unwrap();
            self.write_cert(label, &format!("{name}.pem"), id, name);
        }
        self.write_cert(label, "sub-ca.pem", "ff", "sub-ca");
        folder
    }

    fn write_cert(&self, token: &str, pem: &str, id: &str, label: &str) {
        let der = self.dir.path().join(format!("{label}.der"));
        ok(
            "openssl x509 -outform DER",
            Command::new("openssl")
                .args(["x509", "-outform", "DER", "-in"])
                .arg(certs(pem))
                .arg("-out")
                .arg(&der)
                .output(),
        );
        ok(
            "pkcs11-tool --write-object",
            self.cmd("pkcs11-tool")
                .args([
                    "--module",
                    MODULE,
                    "--token-label",
                    token,
                    "--login",
                    "--pin",
                    PIN,
                ])
                .arg("--write-object")
                .arg(&der)
                .args(["--type", "cert", "--id", id, "--label", label])
                .output(),
        );
    }

    /// A config.toml in this folder: profile `tok` on token `label` (and `extra` lines in
    /// it), default signer, trusting the test root and sub-CA with their CRLs.
    pub fn config(&self, label: &str, extra: &str) -> PathBuf {
        let cfg = self.dir.path().join("config.toml");
        std::fs::write(
            &cfg,
            format!(
                "[sign]\ndefault_signer = \"tok\"\n\
                 [signers.tok]\npkcs11_module = \"{MODULE}\"\ntoken_label = \"{label}\"\n\
                 pin_file = \"{}\"\n{extra}\n\
                 [trust]\nanchors = [{:?}]\nintermediates = [{:?}]\ncrls = [{:?}, {:?}]\n",
                self.pin_file.display(),
                certs("root-ca.pem"),
                certs("sub-ca.pem"),
                certs("sub-ca.crl"),
                certs("root-ca.crl"),
            ),
        )
        .unwrap();
        cfg
    }
}

/// `file` verifies (trusting the test root) and is signed by someone named `who`.
fn verified_by(file: &Path, who: &str) {
    let (code, r) = verify_json(file, &["--trust", certs("root-ca.pem").to_str().unwrap()]);
    assert_eq!(code, 0, "{r:#}");
    let signer = r["signatures"][0]["signer"].to_string();
    assert!(signer.contains(who), "{who:?} is not the signer: {r:#}");
}

fn cfg_sign(hsm: &SoftHsm, cfg: &Path, input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--config",
        cfg.to_str().unwrap(),
        "sign",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    hsm.sohoa(&args)
}

#[test]
fn a_softhsm2_token_signs_b_t_and_b_lta_and_pyhanko_pdfsig_and_sohoa_accept_it() {
    let hsm = SoftHsm::new();
    hsm.token("SOHOA TEST RSA", &[("official-signer", "01")]);
    hsm.token("SOHOA TEST EC", &[("ecdsa-p384-signer", "0a")]);
    // `token list`: the tokens, their certificates, and with the PIN their keys.
    let o = hsm.sohoa(&[
        "token",
        "list",
        "--module",
        MODULE,
        "--pin-env",
        "SOHOA_TEST_PIN",
    ]);
    let listing = text(&o);
    assert!(o.status.success(), "{listing}");
    for want in [
        "SOHOA TEST RSA",
        "SOHOA TEST EC",
        "Nguyễn Thị Hường (TEST)",
        "private key \"official-signer\" CKA_ID 01",
    ] {
        assert!(listing.contains(want), "{want:?} not in:\n{listing}");
    }
    assert!(!listing.contains(PIN), "the PIN is printed: {listing}");
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let tsa = TestTsa::start();
    let archive = TestTsa::start_as("archive-tsa");
    // RSA key found by its CKA_ID, certificate and chain from the token; B-T.
    let cfg = hsm.config("SOHOA TEST RSA", "key_id = \"01\"");
    let bt = d.path().join("token-b-t.pdf");
    let o = cfg_sign(&hsm, &cfg, &input, &bt, &["--tsa", &tsa.url, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let (code, out) = pyhanko_validate(&bt, &certs("root-ca.pem"));
    assert_eq!(code, 0, "pyHanko: {out}");
    let pdfsig_out = pdfsig(&bt);
    assert!(pdfsig_out.contains("Signature is Valid"), "{pdfsig_out}");
    assert!(
        pdfsig_out.contains("Certificate is Trusted"),
        "{pdfsig_out}"
    );
    let (code, r) = verify_json(&bt, &["--trust", certs("root-ca.pem").to_str().unwrap()]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["signatures"][0]["pades"]["level"], "B-T", "{r:#}");
    // EC P-384 key, the only key on its token (no key_id); B-LTA in one go.
    let cfg = hsm.config("SOHOA TEST EC", "");
    let blta = d.path().join("token-b-lta.pdf");
    let o = cfg_sign(
        &hsm,
        &cfg,
        &input,
        &blta,
        &[
            "--tsa",
            &tsa.url,
            "--archive-tsa",
            &archive.url,
            "--level",
            "B-LTA",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    drop((tsa, archive));
    let (code, r) = verify_json(
        &blta,
        &["--ltv", "--trust", certs("root-ca.pem").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["signatures"][0]["pades"]["level"], "B-LTA", "{r:#}");
    assert!(
        r["signatures"][0]["algorithm"]
            .to_string()
            .contains("P-384")
            || r.to_string().contains("P-384"),
        "{r:#}"
    );
    let (code, out) = pyhanko_validate(&blta, &certs("root-ca.pem"));
    assert_eq!(code, 0, "pyHanko: {out}");
}

#[test]
fn pyhanko_signs_through_the_same_token_and_sohoa_verifies_it() {
    let hsm = SoftHsm::new();
    hsm.token("SOHOA TEST PYHANKO", &[("official-signer", "01")]);
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let setup = d.path().join("pyhanko.yml");
    std::fs::write(
        &setup,
        format!(
            "pkcs11-setups:\n  test:\n    module-path: {MODULE}\n    token-criteria:\n      label: SOHOA TEST PYHANKO\n    cert-label: official-signer\n    key-label: official-signer\n    user-pin: \"{PIN}\"\n    other-certs-to-pull: [sub-ca]\n"
        ),
    )
    .unwrap();
    let out = d.path().join("pyhanko-token.pdf");
    let o = hsm
        .cmd(venv_bin("pyhanko"))
        .arg("--config")
        .arg(&setup)
        .args([
            "sign",
            "addsig",
            "--field",
            "Sig1",
            "pkcs11",
            "--p11-setup",
            "test",
        ])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "pyhanko addsig pkcs11: {}", text(&o));
    verified_by(&out, "Nguyễn Thị Hường");
}

#[test]
fn wrong_pin_missing_token_missing_key_and_a_readable_pin_file_are_refused_clearly() {
    use std::os::unix::fs::PermissionsExt;
    let hsm = SoftHsm::new();
    hsm.token(
        "SOHOA TEST ERR",
        &[("official-signer", "01"), ("org-signer", "02")],
    );
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let out = d.path().join("out.pdf");
    let refused = |cfg: &Path, want: &[&str]| {
        let o = cfg_sign(&hsm, cfg, &input, &out, &[]);
        let msg = text(&o);
        assert_eq!(o.status.code(), Some(2), "{msg}");
        for w in want {
            assert!(msg.contains(w), "{w:?} not in: {msg}");
        }
        assert!(!msg.contains(PIN), "the PIN is printed: {msg}");
        assert!(!out.exists(), "a file was written");
    };
    // Two keys and no key_id: which one?
    refused(
        &hsm.config("SOHOA TEST ERR", ""),
        &["several private keys", "official-signer", "org-signer"],
    );
    refused(
        &hsm.config("SOHOA TEST ERR", "key_id = \"99\""),
        &["no private key with CKA_ID 99"],
    );
    refused(
        &hsm.config("SOHOA TEST NOPE", "key_id = \"01\""),
        &["token \"SOHOA TEST NOPE\" is not present"],
    );
    // A wrong PIN: said once, not tried again; the right PIN still works after it (the
    // token was not locked by retries).
    let wrong = d.path().join("wrong-pin.txt");
    std::fs::write(&wrong, "000000").unwrap();
    std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cfg = hsm.config("SOHOA TEST ERR", "key_id = \"01\"");
    let text_cfg = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text_cfg.replace(hsm.pin_file.to_str().unwrap(), wrong.to_str().unwrap()),
    )
    .unwrap();
    refused(&cfg, &["PIN is wrong", "does not try it again"]);
    std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused(
        &cfg,
        &["group or others may read this PIN file", "chmod 600"],
    );
    let cfg = hsm.config("SOHOA TEST ERR", "key_id = \"02\"");
    let o = cfg_sign(&hsm, &cfg, &input, &out, &[]);
    assert!(o.status.success(), "{}", text(&o));
    verified_by(&out, "Sở Nông nghiệp");
    // No PIN source and no terminal: said, not hung.
    let cfg = hsm.config("SOHOA TEST ERR", "key_id = \"01\"");
    let text_cfg = std::fs::read_to_string(&cfg).unwrap();
    let no_pin: String = text_cfg
        .lines()
        .filter(|l| !l.starts_with("pin_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&cfg, no_pin).unwrap();
    let o = hsm
        .cmd(env!("CARGO_BIN_EXE_sohoa"))
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "sign",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no terminal"), "{}", text(&o));
}

/// The service signs through one token session; the token pulled out: the next scan waits in
/// the inbox (retried, said why), nothing goes to failed/; put back: it is signed and stored.
#[test]
fn the_service_signs_with_a_token_waits_while_it_is_pulled_out_and_resumes_when_it_is_back() {
    use crate::serve::files;
    use std::time::{Duration, Instant};
    const UNIT: &str = "000.00.10.H59";
    let hsm = SoftHsm::new();
    let folder = hsm.token("SOHOA TEST SERVICE", &[("official-signer", "01")]);
    let desk = hsm.dir.path().join("desk");
    std::fs::create_dir_all(desk.join("inbox").join(UNIT)).unwrap();
    let cfg = store_config(
        &desk,
        UNIT,
        &format!(
            "signer = \"tok\"\n[signers.tok]\npkcs11_module = \"{MODULE}\"\n\
             token_label = \"SOHOA TEST SERVICE\"\nkey_id = \"01\"\npin_file = \"{}\"\n\
             [inbox]\nstable_seconds = 0.3\npoll_seconds = 0.2\nworkers = 2\nretry_seconds = 0.5\n",
            hsm.pin_file.display()
        ),
    );
    let log = desk.join("serve.log");
    let mut child = hsm
        .cmd(env!("CARGO_BIN_EXE_sohoa"))
        .args(["--config", cfg.to_str().unwrap(), "serve", "--poll"])
        .current_dir(root())
        // the service logs to standard error
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let scan = read(&root().join("samples/scans/cccd-ban-sao.png"));
    let drop_scan = |name: &str| {
        let mut b = scan.clone();
        b.extend_from_slice(name.as_bytes()); // other bytes, not a re-scan of the same file
        std::fs::write(desk.join("inbox").join(UNIT).join(name), b).unwrap();
    };
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        let t = Instant::now();
        while !done() {
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "{what}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let stored = |n: &str| {
        files(&desk.join("processed"))
            .iter()
            .any(|f| f.ends_with(n))
    };
    drop_scan("a.png");
    wait("a.png stored", &|| stored("a.png"));
    // Pulled out: the folder SoftHSM2 keeps the token in is gone.
    let away = hsm.dir.path().join("pulled-out");
    std::fs::rename(&folder, &away).unwrap();
    drop_scan("b.png");
    wait("a retry for b.png", &|| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("retry")
    });
    let said = std::fs::read_to_string(&log).unwrap();
    eprintln!("{said}");
    assert!(said.contains("SOHOA TEST SERVICE"), "{said}");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!stored("b.png"), "signed without the token?");
    assert!(
        files(&desk.join("failed")).is_empty(),
        "{:?}",
        files(&desk.join("failed"))
    );
    assert!(files(&desk.join("inbox"))
        .iter()
        .any(|f| f.ends_with("b.png")));
    // Put back: the same service signs it.
    std::fs::rename(&away, &folder).unwrap();
    wait("b.png stored after the token came back", &|| {
        stored("b.png")
    });
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(files(&desk.join("failed")).is_empty());
    let o = sohoa(&["--config", cfg.to_str().unwrap(), "store", "check"]);
    assert!(o.status.success(), "{}", text(&o));
}
