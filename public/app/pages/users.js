// Users & roles: create and disable users, give and take roles, create API keys (shown once),
// create roles and edit their grants (grants-editor.js). Every change is a REST call; the hub's error is shown beside the field it
// names (or the form). Reading needs users:read (roles: roles:read); changes users:write and
// roles:write.
import { api } from "../api.js";
import { session } from "../session.js";
import { esc } from "./util.js";
import { showFieldError } from "./field-errors.js";
import { grantsFields, readGrants, wireGrants } from "./grants-editor.js";

export const title = "Users";
export const scope = "users:read";

export function render(root) {
  const canWriteUsers = session.may("users:write"), canReadRoles = session.may("roles:read"), canWriteRoles = session.may("roles:write");
  root.innerHTML = `<h1>Users &amp; roles</h1><div class="status" id="us-status"></div>
    <div id="us-key" class="card" hidden></div>
    ${canWriteUsers ? `<form class="card" id="us-create"><h2>New user</h2>
      <div class="inline">username <input id="us-new-username" size="14"><span class="field-error" data-field="username"></span>
      password <input id="us-new-password" type="password" size="16"><span class="field-error" data-field="password"></span>
      roles <input id="us-new-roles" size="18" placeholder="viewer,premium"><span class="field-error" data-field="roles"></span>
      <button>create</button> <span class="field-error" data-field=""></span></div></form>` : ""}
    <table id="us-users"><thead><tr><th>id</th><th class="text">username</th><th class="text">roles</th><th class="text">disabled</th><th class="text"></th></tr></thead><tbody></tbody></table>
    <h2>Roles</h2><div id="us-roles">${canReadRoles ? "" : '<p class="note">needs roles:read</p>'}</div>
    ${canWriteRoles ? `<form class="card" id="us-role-create"><h2>New role</h2>
      <div class="inline">id <input id="us-role-id" size="14" data-field="id"> description <input id="us-role-description" size="40" data-field="description"></div>
      <div class="us-role-grants"></div><p><button id="us-role-create-button">create role</button> <span class="field-error" data-field=""></span></p></form>` : ""}`;
  const status = (t, error = false) => (root.querySelector("#us-status").innerHTML = error ? `<span class="error">${esc(t)}</span>` : esc(t));
  let roles = [], scopes = [];

  /**
   * Runs a change, then shows the new state. A refused change altered nothing: the form keeps
   * what was typed and shows the error beside the element of its field (or the form).
   */
  const change = async (form, body, done) => {
    try {
      await body();
    } catch (e) {
      if (!form || !showFieldError(form, e)) status(e.message, true);
      return;
    }
    done?.();
    await load();
  };

  const load = async () => {
    let users;
    try {
      ({ users } = await api("/api/users?limit=500"));
      if (canReadRoles) ({ roles, scopes } = await api("/api/roles"));
    } catch (e) {
      return status(e.message, true);
    }
    const body = root.querySelector("#us-users tbody");
    if (!body) return;
    const options = roles.map((r) => `<option>${esc(r.id)}</option>`).join("");
    body.innerHTML = users
      .map((u) => `<tr data-user="${u.id}" data-username="${esc(u.username)}"><td>${u.id}</td><td class="text">${esc(u.username)}</td>
        <td class="text">${u.roles.map((r) => `${esc(r)}${canWriteUsers ? ` <button class="us-unrole" data-role="${esc(r)}" title="take this role">×</button>` : ""}`).join(" ")}
          ${canWriteUsers && options ? `<select class="us-role-pick">${options}</select> <button class="us-role-add">give</button>` : ""}
          <span class="field-error" data-field="role"></span></td>
        <td class="text"><input type="checkbox" class="us-disabled" ${u.disabled ? "checked" : ""} ${canWriteUsers ? "" : "disabled"}></td>
        <td class="text">${canWriteUsers ? '<button class="us-newkey">new API key</button>' : ""} <span class="field-error" data-field=""></span></td></tr>`)
      .join("");
    for (const tr of body.querySelectorAll("tr")) {
      const id = tr.dataset.user;
      for (const b of tr.querySelectorAll(".us-unrole")) b.onclick = () => change(tr, () => api(`/api/users/${id}/roles/${encodeURIComponent(b.dataset.role)}`, { method: "DELETE" }));
      const add = tr.querySelector(".us-role-add");
      if (add) add.onclick = () => change(tr, () => api(`/api/users/${id}/role`, { method: "POST", body: { role: tr.querySelector(".us-role-pick").value } }));
      const disabled = tr.querySelector(".us-disabled");
      disabled.onchange = () =>
        change(tr, async () => {
          try {
            await api(`/api/users/${id}`, { method: "PUT", body: { disabled: disabled.checked } });
          } catch (e) {
            disabled.checked = !disabled.checked;
            throw e;
          }
        });
      const key = tr.querySelector(".us-newkey");
      if (key) {
        key.onclick = () =>
          change(tr, async () => {
            const r = await api(`/api/users/${id}/keys`, { method: "POST", body: { name: "console" } });
            const box = root.querySelector("#us-key");
            box.hidden = false;
            box.innerHTML = `API key for <b>${esc(tr.dataset.username)}</b> — shown this once, copy it now: <code id="us-key-value">${esc(r.key)}</code>`;
          });
      }
    }
    const list = root.querySelector("#us-roles");
    if (canReadRoles && list) {
      list.innerHTML = roles
        .map((r) => `<form class="card us-role" data-role="${esc(r.id)}"><b>${esc(r.id)}</b> — ${esc(r.description)}
          ${grantsFields(r.grants, { scopes, editable: canWriteRoles })}
          ${canWriteRoles ? '<p><button class="us-role-save">save grants</button> <span class="field-error" data-field=""></span></p>' : ""}</form>`)
        .join("");
      for (const form of list.querySelectorAll("form.us-role")) {
        wireGrants(form);
        form.onsubmit = (e) => {
          e.preventDefault();
          const role = roles.find((r) => r.id === form.dataset.role);
          change(form, () => api(`/api/roles/${encodeURIComponent(role.id)}`, { method: "PUT", body: { description: role.description, grants: readGrants(form) } }), () =>
            status(`role ${role.id} saved`));
        };
      }
    }
    const newRole = root.querySelector("#us-role-create .us-role-grants");
    if (newRole && !newRole.children.length) newRole.innerHTML = grantsFields({}, { scopes, editable: true });
  };

  const create = root.querySelector("#us-create");
  if (create) {
    create.onsubmit = (e) => {
      e.preventDefault();
      const roleList = root.querySelector("#us-new-roles").value.split(",").map((r) => r.trim()).filter(Boolean);
      const body = { username: root.querySelector("#us-new-username").value.trim(), roles: roleList };
      const password = root.querySelector("#us-new-password").value;
      if (password) body.password = password;
      change(create, () => api("/api/users", { method: "POST", body }), () => status(`user ${body.username} created`));
    };
  }
  const roleCreate = root.querySelector("#us-role-create");
  if (roleCreate) {
    wireGrants(roleCreate);
    roleCreate.onsubmit = (e) => {
      e.preventDefault();
      const body = { id: root.querySelector("#us-role-id").value.trim(), description: root.querySelector("#us-role-description").value.trim(), grants: readGrants(roleCreate) };
      change(roleCreate, () => api("/api/roles", { method: "POST", body }), () => {
        status(`role ${body.id} created`);
        roleCreate.querySelector(".us-role-grants").innerHTML = "";
        roleCreate.reset();
      });
    };
  }
  load();
  return null;
}
