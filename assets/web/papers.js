// sohoa's web pages, the papers: result lists people read (holder first, dd/mm/yyyy, sorted,
// paged), the paper preview (pages rendered by the server beside the verdict in words) and
// a dossier's view with its history. Loaded after app.js (its helpers); text goes in with
// textContent only.
"use strict";

// dates as people at the desk write them: dd/mm/yyyy (an ISO date), dd/mm/yyyy HH:MM (a time,
// in the browser's time zone: the desk's)
function viDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return m ? m[3] + "/" + m[2] + "/" + m[1] : (iso || "");
}
function viTime(t) {
  // a PDF date (/M: "D:20261206113455+07'00'") as RFC 3339 first
  const m = /^D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}'?\d{2}'?)?/.exec(t || "");
  if (m) t = m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":" + m[6] + (!m[7] || m[7] === "Z" ? "Z" : m[7].replace(/'/g, "").replace(/(\d{2})(\d{2})$/, "$1:$2"));
  const d = new Date(t);
  if (!t || isNaN(d)) return t || "";
  const p = (n) => String(n).padStart(2, "0");
  return p(d.getDate()) + "/" + p(d.getMonth() + 1) + "/" + d.getFullYear() + " " + p(d.getHours()) + ":" + p(d.getMinutes());
}
// the CN of an RFC 4514 distinguished name ("CN=Nguyễn Văn A,O=…"), escapes undone
function commonName(dn) {
  if (!dn) return "";
  const parts = dn.split(/(?<!\\),/);
  for (const p of parts) {
    const m = /^\s*CN=(.*)$/i.exec(p);
    if (m) return m[1].replace(/\\(.)/g, "$1").trim();
  }
  return dn;
}
const typeName = (c) => (TYPES[c.type_code] || c.type_code) + (c.certified_copy
  ? " — bản sao chứng thực số " + c.certified_copy.number + ", quyển " + c.certified_copy.book + " (từ #" + c.certified_copy.source_id + ")"
  : "");
const isExpired = (c) => c.valid_until && c.valid_until < new Date().toISOString().slice(0, 10);
const BADGE_WORDS = { missing: "Thiếu tệp", unsigned: "Chưa ký" };
function badgeOf(td, sig) {
  const verifies = sig && sig.status === "verifies" ? true : sig && sig.status === "does_not_verify" ? false : null;
  badge(td, verifies, "Chữ ký hợp lệ", "Chữ ký KHÔNG hợp lệ", (sig && BADGE_WORDS[sig.status]) || "Không kiểm tra được");
}

// the holder first: name (bold) and identity number under it
function holderCell(tr, c) {
  const td = cell(tr, "", "holder");
  const name = document.createElement("strong");
  name.textContent = c.holder_name || "(chưa đọc được tên)";
  td.appendChild(name);
  if (c.owner_ids && c.owner_ids.length) {
    const id = document.createElement("small");
    id.textContent = "Số định danh: " + c.owner_ids.join(", ");
    td.appendChild(id);
  }
  return td;
}

function button(text, cls, onClick, label) {
  const b = document.createElement("button");
  b.type = "button"; b.textContent = text; if (cls) b.className = cls;
  if (label) b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

// rows a page (a test may set data-page-size on the table)
const pageSize = () => Number($("results").dataset.pageSize) || 20;
const results = { rows: [], page: 0, key: null, dir: 1, badges: new Map() };
const SORT_KEYS = {
  holder: (c) => (c.holder_name || "\uffff").toLocaleLowerCase("vi"),
  type: (c) => typeName(c),
  dossier: (c) => c.dossier_code || "\uffff",
  issued: (c) => c.issue_date || "",
  valid: (c) => c.valid_until || "9999",
  signer: (c) => commonName(c.signature && c.signature.signer_subject).toLocaleLowerCase("vi"),
};

async function search(ev) {
  ev.preventDefault();
  const q = new URLSearchParams();
  if ($("q-person").value.trim()) q.set("person", $("q-person").value.trim());
  if ($("q-text").value.trim()) q.set("text", $("q-text").value.trim());
  if ($("q-dossier").value.trim()) q.set("dossier", $("q-dossier").value.trim());
  q.set("limit", "500");
  $("results").querySelector("tbody").textContent = "";
  $("search-msg").textContent = "Đang tìm…";
  try {
    const r = await api("/api/components?" + q.toString());
    results.rows = r.components; results.page = 0; results.badges = new Map();
    $("search-msg").textContent = r.components.length ? r.components.length + " giấy tờ" : "Không tìm thấy giấy tờ nào";
    $("results").hidden = r.components.length === 0;
    renderResults();
  } catch (e) {
    $("search-msg").textContent = e.message;
    $("results").hidden = true;
    $("results-pager").hidden = true;
  }
}

function sortBy(key) {
  results.dir = results.key === key ? -results.dir : 1;
  results.key = key;
  const f = SORT_KEYS[key];
  results.rows.sort((a, b) => String(f(a)).localeCompare(String(f(b)), "vi") * results.dir);
  document.querySelectorAll("#results th[data-key]").forEach((th) => {
    if (th.dataset.key === key) th.setAttribute("aria-sort", results.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  });
  results.page = 0;
  renderResults();
}

function renderResults() {
  const body = $("results").querySelector("tbody");
  body.textContent = "";
  const size = pageSize();
  const pages = Math.max(1, Math.ceil(results.rows.length / size));
  results.page = Math.min(results.page, pages - 1);
  const from = results.page * size;
  const shown = results.rows.slice(from, from + size);
  $("results-pager").hidden = results.rows.length <= size;
  $("page-info").textContent = "Trang " + (results.page + 1) + "/" + pages + " — giấy tờ " + (from + 1) + "–" + (from + shown.length) + " trong " + results.rows.length;
  $("page-prev").disabled = results.page === 0;
  $("page-next").disabled = results.page >= pages - 1;
  for (const c of shown) {
    const tr = document.createElement("tr");
    tr.dataset.id = c.id;
    holderCell(tr, c);
    cell(tr, typeName(c));
    const dc = cell(tr, "");
    if (c.dossier_code) dc.appendChild(button(c.dossier_code, "link open-dossier", () => openDossier(c.dossier_code), "Mở hồ sơ " + c.dossier_code));
    cell(tr, viDate(c.issue_date));
    cell(tr, c.valid_until ? viDate(c.valid_until) + (isExpired(c) ? " (hết hạn)" : "") : "Không thời hạn", isExpired(c) ? "error" : "");
    const signer = cell(tr, c.signature ? commonName(c.signature.signer_subject) : "");
    if (c.signature) signer.title = c.signature.signer_subject;
    const badgeCell = cell(tr, "…");
    const actions = cell(tr, "", "actions");
    actions.appendChild(button("Xem", "preview", () => openPreview(c.id), "Xem giấy tờ #" + c.id));
    if (me.role === "officer" || me.role === "admin") {
      actions.append(" ", button("Tải về", "download", () => download(c.id)), " ",
        button("Tái sử dụng", "reuse", () => { $("reuse-form").hidden = false; $("reuse-id").textContent = "#" + c.id; $("reuse-form").dataset.id = c.id; $("reuse-dossier").focus(); }), " ",
        button("Chứng thực bản sao", "certify", () => certify(c.id)));
    }
    body.appendChild(tr);
    // the badge: checked once per paper per search (each check is logged)
    if (!results.badges.has(c.id)) {
      results.badges.set(c.id, api("/api/components/" + c.id).then((d) => d.signature, () => null));
    }
    results.badges.get(c.id).then((sig) => badgeOf(badgeCell, sig));
  }
}

// the paper preview: page pictures rendered by the server from the signed PDF, beside what
// was read and the verification verdict in words
const preview = { id: null, page: 1, pages: 1, url: null };

async function openPreview(id) {
  const panel = $("preview");
  if (panel.parentElement !== $(currentTab())) $(currentTab()).appendChild(panel);
  panel.hidden = false;
  preview.id = id; preview.page = 1; preview.pages = 1;
  $("preview-title").textContent = "Xem giấy tờ #" + id;
  $("preview-facts").textContent = ""; $("preview-fields").textContent = ""; $("preview-signatures").textContent = "";
  $("preview-verdict").textContent = "Đang kiểm tra chữ ký…"; $("preview-verdict").className = "verdict";
  $("preview-title").focus();
  panel.scrollIntoView({ block: "start" });
  try {
    const d = await api("/api/components/" + id);
    const c = d.component;
    preview.pages = Math.max(1, c.pages || 1);
    $("preview-title").textContent = "Xem giấy tờ #" + id + ": " + typeName(c) + (c.holder_name ? " — " + c.holder_name : "");
    showPage();
    facts($("preview-facts"), [
      ["Loại giấy tờ", typeName(c)],
      ["Chủ giấy tờ", c.holder_name || "(chưa đọc được tên)"],
      ["Số định danh", (c.owner_ids || []).join(", ") || "—"],
      ["Hồ sơ", c.dossier_code || "—"],
      ["Đơn vị", c.unit_code],
      ["Số trang", String(c.pages)],
      ["Ngày cấp", viDate(c.issue_date) || "—"],
      ["Hiệu lực đến", c.valid_until ? viDate(c.valid_until) + (isExpired(c) ? " (HẾT HẠN)" : "") : "Không thời hạn"],
      ["Số hóa lúc", viTime(c.created_at)],
      ["Tái sử dụng", c.reuses + " lần"],
    ]);
    facts($("preview-fields"), (d.fields || []).map((f) => [KINDS[f.kind] || f.kind, viDate(f.value)]));
    verdictWords(d, $("preview-verdict"), $("preview-signatures"));
  } catch (e) {
    $("preview-verdict").textContent = "Không mở được giấy tờ: " + e.message;
  }
}

function facts(dl, pairs) {
  dl.textContent = "";
  for (const [k, v] of pairs) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    dl.append(dt, dd);
  }
}

async function showPage() {
  const img = $("preview-img");
  $("preview-page-info").textContent = "Trang " + preview.page + "/" + preview.pages;
  $("preview-prev").disabled = preview.page <= 1;
  $("preview-next").disabled = preview.page >= preview.pages;
  $("preview-img-msg").textContent = "Đang tải trang " + preview.page + "…";
  try {
    const r = await fetch("/api/components/" + preview.id + "/pages/" + preview.page, { headers: { Authorization: "Bearer " + token() } });
    if (!r.ok) throw new Error(((await r.json().catch(() => ({}))).error) || ("Lỗi " + r.status));
    const blob = await r.blob();
    if (preview.url) URL.revokeObjectURL(preview.url);
    preview.url = URL.createObjectURL(blob);
    img.src = preview.url;
    img.alt = "Trang " + preview.page + " trên " + preview.pages + " của giấy tờ #" + preview.id + ", hiển thị từ bản PDF đã ký số";
    await img.decode();
    $("preview-img-msg").textContent = "";
  } catch (e) {
    $("preview-img-msg").textContent = "Không hiển thị được trang: " + e.message;
  }
}

// the verdict in words: who signed, when, trusted or not, changed or not
function verdictWords(d, head, list) {
  const st = d.signature && d.signature.status;
  head.className = "verdict badge " + (d.signature_verifies === true ? "ok" : d.signature_verifies === false ? "bad" : "unknown");
  head.textContent = d.signature_verifies === true ? "Hợp lệ: mọi chữ ký còn nguyên vẹn, đúng và tin cậy"
    : d.signature_verifies === false ? "KHÔNG hợp lệ: xem từng chữ ký dưới đây"
    : st === "unsigned" ? "Giấy tờ chưa được ký số" : st === "missing" ? "Thiếu tệp đã ký trong kho"
    : "Không kiểm tra được" + (d.signature && d.signature.reason ? ": " + d.signature.reason : "");
  list.textContent = "";
  const sigs = (d.report && d.report.signatures) || [];
  for (const s of sigs) {
    const li = document.createElement("li");
    const who = (s.signer && (s.signer.common_name || s.signer.subject)) || s.field;
    const ts = s.kind === "document_timestamp";
    const when = s.timestamp && s.timestamp.time ? viTime(s.timestamp.time) + " (dấu thời gian)" : s.claimed_time ? viTime(s.claimed_time) + " (người ký khai)" : viTime(s.checked_at);
    const changed = s.modifications && s.modifications.level === "disallowed" ? "tệp ĐÃ BỊ SỬA sau khi ký"
      : s.coverage && s.coverage.whole_file ? "tệp không bị sửa sau khi ký"
      : "sau khi ký chỉ có thay đổi được phép (" + ((s.modifications && s.modifications.changes.length) || 0) + " thay đổi: chữ ký sau, dấu thời gian)";
    li.textContent = (ts ? "Dấu thời gian tài liệu của " : "Ký bởi ") + who + ", lúc " + when + "; " +
      (s.trusted ? "chứng thư số tin cậy" : "chứng thư số KHÔNG tin cậy") + "; " +
      (s.intact && s.signature_valid ? "chữ ký đúng" : "chữ ký SAI") + "; " + changed +
      (s.pades && s.pades.level ? "; mức " + s.pades.level : "") + (s.valid ? "" : " — KHÔNG hợp lệ: " + (s.problems || []).join("; "));
    li.className = s.valid ? "" : "error";
    list.appendChild(li);
  }
  for (const p of (d.report && d.report.problems) || []) {
    const li = document.createElement("li"); li.className = "error"; li.textContent = p; list.appendChild(li);
  }
}

function closePreview() {
  $("preview").hidden = true;
  if (preview.url) { URL.revokeObjectURL(preview.url); preview.url = null; }
  $("preview-img").removeAttribute("src");
  const back = document.querySelector('tr[data-id="' + preview.id + '"] button.preview');
  if (back) back.focus();
}

function currentTab() {
  const t = document.querySelector(".tab:not([hidden])");
  return t ? t.id : "search";
}

// one dossier: its papers in order, those reused into it, its history
const HAPPENED = {
  received: () => "Tiếp nhận hồ sơ",
  digitized: (h) => "Số hóa và ký số giấy tờ #" + h.component + (h.details && h.details.type ? " (" + (TYPES[h.details.type] || h.details.type) + ")" : "") +
    (h.details && h.details.signature ? ", ký bởi " + commonName(h.details.signature.signer) : ""),
  reviewed: (h) => "Duyệt loại giấy tờ #" + h.component,
  reused_here: (h) => "Tái sử dụng giấy tờ #" + h.component + " cho hồ sơ này" + (h.details && h.details.override_reason ? " (ngoại lệ: " + h.details.override_reason + ")" : ""),
  reused_elsewhere: (h) => "Giấy tờ #" + h.component + " được tái sử dụng cho hồ sơ " + ((h.details && h.details.dossier) || ""),
  certified: (h) => "Chứng thực bản sao giấy tờ #" + h.component + (h.details && h.details.number ? ": số " + h.details.number : ""),
  renewed: (h) => "Gia hạn chữ ký số dài hạn giấy tờ #" + h.component,
  downloaded: (h) => "Tải về giấy tờ #" + h.component,
  viewed: (h) => "Xem giấy tờ #" + h.component + (h.details && h.details.page ? ", trang " + h.details.page : ""),
  exported: (h) => "Xuất gói hồ sơ",
};

// the dossier as a signed package for the one-stop system (its papers, manifest.json and the
// manifest's signature; portal.json with the national portal's field names)
async function exportDossier() {
  const code = $("dossier-view").dataset.code;
  if (!code) return;
  $("dossier-export-msg").textContent = "Đang xuất gói hồ sơ " + code + "…";
  try {
    const blob = await api("/api/dossiers/" + encodeURIComponent(code) + "/package?portal=true");
    saveBlob(blob, "ho-so-" + code + ".zip");
    $("dossier-export-msg").textContent = "Đã xuất gói hồ sơ " + code + " (" + Math.round(blob.size / 1024) +
      " KB): kiểm tra ngoại tuyến bằng lệnh sohoa verify-package";
  } catch (e) {
    $("dossier-export-msg").textContent = "Không xuất được gói hồ sơ: " + e.message;
  }
}

async function openDossier(code) {
  show("dossier");
  $("dossier-code").value = code;
  await loadDossier();
}

async function loadDossier(ev) {
  if (ev) ev.preventDefault();
  const code = $("dossier-code").value.trim();
  if (!code) return;
  $("dossier-msg").textContent = "Đang mở hồ sơ " + code + "…";
  $("dossier-view").hidden = true;
  try {
    const d = await api("/api/dossiers/" + encodeURIComponent(code));
    $("dossier-msg").textContent = "";
    $("dossier-title").textContent = "Hồ sơ " + d.code;
    $("dossier-view").dataset.code = d.code;
    $("dossier-export-msg").textContent = "";
    const pages = d.papers.reduce((a, f) => a + f.component.pages, 0);
    const holders = [...new Set(d.papers.map((f) => f.component.holder_name).filter(Boolean))];
    $("dossier-summary").textContent = "Đơn vị " + d.unit_code + " · tiếp nhận " + viTime(d.received_at) + " · " +
      d.papers.length + " giấy tờ, " + pages + " trang" + (d.reused.length ? " · " + d.reused.length + " giấy tờ tái sử dụng" : "") +
      (holders.length ? " · " + holders.join(", ") : "");
    const fill = (table, rows, own) => {
      const body = table.querySelector("tbody");
      body.textContent = "";
      rows.forEach((f, i) => {
        const c = f.component;
        const tr = document.createElement("tr");
        tr.dataset.id = c.id;
        cell(tr, i + 1);
        cell(tr, typeName(c));
        holderCell(tr, c);
        if (own) cell(tr, c.pages, "num"); else cell(tr, c.dossier_code || "— (không thuộc hồ sơ)");
        badgeOf(cell(tr, ""), f.signature);
        cell(tr, "", "actions").appendChild(button("Xem", "preview", () => openPreview(c.id), "Xem giấy tờ #" + c.id));
        body.appendChild(tr);
      });
    };
    fill($("dossier-papers"), d.papers, true);
    fill($("dossier-reused"), d.reused, false);
    $("dossier-reused").hidden = d.reused.length === 0;
    const ol = $("dossier-history");
    ol.textContent = "";
    for (const h of d.history) {
      const li = document.createElement("li");
      li.dataset.happened = h.happened;
      const t = document.createElement("time");
      t.dateTime = h.time; t.textContent = viTime(h.time);
      li.append(t, " — " + (HAPPENED[h.happened] || ((x) => x.happened))(h) + (h.actor ? " (" + h.actor + ")" : ""));
      ol.appendChild(li);
    }
    $("dossier-view").hidden = false;
    $("dossier-title").focus();
  } catch (e) {
    $("dossier-msg").textContent = "Không mở được hồ sơ: " + e.message;
  }
}
