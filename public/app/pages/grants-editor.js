// A role's grants as form fields: channel rules (allow or deny a pattern, optionally only while
// a flag is on), tiers, property allow/deny lists, scopes and publish patterns. Inputs carry the field names the
// hub's errors use (`grants.channels[2]`, `grants.scopes[0]`, …) so a refusal is shown beside
// the field it names (field-errors.js).
import { esc } from "./util.js";

const tiers = ["public", "premium", "internal"];
const list = (text) => text.split(",").map((v) => v.trim()).filter(Boolean);

function ruleRow(rule, i, editable) {
  const kind = rule.deny !== undefined ? "deny" : "allow";
  const off = editable ? "" : "disabled";
  return `<div class="inline ge-rule" data-field="grants.channels[${i}]">
    <select class="ge-kind" ${off}><option ${kind === "allow" ? "selected" : ""}>allow</option><option ${kind === "deny" ? "selected" : ""}>deny</option></select>
    <input class="ge-pattern" size="26" value="${esc(rule[kind] ?? "")}" placeholder="ticker.*.*" ${off}>
    while flag <input class="ge-flag" size="14" value="${esc(rule.flag ?? "")}" placeholder="(always)" data-field="grants.channels[${i}].flag" ${off}>
    ${editable ? '<button type="button" class="ge-remove" title="remove this rule">×</button>' : ""}</div>`;
}

/** The fields for `grants`; `scopes` are the hub's known scopes (GET /api/roles). */
export function grantsFields(grants, { scopes, editable }) {
  const g = grants ?? {};
  const held = new Set(g.scopes ?? []);
  const off = editable ? "" : "disabled";
  const box = (cls, value, on) => `<label><input type="checkbox" class="${cls}" value="${esc(value)}" ${on ? "checked" : ""} ${off}> ${esc(value)}</label>`;
  return `<div class="ge">
    <p class="fe-sub">channels (a deny wins over an allow)</p>
    <div class="ge-rules">${(g.channels ?? []).map((r, i) => ruleRow(r, i, editable)).join("")}</div>
    ${editable ? '<button type="button" class="ge-add">add rule</button>' : ""}
    <p class="fe-sub">tiers</p><div class="inline" data-field="grants.tiers">${tiers.map((t) => box("ge-tier", t, (g.tiers ?? []).includes(t))).join(" ")}</div>
    <p class="fe-sub">properties by name, on top of the tiers (a deny wins)</p>
    <div class="inline">allow <input class="ge-prop-allow" size="34" value="${esc((g.properties?.allow ?? []).join(","))}" placeholder="markIv,delta" data-field="grants.properties.allow" ${off}>
      deny <input class="ge-prop-deny" size="34" value="${esc((g.properties?.deny ?? []).join(","))}" data-field="grants.properties.deny" ${off}></div>
    <p class="fe-sub">scopes</p><div class="ge-scopes" data-field="grants.scopes">${["*", ...new Set([...scopes, ...held])]
      .map((s) => box("ge-scope", s, held.has(s)))
      .join(" ")}</div>
    <p class="fe-sub">publishes to (channel patterns, with publish:write)</p>
    <div class="inline"><input class="ge-publish" size="50" value="${esc((g.publish ?? []).join(","))}" placeholder="announcements.desk.*" data-field="grants.publish" ${off}></div>
  </div>`;
}

/** Makes the add and remove buttons of the fields inside `form` work. */
export function wireGrants(form) {
  form.addEventListener("click", (e) => {
    if (e.target.matches(".ge-add")) {
      const rules = form.querySelector(".ge-rules");
      rules.insertAdjacentHTML("beforeend", ruleRow({ allow: "" }, rules.children.length, true));
      rules.lastElementChild.querySelector(".ge-pattern").focus();
    } else if (e.target.matches(".ge-remove")) {
      e.target.closest(".ge-rule").remove();
    } else return;
    // Rows are renumbered so the hub's `grants.channels[i]` names the row shown i-th.
    for (const [i, row] of [...form.querySelectorAll(".ge-rule")].entries()) {
      row.dataset.field = `grants.channels[${i}]`;
      row.querySelector(".ge-flag").dataset.field = `grants.channels[${i}].flag`;
    }
  });
}

/** The grants the fields inside `form` describe. */
export function readGrants(form) {
  const channels = [...form.querySelectorAll(".ge-rule")].map((row) => {
    const rule = { [row.querySelector(".ge-kind").value]: row.querySelector(".ge-pattern").value.trim() };
    const flag = row.querySelector(".ge-flag").value.trim();
    if (flag) rule.flag = flag;
    return rule;
  });
  const checkedValues = (cls) => [...form.querySelectorAll(`.${cls}:checked`)].map((b) => b.value);
  return {
    channels,
    tiers: checkedValues("ge-tier"),
    properties: { allow: list(form.querySelector(".ge-prop-allow").value), deny: list(form.querySelector(".ge-prop-deny").value) },
    scopes: checkedValues("ge-scope"),
    publish: list(form.querySelector(".ge-publish").value),
  };
}
