"""API token look-up: revocation takes effect at once, last-use writes are batched.

Every request checks its token in the database (a read), so a token revoked, or a user
deactivated, through any server process is refused by every process on its next request. What
is spared is the write: the store records a token's last use at most once per ``ttl`` seconds
per process (``ttl=0`` records every use). Unknown tokens are never remembered.

Example::

    >>> from autoserum.store import open_store
    >>> TokenCache(open_store("sqlite://"), ttl=0).lookup("0" * 64) is None
    True
"""

from __future__ import annotations

import threading
import time

from autoserum.store import Store, UserRecord

__all__ = ["TokenCache"]

_MAX_ENTRIES = 10_000


class TokenCache:
    """Token hash → when this process last recorded its use (thread-safe)."""

    def __init__(self, store: Store, *, ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    def lookup(self, token_hash: str) -> UserRecord | None:
        """The active user owning the token, or None (revoked, expired or unknown)."""
        now = time.monotonic()
        with self._lock:
            last = self._touched.get(token_hash)
        touch = last is None or now - last >= self.ttl
        record = self.store.accounts.user_for_token(token_hash, touch=touch)
        with self._lock:
            if record is None:
                self._touched.pop(token_hash, None)
            elif touch:
                if len(self._touched) >= _MAX_ENTRIES:
                    self._touched.clear()
                self._touched[token_hash] = now
        return record
