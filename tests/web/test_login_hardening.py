"""Login under attack: parallel guesses over real HTTP (SQLite and PostgreSQL), the bound on
argon2 work (429 with Retry-After), one message and the same work (one argon2 verification of
the same parameters, hence comparable time) for locked, unknown and wrong, the password policy
and look-alike usernames."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from autoserum import accounts
from autoserum.accounts import check_password, normalise_username
from autoserum.errors import ValidationError
from autoserum.store import Store, open_store
from autoserum.web import Settings, create_app
from autoserum.web.accounts import GENERIC_FAILURE

from .conftest import PASSWORD, SYSTEM, TODAY, LiveServer, add_user, password_hash

PARALLEL = 24
LIMIT = 5


def _settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "development",
        "secret_key": "t" * 48,
        "database_url": url,
        "login_max_failures": LIMIT,
        "login_rate_per_minute": 1000,
        "login_concurrency": 2,
        "login_queue": 2 * PARALLEL,
        "login_queue_seconds": 60.0,
        "access_log": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match[1]


def _attempt(base: str, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=120) as client:
        token = _csrf(client.get("/login").text)
        return client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.db'}"
    else:
        yield request.getfixturevalue("pg_url")


def test_parallel_guesses_lock_the_account_at_the_limit(engine_url: str) -> None:
    """The issue's attack (there with 40 guesses): parallel guesses from one address, the right
    password last. Before: 39 wrong passwords were checked and the right one let in. Now:
    every attempt is counted before its check, so the account locks at LIMIT."""
    store = open_store(engine_url, clock=lambda: TODAY)
    store.accounts.create_user("ada", password_hash(), "admin", None, actor=SYSTEM)
    app = create_app(_settings(engine_url), store=store)
    right_at = PARALLEL - 1  # the right password comes last, as in the issue
    barrier = threading.Barrier(PARALLEL, timeout=60)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    with LiveServer(app) as server:

        def guess(i: int) -> None:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                token = _csrf(client.get("/login").text)
                barrier.wait()
                password = PASSWORD if i == right_at else f"wrong guess {i}"
                r = client.post(
                    "/login",
                    data={"username": "ada", "password": password, "csrf_token": token},
                )
            with lock:
                responses.append(r)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(PARALLEL)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert len(responses) == PARALLEL
        statuses = Counter(r.status_code for r in responses)
        logged_in = statuses.get(303, 0)
        assert statuses[200] + logged_in == PARALLEL
        assert all(GENERIC_FAILURE in r.text for r in responses if r.status_code == 200)
        # every attempt was counted before its password check: the account is locked now
        user = store.accounts.get_user("ada")
        assert user is not None
        assert user.locked_until is not None
        with store.engine.connect() as conn:
            counted = conn.execute(text("SELECT count(*) FROM login_failures")).scalar_one()
        assert counted == PARALLEL - logged_in  # N attempts counted as N (a success takes back)
        # the right password is refused while the account is locked
        assert _attempt(server.url, "ada", PASSWORD).status_code == 200
    store.close()


def test_logins_waiting_for_a_hashing_slot_keep_no_request_thread(
    store: Store, db_url: str
) -> None:
    """A login waits for its hashing slot in a thread of its own: with one request thread
    (``AUTOSERUM_REQUEST_THREADS``) and the one hashing slot busy, a waiting login leaves the
    request thread free, and a page is served while the login still waits."""
    add_user(store, "ada", "admin", None)
    settings = _settings(db_url, login_concurrency=1, login_queue=4, login_queue_seconds=60.0)
    app = create_app(settings.model_copy(update={"request_threads": 1}), store=store)
    limit = app.state.hashing
    outcome: list[httpx.Response] = []
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        token = _csrf(client.get("/login").text)
        data = {"username": "ada", "password": PASSWORD, "csrf_token": token}

        def log_in() -> None:
            outcome.append(client.post("/login", data=data, follow_redirects=False))

        with limit.slot():  # the one slot is busy (another login hashing)
            waiting = threading.Thread(target=log_in)
            waiting.start()
            while limit.pending < 2:  # the login is waiting for the slot
                assert waiting.is_alive(), outcome
                waiting.join(timeout=0.01)
            with httpx.Client(base_url=server.url, timeout=30) as other:
                page = other.get("/login")  # served by the one request thread meanwhile
            assert page.status_code == 200
            assert limit.pending == 2  # the login still waits
            assert waiting.is_alive()
        waiting.join(timeout=60)
    assert [r.status_code for r in outcome] == [303]  # then it went through, once


def test_argon2_work_is_bounded_then_429_with_retry_after(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(store, "ada", "admin", None)
    app = create_app(
        _settings(db_url, login_concurrency=1, login_queue=0, login_queue_seconds=0.5),
        store=store,
    )
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = _csrf(client.get("/login").text)
        data = {"username": "ada", "password": PASSWORD, "csrf_token": token}
        hasher = _CountingHasher(accounts._hasher)
        monkeypatch.setattr(accounts, "_hasher", hasher)
        with app.state.hashing.slot():  # the one slot is busy (another login hashing)
            busy = client.post("/login", data=data, follow_redirects=False)
        assert busy.status_code == 429
        assert busy.headers["retry-after"] == "1"
        assert hasher.parameters == []  # refused without argon2 work (nor waiting: no queue)
        user = store.accounts.get_user("ada")
        assert user is not None
        assert user.failed_logins == 0  # a refused attempt is not counted
        ok = client.post("/login", data=data, follow_redirects=False)
        assert ok.status_code == 303
        assert len(hasher.parameters) == 1  # the slot free again: one verification


def test_locked_unknown_and_wrong_look_the_same(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(store, "ada", "admin", None)
    add_user(store, "bea", "admin", None)
    app = create_app(_settings(db_url, login_max_failures=2), store=store)
    hasher = _CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    with TestClient(app, base_url="http://127.0.0.1") as client:

        def attempt(username: str, password: str) -> tuple[str, list[str]]:
            token = _csrf(client.get("/login").text)
            hasher.parameters.clear()
            r = client.post(
                "/login", data={"username": username, "password": password, "csrf_token": token}
            )
            assert r.status_code == 200
            return re.sub(r'name="csrf_token" value="[^"]+"', "", r.text), list(hasher.parameters)

        for _ in range(2):
            attempt("bea", "wrong")  # bea is locked now
        pages: dict[str, list[str]] = {"wrong": [], "unknown": [], "locked": []}
        work: dict[str, list[list[str]]] = {"wrong": [], "unknown": [], "locked": []}
        for i in range(3):
            for kind, name, password in (
                ("wrong", "ada", f"wrong {i}"),
                ("unknown", "nobody", f"wrong {i}"),
                ("locked", "bea", PASSWORD),
            ):
                page, verified = attempt(name, password)
                pages[kind].append(page.replace(f'value="{name}"', 'value=""'))
                work[kind].append(verified)
            store.accounts.record_login_state("ada", failed_logins=0, locked_until=None)
        # one page for all three (the username typed aside)
        assert len({p for kind in pages for p in pages[kind]}) == 1
        assert GENERIC_FAILURE in pages["locked"][0]
        # the same work on every path, so the same time (measured by what is done, not by a
        # clock): one argon2 verification each, against a hash of the same argon2 parameters
        argon2 = _argon2_parameters(password_hash())
        for kind, attempts in work.items():
            assert attempts == [[argon2]] * 3, kind


class _CountingHasher:
    """An argon2 ``PasswordHasher`` that records the parameters of every hash it verifies."""

    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher
        self.parameters: list[str] = []

    def verify(self, hash: str, password: str) -> bool:
        self.parameters.append(_argon2_parameters(hash))
        return bool(self.hasher.verify(hash, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hasher, name)


def _argon2_parameters(encoded: str) -> str:
    """``argon2id$v=19$m=...,t=...,p=...`` of an encoded argon2 hash (its salt and digest aside)."""
    return "$".join(encoded.split("$")[1:4])


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", "Password1234", "qwertyuiopasdf", "adalovelace1", "123456789012"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError, match="hard to guess") as err:
        check_password(password, context=["adalovelace"])
    assert password not in str(err.value)


def test_strong_passwords_pass() -> None:
    assert check_password(PASSWORD) == PASSWORD
    assert check_password("tulip-anvil-orbit-9") == "tulip-anvil-orbit-9"


def test_usernames_are_nfkc_and_look_alikes_refused(store: Store, db_url: str) -> None:
    # fullwidth letters are stored as their NFKC form, and log in under either spelling
    made = store.accounts.create_user("ａｄｍｉｎ", password_hash(), "admin", None, actor=SYSTEM)
    assert made.username == "admin"
    with pytest.raises(ValidationError, match="mixes scripts"):  # Cyrillic а in a Latin name
        store.accounts.create_user("\u0430dmin", password_hash(), "admin", None, actor=SYSTEM)
    with pytest.raises(ValidationError, match="does not look like 'admin'"):
        store.accounts.create_user("ADMIN", password_hash(), "admin", None, actor=SYSTEM)
    with pytest.raises(ValidationError, match="spaces"):
        normalise_username("ad min")
    app = create_app(_settings(db_url), store=store)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = _csrf(client.get("/login").text)
        r = client.post(
            "/login",
            data={"username": "ａｄｍｉｎ", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
