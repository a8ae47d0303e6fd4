"""Bounded requests and proxy-safe pages: a 50 MB body is refused before a byte of it is read,
a streamed body is cut off at the limit, an API write without a token is refused unread; the
Host header never reaches a page; pages and API JSON are ``no-store``, no ``Server`` header,
HSTS in production."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from autoserum.store import Store
from autoserum.store._engine import WRITE
from autoserum.web import Settings, create_app

from .conftest import add_user

MB = 1_000_000


def _call(
    app: FastAPI,
    path: str,
    headers: dict[str, str],
    chunks: list[bytes],
    *,
    method: str = "POST",
    client: str = "127.0.0.1",
) -> tuple[int, dict[bytes, bytes], bytes, int]:
    """One raw ASGI request: (status, headers, body, number of body chunks the app pulled)."""
    pulled = 0
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < len(chunks):
            pulled += 1
            return {"type": "http.request", "body": chunks[pulled - 1],
                    "more_body": pulled < len(chunks)}  # fmt: skip
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": (client, 5000), "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body, pulled


def test_a_50_mb_body_is_refused_before_it_is_read(app: FastAPI, store: Store) -> None:
    token = add_user(store, "ada", "admin", None)
    headers = {"content-type": "application/json", "content-length": str(50 * MB),
               "authorization": f"Bearer {token}"}  # fmt: skip
    status, _, body, pulled = _call(app, "/api/v1/studies/AST/subjects", headers, [b"{" * 1000])
    assert status == 413
    assert pulled == 0
    assert "limit of 1000000 bytes" in json.loads(body)["detail"]


def test_a_streamed_body_is_cut_off_at_the_limit(app: FastAPI, store: Store) -> None:
    token = add_user(store, "ada", "admin", None)
    chunk = b" " * 262_144
    headers = {"content-type": "application/json", "transfer-encoding": "chunked",
               "authorization": f"Bearer {token}"}  # fmt: skip
    status, _, _, pulled = _call(
        app, "/api/v1/studies/AST/subjects", headers, [chunk] * 200
    )  # 52 MB
    assert status == 413
    assert pulled <= MB // len(chunk) + 1  # stopped at the limit, not at 52 MB


def test_an_api_write_without_a_token_is_refused_unread(app: FastAPI) -> None:
    headers = {"content-type": "application/json", "content-length": "20000"}
    status, headers_out, _, pulled = _call(
        app, "/api/v1/studies/AST/subjects", headers, [b"{}" * 10_000]
    )
    assert status == 401
    assert pulled == 0
    assert headers_out[b"www-authenticate"] == b"Bearer"


@pytest.mark.parametrize("shape", ["50 MB", "2 million keys"])
def test_a_made_up_token_is_refused_before_the_body_is_read(
    store: Store, db_url: str, shape: str
) -> None:
    """The issue: JSON bodies were parsed before the token check (50 MB → +150 MiB; 2 million
    keys → +370 MiB and 10 s of CPU, then 401). Now the token is checked first: 401, and the
    app pulls no body chunk, even with a limit that would admit the body."""
    settings = Settings(env="development", secret_key="t" * 48, database_url=db_url,
                        max_body_bytes=100 * MB)  # fmt: skip
    big = create_app(settings, store=store)
    if shape == "50 MB":
        chunks = [b"[" + b"0," * 131_000 + b"0]"] * 191  # 191 × 262 kB ≈ 50 MB
    else:
        keys = b",".join(b'"k%d":0' % i for i in range(2_000_000))
        chunks = [b"{" + keys + b"}"]
    size = sum(len(c) for c in chunks)
    headers = {"content-type": "application/json", "content-length": str(size),
               "authorization": "Bearer ast_made-up-token"}  # fmt: skip
    status, headers_out, body, pulled = _call(big, "/api/v1/studies", headers, chunks)
    assert status == 401
    assert pulled == 0
    assert headers_out[b"www-authenticate"] == b"Bearer"
    assert "invalid" in json.loads(body)["detail"]


def test_a_made_up_token_takes_no_write_lock(store: Store, db_url: str, tmp_path: Path) -> None:
    """A made-up bearer token is looked up with a read: while another process holds SQLite's
    write lock, the request is still answered (a write would wait for the lock, then fail),
    and no write transaction is begun for it."""
    app = create_app(Settings(env="development", secret_key="t" * 48, database_url=db_url),
                     store=store)  # fmt: skip
    begun: list[bool] = []

    def on_begin(conn: Any) -> None:
        begun.append(bool(conn.get_execution_options().get(WRITE, False)))

    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0.1)
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")  # another process's write transaction
    event.listen(store.engine, "begin", on_begin)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            response = client.post(
                "/api/v1/studies",
                json={"name": "X"},
                headers={"Authorization": "Bearer ast_made-up-token"},
            )
    finally:
        event.remove(store.engine, "begin", on_begin)
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 401
    assert begun  # the token was looked up in the database ...
    assert not any(begun)  # ... by reads only


def test_the_upload_limit_is_separate_and_configurable(store: Store, db_url: str) -> None:
    settings = Settings(env="development", secret_key="t" * 48, database_url=db_url,
                        max_body_bytes=1000, max_upload_bytes=5000)  # fmt: skip
    small = create_app(settings, store=store)
    headers = {"content-type": "multipart/form-data; boundary=x", "content-length": "4000"}
    status, *_ = _call(small, "/login", headers, [b"x" * 4000])
    assert status != 413
    headers["content-length"] = "6000"
    status, *_ = _call(small, "/login", headers, [b"x" * 6000])
    assert status == 413
    headers = {"content-type": "application/x-www-form-urlencoded", "content-length": "2000"}
    status, *_ = _call(small, "/login", headers, [b"x" * 2000])
    assert status == 413


def test_the_host_header_never_appears_in_a_page(client: TestClient) -> None:
    page = client.get("/login", headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert 'src="/static/app.js"' in page.text
    assert 'href="/static/app.css"' in page.text


def test_pages_and_api_json_are_not_stored_and_name_no_server(client: TestClient) -> None:
    for path in ("/login", "/api/v1/studies"):
        response = client.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert "server" not in response.headers
        assert "strict-transport-security" not in response.headers  # development: plain HTTP
    static = client.get("/static/app.css")
    assert static.status_code == 200
    assert static.headers.get("cache-control") != "no-store"


def test_production_sends_hsts(store: Store, db_url: str) -> None:
    settings = Settings(env="production", secret_key="p" * 48, database_url=db_url)
    with TestClient(create_app(settings, store=store), base_url="https://testserver") as c:
        response = c.get("/login")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_forwarded_addresses_are_believed_from_trusted_proxies_only(
    store: Store, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(env="development", secret_key="t" * 48, database_url=db_url,
                        trusted_proxies="10.0.0.5")  # fmt: skip
    proxied = create_app(settings, store=store)
    forwarded = {"x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"}
    with caplog.at_level(logging.INFO, logger="autoserum.access"):
        _call(proxied, "/login", forwarded, [], method="GET", client="10.0.0.5")
        _call(proxied, "/login", forwarded, [], method="GET", client="198.51.100.7")
    clients = [getattr(r, "client", None) for r in caplog.records if r.name == "autoserum.access"]
    assert clients == ["203.0.113.9", "198.51.100.7"]  # the proxy's word; a stranger's ignored
