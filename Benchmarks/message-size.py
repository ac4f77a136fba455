"""The average message size (bytes, without the '\\n' between batched messages) of a ws-load
result, for ws-broadcast --message-bytes: scripts/bench's saturation section sends the C
reference messages as long as the hub's. Exits 1 with a message when the run cannot say."""

import json
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: message-size.py WS_LOAD_JSON", file=sys.stderr)
        return 2
    try:
        result = json.loads(sys.argv[1])
        rate, mb = float(result["msgs_per_s"]), float(result["message_mb_per_s"])
    except (ValueError, KeyError, TypeError) as e:
        print(f"message-size: not a ws-load result ({e}): {sys.argv[1][:200]}", file=sys.stderr)
        return 1
    size = round(mb * 1e6 / rate) - 1 if rate > 0 else 0
    if size < 1:
        print(f"message-size: the run delivered too little to tell ({rate:.0f} msgs/s, {mb} MB/s)", file=sys.stderr)
        return 1
    print(size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
