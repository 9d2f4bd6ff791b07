// sohoa's web pages: a thin client of the JSON API (/api/openapi.json). The token lives in
// sessionStorage for the tab's life; every text from the server is put in with textContent,
// never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let me = null;

function token() { return sessionStorage.getItem("sohoa-token") || ""; }

async function api(path, opts = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + token() }, opts.headers || {});
  const r = await fetch(path, Object.assign({}, opts, { headers }));
  const type = r.headers.get("content-type") || "";
  const body = type.includes("json") ? await r.json() : type.includes("pdf") ? await r.blob() : await r.text();
  if (!r.ok) {
    const msg = (body && body.error) || ("Lỗi " + r.status);
    throw new Error(msg);
  }
  return body;
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function badge(td, ok, yes, no, unknown) {
  const s = document.createElement("span");
  s.className = "badge " + (ok === true ? "ok" : ok === false ? "bad" : "unknown");
  s.textContent = ok === true ? yes : ok === false ? no : unknown;
  td.textContent = "";
  td.appendChild(s);
}

const TYPES = {
  application: "Đơn, tờ khai", citizen_id: "Căn cước công dân", birth_certificate: "Giấy khai sinh",
  residence: "Xác nhận cư trú", business_registration: "Đăng ký doanh nghiệp",
  land_use_certificate: "Giấy chứng nhận QSDĐ", decision: "Quyết định", permit: "Giấy phép",
  power_of_attorney: "Giấy ủy quyền", contract: "Hợp đồng", receipt: "Biên nhận", other: "Khác",
};
const STATES = { processing: "Đang xử lý", stored: "Đã lưu", failed: "Lỗi", retry: "Chờ thử lại", interrupted: "Bị gián đoạn" };

function show(tab) {
  document.querySelectorAll(".tab").forEach((s) => { s.hidden = s.id !== tab; });
  document.querySelectorAll("#tabs button").forEach((b) => {
    if (b.dataset.tab === tab) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
  });
  if (tab === "audit") loadAudit();
  if (tab === "inbox") loadJobs();
  if (tab === "review") loadReview();
  if (tab === "reports") loadReports();
}

async function login(ev) {
  if (ev) ev.preventDefault();
  const name = $("login-user").value.trim();
  const password = $("login-password").value;
  const t = $("token").value.trim();
  try {
    if (name && password) {
      // a login opens a session; its token is used like an API token
      const r = await fetch("/api/login", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: name, password }),
      });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(body.error || ("Lỗi " + r.status));
      sessionStorage.setItem("sohoa-token", body.token);
      $("login-password").value = "";
    } else if (t) {
      sessionStorage.setItem("sohoa-token", t);
    }
  } catch (e) {
    $("login-error").textContent = "Không đăng nhập được: " + e.message;
    return;
  }
  try {
    me = (await api("/api/me")).user;
  } catch (e) {
    sessionStorage.removeItem("sohoa-token");
    $("login-error").textContent = "Không đăng nhập được: " + e.message;
    return;
  }
  $("login-error").textContent = "";
  $("login-view").hidden = true;
  $("who").hidden = false;
  $("who-name").textContent = me.name + " (" + me.role + ")";
  $("tabs").hidden = false;
  let first = null;
  document.querySelectorAll("#tabs button").forEach((b) => {
    const ok = b.dataset.roles.split(" ").includes(me.role);
    b.hidden = !ok;
    if (ok && !first) first = b.dataset.tab;
  });
  show(first);
}

function logout() {
  // end the server's session too (an API token stays valid: it is not a session)
  if (token()) fetch("/api/logout", { method: "POST", headers: { Authorization: "Bearer " + token() } }).catch(() => {});
  sessionStorage.removeItem("sohoa-token");
  me = null;
  $("token").value = "";
  $("login-view").hidden = false;
  $("who").hidden = true;
  $("tabs").hidden = true;
  document.querySelectorAll(".tab").forEach((s) => { s.hidden = true; });
}

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

async function download(id) {
  try {
    const blob = await api("/api/components/" + id + "/pdf");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "giay-to-" + id + ".pdf";
    document.body.appendChild(a);
    a.click();
    a.remove();
  } catch (e) {
    $("search-msg").textContent = e.message;
  }
}

async function certify(id) {
  $("certify-msg").textContent = "Đang chứng thực giấy tờ #" + id + "…";
  try {
    const r = await api("/api/components/" + id + "/certify", { method: "POST" });
    $("certify-msg").textContent = "Đã chứng thực bản sao #" + r.copy_id + " của giấy tờ #" + id +
      ": số chứng thực " + r.number + ", quyển số " + r.book;
  } catch (e) {
    $("certify-msg").textContent = e.message;
  }
}

async function reuse(ev) {
  ev.preventDefault();
  const id = $("reuse-form").dataset.id;
  const body = { dossier: $("reuse-dossier").value.trim() };
  if ($("reuse-reason").value.trim()) body.override_reason = $("reuse-reason").value.trim();
  try {
    const r = await api("/api/components/" + id + "/reuse", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    $("reuse-msg").textContent = "Đã tái sử dụng giấy tờ #" + id + " cho hồ sơ " + r.dossier + (r.override ? " (ngoại lệ, đã ghi lý do)" : "");
  } catch (e) {
    $("reuse-msg").textContent = e.message;
  }
}

async function verifyUpload(ev) {
  ev.preventDefault();
  const out = $("verify-result");
  out.textContent = "Đang kiểm tra…";
  const f = $("verify-file").files[0];
  if (!f) return;
  try {
    const r = (await api("/api/verify", { method: "POST", headers: { "Content-Type": "application/pdf" }, body: f })).report;
    out.textContent = "";
    const h = document.createElement("p");
    h.className = "badge " + (r.valid ? "ok" : "bad");
    h.id = "verify-verdict";
    h.textContent = r.valid ? "Hợp lệ: mọi chữ ký còn nguyên vẹn và tin cậy" : "KHÔNG hợp lệ";
    out.appendChild(h);
    const ul = document.createElement("ul");
    for (const s of r.signatures || []) {
      const li = document.createElement("li");
      const who = (s.signer && (s.signer.common_name || s.signer.subject)) || s.field;
      const yn = (b) => (b ? "có" : "KHÔNG");
      li.textContent = who + " — nguyên vẹn: " + yn(s.intact) + "; chữ ký đúng: " + yn(s.signature_valid) +
        "; tin cậy: " + yn(s.trusted) + "; thời điểm: " + viTime(s.claimed_time || s.checked_at);
      ul.appendChild(li);
    }
    for (const p of r.problems || []) {
      const li = document.createElement("li");
      li.className = "error";
      li.textContent = typeof p === "string" ? p : JSON.stringify(p);
      ul.appendChild(li);
    }
    out.appendChild(ul);
  } catch (e) {
    out.textContent = "Không kiểm tra được: " + e.message;
  }
}

async function loadAudit() {
  const body = $("audit-log").querySelector("tbody");
  body.textContent = "";
  try {
    const r = await api("/api/audit");
    for (const e of r.entries.slice(-200).reverse()) {
      const tr = document.createElement("tr");
      cell(tr, e.seq); cell(tr, e.time); cell(tr, e.actor); cell(tr, e.action); cell(tr, e.subject);
      body.appendChild(tr);
    }
  } catch (e) {
    $("audit-msg").textContent = e.message;
  }
}

async function auditVerify() {
  try {
    const r = await api("/api/audit/verify");
    $("audit-msg").textContent = r.intact
      ? "Nhật ký nguyên vẹn: " + r.report.entries + " mục"
      : "NHẬT KÝ BỊ SỬA ĐỔI: " + JSON.stringify(r.report.first_break);
  } catch (e) {
    $("audit-msg").textContent = e.message;
  }
}

// the local calendar day of an RFC 3339 time (the browser's time zone: Vietnam's at a desk)
function localDay(t) {
  const d = new Date(t);
  if (isNaN(d)) return "";
  return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
}

async function loadJobs() {
  const body = $("jobs").querySelector("tbody");
  body.textContent = "";
  const wbody = $("waiting").querySelector("tbody");
  wbody.textContent = "";
  try {
    const w = await api("/api/inbox");
    for (const f of w.files) {
      const tr = document.createElement("tr");
      cell(tr, f.path); cell(tr, f.unit || "(mặc định)");
      cell(tr, f.bytes >= 1048576 ? (f.bytes / 1048576).toFixed(1) + " MB" : Math.ceil(f.bytes / 1024) + " KB");
      cell(tr, f.modified);
      cell(tr, f.link ? "Liên kết: sẽ bị từ chối" : f.temporary ? "Tệp tạm: bỏ qua" : "Chờ xử lý");
      wbody.appendChild(tr);
    }
    const r = await api("/api/jobs");
    const today = localDay(new Date().toISOString());
    const onlyToday = $("inbox-today").checked;
    const jobs = r.jobs.filter((j) => !onlyToday || localDay(j.updated_at) === today || j.state === "processing");
    const count = (st) => jobs.filter((j) => j.state === st).length;
    $("inbox-summary").textContent = "Trong hộp thư: " + w.files.filter((f) => !f.temporary).length +
      " · Đang xử lý: " + count("processing") + " · Đã lưu: " + count("stored") +
      " (" + jobs.filter((j) => j.state === "stored").reduce((a, j) => a + j.papers, 0) + " giấy tờ)" +
      " · Lỗi: " + count("failed") + " · Chờ thử lại: " + count("retry") + (onlyToday ? " — hôm nay" : "");
    for (const j of jobs) {
      const tr = document.createElement("tr");
      cell(tr, j.updated_at); cell(tr, j.label); cell(tr, STATES[j.state] || j.state);
      cell(tr, j.papers); cell(tr, j.message || "");
      const act = cell(tr, "");
      if (j.state === "failed" && (me.role === "operator" || me.role === "admin")) {
        let files = [];
        try { files = JSON.parse(j.files_json).map((f) => f.name); } catch (_) { files = [j.label]; }
        for (const name of files) {
          const b = document.createElement("button");
          b.type = "button"; b.textContent = "Xử lý lại"; b.className = "requeue"; b.dataset.path = name;
          b.addEventListener("click", () => requeue(name, b));
          act.appendChild(b);
        }
      }
      body.appendChild(tr);
    }
  } catch (e) {
    $("inbox-msg").textContent = e.message;
  }
}

let typeList = null;
const KINDS = {
  person_id: "Số định danh cá nhân", legacy_id: "Số CMND", full_name: "Họ và tên", birth_date: "Ngày sinh",
  tax_code: "Mã số thuế", doc_number: "Số văn bản", issue_date: "Ngày cấp", expiry_date: "Có giá trị đến",
  parcel_number: "Thửa đất số", map_sheet: "Tờ bản đồ số",
};

function fieldRow(kinds, kind, value) {
  const row = document.createElement("div");
  row.className = "field-row";
  const sel = document.createElement("select");
  sel.className = "field-kind";
  for (const k of kinds) {
    const o = document.createElement("option");
    o.value = k; o.textContent = KINDS[k] || k;
    if (k === kind) o.selected = true;
    sel.appendChild(o);
  }
  const input = document.createElement("input");
  input.className = "field-value"; input.value = value || "";
  const del = document.createElement("button");
  del.type = "button"; del.textContent = "Xóa"; del.className = "field-remove";
  del.addEventListener("click", () => row.remove());
  row.append(sel, " ", input, " ", del);
  return row;
}

async function loadReview() {
  const list = $("review-list");
  list.textContent = "";
  try {
    if (!typeList) typeList = await api("/api/types");
    const r = await api("/api/review");
    $("review-msg").textContent = r.components.length ? r.components.length + " giấy tờ chờ duyệt" : "Không có giấy tờ nào chờ duyệt";
    for (const item of r.components) {
      const c = item.component;
      const form = document.createElement("form");
      form.className = "review-item"; form.dataset.id = c.id;
      const h = document.createElement("h3");
      h.textContent = "#" + c.id + " — hồ sơ " + (c.dossier_code || "(chưa có mã)") + " — độ tin cậy " + Math.round(c.confidence * 100) + " %";
      const tl = document.createElement("label");
      tl.textContent = "Loại giấy tờ ";
      const sel = document.createElement("select");
      sel.className = "review-type";
      for (const t of typeList.types) {
        const o = document.createElement("option");
        o.value = t.code; o.textContent = t.name + " (" + t.code + ")";
        if (t.code === c.type_code) o.selected = true;
        sel.appendChild(o);
      }
      tl.appendChild(sel);
      const fields = document.createElement("div");
      fields.className = "review-fields";
      for (const f of item.fields) fields.appendChild(fieldRow(typeList.field_kinds, f.kind, f.value));
      const add = document.createElement("button");
      add.type = "button"; add.textContent = "Thêm trường";
      add.addEventListener("click", () => fields.appendChild(fieldRow(typeList.field_kinds, "full_name", "")));
      const view = document.createElement("button");
      view.type = "button"; view.textContent = "Xem bản ký số";
      view.addEventListener("click", () => download(c.id));
      const confirm = document.createElement("button");
      confirm.type = "button"; confirm.textContent = "Xác nhận đúng"; confirm.className = "review-confirm";
      confirm.addEventListener("click", () => sendReview(form, c.type_code, item.fields.map((f) => ({ kind: f.kind, value: f.value }))));
      const save = document.createElement("button");
      save.type = "submit"; save.textContent = "Lưu chỉnh sửa"; save.className = "review-save";
      const msg = document.createElement("p");
      msg.className = "msg review-result"; msg.setAttribute("role", "status");
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        const fs = Array.from(fields.querySelectorAll(".field-row")).map((row) => ({
          kind: row.querySelector(".field-kind").value, value: row.querySelector(".field-value").value,
        })).filter((f) => f.value.trim() !== "");
        sendReview(form, sel.value, fs);
      });
      form.append(h, tl, fields, add, " ", view, " ", confirm, " ", save, msg);
      list.appendChild(form);
    }
  } catch (e) {
    $("review-msg").textContent = e.message;
  }
}

async function sendReview(form, typeCode, fields) {
  const msg = form.querySelector(".review-result");
  try {
    const r = await api("/api/components/" + form.dataset.id + "/review", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ type_code: typeCode, fields }),
    });
    msg.textContent = (r.state === "corrected" ? "Đã sửa" : "Đã xác nhận") + ": " + (TYPES[r.type_code] || r.type_code) +
      (r.owner_ids.length ? " — chủ sở hữu " + r.owner_ids.join(", ") : "");
    form.classList.add("done");
    form.querySelectorAll("button, select, input").forEach((x) => { x.disabled = true; });
  } catch (e) {
    msg.textContent = "Chưa lưu: " + e.message;
  }
}

async function requeue(path, button) {
  try {
    await api("/api/failed/requeue", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ path }) });
    $("inbox-msg").textContent = "Đã chuyển lại vào hộp thư: " + path;
    button.disabled = true;
  } catch (e) {
    $("inbox-msg").textContent = e.message;
  }
}

// the reports: per unit, the three rates over the months as grouped bars from 0 to 100 %, the
// directives' targets as dashed lines, the same figures as the CSV in the table below
const RATES = [
  ["digitization_rate", "Tỷ lệ số hóa hồ sơ", "#a50e0e"],
  ["signing_rate", "Tỷ lệ ký số giấy tờ", "#1b5e9e"],
  ["reuse_rate", "Tỷ lệ tái sử dụng", "#2e7d32"],
];
const LEVELS = { province: "cấp tỉnh", district: "cấp huyện", commune: "cấp xã" };
const pct1 = (v) => (v == null ? "-" : (v * 100).toFixed(1) + " %");
const charts = [];

function reportQuery(format) {
  const q = new URLSearchParams();
  if ($("report-unit").value) q.set("unit", $("report-unit").value);
  if ($("report-from").value) q.set("from", $("report-from").value);
  if ($("report-to").value) q.set("to", $("report-to").value);
  if (format) q.set("format", format);
  return q.toString();
}

async function loadReports(ev) {
  if (ev) ev.preventDefault();
  const body = $("report-table").querySelector("tbody");
  body.textContent = "";
  $("report-msg").textContent = "Đang tải…";
  try {
    const r = await api("/api/reports?" + reportQuery());
    // the unit filter offers every unit seen (kept across filtering)
    const sel = $("report-unit");
    for (const u of new Set(r.rows.map((x) => x.unit))) {
      if (![...sel.options].some((o) => o.value === u)) {
        const o = document.createElement("option"); o.value = u; o.textContent = u; sel.appendChild(o);
      }
    }
    for (const x of r.rows) {
      const tr = document.createElement("tr");
      cell(tr, x.unit); cell(tr, x.month);
      for (const v of [x.dossiers_received, x.dossiers_digitized, x.components_digitized, x.components_signed, x.dossiers_reusing,
        pct1(x.digitization_rate), pct1(x.signing_rate), pct1(x.reuse_rate)]) cell(tr, v, "num");
      body.appendChild(tr);
    }
    const f = $("report-from").value, t = $("report-to").value;
    $("report-period").textContent = "Đơn vị: " + ($("report-unit").value || "tất cả") + " · kỳ: " +
      (f || t ? (f || "…") + " đến " + (t || "…") : "mọi tháng") + " · người lập: " + me.name + " · lập lúc " + viTime(new Date().toISOString());
    $("report-msg").textContent = r.rows.length ? "" : "Không có số liệu trong kỳ này";
    drawCharts(r.rows, r.targets || {});
  } catch (e) {
    $("report-msg").textContent = e.message;
  }
}

// draws each target as a dashed horizontal line across the plot, labelled, and records where
// (the browser tests read chart.$targets)
const targetLines = {
  id: "targetLines",
  afterDatasetsDraw(chart, _args, opts) {
    const { ctx, chartArea: a, scales: { y } } = chart;
    chart.$targets = [];
    for (const t of opts.lines || []) {
      const py = y.getPixelForValue(t.value);
      ctx.save();
      ctx.strokeStyle = t.color; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(a.left, py); ctx.lineTo(a.right, py); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = t.color; ctx.font = "11px DejaVu Sans, sans-serif";
      ctx.textAlign = "right"; ctx.fillText(t.label, a.right - 2, py - 3);
      ctx.restore();
      chart.$targets.push({ label: t.label, value: t.value, y: py });
    }
  },
};
// the value over each bar, so 0 % shows as "0 %", not as nothing
const barValues = {
  id: "barValues",
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.font = "10px DejaVu Sans, sans-serif"; ctx.textAlign = "center"; ctx.fillStyle = "#222";
    chart.data.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      meta.data.forEach((bar, j) => {
        const v = ds.data[j];
        if (v == null) return;
        // tall bars carry their value inside (clear of the target lines at the top)
        const inside = v > 85;
        ctx.fillStyle = inside ? "#fff" : "#222";
        ctx.fillText(v.toFixed(0) + " %", bar.x, inside ? bar.y + 13 : bar.y - 3);
      });
    });
    ctx.restore();
  },
};

function drawCharts(rows, targets) {
  while (charts.length) charts.pop().destroy();
  const box = $("report-charts");
  box.textContent = "";
  if (!window.Chart) { box.textContent = "Không tải được thư viện biểu đồ"; return; }
  const units = [...new Set(rows.map((r) => r.unit))];
  for (const unit of units) {
    const mine = rows.filter((r) => r.unit === unit);
    const months = [...new Set(mine.map((r) => r.month))].sort();
    const tg = targets[unit];
    const fig = document.createElement("figure");
    fig.dataset.unit = unit;
    const cap = document.createElement("figcaption");
    cap.textContent = "Đơn vị " + unit + (tg ? " (" + (LEVELS[tg.level] || tg.level) + ")" : "");
    const holder = document.createElement("div"); holder.className = "chart-box";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Biểu đồ tỷ lệ của đơn vị " + unit + ": " + mine.map((r) =>
      r.month + " — số hóa " + pct1(r.digitization_rate) + ", ký số " + pct1(r.signing_rate) + ", tái sử dụng " + pct1(r.reuse_rate)).join("; "));
    holder.appendChild(canvas);
    fig.append(cap, holder);
    box.appendChild(fig);
    const lines = [];
    for (const [k, name, color] of RATES) {
      if (tg && tg[k] != null) lines.push({ label: "Mục tiêu: " + (tg[k] * 100).toFixed(0) + " %", value: tg[k] * 100, color, rate: k });
    }
    const chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: months.map((m) => "Tháng " + m.slice(5) + "/" + m.slice(0, 4)),
        datasets: RATES.map(([k, name, color]) => ({
          label: name, rate: k, backgroundColor: color, borderColor: color, minBarLength: 2, maxBarThickness: 56,
          data: months.map((m) => { const r = mine.find((x) => x.month === m); return r && r[k] != null ? Math.round(r[k] * 1000) / 10 : null; }),
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        layout: { padding: { top: 14 } },
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: "Tỷ lệ (%)" }, ticks: { stepSize: 20, callback: (v) => v + " %" } },
          x: { title: { display: true, text: "Tháng" } },
        },
        plugins: {
          legend: {
            position: "bottom",
            labels: {
              generateLabels(c) {
                const items = Chart.defaults.plugins.legend.labels.generateLabels(c);
                for (const t of lines) {
                  const rate = RATES.find((x) => x[0] === t.rate);
                  items.push({ text: t.label.replace("Mục tiêu", "Mục tiêu " + rate[1].replace("Tỷ lệ ", "")), strokeStyle: t.color, fillStyle: "rgba(0,0,0,0)", lineDash: [6, 4], lineWidth: 2, hidden: false, datasetIndex: null });
                }
                return items;
              },
            },
            onClick(e, item, legend) {
              if (item.datasetIndex == null) return;
              Chart.defaults.plugins.legend.onClick.call(this, e, item, legend);
            },
          },
          tooltip: { callbacks: { label: (ctx) => ctx.dataset.label + ": " + (ctx.raw == null ? "-" : ctx.raw.toFixed(1) + " %") } },
          targetLines: { lines },
        },
      },
      plugins: [targetLines, barValues],
    });
    charts.push(chart);
  }
}

async function csv() {
  try {
    const text = await api("/api/reports?" + reportQuery("csv"));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    a.download = "bao-cao-so-hoa.csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
  } catch (e) {
    $("report-msg").textContent = e.message;
  }
}

// charts drawn for the screen are redrawn at the paper's size when printing
window.addEventListener("beforeprint", () => charts.forEach((c) => c.resize()));
window.addEventListener("afterprint", () => charts.forEach((c) => c.resize()));

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("search-form").addEventListener("submit", search);
  $("reuse-form").addEventListener("submit", reuse);
  $("verify-form").addEventListener("submit", verifyUpload);
  $("audit-verify").addEventListener("click", auditVerify);
  $("inbox-refresh").addEventListener("click", loadJobs);
  $("inbox-today").addEventListener("change", loadJobs);
  $("review-refresh").addEventListener("click", loadReview);
  $("report-csv").addEventListener("click", csv);
  $("report-form").addEventListener("submit", loadReports);
  $("report-print").addEventListener("click", () => window.print());
  $("dossier-form").addEventListener("submit", loadDossier);
  $("page-prev").addEventListener("click", () => { results.page--; renderResults(); });
  $("page-next").addEventListener("click", () => { results.page++; renderResults(); });
  document.querySelectorAll("#results th[data-key] button.sort").forEach((b) => b.addEventListener("click", () => sortBy(b.parentElement.dataset.key)));
  $("preview-close").addEventListener("click", closePreview);
  $("preview-prev").addEventListener("click", () => { if (preview.page > 1) { preview.page--; showPage(); } });
  $("preview-next").addEventListener("click", () => { if (preview.page < preview.pages) { preview.page++; showPage(); } });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("preview").hidden) closePreview(); });
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
  if (token()) login();
});
