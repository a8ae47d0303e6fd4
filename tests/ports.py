"""Loopback ports for the servers the tests start, safe beside other pytest-xdist workers.

A port found free by binding port 0 and closing the socket is free only at that moment: the
server binds it a moment later, and meanwhile another worker may be handed the same port, or
an outgoing connection (a database or HTTP client of another worker) may take it as its local
port, since both come from the kernel's ephemeral range. A server in this process therefore
gets a socket already bound (:func:`listening_socket`, no gap at all); a server process gets a
port below the ephemeral range, which outgoing connections never use, from a sequence that
starts at an offset of this process's id (:func:`free_port`), so two workers do not try the
same ports in the same order.
"""

from __future__ import annotations

import itertools
import os
import socket
from pathlib import Path

__all__ = ["free_port", "listening_socket"]

_LOWEST = 10000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default (macOS and the BSDs start at 49152)


_SPAN = max(_ephemeral_start() - _LOWEST, 1000)
_NEXT = itertools.count((os.getpid() * 997) % _SPAN)


def free_port() -> int:
    """A loopback port that is free now and outside the kernel's ephemeral range, for a server
    process a test starts (it binds the port itself)."""
    for _ in range(_SPAN):
        port = _LOWEST + next(_NEXT) % _SPAN
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (or lingering after a server closed it)
            return port
    raise RuntimeError(f"no free loopback port in {_LOWEST}-{_LOWEST + _SPAN - 1}")


def listening_socket() -> socket.socket:
    """A loopback TCP socket bound to a port the kernel chooses and listening, to hand to a
    server in this process (``uvicorn.Server.run(sockets=[...])``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock
