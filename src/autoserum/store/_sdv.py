"""Source-data verification in the store (``store.sdv``): a monitor marks a record verified
(audited, with the version verified); the study's SDV plan (the protocol's ``[monitoring]``)
says which records need it; progress per site and subject. A later change to a verified record
clears its verification in the same transaction (:func:`clear_changed`, called by the review
hook, ``store/_review.py``). Rules: :mod:`autoserum.study.sdv`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, StateError, ValidationError
from autoserum.protocols import Protocol
from autoserum.store._base import Actor, Service
from autoserum.store._reviewed import CONTENT, record_not_found, study_record
from autoserum.store._subjects import subject_by_pk
from autoserum.store._types import utcnow
from autoserum.store.models import AssessmentRow, SiteRow, StudyRow, SubjectRow, VerificationRow
from autoserum.study.sdv import SDV_ENTITIES, SdvPlan, SdvProgress, needs_sdv

__all__ = ["SdvService", "clear_changed", "plan_of"]


def plan_of(protocol: Protocol) -> SdvPlan:
    """The study's SDV plan, from its protocol's monitoring section."""
    m = protocol.monitoring
    return SdvPlan(m.sdv_plan, tuple(m.sdv_targets))


def clear_changed(s: Session, study_id: int, changed: Iterable[tuple[str, int]], why: str) -> int:
    """Clear the active verifications of the records ``changed`` (entity, id) in this write
    transaction; the number cleared."""
    keys = list(changed)
    if not keys:
        return 0
    rows = s.scalars(
        select(VerificationRow).where(
            VerificationRow.study_id == study_id,
            VerificationRow.cleared_at.is_(None),
            tuple_(VerificationRow.entity, VerificationRow.record_id).in_(keys),
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.cleared_at = now
        row.cleared_reason = why
    return len(rows)


def _verification(row: VerificationRow, subject_id: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "subject_id": subject_id,
        "entity": row.entity,
        "record_id": row.record_id,
        "record_version": row.record_version,
        "verified_by": row.verified_by,
        "verified_at": row.verified_at.isoformat(),
        "cleared_at": None if row.cleared_at is None else row.cleared_at.isoformat(),
        "cleared_reason": row.cleared_reason,
        "active": row.cleared_at is None,
    }


class SdvService(Service):
    """``store.sdv``: verify records, list verifications, SDV progress."""

    def verify(self, study: str, entity: str, record_id: int, *, actor: Actor) -> dict[str, Any]:
        """Mark record ``entity`` ``record_id`` verified against the source (monitor)."""
        if entity not in SDV_ENTITIES:
            raise ValidationError(
                "entity", entity, Expected("one of %(values)s", values=", ".join(SDV_ENTITIES))
            )
        self._require(actor, "verify_source", study=study)
        with self._write(actor, "source-data verification") as s:
            st = self._study(s, study)
            record = study_record(s, st, entity, record_id)
            subject = (
                record if isinstance(record, SubjectRow) else subject_by_pk(s, record.subject_pk)
            )
            if not actor.may("verify_source", st.name, self._site_code(s, subject.site_id)):
                raise record_not_found(entity, record_id, study)
            active = s.scalar(
                select(VerificationRow.id).where(
                    VerificationRow.entity == entity,
                    VerificationRow.record_id == record.id,
                    VerificationRow.cleared_at.is_(None),
                )
            )
            if active is not None:
                raise StateError(
                    Message(
                        "%(entity)s %(record_id)s is verified already (verification %(active)s)",
                        entity=entity,
                        record_id=record_id,
                        active=active,
                    )
                )
            row = VerificationRow(
                study_id=st.id,
                subject_pk=subject.id,
                entity=entity,
                record_id=record.id,
                record_version=record.version,
                verified_by=actor.username,
                verified_at=utcnow(),
                version=1,
            )
            s.add(row)
            s.flush()
            return _verification(row, subject.subject_id)

    def verifications(
        self, study: str, *, actor: Actor, subject_id: str | None = None, active: bool = True
    ) -> list[dict[str, Any]]:
        """The verifications at the actor's sites (``active``: only those still holding)."""
        self._require(actor, "read_subject", study=study)
        with self._read() as s:
            st = self._study(s, study)
            stmt = (
                select(VerificationRow, SubjectRow.subject_id, SiteRow.code)
                .join(SubjectRow, SubjectRow.id == VerificationRow.subject_pk)
                .join(SiteRow, SiteRow.id == SubjectRow.site_id)
                .where(VerificationRow.study_id == st.id)
                .order_by(VerificationRow.id)
            )
            if active:
                stmt = stmt.where(VerificationRow.cleared_at.is_(None))
            if subject_id is not None:
                stmt = stmt.where(SubjectRow.subject_id == subject_id)
            return [
                _verification(row, sid)
                for row, sid, code in s.execute(stmt)
                if actor.may("read_subject", st.name, code)
            ]

    def progress(self, study: str, *, actor: Actor) -> dict[str, Any]:
        """SDV progress under the study's plan: per site and per subject, the records the plan
        requires and how many hold an active verification."""
        self._require(actor, "read_subject", study=study)
        with self._read() as s:
            st = self._study(s, study)
            protocol = self._protocol(st)
            plan = plan_of(protocol)
            primary = str(protocol.primary_endpoint.value or "")
            required = self._required(s, st, plan, primary)
            verified = {
                (e, r)
                for e, r in s.execute(
                    select(VerificationRow.entity, VerificationRow.record_id).where(
                        VerificationRow.study_id == st.id, VerificationRow.cleared_at.is_(None)
                    )
                )
            }
            subjects: dict[int, tuple[str, str]] = {
                pk: (sid, code)
                for pk, sid, code in s.execute(
                    select(SubjectRow.id, SubjectRow.subject_id, SiteRow.code)
                    .join(SiteRow, SiteRow.id == SubjectRow.site_id)
                    .where(SubjectRow.study_id == st.id)
                )
                if actor.may("read_subject", st.name, code)
            }
        per_subject: dict[int, list[int]] = {pk: [0, 0] for pk in subjects}
        for pk, key in required:
            if pk in per_subject:
                per_subject[pk][0] += 1
                per_subject[pk][1] += key in verified
        rows = [
            SdvProgress(subjects[pk][1], subjects[pk][0], required=n, verified=v)
            for pk, (n, v) in per_subject.items()
        ]
        sites: dict[str, list[int]] = {}
        for r in rows:
            sites.setdefault(r.site, [0, 0])
            sites[r.site][0] += r.required
            sites[r.site][1] += r.verified
        return {
            "plan": plan.kind,
            "targets": list(plan.targets) if plan.kind == "targeted" else [],
            "sites": [
                SdvProgress(code, None, required=n, verified=v).to_dict()
                for code, (n, v) in sorted(sites.items())
            ],
            "subjects": [
                r.to_dict() for r in sorted(rows, key=lambda r: (r.site, r.subject_id or ""))
            ],
        }

    @staticmethod
    def _required(
        s: Session, st: StudyRow, plan: SdvPlan, primary: str
    ) -> list[tuple[int, tuple[str, int]]]:
        """(subject record id, (entity, record id)) of every record the plan requires."""
        out: list[tuple[int, tuple[str, int]]] = []
        for entity in SDV_ENTITIES:
            if entity not in CONTENT or not (
                needs_sdv(plan, entity)
                or (
                    entity == "assessment"
                    and needs_sdv(plan, entity, instrument=primary, primary=primary)
                )
            ):
                continue
            model = CONTENT[entity]
            if model is SubjectRow:
                stmt = select(SubjectRow.id, SubjectRow.id).where(SubjectRow.study_id == st.id)
            elif model is AssessmentRow and not needs_sdv(plan, entity):
                stmt = select(AssessmentRow.subject_pk, AssessmentRow.id).where(
                    AssessmentRow.study_id == st.id, AssessmentRow.instrument == primary
                )
            else:
                stmt = select(model.subject_pk, model.id).where(model.study_id == st.id)
            out += [(pk, (entity, rid)) for pk, rid in s.execute(stmt)]
        return out
