"""permessage-deflate (RFC 7692) on a live hub of this build, with a third-party client
(Debian's python3-websockets) that implements every offer parameter to the letter: context
takeover kept, and the server asked to compress each message alone — which libwebsockets 4.1.6
agrees to but applied to the wrong side until the hub corrected it. Run by scripts/test:
    STREAMHUB_BIN=.build/debug/streamhub /usr/bin/python3 -m unittest discover -s Tests/python
"""
import asyncio
import json
import os
import sys
import unittest

import websockets
from websockets.client import WebSocketClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from hubprocess import Hub, rest  # noqa: E402

ADMIN_KEY = "shk_deflate_0123456789abcdefghijklmno"


def channel_count(port):
    try:
        return rest(port, "GET", "/api/channels?pattern=ticker.synthetic.*")["total"]
    except Exception:
        return 0


class Counting(WebSocketClientProtocol):
    """Counts the bytes that arrive on the socket (compressed frames)."""
    wire = 0

    def data_received(self, data):
        self.wire += len(data)
        super().data_received(data)


async def session(port, factory, publications=40, requests=3):
    """Subscribes, sends `requests` more commands (compressed by the client, with its context),
    and reads until `publications` have arrived; returns the negotiated extension header, the
    replies by id, the publications' offsets, and the bytes received on the wire and inflated."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", extensions=[factory], compression=None, open_timeout=10,
                                  create_protocol=Counting) as ws:
        negotiated = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        inflated = 0
        await ws.send(json.dumps({"id": 1, "op": "subscribe", "channel": "ticker.synthetic.S0"}))
        for i in range(requests):
            await ws.send(json.dumps({"id": 2 + i, "op": "ping"}))
        replies, offsets = {}, []
        while len(offsets) < publications or len(replies) < requests + 1:
            frame = await asyncio.wait_for(ws.recv(), timeout=10)
            inflated += len(frame.encode())
            for line in frame.split("\n"):
                message = json.loads(line)
                if "id" in message:
                    replies[message["id"]] = message
                elif "off" in message and not message.get("snap"):
                    offsets.append(message["off"])
        return negotiated, replies, offsets, ws.wire / inflated


class DeflateTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(ADMIN_KEY, feeds="{synthetic: {enabled: true, rate: 400, channels: 1}}", ready=lambda h: channel_count(h.port) >= 1)

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def check(self, factory, expect_in_header):
        """Every reply and publication arrives; returns wire bytes over inflated bytes."""
        negotiated, replies, offsets, ratio = asyncio.run(session(self.hub.port, factory))
        self.assertIn("permessage-deflate", negotiated)
        for parameter in expect_in_header:
            self.assertIn(parameter, negotiated)
        self.assertIn("result", replies[1], replies[1])
        for i in (2, 3, 4):
            self.assertIn("result", replies[i], f"request {i}: {replies.get(i)}")
        self.assertEqual(offsets, list(range(offsets[0], offsets[0] + len(offsets))), "every publication, in order")
        return ratio

    def test_context_takeover_and_the_server_compressing_each_message_alone_when_asked(self):
        kept = self.check(ClientPerMessageDeflateFactory(client_max_window_bits=True), [])
        # The client resets its inflater after every message: each must inflate on its own.
        # Its own messages keep their context, which the hub's inflater must keep too.
        alone = self.check(ClientPerMessageDeflateFactory(server_no_context_takeover=True, client_max_window_bits=True),
                           ["server_no_context_takeover"])
        # One channel's publications share most of their bytes: a kept context finds them.
        self.assertLess(kept, 0.5, "context takeover: well under half the bytes")
        self.assertGreater(alone, kept * 1.5, "each message alone compresses far less")

    def test_a_client_compressing_its_own_messages_alone_still_gets_context_takeover(self):
        # lws 4.1.6 took client_no_context_takeover as a reason to reset its own compressor.
        ratio = self.check(ClientPerMessageDeflateFactory(client_no_context_takeover=True), [])
        self.assertLess(ratio, 0.5, "the server keeps its context")


if __name__ == "__main__":
    unittest.main()
