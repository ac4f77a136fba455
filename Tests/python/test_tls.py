"""TLS on the hub's own port: certificates made here (a CA, the server's for 127.0.0.1, a
client's) with `cryptography`; clients that verify them — https with urllib, wss with
`websockets` — and mutual TLS. Run by scripts/test:
    STREAMHUB_BIN=.build/debug/streamhub /usr/bin/python3 -m unittest discover -s Tests/python
"""
import asyncio
import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.request

import websockets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from hubprocess import REPO, SECRET, Hub  # noqa: E402

ADMIN_KEY = "shk_pytls_0123456789abcdefghijklmnop"


def certificate(subject, issuer, issuer_key, key, ca=False, server=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif not ca:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


class Certificates:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="py-tls-")
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = certificate("StreamHub test CA", "StreamHub test CA", ca_key, ca_key, ca=True)
        server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        self.ca = self.write("ca.pem", ca.public_bytes(serialization.Encoding.PEM))
        self.cert = self.write("server.pem", certificate("127.0.0.1", "StreamHub test CA", ca_key, server_key, server=True).public_bytes(serialization.Encoding.PEM))
        self.key = self.write("server.key", self.pem_key(server_key))
        self.client_cert = self.write("client.pem", certificate("bot", "StreamHub test CA", ca_key, client_key).public_bytes(serialization.Encoding.PEM))
        self.client_key = self.write("client.key", self.pem_key(client_key))

    @staticmethod
    def pem_key(key):
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def context(self, client=False):
        ctx = ssl.create_default_context(cafile=self.ca)
        if client:
            ctx.load_cert_chain(self.client_cert, self.client_key)
        return ctx


def healthz(port, ctx):
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=ctx, timeout=5) as r:
        return json.load(r)


def tls_hub(certs, client_ca=False):
    tls = f", tls: {{certFile: {certs.cert}, keyFile: {certs.key}{', clientCAFile: ' + certs.ca if client_ca else ''}}}"
    ctx = certs.context(client=client_ca)

    def ready(hub):
        try:
            return healthz(hub.port, ctx)["status"] == "ok"
        except Exception:
            return False

    return Hub(ADMIN_KEY, feeds="{synthetic: {enabled: true, rate: 20, channels: 1}}", server_extra=tls, ready=ready)


async def first_tick(port, ctx):
    async with websockets.connect(f"wss://127.0.0.1:{port}/ws", ssl=ctx) as ws:
        await ws.send(json.dumps({"id": 1, "op": "subscribe", "channel": "ticker.synthetic.S0"}))
        while True:
            for line in (await asyncio.wait_for(ws.recv(), 10)).split("\n"):
                m = json.loads(line)
                if m.get("ch") == "ticker.synthetic.S0" and "data" in m:
                    return m


class TLSTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = Certificates()

    def test_https_and_wss_with_a_verified_certificate(self):
        hub = tls_hub(self.certs)
        try:
            self.assertEqual(healthz(hub.port, self.certs.context())["status"], "ok")
            tick = asyncio.run(first_tick(hub.port, self.certs.context()))
            self.assertIn("bid", tick["data"])
            # A client that does not trust the CA refuses the hub; plain HTTP gets no answer.
            with self.assertRaises(urllib.error.URLError) as untrusted:
                healthz(hub.port, ssl.create_default_context())
            self.assertIsInstance(untrusted.exception.reason, ssl.SSLCertVerificationError)
            with self.assertRaises(Exception):
                urllib.request.urlopen(f"http://127.0.0.1:{hub.port}/healthz", timeout=5).read()
        finally:
            hub.stop()

    def test_mutual_tls_requires_a_client_certificate(self):
        hub = tls_hub(self.certs, client_ca=True)
        try:
            self.assertEqual(healthz(hub.port, self.certs.context(client=True))["status"], "ok")
            self.assertIn("bid", asyncio.run(first_tick(hub.port, self.certs.context(client=True)))["data"])
            with self.assertRaises((urllib.error.URLError, ssl.SSLError, ConnectionError)):
                healthz(hub.port, self.certs.context())
        finally:
            hub.stop()

    def test_an_unreadable_certificate_is_a_configuration_error(self):
        config = os.path.join(self.certs.dir, "bad.yaml")
        with open(config, "w") as f:
            f.write(f"server: {{tls: {{certFile: {self.certs.dir}/missing.pem, keyFile: {self.certs.key}}}}}\n"
                    f"auth: {{jwtSecret: {SECRET}, rolesFile: {REPO}/config/roles.yaml}}\n")
        binary = os.environ.get("STREAMHUB_BIN", os.path.join(REPO, ".build", "debug", "streamhub"))
        r = subprocess.run([binary, "check-config", "--config", config], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("server.tls.certFile: cannot read", r.stderr)


if __name__ == "__main__":
    unittest.main()
