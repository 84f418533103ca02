# SPDX-License-Identifier: MIT
"""Token issuing, for the service that hands clients their server list
(never in client code: it needs the secret). Needs the `cryptography`
package (Debian: python3-cryptography); the client module does not.

issue_token(address, secret, ttl=None) makes the authenticated form
(README "Security": version 2, AES-256-GCM, HKDF key, optional expiry);
legacy=True the openssl enc form. Claims (README "Token claims"), each
optional: bind_client="127.0.0.1/32" (good from there only),
not_before=UNIX_SECONDS, uses=N (N connections per gateway; needs ttl).

live_gateways(etcd) lists the gateways registered in etcd, so that the
service hands out addresses of live ones.
"""
import base64
import hashlib
import os
import struct
import time

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def issue_token(address, secret, ttl=None, legacy=False, md="sha256",
                bind_client=None, not_before=None, uses=None, _nonce=None):
    secret = secret.encode() if isinstance(secret, str) else secret
    claims = _claims(bind_client, not_before, uses)
    if legacy:
        if claims:
            raise ValueError("claims need a version 2 token")
        return _legacy(address.encode(), secret, md)
    if uses and not ttl:
        raise ValueError("uses needs a ttl: gateways remember a used "
                         "token until it expires")
    expiry = int(time.time()) + int(ttl) if ttl else 0
    header = bytes([2]) + struct.pack(">Q", expiry) + \
        (_nonce or os.urandom(12))
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sockgate",
               info=b"token v2").derive(secret)
    ct = AESGCM(key).encrypt(header[9:21], address.encode() + claims,
                             header)
    return base64.urlsafe_b64encode(header + ct).decode().rstrip("=")


def _claims(bind_client, not_before, uses):
    """The claims' bytes after the address: a 0, then type, length,
    value for each, in type order."""
    import ipaddress
    out = b""
    if bind_client is not None:
        net = ipaddress.ip_network(bind_client, strict=False)
        value = bytes([net.version, net.prefixlen]) + \
            net.network_address.packed
        out += bytes([1, len(value)]) + value
    if not_before is not None:
        out += bytes([2, 8]) + struct.pack(">Q", int(not_before))
    if uses is not None:
        if not 1 <= int(uses) <= 0xffffffff:
            raise ValueError("uses: 1 to 4294967295")
        out += bytes([3, 4]) + struct.pack(">I", int(uses))
    return b"\0" + out if out else b""


def _legacy(plain, secret, md):
    # openssl enc -aes-256-cbc -salt -md <md>: EVP_BytesToKey, one round
    salt = os.urandom(8)
    d, prev = b"", b""
    while len(d) < 48:
        prev = hashlib.new(md, prev + secret + salt).digest()
        d += prev
    pad = padding.PKCS7(128).padder()
    data = pad.update(plain) + pad.finalize()
    enc = Cipher(algorithms.AES(d[:32]), modes.CBC(d[32:48])).encryptor()
    ct = enc.update(data) + enc.finalize()
    return base64.b64encode(b"Salted__" + salt + ct).decode()


def live_gateways(etcd, prefix="/sockgate/gateways/", timeout=2.0):
    """The gateways registered in etcd (sockgate --etcd), fewest sessions
    first: a list of dicts with "addr", "pid", "host", "version", "mode",
    "sessions", "started". etcd is a URL or a list of them, tried in turn;
    it reads etcd's v3 JSON gateway with the standard library only. Raises
    OSError when no endpoint answers."""
    import json
    import urllib.request

    urls = [etcd] if isinstance(etcd, str) else list(etcd)
    key = prefix.encode()
    end = key[:-1] + bytes([key[-1] + 1])  # every key under prefix
    body = json.dumps({"key": base64.b64encode(key).decode(),
                       "range_end": base64.b64encode(end).decode()}).encode()
    err = None
    for url in urls:
        req = urllib.request.Request(url.rstrip("/") + "/v3/kv/range",
                                     data=body, method="POST",
                                     headers={"Content-Type":
                                              "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                answer = json.load(r)
            break
        except OSError as e:
            err = e
    else:
        raise OSError("no etcd endpoint answered: %s" % err)
    seen = {}
    for kv in answer.get("kvs", []):
        try:
            g = json.loads(base64.b64decode(kv["value"]))
        except ValueError:
            continue  # not a gateway's value
        if not isinstance(g, dict) or "addr" not in g:
            continue
        # a restart with --reuse registers twice for a moment
        if g["addr"] not in seen or g.get("started", 0) > \
                seen[g["addr"]].get("started", 0):
            seen[g["addr"]] = g
    return sorted(seen.values(),
                  key=lambda g: (g.get("sessions", 0), g["addr"]))
