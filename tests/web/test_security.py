"""Security primitives: argon2 hashing, API token hashing, CSRF comparison, the hashing limit."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoserum.accounts import hash_password, hash_token, needs_rehash, new_token, verify_password
from autoserum.errors import BusyError
from autoserum.permissions import ACTIONS, ROLES, allowed, allowed_actions
from autoserum.web.security import HashingLimit, csrf_matches, new_csrf_token


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


def test_hashing_limit_queues_then_refuses_with_retry_after() -> None:
    limit = HashingLimit(concurrent=1, queued=1, wait=0.2)
    entered = threading.Event()
    release = threading.Event()
    outcomes: list[str] = []

    def holder() -> None:
        with limit.slot():
            entered.set()
            release.wait(5)

    first = threading.Thread(target=holder)
    first.start()
    assert entered.wait(5)

    def waiter() -> None:  # queues, then gives up after ``wait`` seconds
        try:
            with limit.slot():
                outcomes.append("ran")
        except BusyError as err:
            outcomes.append(f"busy {err.retry_after}")

    queued = threading.Thread(target=waiter)
    queued.start()
    time.sleep(0.05)
    with pytest.raises(BusyError), limit.slot():  # concurrent + queued taken: refused at once
        pass
    queued.join(5)
    assert outcomes == ["busy 1"]
    release.set()
    first.join(5)
    with limit.slot():  # free again
        outcomes.append("ran")
    assert outcomes == ["busy 1", "ran"]


def test_permission_table() -> None:
    assert set(ROLES) == {
        "admin", "investigator", "coordinator", "monitor", "data_manager", "statistician",
        "preparer", "central_rater",
    }  # fmt: skip
    assert all(allowed("admin", a) for a in ACTIONS)
    assert not any(allowed("monitor", a) for a in ("write_data", "screen", "randomise", "withdraw"))
    assert allowed("statistician", "export")
    assert not allowed("statistician", "read_subject")
    assert not allowed("nobody", "read_study")
    # the unblinded preparer records the product chain and nothing clinical
    assert allowed("preparer", "prepare_product")
    assert not any(allowed("preparer", a) for a in ("write_data", "read_subject", "export"))
    # the data manager moves queries, runs the checks, sees SDV progress and exports; blinded,
    # and never changes clinical data, randomises, unblinds, verifies or signs
    dm = ("raise_query", "resolve_query", "run_checks", "read_subject", "export")
    assert all(allowed("data_manager", a) for a in dm)
    never = ("write_data", "randomise", "unblind", "sign", "see_arms", "verify_source",
             "answer_query", "screen", "lock")  # fmt: skip
    assert not any(allowed("data_manager", a) for a in never)
    # the blinded central rater rates coded photographs and may do nothing else
    assert allowed_actions("central_rater") == {"rate_photos"}
