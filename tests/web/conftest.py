"""Fixtures of the web tests: a store on a fresh database, the app, users, a live server.

The live server is uvicorn in a background thread on a free loopback port; the browser is
Debian's headless Chromium driven by Playwright, launched once per test session (per xdist
worker) and handed to one test at a time by the ``browser`` fixture.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect, sync_playwright

from autoserum.accounts import hash_password, hash_token, new_token
from autoserum.store import Actor, Store, open_store
from autoserum.web import Settings, create_app
from tests.dbtemplates import copy_sqlite_template
from tests.ports import listening_socket

# a loaded CI machine (test workers, Chromium and the live servers on two cores) can take more
# than Playwright's default 5 s to answer one request: wait up to 20 s for what a test expects
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The screening date of the seeded subjects and the store's fixed "today" (no wall clock).
SCREENED_ON = "2026-02-16"
TODAY = dt.date(2026, 6, 30)
SYSTEM = Actor("test-setup", "admin", None)


def settings_for(url: str) -> Settings:
    return Settings(env="development", secret_key="t" * 48, database_url=url)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite database of this test: empty, or, for a test that asks for ``store``, a copy of
    the session's migrated template (the schema ``store`` would migrate it to anyway)."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    if "store" in request.fixturenames:
        copy_sqlite_template(request.getfixturevalue("sqlite_template"), url)
    return url


@pytest.fixture
def store(db_url: str) -> Store:
    return open_store(db_url, clock=lambda: TODAY)


@pytest.fixture
def app(store: Store, db_url: str) -> FastAPI:
    return create_app(settings_for(db_url), store=store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


@functools.cache
def password_hash() -> str:
    """The argon2 hash of the test password, computed once (argon2 is slow on purpose)."""
    return hash_password(PASSWORD)


def add_user(
    store: Store,
    username: str,
    role: str,
    sites: frozenset[tuple[str, str]] | None,
    *,
    unblinded: bool = False,
    full_name: str | None = None,
) -> str:
    """Create a user with the test password (and ``full_name``, the printed name of their
    signatures); returns a personal API token of theirs."""
    store.accounts.create_user(
        username, password_hash(), role, sites, actor=SYSTEM, unblinded=unblinded,
        full_name=full_name,
    )  # fmt: skip
    token = new_token()
    store.accounts.create_api_token(username, hash_token(token), actor=SYSTEM, label="tests")
    return token


class LiveServer:
    """uvicorn serving ``app`` in a daemon thread on a loopback socket bound before it starts
    (so no other test process can take its port meanwhile: ``tests/ports.py``)."""

    def __init__(self, app: FastAPI) -> None:
        self.socket = listening_socket()
        self.port = int(self.socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 20 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test (fails, never skips, when unreachable)."""
    import sqlalchemy as sa

    base = os.environ.get("AUTOSERUM_TEST_PG_URL")
    if not base:
        pytest.fail("AUTOSERUM_TEST_PG_URL is not set: run `bash scripts/services.sh` first")
    name = f"web_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


STUDY = "AST-1"
PROTOCOL = "ast-nahm2023"  # double-blind, arms serum / placebo


class Seeded:
    """A study with two sites, one user per role at site S1 (the admin: all sites) and four
    subjects per site: ``S1-001``/``S1-003`` randomised, ``S1-002``/``S1-004`` screened."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.study = STUDY
        store.studies.create(STUDY, PROTOCOL, actor=SYSTEM, seed=20260301)
        store.studies.add_site(STUDY, "S1", "Site one", actor=SYSTEM)
        store.studies.add_site(STUDY, "S2", "Site two", actor=SYSTEM)
        s1 = frozenset({(STUDY, "S1")})
        self.tokens = {
            "admin": add_user(store, "admin1", "admin", None, full_name="Ada Admin"),
            "investigator": add_user(store, "inv1", "investigator", s1, full_name="Ina Vogel"),
            "coordinator": add_user(store, "coord1", "coordinator", s1),
            "monitor": add_user(store, "mon1", "monitor", s1),
            "statistician": add_user(store, "stat1", "statistician", s1),
            "preparer": add_user(store, "prep1", "preparer", s1),
            "central_rater": add_user(store, "rater1", "central_rater", s1),
            "data_manager": add_user(store, "dm1", "data_manager", s1),
        }
        self.usernames = {
            "admin": "admin1",
            "investigator": "inv1",
            "coordinator": "coord1",
            "monitor": "mon1",
            "statistician": "stat1",
            "preparer": "prep1",
            "central_rater": "rater1",
            "data_manager": "dm1",
        }
        self.arms: dict[str, str] = {}
        self.visit_ids: dict[str, int] = {}
        self.assessment_ids: dict[str, int] = {}
        facts = {"atopic_dermatitis": True, "scorad": 40, "age": 30}
        for site in ("S1", "S2"):
            # per site: -001 and -003 randomised with a baseline visit and a PP-NRS,
            # -002 and -004 screened only (to be randomised by the tests)
            for number in ("001", "003"):
                sid = f"{site}-{number}"
                store.subjects.screen(
                    STUDY, site, sid, facts, screened_on=SCREENED_ON, actor=SYSTEM
                )
                self.arms[sid] = store.subjects.randomise(STUDY, sid, actor=SYSTEM)
                visit = store.records.add_visit(STUDY, sid, "baseline", "2026-03-02", actor=SYSTEM)
                self.visit_ids[sid] = visit.id
                nrs = store.records.add_assessment(
                    STUDY,
                    sid,
                    "baseline",
                    "pp_nrs",
                    {"score": 6},
                    actor=SYSTEM,
                )
                self.assessment_ids[sid] = nrs.id
            for number in ("002", "004"):
                store.subjects.screen(
                    STUDY, site, f"{site}-{number}", facts, screened_on=SCREENED_ON, actor=SYSTEM
                )


@pytest.fixture
def seeded(store: Store) -> Seeded:
    return Seeded(store)


@pytest.fixture
def live(app: FastAPI, seeded: Seeded) -> Iterator[LiveServer]:
    """The test's ``app`` (on the ``seeded`` study) served on a free loopback port."""
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> Iterator[tuple[Browser, asyncio.AbstractEventLoop]]:
    """Debian's headless Chromium, launched once per session, and Playwright's event loop.

    Tests take it through ``browser``, never directly (see there why)."""
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        # Playwright's sync API marks its event loop as the thread's running loop after every
        # call; ``browser`` clears that mark between tests (and sets it again for the next).
        loop = asyncio.get_running_loop()
        try:
            yield b, loop
        finally:
            asyncio.events._set_running_loop(loop)
            b.close()
    asyncio.events._set_running_loop(None)


@pytest.fixture
def browser(chromium: tuple[Browser, asyncio.AbstractEventLoop]) -> Iterator[Browser]:
    """The session's Chromium for one test: each test opens its own contexts or pages
    (``browser.new_context()``, ``browser.new_page()``: own cookies and storage), and those it
    leaves open are closed after it.

    Playwright's sync API leaves its event loop marked as the thread's running loop between
    calls; a test after a browser test could then not use ``asyncio.run`` (nor anything that
    looks for a running loop), so the mark is set only while a browser test runs."""
    b, loop = chromium
    asyncio.events._set_running_loop(loop)
    before = set(b.contexts)
    try:
        yield b
    finally:
        try:
            for context in b.contexts:
                if context not in before:
                    context.close()
        finally:
            asyncio.events._set_running_loop(None)
