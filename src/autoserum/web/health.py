"""Probes for an orchestrator or load balancer: ``/healthz`` and ``/readyz``.

- ``GET /healthz``: the process answers (no database access): ``200 {"status": "ok"}``.
- ``GET /readyz``: the database answers and its schema is at the revision this code expects:
  ``200 {"status": "ready", "database": "postgresql", "schema": "0004"}``, otherwise ``503``
  with the reason (``database unreachable`` or ``schema at X, expected Y``) so that a proxy
  sends no traffic to a process that could not serve it.

Neither needs a login and neither reveals study data.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from autoserum.store import Store

__all__ = ["readiness", "router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    """The process is alive (answered on the event loop: never queued behind the requests the
    thread pool is serving, ``AUTOSERUM_REQUEST_THREADS``)."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def readiness(store: Store) -> tuple[bool, dict[str, str]]:
    """``(ready, body)``: the database reachable and its schema at the code's head revision."""
    try:
        current, expected = store.schema_revision()
    except SQLAlchemyError:
        return False, {"status": "unavailable", "reason": "database unreachable"}
    if current != expected:
        return False, {
            "status": "unavailable",
            "reason": f"schema at {current or 'none'}, expected {expected}",
        }
    return True, {"status": "ready", "database": store.dialect, "schema": expected}


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and the schema is current."""
    ready, body = await run_in_threadpool(readiness, request.app.state.store)
    return JSONResponse(
        body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"}
    )
