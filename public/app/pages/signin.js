// Sign in with a username and password, or with an API key; errors shown beside the field the
// hub names.
import { session } from "../session.js";
import { esc } from "./util.js";

export const title = "Sign in";
export const scope = null;

export function render(root) {
  root.innerHTML = `<h1>Sign in</h1>
    <div class="grid">
    <form class="card signin" id="si-password">
      <h2>Password</h2>
      <label for="si-username">username</label><input id="si-username" autocomplete="username">
      <label for="si-pass">password</label><input id="si-pass" type="password" autocomplete="current-password">
      <p><button>sign in</button> <span class="field-error" id="si-password-error"></span></p>
    </form>
    <form class="card signin" id="si-key">
      <h2>API key</h2>
      <label for="si-apikey">key (shk_…)</label><input id="si-apikey" type="password" autocomplete="off">
      <p><button>sign in</button> <span class="field-error" id="si-key-error"></span></p>
    </form>
    </div>
    <p class="note">${session.signedIn ? `Signed in as ${esc(session.state.username)}.` : "Without signing in you see what the anonymous role allows."}</p>`;
  const attempt = async (form, errorId, body) => {
    root.querySelector(errorId).textContent = "";
    try {
      await body();
      location.hash = "live";
    } catch (e) {
      root.querySelector(errorId).textContent = e.field ? `${e.field}: ${e.message}` : e.message;
    }
  };
  root.querySelector("#si-password").onsubmit = (e) => {
    e.preventDefault();
    attempt(e.target, "#si-password-error", () => session.signInWithPassword(root.querySelector("#si-username").value, root.querySelector("#si-pass").value));
  };
  root.querySelector("#si-key").onsubmit = (e) => {
    e.preventDefault();
    attempt(e.target, "#si-key-error", () => session.signInWithKey(root.querySelector("#si-apikey").value.trim()));
  };
  return null;
}
