"""Several server processes on one PostgreSQL database behave as one server.

Two `autoserum serve` processes (the unit `--workers N` multiplies) on one fresh PostgreSQL
database, each reachable on its own port so a test can choose the process: a token revoked
while one process has just accepted it is refused by both at the next request; failed logins
counted by one process lock the account and trip the per-address throttle in the other. Also:
`serve --workers 2` starts two workers that answer /healthz and /readyz and log JSON with
request ids, each on its own listening socket (`SO_REUSEPORT`: a burst of connections is dealt
over both workers, not taken by the first one awake); `--workers 2` on SQLite is refused with
exit 2 and nothing written.

No assertion depends on timing: the only waits are for the processes to become ready.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from autoserum.accounts import hash_token, new_token
from autoserum.store import open_store
from autoserum.web.accounts import GENERIC_FAILURE
from tests.ports import free_port

from .conftest import PASSWORD, SYSTEM, password_hash

CLI = str(Path(sys.executable).with_name("autoserum"))
ENV = {
    **os.environ,
    "AUTOSERUM_ENV": "development",
    "AUTOSERUM_LOGIN_MAX_FAILURES": "3",
    "AUTOSERUM_LOGIN_RATE_PER_MINUTE": "5",
}


class Server:
    """An `autoserum serve` process on a free port, its stderr (the JSON log) in a file."""

    def __init__(self, url: str, log: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._err = log.open("wb")
        self.proc = subprocess.Popen(
            [CLI, "serve", "--db", url, "--port", str(self.port), *extra],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=self._err,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 180
        while True:
            assert self.proc.poll() is None, self.log.read_text(encoding="utf-8")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.3)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        finally:
            self._err.close()


@pytest.fixture
def two(pg_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    servers = (Server(pg_url, tmp_path / "a.log"), Server(pg_url, tmp_path / "b.log"))
    try:
        for s in servers:
            s.wait_ready()
        yield servers
    finally:
        for s in servers:
            s.stop()


def _login(client: httpx.Client, username: str, password: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf[1]}
    )
    return response.text if response.status_code == 200 else response.headers["location"]


def test_a_revoked_token_is_refused_by_every_process_at_once(
    two: tuple[Server, Server], pg_url: str
) -> None:
    a, b = two
    store = open_store(pg_url, create=False)
    store.accounts.create_user("ada", password_hash(), "admin", None, actor=SYSTEM)
    token = new_token()
    token_id = store.accounts.create_api_token(
        "ada", hash_token(token), actor=SYSTEM, label="tests"
    )
    headers = {"Authorization": f"Bearer {token}"}
    for s in (a, b):  # both processes have just accepted (and would have cached) the token
        assert httpx.get(f"{s.base}/api/v1/studies", headers=headers).status_code == 200
    store.accounts.revoke_api_token(token_id, actor=SYSTEM)
    for s in (b, a):
        assert httpx.get(f"{s.base}/api/v1/studies", headers=headers).status_code == 401
    store.close()


def test_failures_in_one_process_lock_the_account_in_the_other(
    two: tuple[Server, Server], pg_url: str
) -> None:
    a, b = two
    store = open_store(pg_url, create=False)
    store.accounts.create_user("bea", password_hash(), "admin", None, actor=SYSTEM)
    store.close()
    with httpx.Client(base_url=a.base) as on_a, httpx.Client(base_url=b.base) as on_b:
        assert "Invalid username or password." in _login(on_a, "bea", "wrong")
        assert "Invalid username or password." in _login(on_b, "bea", "wrong")
        assert GENERIC_FAILURE in _login(on_a, "bea", "wrong")  # the third: locks, across
        assert GENERIC_FAILURE in _login(on_b, "bea", PASSWORD)  # even the right password


def test_the_address_throttle_counts_failures_of_every_process(
    two: tuple[Server, Server],
) -> None:
    a, b = two
    with httpx.Client(base_url=a.base) as on_a, httpx.Client(base_url=b.base) as on_b:
        for name in ("u1", "u2", "u3"):  # unknown users: no account lockout involved
            assert "Invalid username or password." in _login(on_a, name, "x")
        for name in ("u4", "u5"):
            assert "Invalid username or password." in _login(on_b, name, "x")
        assert "Too many failed logins" in _login(on_b, "u6", "x")
        assert "Too many failed logins" in _login(on_a, "u7", "x")


def test_serve_with_two_workers_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    server = Server(pg_url, tmp_path / "workers.log", "--workers", "2")
    try:
        server.wait_ready()
        health = httpx.get(f"{server.base}/healthz", headers={"X-Request-ID": "probe-1"})
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert health.headers["x-request-id"] == "probe-1"
        ready = httpx.get(f"{server.base}/readyz").json()
        assert ready["status"] == "ready"
        assert ready["database"] == "postgresql"
        deadline = time.monotonic() + 180
        while True:  # both workers report their start-up (order and time do not matter)
            records = [
                json.loads(line)
                for line in server.log.read_text(encoding="utf-8").splitlines()
                if line.startswith("{")
            ]
            started = {r["pid"] for r in records if r["message"] == "Application startup complete."}
            if len(started) == 2:
                break
            assert time.monotonic() < deadline, records
            time.sleep(0.3)
        access = [r for r in records if r["logger"] == "autoserum.access"]
        probe = [r for r in access if r["request_id"] == "probe-1"]
        assert probe
        assert probe[0]["path"] == "/healthz"
        assert probe[0]["status"] == 200
    finally:
        server.stop()


def _listening(port: int) -> int:
    """How many TCP sockets listen on ``port`` (Linux ``/proc/net/tcp``, ``tcp6``)."""
    count = 0
    for name in ("tcp", "tcp6"):
        table = Path("/proc/net") / name
        if table.exists():
            for line in table.read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                count += state == "0A" and int(local.rsplit(":", 1)[1], 16) == port
    return count


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT dealing: Linux")
def test_each_worker_listens_on_its_own_socket(pg_url: str, tmp_path: Path) -> None:
    """`--workers 2`: two sockets listen on the port, one per worker (uvicorn alone shares one
    socket, and the worker awake first accepts every connection waiting), and both workers
    serve 24 kept-alive connections (all on one: probability 2^-23 when the kernel deals them
    by hash). The socket count pins the change; the pids show that both workers serve."""
    server = Server(pg_url, tmp_path / "workers.log", "--workers", "2")
    clients = [httpx.Client(base_url=server.base) for _ in range(24)]
    try:
        server.wait_ready()
        deadline = time.monotonic() + 180
        while _listening(server.port) < 2:  # the second worker may still be starting
            assert time.monotonic() < deadline, "a second listening socket never appeared"
            time.sleep(0.3)
        assert _listening(server.port) == 2
        for i, client in enumerate(clients):  # every client keeps its connection open
            assert client.get("/healthz", headers={"X-Request-ID": f"burst-{i}"}).is_success
        pids: set[int] = set()
        while len(pids) < 2 and time.monotonic() < deadline:  # the log is written as it comes
            pids = {
                r["pid"]
                for line in server.log.read_text(encoding="utf-8").splitlines()
                if line.startswith("{")
                and str((r := json.loads(line)).get("request_id")).startswith("burst-")
            }
            time.sleep(0.3)
        assert len(pids) == 2
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "one.db"
    done = subprocess.run(
        [CLI, "serve", "--db", f"sqlite:///{db}", "--workers", "2"],
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--workers: got 2; expected 1 on SQLite" in done.stderr
    assert "PostgreSQL" in done.stderr
    assert not db.exists()
