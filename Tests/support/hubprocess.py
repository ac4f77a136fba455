"""Test support for Python harnesses: a real `streamhub serve` of this build (and a real
redis-server) on free loopback ports in temporary directories, stopped by the test."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET = "python-test-secret-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=20):
    """Polls `check` every 50 ms until it returns a truthy value (a bound, not a schedule)."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def rest(port, method, path, body=None, token=None):
    """A REST call to the hub; the JSON answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=5) as r:
        text = r.read()
        return json.loads(text) if text else None


class Redis:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="py-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("redis", lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Hub:
    """`streamhub serve` of this build; `feeds` is the YAML of its `feeds:` section (flow style),
    `extra` more top-level YAML. `restart()` keeps the port and the data directory."""

    def __init__(self, admin_key, feeds="{}", extra="", auth_extra="", public_dir=None, redis_url="", ready=None, server_extra="", anonymous=True,
                 data_dir=None):
        self.admin_key = admin_key
        self.dir = tempfile.mkdtemp(prefix="py-hub-")
        # Several hubs may share one data directory (one control-plane store).
        data = data_dir or os.path.join(self.dir, "data")
        self.port = free_port()
        self.config = os.path.join(self.dir, "hub.yaml")
        r = lambda p: os.path.join(REPO, p)
        public = public_dir or "null"
        with open(self.config, "w") as f:
            f.write(f"""server: {{host: 127.0.0.1, port: {self.port}, dataDir: {data}, publicDir: {public}, shutdownGraceSeconds: 1{server_extra}}}
feeds: {feeds}
properties: {{seedDirectory: {r('config/properties')}}}
mappings: {{seedFile: {r('config/mappings.yaml')}}}
flags: {{seedFile: {r('config/flags.yaml')}}}
redis: {{url: "{redis_url}"}}
auth: {{jwtSecret: {SECRET}, anonymous: {'true' if anonymous else 'false'}, rolesFile: {r('config/roles.yaml')}, bootstrapAdminKey: {admin_key}, passwordRounds: 10000{auth_extra}}}
{extra}""")
        self.ready = (lambda: ready(self)) if ready else self.healthy
        self.log = open(os.path.join(self.dir, "hub.log"), "w")
        self.start()

    def start(self):
        binary = os.environ.get("STREAMHUB_BIN", os.path.join(REPO, ".build", "debug", "streamhub"))
        # Its output goes to a file: an inherited pipe would outlive a test that fails.
        self.process = subprocess.Popen([binary, "serve", "--config", self.config, "--log-level", "error"], cwd=REPO, stdout=self.log, stderr=self.log)
        try:
            wait_for("the hub", lambda: self.ready() or self.exited(), timeout=60)
            if self.process.poll() is not None:
                raise AssertionError("exited")
        except AssertionError:
            self.log.flush()
            with open(self.log.name) as f:
                output = f.read()[-2000:]
            self.stop()
            raise AssertionError(f"the hub did not come up; its log:\n{output}")

    def exited(self):
        return self.process.poll() is not None

    def healthy(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                return json.load(r)["status"] == "ok"
        except Exception:
            return False

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def admin_token(self):
        return rest(self.port, "POST", "/api/auth/token", {"apiKey": self.admin_key})["accessToken"]

    def terminate(self):
        """SIGTERM (1001 to every client) and wait."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self):
        self.terminate()
        self.start()

    def stop(self):
        self.terminate()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
