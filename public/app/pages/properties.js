// Properties: the registry with search, one property's lineage (what it is derived from and
// what derives from it), the lineage graph of every derived property (lineage-graph.js), the
// type matrix (source × property), and quarantine counts with the
// latest rejects (monitoring:read).
import { api } from "../api.js";
import { session } from "../session.js";
import { esc } from "./util.js";
import { drawLineage } from "./lineage-graph.js";

export const title = "Properties";
export const scope = "properties:read";

export function render(root) {
  root.innerHTML = `<h1>Properties</h1>
    <form class="inline" id="pr-search-form"><input id="pr-search" size="30" placeholder="search name, description, source"> <span class="status" id="pr-status"></span></form>
    <div class="grid">
      <div class="card"><table id="pr-table"><thead><tr><th class="text">name</th><th class="text">type</th><th class="text">tier</th><th class="text">sources</th><th class="text">flag</th></tr></thead><tbody></tbody></table></div>
      <div class="card"><h2 id="pr-detail-title">Lineage</h2><div id="pr-detail" class="note">Choose a property.</div></div>
    </div>
    <h2>Lineage graph</h2><div class="card" id="pr-graph" style="overflow:auto"></div>
    <h2>Type matrix</h2><div class="card" style="overflow:auto"><table id="pr-matrix"></table></div>
    <h2>Quarantine</h2><div id="pr-quarantine" class="card"></div>`;
  let all = [];
  const list = () => {
    const q = root.querySelector("#pr-search").value.trim().toLowerCase();
    const shown = all.filter((p) => !q || [p.name, p.description, ...(p.sources ?? [])].join(" ").toLowerCase().includes(q));
    root.querySelector("#pr-status").textContent = `${shown.length} of ${all.length}`;
    root.querySelector("#pr-table tbody").innerHTML = shown
      .map((p) => `<tr><td class="text"><a href="#properties" data-name="${esc(p.name)}">${esc(p.name)}</a></td><td class="text">${esc(p.type)}</td>
        <td class="text">${esc(p.tier)}</td><td class="text">${esc((p.sources ?? []).join(", "))}</td><td class="text">${esc(p.flag ?? "")}</td></tr>`)
      .join("");
    for (const a of root.querySelectorAll("#pr-table a")) {
      a.onclick = (e) => {
        e.preventDefault();
        detail(a.dataset.name);
      };
    }
  };
  const graph = (selected) => drawLineage(root.querySelector("#pr-graph"), all, { selected, onPick: detail });
  const detail = async (name) => {
    graph(name);
    try {
      const { property: p, lineage: l } = await api(`/api/properties/${encodeURIComponent(name)}`);
      const links = (names) => (names?.length ? names.map((n) => `<a href="#properties" data-name="${esc(n)}">${esc(n)}</a>`).join(" · ") : "—");
      root.querySelector("#pr-detail-title").textContent = `Lineage of ${p.name}`;
      root.querySelector("#pr-detail").innerHTML = `<p>${esc(p.description)}</p>
        <p><b>derived from</b> ${links(l.upstream)}</p><p><b>feeds</b> ${links(l.downstream)}</p>
        ${l.formula ? `<p><b>formula</b> <code>${esc(l.formula)}</code> (v${esc(l.formulaVersion)})</p>` : ""}
        <p class="note">${esc(p.type)}${p.unit ? `, ${esc(p.unit)}` : ""}; rules ${esc(JSON.stringify(p.rules ?? {}))}</p>`;
      for (const a of root.querySelectorAll("#pr-detail a")) {
        a.onclick = (e) => {
          e.preventDefault();
          detail(a.dataset.name);
        };
      }
    } catch (e) {
      root.querySelector("#pr-detail").innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
  };
  root.querySelector("#pr-search").oninput = list;
  root.querySelector("#pr-search-form").onsubmit = (e) => e.preventDefault();
  (async () => {
    try {
      ({ properties: all } = await api("/api/properties"));
      list();
      graph(null);
      const m = await api("/api/properties/matrix");
      const type = new Map(m.cells.map((c) => [`${c.source}\u0001${c.property}`, c.type]));
      root.querySelector("#pr-matrix").innerHTML = `<thead><tr><th class="text">property</th>${m.sources.map((s) => `<th class="text">${esc(s)}</th>`).join("")}</tr></thead>
        <tbody>${m.properties.map((p) => `<tr><td class="text">${esc(p)}</td>${m.sources.map((s) => `<td class="text">${esc(type.get(`${s}\u0001${p}`) ?? "")}</td>`).join("")}</tr>`).join("")}</tbody>`;
    } catch (e) {
      root.querySelector("#pr-status").innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
    const q = root.querySelector("#pr-quarantine");
    if (!session.may("monitoring:read")) {
      q.innerHTML = '<p class="note">needs monitoring:read</p>';
      return;
    }
    try {
      const r = await api("/api/properties/quarantine");
      const by = Object.entries(r.bySource).flatMap(([s, props]) => Object.entries(props).map(([p, n]) => `${esc(s)}.${esc(p)}: ${n}`));
      q.innerHTML = `<p>${r.total} values refused${by.length ? ` — ${by.join(", ")}` : ""}</p>
        <table><thead><tr><th class="text">source</th><th class="text">instrument</th><th class="text">property</th><th class="text">reason</th></tr></thead><tbody>
        ${r.recent.slice(0, 20).map((x) => `<tr><td class="text">${esc(x.source)}</td><td class="text">${esc(x.instrument)}</td><td class="text">${esc(x.property)}</td><td class="text">${esc(x.reason)}</td></tr>`).join("")}</tbody></table>`;
    } catch (e) {
      q.innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
  })();
  return null;
}
