// Who is signed in: tokens from a password (with a refresh token) or an API key, kept in
// sessionStorage (a reload keeps the session, closing the tab ends it) and renewed a minute
// before they expire — with the refresh token, or with the API key, which stays in memory only
// (after a reload a key session lasts until its token expires). Without a sign-in the console
// is anonymous when the hub allows it, with the anonymous role's scopes as the hub tells them
// (GET /api/auth/me without a token).

const KEY = "streamhub.session";

class Session extends EventTarget {
  constructor() {
    super();
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
    this.state = saved; // {accessToken, expiresAt (ms), refreshToken?, username, scopes, roles}
    this.apiKey = null;
    /** The anonymous role's scopes; null when the hub refuses callers without a token. */
    this.anonymousScopes = [];
  }

  /** Asks the hub what a caller without a token may do (the anonymous role, or nothing). */
  async loadAnonymous() {
    try {
      const r = await fetch("/api/auth/me");
      this.anonymousScopes = r.ok ? ((await r.json()).scopes ?? []) : null;
    } catch {
      this.anonymousScopes = null;
    }
    if (!this.signedIn) this.dispatchEvent(new Event("change"));
  }

  /** Pages may be shown: signed in, or anonymous access is on. */
  get admitted() {
    return this.signedIn || this.anonymousScopes !== null;
  }

  get signedIn() {
    return this.state !== null;
  }

  get scopes() {
    return this.state?.scopes ?? this.anonymousScopes ?? [];
  }

  /** The caller's roles grant `scope` (or `*`). */
  may(scope) {
    if (!scope) return true;
    const scopes = this.scopes;
    return scopes.includes("*") || scopes.includes(scope);
  }

  async signInWithPassword(username, password) {
    const tokens = await post("/api/auth/login", { username, password });
    await this.accept(tokens, { refreshToken: tokens.refreshToken });
  }

  async signInWithKey(apiKey) {
    const tokens = await post("/api/auth/token", { apiKey });
    this.apiKey = apiKey;
    await this.accept(tokens, {});
  }

  signOut() {
    this.state = null;
    this.apiKey = null;
    sessionStorage.removeItem(KEY);
    this.dispatchEvent(new Event("change"));
    this.loadAnonymous();
  }

  /** A valid access token (renewed when it expires within a minute), or null when anonymous. */
  async accessToken() {
    if (!this.state) return null;
    if (this.state.expiresAt - Date.now() < 60_000) await this.renew();
    return this.state?.accessToken ?? null;
  }

  async renew() {
    try {
      if (this.state.refreshToken) {
        const tokens = await post("/api/auth/refresh", { refreshToken: this.state.refreshToken });
        await this.accept(tokens, { refreshToken: tokens.refreshToken });
      } else if (this.apiKey) {
        const tokens = await post("/api/auth/token", { apiKey: this.apiKey });
        await this.accept(tokens, {});
      } else if (this.state.expiresAt < Date.now()) {
        this.signOut();
      }
    } catch {
      this.signOut();
    }
  }

  async accept(tokens, extra) {
    const me = await (await fetch("/api/auth/me", { headers: { Authorization: `Bearer ${tokens.accessToken}` } })).json();
    this.state = {
      accessToken: tokens.accessToken,
      expiresAt: Date.now() + tokens.expiresIn * 1000,
      username: tokens.user?.username ?? me.subject,
      roles: me.roles,
      scopes: me.scopes,
      ...extra,
    };
    sessionStorage.setItem(KEY, JSON.stringify(this.state));
    this.dispatchEvent(new Event("change"));
  }
}

async function post(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) {
    const e = new Error(json?.error?.message ?? `HTTP ${r.status}`);
    e.field = json?.error?.field;
    throw e;
  }
  return json;
}

export const session = new Session();
