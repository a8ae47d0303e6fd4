"""Engines for the two supported databases.

SQLite (the embedded default): WAL journal, ``synchronous=FULL``, foreign keys on, a busy
timeout, and the driver's own transaction handling off (SQLAlchemy 2's pysqlite recipe): write
transactions open with ``BEGIN IMMEDIATE`` so that writers of every process queue on the busy
timeout instead of failing on a lock upgrade; read transactions open with a deferred ``BEGIN``
and never take the write lock (WAL: readers and the one writer do not block each other).
PostgreSQL (multi-site): ``postgresql+psycopg`` URLs; a pool as large as the web server's thread
pool (:data:`PG_POOL`: a request never queues for a connection behind the threads), connections
recycled after :data:`PG_RECYCLE_SECONDS`, no ping before each checkout (a round trip per
request; a connection the server dropped fails its request once and the pool is refreshed,
SQLAlchemy's disconnect handling).

>>> make_engine("sqlite://").dialect.name
'sqlite'
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from autoserum.errors import Expected, ValidationError

__all__ = ["BUSY_TIMEOUT_MS", "NOWAIT", "PG_POOL", "PG_RECYCLE_SECONDS", "WRITE", "make_engine"]

BUSY_TIMEOUT_MS = 30_000
PG_POOL = 40
"""PostgreSQL connections per process at most (10 kept open): each of the web server's request
threads finds one (``AUTOSERUM_REQUEST_THREADS``, default 4, at most 40)."""
PG_RECYCLE_SECONDS = 1800
WRITE = "autoserum_write"
"""Execution option marking a connection whose transaction writes (SQLite: BEGIN IMMEDIATE)."""
NOWAIT = "autoserum_nowait"
"""Execution option (with :data:`WRITE`): SQLite fails at once instead of waiting on the busy
timeout when another connection holds the write lock (for bookkeeping writes that may be
skipped)."""


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path.db`` or ``postgresql+psycopg://...``)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationError(
            "db",
            url,
            Expected("a database URL such as sqlite:///autoserum.db or postgresql+psycopg://..."),
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite(url, memory=parsed.database in (None, "", ":memory:"))
    if backend == "postgresql":
        if parsed.drivername != "postgresql+psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(
            parsed,
            pool_size=10,
            max_overflow=PG_POOL - 10,
            pool_recycle=PG_RECYCLE_SECONDS,
            pool_pre_ping=False,
        )
    raise ValidationError("db", url, Expected("a sqlite:/// or postgresql+psycopg:// URL"))


def _sqlite(url: str, *, memory: bool) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if memory:
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver: we emit BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if not options.get(WRITE, False):
            conn.exec_driver_sql("BEGIN")  # deferred: a reader never takes the write lock
        elif options.get(NOWAIT, False):
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
