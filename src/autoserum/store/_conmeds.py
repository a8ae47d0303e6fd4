"""The rules of a concomitant medication as the store records it: the coded parts agree (an
ATC code fixes the class and, for a topical corticosteroid, the European potency;
:func:`autoserum.study.medication.check_con_med`), ``rescue`` is false unless given, and the
protocol's medication rules (:func:`autoserum.protocols.medication_findings`) turn a prohibited
drug, or a rescue drug the protocol does not allow, into a protocol deviation of the subject
(once per con-med and finding), in the same audited transaction.

**Hook for queries** (ICH E6 data queries, issue 12): :func:`record_medication_deviations`
returns the deviation rows it inserted; a query service raises one query per returned row at
its call sites (``RecordService.add`` and ``RecordService.update`` of a ``con_med``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.protocols import Protocol, medication_findings
from autoserum.store.models import DeviationRow, SubjectRow
from autoserum.study.medication import check_con_med
from autoserum.study.visits import AUTOMATIC_IMPORTANCE

__all__ = ["coded_con_med", "record_medication_deviations"]


def coded_con_med(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` of a con-med (converted by the registry) with class and European potency
    filled in from the ATC code (a contradiction is a :class:`ValidationError` naming the
    field) and ``rescue`` false when not given."""
    amount = values.get("amount")
    coded = check_con_med(
        atc_code=values.get("atc_code"),
        drug_class=values.get("drug_class"),
        potency_eu=values.get("potency_eu"),
        potency_us=values.get("potency_us"),
        amount=None if amount is None else float(amount),
        amount_unit=values.get("amount_unit"),
    )
    out = dict(values)
    for key, value in coded.items():
        if key in out or value is not None:
            out[key] = value
    if "rescue" in out and out["rescue"] is None:
        out["rescue"] = False
    return out


def _end_day(subject: SubjectRow, end_date: date | None, end_week: Decimal | None) -> int | None:
    """The study day (day 0 = first injection) a con-med ended; ``None`` while ongoing. Before
    day 0 is known, a con-med with an end ended before it (prior medication)."""
    if end_week is not None:
        return round(float(end_week) * 7)
    if end_date is None:
        return None
    day0: date | None = subject.day0
    if day0 is None:
        return -1
    return (end_date - day0).days


def record_medication_deviations(
    s: Session, protocol: Protocol, subject: SubjectRow, row: Any
) -> list[DeviationRow]:
    """Insert a deviation for each finding of the protocol's medication rules on the con-med
    ``row`` of ``subject`` not recorded already for this subject; return the new rows."""
    findings = medication_findings(
        protocol.medication,
        drug=row.name,
        atc_code=row.atc_code,
        drug_class=row.drug_class,
        potency_eu=row.potency_eu,
        rescue=bool(row.rescue),
        end_day=_end_day(subject, row.end_date, row.end_week),
    )
    added: list[DeviationRow] = []
    for finding in findings:
        exists = s.scalar(
            select(DeviationRow.id).where(
                DeviationRow.subject_pk == subject.id,
                DeviationRow.kind == finding.kind,
                DeviationRow.description == finding.description,
            )
        )
        if exists is not None:
            continue
        deviation = DeviationRow(
            study_id=subject.study_id,
            subject_pk=subject.id,
            visit_id=None,
            kind=finding.kind,
            description=finding.description,
            importance=AUTOMATIC_IMPORTANCE[finding.kind],
            version=1,
        )
        s.add(deviation)
        added.append(deviation)
    if added:
        s.flush()
    return added
