"""Failed logins per client address, in the database so that every server process sees them.

Not study data (not audited): the login throttle's sliding window. Rows older than the window
are deleted when a failure from the same client is recorded.

>>> from datetime import UTC, datetime, timedelta
>>> from autoserum.store import open_store
>>> store = open_store("sqlite://")
>>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
>>> store.record_login_failure("10.0.0.1", at=t0, keep=timedelta(minutes=1))
>>> store.login_failures("10.0.0.1", since=t0 - timedelta(seconds=1))
1
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from autoserum.store._base import Actor, StoreBase
from autoserum.store.models import LoginFailureRow

__all__ = ["LoginMixin"]

_SYSTEM = Actor("login-throttle", "admin")


class LoginMixin(StoreBase):
    """The login throttle's shared state."""

    def record_login_failure(self, client: str, *, at: datetime, keep: timedelta) -> None:
        """Record a failed login from ``client`` at ``at``; forget its failures older than
        ``at − keep``."""
        with self._write(_SYSTEM) as s:
            s.execute(
                delete(LoginFailureRow).where(
                    LoginFailureRow.client == client[:200], LoginFailureRow.at < at - keep
                )
            )
            s.add(LoginFailureRow(client=client[:200], at=at))

    def login_failures(self, client: str, *, since: datetime) -> int:
        """Failed logins from ``client`` after ``since`` (all server processes together)."""
        with self._read() as s:
            count = s.scalar(
                select(func.count())
                .select_from(LoginFailureRow)
                .where(LoginFailureRow.client == client[:200], LoginFailureRow.at > since)
            )
        return int(count or 0)
