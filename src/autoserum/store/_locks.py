"""Locks in the store (``store.locks``): record, visit, subject and database locks with a
reason, the audited unlock by an administrator, the database lock's manifest, and
:func:`require_unlocked`, the gate every writer calls (rule:
:func:`autoserum.study.locks.check_unlocked`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from autoserum.errors import (
    ConflictError,
    Expected,
    Message,
    NotFoundError,
    StateError,
    ValidationError,
)
from autoserum.store import _chain
from autoserum.store._base import Actor, Service
from autoserum.store._reviewed import record_not_found
from autoserum.store._types import utcnow
from autoserum.store.models import (
    AUDITED,
    AllocationListRow,
    AuditHeadRow,
    LockRow,
    StudyRow,
    VisitRow,
)
from autoserum.study.consent import check_sha256
from autoserum.study.locks import Lock, Target, check_level, check_unlocked
from autoserum.study.rules import NOTE_MAX, bounded_text

__all__ = ["LockService", "active_locks", "require_unlocked"]


def _lock(row: LockRow, subject_id: str | None = None) -> Lock:
    return Lock(
        id=row.id,
        level=row.level,
        reason=row.reason,
        subject_pk=row.subject_pk,
        visit_id=row.visit_id,
        entity=row.entity,
        record_id=row.record_id,
        locked_by=row.locked_by,
        subject_id=subject_id,
        locked_at=row.locked_at,
        unlocked_at=row.unlocked_at,
        manifest=dict(row.manifest or {}),
    )


def active_locks(s: Session, study_id: int) -> list[Lock]:
    """The study's active locks."""
    rows = s.scalars(
        select(LockRow).where(LockRow.study_id == study_id, LockRow.unlocked_at.is_(None))
    )
    return [_lock(r) for r in rows]


def require_unlocked(s: Session, study: StudyRow, target: Target, *, what: str | Message) -> None:
    """Refuse (:class:`StateError`) to ``what`` while a lock covers ``target``; called inside
    the writer's transaction, so nothing is written when it refuses."""
    locks = active_locks(s, study.id)
    if locks:
        check_unlocked(locks, target, what=what)


def target_of(row: Any) -> Target:
    """The lock target of a stored record (its subject, its visit, itself)."""
    entity = type(row).__entity__
    visit_id = row.id if entity == "visit" else getattr(row, "visit_id", None)
    return Target(
        subject_pk=getattr(row, "subject_pk", None),
        visit_id=visit_id,
        entity=entity,
        record_id=row.id,
    )


class LockService(Service):
    """``store.locks``: lock and unlock records, visits, subjects and the study."""

    def lock(
        self,
        study: str,
        level: str,
        *,
        actor: Actor,
        reason: str,
        subject_id: str | None = None,
        visit_code: str | None = None,
        entity: str | None = None,
        record_id: int | None = None,
        sap_sha256: str | None = None,
    ) -> Lock:
        """Lock ``level`` (record, visit, subject or study) with a reason.

        ``subject``: needs ``subject_id``; ``visit``: ``subject_id`` and ``visit_code``;
        ``record``: ``entity`` and ``record_id``. A **database lock** (``study``, admin only)
        verifies the study's audit chain and records its manifest: the chain's head and
        length, ``sap_sha256`` (the analysis plan's hash, when the analysis follows a SAP
        file) and the digests of the concealed allocation lists.
        """
        check_level(level)
        action = "lock_database" if level == "study" else "lock"
        self._require(actor, action, study=study)
        why = bounded_text("reason", reason, limit=NOTE_MAX)
        sap = None if sap_sha256 is None else check_sha256("sap_sha256", sap_sha256)
        verified = self._verified_head(study) if level == "study" else None
        with self._write(actor, why) as s:
            st = self._study(s, study)
            row = LockRow(
                study_id=st.id,
                level=level,
                reason=why,
                locked_by=actor.username,
                locked_at=utcnow(),
                version=1,
            )
            if level in {"subject", "visit"}:
                if subject_id is None:
                    raise ValidationError(
                        "subject_id", None, Expected("the subject of the %(level)s", level=level)
                    )
                subject = self._subject(s, st, subject_id, actor, action=action)
                row.subject_pk = subject.id
                if level == "visit":
                    visit = s.scalar(
                        select(VisitRow).where(
                            VisitRow.subject_pk == subject.id, VisitRow.visit_code == visit_code
                        )
                    )
                    if visit is None:
                        raise ValidationError(
                            "visit_code",
                            visit_code,
                            Expected("a recorded visit of %(subject_id)s", subject_id=subject_id),
                        )
                    row.visit_id = visit.id
            elif level == "record":
                model = AUDITED.get(entity or "")
                if model is None or not hasattr(model, "subject_pk"):
                    raise ValidationError("entity", entity, Expected("a record type of a subject"))
                record = s.get(model, record_id) if isinstance(record_id, int) else None
                if record is None or record.study_id != st.id or self._hidden(st, entity, actor):
                    raise record_not_found(entity, record_id, study)
                self._subject(s, st, self._subject_id(s, record.subject_pk), actor, action=action)
                row.subject_pk, row.entity, row.record_id = record.subject_pk, entity, record.id
            current = active_locks(s, st.id)
            if any(lk.level == "study" for lk in current):
                raise StateError(
                    Message("study %(study)s is locked already (database lock)", study=repr(study))
                )
            if verified is not None:
                row.manifest = self._manifest(s, st, sap, verified)
            s.add(row)
            s.flush()
            return _lock(row)

    @staticmethod
    def _hidden(st: StudyRow, entity: str | None, actor: Actor) -> bool:
        """Whether a record of type ``entity`` is hidden from ``actor``: one of the product
        chain (its presence tells the arm) to a blinded actor, who may not lock it (answered
        as a missing record, as :meth:`visible` shows them no lock on one)."""
        if actor.sees_arm(st):
            return False
        from autoserum.store._trail import UNBLINDED_ONLY  # here: _trail imports us

        return entity in UNBLINDED_ONLY

    def unlock(self, study: str, lock_id: int, *, actor: Actor, reason: str) -> Lock:
        """Lift a lock (admin, with a reason; audited)."""
        self._require(actor, "lock_database", study=study)
        why = bounded_text("reason", reason, limit=NOTE_MAX)
        with self._write(actor, why) as s:
            st = self._study(s, study)
            row = s.get(LockRow, lock_id)
            if row is None or row.study_id != st.id:
                raise NotFoundError(
                    Message(
                        "no lock %(lock_id)s in study %(study)s", lock_id=lock_id, study=repr(study)
                    )
                )
            if row.unlocked_at is not None:
                raise StateError(Message("lock %(lock_id)s is lifted already", lock_id=lock_id))
            row.unlocked_at = utcnow()
            row.unlocked_by = actor.username
            row.unlock_reason = why
            s.flush()
            return _lock(row)

    def locks(self, study: str, *, active: bool = False) -> list[Lock]:
        """The study's locks, oldest first (``active``: only those still holding)."""
        with self._read() as s:
            st = self._study(s, study)
            stmt = select(LockRow).where(LockRow.study_id == st.id).order_by(LockRow.id)
            if active:
                stmt = stmt.where(LockRow.unlocked_at.is_(None))
            return [_lock(r) for r in s.scalars(stmt)]

    def visible(self, study: str, *, actor: Actor) -> list[Lock]:
        """The study's locks (active and lifted, oldest first) as ``actor`` may see them: the
        database locks, and the locks of subjects at the actor's sites, with the subject's
        identifier; to a blinded actor, none on a record of the product chain."""
        from autoserum.store.models import SubjectRow

        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_subject", study=st.name)
            stmt = (
                select(LockRow, SubjectRow)
                .outerjoin(SubjectRow, SubjectRow.id == LockRow.subject_pk)
                .where(LockRow.study_id == st.id)
                .order_by(LockRow.id)
            )
            if not actor.sees_arm(st):  # not on a record whose presence tells the arm
                from autoserum.store._trail import UNBLINDED_ONLY  # here: _trail imports us

                stmt = stmt.where(
                    or_(LockRow.entity.is_(None), LockRow.entity.not_in(UNBLINDED_ONLY))
                )
            out = []
            for row, subject in s.execute(stmt):
                if subject is not None and not actor.may(
                    "read_subject", st.name, self._site_code(s, subject.site_id)
                ):
                    continue
                out.append(_lock(row, None if subject is None else subject.subject_id))
            return out

    def database_lock(self, study: str) -> Lock | None:
        """The study's active database lock (with its manifest), or ``None``."""
        found = [lk for lk in self.locks(study, active=True) if lk.level == "study"]
        return found[0] if found else None

    @staticmethod
    def _subject_id(s: Session, subject_pk: int) -> str:
        from autoserum.store.models import SubjectRow

        subject = s.get(SubjectRow, subject_pk)
        if subject is None:  # pragma: no cover - foreign key
            raise NotFoundError(Message("no subject with id %(subject_pk)s", subject_pk=subject_pk))
        return str(subject.subject_id)

    def _verified_head(self, study: str) -> tuple[int, str]:
        """The study's audit chain recomputed and verified: ``(length, head hash)``."""
        with self._read() as s:
            st = self._study(s, study)
            checked = _chain.verify(s.connection(), chains=[st.id], key=_chain.audit_key())
        if not checked.ok:
            first = checked.problems[0]
            raise StateError(
                Message(
                    "the audit chain of study %(study)s does not verify "
                    "(%(kind)s at row %(row)s): the database cannot be locked; "
                    "run autoserum audit verify",
                    study=repr(study),
                    kind=first.kind,
                    row=first.row,
                )
            )
        chain = next((c for c in checked.chains if c.chain == st.id), None)
        return (0, _chain.GENESIS) if chain is None else (chain.length, chain.head_hash)

    @staticmethod
    def _manifest(
        s: Session, st: StudyRow, sap: str | None, verified: tuple[int, str]
    ) -> dict[str, Any]:
        head = s.scalar(select(AuditHeadRow).where(AuditHeadRow.chain == st.id))
        current = (0, _chain.GENESIS) if head is None else (int(head.length), head.head_hash)
        if current != verified:
            raise ConflictError(
                Message("data were written while the database lock was being prepared; lock again")
            )
        lists = s.scalars(
            select(AllocationListRow)
            .where(AllocationListRow.study_id == st.id)
            .order_by(AllocationListRow.stratum)
        )
        return {
            "audit_chain": {"length": verified[0], "head_hash": verified[1], "verified": True},
            "sap_sha256": sap,
            "allocation_lists": {r.stratum: r.digest for r in lists},
        }
