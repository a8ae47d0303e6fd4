"""Several server workers, each with its own listening socket (``SO_REUSEPORT``), under
uvicorn's process supervisor (``serve --workers N``).

uvicorn binds one socket in the parent and every worker accepts on it: the worker that wakes
first takes every connection waiting, so a burst of kept-alive connections (clients opening
their connections together, a proxy's pool) can land 50 to 0 on one of two workers, measured
(``docs/benchmarks.md``, issue 18 item 4): one worker then serves them all while the other
idles. Here each worker gets a socket of its own bound to the same address with
``SO_REUSEPORT``: the kernel deals the new connections over the workers' sockets by a hash of
the connection's addresses. The supervisor is uvicorn's (health checks, restarts, signals);
only the socket each worker is started with differs. Linux only (``SO_REUSEPORT`` with
load-balancing); elsewhere :func:`run` is uvicorn's own.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

__all__ = ["balanced", "reuseport_socket", "run"]


def balanced() -> bool:
    """True where the kernel deals connections over sockets sharing a port (Linux)."""
    import sys

    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (not listening yet: the
    worker's server listens on it), inheritable by a spawned worker."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _OwnSockets(Multiprocess):
    """uvicorn's supervisor, handing every worker it starts (or restarts) a socket of its
    own: ``self.sockets`` is read once per worker started."""

    @property
    def sockets(self) -> list[socket.socket]:
        return [reuseport_socket(self.config.host, self.config.port)]

    @sockets.setter
    def sockets(self, _shared: list[socket.socket]) -> None:
        """The supervisor's shared sockets: none (each worker binds its own)."""


def run(app: str, *, workers: int, **options: Any) -> None:
    """Serve ``app`` (an import string; with ``factory``) with ``workers`` processes, as
    ``uvicorn.run(app, workers=workers, **options)``, each worker on its own
    ``SO_REUSEPORT`` socket where :func:`balanced`."""
    if workers < 2 or not balanced():
        uvicorn.run(app, workers=workers, **options)
        return
    config = uvicorn.Config(app, workers=workers, **options)
    reuseport_socket(config.host, config.port).close()  # the address is free: fail here if not
    _OwnSockets(config, sockets=[]).run()
