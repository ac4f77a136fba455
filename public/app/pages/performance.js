// Performance: stage latency p99, messages per second, connections and memory over time, from
// GET /api/monitoring/performance every two seconds (the last minute's window each time).
import { api } from "../api.js";
import { esc, every, fmt, lineChart } from "./util.js";

export const title = "Performance";
export const scope = "monitoring:read";

const stages = ["ingest", "transform", "enrich", "serve"];

export function render(root) {
  root.innerHTML = `<h1>Performance</h1><div class="status" id="perf-status"></div>
    <div class="grid">
      <div class="card"><h2>Stage latency p99 (ms, last minute)</h2><canvas id="perf-stages"></canvas></div>
      <div class="card"><h2>Messages per second</h2><canvas id="perf-rate"></canvas></div>
      <div class="card"><h2>Connections</h2><canvas id="perf-conn"></canvas></div>
      <div class="card"><h2>Resident memory (MiB)</h2><canvas id="perf-mem"></canvas></div>
    </div>
    <h2>Windows</h2><table id="perf-table"><thead><tr><th class="text">stage</th>
      ${["1m", "5m", "1h"].map((w) => `<th>p50 ${w}</th><th>p99 ${w}</th>`).join("")}</tr></thead><tbody></tbody></table>`;
  const labels = [];
  const series = { stages: stages.map(() => []), rate: [], conn: [], mem: [] };
  const charts = {
    stages: lineChart(root.querySelector("#perf-stages"), labels, stages.map((s, i) => ({ label: s, data: series.stages[i] })), "ms"),
    rate: lineChart(root.querySelector("#perf-rate"), labels, [{ label: "messages/s", data: series.rate }], "per second"),
    conn: lineChart(root.querySelector("#perf-conn"), labels, [{ label: "connections", data: series.conn }], "sessions"),
    mem: lineChart(root.querySelector("#perf-mem"), labels, [{ label: "RSS", data: series.mem }], "MiB"),
  };
  return every(2000, async () => {
    try {
      const p = await api("/api/monitoring/performance");
      const minute = p.windows["1m"];
      labels.push(new Date().toLocaleTimeString());
      stages.forEach((s, i) => series.stages[i].push(minute.stages[s].p99Ms));
      series.rate.push(minute.throughput?.messagesPerSecond ?? 0);
      series.conn.push(p.connections);
      series.mem.push(p.memory.residentBytes / 1048576);
      if (labels.length > 150) {
        labels.shift();
        for (const arr of [...series.stages, series.rate, series.conn, series.mem]) arr.shift();
      }
      for (const c of Object.values(charts)) c?.update();
      const body = root.querySelector("#perf-table tbody");
      if (body) {
        body.innerHTML = stages
          .map((s) => `<tr><td class="text">${s}</td>${["1m", "5m", "1h"].map((w) => `<td>${fmt(p.windows[w].stages[s].p50Ms)}</td><td>${fmt(p.windows[w].stages[s].p99Ms)}</td>`).join("")}</tr>`)
          .join("");
      }
      root.querySelector("#perf-status").textContent =
        `loop busy ${Math.round(p.loopBusyRatio * 100)} % · ${p.connections} connections · ${p.subscriptions} subscriptions · ${p.channels} channels · ${p.openDescriptors} descriptors`;
    } catch (e) {
      const el = root.querySelector("#perf-status");
      if (el) el.innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
  });
}
