"""Reading the audit trail (with arm-revealing values masked for blinded readers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import ValidationError
from autoserum.store._base import Actor, Service
from autoserum.store.models import AUDITED, AuditRow, SubjectRow
from autoserum.study.blinding import MASK

__all__ = ["ARM_REVEALING", "AuditRecord", "AuditService"]

ARM_REVEALING: frozenset[tuple[str, str]] = frozenset(
    {
        ("subject", "arm"),
        ("study", "seed"),
        ("allocation_list", "seed"),
        ("allocation_list", "digest"),
        ("injection", "product"),
    }
)
"""(entity, field) pairs whose values would unblind a reader; masked for blinded actors."""


@dataclass(frozen=True)
class AuditRecord:
    """One audit row: ``old_value``/``new_value`` are the decoded JSON values."""

    id: int
    txn: str
    at: datetime
    username: str
    role: str
    entity: str
    record_id: int
    action: str
    field: str | None
    old_value: Any
    new_value: Any
    reason: str | None
    subject_id: str | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``at`` as ISO 8601 UTC)."""
        out = dict(vars(self))
        out["at"] = self.at.isoformat().replace("+00:00", "Z")
        return out


def _mask_record(entity: str, value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {
        k: (MASK if (entity, k) in ARM_REVEALING and v is not None else v) for k, v in value.items()
    }


class AuditService(Service):
    """``store.audit``: the audit trail of a study."""

    def trail(
        self,
        study: str,
        *,
        actor: Actor,
        subject_id: str | None = None,
        entity: str | None = None,
        record_id: int | None = None,
    ) -> list[AuditRecord]:
        """The study's audit records ``actor`` may read, oldest first, optionally narrowed.

        Arm-revealing values (arm, allocation seed, injected product) are masked as
        ``"blinded"`` unless ``actor`` may see the study's arms; records of subjects outside the
        actor's sites are left out.
        """
        if entity is not None and entity not in AUDITED:
            raise ValidationError("entity", entity, f"one of {', '.join(sorted(AUDITED))}")
        with self._read() as s:
            st = self._study(s, study)
            masked = not actor.sees_arm(st)
            stmt = select(AuditRow).where(AuditRow.study_id == st.id)
            if subject_id is not None:
                subject = self._subject(s, st, subject_id, actor)
                stmt = stmt.where(AuditRow.subject_pk == subject.id)
            if entity is not None:
                stmt = stmt.where(AuditRow.entity == entity)
            if record_id is not None:
                stmt = stmt.where(AuditRow.record_id == record_id)
            rows = s.scalars(stmt.order_by(AuditRow.id)).all()
            labels = self._labels(s, st.id)
            if actor.sites is not None:
                allowed = set(
                    s.scalars(select(SubjectRow.id).where(SubjectRow.study_id == st.id)).all()
                )
                allowed = {
                    pk for pk in allowed if actor.may_access_site(study, self._subject_site(s, pk))
                }
                rows = [r for r in rows if r.subject_pk is None or r.subject_pk in allowed]
            return [self._record(r, labels, masked=masked) for r in rows]

    @staticmethod
    def _labels(s: Session, study_id: int | None) -> dict[int, str]:
        stmt = select(SubjectRow.id, SubjectRow.subject_id)
        if study_id is not None:
            stmt = stmt.where(SubjectRow.study_id == study_id)
        return {row.id: row.subject_id for row in s.execute(stmt)}

    def _subject_site(self, s: Session, subject_pk: int) -> str:
        subject = s.get(SubjectRow, subject_pk)
        assert subject is not None  # foreign key
        return self._site_code(s, subject.site_id)

    @staticmethod
    def _record(row: AuditRow, labels: dict[int, str], *, masked: bool) -> AuditRecord:
        old = None if row.old_value is None else json.loads(row.old_value)
        new = None if row.new_value is None else json.loads(row.new_value)
        if masked:
            if row.field is None:
                old = _mask_record(row.entity, old)
            elif (row.entity, row.field) in ARM_REVEALING:
                old = None if old is None else MASK
                new = None if new is None else MASK
        return AuditRecord(
            id=row.id,
            txn=row.txn,
            at=row.at,
            username=row.username,
            role=row.role,
            entity=row.entity,
            record_id=row.record_id,
            action=row.action,
            field=row.field,
            old_value=old,
            new_value=new,
            reason=row.reason,
            subject_id=None if row.subject_pk is None else labels.get(row.subject_pk),
        )

    def raw_rows(self, study: str | None = None) -> list[AuditRecord]:
        """Every audit record unmasked (for replay and the database owner), oldest first."""
        with self._read() as s:
            stmt = select(AuditRow)
            if study is not None:
                stmt = stmt.where(AuditRow.study_id == self._study(s, study).id)
            labels = self._labels(s, None)
            return [
                self._record(r, labels, masked=False) for r in s.scalars(stmt.order_by(AuditRow.id))
            ]
