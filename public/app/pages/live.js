// Live: a channel pattern, a ticks table that flashes changes (through the JavaScript client,
// js/streamhub.js), with the signed-in token or anonymous.
import { StreamHubClient } from "../../js/streamhub.js";
import { session } from "../session.js";
import { esc, fmt } from "./util.js";

export const title = "Live";
export const scope = null;

const columns = ["bid", "ask", "mid", "spreadBps", "last", "markIv", "delta"];

export function render(root) {
  root.innerHTML = `
    <h1>Live</h1>
    <div class="status" id="live-status">connecting…</div>
    <form class="inline" id="live-sub"><input id="live-pattern" size="40" value="*.deribit.*" aria-label="channel pattern"> <button>subscribe</button>
      <span class="field-error" id="live-error"></span></form>
    <table id="live-table"><thead><tr><th class="text">channel</th><th>off</th>${columns.map((c) => `<th>${c}</th>`).join("")}<th>age ms</th></tr></thead>
    <tbody id="live-rows"></tbody></table>`;
  const rows = new Map();
  const status = (t) => (root.querySelector("#live-status").textContent = t);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let hub;
  (async () => {
    const token = await session.accessToken();
    hub = new StreamHubClient(`${scheme}://${location.host}/ws`, { token, getToken: session.signedIn ? () => session.accessToken() : undefined });
    hub.addEventListener("open", () => status("live"));
    hub.addEventListener("close", (e) => status(`closed (${e.detail.code})${e.detail.willReconnect ? " — reconnecting" : ""}`));
    // The hub took a subscription or channel away (a role or flag change): say so, and why.
    hub.addEventListener("unsubscribed", (e) => {
      status(`unsubscribed from ${e.detail.channel}: ${e.detail.reason}`);
      rows.get(e.detail.channel)?.remove(); // a channel that no longer flows leaves the table
      rows.delete(e.detail.channel);
    });
    hub.addEventListener("publication", ({ detail: m }) => {
      let tr = rows.get(m.channel);
      if (!tr) {
        tr = document.createElement("tr");
        tr.innerHTML = `<td class="text">${esc(m.channel)}</td>` + "<td></td>".repeat(columns.length + 2);
        rows.set(m.channel, tr);
        const body = root.querySelector("#live-rows");
        body.insertBefore(tr, [...body.children].find((r) => r.firstChild.textContent > m.channel) ?? null);
      }
      const d = m.data, c = tr.children;
      const values = [m.offset, ...columns.map((k) => (k === "last" ? (d.last ?? d.price) : d[k])), Math.max(0, Math.round(Date.now() - m.rt / 1000))];
      values.forEach((v, i) => (c[i + 1].textContent = fmt(v)));
      tr.classList.add("flash");
      setTimeout(() => tr.classList.remove("flash"), 150);
    });
    await hub.connect().catch(() => {});
    subscribe(root.querySelector("#live-pattern").value);
  })();
  const subscribe = (pattern) => {
    root.querySelector("#live-error").textContent = "";
    hub?.subscribe(pattern).catch((e) => (root.querySelector("#live-error").textContent = `${e.code}: ${e.message}`));
  };
  root.querySelector("#live-sub").onsubmit = (e) => {
    e.preventDefault();
    subscribe(root.querySelector("#live-pattern").value);
  };
  return () => hub?.close();
}
