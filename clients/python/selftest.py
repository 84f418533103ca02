# SPDX-License-Identifier: MIT
"""Run by tests/test_clients.c against a real gateway:
selftest.py GW_HOST GW_PORT GOOD BAD CLOSED SILENT_PORT V6_PORT GREETING
            TLS_PORT CA"""
import asyncio
import socket
import ssl
import sys

import sockgate

host, port, good, bad, closed, silent, v6port, greeting, tport, ca = sys.argv[1:11]
port, silent, v6port, tport = int(port), int(silent), int(v6port), int(tport)
tls = ssl.create_default_context(cafile=ca)
want = greeting.encode()


def check(name, ok):
    print(("ok " if ok else "FAIL ") + name)
    return ok


def code_of(fn):
    try:
        fn()
    except sockgate.GatewayError as e:
        return e.code
    except socket.timeout:
        return "timeout"
    return 200


def greeting_whole(s):
    got = b""
    while len(got) < len(want):
        got += s.recv(len(want) - len(got))
    s.sendall(b"ping")
    echo = b""
    while len(echo) < 4:
        echo += s.recv(4 - len(echo))
    s.close()
    return got == want and echo == b"ping"


async def async_round():
    r, w = await sockgate.open_connection(host, port, good, timeout=5)
    got = await r.readexactly(len(want))
    w.close()
    return got == want


ok = True
ok &= check("greeting", greeting_whole(sockgate.connect((host, port), good, 5)))
ok &= check("401", code_of(lambda: sockgate.connect((host, port), bad, 5)) == 401)
ok &= check("502", code_of(lambda: sockgate.connect((host, port), closed, 5)) == 502)
ok &= check("timeout", code_of(lambda: sockgate.connect(("127.0.0.1", silent), good, 0.5)) == "timeout")
ok &= check("ipv6", greeting_whole(sockgate.connect(("::1", v6port), good, 5)))
ok &= check("asyncio", asyncio.run(async_round()))
# TLS: the name verified against the test CA, and a wrong name refused
ok &= check("tls", greeting_whole(sockgate.connect(("127.0.0.1", tport), good, 5, tls=tls, server_hostname="localhost")))
try:
    sockgate.connect(("127.0.0.1", tport), good, 5, tls=tls, server_hostname="wrong.example")
    ok &= check("tls verify", False)
except ssl.SSLCertVerificationError:
    ok &= check("tls verify", True)
sys.exit(0 if ok else 1)
