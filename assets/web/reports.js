// sohoa's web pages, the reports: Chart.js (vendored, /static/vendor/) draws each unit's rates
// with the directives' targets; the table shows the CSV's figures; a print stylesheet makes
// the page a report. Loaded after app.js (its helpers).
"use strict";

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
