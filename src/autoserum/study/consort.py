"""The CONSORT flow of a study, derived from subject statuses and allocations.

Reference: Schulz KF, Altman DG, Moher D. CONSORT 2010 Statement. BMJ 2010;340:c332 (flow
diagram: enrolment, allocation, follow-up, analysis).

>>> from autoserum.study.status import SubjectStatus as S
>>> flow = consort_flow([(S.SCREEN_FAILED, None), (S.COMPLETED, "serum"), (S.WITHDRAWN, "serum")])
>>> flow.assessed, flow.excluded, flow.arms["serum"].withdrawn
(3, 1, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autoserum.study.status import SubjectStatus

__all__ = ["ArmFlow", "ConsortFlow", "consort_flow"]

_UNALLOCATED = "unallocated"


@dataclass(frozen=True)
class ArmFlow:
    """One arm of the flow: allocated, still active, withdrawn (lost/discontinued), completed."""

    allocated: int = 0
    active: int = 0
    withdrawn: int = 0
    completed: int = 0


@dataclass(frozen=True)
class ConsortFlow:
    """Counts of the CONSORT diagram. ``arms`` is keyed by arm code (or ``"blinded"``)."""

    assessed: int
    excluded: int
    in_screening: int
    enrolled: int
    arms: Mapping[str, ArmFlow] = field(default_factory=dict)
    consented: int | None = None
    """Subjects who gave informed consent (``None``: consent is not managed in the study)."""
    consent_withdrawn: int | None = None
    """Subjects who withdrew their consent (``None``: consent is not managed in the study)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with stable snake_case keys."""
        return {
            "assessed": self.assessed,
            "excluded": self.excluded,
            "in_screening": self.in_screening,
            "enrolled": self.enrolled,
            "arms": {k: vars(v).copy() for k, v in sorted(self.arms.items())},
            "consented": self.consented,
            "consent_withdrawn": self.consent_withdrawn,
        }


def consort_flow(subjects: Iterable[tuple[SubjectStatus, str | None]]) -> ConsortFlow:
    """Count ``(status, arm)`` pairs into a CONSORT flow (``arm`` ``None``: not allocated)."""
    assessed = excluded = screening = enrolled = 0
    per_arm: dict[str, dict[str, int]] = {}
    for status, arm in subjects:
        assessed += 1
        if status is SubjectStatus.SCREEN_FAILED:
            excluded += 1
            continue
        if status is SubjectStatus.SCREENED:
            screening += 1
            continue
        enrolled += 1
        counts = per_arm.setdefault(
            arm or _UNALLOCATED, {"allocated": 0, "active": 0, "withdrawn": 0, "completed": 0}
        )
        counts["allocated"] += 1
        if status is SubjectStatus.WITHDRAWN:
            counts["withdrawn"] += 1
        elif status is SubjectStatus.COMPLETED:
            counts["completed"] += 1
        else:
            counts["active"] += 1
    return ConsortFlow(
        assessed=assessed,
        excluded=excluded,
        in_screening=screening,
        enrolled=enrolled,
        arms={k: ArmFlow(**v) for k, v in per_arm.items()},
    )
