#!/usr/bin/env python3
"""Fan-out on one hub node vs three cluster nodes over one redis-server, on this machine.

Each scenario starts a private redis-server and `streamhub-bench hub` process(es) publishing a
synthetic feed (--rate ticks/s over --channels channels; in the cluster one node holds the feed's
lease and the others get its publications through Redis), then runs the repository's load client
(ws-load) against every node at once — --conns connections in all, split evenly — and prints:
delivered messages/s, latency p50/p99 per node (from the publication's `rt`, stamped on the node
that made it, so on the other nodes it includes the Redis hop), each hub's CPU per delivered
message, and Redis' CPU per publication. The Redis hop is the p50 on the other nodes minus the
p50 on the feed's node.

    python3 Benchmarks/cluster-fanout.py --bench .build/release/streamhub-bench --load .bench/ws-load

With --idle N it instead holds N idle connections over three nodes at once (a third on each:
one process may have fewer descriptors than N) and prints each node's accept rate, memory per
connection and CPU, and the most connections established on the three at one moment (`ss`).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(what, check, timeout=30):
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            sys.exit(f"cluster-fanout: timed out waiting for {what}")
        time.sleep(0.05)  # a bounded poll of a readiness condition


class Redis:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait("redis", lambda: self.cli("ping") == "PONG")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True).stdout.strip()

    def cpu_seconds(self):
        info = dict(line.split(":", 1) for line in self.cli("info", "cpu").splitlines() if ":" in line)
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    def stop(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_hub(bench, rate, channels, redis_url, node=None):
    args = [bench, "hub", "--rate", str(rate), "--channels", str(channels), "--redis", redis_url, "--no-usage"]
    if node:
        args += ["--cluster-node", node]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    if not line.startswith("ready "):
        sys.exit(f"cluster-fanout: hub did not start ({line!r})")
    return p, int(line.split()[1])


def load(ws_load, port, pid, conns, channels, seconds):
    subscribe = '{"id":1,"op":"subscribe","channel":"ticker.synthetic.S{n}"}'
    return subprocess.Popen(
        [ws_load, "--port", str(port), "--path", "/ws", "--conns", str(conns), "--channels", str(channels), "--threads", "1",
         "--duration", str(seconds), "--warmup", "2", "--split", "--ts-key", "rt", "--subscribe", subscribe, "--server-pid", str(pid)],
        stdout=subprocess.PIPE, text=True)


def stop(hubs, redis):
    for _, p, _ in hubs:
        p.terminate()
    for _, p, _ in hubs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    redis.stop()


def scenario(args, nodes):
    redis = Redis()
    url = f"redis://127.0.0.1:{redis.port}/0"
    hubs = []
    try:
        names = ["a", "b", "c"][:nodes] if nodes > 1 else [None]
        for name in names:
            hubs.append((name,) + start_hub(args.bench, args.rate, args.channels, url, name))
        owner = None
        if nodes > 1:
            wait("the synthetic feed's lease", lambda: redis.cli("get", "streamhub:lease:synthetic") != "")
            owner = redis.cli("get", "streamhub:lease:synthetic").split("/")[0]
        wait("the channels", lambda: redis.cli("scard", "streamhub:channels").isdigit() and int(redis.cli("scard", "streamhub:channels")) >= args.channels)
        cpu0 = redis.cpu_seconds()
        started = time.time()
        runs = [(name, load(args.load, port, p.pid, args.conns // nodes, args.channels, args.seconds)) for name, p, port in hubs]
        results = [(name, json.loads(r.communicate()[0])) for name, r in runs]
        elapsed = time.time() - started
        redis_cpu = redis.cpu_seconds() - cpu0
        published = args.rate * elapsed
        total = sum(r["msgs_per_s"] for _, r in results)
        out = {"nodes": nodes, "conns": args.conns, "channels": args.channels, "ticks_per_s": args.rate, "delivered_msgs_per_s": round(total),
               "redis_cpu_pct": round(100 * redis_cpu / elapsed, 1), "redis_cpu_us_per_publication": round(1e6 * redis_cpu / published, 1),
               "per_node": []}
        for name, r in results:
            out["per_node"].append({"node": name or "single", "feed": name == owner or nodes == 1, "msgs_per_s": r["msgs_per_s"], "p50_ms": r.get("p50_ms"),
                                    "p99_ms": r.get("p99_ms"), "cpu_us_per_msg": r.get("server_cpu_us_per_msg"), "cpu_pct": r.get("server_cpu_pct"),
                                    "closed_by_server": r["closed_by_server"]})
        if nodes > 1:
            feed = [n for n in out["per_node"] if n["feed"]]
            others = [n for n in out["per_node"] if not n["feed"]]
            if feed and others:
                out["redis_hop_p50_ms"] = round(sum(n["p50_ms"] for n in others) / len(others) - feed[0]["p50_ms"], 2)
        return out
    finally:
        stop(hubs, redis)


def established(ports):
    ports_filter = " or ".join(f"sport = :{p}" for p in ports)
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( {ports_filter} )"], capture_output=True, text=True).stdout
    return len(out.splitlines())


def idle_scenario(args):
    redis = Redis()
    url = f"redis://127.0.0.1:{redis.port}/0"
    hubs = []
    try:
        for name in ["a", "b", "c"]:
            hubs.append((name,) + start_hub(args.bench, 1, 1, url, name))
        per = args.idle // 3
        runs = [(name, subprocess.Popen(
            [args.load, "--port", str(port), "--path", "/ws", "--conns", str(per), "--sources", "4", "--duration", str(args.seconds),
             "--server-pid", str(p.pid)], stdout=subprocess.PIPE, text=True)) for name, p, port in hubs]
        ports = [port for _, _, port in hubs]
        most = 0
        while any(r.poll() is None for _, r in runs):  # bounded: each load client ends after its window
            most = max(most, established(ports))
            time.sleep(0.5)
        results = [(name, json.loads(r.communicate()[0])) for name, r in runs]
        out = {"nodes": 3, "idle_conns": per * 3, "most_established_at_once": most, "per_node": []}
        for name, r in results:
            out["per_node"].append({"node": name, "connected": r["connected"], "accepts_per_s": r["accepts_per_s"],
                                    "bytes_per_conn": r.get("server_bytes_per_conn"), "cpu_pct": r.get("server_cpu_pct")})
        return out
    finally:
        stop(hubs, redis)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=".build/release/streamhub-bench")
    ap.add_argument("--load", default=".bench/ws-load")
    ap.add_argument("--conns", type=int, default=1500)
    ap.add_argument("--channels", type=int, default=10)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--idle", type=int, default=0, help="hold this many idle connections over three nodes instead")
    args = ap.parse_args()
    if args.idle:
        print(json.dumps(idle_scenario(args)), flush=True)
        return
    for nodes in (1, 3):
        print(json.dumps(scenario(args, nodes)), flush=True)


if __name__ == "__main__":
    main()
