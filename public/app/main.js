// The console: a navigation bar of the pages the caller's scopes allow, a hash router, and the
// signed-in user. Pages are modules exporting {title, scope, render(root) → cleanup}.
import { session } from "./session.js";
import * as live from "./pages/live.js";
import * as sources from "./pages/sources.js";
import * as performance from "./pages/performance.js";
import * as alerts from "./pages/alerts.js";
import * as usage from "./pages/usage.js";
import * as flags from "./pages/flags.js";
import * as users from "./pages/users.js";
import * as arbitrage from "./pages/arbitrage.js";
import * as properties from "./pages/properties.js";
import * as signin from "./pages/signin.js";

const pages = { live, sources, arbitrage, properties, performance, alerts, usage, flags, users, signin };
let cleanup = null;

function nav() {
  const current = location.hash.slice(1) || "live";
  const links = Object.entries(pages)
    .filter(([id, p]) => id !== "signin" && session.may(p.scope))
    .map(([id, p]) => `<a href="#${id}" class="${id === current ? "active" : ""}" data-page="${id}">${p.title}</a>`);
  document.getElementById("nav").innerHTML = links.join("");
  document.getElementById("who").textContent = session.signedIn ? `${session.state.username} (${session.state.roles.join(", ")})` : "anonymous";
  const button = document.getElementById("signout");
  button.textContent = session.signedIn ? "sign out" : "sign in";
  button.onclick = () => {
    if (session.signedIn) session.signOut();
    location.hash = "signin";
  };
}

function show() {
  cleanup?.();
  cleanup = null;
  const id = location.hash.slice(1) || "live";
  const page = pages[id] ?? live;
  const root = document.getElementById("page");
  root.innerHTML = "";
  nav();
  if (!session.admitted && page !== signin) {
    location.hash = "signin";
    return;
  }
  if (!session.may(page.scope)) {
    root.innerHTML = `<h1>${page.title}</h1><p class="error">Your roles do not grant <code>${page.scope}</code>. <a href="#signin">Sign in</a> as someone who has it.</p>`;
    return;
  }
  cleanup = page.render(root) ?? null;
}

session.addEventListener("change", show);
window.addEventListener("hashchange", show);
show();
// What anonymous may do is the hub's to say; the pages are redrawn when it answers.
if (!session.signedIn) session.loadAnonymous();
