"""Security primitives: argon2 hashing, API token hashing, CSRF comparison, login throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from autoserum.accounts import hash_password, hash_token, needs_rehash, new_token, verify_password
from autoserum.permissions import ACTIONS, ROLES, allowed
from autoserum.store import Store
from autoserum.web.security import LoginThrottle, csrf_matches, new_csrf_token


def test_password_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = hash_password("a long passphrase"), hash_password("a long passphrase")
    assert first.startswith("$argon2id$")
    assert first != second  # salted
    assert verify_password(first, "a long passphrase")
    assert not verify_password(first, "a long passphrasE")
    assert not needs_rehash(first)


def test_verify_without_hash_or_with_garbage_is_false() -> None:
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_api_tokens_are_random_and_stored_hashed() -> None:
    token = new_token()
    assert token.startswith("ast_")
    assert len(token) > 40
    assert new_token() != token
    digest = hash_token(token)
    assert len(digest) == 64
    assert token not in digest
    assert hash_token(token) == digest


@given(st.text(min_size=1), st.text(min_size=1))
def test_csrf_matches_only_equal_tokens(a: str, b: str) -> None:
    assert csrf_matches(a, a)
    assert csrf_matches(a, b) == (a == b)


def test_csrf_never_matches_missing_tokens() -> None:
    token = new_csrf_token()
    assert not csrf_matches(None, token)
    assert not csrf_matches(token, None)
    assert not csrf_matches("", "")


def test_login_throttle_blocks_then_forgets(store: Store) -> None:
    throttle = LoginThrottle(store, limit=3, window=60.0)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def at(seconds: float) -> datetime:
        return t0 + timedelta(seconds=seconds)

    for t in (0.0, 1.0):
        throttle.failure("10.0.0.1", now=at(t))
    assert not throttle.blocked("10.0.0.1", now=at(2.0))
    throttle.failure("10.0.0.1", now=at(2.0))
    assert throttle.blocked("10.0.0.1", now=at(3.0))
    assert not throttle.blocked("10.0.0.2", now=at(3.0))
    assert not throttle.blocked("10.0.0.1", now=at(62.5))


def test_login_throttle_is_shared_by_processes_through_the_database(store: Store) -> None:
    # two app processes = two throttles over the same database: failures add up
    first, second = (LoginThrottle(store, limit=2, window=60.0) for _ in range(2))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    first.failure("10.0.0.9", now=now)
    second.failure("10.0.0.9", now=now)
    assert first.blocked("10.0.0.9", now=now)
    assert second.blocked("10.0.0.9", now=now)


def test_permission_table() -> None:
    assert set(ROLES) == {"admin", "investigator", "coordinator", "monitor", "statistician"}
    assert all(allowed("admin", a) for a in ACTIONS)
    assert not any(allowed("monitor", a) for a in ("write_data", "screen", "randomise", "withdraw"))
    assert allowed("statistician", "export")
    assert not allowed("statistician", "read_subject")
    assert not allowed("nobody", "read_study")
