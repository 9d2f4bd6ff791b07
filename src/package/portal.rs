//! Hand-off, the portal view (`portal.json`): the package's dossier in the shape of the national
//! public service portal's one-stop dossier sync (Cổng Dịch vụ công quốc gia, service
//! `DongBoHoSoMC`), for a one-stop system that forwards that shape. A convenience view derived
//! from the manifest, not the record: the signed manifest is.
//!
//! The portal publishes no open specification; the names here are the ones two open
//! implementations send, read verbatim: OpenCPS v2 (`VietOpenCPS/opencps-v2`,
//! `DVCQGIntegrationActionImpl.createSyncDossierBodyRequest` and `DVCQGIntegrationActionTerm`)
//! and a .NET one-stop system (`HuanVu201/DichVuCong_KhoaLuan_PASETO`,
//! `SyncLocalDataToDVCQGService` with its DTOs `HoSoDongBoDVC`, `TaiLieuNopDongBoDVC`). The
//! envelope `{madonvi, service, isUpdating, data: [record]}` is OpenCPS's: the unit's code is the
//! envelope's `madonvi`, not a field of the record (`DonViXuLy` is the unit's *name*, which sohoa
//! does not hold, so it is left out). Dates are `yyyyMMddHHmmss` on the desk's calendar
//! (Asia/Ho_Chi_Minh, +07:00); an unknown date is `""`, as both implementations send it. The
//! caller adds `session` (its access token) before posting. Pure.

use std::time::SystemTime;

use serde_json::{json, Value};

use super::manifest::Manifest;

/// The member holding the view.
pub const MEMBER: &str = "portal.json";

/// The portal's service name for a one-stop dossier sync.
pub const SERVICE: &str = "DongBoHoSoMC";

/// An RFC 3339 instant → `yyyyMMddHHmmss` at `offset_minutes` from UTC (the portal's date form);
/// `""` when it is not such an instant.
pub fn portal_time(rfc3339: &str, offset_minutes: i32) -> String {
    crate::time::parse_rfc3339(rfc3339)
        .and_then(|d| crate::time::xmp_date(SystemTime::UNIX_EPOCH + d, offset_minutes).ok())
        .map(|s| {
            s.chars()
                .take(19)
                .filter(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|s| s.len() == 14)
        .unwrap_or_default()
}

/// The identifier kind the .NET implementation sends in `DinhDanhCHS.LoaiDinhDanh`: "1" for a
/// 12-digit personal ID number, "2" for a 9-digit one; `None` for anything else.
fn id_kind(id: &str) -> Option<&'static str> {
    let digits = id.bytes().all(|b| b.is_ascii_digit());
    match id.len() {
        12 if digits => Some("1"),
        9 if digits => Some("2"),
        _ => None,
    }
}

/// The view of `m`, dates at `offset_minutes` from UTC.
pub fn view(m: &Manifest, offset_minutes: i32) -> Value {
    let holder = m.papers.iter().find_map(|p| p.holder_name.clone());
    let holder_id = m.papers.iter().find_map(|p| p.owner_ids.first().cloned());
    let ids: Vec<Value> = holder_id
        .iter()
        .filter_map(|id| id_kind(id).map(|k| json!({ "LoaiDinhDanh": k, "SoDinhDanh": id })))
        .collect();
    let documents: Vec<Value> = m
        .papers
        .iter()
        .map(|p| {
            json!({
                "TepDinhKemId": p.sha256,
                "TenTepDinhKem": p.file.rsplit('/').next().unwrap_or(&p.file),
                "IsDeleted": false,
                "MaThanhPhanHoSo": p.component_code.clone().unwrap_or_default(),
                "DuongDanTaiTepTin": p.file,
                "DuocSoHoa": true,
                "DuocTaiSuDung": p.reused_from.is_some(),
                "DuocLayTuKhoDMQG": false,
            })
        })
        .collect();
    let record = json!({
        "MaHoSo": m.dossier.code,
        "MaTTHC": m.dossier.procedure_code.clone().unwrap_or_default(),
        "ChuHoSo": holder.unwrap_or_default(),
        "LoaiDoiTuong": "1",
        "SoGiayToChuHoSo": holder_id.unwrap_or_default(),
        "DinhDanhCHS": ids,
        "NgayTiepNhan": portal_time(&m.dossier.received_at, offset_minutes),
        "NgayHenTra": "",
        "NgayTra": "",
        "TaiLieuNop": documents,
    });
    json!({
        "madonvi": m.dossier.unit,
        "service": SERVICE,
        "isUpdating": "False",
        "data": [record],
    })
}

/// The view's bytes as packaged (pretty JSON, a final newline).
pub fn view_bytes(m: &Manifest, offset_minutes: i32) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&view(m, offset_minutes)).unwrap_or_default();
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_time_is_fourteen_digits_on_the_desks_calendar() {
        assert_eq!(portal_time("2026-03-04T20:06:07Z", 420), "20260305030607");
        assert_eq!(
            portal_time("2026-03-04T05:06:07+07:00", 420),
            "20260304050607"
        );
        assert_eq!(portal_time("2026-03-04T05:06:07Z", 0), "20260304050607");
        assert_eq!(portal_time("not a time", 420), "");
        assert_eq!(portal_time("", 420), "");
    }

    #[test]
    fn id_kind_follows_the_id_numbers_length() {
        assert_eq!(id_kind("001203000017"), Some("1"));
        assert_eq!(id_kind("123456789"), Some("2"));
        assert_eq!(id_kind("12345678X"), None);
        assert_eq!(id_kind(""), None);
    }
}
