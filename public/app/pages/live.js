// Live: a channel browser (streams, venues, instruments that exist and the caller may see), a
// pattern and a field picker (the subscription's `fields`), a ticks table that flashes changes,
// and a ladder for `book.*` channels — through the JavaScript client (js/streamhub.js), with the
// signed-in token or anonymous.
import { StreamHubClient } from "../../js/streamhub.js";
import { api } from "../api.js";
import { session } from "../session.js";
import { esc, fmt } from "./util.js";

export const title = "Live";
export const scope = null;

const columns = ["bid", "ask", "mid", "spreadBps", "last", "markIv", "delta", "venues"];

export function render(root) {
  root.innerHTML = `
    <h1>Live</h1>
    <div class="status" id="live-status">connecting…</div>
    <form class="inline" id="live-sub"><input id="live-pattern" size="40" value="*.deribit.*" aria-label="channel pattern">
      fields <input id="live-fields" size="28" list="live-field-names" placeholder="all (e.g. bid,ask)" aria-label="fields">
      <datalist id="live-field-names"></datalist> <button>subscribe</button>
      <span class="field-error" id="live-error"></span></form>
    <div class="grid" style="grid-template-columns: 18rem 1fr">
      <div class="card"><h2>Channels</h2>
        <select id="live-stream"><option value="*">every stream</option></select> <select id="live-venue"><option value="*">every venue</option></select>
        <ul id="live-channels" style="padding-left:1rem; max-height:30rem; overflow:auto"></ul></div>
      <div>
        <table id="live-table"><thead><tr><th class="text">channel</th><th>off</th>${columns.map((c) => `<th>${c}</th>`).join("")}<th>age ms</th></tr></thead>
        <tbody id="live-rows"></tbody></table>
        <div id="live-odds" class="card" hidden><h2>Odds board</h2>
          <table><thead><tr><th class="text">event</th><th class="text">market</th><th class="text">outcome</th><th>best</th><th class="text">at</th>
            <th>consensus</th><th class="text">bookmakers (decimal, no-vig %)</th></tr></thead><tbody></tbody></table></div>
        <div id="live-book" class="card" hidden><h2 id="live-book-title"></h2>
          <table><thead><tr><th>bid size</th><th>bid</th><th>ask</th><th>ask size</th></tr></thead><tbody></tbody></table></div>
      </div>
    </div>`;
  const rows = new Map();
  const status = (t) => (root.querySelector("#live-status").textContent = t);
  const scheme = location.protocol === "https:" ? "wss" : "ws";

  // A book channel's levels as a ladder: the first book channel seen, or the one clicked.
  let bookChannel = null;
  const ladder = (channel, d) => {
    const box = root.querySelector("#live-book");
    if (!box || !(Array.isArray(d.bids) || Array.isArray(d.asks))) return;
    bookChannel = channel;
    box.hidden = false;
    root.querySelector("#live-book-title").textContent = `Book ${channel}`;
    const bids = d.bids ?? [], asks = d.asks ?? [];
    const n = Math.min(10, Math.max(bids.length, asks.length));
    root.querySelector("#live-book tbody").innerHTML = Array.from({ length: n }, (_, i) => {
      const b = bids[i] ?? [], a = asks[i] ?? [];
      return `<tr><td>${fmt(b[1])}</td><td class="state-live">${fmt(b[0])}</td><td class="state-down">${fmt(a[0])}</td><td>${fmt(a[1])}</td></tr>`;
    }).join("");
  };
  // The odds board: best line and consensus per outcome (odds.orca.<event>/<market>/<outcome>),
  // each bookmaker's price and no-vig probability (…/<bookmaker>), redrawn at most twice a second.
  const outcomes = new Map();
  let oddsTimer = null;
  const odds = (channel, d) => {
    const [event, market, outcome, bookmaker] = channel.slice("odds.orca.".length).split("/");
    if (!outcome) return;
    const key = `${event}/${market}/${outcome}`;
    const o = outcomes.get(key) ?? { event, market, outcome, books: new Map() };
    outcomes.set(key, o);
    if (d.outcomeName) o.name = d.outcomeName;
    if (bookmaker) {
      o.books.set(bookmaker, { odds: d.oddsDecimal, noVig: d.noVigProbability, suspended: d.suspended });
    } else {
      o.best = d.bestOdds;
      o.bestBook = d.bestBookmaker;
      o.consensus = d.sharpConsensus;
    }
    oddsTimer ??= setTimeout(drawOdds, 500);
  };
  const drawOdds = () => {
    oddsTimer = null;
    const box = root.querySelector("#live-odds");
    if (!box) return;
    box.hidden = false;
    const pct = (p) => (p === undefined ? "" : `${(p * 100).toFixed(1)}`);
    box.querySelector("tbody").innerHTML = [...outcomes.values()]
      .sort((a, b) => `${a.event}/${a.market}/${a.outcome}`.localeCompare(`${b.event}/${b.market}/${b.outcome}`))
      .slice(0, 200)
      .map((o) => `<tr><td class="text">${esc(o.event)}</td><td class="text">${esc(o.market)}</td><td class="text">${esc(o.name ?? o.outcome)}</td>
        <td>${fmt(o.best)}</td><td class="text">${esc(o.bestBook ?? "")}</td><td>${pct(o.consensus)}</td>
        <td class="text">${[...o.books.entries()].sort().map(([b, q]) => esc(`${b} ${q.suspended ? "suspended" : fmt(q.odds)}${q.noVig === undefined ? "" : ` (${pct(q.noVig)})`}`)).join(" · ")}</td></tr>`)
      .join("");
  };

  root.querySelector("#live-rows").onclick = (e) => {
    const name = e.target.closest("tr")?.firstChild?.textContent;
    if (name?.startsWith("book.")) bookChannel = name;
  };

  let hub;
  const subscribe = (pattern) => {
    root.querySelector("#live-error").textContent = "";
    const fields = root.querySelector("#live-fields").value.split(",").map((f) => f.trim()).filter(Boolean);
    hub?.subscribe(pattern, fields.length ? { fields } : {}).catch((e) => (root.querySelector("#live-error").textContent = `${e.code}: ${e.message}`));
  };

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
      const cell = (k) => (k === "last" ? (d.last ?? d.price) : k === "venues" ? (d.bidVenue ? `${d.bidVenue}/${d.askVenue ?? ""}` : undefined) : d[k]);
      const values = [m.offset, ...columns.map(cell), Math.max(0, Math.round(Date.now() - m.rt / 1000))];
      values.forEach((v, i) => (c[i + 1].textContent = fmt(v)));
      tr.classList.add("flash");
      setTimeout(() => tr.classList.remove("flash"), 150);
      if (m.channel.startsWith("book.") && (bookChannel ?? m.channel) === m.channel) ladder(m.channel, d);
      if (m.channel.startsWith("odds.orca.")) odds(m.channel, d);
    });
    await hub.connect().catch(() => {});
    subscribe(root.querySelector("#live-pattern").value);
  })();
  root.querySelector("#live-sub").onsubmit = (e) => {
    e.preventDefault();
    subscribe(root.querySelector("#live-pattern").value);
  };

  // The channel browser (GET /api/channels): streams and venues from what exists.
  const browse = async () => {
    const list = root.querySelector("#live-channels");
    try {
      const stream = root.querySelector("#live-stream").value, venue = root.querySelector("#live-venue").value;
      const { channels } = await api("/api/channels?limit=10000");
      const fill = (id, values, keep) => {
        const el = root.querySelector(id);
        el.innerHTML = el.options[0].outerHTML + [...new Set(values)].sort().map((v) => `<option ${v === keep ? "selected" : ""}>${esc(v)}</option>`).join("");
      };
      fill("#live-stream", channels.map((c) => c.stream), stream);
      fill("#live-venue", channels.filter((c) => stream === "*" || c.stream === stream).map((c) => c.venue), venue);
      const shown = channels.filter((c) => (stream === "*" || c.stream === stream) && (venue === "*" || c.venue === venue));
      const all = `${stream}.${venue}.*`;
      list.innerHTML =
        `<li><a href="#live" data-pattern="${esc(all)}">${esc(all)}</a> (${shown.length})</li>` +
        shown.slice(0, 300).map((c) => `<li><a href="#live" data-pattern="${esc(c.ch)}">${esc(c.ch)}</a></li>`).join("");
      for (const a of list.querySelectorAll("a")) {
        a.onclick = (e) => {
          e.preventDefault();
          root.querySelector("#live-pattern").value = a.dataset.pattern;
          subscribe(a.dataset.pattern);
        };
      }
    } catch (e) {
      list.innerHTML = `<li class="error">${esc(e.message)}</li>`;
    }
  };
  root.querySelector("#live-stream").onchange = browse;
  root.querySelector("#live-venue").onchange = browse;
  browse();
  api("/api/properties")
    .then(({ properties }) => (root.querySelector("#live-field-names").innerHTML = properties.map((p) => `<option value="${esc(p.name)}">`).join("")))
    .catch(() => {});
  return () => {
    clearTimeout(oddsTimer);
    hub?.close();
  };
}
