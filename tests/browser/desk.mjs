// The web pages in Debian's headless Chromium, as the three kinds of user meet them:
//   officer: log in, search a citizen by ID number and by name, see the paper with a verify
//            badge, download its signed PDF, reuse it in a new dossier, correct its type in
//            the review queue;
//   auditor: drop that PDF on the verify page and read "valid"; check the audit log;
//            open the reports (table and CSV);
//   operator: see today's counts and the failed file in the inbox page, and re-queue it.
// And the pages people look at: results with the holder first, sorted and paged; the paper
// preview (page rendered by the server, checked not blank; the verdict in words); the sample
// dossier's view (every paper in scan order, the history); the report's chart (axes, legend,
// targets, the CSV's numbers) and its print-out; keyboard use; every page at 1366×768 with
// every control labelled. Screenshots go to OUT_DIR.
// Run by tests/integration/web.rs against a real `sohoa serve`:
//   node desk.mjs BASE_URL TOKENS_JSON PERSON_ID FAILED_PATH OUT_DIR FULL_NAME EXPECT_JSON
// EXPECT_JSON: {"dossier": CODE, "dossier_ids": [ids in scan order], "card_id": the ID card's id}
// Prints one line per step; exits 1 at the first step that fails.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [base, tokensJson, person, failedPath, outDir, fullName, expectJson] = process.argv.slice(2);
const tokens = JSON.parse(tokensJson);
const expect = JSON.parse(expectJson);

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
  // the screens desks have
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 768 } });
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

  await step("officer: results list the holder first, the signer's name (full DN on hover), dd/mm/yyyy dates", async () => {
    const heads = await page.$$eval("#results thead th", (ths) => ths.map((t) => t.textContent.trim()));
    if (heads[0] !== "Chủ giấy tờ") throw new Error("first column: " + heads.join(" | "));
    // one result: no pager
    if (await page.isVisible("#results-pager")) throw new Error("a pager over one page of results");
    const holder = await page.textContent("#results tbody tr td.holder");
    if (!holder.includes(fullName) || !holder.includes(person)) throw new Error("holder cell: " + holder);
    const signer = await page.$eval("#results tbody tr td:nth-child(6)", (td) => ({ text: td.textContent, title: td.title }));
    if (!signer.title.includes("CN=") || signer.text.includes("CN=") || signer.text.length < 3) throw new Error(JSON.stringify(signer));
    const dates = await page.$$eval("#results tbody tr td:nth-child(4), #results tbody tr td:nth-child(5)", (tds) => tds.map((t) => t.textContent));
    for (const d of dates) {
      if (d && !/^\d{2}\/\d{2}\/\d{4}( \(hết hạn\))?$/.test(d) && d !== "Không thời hạn") throw new Error("a date shown as " + d);
    }
  });

  await step("officer: the preview shows page 1 rendered from the signed PDF, not blank, beside the verdict in words", async () => {
    await page.click("#results tbody tr button.preview");
    await page.waitForFunction(() => {
      const i = document.getElementById("preview-img");
      return i.complete && i.naturalWidth > 0 && document.getElementById("preview-img-msg").textContent === "";
    }, null, { timeout: 30000 });
    const ink = await page.evaluate(() => {
      const i = document.getElementById("preview-img");
      const c = document.createElement("canvas");
      c.width = i.naturalWidth; c.height = i.naturalHeight;
      const g = c.getContext("2d");
      g.drawImage(i, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let dark = 0, light = 0;
      for (let k = 0; k < d.length; k += 4) {
        const y = (d[k] + d[k + 1] + d[k + 2]) / 3;
        if (y < 100) dark++; else if (y > 200) light++;
      }
      const n = d.length / 4;
      return { w: c.width, h: c.height, dark: dark / n, light: light / n };
    });
    if (Math.max(ink.w, ink.h) !== 1400) throw new Error("picture size " + ink.w + "×" + ink.h);
    if (ink.dark < 0.002 || ink.light < 0.3) throw new Error("a blank or black page: " + JSON.stringify(ink));
    await page.waitForFunction(() => /^Hợp lệ/.test(document.getElementById("preview-verdict").textContent), null, { timeout: 30000 });
    const sigs = await page.textContent("#preview-signatures");
    for (const w of ["Ký bởi", "chứng thư số tin cậy", "chữ ký đúng", "lúc "]) {
      if (!sigs.includes(w)) throw new Error(w + " not in " + sigs);
    }
    const facts = await page.textContent("#preview-facts");
    if (!facts.includes(fullName) || !facts.includes(person)) throw new Error(facts);
    const fields = await page.textContent("#preview-fields");
    if (!fields.includes(person)) throw new Error("fields: " + fields);
    // dates as people write them, not as files store them
    if (/D:\d{8}|\d{4}-\d{2}-\d{2}/.test(sigs + facts + fields)) throw new Error("a raw date shown: " + sigs + facts + fields);
    await page.screenshot({ path: join(outDir, "search-preview.png"), fullPage: true });
    // Escape closes it and gives the focus back to the row's button
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.getElementById("preview").hidden && document.activeElement.classList.contains("preview"));
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
    await page.fill("#reuse-dossier", expect.dossier);
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

  await step("officer: sort and page the results", async () => {
    await page.fill("#q-person", "");
    await page.fill("#q-text", "");
    await page.fill("#q-dossier", expect.dossier);
    await page.evaluate(() => { document.getElementById("results").dataset.pageSize = "2"; });
    await page.click("#search-go");
    await page.waitForFunction(() => /giấy tờ$/.test(document.getElementById("search-msg").textContent), null, { timeout: 10000 });
    const n = parseInt(await page.textContent("#search-msg"), 10);
    // the dossier's own papers and the card reused into it
    if (n !== expect.dossier_ids.length + 1) throw new Error("found " + n);
    const pages = Math.ceil(n / 2);
    let info = await page.textContent("#page-info");
    if (!info.startsWith("Trang 1/" + pages) || (await page.locator("#results tbody tr").count()) !== 2) throw new Error(info);
    const seen = new Set(await page.$$eval("#results tbody tr", (t) => t.map((r) => r.dataset.id)));
    await page.click("#page-next");
    info = await page.textContent("#page-info");
    if (!info.startsWith("Trang 2/" + pages)) throw new Error(info);
    if (!(await page.isVisible("#results-pager")) || !(await page.isDisabled("#page-next"))) throw new Error("pager on the last page");
    for (const id of await page.$$eval("#results tbody tr", (t) => t.map((r) => r.dataset.id))) {
      if (seen.has(id)) throw new Error("paper " + id + " on two pages");
    }
    // sort by type: ascending, then descending, the header says which
    await page.evaluate(() => { document.getElementById("results").dataset.pageSize = "100"; });
    const order = async () => page.$$eval("#results tbody tr td:nth-child(2)", (t) => t.map((c) => c.textContent));
    await page.click('#results th[data-key="type"] button');
    const up = await order();
    if ((await page.getAttribute('#results th[data-key="type"]', "aria-sort")) !== "ascending") throw new Error("aria-sort");
    const sorted = [...up].sort((a, b) => a.localeCompare(b, "vi"));
    if (JSON.stringify(up) !== JSON.stringify(sorted)) throw new Error("not ascending: " + up.join(" | "));
    await page.click('#results th[data-key="type"] button');
    const down = await order();
    if (JSON.stringify(down) !== JSON.stringify([...sorted].reverse())) throw new Error("not descending: " + down.join(" | "));
    if ((await page.getAttribute('#results th[data-key="type"]', "aria-sort")) !== "descending") throw new Error("aria-sort");
    await page.evaluate(() => { delete document.getElementById("results").dataset.pageSize; });
  });

  await step("officer: the dossier view shows every paper of the sample dossier in scan order, the reused paper and the history, and exports its package", async () => {
    await page.click("#results tbody tr button.open-dossier");
    await page.waitForSelector("#dossier-view:not([hidden])", { timeout: 30000 });
    const ids = await page.$$eval("#dossier-papers tbody tr", (trs) => trs.map((t) => Number(t.dataset.id)));
    if (JSON.stringify(ids) !== JSON.stringify(expect.dossier_ids)) throw new Error("papers " + JSON.stringify(ids) + ", want " + JSON.stringify(expect.dossier_ids));
    await page.waitForFunction((n) => [...document.querySelectorAll("#dossier-papers tbody .badge")].filter((b) => b.textContent === "Chữ ký hợp lệ").length === n,
      ids.length, { timeout: 30000 });
    const reused = await page.$$eval("#dossier-reused tbody tr", (trs) => trs.map((t) => t.textContent));
    if (reused.length !== 1 || !reused[0].includes(fullName)) throw new Error("reused: " + reused.join(" | "));
    const hist = await page.$$eval("#dossier-history li", (lis) => lis.map((l) => l.dataset.happened));
    if (hist[0] !== "received" || hist.filter((h) => h === "digitized").length !== ids.length || !hist.includes("reused_here")) {
      throw new Error("history: " + hist.join(", "));
    }
    const text = await page.textContent("#dossier-history");
    if (!text.includes("Tiếp nhận hồ sơ") || !text.includes("Số hóa và ký số giấy tờ #" + ids[0])) throw new Error(text);
    const summary = await page.textContent("#dossier-summary");
    if (!summary.includes(ids.length + " giấy tờ")) throw new Error(summary);
    await page.screenshot({ path: join(outDir, "dossier.png"), fullPage: true });
    // the dossier as a signed package for the one-stop system
    const [pkg] = await Promise.all([
      page.waitForEvent("download", { timeout: 60000 }),
      page.click("#dossier-export"),
    ]);
    if (pkg.suggestedFilename() !== "ho-so-" + expect.dossier + ".zip") throw new Error("package name " + pkg.suggestedFilename());
    await pkg.saveAs(join(outDir, "package.zip"));
    const zipHead = readFileSync(join(outDir, "package.zip")).subarray(0, 4).toString("latin1");
    if (zipHead !== "PK\x03\x04") throw new Error("not a ZIP: " + JSON.stringify(zipHead));
    await page.waitForFunction(() => document.getElementById("dossier-export-msg").textContent.startsWith("Đã xuất gói hồ sơ"), null, { timeout: 30000 });
    // a paper's preview opens from here too, and pages through the two-page paper
    const shown = async (n) => page.waitForFunction((n) => {
      const i = document.getElementById("preview-img");
      return !document.getElementById("preview").hidden && i.complete && i.naturalWidth > 0 && i.alt.startsWith("Trang " + n + " ");
    }, n, { timeout: 30000 });
    await page.click("#dossier-papers tbody tr:last-child button.preview");
    await shown(1);
    if ((await page.textContent("#preview-page-info")) !== "Trang 1/2" || !(await page.isDisabled("#preview-prev"))) throw new Error("page 1 of 2");
    const first = await page.getAttribute("#preview-img", "src");
    await page.click("#preview-next");
    await shown(2);
    if ((await page.textContent("#preview-page-info")) !== "Trang 2/2" || !(await page.isDisabled("#preview-next"))) throw new Error("page 2 of 2");
    if ((await page.getAttribute("#preview-img", "src")) === first) throw new Error("page 2 shows page 1's picture");
    await page.click("#preview-close");
  });

  await step("keyboard: Tab walks the search form, Enter searches, Enter on Xem opens the preview, Escape closes it", async () => {
    await page.click("#tabs button[data-tab=search]");
    for (const f of ["#q-person", "#q-text", "#q-dossier"]) await page.fill(f, "");
    await page.focus("#q-person");
    await page.keyboard.type(person);
    const walk = [];
    for (let i = 0; i < 3; i++) { await page.keyboard.press("Tab"); walk.push(await page.evaluate(() => document.activeElement.id)); }
    if (walk.join(",") !== "q-text,q-dossier,search-go") throw new Error("Tab order: " + walk.join(","));
    await page.keyboard.press("Enter");
    await page.waitForSelector("#results tbody tr button.preview", { timeout: 10000 });
    await page.focus("#results tbody tr button.preview");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => !document.getElementById("preview").hidden && document.activeElement.id === "preview-title", null, { timeout: 10000 });
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.getElementById("preview").hidden && document.activeElement.classList.contains("preview"));
  });

  await step("officer: correct the type in the review queue", async () => {
    await page.click("#tabs button[data-tab=review]");
    await page.waitForSelector("#review-list form.review-item", { timeout: 10000 });
    const waiting = await page.locator("#review-list form.review-item").count();
    const form = page.locator(`#review-list form.review-item[data-id="${expect.card_id}"]`);
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
    // one fewer waits (the sample dossier's papers wait too: every paper goes to review here)
    await page.click("#review-refresh");
    await page.waitForFunction((n) => n === 1
      ? document.getElementById("review-msg").textContent.includes("Không có")
      : document.getElementById("review-msg").textContent.startsWith((n - 1) + " giấy tờ chờ duyệt"), waiting, { timeout: 10000 });
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

  await step("auditor: the report chart has axes from 0 to 100 %, a Vietnamese legend, target lines and the CSV's numbers", async () => {
    await page.click("#tabs button[data-tab=reports]");
    await page.waitForSelector("#report-table tbody tr", { timeout: 10000 });
    await page.waitForSelector("#report-charts canvas", { timeout: 10000 });
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 15000 }),
      page.click("#report-csv"),
    ]);
    const p = join(outDir, "report.csv");
    await download.saveAs(p);
    const csv = readFileSync(p, "utf8").trim().split(/\r?\n/);
    if (!csv[0].startsWith("don_vi/unit,")) throw new Error("CSV header");
    const rows = csv.slice(1).map((l) => l.split(","));
    if (!rows.length) throw new Error("an empty CSV");
    const charts = await page.evaluate(() => [...document.querySelectorAll("#report-charts figure")].map((fig) => {
      const canvas = fig.querySelector("canvas");
      const c = Chart.getChart(canvas);
      const g = canvas.getContext("2d");
      const ratio = canvas.width / canvas.clientWidth;
      // along each target line, how many sampled points are painted (not white)
      const painted = (c.$targets || []).map((t) => {
        let n = 0;
        for (let x = c.chartArea.left + 4; x < c.chartArea.right - 60; x += 7) {
          const d = g.getImageData(Math.round(x * ratio), Math.round(t.y * ratio), 1, 1).data;
          if (d[3] > 0 && (d[0] < 230 || d[1] < 230 || d[2] < 230)) n++;
        }
        return n;
      });
      return {
        unit: fig.dataset.unit,
        y: { min: c.scales.y.min, max: c.scales.y.max, title: c.options.scales.y.title.text, ticks: c.scales.y.ticks.map((t) => t.value) },
        x: { title: c.options.scales.x.title.text, labels: c.data.labels },
        legend: c.legend.legendItems.map((i) => i.text),
        data: c.data.datasets.map((d) => ({ rate: d.rate, data: d.data })),
        targets: (c.$targets || []).map((t) => t.value),
        painted,
      };
    }));
    if (!charts.length) throw new Error("no chart");
    for (const ch of charts) {
      if (ch.y.min !== 0 || ch.y.max !== 100 || !ch.y.ticks.includes(0) || !ch.y.ticks.includes(100)) throw new Error("y axis " + JSON.stringify(ch.y));
      if (!ch.y.title.includes("%") || ch.x.title !== "Tháng") throw new Error("axis titles " + ch.y.title + " / " + ch.x.title);
      for (const w of ["Tỷ lệ số hóa hồ sơ", "Tỷ lệ ký số giấy tờ", "Tỷ lệ tái sử dụng"]) {
        if (!ch.legend.includes(w)) throw new Error("legend " + ch.legend.join(" | "));
      }
      if (!ch.legend.some((t) => t.startsWith("Mục tiêu số hóa"))) throw new Error("no target in the legend: " + ch.legend.join(" | "));
      // the test server's [report.targets.district]: 40, 100, 80
      if (JSON.stringify(ch.targets) !== "[40,100,80]") throw new Error("targets " + JSON.stringify(ch.targets));
      if (ch.painted.some((n) => n < 5)) throw new Error("a target line is not drawn: " + JSON.stringify(ch.painted));
    }
    // every CSV row's rates are the chart's bars, and the table shows the CSV's figures
    const table = await page.$$eval("#report-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    if (table.length !== rows.length) throw new Error(table.length + " table rows, " + rows.length + " in the CSV");
    rows.forEach((r, i) => {
      const [unit, month] = r;
      const ch = charts.find((c) => c.unit === unit);
      if (!ch) throw new Error("no chart for " + unit);
      const j = ch.x.labels.indexOf("Tháng " + month.slice(5) + "/" + month.slice(0, 4));
      if (j < 0) throw new Error("no bar group for " + month + ": " + ch.x.labels.join(","));
      [["digitization_rate", 8], ["signing_rate", 9], ["reuse_rate", 10]].forEach(([rate, col]) => {
        const bar = ch.data.find((d) => d.rate === rate).data[j];
        const want = r[col] === "" ? null : parseFloat(r[col]);
        if ((want === null) !== (bar === null) || (want !== null && Math.abs(want - bar) > 0.051)) {
          throw new Error(unit + " " + month + " " + rate + ": chart " + bar + ", CSV " + r[col]);
        }
      });
      const t = table[i];
      const same = t[0] === unit && t[1] === month && [2, 3, 4, 5, 6].every((k) => t[k] === r[k]) &&
        [[7, 8], [8, 9], [9, 10]].every(([k, c]) => (r[c] === "" ? t[k] === "-" : t[k] === r[c] + " %"));
      if (!same) throw new Error("table " + t.join(",") + " vs CSV " + r.join(","));
    });
    // values on hover: the tooltip of the first bar names its rate and value
    const tip = await page.evaluate(() => {
      const canvas = document.querySelector("#report-charts canvas");
      const c = Chart.getChart(canvas);
      const bar = c.getDatasetMeta(0).data[0];
      const r = canvas.getBoundingClientRect();
      return { x: r.left + bar.x, y: r.top + (bar.y + bar.base) / 2 };
    });
    await page.mouse.move(tip.x, tip.y);
    await page.waitForFunction(() => {
      const c = Chart.getChart(document.querySelector("#report-charts canvas"));
      return c.tooltip && c.tooltip.opacity > 0 && c.tooltip.body && c.tooltip.body.length > 0;
    }, null, { timeout: 5000 });
    const body = await page.evaluate(() => Chart.getChart(document.querySelector("#report-charts canvas")).tooltip.body.map((b) => b.lines.join(" ")).join(" | "));
    if (!/^Tỷ lệ số hóa hồ sơ: \d+\.\d %/.test(body)) throw new Error("tooltip: " + body);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(outDir, "reports.png"), fullPage: true });
    // the filters: a period with no data empties the charts and the table, the unit list holds the unit
    const units = await page.$$eval("#report-unit option", (o) => o.map((x) => x.value));
    if (!units.includes(rows[0][0])) throw new Error("unit filter: " + units.join(","));
    await page.fill("#report-from", "2020-01");
    await page.fill("#report-to", "2020-02");
    await page.click("#report-go");
    await page.waitForFunction(() => document.getElementById("report-msg").textContent.includes("Không có số liệu"), null, { timeout: 10000 });
    if ((await page.locator("#report-charts canvas").count()) !== 0 || (await page.locator("#report-table tbody tr").count()) !== 0) throw new Error("data outside the period");
    await page.fill("#report-from", "");
    await page.fill("#report-to", "");
    await page.selectOption("#report-unit", rows[0][0]);
    await page.click("#report-go");
    await page.waitForSelector("#report-charts canvas", { timeout: 10000 });
  });

  await step("auditor: the report prints as a PDF that looks like a report", async () => {
    await page.emulateMedia({ media: "print" });
    await page.pdf({ path: join(outDir, "report.pdf"), preferCSSPageSize: true, printBackground: true });
    await page.emulateMedia({ media: "screen" });
    if (readFileSync(join(outDir, "report.pdf")).subarray(0, 5).toString() !== "%PDF-") throw new Error("no PDF");
  });

  await step("every page fits 1366×768, and every control has a label and shows its whole text", async () => {
    for (const tab of ["search", "dossier", "verify", "audit", "reports"]) {
      await page.click(`#tabs button[data-tab=${tab}]`);
      await page.waitForTimeout(400);
      const bad = await page.evaluate(() => {
        const out = [];
        if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push("the page is " + document.documentElement.scrollWidth + " px wide");
        const visible = (e) => e.offsetParent !== null;
        for (const e of document.querySelectorAll("input, select, button, textarea")) {
          if (!visible(e)) continue;
          const name = ((e.labels && e.labels.length ? e.labels[0].textContent : "") || e.getAttribute("aria-label") || (e.tagName === "BUTTON" ? e.textContent : "")).trim();
          if (!name) out.push("no label: " + (e.id || e.outerHTML.slice(0, 80)));
        }
        for (const e of document.querySelectorAll("button, th, td, label, h2, h3, figcaption, dt, dd, caption")) {
          if (visible(e) && e.scrollWidth > e.clientWidth + 1) out.push("cut off: " + e.textContent.trim().slice(0, 50));
        }
        return out;
      });
      if (bad.length) throw new Error(tab + ": " + bad.join("; "));
    }
  });

  await step("operator: the failed file is listed and re-queued", async () => {
    await page.click("#logout");
    await loginAs(page, "operator");
    await page.click("#tabs button[data-tab=inbox]");
    await page.waitForFunction(() => document.getElementById("inbox-summary").textContent.includes("Đã lưu: 2"), null, { timeout: 10000 });
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
