// The web pages in Debian's headless Chromium, as the three kinds of user meet them:
//   officer: log in, search a citizen by ID number and by name, see the paper with a verify
//            badge, download its signed PDF, reuse it in a new dossier, correct its type in
//            the review queue;
//   auditor: drop that PDF on the verify page and read "valid"; check the audit log;
//            open the reports (table and CSV);
//   operator: see today's counts and the failed file in the inbox page, and re-queue it.
// Run by tests/integration/web.rs against a real `sohoa serve`:
//   node desk.mjs BASE_URL TOKENS_JSON PERSON_ID FAILED_PATH OUT_DIR FULL_NAME
// Prints one line per step; exits 1 at the first step that fails.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [base, tokensJson, person, failedPath, outDir, fullName] = process.argv.slice(2);
const tokens = JSON.parse(tokensJson);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let failed = false;
const step = async (name, fn) => {
  try {
    await fn();
    console.log("ok   " + name);
  } catch (e) {
    console.log("FAIL " + name + ": " + (e && e.message ? e.message : e));
    failed = true;
    throw e;
  }
};

async function loginAs(page, who) {
  await page.goto(base + "/");
  await page.fill("#token", tokens[who]);
  await page.click("#login");
  await page.waitForSelector("#tabs:not([hidden])", { timeout: 10000 });
  const name = await page.textContent("#who-name");
  if (!name.includes("(" + who + ")")) throw new Error("signed in as " + name);
}

try {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

  await step("a wrong token is refused with a message", async () => {
    await page.goto(base + "/");
    await page.fill("#token", "not-a-token");
    await page.click("#login");
    await page.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
    const msg = await page.textContent("#login-error");
    if (!msg.includes("Không đăng nhập được")) throw new Error(msg);
  });

  let pdfPath = join(outDir, "downloaded.pdf");
  await step("officer: a wrong password is refused", async () => {
    await page.goto(base + "/");
    await page.fill("#login-user", tokens.officer_name);
    await page.fill("#login-password", "not the password");
    await page.click("#login");
    await page.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
    const msg = await page.textContent("#login-error");
    if (!msg.includes("wrong user name or password")) throw new Error(msg);
  });

  await step("officer: log in with name and password, search by ID number, see the verify badge", async () => {
    await page.goto(base + "/");
    await page.fill("#login-user", tokens.officer_name);
    await page.fill("#login-password", tokens.officer_password);
    await page.click("#login");
    await page.waitForSelector("#tabs:not([hidden])", { timeout: 10000 });
    const name = await page.textContent("#who-name");
    if (!name.includes(tokens.officer_name + " (officer)")) throw new Error("signed in as " + name);
    await page.fill("#q-person", person);
    await page.click("#search-go");
    await page.waitForSelector("#results tbody tr", { timeout: 10000 });
    await page.waitForFunction(() => {
      const b = document.querySelector("#results tbody tr .badge");
      return b && b.textContent.length > 0;
    }, null, { timeout: 30000 });
    const row = await page.textContent("#results tbody tr");
    if (!row.includes("Căn cước công dân")) throw new Error("row: " + row);
    if (!row.includes("Chữ ký hợp lệ")) throw new Error("badge: " + row);
  });

  await step("officer: download the signed PDF", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 15000 }),
      page.click("#results tbody tr button.download"),
    ]);
    await download.saveAs(pdfPath);
    const head = readFileSync(pdfPath).subarray(0, 5).toString();
    if (head !== "%PDF-") throw new Error("not a PDF: " + head);
  });

  await step("officer: search by name finds the same paper", async () => {
    await page.fill("#q-person", "");
    await page.fill("#q-text", fullName);
    await page.click("#search-go");
    await page.waitForFunction(() => /giấy tờ$/.test(document.getElementById("search-msg").textContent), null, { timeout: 10000 });
    const rows = await page.textContent("#results tbody");
    if (!rows.includes("Căn cước công dân")) throw new Error("rows: " + rows);
  });

  await step("officer: reuse the paper in a new dossier", async () => {
    await page.click("#results tbody tr button.reuse");
    await page.fill("#reuse-dossier", "000.00.10.H59-261122-0042");
    await page.click("#reuse-go");
    await page.waitForFunction(() => document.getElementById("reuse-msg").textContent.length > 0, null, { timeout: 10000 });
    const msg = await page.textContent("#reuse-msg");
    if (!msg.startsWith("Đã tái sử dụng")) throw new Error(msg);
  });

  await step("officer: certify a copy of the paper", async () => {
    await page.click("#results tbody tr button.certify");
    await page.waitForFunction(() => {
      const t = document.getElementById("certify-msg").textContent;
      return t.length > 0 && !t.startsWith("Đang");
    }, null, { timeout: 30000 });
    const msg = await page.textContent("#certify-msg");
    if (!/^Đã chứng thực bản sao #\d+ .*số chứng thực 1, quyển số /.test(msg)) throw new Error(msg);
    // the copy is listed among the citizen's papers as a certified copy
    await page.click("#search-go");
    await page.waitForFunction(() => /bản sao chứng thực số 1/.test(document.getElementById("results").textContent), null, { timeout: 10000 });
  });

  await step("officer: correct the type in the review queue", async () => {
    await page.click("#tabs button[data-tab=review]");
    await page.waitForSelector("#review-list form.review-item", { timeout: 10000 });
    const form = page.locator("#review-list form.review-item").first();
    const fields = await form.locator(".field-row").count();
    if (fields === 0) throw new Error("no fields shown for review");
    await form.locator("select.review-type").selectOption("residence");
    await form.locator("button.review-save").click();
    await page.waitForFunction(() => {
      const m = document.querySelector("#review-list .review-result");
      return m && m.textContent.length > 0;
    }, null, { timeout: 10000 });
    const msg = await form.locator(".review-result").textContent();
    if (!msg.startsWith("Đã sửa")) throw new Error(msg);
    await page.click("#review-refresh");
    await page.waitForFunction(() => document.getElementById("review-msg").textContent.includes("Không có"), null, { timeout: 10000 });
  });

  await step("auditor: verify the downloaded PDF by upload", async () => {
    await page.click("#logout");
    await loginAs(page, "auditor");
    await page.click("#tabs button[data-tab=verify]");
    await page.setInputFiles("#verify-file", pdfPath);
    await page.click("#verify-go");
    await page.waitForSelector("#verify-verdict", { timeout: 30000 });
    const v = await page.textContent("#verify-verdict");
    if (!v.startsWith("Hợp lệ")) throw new Error(v);
  });

  await step("auditor: the audit log is intact and lists the download", async () => {
    await page.click("#tabs button[data-tab=audit]");
    await page.click("#audit-verify");
    await page.waitForFunction(() => document.getElementById("audit-msg").textContent.length > 0);
    const msg = await page.textContent("#audit-msg");
    if (!msg.includes("nguyên vẹn")) throw new Error(msg);
    const log = await page.textContent("#audit-log");
    if (!log.includes("download")) throw new Error("no download in the log");
  });

  await step("auditor: reports table, chart and CSV", async () => {
    await page.click("#tabs button[data-tab=reports]");
    await page.waitForSelector("#report-table tbody tr", { timeout: 10000 });
    const bars = await page.locator("#report-chart rect").count();
    if (bars === 0) throw new Error("no chart");
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 15000 }),
      page.click("#report-csv"),
    ]);
    const p = join(outDir, "report.csv");
    await download.saveAs(p);
    if (!readFileSync(p, "utf8").startsWith("don_vi/unit,")) throw new Error("CSV header");
  });

  await step("operator: the failed file is listed and re-queued", async () => {
    await page.click("#logout");
    await loginAs(page, "operator");
    await page.click("#tabs button[data-tab=inbox]");
    await page.waitForFunction(() => document.getElementById("inbox-summary").textContent.includes("Đã lưu: 1"), null, { timeout: 10000 });
    const summary = await page.textContent("#inbox-summary");
    if (!summary.includes("Lỗi: 1") || !summary.includes("hôm nay")) throw new Error(summary);
    const button = `#jobs button.requeue[data-path="${failedPath}"]`;
    await page.waitForSelector(button, { timeout: 10000 });
    await page.click(button);
    await page.waitForFunction(() => document.getElementById("inbox-msg").textContent.includes("Đã chuyển lại"));
  });

  await step("no script errors on the pages", async () => {
    const real = errors.filter((e) => !e.includes("401") && !e.includes("Failed to load resource"));
    if (real.length) throw new Error(real.join("; "));
  });
} catch (_) {
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
