//! Stage `classify`, field extraction: tests on lines as `scripts/gen-samples.py` prints them.

use super::*;
use crate::classify::PageText;

fn page(text: &str) -> PageText {
    PageText::from_plain_text("t.png", 1, text)
}

fn all(text: &str) -> Vec<Field> {
    extract(&FieldKind::ALL, &[page(text)])
}

fn of(fields: &[Field], kind: FieldKind) -> Vec<&Field> {
    fields.iter().filter(|f| f.kind == kind).collect()
}

fn values(fields: &[Field], kind: FieldKind) -> Vec<&str> {
    of(fields, kind).iter().map(|f| f.value.as_str()).collect()
}

fn reason(c: &Check) -> &str {
    match c {
        Check::Invalid { reason } => reason,
        _ => "",
    }
}

// ------------------------------------------------------------------ whole papers

const CCCD: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
CĂN CƯỚC CÔNG DÂN
Số định danh cá nhân: 008076355291
Họ và tên:
VŨ ĐÌNH KHẢI
Ngày sinh: 23/11/1976
Giới tính: Nam     Quốc tịch: Việt Nam
Quê quán:
xã Hợp Thành, huyện Sơn Dương, tỉnh
Tuyên Quang
Có giá trị đến: 23/11/2036";

#[test]
fn citizen_card_front() {
    let f = all(CCCD);
    assert_eq!(values(&f, FieldKind::PersonId), ["008076355291"]);
    assert_eq!(of(&f, FieldKind::PersonId)[0].check, Check::Valid);
    assert_eq!(values(&f, FieldKind::FullName), ["Vũ Đình Khải"]);
    assert_eq!(of(&f, FieldKind::FullName)[0].raw, "VŨ ĐÌNH KHẢI");
    assert_eq!(values(&f, FieldKind::BirthDate), ["1976-11-23"]);
    assert_eq!(values(&f, FieldKind::ExpiryDate), ["2036-11-23"]);
    assert!(of(&f, FieldKind::IssueDate).is_empty());
    assert!(of(&f, FieldKind::DocNumber).is_empty());
    // reading order
    let kinds: Vec<FieldKind> = f.iter().map(|x| x.kind).collect();
    assert_eq!(
        kinds,
        [
            FieldKind::PersonId,
            FieldKind::FullName,
            FieldKind::BirthDate,
            FieldKind::ExpiryDate
        ]
    );
}

#[test]
fn bbox_is_the_value_box_on_the_original_line() {
    let p = page(CCCD);
    let f = extract(
        &[FieldKind::PersonId, FieldKind::FullName],
        std::slice::from_ref(&p),
    );
    let id = of(&f, FieldKind::PersonId)[0];
    assert_eq!(id.bbox, Some(p.lines[3].words[5].bbox));
    assert_eq!(id.page, 0);
    let name = of(&f, FieldKind::FullName)[0];
    assert_eq!(name.bbox, Some(p.lines[5].bbox));
}

#[test]
fn card_without_expiry_gives_no_expiry_field() {
    let f = all("Số định danh cá nhân: 008076355291\nCó giá trị đến: Không thời hạn");
    assert!(of(&f, FieldKind::ExpiryDate).is_empty());
    assert_eq!(values(&f, FieldKind::PersonId), ["008076355291"]);
}

const DKDN_PAGE1: &str = "SỞ KẾ HOẠCH VÀ ĐẦU TƯ TỈNH THÁI NGUYÊN
PHÒNG ĐĂNG KÝ KINH DOANH
GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP
CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN
Mã số doanh nghiệp: 0100109106
Đăng ký lần đầu: ngày 12 tháng 02 năm 2012
Đăng ký thay đổi lần thứ: 2, ngày 15 tháng 9 năm 2021
tổ 5, phường Hoàng Văn Thụ, thành phố Thái Nguyên, tỉnh Thái Nguyên
Điện thoại: 0220 3196364";

const DKDN_PAGE2: &str = "3. Vốn điều lệ
Vốn điều lệ: 2.000.000.000 đồng
4. Người đại diện theo pháp luật của công ty
Họ và tên: VŨ ĐÌNH KHẢI     Giới tính: Nam
Chức danh: Giám đốc
Sinh ngày: 21/07/1977     Dân tộc: Kinh     Quốc tịch: Việt Nam
Số định danh cá nhân: 019077922020
Địa chỉ thường trú: số 18 ngõ 21 đường Lương Ngọc Quyến, phường Hoàng Văn
Thụ, thành phố Thái Nguyên, tỉnh Thái Nguyên
TRƯỞNG PHÒNG
Đinh Thị Nguyệt";

#[test]
fn business_registration_two_pages() {
    let pages = [page(DKDN_PAGE1), page(DKDN_PAGE2)];
    let f = extract(&FieldKind::ALL, &pages);
    assert_eq!(values(&f, FieldKind::TaxCode), ["0100109106"]);
    assert_eq!(of(&f, FieldKind::TaxCode)[0].check, Check::Valid);
    assert_eq!(values(&f, FieldKind::IssueDate), ["2012-02-12"]);
    assert_eq!(values(&f, FieldKind::FullName), ["Vũ Đình Khải"]);
    assert_eq!(values(&f, FieldKind::BirthDate), ["1977-07-21"]);
    let id = of(&f, FieldKind::PersonId);
    assert_eq!(id.len(), 1);
    assert_eq!((id[0].value.as_str(), id[0].page), ("019077922020", 1));
    assert_eq!(id[0].check, Check::Valid);
    // the heading "Người đại diện theo pháp luật của công ty" is not a name, the signer's
    // name under "TRƯỞNG PHÒNG" has no label, "số 18 ngõ 21" is no document number
    assert_eq!(of(&f, FieldKind::FullName).len(), 1);
    assert!(of(&f, FieldKind::DocNumber).is_empty());
}

const UY_QUYEN: &str = "GIẤY ỦY QUYỀN
Căn cứ Bộ luật Dân sự năm 2015;
Hôm nay, ngày 25 tháng 12 năm 2023, tại Ủy ban nhân dân phường
Hoàng Văn Thụ, chúng tôi gồm:
I. BÊN ỦY QUYỀN
Họ và tên: Phạm Ngọc Ánh     Ngày sinh: 22/09/1973
Số định danh cá nhân: 019173782440
Nơi thường trú: tổ 5, phường Hoàng Văn Thụ, thành phố Thái Nguyên, tỉnh
Thái Nguyên
II. BÊN NHẬN ỦY QUYỀN
Họ và tên: Hà Quốc Việt     Ngày sinh: 14/01/1970
Số định danh cá nhân: 019070692031
Nơi thường trú: số 18 ngõ 21 đường Lương Ngọc Quyến, phường Hoàng Văn
Thụ, thành phố Thái Nguyên, tỉnh Thái Nguyên
III. NỘI DUNG ỦY QUYỀN
Bên nhận ủy quyền được thay mặt bên ủy quyền nộp hồ sơ, bổ sung
Thời hạn ủy quyền: từ ngày ký đến hết ngày 31 tháng 12 năm 2023.
BÊN ỦY QUYỀN
(Ký, ghi rõ họ tên)
Phạm Ngọc Ánh";

#[test]
fn power_of_attorney_two_people() {
    let f = all(UY_QUYEN);
    assert_eq!(
        values(&f, FieldKind::FullName),
        ["Phạm Ngọc Ánh", "Hà Quốc Việt"]
    );
    assert_eq!(
        values(&f, FieldKind::BirthDate),
        ["1973-09-22", "1970-01-14"]
    );
    assert_eq!(
        values(&f, FieldKind::PersonId),
        ["019173782440", "019070692031"]
    );
    assert!(of(&f, FieldKind::PersonId)
        .iter()
        .all(|x| x.check == Check::Valid));
    // "Hôm nay, ngày …, tại …" is the signing day, not a place-and-date line
    assert_eq!(values(&f, FieldKind::IssueDate), ["2023-12-25"]);
}

#[test]
fn two_people_each_id_is_compared_with_its_own_birth_date() {
    // A's number says born in 1970 (B's year): wrong for A, whose birth date is next to it.
    let text = UY_QUYEN.replace("019173782440", "019070782440");
    let f = all(&text);
    let ids = of(&f, FieldKind::PersonId);
    assert_eq!(ids.len(), 2);
    assert!(reason(&ids[0].check).contains("1973"), "{:?}", ids[0].check);
    assert_eq!(ids[1].check, Check::Valid);
}

#[test]
fn two_people_an_id_far_from_any_birth_date_is_not_cross_checked() {
    let text = "Họ và tên: Phạm Ngọc Ánh Ngày sinh: 22/09/1973
Nơi thường trú: tổ 5
phường Hoàng Văn Thụ
thành phố Thái Nguyên
tỉnh Thái Nguyên
Số định danh cá nhân: 019080782440
Họ và tên: Hà Quốc Việt";
    let f = all(text);
    assert_eq!(of(&f, FieldKind::PersonId)[0].check, Check::Valid);
    // the same paper with one person only: the birth date is compared wherever it is
    let single = text.replace("Họ và tên: Hà Quốc Việt", "");
    let f = all(&single);
    assert!(matches!(
        of(&f, FieldKind::PersonId)[0].check,
        Check::Invalid { .. }
    ));
}

const GCN_PAGE1: &str = "I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với
đất
Ông: Phạm Văn Toàn, năm sinh: 1962
Số định danh cá nhân: 008062535494
Bà: Vũ Thị Hằng, năm sinh: 1966
Số định danh cá nhân: 008166067995
Địa chỉ thường trú: tổ dân phố 7, phường Minh Xuân, thành phố Tuyên
Số vào sổ cấp GCN: CS 03765
Số phát hành: CX 999598";

const GCN_PAGE2: &str = "II. Thửa đất, nhà ở và tài sản khác gắn liền với đất
1. Thửa đất:
a) Thửa đất số: 157, tờ bản đồ số: 42
c) Diện tích: 212,0 m² (bằng chữ: Hai trăm mười hai mét vuông)
Tuyên Quang, ngày 28 tháng 12 năm 2020
TM. ỦY BAN NHÂN DÂN THÀNH PHỐ
Hoàng Minh Tuấn";

#[test]
fn land_certificate_couple_parcel_and_sheet() {
    let f = extract(&FieldKind::ALL, &[page(GCN_PAGE1), page(GCN_PAGE2)]);
    assert_eq!(
        values(&f, FieldKind::FullName),
        ["Phạm Văn Toàn", "Vũ Thị Hằng"]
    );
    assert_eq!(values(&f, FieldKind::BirthDate), ["1962", "1966"]);
    assert_eq!(
        values(&f, FieldKind::PersonId),
        ["008062535494", "008166067995"]
    );
    assert!(of(&f, FieldKind::PersonId)
        .iter()
        .all(|x| x.check == Check::Valid));
    assert_eq!(values(&f, FieldKind::ParcelNumber), ["157"]);
    assert_eq!(values(&f, FieldKind::MapSheet), ["42"]);
    let issue = of(&f, FieldKind::IssueDate);
    assert_eq!(issue.len(), 1);
    assert_eq!((issue[0].value.as_str(), issue[0].page), ("2020-12-28", 1));
    assert_eq!(issue[0].raw, "ngày 28 tháng 12 năm 2020");
    assert!(of(&f, FieldKind::DocNumber).is_empty());
}

#[test]
fn land_certificate_wife_id_checked_against_her_own_year() {
    // The wife's number carries the husband's year 62: the birth year on her line is 1966.
    let text = GCN_PAGE1.replace("008166067995", "008162067995");
    let f = all(&text);
    let ids = of(&f, FieldKind::PersonId);
    assert_eq!(ids[0].check, Check::Valid);
    assert!(reason(&ids[1].check).contains("1966"), "{:?}", ids[1].check);
}

#[test]
fn application_with_parcel_in_a_sentence_and_a_phone() {
    let f = all("ĐƠN ĐỀ NGHỊ
Kính gửi: Ủy ban nhân dân xã Hợp Thành
Tôi tên là: Nguyễn Thị Hường
Ngày sinh: 19/01/1971     Giới tính: Nữ
Số định danh cá nhân: 008171710134
Số điện thoại: 0960 553 354
Tôi đề nghị cấp lại đối với thửa đất số 382, tờ bản đồ số 05.
Hợp Thành, ngày 25 tháng 01 năm 2022
NGƯỜI LÀM ĐƠN
(Ký, ghi rõ họ tên)
Nguyễn Thị Hường");
    assert_eq!(values(&f, FieldKind::FullName), ["Nguyễn Thị Hường"]);
    assert_eq!(values(&f, FieldKind::PersonId), ["008171710134"]);
    assert_eq!(values(&f, FieldKind::ParcelNumber), ["382"]);
    assert_eq!(values(&f, FieldKind::MapSheet), ["5"]);
    assert_eq!(values(&f, FieldKind::IssueDate), ["2022-01-25"]);
    assert!(of(&f, FieldKind::DocNumber).is_empty());
    assert!(of(&f, FieldKind::LegacyId).is_empty());
}

#[test]
fn birth_certificate_child_and_parents() {
    let f = all("GIẤY KHAI SINH
Số: 176/2024
Họ, chữ đệm, tên: HÀ MINH CHÂU
Ngày, tháng, năm sinh: 23/11/2024
Ghi bằng chữ: ngày hai mươi ba, tháng mười một, năm hai nghìn không
Giới tính: Nữ     Dân tộc: Kinh     Quốc tịch: Việt Nam
Họ, chữ đệm, tên người mẹ: HOÀNG THU TRANG
Năm sinh: 1991     Dân tộc: Kinh     Quốc tịch: Việt Nam
Họ, chữ đệm, tên người cha: HÀ QUỐC VIỆT
Năm sinh: 1993     Dân tộc: Kinh     Quốc tịch: Việt Nam
Ngày, tháng, năm đăng ký: 28/11/2024
NGƯỜI KÝ GIẤY KHAI SINH
Lê Thị Thu Hà");
    assert_eq!(
        values(&f, FieldKind::FullName),
        ["Hà Minh Châu", "Hoàng Thu Trang", "Hà Quốc Việt"]
    );
    assert_eq!(
        values(&f, FieldKind::BirthDate),
        ["2024-11-23", "1991", "1993"]
    );
    assert_eq!(values(&f, FieldKind::IssueDate), ["2024-11-28"]);
    let doc = of(&f, FieldKind::DocNumber);
    assert_eq!(doc.len(), 1);
    assert_eq!(doc[0].value, "176/2024");
    // number/year is the civil-status register form: valid without a symbol
    assert_eq!(doc[0].check, Check::Valid);
}

#[test]
fn residence_confirmation() {
    let f = all("CÔNG AN TỈNH THÁI NGUYÊN
CÔNG AN PHƯỜNG HOÀNG VĂN THỤ
Số: 563/XN-CA
XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ
1. Họ, chữ đệm và tên: Phạm Ngọc Ánh
2. Ngày, tháng, năm sinh: 02/09/1979     3. Giới tính: Nữ
4. Số định danh cá nhân: 019179346765
6. Họ, chữ đệm và tên chủ hộ: Lê Quang Huy
7. Quan hệ với chủ hộ: Con
Giấy xác nhận có giá trị 30 ngày kể từ ngày cấp.
Hoàng Văn Thụ, ngày 28 tháng 9 năm 2022");
    assert_eq!(values(&f, FieldKind::DocNumber), ["563/XN-CA"]);
    assert_eq!(of(&f, FieldKind::DocNumber)[0].check, Check::Valid);
    assert_eq!(
        values(&f, FieldKind::FullName),
        ["Phạm Ngọc Ánh", "Lê Quang Huy"]
    );
    assert_eq!(values(&f, FieldKind::BirthDate), ["1979-09-02"]);
    assert_eq!(values(&f, FieldKind::PersonId), ["019179346765"]);
    assert_eq!(of(&f, FieldKind::PersonId)[0].check, Check::Valid);
    assert_eq!(values(&f, FieldKind::IssueDate), ["2022-09-28"]);
    assert!(of(&f, FieldKind::ExpiryDate).is_empty());
}

#[test]
fn decision_header_and_body() {
    let f = all("ỦY BAN NHÂN DÂN
TỈNH TUYÊN QUANG
Số: 123/QĐ-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Tuyên Quang, ngày 30 tháng 5 năm 2022
QUYẾT ĐỊNH
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
Theo đề nghị của Giám đốc Sở Xây dựng tại Tờ trình số 97/TTr-SXD.
Điều 1. Phê duyệt danh sách 61 hộ gia đình, tổng kinh phí 125.000.000.000 đồng");
    assert_eq!(values(&f, FieldKind::DocNumber), ["123/QĐ-UBND"]);
    assert_eq!(values(&f, FieldKind::IssueDate), ["2022-05-30"]);
    assert!(of(&f, FieldKind::PersonId).is_empty());
    assert_eq!(f.len(), 2);
}

// ------------------------------------------------------------------ labels as OCR reads them

#[test]
fn misread_tone_marks_and_capitals_in_labels() {
    for (line, name) in [
        ("Ho va ten: Nguyen Van Hung", "Nguyen Van Hung"),
        ("Họ và tến: Nguyễn Văn Hùng", "Nguyễn Văn Hùng"),
        ("HỌ VÀ TÊN: NGUYỄN VĂN HÙNG", "Nguyễn Văn Hùng"),
        ("Hộ, chừ đệm và tèn: Trần Đức Minh", "Trần Đức Minh"),
    ] {
        let f = all(line);
        assert_eq!(values(&f, FieldKind::FullName), [name], "{line}");
    }
    let f = all("Sô đinh danh cá nhân: 003203004567");
    let id = of(&f, FieldKind::PersonId);
    assert_eq!(
        id.len(),
        1,
        "a labelled number is reported even when invalid"
    );
    let f = all("Ngay sinh: 30/05/1990\nCo gia tri den: 30/05/2030");
    assert_eq!(values(&f, FieldKind::BirthDate), ["1990-05-30"]);
    assert_eq!(values(&f, FieldKind::ExpiryDate), ["2030-05-30"]);
}

#[test]
fn decomposed_input_maps_back_to_the_original_bytes() {
    // NFD text: combining marks after the base letters
    let line = "Ho\u{323} va\u{300} te\u{302}n: NGUYE\u{302}\u{303}N VA\u{306}N HU\u{300}NG";
    let f = all(line);
    let n = of(&f, FieldKind::FullName);
    assert_eq!(n[0].value, "Nguyễn Văn Hùng");
    assert_eq!(
        n[0].raw, "NGUYE\u{302}\u{303}N VA\u{306}N HU\u{300}NG",
        "raw is the text as read"
    );
}

// ------------------------------------------------------------------ personal id numbers

#[test]
fn id_split_by_spaces_or_dots() {
    let f = all("Số định danh cá nhân: 001 203 004567");
    let id = of(&f, FieldKind::PersonId);
    assert_eq!(id[0].value, "001203004567");
    assert_eq!(id[0].raw, "001 203 004567");
    let f = all("Số CCCD: 001.203.004.567 cấp ngày 12/03/2021");
    assert_eq!(values(&f, FieldKind::PersonId), ["001203004567"]);
    assert_eq!(values(&f, FieldKind::IssueDate), ["2021-03-12"]);
    // part of a longer run: no id
    let f = all("Số định danh cá nhân: 001 203 004567 8");
    assert!(matches!(
        of(&f, FieldKind::PersonId)[0].check,
        Check::Invalid { .. }
    ));
    assert_ne!(of(&f, FieldKind::PersonId)[0].value, "001203004567");
}

#[test]
fn wrong_province_next_to_a_label_is_invalid_and_alone_is_ignored() {
    let f = all("Số định danh cá nhân: 003203004567");
    let id = of(&f, FieldKind::PersonId);
    assert_eq!(id.len(), 1);
    assert!(reason(&id[0].check).contains("province code 003"));
    // label on the line before
    let f = all("Căn cước công dân số:\n003203004567");
    assert_eq!(of(&f, FieldKind::PersonId).len(), 1);
    // no label: a wrong number is not a field, a right one is
    let f = all("Mã hồ sơ 003203004567 đã nhận");
    assert!(of(&f, FieldKind::PersonId).is_empty());
    // a label too far away, or with another number between, does not govern the run
    for line in [
        "CCCD cấp ngày 12/03/2021, mã tra cứu 003203004567",
        "Căn cước công dân của người được ủy quyền đã nộp, lưu kho 003203004567",
    ] {
        assert!(of(&all(line), FieldKind::PersonId).is_empty(), "{line}");
    }
    let f = all("Người nộp 001203004567 đã ký");
    assert_eq!(values(&f, FieldKind::PersonId), ["001203004567"]);
    assert_eq!(of(&f, FieldKind::PersonId)[0].check, Check::Valid);
}

#[test]
fn phone_numbers_are_not_ids() {
    let f = all("Số điện thoại: 0960 553 354\nĐiện thoại: 0220 3196364");
    assert!(f.is_empty(), "{f:?}");
    // even 12 digits that would pass as an id
    let f = all("Số điện thoại: 001 203 004 567");
    assert!(of(&f, FieldKind::PersonId).is_empty());
    let f = all("5. Số điện thoại liên hệ: 0973 520 450");
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn century_digit_and_birth_year() {
    // born 1976 but the 4th digit says 21st century
    let f = all("Số định danh cá nhân: 008276355291\nNgày sinh: 23/11/1976");
    let r = reason(&of(&f, FieldKind::PersonId)[0].check).to_string();
    assert!(r.contains("century digit 2"), "{r}");
    // year digits 77 against 1976
    let f = all("Ngày sinh: 23/11/1976\nSố định danh cá nhân: 008077355291");
    let r = reason(&of(&f, FieldKind::PersonId)[0].check).to_string();
    assert!(r.contains("digits 5–6 (77)"), "{r}");
    // right: born 2003, female → 3, 03
    let f = all("Ngày sinh: 01/02/2003\nSố định danh cá nhân: 001303004567");
    assert_eq!(of(&f, FieldKind::PersonId)[0].check, Check::Valid);
    // a century digit 4..9 is never valid
    let f = all("Số định danh cá nhân: 001403004567");
    assert!(reason(&of(&f, FieldKind::PersonId)[0].check).contains("after 2099"));
}

#[test]
fn check_person_id_rules() {
    assert_eq!(check_person_id("001203004567", None), Check::Valid);
    assert_eq!(check_person_id("001203004567", Some(2003)), Check::Valid);
    assert!(matches!(
        check_person_id("001203004567", Some(1903)),
        Check::Invalid { .. }
    ));
    assert!(matches!(
        check_person_id("001203004567", Some(2004)),
        Check::Invalid { .. }
    ));
    for bad in [
        "00120300456",
        "0012030045678",
        "00120300456a",
        "099203004567",
    ] {
        assert!(
            matches!(check_person_id(bad, None), Check::Invalid { .. }),
            "{bad}"
        );
    }
    for code in PROVINCE_CODES {
        let id = format!("{code}085123456");
        assert_eq!(check_person_id(&id, Some(1985)), Check::Valid, "{id}");
    }
    for code in ["000", "003", "005", "097", "100"] {
        let id = format!("{code}085123456");
        assert!(matches!(check_person_id(&id, None), Check::Invalid { .. }));
    }
}

#[test]
fn old_id_card_numbers() {
    let f = all("Số CMND: 012345678 cấp ngày 01/02/2010");
    assert_eq!(values(&f, FieldKind::LegacyId), ["012345678"]);
    assert_eq!(of(&f, FieldKind::LegacyId)[0].check, Check::Valid);
    assert!(of(&f, FieldKind::PersonId).is_empty());
    // a date after the label is no number
    let f = all("Số CMND: 012345678 cấp ngày 30.05.2010");
    assert_eq!(f.len(), 2, "{f:?}");
    let f = all("Chứng minh nhân dân số: 01234567");
    assert!(reason(&of(&f, FieldKind::LegacyId)[0].check).contains("8 digits"));
    // a 12-digit number under "Số CMND/CCCD" is a personal identification number
    let f = all("Số CMND/CCCD: 001203004567");
    assert_eq!(values(&f, FieldKind::PersonId), ["001203004567"]);
    assert!(of(&f, FieldKind::LegacyId).is_empty());
}

// ------------------------------------------------------------------ tax codes

#[test]
fn tax_code_check_digit_both_ways() {
    assert_eq!(check_tax_code("0100109106"), Check::Valid);
    assert_eq!(check_tax_code("0300588569"), Check::Valid);
    assert_eq!(check_tax_code("0100109106-001"), Check::Valid);
    let r = check_tax_code("0100109107");
    assert!(reason(&r).contains("first nine digits give 6"), "{r:?}");
    assert!(matches!(
        check_tax_code("0100109106-000"),
        Check::Invalid { .. }
    ));
    assert!(matches!(check_tax_code("010010910"), Check::Invalid { .. }));
    assert!(matches!(
        check_tax_code("0100109106-01"),
        Check::Invalid { .. }
    ));
    // nine digits whose weighted sum is a multiple of 11: no tenth digit makes a tax code
    let first9 = (0..1_000_000_000u32)
        .map(|n| format!("{n:09}"))
        .find(|p| {
            let sum: u32 = p
                .bytes()
                .zip(TAX_CHECK_WEIGHTS)
                .map(|(b, w)| u32::from(b - b'0') * w)
                .sum();
            sum.is_multiple_of(11) && sum > 0
        })
        .expect("such digits exist");
    assert_eq!(tax_check_digit(&first9), None);
    for d in 0..10 {
        assert!(matches!(
            check_tax_code(&format!("{first9}{d}")),
            Check::Invalid { .. }
        ));
    }
}

#[test]
fn tax_code_fields() {
    let f = all("Mã số doanh nghiệp: 0100109107");
    let t = of(&f, FieldKind::TaxCode);
    assert_eq!(t[0].value, "0100109107");
    assert!(matches!(t[0].check, Check::Invalid { .. }));
    let f = all("MST: 0100109106 - 001");
    assert_eq!(values(&f, FieldKind::TaxCode), ["0100109106-001"]);
    assert_eq!(of(&f, FieldKind::TaxCode)[0].raw, "0100109106 - 001");
    let f = all("Mã số doanh nghiệp/Mã số thuế:\n0100109106001");
    assert_eq!(values(&f, FieldKind::TaxCode), ["0100109106-001"]);
    assert_eq!(of(&f, FieldKind::TaxCode)[0].check, Check::Valid);
    // the enterprise code is not taken as an identity number
    assert!(of(&f, FieldKind::PersonId).is_empty());
    // a branch's code (found on held-out samples: a liquor retail licence)
    let f = all("Mã số chi nhánh: 0100109106-009");
    assert_eq!(values(&f, FieldKind::TaxCode), ["0100109106-009"]);
}

// ------------------------------------------------------------------ dates

#[test]
fn dates_in_every_printed_form() {
    for s in [
        "ngày 30 tháng 5 năm 2022",
        "ngày 30 tháng 05 năm 2022",
        "30/05/2022",
        "30-05-2022",
        "30.05.2022",
        "30 / 05 / 2022",
        "ngay 30 thang 5 nam 2022",
        "NGÀY 30 THÁNG 5 NĂM 2022",
        "ngáy 30 thàng 5 nằm 2022.",
    ] {
        assert_eq!(parse_vn_date(s), Some((2022, 5, 30)), "{s}");
    }
    assert_eq!(parse_vn_date("29/02/2024"), Some((2024, 2, 29)));
}

#[test]
fn impossible_or_malformed_dates_are_rejected() {
    for s in [
        "31/02/2022",
        "29/02/2023",
        "31/04/2022",
        "00/05/2022",
        "12/13/2022",
        "30/05-2022",
        "30/05/20221",
        "30/05/2022 xong",
        "ngày 31 tháng 2 năm 2022",
        "",
    ] {
        assert_eq!(parse_vn_date(s), None, "{s}");
    }
    // found next to a label, a non-date is reported, not dropped
    let f = all("Ngày sinh: 31/02/1990");
    let b = of(&f, FieldKind::BirthDate);
    assert_eq!(b[0].value, "1990-02-31");
    assert!(reason(&b[0].check).contains("day 31"));
}

#[test]
fn issue_and_expiry_labels() {
    let f = all("Ngày cấp: 12/03/2021\nCó giá trị đến ngày 12 tháng 3 năm 2046");
    assert_eq!(values(&f, FieldKind::IssueDate), ["2021-03-12"]);
    assert_eq!(values(&f, FieldKind::ExpiryDate), ["2046-03-12"]);
    let f = all("Ngày hết hạn:\n01/01/2030");
    assert_eq!(values(&f, FieldKind::ExpiryDate), ["2030-01-01"]);
    // not a place-and-date line: a number before the comma, text after the date
    let f = all("Đăng ký thay đổi lần thứ: 2, ngày 15 tháng 9 năm 2021");
    assert!(f.is_empty(), "{f:?}");
    // the end of a term is an expiry date
    let f = all("Thời hạn ủy quyền: từ ngày ký đến hết ngày 31 tháng 12 năm 2023.");
    assert_eq!(values(&f, FieldKind::ExpiryDate), ["2023-12-31"]);
    assert!(of(&f, FieldKind::IssueDate).is_empty());
}

// ------------------------------------------------------------------ document numbers

#[test]
fn document_number_forms() {
    for (line, want) in [
        ("Số: 123/QĐ-UBND", "123/QĐ-UBND"),
        ("Số: 45/2023/HĐ-UQ", "45/2023/HĐ-UQ"),
        ("Số 0123/GP-UBND", "0123/GP-UBND"),
        ("Số: 123 / QĐ - UBND", "123/QĐ-UBND"),
        ("Sô: 563/XN–CA", "563/XN-CA"),
        (
            "Số: 12/2019/TT-BNV Hà Nội, ngày 30 tháng 5 năm 2022",
            "12/2019/TT-BNV",
        ),
    ] {
        let f = all(line);
        let d = of(&f, FieldKind::DocNumber);
        assert_eq!(d.len(), 1, "{line}");
        assert_eq!(d[0].value, want, "{line}");
        assert_eq!(d[0].check, Check::Valid, "{line}");
    }
    let f = all("Số: 123/QĐ-UBND Tuyên Quang, ngày 30 tháng 5 năm 2022");
    assert_eq!(values(&f, FieldKind::IssueDate), ["2022-05-30"]);
    let f = all("Số: 123/qđ-ubnd");
    assert!(reason(&of(&f, FieldKind::DocNumber)[0].check).contains("shape"));
}

#[test]
fn numbers_that_are_not_document_numbers() {
    for line in [
        "Số định danh cá nhân: 001203004567",
        "Số điện thoại: 0960 553 354",
        "Số nhà 12, ngõ 5",
        "Số CMND: 012345678",
        "Số vào sổ cấp GCN: CS 03765",
        "Số phát hành: CX 999598",
        "Theo đề nghị tại Tờ trình số 97/TTr-SXD.",
        "số 18 ngõ 21 đường Lương Ngọc Quyến",
        "Số: 001203004567",
    ] {
        let f = all(line);
        assert!(of(&f, FieldKind::DocNumber).is_empty(), "{line}: {f:?}");
    }
    // "Số:" before a 12-digit number labels an identity number
    let f = all("Số: 003203004567");
    assert_eq!(of(&f, FieldKind::PersonId).len(), 1);
}

// ------------------------------------------------------------------ names

#[test]
fn name_labels_and_their_ends() {
    for (line, want) in [
        ("Họ và tên: VŨ ĐÌNH KHẢI Giới tính: Nam", "Vũ Đình Khải"),
        ("Họ tên: Lê Thị Thu Hà, sinh năm 1990", "Lê Thị Thu Hà"),
        // an OCR speck between the name and the next label
        (
            "Họ và tên: Hà Quốc Việt _ Ngày sinh: 14/09/1965",
            "Hà Quốc Việt",
        ),
        (
            "Họ, chữ đệm, tên người mẹ: HOÀNG THU TRANG",
            "Hoàng Thu Trang",
        ),
        (
            "6. Họ, chữ đệm và tên chủ hộ: Trần Đức Minh",
            "Trần Đức Minh",
        ),
        (
            "Người đại diện theo pháp luật: Ông Nguyễn Văn Hùng",
            "Nguyễn Văn Hùng",
        ),
        (
            "Bên ủy quyền (Bên A): Bà Đặng Thị Mỹ Linh; sinh năm 1980",
            "Đặng Thị Mỹ Linh",
        ),
        (
            "Ông/Bà: Hoàng Minh Tuấn Chức danh: Giám đốc",
            "Hoàng Minh Tuấn",
        ),
        ("Ông (Bà) Bùi Thanh Sơn", "Bùi Thanh Sơn"),
        ("Người đề nghị: Ma Văn Thắng", "Ma Văn Thắng"),
        (
            "Họ và tên: Nguyễn Văn Nam Sinh ngày: 01/01/1990",
            "Nguyễn Văn Nam",
        ),
        (
            "Họ và tên: Đỗ Xuân Trường Trình độ: Đại học",
            "Đỗ Xuân Trường",
        ),
    ] {
        let f = all(line);
        assert_eq!(values(&f, FieldKind::FullName), [want], "{line}");
        assert_eq!(of(&f, FieldKind::FullName)[0].check, Check::Valid, "{line}");
    }
    let f = all("Bên ủy quyền\nÔng Trần Đức Minh");
    assert_eq!(values(&f, FieldKind::FullName), ["Trần Đức Minh"]);
}

#[test]
fn headings_and_sentences_are_not_names() {
    for text in [
        "I. BÊN ỦY QUYỀN\nHọ và tên: Phạm Ngọc Ánh",
        "BÊN ỦY QUYỀN\n(Ký, ghi rõ họ tên)\nPhạm Ngọc Ánh",
        "Bên nhận ủy quyền được thay mặt bên ủy quyền nộp hồ sơ",
        "4. Người đại diện theo pháp luật của công ty\nHọ và tên: Phạm Ngọc Ánh",
        "Ba trăm linh năm mét vuông",
        "Bà Rịa - Vũng Tàu",
    ] {
        let f = all(text);
        let names = values(&f, FieldKind::FullName);
        assert!(
            names.is_empty() || names == ["Phạm Ngọc Ánh"],
            "{text}: {names:?}"
        );
    }
}

#[test]
fn odd_names_are_reported_invalid() {
    let f = all("Họ và tên: NGUYỄN");
    assert!(reason(&of(&f, FieldKind::FullName)[0].check).contains("1 word"));
    let f = all("Họ và tên: Nguyễn Văn Hùng2");
    assert!(reason(&of(&f, FieldKind::FullName)[0].check).contains("not letters"));
    let f = all("Họ và tên: Nguyễn văn Hùng");
    let n = of(&f, FieldKind::FullName);
    assert_eq!(n[0].value, "Nguyễn Văn Hùng");
    assert!(reason(&n[0].check).contains("'văn'"));
}

// ------------------------------------------------------------------ the API

#[test]
fn only_requested_kinds_once_each() {
    let p = page(UY_QUYEN);
    let f = extract(&[FieldKind::FullName], std::slice::from_ref(&p));
    assert!(f.iter().all(|x| x.kind == FieldKind::FullName));
    assert_eq!(f.len(), 2, "the signature repeats a name without a label");
    let twice = extract(&[FieldKind::PersonId], &[page(CCCD), page(CCCD)]);
    assert_eq!(twice.len(), 1);
    assert_eq!(twice[0].page, 0, "first occurrence kept");
    assert!(extract(&[], &[p]).is_empty());
}

#[test]
fn kind_codes_and_serde() {
    for k in FieldKind::ALL {
        assert_eq!(FieldKind::from_code(k.code()), Some(k));
        let json = serde_json::to_string(&k).expect("serialize");
        assert_eq!(json, format!("\"{}\"", k.code()));
    }
    assert_eq!(FieldKind::from_code("nope"), None);
    let c = Check::Invalid { reason: "x".into() };
    assert_eq!(
        serde_json::to_string(&c).expect("serialize"),
        r#"{"state":"invalid","reason":"x"}"#
    );
    assert_eq!(
        serde_json::to_string(&Check::Valid).expect("serialize"),
        r#"{"state":"valid"}"#
    );
}

// ------------------------------------------------------------------ lines read from scanned batches

/// The fields the built-in `doc-types.toml` requests for papers of type `code`.
fn requested(code: &str) -> Vec<FieldKind> {
    crate::classify::types::DocTypes::default_set()
        .get(code)
        .map(|t| t.fields.clone())
        .unwrap_or_default()
}

#[test]
fn birth_date_after_the_sex_on_the_same_line() {
    // batch-07.png page 1 (a health certificate): "nam sinh" (sex "Nam", then "Sinh ngày")
    // matched first and its value "ngày: 05/02/1972" is no date
    let f = all("Họ và tên (chữ in hoa): LÊ QUANG HUY
Giới tính: Nam Sinh ngày: 05/02/1972
Số CCCD: 008072392782");
    assert_eq!(values(&f, FieldKind::BirthDate), ["1972-02-05"]);
    assert_eq!(of(&f, FieldKind::BirthDate)[0].raw, "05/02/1972");
    assert_eq!(values(&f, FieldKind::FullName), ["Lê Quang Huy"]);
    assert_eq!(of(&f, FieldKind::PersonId)[0].check, Check::Valid);
    // the overlap does not read a year twice: "Nam Sinh năm 1990"
    let f = all("Giới tính: Nam Sinh năm: 1990");
    assert_eq!(values(&f, FieldKind::BirthDate), ["1990"]);
}

#[test]
fn old_card_number_under_its_title() {
    // batch-03.tif page 6: the CMND prints "Số:" under its title, no "CMND" on the line
    let f = all("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
GIẤY CHỨNG MINH NHÂN DÂN
Số: 040989411
Họ tên:
HOÀNG MINH TUẤN
Sinh ngày: 24/03/1967");
    assert_eq!(values(&f, FieldKind::LegacyId), ["040989411"]);
    assert_eq!(of(&f, FieldKind::LegacyId)[0].check, Check::Valid);
    assert_eq!(of(&f, FieldKind::LegacyId)[0].raw, "040989411");
    assert!(of(&f, FieldKind::PersonId).is_empty());
    assert!(of(&f, FieldKind::DocNumber).is_empty());
    assert_eq!(values(&f, FieldKind::FullName), ["Hoàng Minh Tuấn"]);
    // the title must end the line right above, and "Số:" must open the number's line
    let f = all("GIẤY CHỨNG MINH NHÂN DÂN\nHọ tên: Hoàng Minh Tuấn\nSố: 040989411");
    assert!(of(&f, FieldKind::LegacyId).is_empty());
    let f = all("GIẤY CHỨNG MINH NHÂN DÂN\nĐiện thoại số: 040989411");
    assert!(of(&f, FieldKind::LegacyId).is_empty());
}

#[test]
fn account_holder_on_a_bank_statement() {
    // batch-03.tif page 7
    let f = all("SAO KÊ TÀI KHOẢN
Từ ngày 01/04/2023 đến ngày 28/04/2023
Chủ tài khoản: HOÀNG MINH TUẤN
Số CCCD: 001067409439
Số tài khoản: 8555422103699 Loại tiền: VND");
    assert_eq!(values(&f, FieldKind::FullName), ["Hoàng Minh Tuấn"]);
    assert_eq!(of(&f, FieldKind::FullName)[0].raw, "HOÀNG MINH TUẤN");
    assert_eq!(values(&f, FieldKind::PersonId), ["001067409439"]);
    // a heading with no colon names nobody
    let f = all("Chủ tài khoản cam kết thông tin trên là đúng");
    assert!(of(&f, FieldKind::FullName).is_empty());
}

#[test]
fn business_registration_reads_the_representative_birth_date() {
    // batch-03.tif pages 2–3, with the type's requested fields: the representative's birth
    // date is printed; the issue date is the first registration, not the amendment
    let kinds = requested("business_registration");
    let p = page(
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP
CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN
Mã số doanh nghiệp: 5094334357
Đăng ký lần đầu: ngày 20 tháng 3 năm 2016
Đăng ký thay đổi lần thứ: 4, ngày 18 tháng 8 năm 2021
4. Người đại diện theo pháp luật của công ty
Họ và tên: HOÀNG MINH TUẤN Giới tính: Nam
Chức danh: Giám đốc
Sinh ngày: 24/03/1967 Dân tộc:Kinh Quốc tịch: Việt Nam
Số định danh cá nhân: 001067409439",
    );
    let f = extract(&kinds, std::slice::from_ref(&p));
    assert_eq!(values(&f, FieldKind::BirthDate), ["1967-03-24"]);
    assert_eq!(values(&f, FieldKind::IssueDate), ["2016-03-20"]);
    assert_eq!(values(&f, FieldKind::FullName), ["Hoàng Minh Tuấn"]);
    assert_eq!(values(&f, FieldKind::PersonId), ["001067409439"]);
    assert_eq!(of(&f, FieldKind::PersonId)[0].check, Check::Valid);
}

#[test]
fn land_decision_reads_parcel_and_sheet() {
    // batch-03.tif page 16: a decision allowing a change of land use names the parcel
    let kinds = requested("decision");
    let p = page(
        "Điều 1. Cho phép hộ gia đình Ông/Bà: Phạm Văn Toàn
Số định danh cá nhân: 001073901304
được chuyển mục đích sử dụng 100 m? đất trồng cây lâu năm sang đất
ở tại nông thôn, thuộc thửa đất số 320, tờ bản đồ số 08, phường Minh Xuân.",
    );
    let f = extract(&kinds, std::slice::from_ref(&p));
    assert_eq!(values(&f, FieldKind::ParcelNumber), ["320"]);
    assert_eq!(values(&f, FieldKind::MapSheet), ["8"]);
    assert_eq!(values(&f, FieldKind::FullName), ["Phạm Văn Toàn"]);
}

#[test]
fn land_certificate_reads_the_owners_birth_years() {
    // batch-01.tif page 2
    let kinds = requested("land_use_certificate");
    let p = page(
        "L. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với
đất
Ông: Hà Quốc Việt, năm sinh: 1965
Số định danh cá nhân: 008065771935
Bà: Hoàng Thu Trang, năm sinh: 1966
Số định danh cá nhân: 008166202375",
    );
    let f = extract(&kinds, std::slice::from_ref(&p));
    assert_eq!(values(&f, FieldKind::BirthDate), ["1965", "1966"]);
    assert_eq!(
        values(&f, FieldKind::FullName),
        ["Hà Quốc Việt", "Hoàng Thu Trang"]
    );
    assert!(of(&f, FieldKind::PersonId)
        .iter()
        .all(|x| x.check == Check::Valid));
}
