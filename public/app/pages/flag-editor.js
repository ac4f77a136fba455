// The flag editor: one flag as a form — description, strategies (name, the parameters that
// strategy reads, constraints, segments, strategy variants), variants (weight, stickiness,
// payload) and dependencies — or, for anything the form does not show, the whole flag as
// Unleash JSON. The form edits a copy; saving PUTs it (the API replaces the flag) and shows a
// refused field beside its input (field-errors.js).
import { api } from "../api.js";
import { esc } from "./util.js";
import { clearFieldErrors, showFieldError } from "./field-errors.js";

/** The parameters each strategy reads (docs/guides/feature-flags.md), in form order. */
const strategyParameters = {
  default: [],
  userWithId: [{ key: "userIds", label: "user ids", hint: "42,alice" }],
  userWithRole: [{ key: "roles", label: "roles", hint: "premium,trader" }],
  flexibleRollout: [
    { key: "rollout", label: "rollout %", kind: "percent", initial: "100" },
    { key: "stickiness", label: "stickiness", options: ["default", "userId", "sessionId", "random"], initial: "default" },
    { key: "groupId", label: "group", initial: (flag) => flag.name },
  ],
  gradualRolloutUserId: [
    { key: "percentage", label: "percentage", kind: "percent", initial: "100" },
    { key: "groupId", label: "group", initial: (flag) => flag.name },
  ],
  gradualRolloutSessionId: [
    { key: "percentage", label: "percentage", kind: "percent", initial: "100" },
    { key: "groupId", label: "group", initial: (flag) => flag.name },
  ],
  gradualRolloutRandom: [{ key: "percentage", label: "percentage", kind: "percent", initial: "100" }],
  remoteAddress: [{ key: "IPs", label: "addresses", hint: "10.0.0.0/8,127.0.0.1" }],
};
const operators = [
  "IN", "NOT_IN", "STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH", "NUM_EQ", "NUM_GT", "NUM_GTE", "NUM_LT", "NUM_LTE",
  "DATE_AFTER", "DATE_BEFORE", "SEMVER_EQ", "SEMVER_GT", "SEMVER_GTE", "SEMVER_LT", "SEMVER_LTE", "REGEX", "IN_CIDR",
];
/** Operators that compare with one `value`; the others test membership in `values`. */
const singleValue = /^(NUM_|DATE_|SEMVER_|REGEX$)/;
const contextNames = ["userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime", "roles", "tier"];
const payloadTypes = ["string", "json", "csv", "number"];

const option = (value, chosen, label = value) => `<option value="${esc(value)}" ${value === chosen ? "selected" : ""}>${esc(label)}</option>`;
const checked = (on) => (on ? "checked" : "");

/** Reads or writes `obj` at a dotted path whose numeric parts are array indexes. */
function setPath(obj, path, value) {
  const keys = path.split(".");
  let at = obj;
  for (const k of keys.slice(0, -1)) at = at[k] ??= {};
  const last = keys.at(-1);
  if (value === undefined) delete at[last];
  else at[last] = value;
}

function variantRows(variants, base, field) {
  const add = `<button type="button" data-action="add-variant" data-list="${base}">add variant</button>`;
  if (!variants.length) return add;
  return `<table class="fe-variants"><thead><tr><th class="text">variant</th><th>weight</th><th class="text">stickiness</th><th class="text">payload</th><th></th></tr></thead><tbody>
    ${variants
      .map((v, i) => `<tr>
        <td class="text"><input size="10" data-path="${base}.${i}.name" value="${esc(v.name)}" data-field="${field}[${i}].name"></td>
        <td><input type="number" min="0" max="1000000" style="width:6rem" data-path="${base}.${i}.weight" data-kind="int" value="${esc(v.weight)}" data-field="${field}[${i}].weight"></td>
        <td class="text"><input size="9" data-path="${base}.${i}.stickiness" data-kind="optional" value="${esc(v.stickiness ?? "")}" placeholder="default"></td>
        <td class="text"><select data-path="${base}.${i}.payload.type" data-kind="payload">${option("", v.payload?.type ?? "", "none")}${payloadTypes.map((t) => option(t, v.payload?.type)).join("")}</select>
          ${v.payload ? `<input size="18" data-path="${base}.${i}.payload.value" value="${esc(v.payload.value)}" data-field="${field}[${i}].payload">` : ""}</td>
        <td><button type="button" data-action="remove" data-list="${base}" data-index="${i}" title="remove this variant">×</button></td></tr>`)
      .join("")}
    </tbody></table>${add}`;
}

function constraintRows(constraints, base, field) {
  return `${constraints
    .map((c, j) => {
      const one = singleValue.test(c.operator);
      return `<div class="fe-constraint" data-field="${field}[${j}]">
        <input size="12" list="fe-contexts" data-path="${base}.${j}.contextName" value="${esc(c.contextName)}" data-field="${field}[${j}].contextName" placeholder="context">
        <label><input type="checkbox" data-path="${base}.${j}.inverted" data-kind="bool" ${checked(c.inverted)}> not</label>
        <select data-path="${base}.${j}.operator" data-kind="operator" data-field="${field}[${j}].operator">${operators.map((o) => option(o, c.operator)).join("")}</select>
        ${
          one
            ? `<input size="24" data-path="${base}.${j}.value" value="${esc(c.value ?? "")}" data-field="${field}[${j}].value" placeholder="value">`
            : `<input size="30" data-path="${base}.${j}.values" data-kind="list" value="${esc((c.values ?? []).join(","))}" data-field="${field}[${j}].values" placeholder="a,b,c">`
        }
        <label><input type="checkbox" data-path="${base}.${j}.caseInsensitive" data-kind="bool" ${checked(c.caseInsensitive)}> ignore case</label>
        <button type="button" data-action="remove" data-list="${base}" data-index="${j}" title="remove this constraint">×</button></div>`;
    })
    .join("")}<button type="button" data-action="add-constraint" data-list="${base}">add constraint</button>`;
}

function strategyCard(flag, s, i, segments) {
  const known = strategyParameters[s.name] ?? [];
  const extra = Object.keys(s.parameters ?? {}).filter((k) => !known.some((p) => p.key === k));
  const parameter = (p) => {
    const value = s.parameters?.[p.key] ?? "";
    const at = `strategies.${i}.parameters.${p.key}`, field = `strategies[${i}].parameters.${p.key}`;
    if (p.options) return `<label>${esc(p.label)} <select data-path="${at}" data-field="${field}">${p.options.map((o) => option(o, value)).join("")}</select></label>`;
    if (p.kind === "percent")
      return `<label>${esc(p.label)} <input type="range" min="0" max="100" data-path="${at}" value="${esc(value)}" data-field="${field}" class="fe-percent"> <output>${esc(value)}</output></label>`;
    return `<label>${esc(p.label)} <input size="24" data-path="${at}" value="${esc(value)}" placeholder="${esc(p.hint ?? "")}" data-field="${field}"></label>`;
  };
  return `<fieldset class="fe-strategy" data-field="strategies[${i}]"><legend>strategy ${i + 1}
      <select data-path="strategies.${i}.name" data-kind="strategy" data-field="strategies[${i}].name">
        ${Object.keys(strategyParameters).map((n) => option(n, s.name)).join("")}${strategyParameters[s.name] ? "" : option(s.name, s.name)}</select>
      <button type="button" data-action="remove" data-list="strategies" data-index="${i}" title="remove this strategy">×</button></legend>
    <div class="inline">${known.map(parameter).join(" ")}
      ${extra.map((k) => `<label>${esc(k)} <input size="14" data-path="strategies.${i}.parameters.${k}" value="${esc(s.parameters[k])}" data-field="strategies[${i}].parameters.${k}"></label>`).join(" ")}</div>
    <p class="fe-sub">constraints (all must hold)</p>${constraintRows(s.constraints ?? [], `strategies.${i}.constraints`, `strategies[${i}].constraints`)}
    ${
      segments.length
        ? `<p class="fe-sub">segments (each must match)</p><div class="inline">${segments
            .map((g) => `<label><input type="checkbox" data-path="strategies.${i}.segments" data-kind="segment" value="${g.id}" ${checked((s.segments ?? []).includes(g.id))}> ${esc(g.name ?? `segment ${g.id}`)}</label>`)
            .join(" ")}</div>`
        : ""
    }
    <p class="fe-sub">strategy variants (override the flag's when this strategy enables it)</p>${variantRows(s.variants ?? [], `strategies.${i}.variants`, `strategies[${i}].variants`)}
  </fieldset>`;
}

/**
 * Opens the editor for `flag` in `container`. `segments` are the hub's segments, `flagNames`
 * the other flags (for dependencies); `onDone(saved)` runs after a save or cancel.
 */
export function editFlag(container, flag, { segments = [], flagNames = [], onDone }) {
  const state = structuredClone(flag);
  let json = false;
  container.hidden = false;

  const render = () => {
    container.innerHTML = `<h2>Edit ${esc(state.name)}</h2>
      <p class="inline"><button type="button" data-action="mode">${json ? "edit as a form" : "edit as JSON"}</button>
        <span class="note">${json ? "The flag as Unleash's client-features JSON (without its name)." : "Strategies are alternatives: the flag is on when any one of them is."}</span></p>
      ${
        json
          ? `<textarea id="fl-editor-json" rows="18" cols="110" data-field="">${esc(JSON.stringify((({ name, ...rest }) => rest)(state), null, 2))}</textarea>`
          : `<p><label>description <input size="60" data-path="description" data-kind="optional" value="${esc(state.description ?? "")}" data-field="description"></label>
             <label><input type="checkbox" data-path="enabled" data-kind="bool" ${checked(state.enabled)}> enabled</label></p>
            <div id="fe-strategies">${(state.strategies ?? []).map((s, i) => strategyCard(state, s, i, segments)).join("") || '<p class="note">No strategy: on for everyone while enabled.</p>'}</div>
            <button type="button" data-action="add-strategy">add strategy</button>
            <h3>Variants</h3>${variantRows(state.variants ?? [], "variants", "variants")}
            <h3>Dependencies</h3>${(state.dependencies ?? [])
              .map((d, i) => `<div class="inline" data-field="dependencies[${i}]">needs <select data-path="dependencies.${i}.feature" data-field="dependencies[${i}].feature">${[...new Set([d.feature, ...flagNames])]
                .map((n) => option(n, d.feature))
                .join("")}</select>
                <label><input type="checkbox" data-path="dependencies.${i}.enabled" data-kind="bool" ${checked(d.enabled !== false)}> on</label>
                ${d.variants?.length ? `<span class="note">variants ${esc(d.variants.join(", "))}</span>` : ""}
                <button type="button" data-action="remove" data-list="dependencies" data-index="${i}" title="remove this dependency">×</button></div>`)
              .join("")}<button type="button" data-action="add-dependency" ${flagNames.length ? "" : "disabled"}>add dependency</button>`
      }
      <datalist id="fe-contexts">${contextNames.map((n) => `<option value="${n}">`).join("")}</datalist>
      <p><button id="fl-editor-save">save</button> <button type="button" data-action="cancel">cancel</button> <span class="field-error" id="fl-editor-error" data-field=""></span></p>`;
  };

  const listAt = (path) => path.split(".").reduce((at, k) => (at[k] ??= []), state);

  container.oninput = container.onchange = (e) => {
    const el = e.target, path = el.dataset.path;
    if (!path) return;
    const kind = el.dataset.kind;
    if (kind === "bool") setPath(state, path, el.checked);
    else if (kind === "int") setPath(state, path, el.value === "" ? 0 : Number(el.value));
    else if (kind === "list") setPath(state, path, el.value.split(",").map((v) => v.trim()).filter(Boolean));
    else if (kind === "optional") setPath(state, path, el.value.trim() || undefined);
    else if (kind === "segment") {
      const ids = new Set(listAt(path));
      el.checked ? ids.add(+el.value) : ids.delete(+el.value);
      setPath(state, path, [...ids].sort((a, b) => a - b));
    } else if (kind === "payload") {
      const variant = path.replace(/\.payload\.type$/, "");
      const old = path.replace(/\.type$/, "").split(".").reduce((at, k) => at?.[k], state);
      setPath(state, `${variant}.payload`, el.value ? { type: el.value, value: old?.value ?? "" } : undefined);
      if (e.type === "change") render();
    } else if (kind === "operator" && e.type === "change") {
      const c = path.replace(/\.operator$/, "").split(".").reduce((at, k) => at[k], state);
      const wasOne = singleValue.test(c.operator);
      c.operator = el.value;
      if (singleValue.test(c.operator) && !wasOne) [c.value, c.values] = [c.values?.[0] ?? "", []];
      if (!singleValue.test(c.operator) && wasOne) [c.values, c.value] = [c.value ? [c.value] : [], undefined];
      render();
    } else if (kind === "strategy" && e.type === "change") {
      const s = path.replace(/\.name$/, "").split(".").reduce((at, k) => at[k], state);
      s.name = el.value;
      const params = {};
      for (const p of strategyParameters[s.name] ?? []) {
        params[p.key] = s.parameters?.[p.key] ?? (typeof p.initial === "function" ? p.initial(state) : (p.initial ?? ""));
      }
      s.parameters = params;
      render();
    } else if (kind !== "operator" && kind !== "strategy") setPath(state, path, el.value);
    if (el.classList.contains("fe-percent")) el.nextElementSibling.textContent = el.value;
  };

  container.onclick = (e) => {
    const b = e.target.closest("button[data-action]");
    if (!b) return;
    const action = b.dataset.action;
    if (action === "cancel") {
      container.hidden = true;
      onDone?.(false);
      return;
    }
    if (action === "mode") {
      if (json) {
        try {
          Object.assign(state, JSON.parse(container.querySelector("#fl-editor-json").value), { name: state.name });
        } catch {
          container.querySelector("#fl-editor-error").textContent = "not valid JSON";
          return;
        }
      }
      json = !json;
    } else if (action === "remove") listAt(b.dataset.list).splice(+b.dataset.index, 1);
    else if (action === "add-strategy") listAt("strategies").push({ name: "default", parameters: {}, constraints: [], segments: [], variants: [] });
    else if (action === "add-constraint") listAt(b.dataset.list).push({ contextName: "", operator: "IN", values: [], inverted: false, caseInsensitive: false });
    else if (action === "add-variant") listAt(b.dataset.list).push({ name: `variant${listAt(b.dataset.list).length + 1}`, weight: 1 });
    else if (action === "add-dependency") listAt("dependencies").push({ feature: flagNames[0], enabled: true });
    render();
  };

  container.onsubmit = async (e) => {
    e.preventDefault();
    clearFieldErrors(container);
    let flag = state;
    if (json) {
      try {
        flag = { ...JSON.parse(container.querySelector("#fl-editor-json").value), name: state.name };
      } catch {
        container.querySelector("#fl-editor-error").textContent = "not valid JSON";
        return;
      }
    }
    try {
      await api(`/api/features/${encodeURIComponent(flag.name)}`, { method: "PUT", body: flag });
      container.hidden = true;
      onDone?.(true);
    } catch (err) {
      // In JSON mode every error goes beside the text; in the form, beside its input.
      if (json) container.querySelector("#fl-editor-error").textContent = `${err.field ? `${err.field}: ` : ""}${err.message}`;
      else showFieldError(container, err);
    }
  };
  render();
}
