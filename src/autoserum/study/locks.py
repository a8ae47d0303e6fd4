"""Locks on recorded data (ICH E6(R3) 4.2 / 21 CFR 11.10): a record, a visit, a subject or the
whole study (the **database lock**) is locked with a reason; locked data cannot change until an
administrator unlocks it, with a reason (both audited).

What a lock covers:

- ``study``: every write to the study's subjects and records, and new subjects;
- ``subject``: every write to that subject and its records;
- ``visit``: the visit and every record made at it (assessments, labs, injections and
  deviations linked to it);
- ``record``: that one record.

The database lock also freezes what the analysis will rest on, in its **manifest**: the head of
the study's audit hash chain, the SHA-256 of the statistical analysis plan and the digests of
the concealed allocation lists.

>>> locks = [Lock(1, "subject", subject_pk=7, reason="casebook reviewed")]
>>> blocking_lock(locks, Target(subject_pk=7, entity="visit", record_id=3)).reason
'casebook reviewed'
>>> blocking_lock(locks, Target(subject_pk=8)) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from autoserum.errors import Expected, Message, StateError, ValidationError

__all__ = [
    "LEVELS",
    "Lock",
    "Target",
    "blocking_lock",
    "check_level",
    "check_unlocked",
    "require_database_lock",
]

#: Lock levels, from the narrowest to the whole study.
LEVELS: Final[tuple[str, ...]] = ("record", "visit", "subject", "study")


@dataclass(frozen=True)
class Lock:
    """An active or lifted lock: its level and what it covers (ids of the store)."""

    id: int
    level: str
    reason: str
    subject_pk: int | None = None
    visit_id: int | None = None
    entity: str | None = None
    record_id: int | None = None
    locked_by: str = ""
    subject_id: str | None = None
    locked_at: datetime | None = None
    unlocked_at: datetime | None = None
    manifest: Mapping[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Whether the lock still holds."""
        return self.unlocked_at is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids of the store; the manifest of a database lock)."""
        return {
            "id": self.id,
            "level": self.level,
            "reason": self.reason,
            "subject_id": self.subject_id,
            "entity": self.entity,
            "record_id": self.record_id,
            "locked_by": self.locked_by,
            "locked_at": None if self.locked_at is None else self.locked_at.isoformat(),
            "unlocked_at": None if self.unlocked_at is None else self.unlocked_at.isoformat(),
            "active": self.active,
            "manifest": dict(self.manifest),
        }


@dataclass(frozen=True)
class Target:
    """What a write touches: the subject, the visit it belongs to and the record itself
    (all optional: a new subject touches only the study)."""

    subject_pk: int | None = None
    visit_id: int | None = None
    entity: str | None = None
    record_id: int | None = None


def check_level(level: Any) -> str:
    """One of :data:`LEVELS`."""
    if level not in LEVELS:
        raise ValidationError(
            "level", level, Expected("one of %(values)s", values=", ".join(LEVELS))
        )
    return str(level)


def _covers(lock: Lock, target: Target) -> bool:
    if lock.level == "study":
        return True
    if lock.level == "subject":
        return target.subject_pk is not None and lock.subject_pk == target.subject_pk
    if lock.level == "visit":
        own = target.entity == "visit" and target.record_id == lock.visit_id
        return own or (target.visit_id is not None and target.visit_id == lock.visit_id)
    return (target.entity, target.record_id) == (lock.entity, lock.record_id)


def blocking_lock(locks: Iterable[Lock], target: Target) -> Lock | None:
    """The widest active lock covering ``target``, or ``None``."""
    covering = [lk for lk in locks if lk.active and _covers(lk, target)]
    if not covering:
        return None
    return max(covering, key=lambda lk: LEVELS.index(lk.level))


#: What a lock of each level covers, in the refusal's message.
_SCOPES: Final = {
    "study": Message("the study (database lock)"),
    "subject": Message("this subject"),
    "visit": Message("this visit"),
    "record": Message("this record"),
}


def check_unlocked(locks: Iterable[Lock], target: Target, *, what: str | Message) -> None:
    """Refuse (:class:`StateError`) to ``what`` while a lock covers ``target``."""
    lock = blocking_lock(locks, target)
    if lock is not None:
        scope = _SCOPES.get(lock.level) or Message("this %(level)s", level=lock.level)
        raise StateError(
            Message(
                "cannot %(what)s: %(scope)s is locked (lock %(id)s: "
                "%(reason)s); an administrator must unlock it first, with a "
                "reason",
                what=what,
                scope=scope,
                id=lock.id,
                reason=lock.reason,
            )
        )


def require_database_lock(study: str, lock: Lock | None, *, open_label: bool) -> None:
    """Refuse (:class:`StateError`) to unblind the whole of a blinded ``study`` for analysis
    while it has no database lock (ICH E9 5.1: the data are final before the blind is broken);
    an open-label study has no blind to break.

    >>> require_database_lock("A", None, open_label=True)
    >>> require_database_lock("A", None, open_label=False)
    Traceback (most recent call last):
    ...
    autoserum.errors.StateError: study 'A' is blinded and its database is not locked: ...
    """
    if open_label or (lock is not None and lock.active and lock.level == "study"):
        return
    raise StateError(
        Message(
            "study %(study)s is blinded and its database is not locked: "
            "unblinding the whole study for analysis needs the database "
            "lock first (autoserum study lock %(study2)s --reason ...; "
            "or the study's Locks page); a DSMB report (--dsmb) is the "
            "only unblinded look before it",
            study=repr(study),
            study2=study,
        )
    )
