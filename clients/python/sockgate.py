# SPDX-License-Identifier: MIT
"""A client of a sockgate gateway, standard library only.

connect() and open_connection() send the token line, read the 3-byte
status exactly, and hand back the connection right after it: the
backend's first bytes, even when they came in the status's segment, are
the first the caller reads. The secret never belongs in client code.

tls=True (or an ssl.SSLContext) speaks TLS to a gateway run with
--tls-cert; the server's name (the host, or server_hostname) is verified
against the context's trusted CAs, the system's by default.
"""
import asyncio
import socket
import ssl

__all__ = ["GatewayError", "connect", "open_connection"]


class GatewayError(Exception):
    """The gateway refused: code is its status (400, 401, 502, 504), or 0
    for a short or malformed status."""

    def __init__(self, code, message=None):
        super().__init__(message or "gateway answered %s" % code)
        self.code = code


def _line(token):
    if "\n" in token or "\r" in token:
        raise ValueError("a token is one line")
    return token.encode("ascii") + b"\n"


def _code(status):
    if len(status) != 3 or not status.isdigit():
        raise GatewayError(0, "malformed status %r" % status)
    return int(status)


def _tls_context(tls):
    if tls is True:
        return ssl.create_default_context()
    if isinstance(tls, ssl.SSLContext):
        return tls
    raise TypeError("tls: True or an ssl.SSLContext")


def connect(address, token, timeout=None, tls=None, server_hostname=None):
    """address: (host, port); a host name, IPv4 or IPv6 address. Returns
    a connected socket.socket (TCP_NODELAY on, the given timeout kept),
    an ssl.SSLSocket with tls."""
    sock = socket.create_connection(address, timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            sock = _tls_context(tls).wrap_socket(
                sock, server_hostname=server_hostname or address[0])
        sock.sendall(_line(token))
        status = b""
        while len(status) < 3:  # exactly three: what follows is the backend's
            chunk = sock.recv(3 - len(status))
            if not chunk:
                raise GatewayError(0, "the gateway closed before a status")
            status += chunk
        code = _code(status)
        if code != 200:
            raise GatewayError(code)
        return sock
    except BaseException:
        sock.close()
        raise


async def open_connection(host, port, token, timeout=None, tls=None,
                          server_hostname=None):
    """asyncio: (reader, writer) after a 200; the reader's first bytes
    are the backend's."""
    kw = {}
    if tls:
        kw = {"ssl": _tls_context(tls),
              "server_hostname": server_hostname or host}
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, **kw), timeout)
    try:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.write(_line(token))
        await writer.drain()
        try:
            status = await asyncio.wait_for(reader.readexactly(3), timeout)
        except asyncio.IncompleteReadError as e:
            raise GatewayError(0, "short status %r" % e.partial)
        code = _code(status)
        if code != 200:
            raise GatewayError(code)
        return reader, writer
    except BaseException:
        writer.close()
        raise
