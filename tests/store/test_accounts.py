"""Users, API tokens, sessions and login state in the store (hashes only), on both engines;
and the pinned public surface of ``autoserum.store`` and ``autoserum.study``."""

from __future__ import annotations

from datetime import timedelta

import pytest

import autoserum.store
import autoserum.study
from autoserum.errors import PermissionDeniedError, StateError, ValidationError
from autoserum.store import Store
from autoserum.store._types import utcnow
from tests.store.helpers import ADMIN, COORDINATOR


def test_users_are_created_by_admins_and_found_by_name(store: Store) -> None:
    user = store.create_user("cora", "argon2-hash", "coordinator", ["s01"], ADMIN)
    assert (user.role, user.sites, user.unblinded, user.active) == (
        "coordinator",
        frozenset({"s01"}),
        False,
        True,
    )
    assert "argon2-hash" not in repr(user)
    assert store.get_user("nobody") is None
    with pytest.raises(PermissionDeniedError):
        store.create_user("eve", "h", "admin", None, COORDINATOR)
    with pytest.raises(StateError, match="exists already"):
        store.create_user("cora", "h", "coordinator", None, ADMIN)
    with pytest.raises(ValidationError, match="role"):
        store.create_user("x", "h", "nurse", None, ADMIN)


def test_login_state_is_kept_without_audit(store: Store) -> None:
    store.create_user("cora", "h", "coordinator", None, ADMIN)
    before = len(store.raw_audit_rows())
    lock = utcnow() + timedelta(minutes=15)
    store.update_user_login_state("cora", failed_logins=5, locked_until=lock)
    user = store.get_user("cora")
    assert user is not None
    assert (user.failed_logins, user.locked_until) == (5, lock)
    assert len(store.raw_audit_rows()) == before


def test_api_tokens_and_sessions(store: Store) -> None:
    store.create_user("cora", "h", "coordinator", None, ADMIN)
    token = store.create_api_token("cora", "token-hash", ADMIN, label="laptop")
    found = store.user_for_token("token-hash")
    assert found is not None
    assert found.username == "cora"
    store.revoke_api_token(token, ADMIN)
    assert store.user_for_token("token-hash") is None
    store.create_api_token("cora", "old", ADMIN, expires_at=utcnow() - timedelta(seconds=1))
    assert store.user_for_token("old") is None
    store.create_session("cora", "session-hash", utcnow() + timedelta(hours=8))
    assert store.user_for_session("session-hash").username == "cora"  # type: ignore[union-attr]
    store.delete_session("session-hash")
    assert store.user_for_session("session-hash") is None
    store.update_user("cora", {"active": False}, ADMIN, reason="left the study")
    store.create_session("cora", "s2", utcnow() + timedelta(hours=8))
    assert store.user_for_session("s2") is None


def test_public_surfaces_are_pinned() -> None:
    assert sorted(autoserum.store.__all__) == [
        "ARM_REVEALING",
        "Actor",
        "AuditRecord",
        "BackupInfo",
        "Store",
        "UserRecord",
        "backup",
        "open_store",
        "restore",
    ]
    for name in ("SubjectStatus", "transition", "can_see_arm", "consort_flow", "allocation_list"):
        assert name in autoserum.study.__all__
    assert all(hasattr(autoserum.study, name) for name in autoserum.study.__all__)
