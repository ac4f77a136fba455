"""The OpenAPI description against a live hub of this build (scripts/test runs it in a venv
with schemathesis and openapi-spec-validator from PyPI, and Debian's PyJWT):

1. docs/openapi.json is a valid OpenAPI 3.1 document, and the hub serves exactly it at
   /api/openapi.json (`--write` refreshes the committed copy from the hub instead);
2. schemathesis runs every operation with positive and negative data as an administrator
   (a token of an external issuer: no request can take its roles away mid-run) and checks
   every answer: no server error, a documented status, content type, headers and schema, and
   negative data refused. Its summary is printed; any failure fails the run.

    STREAMHUB_BIN=.build/debug/streamhub .build/api-tools/bin/python Tests/api/check_openapi.py
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from openapi_spec_validator import validate

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from hubprocess import REPO, Hub, rest, wait_for  # noqa: E402

ADMIN_KEY = "shk_openapi_0123456789abcdefghijklmnop"
ISSUER = "https://api-check.example"
COMMITTED = os.path.join(REPO, "docs", "openapi.json")
# Every check schemathesis has that applies to a hub; not `positive_data_acceptance` (a valid
# shape can still be refused: a taken username, an unknown role) nor the checks that need
# several users (`object_level_authorization`) or resource links (`use_after_free`,
# `ensure_resource_availability`); not `unsupported_method`, whose TRACE libwebsockets refuses
# (403) before the hub sees it — every other undeclared method is checked by
# `allow_header_conformance` (405 with `Allow`). NUL bytes are not generated: libwebsockets
# drops a connection whose URL has `%00` before the hub sees it.
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "negative_data_rejection", "missing_required_header", "allow_header_conformance", "ignored_auth",
])


def external_admin(directory):
    """A JWKS file and an ES256 token of an external issuer whose `roles` claim is admin."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "api-check", "alg": "ES256", "use": "sig"})
    path = os.path.join(directory, "jwks.json")
    with open(path, "w") as f:
        json.dump({"keys": [jwk]}, f)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "streamhub", "sub": "api-check", "roles": ["admin"], "iat": now, "exp": now + 7200}
    return path, jwt.encode(claims, key, algorithm="ES256", headers={"kid": "api-check"})


def served(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=10) as r:
        return r.read()


def synthetic_ready(hub):
    try:
        return rest(hub.port, "GET", "/api/channels?pattern=ticker.synthetic.*", token=hub.admin_token())["total"] >= 2
    except Exception:
        return False


def main():
    write = "--write" in sys.argv
    work = tempfile.mkdtemp(prefix="api-check-")
    jwks, token = external_admin(work)
    hub = Hub(
        ADMIN_KEY, feeds="{synthetic: {enabled: true, rate: 20, channels: 2}}", ready=synthetic_ready,
        auth_extra=f", issuers: [{{issuer: '{ISSUER}', audience: streamhub, jwksFile: {jwks}}}]",
        extra="publish: {ratePerSecond: 1000, burst: 1000}", anonymous=False)
    try:
        document = served(hub.port)
        if write:
            with open(COMMITTED, "wb") as f:
                f.write(document)
            print(f"wrote {COMMITTED}")
        with open(COMMITTED, "rb") as f:
            if f.read() != document:
                sys.exit("docs/openapi.json differs from what the hub serves: refresh it with Tests/api/check_openapi.py --write")
        spec = json.loads(document)
        validate(spec)
        operations = sum(len(v) for v in spec["paths"].values())
        print(f"openapi-spec-validator: docs/openapi.json is valid OpenAPI {spec['openapi']} ({operations} operations)", flush=True)

        # One worker: schemathesis' workers are threads, and Debian's Python 3.11 counts the AST
        # constructor's recursion per interpreter, not per thread, so two threads building
        # strategies (hypothesis parses lambda sources with `ast.parse`) can fail at random with
        # "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905).
        command = [
            os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", f"{hub.base}/api/openapi.json",
            "--url", hub.base, "-H", f"Authorization: Bearer {token}", "--checks", CHECKS, "--mode", "all",
            "--phases", "examples,coverage,fuzzing", "--max-examples", os.environ.get("SCHEMATHESIS_EXAMPLES", "50"),
            "--seed", "20261206", "--generation-allow-x00", "false", "--generation-database", "none", "--workers", "1", "--suppress-health-check", "all", "--request-timeout", "10",
            *(sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []),
            "--report", "junit", "--report-dir", os.path.join(REPO, ".build", "schemathesis"),
        ]
        result = subprocess.run(command, cwd=work)
        if hub.exited():
            sys.exit("the hub exited during the schemathesis run")
        sys.exit(result.returncode)
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
