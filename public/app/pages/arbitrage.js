// Arbitrage: the opportunities open now (GET /api/arbitrage/opportunities), then live from the
// `arb.*.*` channels: a new or changed one updates its row, a retraction (`active: false`)
// fades it out. Needs state:read, the channel grants on arb.*.* (premium: while beta-features
// is on) and the property `edge`.
import { StreamHubClient } from "../../js/streamhub.js";
import { api } from "../api.js";
import { session } from "../session.js";
import { esc, fmt } from "./util.js";

export const title = "Arbitrage";
export const scope = "state:read";

export function render(root) {
  root.innerHTML = `<h1>Arbitrage</h1><div class="status" id="arb-status">loading…</div>
    <table id="arb-table"><thead><tr><th class="text">kind</th><th class="text">opportunity</th><th>edge %</th><th class="text">legs</th><th>size</th><th>age s</th></tr></thead>
    <tbody></tbody></table><p class="note">An opportunity opens above enrichment.minEdge and is retracted when its edge is gone (docs/guides/enrichment.md).</p>`;
  const rows = new Map(); // channel → {tr, firstSeen}
  const body = root.querySelector("#arb-table tbody");
  const count = () => (root.querySelector("#arb-status").textContent = `${[...rows.values()].filter((r) => !r.leaving).length} open`);

  const upsert = (channel, d) => {
    let row = rows.get(channel);
    if (!row) {
      const tr = document.createElement("tr");
      tr.dataset.channel = channel;
      tr.innerHTML = "<td class='text'></td><td class='text'></td><td></td><td class='text'></td><td></td><td></td>";
      body.prepend(tr);
      row = { tr, firstSeen: d.firstSeen ?? Date.now() };
      rows.set(channel, row);
    }
    const [, kind, id] = channel.match(/^arb\.([^.]+)\.(.*)$/) ?? [null, "?", channel];
    const c = row.tr.children;
    c[0].textContent = kind;
    c[1].textContent = id;
    c[2].textContent = d.edge === undefined ? "" : fmt(d.edge * 100);
    c[3].textContent = d.legs ?? "";
    c[4].textContent = fmt(d.size);
    row.tr.classList.add("flash");
    setTimeout(() => row.tr.classList.remove("flash"), 300);
    count();
  };

  const retract = (channel) => {
    const row = rows.get(channel);
    if (!row || row.leaving) return;
    row.leaving = true;
    row.tr.classList.add("retracting");
    setTimeout(() => {
      row.tr.remove();
      rows.delete(channel);
      count();
    }, 1200);
    count();
  };

  const ages = setInterval(() => {
    for (const row of rows.values()) row.tr.children[5].textContent = String(Math.max(0, Math.round((Date.now() - row.firstSeen) / 1000)));
  }, 1000);

  let hub;
  (async () => {
    try {
      const { opportunities } = await api("/api/arbitrage/opportunities");
      for (const o of opportunities) upsert(o.channel, o);
      count();
    } catch (e) {
      root.querySelector("#arb-status").innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
    const token = await session.accessToken();
    hub = new StreamHubClient(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`, { token });
    hub.addEventListener("publication", ({ detail: m }) => (m.data.active === false ? retract(m.channel) : upsert(m.channel, m.data)));
    await hub.connect().catch(() => {});
    await hub.subscribe("arb.*.*").catch((e) => (root.querySelector("#arb-status").innerHTML = `<span class="error">live updates refused: ${esc(e.message)}</span>`));
  })();
  return () => {
    clearInterval(ages);
    hub?.close();
  };
}
