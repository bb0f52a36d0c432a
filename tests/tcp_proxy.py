"""A TCP proxy for fault tests: put it between the service and a dependency, then cut it.

    async with TcpProxy("127.0.0.1", 5672) as proxy:     # listens on a free proxy.port
        ...                                             # point the service at proxy.port
        await proxy.cut()       # every open connection dropped, new ones refused
        await proxy.restore()   # listening again on the same port

It runs in the test's event loop, so the service under test must run there too (an in-process
container) or in a child process.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

_CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0  # chosen when it first listens, kept by restore()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections (nothing listens) and reset every open one."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for side in self._open:
            _reset(side)
        self._open.clear()
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            await self.start()

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.cut()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        pair = {writer, upstream_writer}
        self._open |= pair
        try:
            await asyncio.gather(_copy(reader, upstream_writer), _copy(upstream_reader, writer))
        finally:
            for side in pair:
                _reset(side)
            self._open -= pair


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):  # the other side reset, or the proxy was cut
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        writer.write_eof()


def _reset(writer: asyncio.StreamWriter) -> None:
    # Abort, not close: the peer sees the connection die as in an outage, without a clean FIN.
    writer.transport.abort()
