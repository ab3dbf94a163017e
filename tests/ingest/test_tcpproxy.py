"""The test TCP proxy forwards both ways and cuts every connection after N server bytes, then accepts again."""

from __future__ import annotations

import socket
import threading

from tests.fixtures.tcpproxy import TcpProxy


def _echo_server() -> tuple[socket.socket, int]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return

            def echo(c: socket.socket) -> None:
                with c:
                    while data := c.recv(65536):
                        c.sendall(data * 10)

            threading.Thread(target=echo, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


def _recv_exactly_or_eof(sock: socket.socket, limit: int) -> bytes:
    out = b""
    while len(out) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        out += chunk
    return out


def test_proxy_forwards_both_ways_then_cuts_after_n_server_bytes_and_accepts_again() -> None:
    listener, port = _echo_server()
    with listener, TcpProxy("127.0.0.1", port) as proxy:
        with socket.create_connection((proxy.host, proxy.port), timeout=5) as sock:
            sock.sendall(b"abc")
            assert _recv_exactly_or_eof(sock, 30) == b"abc" * 10
            proxy.cut_after(25)
            sock.sendall(b"xyz")
            got = _recv_exactly_or_eof(sock, 30)
        assert got == (b"xyz" * 10)[:25]
        assert proxy.cuts == 1
        with socket.create_connection((proxy.host, proxy.port), timeout=5) as again:
            again.sendall(b"q")
            assert _recv_exactly_or_eof(again, 10) == b"q" * 10
        assert proxy.connections == 2
