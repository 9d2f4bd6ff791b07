//! Webhooks, the events (pure): their ids, kinds and JSON bodies.

use serde_json::json;

use crate::index::NewEvent;
use crate::ingest::StoredPaper;
use crate::pki::digest::DigestAlg;

pub const PAPER_STORED: &str = "paper.stored";
pub const DOSSIER_COMPLETE: &str = "dossier.complete";
pub const FILE_FAILED: &str = "file.failed";

/// An event id: 32 hex digits of SHA-256 over the kind and what it is about, the same each
/// time the same thing is announced.
fn event_id(kind: &str, about: &str) -> String {
    let h = DigestAlg::Sha256.digest(format!("{kind}\n{about}").as_bytes());
    hex::encode(&h[..16])
}

fn event(kind: &str, about: &str, at: &str, data: serde_json::Value) -> NewEvent {
    let id = event_id(kind, about);
    let body = json!({ "id": id, "type": kind, "created_at": at, "data": data });
    NewEvent {
        event_id: id,
        kind: kind.to_string(),
        payload: body.to_string(),
        created_at: at.to_string(),
    }
}

/// What a stored batch announces: each paper, then each dossier its papers belong to.
pub fn batch_stored(unit: &str, file: &str, papers: &[StoredPaper], at: &str) -> Vec<NewEvent> {
    let mut out: Vec<NewEvent> = papers
        .iter()
        .map(|p| {
            event(
                PAPER_STORED,
                &format!(
                    "{}\n{}",
                    p.component_id,
                    p.signed_sha256.as_deref().unwrap_or("")
                ),
                at,
                json!({
                    "component_id": p.component_id,
                    "unit": unit,
                    "dossier_code": p.dossier_code,
                    "type_code": p.type_code,
                    "pages": p.pages,
                    "owner_ids": p.owner_ids,
                    "valid_until": p.valid_until,
                    "source_sha256": p.source_sha256,
                    "signed_sha256": p.signed_sha256,
                    "needs_review": p.needs_review,
                    "file": file,
                    "pdf": format!("/api/components/{}/pdf", p.component_id),
                }),
            )
        })
        .collect();
    let mut dossiers: Vec<&str> = papers
        .iter()
        .filter_map(|p| p.dossier_code.as_deref())
        .collect();
    dossiers.sort_unstable();
    dossiers.dedup();
    for code in dossiers {
        let ids: Vec<i64> = papers
            .iter()
            .filter(|p| p.dossier_code.as_deref() == Some(code))
            .map(|p| p.component_id)
            .collect();
        let about = format!(
            "{code}\n{}",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        );
        out.push(event(
            DOSSIER_COMPLETE,
            &about,
            at,
            json!({ "dossier_code": code, "unit": unit, "components": ids, "file": file }),
        ));
    }
    out
}

/// A file (or a dossier folder's files) moved to `failed/`; `job` is the journal's key.
pub fn file_failed(
    unit: &str,
    file: &str,
    reason: &str,
    kind: &str,
    job: &str,
    at: &str,
) -> NewEvent {
    event(
        FILE_FAILED,
        job,
        at,
        json!({ "unit": unit, "file": file, "reason": reason, "kind": kind }),
    )
}
