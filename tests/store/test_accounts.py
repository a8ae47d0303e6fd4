"""Users, API tokens, sessions and login state in the store (hashes only), on both engines;
and the pinned public surface of ``autoserum.store`` and ``autoserum.study``."""

from __future__ import annotations

from datetime import timedelta

import pytest

import autoserum.store
import autoserum.study
from autoserum.errors import NotFoundError, PermissionDeniedError, StateError, ValidationError
from autoserum.store import Actor, Store
from autoserum.store._types import utcnow
from tests.store.helpers import ADMIN, COORDINATOR


def test_users_are_created_by_admins_and_found_by_name(store: Store) -> None:
    store.studies.create("A", "ast-nahm2023", actor=ADMIN, seed=1)
    store.studies.add_site("A", "s01", "Seoul", actor=ADMIN)
    user = store.accounts.create_user(
        "cora", "argon2-hash", "coordinator", [("A", "s01")], actor=ADMIN
    )
    assert (user.role, user.sites, user.unblinded, user.active) == (
        "coordinator",
        frozenset({("A", "s01")}),
        False,
        True,
    )
    assert "argon2-hash" not in repr(user)
    assert store.accounts.get_user("nobody") is None
    with pytest.raises(PermissionDeniedError):
        store.accounts.create_user("eve", "h", "admin", None, actor=COORDINATOR)
    with pytest.raises(StateError, match="exists already"):
        store.accounts.create_user("cora", "h", "coordinator", None, actor=ADMIN)
    with pytest.raises(ValidationError, match="role"):
        store.accounts.create_user("x", "h", "nurse", None, actor=ADMIN)


def test_login_state_is_kept_without_audit(store: Store) -> None:
    store.accounts.create_user("cora", "h", "coordinator", None, actor=ADMIN)
    before = len(store.audit.raw_rows())
    lock = utcnow() + timedelta(minutes=15)
    store.accounts.record_login_state("cora", failed_logins=5, locked_until=lock)
    user = store.accounts.get_user("cora")
    assert user is not None
    assert (user.failed_logins, user.locked_until) == (5, lock)
    assert len(store.audit.raw_rows()) == before


def test_api_tokens_and_sessions(store: Store) -> None:
    store.accounts.create_user("cora", "h", "coordinator", None, actor=ADMIN)
    token = store.accounts.create_api_token("cora", "token-hash", actor=ADMIN, label="laptop")
    found = store.accounts.user_for_token("token-hash")
    assert found is not None
    assert found.username == "cora"
    store.accounts.revoke_api_token(token, actor=ADMIN)
    assert store.accounts.user_for_token("token-hash") is None
    store.accounts.create_api_token(
        "cora", "old", actor=ADMIN, expires_at=utcnow() - timedelta(seconds=1)
    )
    assert store.accounts.user_for_token("old") is None
    store.accounts.create_session("cora", "session-hash", utcnow() + timedelta(hours=8))
    assert store.accounts.user_for_session("session-hash").username == "cora"  # type: ignore[union-attr]
    store.accounts.delete_session("session-hash")
    assert store.accounts.user_for_session("session-hash") is None
    store.accounts.update_user("cora", {"active": False}, actor=ADMIN, reason="left the study")
    store.accounts.create_session("cora", "s2", utcnow() + timedelta(hours=8))
    assert store.accounts.user_for_session("s2") is None


def test_public_surfaces_are_pinned() -> None:
    assert sorted(autoserum.store.__all__) == [
        "ARM_REVEALING",
        "Actor",
        "Agenda",
        "ApiTokenRecord",
        "AuditFilter",
        "AuditPage",
        "AuditRecord",
        "BackupInfo",
        "ChainProblem",
        "ChainStatus",
        "ChangeEvent",
        "DEFAULT_PAGE",
        "DueSlot",
        "FieldChange",
        "IssuedLink",
        "KEY_VARIABLE",
        "LoginAttempt",
        "LoginLimits",
        "MAX_PAGE",
        "PackageContent",
        "PatientAccess",
        "PatientLink",
        "SECURITY_CHAIN",
        "SYSTEM",
        "SYSTEM_CLI",
        "SecurityEvent",
        "SharedSlots",
        "SiteKey",
        "Store",
        "SubjectCompliance",
        "Submitted",
        "UserRecord",
        "Verification",
        "VisitProgress",
        "audit_key",
        "backup",
        "change_events",
        "open_store",
        "package_files",
        "redcap_files",
        "restore",
        "write_package",
    ]
    store = autoserum.store.open_store("sqlite://")
    services = (
        "studies",
        "subjects",
        "records",
        "accounts",
        "audit",
        "exports",
        "events",
        "consent",
        "locks",
    )
    assert all(hasattr(store, name) for name in services)
    for name in ("SubjectStatus", "transition", "can_see_arm", "consort_flow", "allocation_list"):
        assert name in autoserum.study.__all__
    assert all(hasattr(autoserum.study, name) for name in autoserum.study.__all__)


def test_a_new_session_purges_expired_ones(store: Store) -> None:
    from sqlalchemy import text

    store.accounts.create_user("cora", "h", "coordinator", None, actor=ADMIN)
    store.accounts.create_session("cora", "old", utcnow() - timedelta(seconds=1))
    store.accounts.create_session("cora", "live", utcnow() + timedelta(hours=8))
    with store.engine.connect() as conn:
        hashes = conn.execute(text("SELECT session_hash FROM sessions")).scalars().all()
    assert hashes == ["live"]


def test_deactivation_and_new_password_end_sessions_and_tokens(store: Store) -> None:
    store.accounts.create_user("cora", "h", "coordinator", None, actor=ADMIN)
    store.accounts.create_api_token("cora", "t1", actor=ADMIN)
    store.accounts.create_session("cora", "s1", utcnow() + timedelta(hours=8))
    store.accounts.update_user(
        "cora", {"password_hash": "h2"}, actor=ADMIN, reason="reset", keep_tokens=True
    )
    assert store.accounts.user_for_session("s1") is None
    assert store.accounts.user_for_token("t1", touch=False) is not None  # kept on request
    store.accounts.update_user("cora", {"password_hash": "h3"}, actor=ADMIN, reason="reset")
    assert store.accounts.user_for_token("t1", touch=False) is None


def test_api_tokens_are_listed_without_their_hashes(store: Store) -> None:
    store.accounts.create_user("cora", "h", "coordinator", None, actor=ADMIN)
    store.accounts.create_user("ada2", "h", "admin", None, actor=ADMIN)
    first = store.accounts.create_api_token("cora", "hash-1", actor=ADMIN, label="laptop")
    store.accounts.create_api_token(
        "cora", "hash-2", actor=ADMIN, expires_at=utcnow() - timedelta(seconds=1)
    )
    store.accounts.create_api_token("ada2", "hash-3", actor=ADMIN)
    store.accounts.revoke_api_token(first, actor=ADMIN)
    tokens = store.accounts.api_tokens("cora", actor=ADMIN)
    assert [(t.username, t.label, t.active) for t in tokens] == [
        ("cora", "laptop", False),
        ("cora", "", False),
    ]
    assert tokens[0].revoked_at is not None
    assert "hash-1" not in repr(tokens)
    assert len(store.accounts.api_tokens(actor=ADMIN)) == 3
    own = Actor("cora", "coordinator")
    assert len(store.accounts.api_tokens("cora", actor=own)) == 2
    with pytest.raises(PermissionDeniedError):
        store.accounts.api_tokens("ada2", actor=own)
    with pytest.raises(PermissionDeniedError):
        store.accounts.api_tokens(actor=own)
    with pytest.raises(NotFoundError):
        store.accounts.api_tokens("nobody", actor=ADMIN)
