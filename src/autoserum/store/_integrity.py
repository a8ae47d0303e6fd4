"""The core's integrity rules (:mod:`autoserum.study.rules`) with what only the database knows:
the subject's screening date and the protocol's maximum volume of the subject's arm.

The services call these on every write path; the rules themselves stay pure in the core.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import Message
from autoserum.protocols import Protocol, VisitPlan
from autoserum.store.models import SubjectRow, VisitRow
from autoserum.study.rules import check_not_before, check_not_future, check_volume

__all__ = ["check_dated", "check_injection_volume", "screening_date", "screening_visit"]


def screening_visit(protocol: Protocol) -> VisitPlan | None:
    """The protocol's screening visit: its first visit of the ``screening`` phase, if any."""
    return next((v for v in protocol.visits if v.phase == "screening"), None)


def screening_date(s: Session, protocol: Protocol, subject: SubjectRow) -> date | None:
    """The date of the subject's recorded screening visit (``None`` when not recorded)."""
    plan = screening_visit(protocol)
    if plan is None:
        return None
    screened: date | None = s.scalar(
        select(VisitRow.visit_date).where(
            VisitRow.subject_pk == subject.id, VisitRow.visit_code == plan.code
        )
    )
    return screened


def check_dated(
    field: str, value: date, *, today: date, screened: date | None, started: date | None = None
) -> date:
    """A date of the subject's record: not after ``today``, not before the study start, not
    before their screening."""
    check_not_future(field, value, today=today)
    check_not_before(field, value, started, what=Message("the study start"))
    return check_not_before(field, value, screened, what=Message("the subject's screening"))


def check_injection_volume(
    protocol: Protocol,
    arm: str | None,
    product: str,
    volume: Decimal | None,
    *,
    blinded: bool = False,
) -> Decimal | None:
    """``volume`` (mL) > 0 and within the ``max_volume`` of the subject's arm in the protocol
    (the largest of the arms giving ``product`` when the arm is not known); a ``blinded`` actor
    is told the maximum without the product."""
    if volume is None:
        return None
    limits = [
        a.max_volume.value
        for a in protocol.arms
        if (a.code == arm if arm is not None else a.product == product)
        and isinstance(a.max_volume.value, int | float)
    ]
    maximum = Decimal(str(max(limits))) if limits else None
    if maximum is not None and maximum == maximum.to_integral_value():
        maximum = maximum.quantize(Decimal(1))
    return check_volume("volume_ml", volume, maximum=maximum, product=product, blinded=blinded)
