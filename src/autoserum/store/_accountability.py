"""The product's accountability, read from the store for the report: per allocated subject
the draws, aliquots, kits and injections given against the protocol's planned injections, and
every refused injection (audited) with the kind of its refusal. Injections given are counted as
the protocol plans them, one per day: the injections of one acupoint sitting (one record per
point and side) count once.

The arm is shown to actors who see arms and ``"blinded"`` to others (a blinded report pools the
arms). A blinded reader gets only what is arm-neutral: kits, injections given against planned,
and refusals as one count (each refusal's ``kind`` is ``"blinded"``); the draws and aliquots
(records only an active arm has: the registry's ``masked_for_blinded`` record types) are null,
since their mere count tells the arm. Subjects outside the actor's ``read_study`` reach are
left out.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autoserum.store.models import (
    AliquotRow,
    AuditRow,
    BloodDrawRow,
    InjectionRow,
    PreparationRow,
    SiteRow,
    StudyRow,
    SubjectRow,
)
from autoserum.study.aliquots import refusal_kind
from autoserum.study.blinding import MASK

__all__ = ["ACCOUNT_SCHEMA", "REFUSAL_SCHEMA", "accountability"]

ACCOUNT_SCHEMA: dict[str, Any] = {
    "subject_id": pl.String,
    "arm": pl.String,
    "draws": pl.Int64,
    "aliquots": pl.Int64,
    "kits": pl.Int64,
    "injections_given": pl.Int64,
    "injections_planned": pl.Int64,
}
"""One row per allocated subject."""
REFUSAL_SCHEMA: dict[str, Any] = {"subject_id": pl.String, "arm": pl.String, "kind": pl.String}
"""One row per refused injection."""


def _counts(s: Session, model: Any, study_id: int) -> Counter[int]:
    rows = s.execute(
        select(model.subject_pk, func.count())
        .where(model.study_id == study_id)
        .group_by(model.subject_pk)
    ).all()
    return Counter({pk: int(n) for pk, n in rows})


def _sittings(s: Session, study_id: int) -> Counter[int]:
    """Injections given per subject, as the protocol plans them: one per day (an acupoint
    sitting records one injection per point and side, on one day)."""
    rows = s.execute(
        select(InjectionRow.subject_pk, func.count(func.distinct(InjectionRow.given_on)))
        .where(InjectionRow.study_id == study_id)
        .group_by(InjectionRow.subject_pk)
    ).all()
    return Counter({pk: int(n) for pk, n in rows})


def accountability(
    s: Session, st: StudyRow, *, planned: int, sees_arm: bool, reach: Any
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(subjects, refusals) of ``st`` (see the module docstring); ``reach(site_code)`` says
    whether the actor reaches a site; ``planned`` is the protocol's number of injections."""
    subjects = {
        row.id: row
        for row, site in s.execute(
            select(SubjectRow, SiteRow.code)
            .join(SiteRow, SiteRow.id == SubjectRow.site_id)
            .where(SubjectRow.study_id == st.id, SubjectRow.arm.is_not(None))
            .order_by(SubjectRow.subject_id)
        )
        if reach(site)
    }
    draws = _counts(s, BloodDrawRow, st.id)
    aliquots = _counts(s, AliquotRow, st.id)
    kits = _counts(s, PreparationRow, st.id)
    given = _sittings(s, st.id)

    def arm(row: SubjectRow) -> str:
        return str(row.arm) if sees_arm else MASK

    rows = [
        {
            "subject_id": row.subject_id,
            "arm": arm(row),
            "draws": draws[pk] if sees_arm else None,
            "aliquots": aliquots[pk] if sees_arm else None,
            "kits": kits[pk],
            "injections_given": given[pk],
            "injections_planned": planned,
        }
        for pk, row in subjects.items()
    ]
    refused = s.execute(
        select(AuditRow.subject_pk, AuditRow.reason)
        .where(
            AuditRow.study_id == st.id,
            AuditRow.entity == "injection",
            AuditRow.action == "refused",
        )
        .order_by(AuditRow.id)
    ).all()
    # the kind of a refusal (a draw-to-injection time, a kit refused for its source: an active
    # arm's product) is not told to a blinded reader: the refusals are one count
    refusals = [
        {
            "subject_id": subjects[pk].subject_id,
            "arm": arm(subjects[pk]),
            "kind": refusal_kind(reason or "") if sees_arm else MASK,
        }
        for pk, reason in refused
        if pk in subjects
    ]
    return (
        pl.DataFrame(rows, schema=ACCOUNT_SCHEMA, orient="row"),
        pl.DataFrame(refusals, schema=REFUSAL_SCHEMA, orient="row"),
    )
