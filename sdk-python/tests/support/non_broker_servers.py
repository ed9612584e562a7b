"""Servers on 127.0.0.1, port 0, that are not Sinew brokers: one answering like an HTTP server
and one that accepts connections and never says anything."""

from __future__ import annotations

import asyncio
import contextlib


async def start_http_server() -> tuple[asyncio.Server, str]:
    """A server that answers like an HTTP server, to stand for 'not a Sinew broker'."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.read(1024)
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, f"127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def start_silent_server() -> tuple[asyncio.Server, str]:
    """A server that accepts connections and never says anything."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
