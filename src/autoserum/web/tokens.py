"""A short-lived in-memory cache of verified API tokens.

The store's token look-up also records the token's last use (a write transaction); remembering
a verified token for ``ttl`` seconds spares one database write per API request. A revoked token,
or a deactivated user, stops working at most ``ttl`` seconds later (``ttl=0`` disables the
cache). Unknown tokens are never cached.

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
    """Token hash → user record, each entry kept ``ttl`` seconds (thread-safe)."""

    def __init__(self, store: Store, *, ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self._entries: dict[str, tuple[float, UserRecord]] = {}
        self._lock = threading.Lock()

    def lookup(self, token_hash: str) -> UserRecord | None:
        """The active user owning the token, or None (revoked, expired or unknown)."""
        now = time.monotonic()
        if self.ttl > 0:
            with self._lock:
                entry = self._entries.get(token_hash)
            if entry is not None and now - entry[0] < self.ttl:
                return entry[1]
        record = self.store.accounts.user_for_token(token_hash)
        if self.ttl > 0:
            with self._lock:
                if record is None:
                    self._entries.pop(token_hash, None)
                else:
                    if len(self._entries) >= _MAX_ENTRIES:
                        self._entries.clear()
                    self._entries[token_hash] = (now, record)
        return record
