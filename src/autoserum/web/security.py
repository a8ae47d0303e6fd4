"""Security primitives of the web app: CSRF and the bound on password hashing (password
hashing and API tokens live in :mod:`autoserum.accounts`, shared with the store and the CLI;
failed logins are counted by the store, before the password check: ``store/_login.py``).

* CSRF: a synchronizer token kept in the signed session, sent back in a hidden form field
  ``csrf_token`` or, for htmx requests, in the ``X-CSRF-Token`` header (OWASP CSRF cheat sheet).
* Password hashing (argon2id, 64 MiB and ~0.1–0.3 s of CPU each) is bounded per process by
  :class:`HashingLimit`, so that a burst of logins queues briefly and is then refused with 429
  instead of exhausting memory.

Example::

    >>> csrf_matches(new_csrf_token(), "forged")
    False
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from math import ceil
from typing import TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

from autoserum.errors import BusyError, Message
from autoserum.store import SharedSlots

T = TypeVar("T")

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "HashingLimit", "csrf_matches", "new_csrf_token"]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def new_csrf_token() -> str:
    """A new CSRF synchronizer token."""
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one sent."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class HashingLimit:
    """At most ``concurrent`` password hashings (argon2, 64 MiB each) at once in this process,
    and with ``shared`` (:class:`autoserum.store.SharedSlots` of the database) at once across
    every process of the database; up to ``queued`` more wait at most ``wait`` seconds for a
    turn; anything beyond, or waiting longer, gets :class:`BusyError` (HTTP 429 with
    ``Retry-After``). Thread-safe: the slot is taken in the worker thread that hashes.

    >>> limit = HashingLimit(concurrent=1, queued=0, wait=0.01)
    >>> with limit.slot():
    ...     try:
    ...         with limit.slot():
    ...             pass
    ...     except BusyError as err:
    ...         print(err.retry_after)
    1
    """

    def __init__(
        self, *, concurrent: int, queued: int, wait: float, shared: SharedSlots | None = None
    ) -> None:
        self.concurrent = concurrent
        self.queued = queued
        self.wait = wait
        #: the slots of every process on the database (``None``: this process only)
        self.shared = shared
        self._slots = threading.BoundedSemaphore(concurrent)
        self._mutex = threading.Lock()
        self._pending = 0
        self._admitted: RunVar[anyio.CapacityLimiter] = RunVar(f"hashing-{id(self)}")

    @property
    def pending(self) -> int:
        """Password checks hashing or waiting for a slot in this process now."""
        with self._mutex:
            return self._pending

    async def run(self, check: Callable[[], T]) -> T:
        """Run ``check`` (a login's password check, which takes its :meth:`slot`) in a thread
        of its own, not one of the request threads (``AUTOSERUM_REQUEST_THREADS``): a burst of
        logins waiting for a hashing slot never keeps other requests waiting. More than
        ``concurrent + queued`` at once in this event loop: :class:`BusyError` at once."""
        try:
            admitted = self._admitted.get()
        except LookupError:
            admitted = anyio.CapacityLimiter(self.concurrent + self.queued)
            self._admitted.set(admitted)
        try:
            admitted.acquire_nowait()
        except anyio.WouldBlock:
            raise self._busy() from None
        try:
            return await anyio.to_thread.run_sync(check, limiter=anyio.CapacityLimiter(1))
        finally:
            admitted.release()

    def _busy(self) -> BusyError:
        return BusyError(
            Message("password checks are at their limit"), retry_after=max(1, ceil(self.wait))
        )

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one hashing slot (queue for it, or raise :class:`BusyError`)."""
        with self._mutex:
            if self._pending >= self.concurrent + self.queued:
                raise self._busy()
            self._pending += 1
        try:
            deadline = time.monotonic() + self.wait
            if not self._slots.acquire(timeout=self.wait):
                raise self._busy()
            try:
                if self.shared is None:
                    yield
                else:
                    left = max(0.0, deadline - time.monotonic())
                    with self.shared.hold(wait=left) as got:
                        if not got:
                            raise self._busy()
                        yield
            finally:
                self._slots.release()
        finally:
            with self._mutex:
                self._pending -= 1
