"""The review hook: before a write transaction of the store commits, what it changed of the
subjects' data (noted by the audit hooks, :func:`autoserum.store._audit.touch`) is followed up
in the same transaction, whatever the write path (a correction, a deletion, an answer to a
query, an import):

1. the verification of every verified record it changed is cleared (:func:`_sdv.clear_changed`);
2. every signature whose content it changed is invalidated (:func:`_signatures.invalidate_touched`);
3. the automatic checks run for the subjects it touched (at most :data:`CHECKED_PER_WRITE`
   per transaction: a bulk import is checked with ``autoserum checks run``) and raise a query
   per new finding (:func:`_checks.check_subjects`).

Every follow-up is audited like the write itself (the clearing and invalidation with the
write's reason; the queries as written by ``system:check:<rule>``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, defer

from autoserum.store._audit import AuditContext, AuditedSession
from autoserum.store._checks import check_subjects
from autoserum.store._sdv import clear_changed
from autoserum.store._signatures import invalidate_touched, touched_signatures_exist
from autoserum.store.models import StudyRow, SubjectRow

__all__ = ["CHECKED_PER_WRITE"]

CHECKED_PER_WRITE = 20
"""The most subjects a write transaction checks on its own (more: a bulk write)."""

#: entities the automatic checks read (a write of another touches no rule)
_CHECKED = frozenset({"visit", "assessment", "lab", "adverse_event", "consent", "deviation"})
_SUBJECTS_AND_STUDY = (  # built once
    select(SubjectRow, StudyRow, touched_signatures_exist().label("signed"))
    .join(StudyRow, StudyRow.id == SubjectRow.study_id)
    .where(SubjectRow.id.in_(bindparam("pks", expanding=True)))
    # the study's documents are read only if its protocol is not cached (``uow.versions``)
    .options(defer(StudyRow.protocol), defer(StudyRow.column_order), defer(StudyRow.stratify_by))
)


def _before_commit(session: Session) -> None:
    if not session.info.get("touched"):
        return
    session.flush()
    touched: dict[int, Any] = session.info.pop("touched", {})
    ctx = session.info.get("audit")
    if not isinstance(ctx, AuditContext):  # pragma: no cover - refused at the flush already
        return
    why = ctx.reason or "data changed"
    if not ctx.reason:
        session.info["audit"] = AuditContext(ctx.username, ctx.role, why, ctx.at, ctx.txn)
    uow = session.info.get("uow")
    for study_id, (subjects, visits, changed) in touched.items():
        clear_changed(session, study_id, changed, f"record changed: {why}")
        checked = [pk for pk, entities in subjects.items() if entities & _CHECKED]
        found: list[Any] = []
        if uow is not None and checked and len(checked) <= CHECKED_PER_WRITE:
            # the subjects, their study and whether a valid signature covers what the write
            # touched: one statement
            found = list(
                session.execute(
                    _SUBJECTS_AND_STUDY,
                    {
                        "pks": checked,
                        "study": study_id,
                        "subjects": list(subjects),
                        "visits": list(visits),
                    },
                )
            )
        if not found or found[0].signed:  # (no signature: nothing to invalidate, not read)
            invalidate_touched(
                session, study_id, subjects, visits, f"signed content changed: {why}"
            )
        if found and uow is not None:
            rows = [row[0] for row in found]
            check_subjects(session, uow.versions(found[0][1]), rows, today=uow.clock())
    session.flush()
    session.info.pop("touched", None)
    session.info["audit"] = ctx


# inserted first: before the audit's own before_commit hook (``_audit.write_pending``), which
# chains and inserts the audit rows of the whole transaction, the review's included
event.listen(AuditedSession, "before_commit", _before_commit, insert=True)
