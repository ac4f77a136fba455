"""Three hub processes of this build as one cluster over one redis-server, fed by a Deribit
simulator process (venue-sim), all on loopback and sharing one control-plane store (a
PostgreSQL server when STREAMHUB_TEST_POSTGRES_URL names one, as scripts/test does): a flag
flipped through one node reaches the sessions on the others at once (announced over Redis), a
channel has the same epoch and offsets on every node, a subscriber on a node that does not run
the feed gets it with consecutive offsets, a client moving to another node recovers without gap
or duplicate, and killing the feed's owner moves the feed within the failover time while
subscribers elsewhere see no gap. Run by scripts/test:
    STREAMHUB_BIN=.build/debug/streamhub /usr/bin/python3 -m unittest Tests/python/test_cluster.py
"""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from hubprocess import REPO, Hub, Redis, free_port, rest, wait_for  # noqa: E402

ADMIN_KEY = "shk_cluster_0123456789abcdefghijklmno"
CHANNEL = "ticker.deribit.BTC-PERPETUAL"
FAILOVER = 2


def venue_sim():
    binary = os.path.join(os.path.dirname(os.environ.get("STREAMHUB_BIN", os.path.join(REPO, ".build", "debug", "streamhub"))), "venue-sim")
    port = free_port()
    process = subprocess.Popen([binary, "deribit", "--port", str(port), "--step-ms", "50"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port


def cluster(hub):
    return rest(hub.port, "GET", "/api/cluster", token=hub.admin_token())


def holder(hub, lease):
    try:
        return next(l.get("holder") for l in cluster(hub)["leases"] if l["name"] == lease)
    except Exception:
        return None


def channel(hub):
    """(epoch, offset) of CHANNEL on `hub`, or None."""
    try:
        found = rest(hub.port, "GET", f"/api/channels?pattern={CHANNEL}", token=hub.admin_token())["channels"]
        state = rest(hub.port, "GET", f"/api/state/{CHANNEL}", token=hub.admin_token())
        return (state["epoch"], found[0]["off"]) if found else None
    except Exception:
        return None


async def follow(port, count, since=None, timeout=20):
    """Subscribes to CHANNEL on the node at `port` and reads `count` live publications; returns
    the reply and the offsets received (the snapshot's marked negative)."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10) as ws:
        request = {"id": 1, "op": "subscribe", "channel": CHANNEL}
        if since:
            request["since"] = {"epoch": since[0], "offset": since[1]}
        await ws.send(json.dumps(request))
        reply, offsets = None, []
        deadline = time.time() + timeout
        while len([o for o in offsets if o > 0]) < count:
            frame = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.time()))
            for line in frame.split("\n"):
                m = json.loads(line)
                if m.get("id") == 1:
                    reply = m
                elif m.get("ch") == CHANNEL:
                    offsets.append(-m["off"] if m.get("snap") else m["off"])
        return reply, offsets


class ClusterTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.sim, sim_port = venue_sim()
        feeds = (f'{{deribit: {{enabled: true, url: "ws://127.0.0.1:{sim_port}/ws/api/v2", instruments: [BTC-PERPETUAL], '
                 f'optionCurrencies: [], interval: 100ms}}}}')
        cls.hubs = {}
        cls.dirs = []
        # The control plane: PostgreSQL (a schema of the run's server), each node with a data
        # directory of its own; without a server, one SQLite file the nodes share.
        postgres = os.environ.get("STREAMHUB_TEST_POSTGRES_URL")
        shared = None if postgres else tempfile.mkdtemp(prefix="py-cluster-data-")
        schema = f"cluster_{os.getpid()}_{int(time.time())}"
        for name in ("a", "b", "c"):
            extra = f"cluster: {{enabled: true, nodeId: {name}, failoverSeconds: {FAILOVER}}}"
            if postgres:
                extra += f'\nstore: {{postgres: "{postgres}?schema={schema}"}}'
            data = shared or tempfile.mkdtemp(prefix=f"py-cluster-{name}-")
            cls.dirs.append(data)
            cls.hubs[name] = Hub(ADMIN_KEY, feeds=feeds, extra=extra, redis_url=cls.redis.url, data_dir=data)
        # One node runs the feed; the channel reaches every node.
        cls.owner = wait_for("a feed owner", lambda: holder(cls.hubs["a"], "deribit"), timeout=30)
        for hub in cls.hubs.values():
            wait_for("the channel on every node", lambda: channel(hub), timeout=30)

    @classmethod
    def tearDownClass(cls):
        for hub in cls.hubs.values():
            hub.stop()
        cls.sim.kill()
        cls.sim.wait()
        cls.redis.stop()
        for d in set(cls.dirs):
            shutil.rmtree(d, ignore_errors=True)

    def others(self):
        return [h for n, h in sorted(self.hubs.items()) if n != self.owner and not h.exited()]

    def test_0_a_flag_flipped_through_one_node_reaches_sessions_on_the_others(self):
        token = self.hubs["c"].admin_token()

        async def watch(port, ready, pushed):
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10) as ws:
                await ws.send(json.dumps({"id": 1, "op": "auth", "token": token}))
                while True:
                    frame = await asyncio.wait_for(ws.recv(), timeout=10)
                    for line in frame.split("\n"):
                        m = json.loads(line)
                        if m.get("id") == 1:
                            self.assertIn("premium-data", m["result"]["flags"], m)
                            ready.set()
                        elif m.get("type") == "flags" and ready.is_set():  # (auth itself pushes the first)
                            pushed.append((time.time(), m["flags"]))
                            return

        async def flip():
            events = {n: (asyncio.Event(), []) for n in ("a", "b")}
            watchers = [asyncio.ensure_future(watch(self.hubs[n].port, *events[n])) for n in events]
            for ready, _ in events.values():
                await asyncio.wait_for(ready.wait(), timeout=10)
            flipped = time.time()
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: rest(self.hubs["c"].port, "PUT", "/api/features/premium-data", {"enabled": False}, token=token))
            await asyncio.gather(*watchers)
            return flipped, {n: pushed[0] for n, (_, pushed) in events.items()}

        try:
            flipped, pushes = asyncio.run(flip())
        finally:
            rest(self.hubs["c"].port, "PUT", "/api/features/premium-data", {"enabled": True, "strategies": [{"name": "default"}]}, token=token)
        for node, (at, flags) in pushes.items():
            self.assertNotIn("premium-data", flags, node)
            self.assertLess(at - flipped, 1.0, f"node {node} re-evaluated its session {at - flipped:.3f} s after the change")
        print(f"\n  flag flipped through c: sessions on a and b re-evaluated after "
              f"{', '.join(f'{n} {at - flipped:.3f} s' for n, (at, _) in sorted(pushes.items()))}", file=sys.stderr)

    def test_0_alert_rules_changed_through_one_node_reach_the_others(self):
        token = self.hubs["c"].admin_token()
        before = rest(self.hubs["c"].port, "GET", "/api/monitoring/alert-rules", token=token)["rules"]
        rule = {"name": "cluster-test", "kind": "sourceNotLive", "threshold": 0, "forSeconds": 30, "severity": "critical"}
        started = time.time()
        rest(self.hubs["c"].port, "PUT", "/api/monitoring/alert-rules", {"rules": before + [rule]}, token=token)
        try:
            for name in ("a", "b"):
                hub = self.hubs[name]
                wait_for(f"the rules on {name}",
                         lambda: "cluster-test" in [r["name"] for r in rest(hub.port, "GET", "/api/monitoring/alert-rules", token=token)["rules"]],
                         timeout=5)
            self.assertLess(time.time() - started, 1.0)
        finally:
            rest(self.hubs["c"].port, "PUT", "/api/monitoring/alert-rules", {"rules": before}, token=token)

    def test_1_every_node_sees_the_cluster_and_the_same_epoch(self):
        report = cluster(self.hubs["b"])
        self.assertTrue(report["enabled"])
        self.assertEqual(report["node"], "b")
        self.assertEqual(sorted(n["node"] for n in report["nodes"]), ["a", "b", "c"])
        leases = {l["name"]: l for l in report["leases"]}
        self.assertEqual(set(leases), {"deribit", "coordinator"})
        self.assertEqual(leases["deribit"]["holder"], self.owner)
        self.assertTrue(leases["deribit"]["token"].startswith(self.owner + "/"))
        epochs = {channel(h)[0] for h in self.hubs.values()}
        self.assertEqual(len(epochs), 1, epochs)
        # The feed's status channel names the node running it (published once a second).
        b = self.hubs["b"]

        def status():
            try:
                return rest(b.port, "GET", "/api/state/sources.hub.deribit", token=b.admin_token())
            except Exception:
                return None
        self.assertEqual(wait_for("the feed's status on b", status)["data"]["feedNode"], self.owner)

    def test_2_a_subscriber_on_another_node_gets_consecutive_offsets(self):
        other = self.others()[0]
        reply, offsets = asyncio.run(follow(other.port, 30))
        self.assertIn("result", reply)
        live = [o for o in offsets if o > 0]
        self.assertEqual(live, list(range(live[0], live[0] + len(live))), offsets)
        self.assertGreater(cluster(other)["counters"]["remoteApplied"], 0)

    def test_3_a_client_moving_to_another_node_recovers_without_gap_or_duplicate(self):
        first, second = self.others()[0], self.hubs[self.owner]
        epoch = channel(first)[0]
        _, offsets = asyncio.run(follow(first.port, 5))
        last = offsets[-1]
        wait_for("the channel to move on", lambda: channel(second)[1] >= last + 5)
        reply, moved = asyncio.run(follow(second.port, 10, since=(epoch, last)))
        self.assertTrue(reply["result"]["recovered"], reply)
        self.assertEqual(moved[:10], list(range(last + 1, last + 11)), moved)

    def across_owner_change(self, stop_owner):
        """Follows CHANNEL on a node that does not run the feed while `stop_owner(hub)` ends the
        owner; returns the offsets seen, the seconds until another node held the lease, the
        new owner."""
        watcher = self.others()[0]
        owner = self.hubs[self.owner]
        offsets = []

        async def collect(stop):
            async with websockets.connect(f"ws://127.0.0.1:{watcher.port}/ws", open_timeout=10) as ws:
                await ws.send(json.dumps({"id": 1, "op": "subscribe", "channel": CHANNEL}))
                while not stop.is_set():
                    try:
                        frame = await asyncio.wait_for(ws.recv(), timeout=0.2)
                    except asyncio.TimeoutError:
                        continue
                    for line in frame.split("\n"):
                        m = json.loads(line)
                        if m.get("ch") == CHANNEL and not m.get("snap"):
                            offsets.append(m["off"])

        async def until(what, check, timeout):
            deadline = time.time() + timeout
            while not await asyncio.get_running_loop().run_in_executor(None, check):
                if time.time() > deadline:
                    raise AssertionError(f"timed out waiting for {what}")
                await asyncio.sleep(0.05)  # a bounded poll, as wait_for does

        async def across():
            stop = asyncio.Event()
            task = asyncio.ensure_future(collect(stop))
            await until("live publications", lambda: len(offsets) >= 5, 10)
            stopped = time.time()
            await asyncio.get_running_loop().run_in_executor(None, lambda: stop_owner(owner))
            await until("a new owner", lambda: holder(watcher, "deribit") not in (None, self.owner), FAILOVER * 3)
            moved_after = time.time() - stopped
            resumed_from = len(offsets)
            await until("publications from the new owner", lambda: len(offsets) >= resumed_from + 10, 20)
            stop.set()
            await task
            return moved_after

        epoch_before = channel(watcher)[0]
        moved_after = asyncio.run(across())
        new_owner = holder(watcher, "deribit")
        self.assertNotEqual(new_owner, self.owner)
        # Across the change the stream went on in the same epoch, without gap or duplicate.
        self.assertEqual(offsets, list(range(offsets[0], offsets[0] + len(offsets))), offsets)
        self.assertEqual(channel(watcher)[0], epoch_before)
        previous, self.__class__.owner = self.owner, new_owner
        return offsets, moved_after, previous, new_owner

    def test_4_killing_the_feed_owner_moves_the_feed_within_the_failover_time(self):
        offsets, moved_after, old, new = self.across_owner_change(lambda hub: hub.process.kill())
        self.assertLessEqual(moved_after, FAILOVER, f"the feed moved after {moved_after:.2f} s")
        print(f"\n  failover: feed moved from {old} to {new} {moved_after:.2f} s after the kill "
              f"(failoverSeconds {FAILOVER}); {len(offsets)} consecutive offsets across it", file=sys.stderr)

    def test_5_a_node_shut_down_hands_its_feed_over_at_once(self):
        offsets, moved_after, old, new = self.across_owner_change(lambda hub: hub.process.terminate())
        # Handed over, not left to expire: well inside the lease's life (half the failover time).
        self.assertLess(moved_after, FAILOVER / 2, f"the feed moved after {moved_after:.2f} s")
        print(f"\n  shutdown: feed handed from {old} to {new} {moved_after:.2f} s after SIGTERM; "
              f"{len(offsets)} consecutive offsets across it", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
