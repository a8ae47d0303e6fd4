"""The self-reported entries in the tidy export and as visit values for analysis.

A diary instrument's visit value is its weekly mean, derived by the rule the instrument
declares (:attr:`autoserum.instruments.Instrument.diary`: the mean of the 7 days ending on the
visit date, at least 4 present) when no one recorded the instrument at the visit; a visit
questionnaire the patient filled in is the visit's value the same way. The export's
``<stem>.pro.csv`` (:data:`autoserum.study.tidy.PRO_SCHEMA`) carries every raw entry and the
derived weekly rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.instruments import get_instrument
from autoserum.store.models import ProEntryRow, VisitRow

__all__ = ["entries_by_subject", "pro_rows", "visit_values"]


def entries_by_subject(s: Session, study_id: int) -> dict[int, list[ProEntryRow]]:
    """The study's self-reported entries per subject record id, by day."""
    out: dict[int, list[ProEntryRow]] = {}
    stmt = select(ProEntryRow).where(ProEntryRow.study_id == study_id)
    for row in s.scalars(stmt.order_by(ProEntryRow.slot, ProEntryRow.id)):
        out.setdefault(row.subject_pk, []).append(row)
    return out


def _daily(rows: Iterable[ProEntryRow], instrument: str) -> dict[date, Fraction | None]:
    return {
        r.slot: None if r.total is None else Fraction(r.total)
        for r in rows
        if r.instrument == instrument and r.frequency == "daily"
    }


def _diaries(rows: list[ProEntryRow]) -> list[str]:
    return sorted({r.instrument for r in rows if r.frequency == "daily"})


def visit_values(rows: list[ProEntryRow], visit: VisitRow) -> dict[str, float]:
    """The visit values the patient's entries give ``visit``: the weekly mean of each diary
    instrument ending on the visit date (when derivable) and each visit questionnaire."""
    out: dict[str, float] = {}
    for r in rows:
        if r.frequency == "visit" and r.visit_code == visit.visit_code and r.total is not None:
            out[r.instrument] = float(Fraction(r.total))
    if visit.visit_date is None:
        return out
    for code in _diaries(rows):
        rule = get_instrument(code).diary
        if rule is None:  # pragma: no cover - the protocol's loader allows diaries only
            continue
        weekly = rule.weekly_mean(_daily(rows, code), end=visit.visit_date)
        if weekly.total is not None:
            out[code] = float(weekly.total)
    return out


def pro_rows(
    rows: list[ProEntryRow], visits: list[VisitRow], *, subject_id: str, day0: date | None
) -> list[dict[str, Any]]:
    """The rows of ``<stem>.pro.csv`` of one subject: each entry, then the weekly mean of each
    diary instrument at each visit (by visit date)."""

    def day(d: date) -> int | None:
        return None if day0 is None else (d - day0).days

    out: list[dict[str, Any]] = [
        {
            "subject_id": subject_id,
            "instrument": r.instrument,
            "kind": r.frequency,
            "entry_date": r.slot,
            "day": day(r.slot),
            "visit": r.visit_code,
            "value": None if r.total is None else float(Fraction(r.total)),
            "days_present": None,
            "late": bool(r.late),
        }
        for r in rows
    ]
    dated = sorted((v for v in visits if v.visit_date is not None), key=lambda v: v.visit_date)
    for code in _diaries(rows):
        rule = get_instrument(code).diary
        if rule is None:  # pragma: no cover - the protocol's loader allows diaries only
            continue
        daily = _daily(rows, code)
        for v in dated:
            weekly = rule.weekly_mean(daily, end=v.visit_date)
            if weekly.days_present == 0:
                continue
            out.append(
                {
                    "subject_id": subject_id,
                    "instrument": code,
                    "kind": "weekly_mean",
                    "entry_date": v.visit_date,
                    "day": day(v.visit_date),
                    "visit": v.visit_code,
                    "value": None if weekly.total is None else float(weekly.total),
                    "days_present": weekly.days_present,
                    "late": None,
                }
            )
    return out
