"""A StreamHub client for Python (asyncio, the `websockets` package): docs/clients/python.md.

It speaks docs/protocol.md for you: requests as awaitables, batched frames split on newlines,
per-channel positions (epoch, offset) so nothing is delivered twice, reconnects with
exponential backoff and jitter that resubscribe exact channels with `since` (no gap, no
duplicate), and the `expiring` push answered with `refresh` when a token provider is given.
"""

import asyncio
import itertools
import json
import random
import urllib.request

import websockets


class StreamHubError(Exception):
    """An error reply of the hub: `code` (docs/protocol.md#error-codes-replies) and message."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Publication:
    """One publication: channel, offset, epoch, whether it is a snapshot, venue ms, data."""

    __slots__ = ("channel", "offset", "epoch", "snapshot", "ts", "data")

    def __init__(self, channel, offset, epoch, snapshot, ts, data):
        self.channel, self.offset, self.epoch, self.snapshot, self.ts, self.data = channel, offset, epoch, snapshot, ts, data

    def __repr__(self):
        return f"Publication({self.channel}@{self.offset}{' snap' if self.snapshot else ''} {self.data})"


def api_key_tokens(base_url, api_key):
    """A token provider: exchanges `api_key` for an access token (POST /api/auth/token)."""

    def fetch():
        request = urllib.request.Request(
            f"{base_url}/api/auth/token", data=json.dumps({"apiKey": api_key}).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.load(r)["accessToken"]

    async def provider():
        return await asyncio.get_running_loop().run_in_executor(None, fetch)

    return provider


# Close codes after which reconnecting cannot help: the token or the account is refused.
FINAL_CLOSE_CODES = {4001, 4003}


class StreamHubClient:
    """Connect with `await client.start()`, subscribe, then `async for p in client.publications()`.

    `tokens`: an async callable returning a fresh access token (or None: anonymous).
    """

    def __init__(self, url, tokens=None, initial_delay=0.25, max_delay=30.0, jitter=0.2):
        self.url, self.tokens = url, tokens
        self.initial_delay, self.max_delay, self.jitter = initial_delay, max_delay, jitter
        self.subscriptions = {}  # key → {"fields", "filter"}
        self.positions = {}  # channel → [epoch, offset]
        self.queue = asyncio.Queue()
        # (kind, detail): recovered, gap, unsubscribed, reconnecting, refreshed, refresh-failed, closed
        self.events = asyncio.Queue()
        self.pending = {}
        self.ids = itertools.count(1)
        self.socket = None
        self.connected = asyncio.Event()
        self.closing = False
        self.runner = None

    async def start(self):
        """Connects (raising if the first attempt fails) and keeps the connection from then on."""
        await self._connect()
        self.runner = asyncio.create_task(self._run())

    async def close(self):
        self.closing = True
        if self.socket:
            await self.socket.close()
        if self.runner:
            await asyncio.gather(self.runner, return_exceptions=True)

    async def subscribe(self, channel, fields=None, filter=None, since=None):
        """Subscribes; returns the reply's result. Raises StreamHubError when refused."""
        request = {"op": "subscribe", "channel": channel}
        if fields:
            request["fields"] = fields
        if filter:
            request["filter"] = filter
        if since:
            request["since"] = since
        result = await self.request(request)
        self.subscriptions[channel] = {"fields": fields, "filter": filter}
        return result

    async def unsubscribe(self, channel):
        result = await self.request({"op": "unsubscribe", "channel": channel})
        self.subscriptions.pop(channel, None)
        return result

    async def publish(self, channel, data):
        return await self.request({"op": "publish", "channel": channel, "data": data})

    async def request(self, message, timeout=10):
        await self.connected.wait()
        message = dict(message, id=next(self.ids))
        future = asyncio.get_running_loop().create_future()
        self.pending[message["id"]] = future
        await self.socket.send(json.dumps(message))
        return await asyncio.wait_for(future, timeout)

    async def publications(self):
        """Every publication, in order, without duplicates (snapshots included)."""
        while True:
            yield await self.queue.get()

    # The connection -------------------------------------------------------------------------

    async def _connect(self):
        headers = []
        if self.tokens:
            headers.append(("Authorization", f"Bearer {await self.tokens()}"))
        self.socket = await websockets.connect(self.url, extra_headers=headers, max_size=2**24, ping_interval=None)
        self.connected.set()

    async def _run(self):
        attempt = 0
        while True:
            try:
                async for frame in self.socket:
                    attempt = 0
                    for line in frame.split("\n"):
                        if line:
                            await self._receive(json.loads(line))
            except websockets.ConnectionClosed:
                pass
            self.connected.clear()
            code = self.socket.close_code
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError(f"connection closed ({code})"))
            self.pending.clear()
            if self.closing or code in FINAL_CLOSE_CODES:
                await self.events.put(("closed", {"code": code}))
                return
            # Reconnect: exponential backoff with jitter, then every subscription again.
            while not self.closing:
                delay = min(self.max_delay, self.initial_delay * 2**attempt) * (1 + random.uniform(-self.jitter, self.jitter))
                attempt += 1
                await self.events.put(("reconnecting", {"attempt": attempt, "delay": delay}))
                await asyncio.sleep(delay)
                try:
                    await self._connect()
                    break
                except (OSError, websockets.WebSocketException):
                    continue
            if self.closing:
                return
            asyncio.create_task(self._resubscribe())

    async def _resubscribe(self):
        for key, options in list(self.subscriptions.items()):
            since = None
            if "*" not in key.split(".") and key in self.positions and self.positions[key][1] > 0:
                epoch, offset = self.positions[key]
                since = {"epoch": epoch, "offset": offset}
            try:
                result = await self.subscribe(key, options["fields"], options["filter"], since)
                if since:
                    await self.events.put(("recovered", {"channel": key, "recovered": result.get("recovered", False)}))
            except (StreamHubError, ConnectionError, asyncio.TimeoutError) as e:
                self.subscriptions.pop(key, None)
                await self.events.put(("unsubscribed", {"channel": key, "reason": f"resubscribe refused: {e}"}))

    async def _receive(self, m):
        if "id" in m and ("result" in m or "error" in m):
            future = self.pending.pop(m["id"], None)
            if future and not future.done():
                if "error" in m:
                    future.set_exception(StreamHubError(m["error"]["code"], m["error"]["message"]))
                else:
                    # Epochs are noted as the reply is read, before the snapshots behind it.
                    for c in m["result"].get("channels", []) if isinstance(m["result"], dict) else []:
                        self._note_epoch(c["ch"], c.get("epoch"))
                    future.set_result(m["result"])
            return
        kind = m.get("type")
        if kind == "channel":
            self._note_epoch(m["ch"], m.get("epoch"))
        elif kind == "expiring" and self.tokens:
            asyncio.create_task(self._refresh())
        elif kind == "unsubscribed":
            await self.events.put(("unsubscribed", {"channel": m.get("channel"), "reason": m.get("reason")}))
        elif "ch" in m and "off" in m:
            self._deliver(m)

    def _note_epoch(self, channel, epoch):
        known = self.positions.get(channel)
        if known is None or known[0] != epoch:
            self.positions[channel] = [epoch, 0]  # a new epoch restarts the channel's offsets

    def _deliver(self, m):
        channel, offset = m["ch"], m["off"]
        known = self.positions.setdefault(channel, [None, 0])
        if offset <= known[1]:
            return  # seen already: the snapshot after a resubscribe, or a recovery overlap
        if known[1] > 0 and offset > known[1] + 1 and not self._filtered(channel):
            self.events.put_nowait(("gap", {"channel": channel, "expected": known[1] + 1, "offset": offset}))
        known[1] = offset
        self.queue.put_nowait(Publication(channel, offset, known[0], m.get("snap", False), m.get("ts"), m.get("data", {})))

    def _filtered(self, channel):
        parts = channel.split(".")
        for key, options in self.subscriptions.items():
            pattern = key.split(".")
            if options["filter"] and len(pattern) == 3 and all(p in ("*", c) for p, c in zip(pattern, parts)):
                return True
        return False

    async def _refresh(self):
        try:
            result = await self.request({"op": "refresh", "token": await self.tokens()})
            await self.events.put(("refreshed", result))
        except (StreamHubError, ConnectionError, asyncio.TimeoutError, OSError) as e:
            await self.events.put(("refresh-failed", {"error": str(e)}))
