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
  const body = type.includes("json") ? await r.json() : type.includes("pdf") || type.includes("zip") ? await r.blob() : await r.text();
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

// hands `blob` to the browser as a download named `name`
function saveBlob(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

async function download(id) {
  try {
    saveBlob(await api("/api/components/" + id + "/pdf"), "giay-to-" + id + ".pdf");
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
      ? "Nhật ký nguyên vẹn: " + r.report.entries + " mục; neo đến mục " + r.anchored_to +
        " bởi " + r.checkpoints.length + " điểm kiểm (checkpoint) đã ký" +
        (r.unanchored > 0 ? "; " + r.unanchored + " mục mới chưa được neo" : "")
      : "NHẬT KÝ BỊ SỬA ĐỔI: " + r.problems.join(" | ");
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
  parcel_number: "Thửa đất số", map_sheet: "Tờ bản đồ số", seal: "Con dấu (present/absent)",
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
  $("dossier-export").addEventListener("click", exportDossier);
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
