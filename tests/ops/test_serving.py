"""`fvs serve --workers N` shares one listening socket; its connections send without Nagle."""

from __future__ import annotations

import asyncio
import socket

from fvs.ops.serving import ProcessesConfig


def test_the_shared_socket_is_tcp_so_each_connection_gets_nodelay():
    sock = ProcessesConfig("fvs.cli:worker_app", host="127.0.0.1", port=0).bind_socket()
    assert sock.proto == socket.IPPROTO_TCP and sock.get_inheritable()

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                peer = transport.get_extra_info("socket")
                accepted.set_result(peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname())
            nodelay = await asyncio.wait_for(accepted, 10)
            writer.close()
            return nodelay

    # asyncio turns Nagle off only on sockets whose proto is TCP: without it, each answer
    # with a body waits for the client's delayed ACK (~40 ms).
    assert asyncio.run(accept_one()) != 0
