// Small helpers the pages share.

/** Text safe inside HTML. */
export function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** Numbers to at most 8 significant digits; other values as they are. */
export function fmt(v) {
  return v === undefined || v === null ? "" : typeof v === "number" ? String(+v.toPrecision(8)) : String(v);
}

/** Runs `body` now and every `ms` until the returned stop function is called. */
export function every(ms, body) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    try {
      await body();
    } finally {
      if (!stopped) timer = setTimeout(tick, ms);
    }
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

const palette = ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989"];

/** A line chart (Chart.js from /vendor/chart.js/), or a note when Chart.js is not installed. */
export function lineChart(canvas, labels, datasets, yTitle) {
  if (!window.Chart) {
    canvas.replaceWith(Object.assign(document.createElement("p"), { className: "note", textContent: "Charts need Chart.js (Debian package libjs-chart.js)." }));
    return null;
  }
  return new window.Chart(canvas, {
    type: "line",
    data: {
      labels,
      datasets: datasets.map((d, i) => ({
        label: d.label, data: d.data, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length],
        borderWidth: 1.5, tension: 0.2,
        // Points only while there are few of them (a single bucket is a dot, not nothing).
        pointRadius: (ctx) => (ctx.dataset.data.length < 4 ? 3 : 0),
      })),
    },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } } },
  });
}

/** A sparkline of `values` on a small canvas (no library). */
export function sparkline(canvas, values) {
  const ctx = canvas.getContext("2d");
  const w = (canvas.width = 120), h = (canvas.height = 28);
  ctx.clearRect(0, 0, w, h);
  if (values.length < 2) return;
  const max = Math.max(...values, 1);
  ctx.strokeStyle = "#0969da";
  ctx.beginPath();
  values.forEach((v, i) => {
    const x = (i / (values.length - 1)) * (w - 2) + 1, y = h - 2 - (v / max) * (h - 4);
    i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
  });
  ctx.stroke();
}
