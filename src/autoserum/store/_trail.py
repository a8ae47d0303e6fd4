"""Reading the audit trail (with arm-revealing values masked for blinded readers)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, Text, select, type_coerce
from sqlalchemy.orm import Session

from autoserum.errors import ValidationError
from autoserum.store import _chain
from autoserum.store._base import Actor, Service
from autoserum.store.models import AUDITED, AuditRow, StudyRow, SubjectRow
from autoserum.study.blinding import MASK

__all__ = ["ARM_REVEALING", "AuditRecord", "AuditService"]

logger = logging.getLogger("autoserum.store.audit")

_COLUMNS = (
    AuditRow.id,
    AuditRow.txn,
    type_coerce(AuditRow.at, String).label("at"),
    AuditRow.username,
    AuditRow.role,
    AuditRow.study_id,
    AuditRow.subject_pk,
    AuditRow.entity,
    AuditRow.record_id,
    AuditRow.action,
    AuditRow.field,
    type_coerce(AuditRow.old_value, Text).label("old_value"),
    type_coerce(AuditRow.new_value, Text).label("new_value"),
    AuditRow.reason,
)
"""The columns readers select, the timestamp as its stored text (parsed per row, so that one
malformed row is skipped with a warning instead of failing the whole read)."""

ARM_REVEALING: frozenset[tuple[str, str]] = frozenset(
    {
        ("subject", "arm"),
        ("subject", "allocation_id"),  # a position in the concealed list (issue 11 item 9)
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
            self._require(actor, "read_audit", study=st.name)
            masked = not actor.sees_arm(st)
            stmt = select(*_COLUMNS).where(AuditRow.study_id == st.id)
            if subject_id is not None:
                subject = self._subject(s, st, subject_id, actor, action="read_audit")
                stmt = stmt.where(AuditRow.subject_pk == subject.id)
            if entity is not None:
                stmt = stmt.where(AuditRow.entity == entity)
            if record_id is not None:
                stmt = stmt.where(AuditRow.record_id == record_id)
            rows = list(s.execute(stmt.order_by(AuditRow.id)))
            labels = self._labels(s, st.id)
            if actor.sites is not None:
                allowed = set(
                    s.scalars(select(SubjectRow.id).where(SubjectRow.study_id == st.id)).all()
                )
                allowed = {
                    pk
                    for pk in allowed
                    if actor.may("read_audit", study, self._subject_site(s, pk))
                }
                rows = [r for r in rows if r.subject_pk is None or r.subject_pk in allowed]
            return _decoded(rows, labels, masked=masked)

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

    def raw_rows(self, study: str | None = None) -> list[AuditRecord]:
        """Every audit record unmasked (for replay and the database owner), oldest first;
        malformed rows are skipped with a warning (``audit verify`` reports them)."""
        with self._read() as s:
            stmt = select(*_COLUMNS)
            if study is not None:
                stmt = stmt.where(AuditRow.study_id == self._study(s, study).id)
            labels = self._labels(s, None)
            return _decoded(s.execute(stmt.order_by(AuditRow.id)), labels, masked=False)

    def verify(
        self,
        study: str | None = None,
        *,
        key: bytes | None = None,
        anchors: Iterable[str] = (),
    ) -> _chain.Verification:
        """Recompute the audit hash chains (all, or ``study``'s) and check them against their
        heads, their HMACs (with ``key``) and head hashes exported earlier (``anchors``).

        The first broken link of each chain is reported with the row, the expected and the
        found hash; malformed rows are reported too. See :mod:`autoserum.store._chain`.
        """
        with self._read() as s:
            names: dict[int, str] = {
                int(r.id): str(r.name) for r in s.execute(select(StudyRow.id, StudyRow.name))
            }
            chains = None if study is None else [self._study(s, study).id]
            result = _chain.verify(s.connection(), chains=chains, key=key, anchors=anchors)
        result.chains = [dataclasses.replace(c, study=names.get(c.chain)) for c in result.chains]
        result.problems = [
            dataclasses.replace(p, study=names.get(p.chain)) for p in result.problems
        ]
        return result


def _decoded(rows: Iterable[Any], labels: dict[int, str], *, masked: bool) -> list[AuditRecord]:
    out: list[AuditRecord] = []
    for row in rows:
        try:
            out.append(_record(row, labels, masked=masked))
        except (TypeError, ValueError) as err:
            logger.warning("audit row %s is malformed and was skipped: %s", row.id, err)
    return out


def _record(row: Any, labels: dict[int, str], *, masked: bool) -> AuditRecord:
    at = datetime.strptime(row.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
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
        at=at,
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
