// Feature flags: every flag with its on/off toggle and, for flexibleRollout strategies, a
// rollout slider (writes need features:write: PUT /api/features/:id with the whole flag, as the
// API replaces it); the flag editor (flag-editor.js); an "evaluate for user" box; the audit
// trail of flag changes (audit:read).
// A change reaches every connected session before the API answers (docs/rest.md#features).
import { api } from "../api.js";
import { session } from "../session.js";
import { esc } from "./util.js";
import { editFlag } from "./flag-editor.js";

export const title = "Flags";
export const scope = "features:read";

function strategySummary(s) {
  const p = Object.entries(s.parameters ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
  const c = (s.constraints ?? []).map((x) => `${x.contextName} ${x.operator} ${(x.values ?? [x.value]).join("|")}`).join("; ");
  return `${s.name}${p ? ` (${p})` : ""}${c ? ` when ${c}` : ""}`;
}

export function render(root) {
  const canWrite = session.may("features:write");
  root.innerHTML = `<h1>Feature flags</h1><div class="status" id="fl-status"></div>
    <table id="fl-table"><thead><tr><th class="text">flag</th><th class="text">on</th><th class="text">strategies</th><th class="text">rollout</th><th class="text">variants</th><th></th></tr></thead><tbody></tbody></table>
    <form class="card" id="fl-editor" hidden></form>
    <h2>Evaluate for a user</h2>
    <form class="inline" id="fl-eval"><select id="fl-eval-flag"></select> userId <input id="fl-eval-user" size="8"> roles <input id="fl-eval-roles" size="16" placeholder="premium,trader">
      <button>evaluate</button> <span id="fl-eval-result"></span></form>
    <h2>Audit trail</h2><table id="fl-audit"><thead><tr><th class="text">at</th><th class="text">who</th><th class="text">action</th><th class="text">flag</th></tr></thead><tbody></tbody></table>`;
  const status = (t, error = false) => (root.querySelector("#fl-status").innerHTML = error ? `<span class="error">${esc(t)}</span>` : esc(t));
  let flags = [], segments = [];

  const save = async (flag, what) => {
    try {
      await api(`/api/features/${encodeURIComponent(flag.name)}`, { method: "PUT", body: flag });
      status(`${flag.name}: ${what}`);
    } catch (e) {
      status(`${flag.name}: ${e.field ? `${e.field}: ` : ""}${e.message}`, true);
    }
    await load();
  };

  const load = async () => {
    try {
      ({ features: flags, segments = [] } = await api("/api/features"));
    } catch (e) {
      return status(e.message, true);
    }
    const body = root.querySelector("#fl-table tbody");
    if (!body) return;
    body.innerHTML = flags
      .map((f, i) => {
        const rollout = (f.strategies ?? []).findIndex((s) => s.name === "flexibleRollout");
        const slider =
          rollout < 0
            ? ""
            : `<input type="range" min="0" max="100" step="1" value="${esc(f.strategies[rollout].parameters.rollout)}" data-flag="${i}" data-strategy="${rollout}" class="fl-rollout" ${canWrite ? "" : "disabled"}>
               <span class="fl-rollout-value">${esc(f.strategies[rollout].parameters.rollout)} %</span>`;
        return `<tr data-name="${esc(f.name)}"><td class="text" title="${esc(f.description ?? "")}">${esc(f.name)}</td>
          <td class="text"><input type="checkbox" class="fl-toggle" data-flag="${i}" ${f.enabled ? "checked" : ""} ${canWrite ? "" : "disabled"}></td>
          <td class="text">${(f.strategies ?? []).map(strategySummary).map(esc).join("<br>") || "(on for everyone)"}</td>
          <td class="text">${slider}</td><td class="text">${(f.variants ?? []).map((v) => esc(`${v.name} ${v.weight}`)).join(", ")}</td>
          <td>${canWrite ? `<button class="fl-edit" data-flag="${i}">edit</button>` : ""}</td></tr>`;
      })
      .join("");
    for (const box of body.querySelectorAll(".fl-toggle")) {
      box.onchange = () => {
        const f = structuredClone(flags[+box.dataset.flag]);
        f.enabled = box.checked;
        save(f, box.checked ? "on" : "off");
      };
    }
    for (const range of body.querySelectorAll(".fl-rollout")) {
      range.oninput = () => (range.nextElementSibling.textContent = `${range.value} %`);
      range.onchange = () => {
        const f = structuredClone(flags[+range.dataset.flag]);
        f.strategies[+range.dataset.strategy].parameters.rollout = range.value;
        save(f, `rollout ${range.value} %`);
      };
    }
    for (const button of body.querySelectorAll(".fl-edit")) {
      button.onclick = () => {
        const f = flags[+button.dataset.flag];
        editFlag(root.querySelector("#fl-editor"), f, {
          segments,
          flagNames: flags.map((x) => x.name).filter((n) => n !== f.name),
          onDone: (saved) => {
            if (saved) status(`${f.name}: saved`);
            load();
          },
        });
        root.querySelector("#fl-editor").scrollIntoView();
      };
    }
    const select = root.querySelector("#fl-eval-flag");
    const chosen = select.value;
    select.innerHTML = flags.map((f) => `<option ${f.name === chosen ? "selected" : ""}>${esc(f.name)}</option>`).join("");
    if (session.may("audit:read")) {
      try {
        const { entries } = await api("/api/audit?limit=200");
        root.querySelector("#fl-audit tbody").innerHTML = entries
          .filter((e) => e.action.startsWith("feature."))
          .slice(0, 20)
          .map((e) => `<tr><td class="text">${esc(e.at)}</td><td class="text">${esc(e.actor)}</td><td class="text">${esc(e.action)}</td><td class="text">${esc(e.target)}</td></tr>`)
          .join("");
      } catch {}
    } else {
      root.querySelector("#fl-audit tbody").innerHTML = `<tr><td class="text note">needs audit:read</td></tr>`;
    }
  };

  root.querySelector("#fl-eval").onsubmit = async (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    const user = root.querySelector("#fl-eval-user").value.trim(), roles = root.querySelector("#fl-eval-roles").value.trim();
    if (user) params.set("userId", user);
    if (roles) params.set("roles", roles);
    const out = root.querySelector("#fl-eval-result");
    try {
      const r = await api(`/api/features/${encodeURIComponent(root.querySelector("#fl-eval-flag").value)}/evaluate?${params}`);
      out.innerHTML = `<b class="${r.enabled ? "state-live" : "state-down"}">${r.enabled ? "on" : "off"}</b> · variant ${esc(r.variant.name)}`;
    } catch (err) {
      out.innerHTML = `<span class="error">${esc(err.message)}</span>`;
    }
  };
  load();
  return null;
}
