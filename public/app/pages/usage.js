// Usage: the top properties, channels, routes or users over a window, and the trend per bucket
// (GET /api/analytics/usage).
import { api } from "../api.js";
import { esc, fmt, lineChart } from "./util.js";

export const title = "Usage";
export const scope = "analytics:read";

const measure = { property: "messages", channel: "messages", route: "calls", user: "messages" };

export function render(root) {
  root.innerHTML = `<h1>Usage</h1>
    <form class="inline" id="us-form">
      by <select id="us-by">${Object.keys(measure).map((b) => `<option>${b}</option>`).join("")}</select>
      window <select id="us-window"><option>1h</option><option selected>24h</option><option>7d</option><option>30d</option></select>
      role <input id="us-role" size="10"> user <input id="us-user" size="12"> <button>show</button>
      <span class="field-error" id="us-error"></span></form>
    <div class="grid"><div class="card"><h2 id="us-trend-title">Trend</h2><canvas id="us-trend"></canvas></div>
    <div class="card"><h2>Top</h2><table id="us-top"><thead></thead><tbody></tbody></table></div></div>`;
  let chart = null;
  const show = async () => {
    const by = root.querySelector("#us-by").value, win = root.querySelector("#us-window").value;
    const params = new URLSearchParams({ by, window: win, top: "15" });
    for (const k of ["role", "user"]) {
      const v = root.querySelector(`#us-${k}`).value.trim();
      if (v) params.set(k, v);
    }
    root.querySelector("#us-error").textContent = "";
    try {
      const u = await api(`/api/analytics/usage?${params}`);
      const m = measure[by];
      const cols = Object.keys(u.top[0]?.counters ?? { [m]: 0 }).filter((k) => k !== "callsByStatus");
      root.querySelector("#us-top thead").innerHTML = `<tr><th class="text">${by}</th>${cols.map((c) => `<th>${c}</th>`).join("")}</tr>`;
      root.querySelector("#us-top tbody").innerHTML = u.top
        .map((e) => `<tr><td class="text">${esc(e.username ? `${e.username} (${e.key})` : e.key)}</td>${cols.map((c) => `<td>${fmt(e.counters[c])}</td>`).join("")}</tr>`)
        .join("");
      root.querySelector("#us-trend-title").textContent = `${m} per ${u.bucket} (${u.window}; total ${fmt(u.totals[m] ?? 0)})`;
      chart?.destroy();
      chart = lineChart(root.querySelector("#us-trend"), u.trend.map((p) => p.bucket.slice(5, 16).replace("T", " ")), [{ label: m, data: u.trend.map((p) => p.counters[m] ?? 0) }], m);
    } catch (e) {
      root.querySelector("#us-error").textContent = e.field ? `${e.field}: ${e.message}` : e.message;
    }
  };
  root.querySelector("#us-form").onsubmit = (e) => {
    e.preventDefault();
    show();
  };
  show();
  return () => chart?.destroy();
}
