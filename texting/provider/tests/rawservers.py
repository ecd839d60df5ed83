"""Tiny real TCP servers for transport failures the sandbox cannot produce on purpose: a
peer that hangs up after reading the request, one that never answers, one that answers
bytes we choose. Test instrumentation over real sockets, not mocks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@contextmanager
def raw_server(handle: Callable[[socket.socket, bytes], None]) -> Iterator[tuple[str, list[bytes]]]:
    """Serve on 127.0.0.1:<free port>; yields (origin, requests received)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()
    open_conns: list[socket.socket] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            open_conns.append(conn)
            try:
                request = _read_request(conn)
                seen.append(request)
                handle(conn, request)
            except OSError:
                pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in open_conns:
            conn.close()
        listener.close()


def hang_up(conn: socket.socket, request: bytes) -> None:
    """Read the whole request, then close without a byte of answer."""
    conn.close()


def never_answer(conn: socket.socket, request: bytes) -> None:
    """Keep the connection open and silent (the client's read timeout fires)."""


def answer(raw: bytes) -> Callable[[socket.socket, bytes], None]:
    def handle(conn: socket.socket, request: bytes) -> None:
        conn.sendall(raw)
        conn.close()

    return handle


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def full_backlog() -> Iterator[str]:
    """A listener that never accepts, with its backlog filled: new connects hang (SYNs are
    dropped), so the client's connect timeout fires. Yields the origin."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        with suppress(BlockingIOError):
            s.connect(("127.0.0.1", port))
        fillers.append(s)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for s in fillers:
            s.close()
        listener.close()
