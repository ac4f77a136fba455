#!/usr/bin/env python3
"""What permessage-deflate makes of a real publication stream, per compressor setting.

Reads publications one per line (`streamhub-bench pipeline --publications FILE`: what one
subscriber receives from the recorded Deribit session) and compresses them message by message as
libwebsockets does for a connection: raw deflate at level 1, a sync flush per message with its
00 00 ff ff tail taken off, the stream kept across messages (context takeover) or reset after
each (server_no_context_takeover). Each publication is one message, as at low rates; when
several are pending for a connection the hub joins them with a newline into one message, which
compresses a little better than this says. Two subscribers: one of every channel (the file as it is,
publications of many instruments interleaved) and one of a single channel (each channel's
publications compressed as a stream of their own, summed). Prints one JSON line per subscriber
and setting: bytes in and out, the ratio, and zlib's CPU time per message (the loop's own cost,
measured without compressing, taken out).

    Benchmarks/deflate-ratio.py FILE [--passes N]
"""
import argparse
import json
import sys
import time
import zlib

SETTINGS = [  # (window bits, memory level): zlib's largest, some between, the hub's default, the smallest
    (15, 8),
    (13, 4),
    (12, 4),
    (11, 4),
    (9, 1),
]


def compress_all(messages, bits, level, takeover):
    out = 0
    z = zlib.compressobj(1, zlib.DEFLATED, -bits, level)
    for m in messages:
        if not takeover:
            z = zlib.compressobj(1, zlib.DEFLATED, -bits, level)
        data = z.compress(m) + z.flush(zlib.Z_SYNC_FLUSH)
        out += len(data) - 4
    return out


def loop_only(messages):
    """The same loop without compressing: what the timing must not count."""
    out = 0
    for m in messages:
        out += len(m) - 4
    return out


def cpu(fn, *args):
    start = time.process_time()
    result = fn(*args)
    return result, time.process_time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--passes", type=int, default=50, help="times over the stream (for the CPU time)")
    args = parser.parse_args()
    if args.passes < 1:
        parser.error("--passes must be at least 1")
    try:
        with open(args.file, "rb") as f:
            messages = [line for line in f.read().split(b"\n") if line.startswith(b'{"ch"')]
    except OSError as e:
        print(f"deflate-ratio: {e}", file=sys.stderr)
        return 2
    if not messages:
        print("deflate-ratio: no publications in the file", file=sys.stderr)
        return 2
    by_channel = {}
    for m in messages:
        by_channel.setdefault(m[7:m.index(b'"', 7)], []).append(m)
    # Each stream compressed from a fresh compressor in every pass (so no pass sees the one
    # before it in its window); bytes are one pass's, CPU time is over every pass.
    subscribers = {"every channel": [messages], "one channel": list(by_channel.values())}
    for subscriber, streams in subscribers.items():
        count = sum(len(st) for st in streams)
        raw = sum(len(m) for st in streams for m in st)
        for bits, level in SETTINGS:
            for takeover in (True, False):
                compressed = sum(compress_all(st, bits, level, takeover) for st in streams)
                seconds = baseline = 0.0
                for _ in range(args.passes):
                    for st in streams:
                        seconds += cpu(compress_all, st, bits, level, takeover)[1]
                        baseline += cpu(loop_only, st)[1]
                print(json.dumps({
                    "subscriber": subscriber, "window_bits": bits, "mem_level": level, "context_takeover": takeover,
                    "messages": count, "bytes_in": raw, "bytes_out": compressed, "ratio": round(raw / compressed, 2),
                    "bytes_per_msg_in": round(raw / count, 1), "bytes_per_msg_out": round(compressed / count, 1),
                    "zlib_us_per_msg": round(max(0.0, seconds - baseline) * 1e6 / (count * args.passes), 2),
                }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
