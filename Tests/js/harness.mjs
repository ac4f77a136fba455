// Test support for the JavaScript client: a real redis-server and a real `streamhub serve`
// (the debug build), each on a free loopback port in a temporary directory, stopped by the test.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const repository = new URL("../..", import.meta.url).pathname;

/** The streamhub binary: STREAMHUB_BIN, else the debug build's. */
export function streamhubBinary() {
  if (process.env.STREAMHUB_BIN) return process.env.STREAMHUB_BIN;
  const bin = execFileSync("swift", ["build", "--show-bin-path"], { cwd: repository, encoding: "utf8" }).trim();
  return join(bin, "streamhub");
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 20 ms until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor(what, check, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class Redis {
  async start() {
    this.dir = mkdtempSync(join(tmpdir(), "js-redis-"));
    this.port = await freePort();
    this.process = spawn("redis-server", ["--port", `${this.port}`, "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    await waitFor("redis", () => {
      try {
        return execFileSync("redis-cli", ["-p", `${this.port}`, "ping"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() === "PONG";
      } catch {
        return false;
      }
    });
    return this;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async stop() {
    await stopProcess(this.process);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const jwtSecret = "js-client-test-secret-0123456789abcdef";
export const adminKey = "shk_jsadmin_0123456789abcdefghijklmnop";

/** `streamhub serve` with a synthetic ticker feed; `extra` is appended to the YAML. */
export class Hub {
  /** `authExtra`: more `auth:` keys, as YAML flow entries (", expiryWarningSeconds: 899"). */
  constructor({ redisURL = "", authExtra = "", rate = 50 } = {}) {
    this.redisURL = redisURL;
    this.authExtra = authExtra;
    this.rate = rate;
    this.dir = mkdtempSync(join(tmpdir(), "js-hub-"));
  }

  async start() {
    this.port ??= await freePort();
    const config = join(this.dir, "hub.yaml");
    writeFileSync(
      config,
      `server: {host: 127.0.0.1, port: ${this.port}, dataDir: ${join(this.dir, "data")}, publicDir: null, shutdownGraceSeconds: 1}
feeds: {synthetic: {enabled: true, rate: ${this.rate}, channels: 2}}
properties: {seedDirectory: ${join(repository, "config/properties")}}
mappings: {seedFile: ${join(repository, "config/mappings.yaml")}}
flags: {seedFile: ${join(repository, "config/flags.yaml")}}
redis: {url: "${this.redisURL}"}
auth: {jwtSecret: ${jwtSecret}, anonymous: true, rolesFile: ${join(repository, "config/roles.yaml")}, bootstrapAdminKey: ${adminKey}, passwordRounds: 10000${this.authExtra}}
`,
    );
    this.process = spawn(streamhubBinary(), ["serve", "--config", config, "--log-level", "error"], { stdio: ["ignore", "ignore", "inherit"] });
    // Up, and the synthetic feed has made its channels (so a subscribe finds them).
    await waitFor(
      "the hub and its synthetic channels",
      async () => {
        try {
          // /healthz tells anyone only the status; the channel list is open to the anonymous role.
          const r = await fetch(`http://127.0.0.1:${this.port}/api/channels?pattern=ticker.synthetic.*`);
          return r.ok && (await r.json()).total >= 2;
        } catch {
          return false;
        }
      },
      30000,
    );
    return this;
  }

  get wsURL() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** A token of the bootstrap admin from its API key (POST /api/auth/token). */
  async adminToken() {
    const r = await fetch(`http://127.0.0.1:${this.port}/api/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ apiKey: adminKey }),
    });
    if (!r.ok) throw new Error(`token: ${r.status}`);
    return (await r.json()).accessToken;
  }

  /** A user with `roles` and a password, created by the admin; resolves with a token of it. */
  async userToken(username, roles) {
    const base = `http://127.0.0.1:${this.port}`;
    const admin = await this.adminToken();
    const password = "a long enough password 123";
    const created = await fetch(`${base}/api/users`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${admin}` },
      body: JSON.stringify({ username, roles, password }),
    });
    if (created.status !== 201) throw new Error(`create user: ${created.status} ${await created.text()}`);
    const login = await fetch(`${base}/api/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    if (!login.ok) throw new Error(`login: ${login.status}`);
    return (await login.json()).accessToken;
  }

  /** SIGTERM (graceful: 1001 to every client), then wait. */
  async stop() {
    await stopProcess(this.process);
  }

  async remove() {
    await this.stop();
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}

function stopProcess(p) {
  return new Promise((resolve) => {
    if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once("exit", () => resolve());
    p.kill("SIGTERM");
    setTimeout(() => p.kill("SIGKILL"), 10000).unref();
  });
}
