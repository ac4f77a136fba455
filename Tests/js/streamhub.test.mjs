// The JavaScript client (public/js/streamhub.js) against a live hub, under Node's test runner
// with its experimental WebSocket: `node --experimental-websocket --test Tests/js/`.
import { test, after, before } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { StreamHubClient, StreamHubError } from "../../public/js/streamhub.js";
import { Hub, Redis, repository, waitFor } from "./harness.mjs";

const channel = "ticker.synthetic.S0";

/** Every publication of `channel` the client delivers, in order. */
function record(client, name = channel) {
  const offsets = [];
  const snapshots = [];
  client.addEventListener("publication", (e) => {
    if (e.detail.channel !== name) return;
    offsets.push(e.detail.offset);
    if (e.detail.snapshot) snapshots.push(e.detail.offset);
  });
  return { offsets, snapshots };
}

function assertContiguous(offsets, what) {
  for (let i = 1; i < offsets.length; i++) {
    assert.equal(offsets[i], offsets[i - 1] + 1, `${what}: offset ${offsets[i]} after ${offsets[i - 1]} (no gap, no duplicate)`);
  }
}

let redis;
let hub;

/** A client closed when the test ends, whatever happens in it (no reconnect loop outlives it). */
function newClient(t, url, options) {
  const c = new StreamHubClient(url, options);
  t.after(() => c.close());
  return c;
}

before(async () => {
  redis = await new Redis().start();
  hub = await new Hub({ redisURL: redis.url }).start();
});

after(async () => {
  await hub?.remove();
  await redis?.stop();
});

test("subscribes with fields, splits batched frames, answers errors as rejections", async (t) => {
  const client = newClient(t, hub.wsURL);
  const seen = record(client);
  await client.connect();
  const reply = await client.subscribe(channel, { fields: ["bid"] });
  assert.equal(reply.channels[0].ch, channel);
  await waitFor("five publications", () => seen.offsets.length >= 5);
  const last = [];
  client.addEventListener("publication", (e) => last.push(e.detail.data));
  await waitFor("one more", () => last.length > 0);
  assert.deepEqual(Object.keys(last[0]), ["bid"], "the view has only bid");
  assertContiguous(seen.offsets.slice(1), "live");

  await assert.rejects(client.subscribe("ticker"), (e) => e instanceof StreamHubError && e.code === 1002);
  await assert.rejects(client.subscribe(channel), (e) => e.code === 1004 || e.code === 1003, "already subscribed");
  const pong = await client.ping();
  assert.ok(pong.ts > 0);
  await client.unsubscribe(channel);
  const count = seen.offsets.length;
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(seen.offsets.length <= count + 1, "nothing after unsubscribe (one may be in flight)");
  client.close();
});

test("a filter is sent with the subscription: only passing publications arrive", async (t) => {
  const client = newClient(t, hub.wsURL);
  const filtered = record(client, "ticker.synthetic.S0");
  const open = record(client, "ticker.synthetic.S1");
  await client.connect();
  await client.subscribe("ticker.synthetic.S0", { filter: { property: "bid", op: "<", value: 0 } });
  await client.subscribe("ticker.synthetic.S1", { filter: { property: "bid", op: "exists" } });
  await waitFor("five publications on S1", () => open.offsets.length >= 5);
  assert.equal(filtered.offsets.length, 0, "no bid is negative: nothing on S0, not even its snapshot");
  await assert.rejects(
    client.subscribe("ticker.synthetic.S2", { filter: { property: "bid", op: ">", value: "high" } }),
    (e) => e instanceof StreamHubError && e.code === 1000 && e.message.includes("must be a number"),
  );
});

test("a dropped connection reconnects with backoff and recovers with since: no gap, no duplicate", async (t) => {
  const client = newClient(t, hub.wsURL, { initialDelayMs: 300 });
  const seen = record(client);
  const recovered = [];
  const reconnecting = [];
  client.addEventListener("recovered", (e) => recovered.push(e.detail));
  client.addEventListener("reconnecting", (e) => reconnecting.push(e.detail));
  await client.connect();
  await client.subscribe(channel);
  await waitFor("publications", () => seen.offsets.length >= 5);
  const before = seen.offsets.at(-1);
  client.socket.close(4999, "network gone"); // as if the network dropped: not close()
  await waitFor("recovered", () => recovered.length > 0);
  assert.equal(recovered[0].recovered, true);
  assert.ok(reconnecting[0].delayMs >= 240 && reconnecting[0].delayMs <= 360, `jittered 300 ms: ${reconnecting[0].delayMs}`);
  await waitFor("more after the reconnect", () => seen.offsets.at(-1) > before + 20);
  assertContiguous(seen.offsets, "across the drop");
  assert.deepEqual(seen.snapshots, [seen.offsets[0]], "one snapshot, at the first subscribe only");
  client.close();
});

test("a hub restart is crossed: Redis keeps epoch and offsets, the client continues", async (t) => {
  const client = newClient(t, hub.wsURL, { initialDelayMs: 100, maxDelayMs: 400 });
  const seen = record(client);
  const closes = [];
  const recovered = [];
  client.addEventListener("close", (e) => closes.push(e.detail));
  client.addEventListener("recovered", (e) => recovered.push(e.detail));
  await client.connect();
  await client.subscribe(channel);
  await waitFor("publications", () => seen.offsets.length >= 5);
  const epoch = client.position(channel).epoch;
  await hub.stop();
  await hub.start();
  await waitFor("recovered after the restart", () => recovered.length > 0, 30000);
  const last = seen.offsets.at(-1);
  await waitFor("publications after the restart", () => seen.offsets.at(-1) > last + 10, 10000);
  // The hub sends 1001 (its Swift tests read it); Node 20's WebSocket may report the end of
  // the TCP connection as 1006 instead. Either way the client reconnects.
  assert.ok([1001, 1006].includes(closes[0].code), `closed with ${closes[0].code}`);
  assert.equal(closes[0].willReconnect, true);
  assert.equal(recovered[0].recovered, true);
  assert.equal(client.position(channel).epoch, epoch, "the restored channel kept its epoch");
  assertContiguous(seen.offsets, "across the restart");
  client.close();
});

test("the token is refreshed on the expiring push", async (t) => {
  // Tokens live 900 s and the warning comes 899 s before expiry: at once.
  const h = await new Hub({ rate: 5, authExtra: ", expiryWarningSeconds: 899" }).start();
  try {
    let issued = 0;
    const getToken = async () => {
      issued += 1;
      return h.adminToken();
    };
    const client = newClient(t, h.wsURL, { token: await h.adminToken(), getToken });
    const expiring = [];
    const refreshed = [];
    client.addEventListener("expiring", (e) => expiring.push(e.detail));
    client.addEventListener("refreshed", (e) => refreshed.push(e.detail));
    await client.connect();
    await waitFor("the expiring push", () => expiring.length > 0);
    await waitFor("refreshed", () => refreshed.length > 0);
    assert.ok(issued >= 1, "getToken gave the new token");
    assert.ok(expiring[0].inSeconds > 800);
    assert.ok(client.connected, "still connected");
    client.close();
  } finally {
    await h.remove();
  }
});

test("auth as another user: unsubscribed and permissions pushes arrive as events", async (t) => {
  const admin = await hub.adminToken();
  const viewer = await hub.userToken(`viewer${Date.now()}`, ["viewer"]);
  const client = newClient(t, hub.wsURL, { token: admin });
  const unsubscribed = [];
  const permissions = [];
  client.addEventListener("unsubscribed", (e) => unsubscribed.push(e.detail));
  client.addEventListener("permissions", (e) => permissions.push(e.detail));
  await client.connect();
  await client.subscribe("arb.*.*");
  const identity = await client.auth(viewer);
  assert.deepEqual(identity.roles, ["viewer"]);
  assert.deepEqual(unsubscribed, [{ channel: "arb.*.*", reason: "re-authenticated" }]);
  assert.deepEqual(permissions[0].roles, ["viewer"]);
  assert.equal(client.subscriptions.has("arb.*.*"), false, "the client forgot the subscription");
  client.close();
});

test("a refused token is final: no reconnect loop", async (t) => {
  const client = newClient(t, hub.wsURL, { token: "not-a-token" });
  const closes = [];
  client.addEventListener("close", (e) => closes.push(e.detail));
  await client.connect().catch(() => {});
  await waitFor("closed", () => closes.length > 0);
  assert.equal(closes[0].code, 4001);
  assert.equal(closes[0].willReconnect, false);
});

test("the client packs as a scoped npm package for a private registry", () => {
  const out = mkdtempSync(join(tmpdir(), "js-pack-"));
  try {
    const [pack] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", out], { cwd: join(repository, "public/js"), encoding: "utf8" }));
    assert.equal(pack.name, "@streamhub/client");
    assert.equal(pack.filename, `streamhub-client-${pack.version}.tgz`);
    assert.deepEqual(pack.files.map((f) => f.path).sort(), ["package.json", "streamhub.js"], "only the module and its manifest");
    const listed = execFileSync("tar", ["-tzf", join(out, pack.filename)], { encoding: "utf8" }).trim().split("\n").sort();
    assert.deepEqual(listed, ["package/package.json", "package/streamhub.js"]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
