"""Driving a Sanic app through its own HTTP/1 server on a loopback port, with raw bytes.

Over ASGI (tests/support/asgi.py) Sanic decodes header bytes as Latin-1, so every header
arrives as encodable text. Its HTTP/1 server, which the live stack runs, decodes them as
UTF-8 with surrogate escapes instead: bytes that are not UTF-8 (`\\xff`) arrive as lone
surrogates (`\\udcff`), which cannot be encoded again. Tests of such headers go through here.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sanic import Sanic


@asynccontextmanager
async def listening(app: Sanic) -> AsyncIterator[int]:
    """Serves `app` on a free loopback port (yielded) until the block ends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield port
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
        sock.close()


async def status(port: int, method: str, path: str, headers: bytes = b"", body: bytes = b"") -> int:
    """The status code of one request whose header lines (`headers`, each ending in CRLF)
    are sent exactly as given."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n".encode()
            + headers
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
        return int(line.split()[1])
    finally:
        writer.close()


def status_of(app: Sanic, method: str, path: str, headers: bytes = b"", body: bytes = b"") -> int:
    """`status` of one request to `app`, served for the occasion."""

    async def go() -> int:
        async with listening(app) as port:
            return await status(port, method, path, headers, body)

    return asyncio.run(go())
