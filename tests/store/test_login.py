"""The login's bookkeeping on both engines: attempts are counted before the password check, so
N parallel attempts (threads over several stores, as several server processes would be) count
as N: the account locks at the limit and the address throttle admits exactly its limit."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from autoserum.store import LoginAttempt, LoginLimits, Store, open_store
from tests.store.helpers import ADMIN

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PARALLEL = 40
STORES = 4  # separate engines and connection pools, like server processes


def _limits(*, max_failures: int = 5, per_client: int = 1000) -> LoginLimits:
    return LoginLimits(
        max_failures=max_failures,
        lockout=timedelta(minutes=15),
        per_client=per_client,
        window=timedelta(seconds=60),
    )


def _parallel(db_url: str, attempt: Callable[[Store, int], LoginAttempt]) -> list[LoginAttempt]:
    """Run ``attempt`` PARALLEL times at once, spread over STORES stores."""
    stores = [open_store(db_url, create=False) for _ in range(STORES)]
    barrier = threading.Barrier(PARALLEL, timeout=60)
    results: list[LoginAttempt] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            result = attempt(stores[i % STORES], i)
            with lock:
                results.append(result)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PARALLEL)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    finally:
        for s in stores:
            s.close()
    assert errors == []
    assert len(results) == PARALLEL
    return results


def test_parallel_guesses_count_each_and_lock_at_the_limit(store: Store, db_url: str) -> None:
    store.accounts.create_user("ada", "argon2-hash", "admin", None, actor=ADMIN)
    results = _parallel(
        db_url,
        lambda st, _i: st.accounts.begin_login(
            "ada", client="10.0.0.1", at=T0, limits=_limits(max_failures=5)
        ),
    )
    outcomes = Counter(r.outcome for r in results)
    # the issue: 40 parallel guesses checked 39 wrong passwords; now exactly the limit is checked
    assert outcomes == {"checked": 5, "locked": PARALLEL - 5}
    assert sum(r.locks for r in results) == 1  # one attempt reached the limit
    user = store.accounts.get_user("ada")
    assert user is not None
    assert user.locked_until == T0 + timedelta(minutes=15)
    # still locked a minute later, whatever the password
    later = store.accounts.begin_login(
        "ada", client="10.0.0.2", at=T0 + timedelta(minutes=1), limits=_limits()
    )
    assert (later.outcome, later.password_hash) == ("locked", None)


def test_the_address_throttle_admits_exactly_its_limit(store: Store, db_url: str) -> None:
    results = _parallel(
        db_url,
        lambda st, i: st.accounts.begin_login(
            f"nobody{i}", client="10.0.0.9", at=T0, limits=_limits(per_client=10)
        ),
    )
    assert Counter(r.outcome for r in results) == {"unknown": 10, "throttled": PARALLEL - 10}
    with store.engine.connect() as conn:
        counted = conn.execute(
            text("SELECT count(*) FROM login_failures WHERE client = '10.0.0.9'")
        ).scalar_one()
    assert counted == 10
    # another address is not affected; the window forgets after a minute
    other = store.accounts.begin_login("x", client="10.0.0.8", at=T0, limits=_limits(per_client=10))
    assert other.outcome == "unknown"
    late = store.accounts.begin_login(
        "x", client="10.0.0.9", at=T0 + timedelta(seconds=61), limits=_limits(per_client=10)
    )
    assert late.outcome == "unknown"


def test_a_success_takes_its_count_back(store: Store) -> None:
    store.accounts.create_user("ada", "argon2-hash", "admin", None, actor=ADMIN)
    limits = _limits(max_failures=3, per_client=3)
    for _ in range(2):
        assert store.accounts.begin_login("ada", client="c", at=T0, limits=limits).outcome == (
            "checked"
        )
    right = store.accounts.begin_login("ada", client="c", at=T0, limits=limits)
    assert right.outcome == "checked"
    assert right.password_hash == "argon2-hash"
    assert right.locks  # the third attempt reached the limit ...
    store.accounts.finish_login("ada", attempt=right, right=True, client="c", at=T0)
    user = store.accounts.get_user("ada")
    assert user is not None
    # ... but its password was right: its own lock is lifted and its failure taken back
    assert (user.failed_logins, user.locked_until, user.last_login_at) == (0, None, T0)
    assert store.accounts.begin_login("ada", client="c", at=T0, limits=limits).outcome == (
        "checked"
    )
    assert store.accounts.begin_login("ada", client="c", at=T0, limits=limits).outcome == (
        "throttled"
    )


def test_inactive_and_unknown_users_look_the_same(store: Store) -> None:
    store.accounts.create_user("ada", "argon2-hash", "admin", None, actor=ADMIN)
    store.accounts.update_user("ada", {"active": False}, actor=ADMIN, reason="left the study")
    for name in ("ada", "nobody"):
        attempt = store.accounts.begin_login(name, client="c", at=T0, limits=_limits())
        assert (attempt.outcome, attempt.password_hash) == ("unknown", None)
