"""The benchmark's C tools (Benchmarks/C): the neutral load client ws-load against the C reference
ws-broadcast (on poll and on libuv) and against a live hub of this build, and ws-load's refusal
of bad arguments. What scripts/bench measures with them must first be right. Run by scripts/test:
    STREAMHUB_BIN=.build/debug/streamhub /usr/bin/python3 -m unittest discover -s Tests/python
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from hubprocess import REPO, Hub, rest  # noqa: E402

ADMIN_KEY = "shk_benchtools_0123456789abcdefghijkl"


def build(tmp):
    tools = {}
    for name, flags in (("ws-load", ["-pthread", "-lm", "-lz"]), ("ws-broadcast", ["-lwebsockets"])):
        out = os.path.join(tmp, name)
        subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-o", out, os.path.join(REPO, "Benchmarks", "C", f"{name}.c")] + flags, check=True)
        tools[name] = out
    return tools


def load(tool, *args):
    """One ws-load run: its exit code and its JSON line."""
    done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "{}"
    return done.returncode, json.loads(line), done.stderr


class BenchToolsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.tools = build(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def broadcast(self, *args):
        process = subprocess.Popen([self.tools["ws-broadcast"], "--port", "0", *args], stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (process.kill(), process.wait(), process.stdout.close()))
        ready = process.stdout.readline().split()
        self.assertEqual(ready[0], "ready", "ws-broadcast prints its port")
        return process, int(ready[1])

    def test_the_client_measures_the_c_reference_on_poll_and_libuv(self):
        for loop in ([], ["--uv"]):
            process, port = self.broadcast("--rate", "200", "--batch", *loop)
            code, result, err = load(self.tools["ws-load"], "--port", str(port), "--conns", "40", "--threads", "2", "--duration", "1",
                                     "--warmup", "0.2", "--split", "--ts-key", "ts", "--server-pid", str(process.pid))
            self.assertEqual(code, 0, err)
            self.assertEqual((result["connected"], result["failed"], result["open_at_end"]), (40, 0, 40), loop)
            # 200 messages a second to each of 40 connections for about a second.
            self.assertGreater(result["msgs"], 40 * 100, result)
            self.assertEqual(result["untimed"], 0, "every message carries ts")
            # Loopback latency of a broadcast to 40 connections: well under a second.
            self.assertTrue(0 < result["p50_ms"] < 1000, result)
            self.assertGreater(result["server_cpu_us_per_msg"], 0)
            self.assertGreater(result["server_rss_mib"], 1)

    def test_the_client_subscribes_each_connection_to_its_channel_on_a_hub_on_either_loop(self):
        for loop in ("poll", "libuv"):
            hub = Hub(ADMIN_KEY, feeds="{synthetic: {enabled: true, rate: 400, channels: 4}}", ready=lambda h: rest_total(h.port) >= 4,
                      server_extra=f", eventLoop: {loop}")
            self.addCleanup(hub.stop)
            code, result, err = load(self.tools["ws-load"], "--port", str(hub.port), "--path", "/ws", "--conns", "8", "--channels", "4",
                                     "--subscribe", '{"id":1,"op":"subscribe","channel":"ticker.synthetic.S{n}"}', "--duration", "1",
                                     "--warmup", "0.5", "--split", "--ts-key", "rt")
            self.assertEqual(code, 0, err)
            self.assertEqual(result["connected"], 8, loop)
            # Each connection gets its one channel: 2 of 8 per channel, 100 ticks/s a channel.
            self.assertGreater(result["timed"], 8 * 40, (loop, result))
            self.assertLess(result["msgs"], 8 * 400, "no connection gets every channel")
            hub.stop()

    def test_the_client_inflates_permessage_deflate_with_and_without_context_takeover(self):
        hub = Hub(ADMIN_KEY, feeds="{synthetic: {enabled: true, rate: 200, channels: 1, wide: true}}", ready=lambda h: rest_total(h.port) >= 1)
        self.addCleanup(hub.stop)
        ratios = {}
        for mode in ("--deflate", "--deflate-no-context-takeover"):
            code, result, err = load(self.tools["ws-load"], "--port", str(hub.port), "--path", "/ws", "--conns", "6", "--duration", "1",
                                     "--warmup", "0.5", "--split", "--ts-key", "rt", mode,
                                     "--subscribe", '{"id":1,"op":"subscribe","channel":"ticker.synthetic.S0"}')
            self.assertEqual(code, 0, err)
            self.assertEqual((result["connected"], result["deflate_conns"], result["failed"]), (6, 6, 0), (mode, result))
            self.assertGreater(result["timed"], 6 * 50, "messages inflate and carry their timestamps")
            self.assertEqual(result["untimed"], 0)
            ratios[mode] = result["message_mb_per_s"] / result["mb_per_s"]
        # Each message alone compresses less than a stream that refers back to earlier ones.
        self.assertGreater(ratios["--deflate"], ratios["--deflate-no-context-takeover"], ratios)
        self.assertGreater(ratios["--deflate-no-context-takeover"], 1, ratios)

    def test_the_deflate_ratio_script_compresses_publications_per_setting(self):
        script = os.path.join(REPO, "Benchmarks", "deflate-ratio.py")
        path = os.path.join(self.tmp.name, "publications.txt")
        with open(path, "w") as f:
            f.write('{"id":1,"result":{}}\n')  # not a publication: skipped
            for n in range(60):
                f.write(json.dumps({"ch": f"ticker.v.I{n % 3}", "off": n, "ts": 1700000000000 + n, "data": {"bid": 100 + n % 7, "ask": 101}},
                                   separators=(",", ":")) + "\n")
        done = subprocess.run([sys.executable, script, path, "--passes", "2"], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        rows = [json.loads(line) for line in done.stdout.splitlines()]
        self.assertEqual({(r["subscriber"], r["window_bits"], r["context_takeover"]) for r in rows if r["mem_level"] == 4 and r["window_bits"] == 12},
                         {("every channel", 12, True), ("every channel", 12, False), ("one channel", 12, True), ("one channel", 12, False)})
        for r in rows:
            self.assertEqual(r["messages"], 60)
            self.assertGreater(r["ratio"], 1, r)
        by = {(r["subscriber"], r["window_bits"], r["context_takeover"]): r["ratio"] for r in rows}
        self.assertGreater(by[("every channel", 15, True)], by[("every channel", 15, False)], "context takeover compresses more")
        for args in (["/nonexistent/file"], [path, "--passes", "0"]):
            bad = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=60)
            self.assertEqual(bad.returncode, 2, args)

    def test_the_reference_sends_messages_of_the_size_asked(self):
        """--message-bytes pads each message (still JSON with its ts) to the size of the server it
        is compared with; message-size.py reads that size off a run for scripts/bench."""
        process, port = self.broadcast("--rate", "200", "--message-bytes", "180", "--ring", "1024", "--frame-bytes", "4096")
        code, result, err = load(self.tools["ws-load"], "--port", str(port), "--conns", "40", "--threads", "2", "--duration", "1",
                                 "--warmup", "0.2", "--ts-key", "ts", "--server-pid", str(process.pid))
        self.assertEqual(code, 0, err)
        self.assertGreater(result["msgs"], 40 * 100, result)
        self.assertEqual(result["untimed"], 0, "a padded message still carries ts")
        self.assertAlmostEqual(result["message_mb_per_s"] * 1e6 / result["msgs_per_s"], 180, delta=1.5)
        script = os.path.join(REPO, "Benchmarks", "message-size.py")
        size = subprocess.run([sys.executable, script, json.dumps({"msgs_per_s": 1000, "message_mb_per_s": 0.181})],
                              capture_output=True, text=True, timeout=10)
        self.assertEqual((size.returncode, size.stdout.strip()), (0, "180"), "without the '\\n' between batched messages")
        for bad in (json.dumps({"msgs_per_s": 0, "message_mb_per_s": 0}), "not json"):
            done = subprocess.run([sys.executable, script, bad], capture_output=True, text=True, timeout=10)
            self.assertEqual(done.returncode, 1, bad)
            self.assertIn("message-size:", done.stderr)
        for args in (["--ring", "3"], ["--frame-bytes", "100"], ["--message-bytes", "192"]):
            done = subprocess.run([self.tools["ws-broadcast"], "--port", "0", *args], capture_output=True, text=True, timeout=10)
            self.assertEqual(done.returncode, 2, args)
            self.assertIn("usage: ws-broadcast", done.stderr)

    def test_bad_arguments_are_refused_with_exit_2(self):
        for args, message in ((["--conns", "x", "--port", "1"], "--conns wants a whole number"),
                              (["--port", "70000"], "--port wants a whole number from 1 to 65535"),
                              (["--port", "1", "--duration", "-1"], "--duration wants seconds"),
                              (["--port", "1", "--host", "localhost"], "--host wants an IPv4 address"),
                              (["--port"], "usage: ws-load")):
            done = subprocess.run([self.tools["ws-load"], *args], capture_output=True, text=True, timeout=10)
            self.assertEqual(done.returncode, 2, args)
            self.assertIn(message, done.stderr)

    def test_a_refused_upgrade_counts_as_a_failed_connection(self):
        hub = Hub(ADMIN_KEY)
        self.addCleanup(hub.stop)
        code, result, err = load(self.tools["ws-load"], "--port", str(hub.port), "--path", "/nowhere", "--conns", "3", "--duration", "0",
                                 "--warmup", "0")
        self.assertEqual(code, 1)
        self.assertEqual((result["connected"], result["failed"]), (0, 3))
        self.assertIn("refused", err)


def rest_total(port):
    try:
        return rest(port, "GET", "/api/channels?pattern=ticker.synthetic.*")["total"]
    except Exception:
        return 0


if __name__ == "__main__":
    unittest.main()
