//! The Debian package: `cargo deb` (as `make deb` runs it, here over the test build's binary)
//! makes a package whose control data, conffile and contents are as the README says;
//! `systemd-analyze verify` accepts its unit without a warning; and, unpacked into a scratch
//! root (`dpkg-deb -x`), the installed binary runs the main job — a scan dropped into the
//! installed inbox, `serve --once`, the paper signed, stored and found, the audit log anchored —
//! from the installed configuration, its absolute paths mapped into the scratch root (what a
//! chroot would do) and the agency's test key put where it says keys go.

use std::path::Path;
use std::process::Command;

use crate::helpers::*;
use crate::serve::files as walk;

fn ok(what: &str, o: &std::process::Output) -> String {
    assert!(o.status.success(), "{what}: {}", text(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `cargo deb` over the binary this test run built (target/debug: the dev profile).
fn build_package(out: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = Command::new(&cargo)
        .args(["deb", "--no-build", "--profile", "dev", "-o"])
        .arg(out)
        .current_dir(root())
        .output()
        .expect("cargo");
    ok("cargo deb (scripts/setup.sh installs cargo-deb)", &o);
}

#[test]
fn the_debian_package_installs_a_hardened_unit_and_runs_the_main_job_from_its_config() {
    let dir = tmp();
    let deb = dir.path().join("sohoa.deb");
    build_package(&deb);

    // control data: the dependencies on Debian's Tesseract, the conffile, the user's creation
    let info = ok(
        "dpkg-deb -I",
        &Command::new("dpkg-deb")
            .arg("-I")
            .arg(&deb)
            .output()
            .unwrap(),
    );
    for want in [
        "Package: sohoa",
        "libtesseract5",
        "tesseract-ocr-vie",
        "adduser",
    ] {
        assert!(
            info.contains(want),
            "{want} not in the control data:\n{info}"
        );
    }
    let ctl = dir.path().join("control");
    ok(
        "dpkg-deb -e",
        &Command::new("dpkg-deb")
            .arg("-e")
            .arg(&deb)
            .arg(&ctl)
            .output()
            .unwrap(),
    );
    assert_eq!(
        std::fs::read_to_string(ctl.join("conffiles"))
            .unwrap()
            .trim(),
        "/etc/sohoa/config.toml"
    );
    let postinst = std::fs::read_to_string(ctl.join("postinst")).unwrap();
    assert!(postinst.contains("adduser --system --group"), "{postinst}");

    // unpacked into a scratch root
    let r = dir.path().join("root");
    ok(
        "dpkg-deb -x",
        &Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(&r)
            .output()
            .unwrap(),
    );
    let unit = r.join("usr/lib/systemd/system/sohoa.service");
    let unit_text = std::fs::read_to_string(&unit).unwrap();
    for want in [
        "User=sohoa",
        "StateDirectory=sohoa",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/sohoa",
        "Restart=on-failure",
        "ExecStart=/usr/bin/sohoa --config /etc/sohoa/config.toml serve",
    ] {
        assert!(unit_text.contains(want), "{want} not in the unit");
    }
    // systemd-analyze: the unit against the system's own units, the binary where it points
    let units = r.join("usr/lib/systemd/system");
    ok(
        "cp the system's units",
        &Command::new("cp")
            .arg("-an")
            .arg("/usr/lib/systemd/system/.")
            .arg(&units)
            .output()
            .unwrap(),
    );
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", r.display()))
        .arg(&unit)
        .output()
        .expect("systemd-analyze (scripts/setup.sh installs systemd)");
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "systemd-analyze verify: {}",
        text(&o)
    );

    // the installed configuration, mapped into the scratch root, with a free port for the API
    let cfg = r.join("etc/sohoa/config.toml");
    let installed = std::fs::read_to_string(&cfg).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mapped = installed
        .replace("\"/etc/sohoa/", &format!("\"{}/etc/sohoa/", r.display()))
        .replace(
            "\"/var/lib/sohoa/",
            &format!("\"{}/var/lib/sohoa/", r.display()),
        )
        .replace("127.0.0.1:8787", &format!("127.0.0.1:{port}"));
    assert_ne!(
        mapped, installed,
        "the installed config has no absolute paths"
    );
    std::fs::write(&cfg, mapped).unwrap();
    // what the IT officer does: the agency's key and the CA certificates where it says
    let keys = r.join("etc/sohoa/keys");
    let trust = r.join("etc/sohoa/trust");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::copy(certs("official-signer.p12"), keys.join("agency.p12")).unwrap();
    std::fs::copy(certs("PASSPHRASE-TEST-ONLY.txt"), keys.join("agency.pass")).unwrap();
    std::fs::copy(certs("root-ca.pem"), trust.join("root-ca.pem")).unwrap();
    std::fs::copy(certs("sub-ca.pem"), trust.join("sub-ca.pem")).unwrap();
    let inbox = r.join("var/lib/sohoa/inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(
        root().join("samples/scans/cccd-ban-sao.png"),
        inbox.join("cccd.png"),
    )
    .unwrap();

    // the main job, by the installed binary from the installed configuration
    let bin = r.join("usr/bin/sohoa");
    let sohoa_installed = |args: &[&str]| {
        Command::new(&bin)
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let o = sohoa_installed(&["serve", "--once", "--poll"]);
    let log = ok("the installed sohoa serve --once", &o);
    let processed = r.join("var/lib/sohoa/processed");
    assert!(
        walk(&processed).iter().any(|p| p.ends_with("cccd.png")),
        "not processed: {log}{}",
        text(&o)
    );
    assert!(std::fs::read_dir(&inbox).unwrap().next().is_none());
    let found = ok(
        "find",
        &sohoa_installed(&["find", "--type", "citizen_id", "--json"]),
    );
    let v: serde_json::Value = serde_json::from_str(&found).unwrap();
    let papers = v.as_array().cloned().unwrap_or_default();
    assert_eq!(papers.len(), 1, "{v:#}");
    assert_eq!(papers[0]["signature_verifies"], true, "{v:#}");
    let audit = ok("audit verify", &sohoa_installed(&["audit", "verify"]));
    assert!(audit.contains("audit log intact"), "{audit}");
    // the service anchored the log as it stopped, into the installed store
    assert!(
        walk(&r.join("var/lib/sohoa/store/records/audit-checkpoints"))
            .iter()
            .any(|p| p.ends_with(".json")),
        "no checkpoint"
    );
}
