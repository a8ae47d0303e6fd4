"""Structured logs with request ids.

Every HTTP request gets an id: the caller's ``X-Request-ID`` when it is a short token of
letters, digits, ``.``, ``_`` and ``-`` (so a proxy's id carries through), otherwise a new
random one; the response carries it back in ``X-Request-ID`` and every log record written while
the request is handled carries it as ``request_id``. One access record per request
(``autoserum.access``: method, path, status, duration) replaces uvicorn's access log.

With ``--log-format json`` each record is one JSON object per line (``ts``, ``level``,
``logger``, ``message``, ``pid``, ``request_id`` and the access fields), for a log collector;
``text`` is a readable line for a terminal.

>>> import logging
>>> record = logging.LogRecord("autoserum", logging.INFO, __file__, 1, "ready", None, None)
>>> import json; sorted(json.loads(JsonFormatter().format(record)))
['level', 'logger', 'message', 'pid', 'request_id', 'ts']
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ACCESS_LOGGER",
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "RequestContext",
    "current_request_id",
    "log_config",
    "redact_path",
]

REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_LOGGER = "autoserum.access"
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_FIELDS = ("method", "path", "status", "duration_ms", "client")
_request_id: ContextVar[str | None] = ContextVar("autoserum_request_id", default=None)

access_log = logging.getLogger(ACCESS_LOGGER)


def current_request_id() -> str | None:
    """The id of the request being handled (``None`` outside a request)."""
    return _request_id.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the request id and the access fields when present."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key in _FIELDS:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class RequestContext:
    """ASGI middleware: assign the request id, echo it, log one access record."""

    def __init__(self, app: ASGIApp, *, log_access: bool = True) -> None:
        self.app = app
        self.log_access = log_access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode(), b"")
        text = given.decode("latin-1")
        rid = text if _ACCEPTED_ID.fullmatch(text) else uuid.uuid4().hex
        token = _request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_access:
                client = scope.get("client")
                path = redact_path(str(scope.get("path", "")))
                access_log.info(
                    "%s %s %d",
                    scope.get("method", ""),
                    path,
                    status,
                    extra={
                        "request_id": rid,
                        "method": scope.get("method", ""),
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        "client": client[0] if client else None,
                    },
                )
            _request_id.reset(token)


def redact_path(path: str) -> str:
    """The path as logged: a self-report link's token (``/p/<token>/...``) is a credential and
    never reaches a log.

    >>> redact_path("/p/Zx8-secret/pp_nrs/2026-03-02"), redact_path("/studies/A")
    ('/p/[redacted]/pp_nrs/2026-03-02', '/studies/A')
    """
    if path.startswith("/p/"):
        rest = path[3:].partition("/")
        return "/p/[redacted]" + (rest[1] + rest[2] if rest[1] else "")
    return path


def log_config(fmt: Literal["json", "text"] = "json", level: str = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for uvicorn and autoserum (passed to
    ``uvicorn.run(log_config=...)``, so every worker process applies it)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "autoserum": {"handlers": ["main"], "level": level, "propagate": False},
        },
    }
