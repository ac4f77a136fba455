// StreamHub JavaScript client: an ES module for browsers and Node (>= 20 with
// --experimental-websocket, or any WHATWG-compatible WebSocket passed in). No dependencies.
//
//   import { StreamHubClient } from "/js/streamhub.js";
//   const hub = new StreamHubClient("ws://127.0.0.1:8080/ws", { token, getToken });
//   hub.addEventListener("publication", (e) => console.log(e.detail.channel, e.detail.data));
//   await hub.connect();
//   await hub.subscribe("ticker.deribit.*", { fields: ["bid", "ask"] });
//
// What it does for you (protocol: docs/protocol.md):
// - requests with ids, answered as promises (an error reply rejects with a StreamHubError);
// - batched frames (several messages joined by "\n") split into messages;
// - per channel, the epoch and offset last delivered: duplicates are dropped, skipped offsets
//   reported ("gap"), and after a reconnect every exact channel is resubscribed with `since`,
//   so it continues with no gap and no duplicate (or says `recovered: false` and a fresh
//   snapshot follows);
// - reconnecting with exponential backoff and jitter after the connection drops (not after
//   close(), nor when the hub refuses the token for good);
// - token refresh: on the hub's `expiring` push, and before reconnecting after 4004, it asks
//   `getToken()` for a new token.
//
// Events (all CustomEvent, data in `detail`):
//   open, close {code, reason, willReconnect}, reconnecting {attempt, delayMs},
//   publication {channel, offset, epoch, snapshot, ts, rt, data},
//   channel {channel, epoch, subscription}   (a channel joined a pattern subscription)
//   recovered {channel, recovered}           (the answer to a resubscription with `since`)
//   gap {channel, expected, offset}          (not for filtered subscriptions; offsets skipped: conflation of a slow state reader,
//                                             or events lost under a pattern after a reconnect)
//   unsubscribed {channel, reason}, permissions {roles, scopes}, flags {flags},
//   expiring {expiresAt, inSeconds}, refreshed {expiresAt}, error {code, message, id}

/** An error reply of the hub, or a client-side failure (code 0). */
export class StreamHubError extends Error {
  constructor(code, message, id) {
    super(message);
    this.name = "StreamHubError";
    this.code = code;
    this.id = id;
  }
}

/** Close codes after which reconnecting cannot help (the token or account was refused). */
const FINAL_CLOSE_CODES = new Set([4001, 4003]);
/** Close code of an expired token: reconnect with a fresh one when getToken is given. */
const TOKEN_EXPIRED = 4004;

export class StreamHubClient extends EventTarget {
  /**
   * @param {string} url  the hub's WebSocket URL, e.g. ws://127.0.0.1:8080/ws
   * @param {object} [options]
   * @param {string} [options.token]  an access token (sent as `access_token`); none: anonymous
   * @param {() => Promise<string>} [options.getToken]  a fresh token (refresh and reconnects)
   * @param {typeof WebSocket} [options.WebSocket]  the WebSocket class (default: globalThis's)
   * @param {number} [options.initialDelayMs=250]  first reconnect delay
   * @param {number} [options.maxDelayMs=30000]  longest reconnect delay
   * @param {number} [options.jitter=0.2]  ± share of each delay chosen at random
   * @param {number} [options.requestTimeoutMs=10000]  a request without a reply fails after this
   * @param {boolean} [options.reconnect=true]  reconnect after the connection drops
   */
  constructor(url, options = {}) {
    super();
    this.url = url;
    this.token = options.token ?? null;
    this.getToken = options.getToken ?? null;
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (!this.WebSocket) throw new StreamHubError(0, "no WebSocket implementation: pass options.WebSocket");
    this.initialDelayMs = options.initialDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 30000;
    this.jitter = options.jitter ?? 0.2;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10000;
    this.reconnectEnabled = options.reconnect ?? true;

    /** subscription key (the string given to subscribe) → {fields, filter} */
    this.subscriptions = new Map();
    /** channel → {epoch, offset} of the last message delivered */
    this.positions = new Map();
    this.socket = null;
    this.nextId = 1;
    this.pending = new Map();
    this.closedByUser = false;
    this.attempt = 0;
    this.reconnectTimer = null;
  }

  /** True while a connection is open. */
  get connected() {
    return this.socket !== null && this.socket.readyState === 1;
  }

  /** The epoch and offset last delivered on `channel` (null before any). */
  position(channel) {
    return this.positions.get(channel) ?? null;
  }

  /** Opens the connection; resolves once it is open (and resubscribed, after a reconnect). */
  connect() {
    this.closedByUser = false;
    return new Promise((resolve, reject) => {
      const target = this.token ? `${this.url}${this.url.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(this.token)}` : this.url;
      let socket;
      try {
        socket = new this.WebSocket(target);
      } catch (e) {
        reject(new StreamHubError(0, `cannot connect: ${e.message}`));
        return;
      }
      this.socket = socket;
      let opened = false;
      let ended = false;
      // Browsers fire `close` after a failed connection; some implementations (Node 20's) only
      // `error`: either ends this socket, once.
      const end = (code, reason) => {
        if (ended) return;
        ended = true;
        if (this.socket === socket) this.socket = null;
        this.failPending(new StreamHubError(0, "connection closed"));
        const willReconnect = this.shouldReconnect(code);
        this.dispatch("close", { code, reason, willReconnect });
        if (!opened) reject(new StreamHubError(0, `connection failed (${code})`));
        if (willReconnect) this.scheduleReconnect(code);
      };
      socket.onopen = () => {
        opened = true;
        this.attempt = 0;
        this.dispatch("open", {});
        this.resubscribe().then(resolve, resolve);
      };
      socket.onmessage = (event) => this.receive(event.data);
      socket.onerror = () => {
        if (!opened) setTimeout(() => end(1006, "connection failed"), 0);
      };
      socket.onclose = (event) => end(event.code, event.reason);
    });
  }

  /** Closes for good (no reconnect). */
  close(code = 1000, reason = "") {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.socket) this.socket.close(code, reason);
  }

  /**
   * Subscribes to a channel or pattern. Resolves with the reply's result
   * ({channels: [{ch, epoch, off}], recovered?}); rejects with the hub's error.
   * @param {string} channel  `stream.venue.instrument`, `*` for whole segments
   * @param {object} [options]
   * @param {string[]} [options.fields]  the properties to receive (a view)
   * @param {object} [options.filter]  only publications that pass it (docs/protocol.md#filters)
   * @param {{epoch: string, offset: number}} [options.since]  recover from this position
   */
  async subscribe(channel, options = {}) {
    const entry = { fields: options.fields ?? null, filter: options.filter ?? null };
    const request = { op: "subscribe", channel };
    if (entry.fields) request.fields = entry.fields;
    if (entry.filter) request.filter = entry.filter;
    if (options.since) request.since = options.since;
    // The reply's epochs are noted as it is read, before the snapshots that follow it in the
    // same frame.
    return this.request(request, (result) => {
      this.subscriptions.set(channel, entry);
      this.noteChannels(result, channel);
    });
  }

  /** Ends a subscription (the string given to subscribe). */
  async unsubscribe(channel) {
    const result = await this.request({ op: "unsubscribe", channel });
    this.subscriptions.delete(channel);
    return result;
  }

  /** Round trip to the hub: resolves with {ts}, the hub's wall clock in µs. */
  ping() {
    return this.request({ op: "ping" });
  }

  /** Sets the connection's identity with a token; resolves with {subject, roles, scopes, flags, expiresAt}. */
  async auth(token) {
    const result = await this.request({ op: "auth", token });
    this.token = token;
    return result;
  }

  /** Sends a request and waits for its reply; `onResult` runs as the reply is read. */
  request(body, onResult = null) {
    if (!this.connected) return Promise.reject(new StreamHubError(0, "not connected"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StreamHubError(0, `no reply to ${body.op} within ${this.requestTimeoutMs} ms`, id));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer, onResult });
      this.socket.send(JSON.stringify({ id, ...body }));
    });
  }

  // Incoming

  receive(text) {
    if (typeof text !== "string") return; // protocol v1 is text only
    for (const line of text.split("\n")) {
      if (line.length === 0) continue;
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        this.dispatch("error", { code: 0, message: "a message that is not JSON" });
        continue;
      }
      this.handle(message);
    }
  }

  handle(m) {
    if (m.ch !== undefined && m.data !== undefined) return this.publication(m);
    if (m.id !== undefined && (m.result !== undefined || m.error !== undefined)) return this.reply(m);
    if (m.error !== undefined) return this.dispatch("error", { code: m.error.code, message: m.error.message });
    switch (m.type) {
      case "channel":
        this.positions.set(m.ch, { epoch: m.epoch, offset: 0 });
        return this.dispatch("channel", { channel: m.ch, epoch: m.epoch, subscription: m.sub });
      case "unsubscribed":
        this.subscriptions.delete(m.channel);
        return this.dispatch("unsubscribed", { channel: m.channel, reason: m.reason });
      case "permissions":
        return this.dispatch("permissions", { roles: m.roles, scopes: m.scopes });
      case "flags":
        return this.dispatch("flags", { flags: m.flags });
      case "expiring":
        this.dispatch("expiring", { expiresAt: m.expiresAt, inSeconds: m.inSeconds });
        return this.refreshToken();
      default:
        return undefined;
    }
  }

  reply(m) {
    const waiting = this.pending.get(m.id);
    if (!waiting) return;
    this.pending.delete(m.id);
    clearTimeout(waiting.timer);
    if (m.error) {
      this.dispatch("error", { code: m.error.code, message: m.error.message, id: m.id });
      waiting.reject(new StreamHubError(m.error.code, m.error.message, m.id));
    } else {
      waiting.onResult?.(m.result);
      waiting.resolve(m.result);
    }
  }

  publication(m) {
    const known = this.positions.get(m.ch);
    if (known && known.offset > 0 && m.off <= known.offset) return; // seen already (a snapshot or a recovery overlap)
    // A filtered subscription skips offsets by design: only unfiltered channels report gaps.
    if (known && known.offset > 0 && m.off > known.offset + 1 && !this.filtered(m.ch)) {
      this.dispatch("gap", { channel: m.ch, expected: known.offset + 1, offset: m.off });
    }
    const epoch = known?.epoch ?? null;
    this.positions.set(m.ch, { epoch, offset: m.off });
    this.dispatch("publication", {
      channel: m.ch, offset: m.off, epoch, snapshot: m.snap === true, ts: m.ts, rt: m.rt, data: m.data,
    });
  }

  /** Whether a subscription with a filter covers `channel` (its offsets then skip). */
  filtered(channel) {
    const parts = channel.split(".");
    for (const [key, entry] of this.subscriptions) {
      if (!entry.filter) continue;
      const pattern = key.split(".");
      if (pattern.length === 3 && pattern.every((p, i) => p === "*" || p === parts[i])) return true;
    }
    return false;
  }

  /** Records the epochs a subscribe reply gives; a new epoch restarts the channel's offsets. */
  noteChannels(result, subscription) {
    for (const c of result?.channels ?? []) {
      const known = this.positions.get(c.ch);
      if (!known || known.epoch !== c.epoch) this.positions.set(c.ch, { epoch: c.epoch, offset: 0 });
    }
    if (result && result.recovered !== undefined) {
      this.dispatch("recovered", { channel: subscription, recovered: result.recovered });
    }
  }

  // Reconnecting

  shouldReconnect(code) {
    if (this.closedByUser || !this.reconnectEnabled) return false;
    if (FINAL_CLOSE_CODES.has(code)) return false;
    if (code === TOKEN_EXPIRED && !this.getToken) return false;
    return true;
  }

  /** The delay before attempt `attempt` (1-based): doubling from initialDelayMs, capped, with jitter. */
  backoff(attempt) {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (attempt - 1));
    return Math.round(base * (1 - this.jitter + Math.random() * 2 * this.jitter));
  }

  scheduleReconnect(code) {
    this.attempt += 1;
    const delayMs = this.backoff(this.attempt);
    this.dispatch("reconnecting", { attempt: this.attempt, delayMs });
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      if (this.closedByUser) return;
      if (this.getToken && (code === TOKEN_EXPIRED || this.token)) {
        try {
          this.token = await this.getToken();
        } catch (e) {
          this.dispatch("error", { code: 0, message: `getToken failed: ${e.message}` });
        }
      }
      // A failed attempt closes, and its close handler schedules the next one.
      this.connect().catch(() => {});
    }, delayMs);
  }

  /** After a reconnect: every subscription again; exact channels continue from their position. */
  async resubscribe() {
    const all = [...this.subscriptions.entries()];
    await Promise.all(
      all.map(async ([key, entry]) => {
        const exact = !key.split(".").includes("*");
        const at = exact ? this.positions.get(key) : null;
        const options = { fields: entry.fields ?? undefined, filter: entry.filter ?? undefined };
        if (at && at.epoch && at.offset > 0) options.since = { epoch: at.epoch, offset: at.offset };
        try {
          await this.subscribe(key, options);
        } catch (e) {
          this.subscriptions.delete(key);
          this.dispatch("unsubscribed", { channel: key, reason: `resubscribe refused: ${e.message}` });
        }
      }),
    );
  }

  async refreshToken() {
    if (!this.getToken || !this.connected) return;
    try {
      const token = await this.getToken();
      const result = await this.request({ op: "refresh", token });
      this.token = token;
      this.dispatch("refreshed", { expiresAt: result?.expiresAt });
    } catch (e) {
      this.dispatch("error", { code: e.code ?? 0, message: `token refresh failed: ${e.message}` });
    }
  }

  failPending(error) {
    for (const [, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.pending.clear();
  }

  dispatch(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
