#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (scripts/fuzz) from the repository itself:
recorded venue sessions and the examples in the venue guides, the protocol's client messages,
the shipped configuration, the Wycheproof JWS vectors, Unleash's specification documents, the
REST reference's bodies and hand-written Redis replies. Usage: fuzz-seeds.py OUTPUT_DIR."""
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The order of Venues/VenueRegistry.swift: the first byte of a FuzzVenueFrames input picks one.
VENUES = ["deribit", "binance", "coinbase", "polymarket", "kalshi", "orca"]


def write(out, target, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def json_blocks(markdown):
    """The ```json code blocks of a Markdown file, one text each."""
    return re.findall(r"```json\n(.*?)```", markdown, flags=re.S)


def json_lines(markdown):
    """Every line of a Markdown file that is a JSON object by itself (examples in code blocks)."""
    return [l for l in (one_line(x) for x in markdown.splitlines() if x.startswith("{")) if l]


def inline_ops(markdown):
    """Client messages written inline (`{"id":1,"op":…}`) that parse as JSON."""
    return [l for l in (one_line(x) for x in re.findall(r'\{"id":\d+,"op":[^`\n]*?\}(?=`|$|\s)', markdown, flags=re.M)) if l]


def one_line(text):
    try:
        return json.dumps(json.loads(text), separators=(",", ":"))
    except ValueError:
        return None


def capture_frames(path):
    """Received frames of a recorded session (`TIMESTAMP: JSON` lines)."""
    frames = []
    for line in path.read_text(errors="replace").splitlines():
        m = re.match(r"^[0-9.]+: (.*)$", line)
        if m:
            frames.append(m.group(1))
    return frames


def main():
    out = pathlib.Path(sys.argv[1])
    # Venue frames: recorded sessions in batches of 20 frames, and each guide's examples.
    captures = {"deribit": ROOT / "Tests/Fixtures/captures/DERIBIT.ws.1.0", "binance": ROOT / "Tests/Fixtures/captures/BINANCE.ws.1.0"}
    for venue, path in captures.items():
        frames = capture_frames(path)
        for i in range(0, min(len(frames), 2000), 20):
            write(out, "FuzzVenueFrames", bytes([VENUES.index(venue)]) + "\n".join(frames[i:i + 20]).encode())
    for venue in VENUES:
        guide = ROOT / f"docs/feeds/{venue}.md"
        if guide.exists():
            text = guide.read_text()
            lines = json_lines(text) + [l for l in (one_line(b) for b in json_blocks(text)) if l]
            if lines:
                write(out, "FuzzVenueFrames", bytes([VENUES.index(venue)]) + "\n".join(lines).encode())
    # Client messages: the protocol's examples, and a session that uses most of them.
    protocol = (ROOT / "docs/protocol.md").read_text()
    ops = sorted(set(inline_ops(protocol) + [l for l in json_lines(protocol) if '"op"' in l]))
    for op in ops:
        write(out, "FuzzClientCommands", op)
    write(out, "FuzzClientCommands", "\n".join(ops))
    write(out, "FuzzClientCommands", "\n".join([
        '{"id":1,"op":"subscribe","channel":"ticker.deribit.BTC-PERPETUAL","fields":["bid","ask","mid"]}',
        '{"id":2,"op":"subscribe","channel":"trades.deribit.BTC-PERPETUAL","since":{"epoch":"abc","offset":1}}',
        '{"id":3,"op":"subscribe","channel":"ticker.*.*"}',
        '{"id":4,"op":"unsubscribe","channel":"ticker.deribit.BTC-PERPETUAL"}',
        '{"id":5,"op":"ping"}',
        '{"id":6,"op":"auth","token":"x.y.z"}',
    ]))
    for op in [
        '{"id":1,"op":"subscribe","channel":"book.deribit.BTC-PERPETUAL","fields":["bids","asks"]}',
        '{"id":1,"op":"subscribe","channel":"ticker.deribit.BTC-PERPETUAL","filter":{"bid":{"gt":1}}}',
        '{"id":2,"op":"subscribe","channel":"ticker.deribit.*","filter":{"and":[{"property":"bid","op":">","value":1},{"not":{"property":"ask","op":"in","value":[1,"x",true]}}]}}',
        '{"id":3,"op":"subscribe","channel":"arb.*.*","filter":{"or":[{"property":"edge","op":">=","value":0.005},{"property":"legs","op":"exists"}]}}',
        '{"id":4,"op":"publish","channel":"announcements.desk.btc","data":{"headline":"h","severity":"info","link":"https://x.y/z"}}',
        '{"id":1,"op":"refresh","token":"a.b.c"}',
        '{"id":1,"op":"subscribe","channel":"ticker.deribit.BTC-PERPETUAL","since":{"epoch":"x","offset":18446744073709551615}}',
        '{"id":-1,"op":"ping","extra":[1,2,{"a":null}]}',
    ]:
        write(out, "FuzzClientCommands", op)
    # Configuration: the shipped files.
    for path in (ROOT / "config").glob("*.yaml"):
        write(out, "FuzzConfig", path.read_text())
    # Tokens: every JWS of the Wycheproof vectors.
    vectors = json.loads((ROOT / "Tests/Fixtures/wycheproof/json_web_signature_test.json").read_text())
    for group in vectors["testGroups"]:
        for test in group["tests"]:
            if isinstance(test.get("jws"), str):
                write(out, "FuzzTokens", test["jws"])
    write(out, "FuzzTokens", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")
    # REST bodies: first byte 0 role, 1 flag, 2 client-features document, 3 property, 4 mapping.
    rest = ROOT / "docs/rest.md"
    for block in json_blocks(rest.read_text()):
        body = one_line(block)
        if body:
            for kind in range(5):
                write(out, "FuzzRESTBodies", bytes([kind]) + body.encode())
    for path in sorted((ROOT / "Tests/Fixtures/unleash/specifications").glob("*.json")):
        spec = json.loads(path.read_text())
        state = spec.get("state") if isinstance(spec, dict) else None
        if isinstance(state, dict):
            write(out, "FuzzRESTBodies", bytes([2]) + json.dumps(state).encode())
            for feature in state.get("features", []):
                write(out, "FuzzRESTBodies", bytes([1]) + json.dumps(feature).encode())
    # Redis replies: an XRANGE answer and an HGETALL state, as Redis sends them.
    def bulk(s):
        s = s.encode() if isinstance(s, str) else s
        return b"$%d\r\n%s\r\n" % (len(s), s)

    def array(items):
        return b"*%d\r\n" % len(items) + b"".join(items)

    entry = lambda off, price: array([bulk(f"{off}-0"), array([bulk("_ep"), bulk("e"), bulk("_ts"), bulk("1"), bulk("_rt"), bulk("2"), bulk("price"), bulk(price)])])
    write(out, "FuzzRedisReplies", array([entry(1, "100.5"), entry(2, "101"), entry(3, "102")]))
    write(out, "FuzzRedisReplies", array([bulk("_epoch"), bulk("e1"), bulk("_off"), bulk("18446744073709551615"), bulk("bid"), bulk("1.5"), bulk("ask"), bulk('"x"')]))
    write(out, "FuzzRedisReplies", b"+OK\r\n:5\r\n$-1\r\n-ERR x\r\n")


if __name__ == "__main__":
    main()
