"""/healthz, /readyz, request ids and the JSON log format (in-process, SQLite)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autoserum.store import open_store
from autoserum.store._engine import make_engine
from autoserum.store._migrate import head_revision, migrate
from autoserum.store.service import Store
from autoserum.web import create_app
from autoserum.web.requestlog import JsonFormatter

from .conftest import settings_for


def test_healthz_and_readyz_on_a_current_schema(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["database"] == "sqlite"
    assert ready.headers["cache-control"] == "no-store"


def test_readyz_refuses_an_old_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate(engine, "0003")
    store = Store(engine)  # opened without migrating, as a worker of older code would find it
    with TestClient(create_app(settings_for(url), store=store)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        expected = f"schema at 0003, expected {head_revision()}"
        assert ready.json() == {"status": "unavailable", "reason": expected}
    store.close()


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "lb-42.a_b"})
    assert given.headers["x-request-id"] == "lb-42.a_b"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert made.headers["x-request-id"] != "bad id\nwith newline"
    assert len(made.headers["x-request-id"]) == 32
    other = client.get("/healthz")
    assert other.headers["x-request-id"] not in (made.headers["x-request-id"], "lb-42.a_b")


def test_access_records_carry_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="autoserum.access"):
        client.get("/login", headers={"X-Request-ID": "trace-7"})
    records = [r for r in caplog.records if r.name == "autoserum.access"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "trace-7"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/login", 200)
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"


def test_a_store_opened_by_path_is_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    store = open_store(url)
    with TestClient(create_app(settings_for(url), store=store)) as client:
        assert client.get("/readyz").json()["schema"] == store.schema_revision()[1]
    store.close()


def test_the_routes_run_in_a_thread_pool_of_the_configured_size(tmp_path: Path) -> None:
    """``AUTOSERUM_REQUEST_THREADS`` sizes AnyIO's thread pool of the server's event loop (default
    4: docs/deploy.md, "Requests at once"); /healthz is answered on the loop itself."""
    import anyio.to_thread

    def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    url = f"sqlite:///{tmp_path / 'threads.db'}"
    assert settings_for(url).request_threads == 4
    settings = settings_for(url).model_copy(update={"request_threads": 3})
    with TestClient(create_app(settings)) as client:
        assert client.portal is not None
        assert client.portal.call(tokens) == 3
        assert client.get("/healthz").json() == {"status": "ok"}
    with TestClient(create_app(settings_for(url))) as client:
        assert client.portal is not None
        assert client.portal.call(tokens) == 4


def test_request_threads_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from autoserum.errors import ConfigurationError
    from autoserum.web.settings import load_settings

    monkeypatch.setenv("AUTOSERUM_REQUEST_THREADS", "0")
    with pytest.raises(ConfigurationError, match="AUTOSERUM_REQUEST_THREADS"):
        load_settings()
