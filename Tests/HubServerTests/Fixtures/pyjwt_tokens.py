"""Mints tokens with PyJWT (an implementation independent of the hub's jwt-kit).

Usage: pyjwt_tokens.py SECRET SUBJECT -> prints JSON {"jwks": {...}, "tokens": {...}}
"""
import base64
import json
import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

secret, subject = sys.argv[1], sys.argv[2]
suffix = sys.argv[3] if len(sys.argv) > 3 else ""  # key ids of another key set (a rotation)
now = int(time.time())
keys = {
    "ES256": ("py-ec" + suffix, ec.generate_private_key(ec.SECP256R1()), ECAlgorithm),
    "RS256": ("py-rsa" + suffix, rsa.generate_private_key(public_exponent=65537, key_size=2048), RSAAlgorithm),
    "EdDSA": ("py-ed" + suffix, ed25519.Ed25519PrivateKey.generate(), OKPAlgorithm),
}
jwks = {"keys": []}
for alg, (kid, key, algorithm) in keys.items():
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    if alg == "ES256":
        # RFC 7518 §6.2.1.2: coordinates are full 32-byte octet strings. Older PyJWT drops
        # leading zero bytes (about one key in a hundred), which a strict verifier rightly refuses.
        n = key.public_key().public_numbers()
        for name, value in (("x", n.x), ("y", n.y)):
            jwk[name] = base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()
    jwk.update({"kid": kid, "alg": alg, "use": "sig"})
    jwks["keys"].append(jwk)

external = {"sub": "py-user", "iss": "https://py.example", "aud": "streamhub", "iat": now, "exp": now + 600,
            "realm_access": {"roles": ["premium"]}}
tokens = {
    "HS256": jwt.encode({"sub": subject, "iss": "streamhub", "iat": now, "exp": now + 600}, secret, algorithm="HS256",
                        headers={"kid": "streamhub"}),
    "wrongAudience": jwt.encode(dict(external, aud="elsewhere"), keys["ES256"][1], algorithm="ES256", headers={"kid": keys["ES256"][0]}),
    "expired": jwt.encode(dict(external, exp=now - 120), keys["ES256"][1], algorithm="ES256", headers={"kid": keys["ES256"][0]}),
    "none": jwt.encode(dict(external), None, algorithm="none"),
    "unknownKid": jwt.encode(external, keys["ES256"][1], algorithm="ES256", headers={"kid": "py-other"}),
}
for alg, (kid, key, _) in keys.items():
    tokens[alg] = jwt.encode(external, key, algorithm=alg, headers={"kid": kid})
print(json.dumps({"jwks": jwks, "tokens": tokens}))
