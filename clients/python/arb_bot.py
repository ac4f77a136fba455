"""Follows the hub's arbitrage channels and prints each opportunity as it opens, changes and
closes (docs/clients/python.md).

    STREAMHUB_URL=http://127.0.0.1:8080 STREAMHUB_API_KEY=shk_… python3 clients/python/arb_bot.py [--min-edge 0.005]

The API key is exchanged for access tokens as they expire; the connection comes back by itself
with nothing missed on the channels it had seen.
"""

import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from streamhub_client import StreamHubClient, StreamHubError, api_key_tokens  # noqa: E402


def describe(p):
    d = p.data
    if d.get("active") is False:
        return f"closed  {p.channel}"
    edge = d.get("edge")
    edge_text = f"{edge * 100:.2f} %" if isinstance(edge, (int, float)) else "?"
    return f"open    {p.channel}  edge {edge_text}  {d.get('legs', '')}".rstrip()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-edge", type=float, default=0.0, help="only opportunities with at least this edge (0.005 = 0.5 %%)")
    parser.add_argument("--count", type=int, default=0, help="stop after this many lines (0: run until interrupted)")
    args = parser.parse_args()
    base = os.environ.get("STREAMHUB_URL", "http://127.0.0.1:8080").rstrip("/")
    key = os.environ.get("STREAMHUB_API_KEY")
    client = StreamHubClient(base.replace("http", "ws", 1) + "/ws", tokens=api_key_tokens(base, key) if key else None)
    await client.start()
    # Open opportunities above the edge asked for, and every retraction (active: false).
    wanted = {"or": [{"property": "active", "op": "=", "value": False}, {"property": "edge", "op": ">=", "value": args.min_edge}]}
    try:
        await client.subscribe("arb.*.*", filter=wanted)
    except StreamHubError as e:
        print(f"refused: {e}", file=sys.stderr)
        return 1
    print("following arb.*.*", flush=True)
    printed = 0
    async for p in client.publications():
        if p.snapshot and p.data.get("active") is False:
            continue  # an opportunity that closed before we came
        print(describe(p), flush=True)
        printed += 1
        if args.count and printed >= args.count:
            break
    await client.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        pass
