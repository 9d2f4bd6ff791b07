//! Hand-off, checking a dossier package offline (`sohoa verify-package`): the manifest's detached
//! signature (CAdES, RFC 5652), every member's SHA-256 against the manifest, every PDF's own
//! signatures (the same checks as `sohoa verify`), and nothing in the ZIP that the manifest does
//! not list. The package is untrusted: members are read through bounds, spooled to temporary
//! files, never extracted by name. A package found wrong is a report naming the member.

use std::io::{Read, Seek, Write};

use serde::Serialize;

use super::manifest::{safe_member_name, Manifest};
use super::{Limits, PackageError, MANIFEST, MANIFEST_SIGNATURE};
use crate::pki::digest::{sha256_stream, StreamError};
use crate::verify::detached::{verify_detached, DetachedReport};
use crate::verify::{verify_source, FileReport, VerifyOptions};

/// One member as the check found it.
#[derive(Clone, Debug, Serialize)]
pub struct MemberReport {
    pub name: String,
    /// The manifest lists it (the manifest and its signature count as listed).
    pub listed: bool,
    pub bytes: u64,
    pub sha256: Option<String>,
    /// For a PDF the manifest lists: the verification of its signatures.
    pub pdf: Option<FileReport>,
    pub valid: bool,
    pub problems: Vec<String>,
}

/// The verdict on a package: `valid` is the bottom line; each problem names its member.
#[derive(Clone, Debug, Serialize)]
pub struct PackageReport {
    pub file: String,
    pub valid: bool,
    pub manifest: Option<Manifest>,
    pub manifest_signature: Option<DetachedReport>,
    pub members: Vec<MemberReport>,
    pub problems: Vec<String>,
}

/// Reads member `i` into `sink` through the limits: `(sha256, bytes)`, or why it could not be
/// read (a CRC error, a broken stream, too big).
fn read_member<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    i: usize,
    max: u64,
    sink: &mut dyn Write,
) -> Result<(String, u64), String> {
    let f = zip.by_index(i).map_err(|e| e.to_string())?;
    if f.encrypted() {
        return Err("it is encrypted".into());
    }
    if f.size() > max {
        return Err(format!(
            "it declares {} bytes; at most {max} are read",
            f.size()
        ));
    }
    let mut bounded = f.take(max + 1);
    let (sha, n) =
        sha256_stream(&mut bounded, |chunk, _| sink.write_all(chunk)).map_err(|e| match e {
            StreamError::Read { source, .. } => format!("it cannot be read: {source}"),
            StreamError::Chunk(source) => format!("it cannot be spooled: {source}"),
        })?;
    if n > max {
        return Err(format!("it holds more than {max} bytes"));
    }
    Ok((sha, n))
}

/// Checks the package `file` read from `reader`. `Err`: it could not be read as a ZIP at all,
/// or it is over the limits; otherwise the report says what is wrong, member by member.
pub fn check_package<R: Read + Seek>(
    file: &str,
    reader: R,
    opts: &VerifyOptions,
    limits: &Limits,
) -> Result<PackageReport, PackageError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| PackageError::NotZip {
        file: file.to_string(),
        reason: e.to_string(),
    })?;
    if zip.len() > limits.max_members {
        return Err(PackageError::TooBig {
            file: file.to_string(),
            what: format!(
                "{} members; a package holds at most {}",
                zip.len(),
                limits.max_members
            ),
        });
    }
    let mut report = PackageReport {
        file: file.to_string(),
        valid: false,
        manifest: None,
        manifest_signature: None,
        members: Vec::new(),
        problems: Vec::new(),
    };
    if zip.has_duplicate_names() {
        report
            .problems
            .push("two members of the ZIP have the same name".into());
    }
    if zip.has_overlapping_files().unwrap_or(true) {
        report
            .problems
            .push("members of the ZIP overlap (a crafted archive)".into());
    }

    // The manifest and its signature first: they say what the rest must be.
    let small = |zip: &mut zip::ZipArchive<R>, name: &str| -> Result<Vec<u8>, String> {
        let i = zip
            .index_for_name(name)
            .ok_or_else(|| "missing from the package".to_string())?;
        let mut v = Vec::new();
        read_member(zip, i, limits.max_manifest_bytes, &mut v)?;
        Ok(v)
    };
    let manifest_bytes = small(&mut zip, MANIFEST);
    let signature = small(&mut zip, MANIFEST_SIGNATURE);
    let manifest = match &manifest_bytes {
        Ok(b) => Manifest::parse(b).map_err(|e| e.to_string()),
        Err(e) => Err(format!("{MANIFEST}: {e}")),
    };
    match &manifest {
        Ok(m) => report.manifest = Some(m.clone()),
        Err(e) => report.problems.push(e.clone()),
    }
    match (&manifest_bytes, &signature) {
        (Ok(m), Ok(sig)) => {
            let s = verify_detached(sig, m, opts);
            if !s.intact {
                report.problems.push(format!(
                    "{MANIFEST}: changed since it was signed (its digest does not match {MANIFEST_SIGNATURE})"
                ));
            }
            if !s.valid {
                report.problems.push(format!(
                    "{MANIFEST_SIGNATURE}: the manifest's signature is not valid: {}",
                    s.problems.join("; ")
                ));
            }
            report.manifest_signature = Some(s);
        }
        (_, Err(e)) => report.problems.push(format!("{MANIFEST_SIGNATURE}: {e}")),
        _ => {}
    }

    let mut total = 0u64;
    for i in 0..zip.len() {
        let name = match zip.name_for_index(i) {
            Some(Ok(n)) => n.to_string(),
            _ => format!("(member {i}: an unreadable name)"),
        };
        if name == MANIFEST || name == MANIFEST_SIGNATURE {
            continue;
        }
        let m = manifest.as_ref().ok();
        let paper = m.and_then(|m| m.papers.iter().find(|p| p.file == name));
        let portal = m
            .and_then(|m| m.portal_view.as_ref())
            .filter(|p| p.file == name);
        let mut member = MemberReport {
            name: name.clone(),
            listed: paper.is_some() || portal.is_some(),
            bytes: 0,
            sha256: None,
            pdf: None,
            valid: false,
            problems: Vec::new(),
        };
        if !safe_member_name(&name) {
            member
                .problems
                .push("its name is not a plain relative path".into());
        }
        if !member.listed {
            member
                .problems
                .push("the manifest does not list it: it was added to the package".into());
        }
        let expected = paper
            .map(|p| (p.sha256.as_str(), p.bytes))
            .or(portal.map(|p| (p.sha256.as_str(), u64::MAX)));
        if let (true, Some((want_sha, want_bytes))) = (member.problems.is_empty(), expected) {
            let mut spool = tempfile::tempfile().map_err(|source| PackageError::Io {
                file: format!("{file}: a temporary file for {name}"),
                source,
            })?;
            match read_member(&mut zip, i, limits.max_member_bytes, &mut spool) {
                Err(e) => member.problems.push(e),
                Ok((sha, n)) => {
                    total += n;
                    member.bytes = n;
                    if sha != want_sha {
                        member.problems.push(format!(
                            "its SHA-256 is {sha}; the manifest says {want_sha}"
                        ));
                    } else if want_bytes != u64::MAX && n != want_bytes {
                        member.problems.push(format!(
                            "it holds {n} bytes; the manifest says {want_bytes}"
                        ));
                    }
                    member.sha256 = Some(sha);
                    if paper.is_some() {
                        let open = || {
                            let mut f = spool.try_clone()?;
                            f.rewind()?;
                            Ok(std::io::BufReader::new(f))
                        };
                        match verify_source(&name, open, opts) {
                            Ok(r) => {
                                if !r.valid {
                                    let why: Vec<String> = r
                                        .problems
                                        .iter()
                                        .chain(r.signatures.iter().flat_map(|s| &s.problems))
                                        .cloned()
                                        .collect();
                                    member.problems.push(format!(
                                        "its signatures do not verify: {}",
                                        why.join("; ")
                                    ));
                                }
                                member.pdf = Some(r);
                            }
                            Err(e) => member
                                .problems
                                .push(format!("its signatures could not be checked: {e}")),
                        }
                    }
                }
            }
            if total > limits.max_total_bytes {
                return Err(PackageError::TooBig {
                    file: file.to_string(),
                    what: format!(
                        "its members hold more than {} bytes",
                        limits.max_total_bytes
                    ),
                });
            }
        }
        member.valid = member.problems.is_empty();
        report.members.push(member);
    }
    if let Ok(m) = &manifest {
        let listed = m
            .papers
            .iter()
            .map(|p| &p.file)
            .chain(m.portal_view.iter().map(|p| &p.file));
        for f in listed {
            if !report.members.iter().any(|x| &x.name == f) {
                report.problems.push(format!(
                    "{f}: the manifest lists it; the package does not hold it"
                ));
            }
        }
        if m.papers.is_empty() {
            report
                .problems
                .push(format!("{MANIFEST}: the package holds no paper"));
        }
    }
    report.valid = report.problems.is_empty() && report.members.iter().all(|m| m.valid);
    Ok(report)
}

impl PackageReport {
    /// Every problem, each naming its member: the package's, then the members'.
    pub fn all_problems(&self) -> Vec<String> {
        self.problems
            .iter()
            .cloned()
            .chain(
                self.members
                    .iter()
                    .flat_map(|m| m.problems.iter().map(move |p| format!("{}: {p}", m.name))),
            )
            .collect()
    }
}
