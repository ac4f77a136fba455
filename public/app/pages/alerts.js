// Alerts: every rule's state and the recent transitions (GET /api/monitoring/alerts), updated
// live from `alerts.hub.*` when the caller's roles grant those channels, and every 5 s.
import { StreamHubClient } from "../../js/streamhub.js";
import { api } from "../api.js";
import { session } from "../session.js";
import { esc, every, fmt } from "./util.js";

export const title = "Alerts";
export const scope = "monitoring:read";

export function render(root) {
  root.innerHTML = `<h1>Alerts</h1><div class="status" id="al-status"></div>
    <table id="al-rules"><thead><tr><th class="text">rule</th><th class="text">kind</th><th class="text">severity</th><th class="text">state</th>
      <th>value</th><th>threshold</th><th class="text">message</th></tr></thead><tbody></tbody></table>
    <h2>Recent transitions</h2>
    <table id="al-recent"><thead><tr><th class="text">at</th><th class="text">rule</th><th class="text">from → to</th><th class="text">message</th></tr></thead><tbody></tbody></table>`;
  const refresh = async () => {
    try {
      const a = await api("/api/monitoring/alerts");
      const rules = root.querySelector("#al-rules tbody"), recent = root.querySelector("#al-recent tbody");
      if (!rules) return;
      rules.innerHTML = a.alerts
        .map((x) => `<tr><td class="text">${esc(x.rule)}</td><td class="text">${esc(x.kind)}</td><td class="text">${esc(x.severity)}</td>
          <td class="text state-${esc(x.state)}">${esc(x.state)}</td><td>${fmt(x.value)}</td><td>${fmt(x.threshold)}</td><td class="text">${esc(x.message ?? "")}</td></tr>`)
        .join("");
      recent.innerHTML = a.recent
        .slice(0, 50)
        .map((t) => `<tr><td class="text">${esc(t.at)}</td><td class="text">${esc(t.rule)}</td><td class="text">${esc(t.from)} → <span class="state-${esc(t.to)}">${esc(t.to)}</span></td><td class="text">${esc(t.message)}</td></tr>`)
        .join("");
      const firing = a.alerts.filter((x) => x.state === "firing").length;
      root.querySelector("#al-status").textContent = `${a.alerts.length} rules, ${firing} firing · webhooks: ${a.webhooks.delivered} delivered, ${a.webhooks.failed} failed`;
    } catch (e) {
      const el = root.querySelector("#al-status");
      if (el) el.innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
  };
  const stop = every(5000, refresh);
  let hub;
  (async () => {
    const token = await session.accessToken();
    hub = new StreamHubClient(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`, { token });
    hub.addEventListener("publication", refresh);
    await hub.connect().catch(() => {});
    await hub.subscribe("alerts.hub.*").catch(() => {}); // roles without alerts.*.* still poll
  })();
  return () => {
    stop();
    hub?.close();
  };
}
