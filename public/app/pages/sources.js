// Sources: each venue's state, frames/s with a sparkline of the last minute, gaps, resyncs,
// reconnects, last error (GET /api/streams every second).
import { api } from "../api.js";
import { esc, every, fmt, sparkline } from "./util.js";

export const title = "Sources";
export const scope = "streams:read";

export function render(root) {
  root.innerHTML = `<h1>Sources</h1><div class="status" id="src-status"></div>
    <table><thead><tr><th class="text">source</th><th class="text">state</th><th>msgs/s</th><th class="text">last minute</th><th>messages</th>
    <th>gaps</th><th>resyncs</th><th>reconnects</th><th>decode errors</th><th>channels</th><th class="text">last error</th></tr></thead><tbody id="src-rows"></tbody></table>`;
  const history = new Map();
  return every(1000, async () => {
    try {
      const { sources } = await api("/api/streams");
      const body = root.querySelector("#src-rows");
      if (!body) return;
      body.innerHTML = sources
        .map((s) => `<tr data-source="${esc(s.name)}"><td class="text">${esc(s.name)}</td><td class="text state-${esc(s.state)}">${esc(s.state)}</td>
          <td>${s.msgsPerSecond.toFixed(1)}</td><td class="text"><canvas class="spark"></canvas></td><td>${s.messages}</td><td>${s.gaps}</td><td>${s.resyncs}</td>
          <td>${s.reconnects}</td><td>${s.decodeErrors}</td><td>${s.channels}</td><td class="text">${esc(s.lastError ?? "")}</td></tr>`)
        .join("");
      for (const s of sources) {
        const h = history.get(s.name) ?? [];
        h.push(s.msgsPerSecond);
        if (h.length > 60) h.shift();
        history.set(s.name, h);
        sparkline(body.querySelector(`tr[data-source="${CSS.escape(s.name)}"] canvas`), h);
      }
      root.querySelector("#src-status").textContent = `${sources.length} sources, updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      const el = root.querySelector("#src-status");
      if (el) el.innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
  });
}
