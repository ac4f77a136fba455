"""The Python client (clients/python/streamhub_client.py) and its example bot against live hubs
of this build. Run by scripts/test with Debian's python3 (python3-websockets):
    STREAMHUB_BIN=.build/debug/streamhub /usr/bin/python3 -m unittest discover -s Tests/python
"""
import asyncio
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
from hubprocess import REPO, Hub, Redis, rest, wait_for  # noqa: E402
from streamhub_client import StreamHubClient, StreamHubError, api_key_tokens  # noqa: E402

ADMIN_KEY = "shk_python_0123456789abcdefghijklmnop"


async def take(client, count, channel=None, timeout=20):
    """The next `count` publications (of `channel`, when given)."""
    out = []

    async def collect():
        async for p in client.publications():
            if channel is None or p.channel == channel:
                out.append(p)
                if len(out) >= count:
                    return

    await asyncio.wait_for(collect(), timeout)
    return out


async def next_event(client, kind, timeout=20):
    async def find():
        while True:
            event, detail = await client.events.get()
            if event == kind:
                return detail

    return await asyncio.wait_for(find(), timeout)


def synthetic_ready(hub):
    """Up, and the synthetic feed has made its channels."""
    try:
        return rest(hub.port, "GET", "/api/channels?pattern=ticker.synthetic.*")["total"] >= 2
    except Exception:
        return False


class ClientTests(unittest.TestCase):
    """A hub with a synthetic feed and Redis: recovery across a restart, filters, publish, refresh."""

    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.hub = Hub(
            ADMIN_KEY, feeds="{synthetic: {enabled: true, rate: 50, channels: 2}}", redis_url=cls.redis.url,
            auth_extra=", expiryWarningSeconds: 899", ready=synthetic_ready)

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        cls.redis.stop()

    def client(self):
        return StreamHubClient(f"ws://127.0.0.1:{self.hub.port}/ws", tokens=api_key_tokens(self.hub.base, ADMIN_KEY), initial_delay=0.1, max_delay=1)

    def test_a_hub_restart_is_crossed_with_no_gap_and_no_duplicate(self):
        async def run():
            client = self.client()
            await client.start()
            channel = "ticker.synthetic.S0"
            await client.subscribe(channel, fields=["bid"])
            before = await take(client, 10, channel)
            await asyncio.get_running_loop().run_in_executor(None, self.hub.restart)
            recovered = await next_event(client, "recovered")
            after = await take(client, 20, channel)
            await client.close()
            return before, recovered, after

        before, recovered, after = asyncio.run(run())
        self.assertTrue(recovered["recovered"], "Redis kept epoch and offsets: recovered, no snapshot")
        offsets = [p.offset for p in before + after]
        self.assertEqual(offsets, list(range(offsets[0], offsets[0] + len(offsets))), "contiguous across the restart")
        self.assertEqual({p.epoch for p in before + after}, {before[0].epoch})
        self.assertEqual(list(after[-1].data), ["bid"], "the view survives the resubscription")

    def test_filters_errors_and_the_publish_op(self):
        async def run():
            client = self.client()
            await client.start()
            await client.subscribe("announcements.desk.*", filter={"property": "severity", "op": "in", "value": ["warning", "critical"]})
            with self.assertRaises(StreamHubError) as refused:
                await client.subscribe("ticker..x")
            self.assertEqual(refused.exception.code, 1002)
            for severity in ("info", "critical", "info", "warning"):
                reply = await client.publish("announcements.desk.py", {"headline": f"a {severity} note", "severity": severity})
                self.assertEqual(reply["channel"], "announcements.desk.py")
            got = await take(client, 2, "announcements.desk.py")
            with self.assertRaises(StreamHubError) as invalid:
                await client.publish("announcements.desk.py", {"severity": "meh"})
            await client.close()
            return got, invalid.exception

        got, invalid = asyncio.run(run())
        self.assertEqual([p.data["severity"] for p in got], ["critical", "warning"])
        self.assertEqual([p.offset for p in got], [2, 4], "offsets count every publication; the filter skips two")
        self.assertEqual(invalid.code, 1000)

    def test_the_expiring_push_is_answered_with_a_refresh(self):
        # expiryWarningSeconds 899 of a 900 s token: the first sweep warns.
        async def run():
            client = self.client()
            await client.start()
            await client.subscribe("ticker.synthetic.S1")
            event = await next_event(client, "refreshed")
            await client.close()
            return event

        self.assertGreater(asyncio.run(run())["expiresAt"], 0)


class BotTests(unittest.TestCase):
    """The example bot against a hub whose Coinbase simulator dislocates every 10 s."""

    def test_the_arbitrage_bot_prints_an_opportunity_opening_and_closing(self):
        feeds = """
  binance: {enabled: true, simulate: true, symbols: [BTC/USDT]}
  coinbase: {enabled: true, simulate: true, symbols: [BTC/USD], simulatorDislocationEverySeconds: 10}"""
        hub = Hub(ADMIN_KEY, feeds=feeds)
        try:
            env = dict(os.environ, STREAMHUB_URL=hub.base, STREAMHUB_API_KEY=ADMIN_KEY)
            bot = subprocess.run(
                [sys.executable, os.path.join(REPO, "clients", "python", "arb_bot.py"), "--count", "2", "--min-edge", "0.001"],
                env=env, capture_output=True, text=True, timeout=90)
        finally:
            hub.stop()
        lines = bot.stdout.splitlines()
        self.assertEqual(bot.returncode, 0, bot.stderr)
        self.assertEqual(lines[0], "following arb.*.*")
        self.assertTrue(lines[1].startswith("open    arb.crypto.BTC-USD  edge "), lines)
        self.assertTrue(lines[2].startswith("closed  arb.crypto.BTC-USD") or lines[2].startswith("open    arb.crypto.BTC-USD"), lines)


if __name__ == "__main__":
    unittest.main()
