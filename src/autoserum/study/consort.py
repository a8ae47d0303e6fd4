"""The CONSORT flow of a study: who was assessed, excluded (and why), allocated, treated, lost
or discontinued (and why) and analysed (and why not), counted from one record per subject.

Reference: Schulz KF, Altman DG, Moher D. CONSORT 2010 Statement. BMJ 2010;340:c332, and
Hopewell S et al. CONSORT 2025 Statement. BMJ 2025;389:e081123 (flow diagram: enrolment,
allocation, follow-up, analysis; each exclusion with its reasons).

This module is the one owner of the counting: the store gives the subjects' statuses and
reasons (:meth:`Store.subjects.consort`), the analysis adds from the data who was treated,
reached the last visit and is in the analysis set, and the report draws the boxes.

>>> from autoserum.study.status import SubjectStatus as S
>>> flow = consort_flow([
...     ConsortSubject("A", S.SCREEN_FAILED, failed_rules=("age",)),
...     ConsortSubject("B", S.COMPLETED, "serum", treated=True, analysed=True),
...     ConsortSubject("C", S.WITHDRAWN, "serum", reason="lost to follow-up", treated=True,
...                    analysed=False, exclusion="no post-baseline assessment"),
... ])
>>> flow.assessed, flow.excluded, flow.excluded_reasons
(3, 1, (('Not meeting eligibility rule: age', 1),))
>>> serum = flow.arms["serum"]
>>> serum.allocated, serum.lost, serum.analysed, serum.not_analysed_reasons
(2, 1, 1, (('no post-baseline assessment', 1),))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autoserum.i18n import N_
from autoserum.study.status import ACTIVE_STATUSES, SubjectStatus

__all__ = [
    "DECLINED",
    "NOT_REACHED",
    "NOT_RECORDED",
    "OTHER",
    "RULE",
    "ArmFlow",
    "ConsortFlow",
    "ConsortSubject",
    "consort_flow",
]

_UNALLOCATED = "unallocated"

#: Reason labels of the diagram (CONSORT 2010 template wording; translated where they are
#: shown, ``report._consort``, like the other fixed texts of the diagram).
DECLINED = N_("Declined to participate")
NOT_RECORDED = N_("reason not recorded")
#: A data file's subject without its last visit: why is not known.
NOT_REACHED = N_("did not reach the last visit (reason not recorded)")
#: The prefix of a failed eligibility rule's reason (``RULE + "severity (...)"``).
RULE = "Not meeting eligibility rule: "
#: The prefix of another screening reason as recorded (``OTHER + "moved abroad"``).
OTHER = "Other reason: "

Reasons = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ConsortSubject:
    """One subject's path as the diagram counts it.

    ``status`` is ``None`` when the source does not know it (a data file holds enrolled
    subjects only); ``failed_rules`` are the eligibility rules a screen failure failed;
    ``reason`` why the subject left (a screen failure's or a withdrawal's reason);
    ``treated``: received the allocated intervention (at least one injection);
    ``reached_end``: has a value at the last planned visit; ``analysed``: in the analysis
    set, ``exclusion`` why not (``None`` for a source that does not know)."""

    subject_id: str
    status: SubjectStatus | None = None
    arm: str | None = None
    failed_rules: tuple[str, ...] = ()
    reason: str | None = None
    treated: bool | None = None
    reached_end: bool | None = None
    analysed: bool | None = None
    exclusion: str | None = None

    @property
    def enrolled(self) -> bool:
        """Past screening (randomised), or from a source of enrolled subjects only."""
        return self.status not in (SubjectStatus.SCREENED, SubjectStatus.SCREEN_FAILED)


@dataclass(frozen=True)
class ArmFlow:
    """One arm of the flow.

    ``allocated``, and of them ``active`` (still in the study), ``withdrawn``, ``completed``
    by status; ``received``/``not_received`` the allocated intervention (reasons);
    ``lost`` to follow-up and ``discontinued`` (reasons); ``analysed`` and ``not_analysed``
    (reasons). Reasons are ``(label, n)`` pairs, most frequent first."""

    allocated: int = 0
    active: int = 0
    withdrawn: int = 0
    completed: int = 0
    received: int = 0
    not_received: int = 0
    not_received_reasons: Reasons = ()
    lost: int = 0
    lost_reasons: Reasons = ()
    discontinued: int = 0
    discontinued_reasons: Reasons = ()
    analysed: int = 0
    not_analysed: int = 0
    not_analysed_reasons: Reasons = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: counts, and each reason list as ``{label: n}``."""
        return {k: dict(v) if isinstance(v, tuple) else v for k, v in vars(self).items()}


@dataclass(frozen=True)
class ConsortFlow:
    """Counts of the CONSORT diagram. ``arms`` is keyed by arm code (or ``"blinded"``).

    ``excluded_reasons`` lists the screen failures by failed eligibility rule (a subject
    failing two rules counts under both), those who declined and other reasons;
    ``not_eligible`` is the number of subjects failing at least one rule."""

    assessed: int
    excluded: int
    in_screening: int
    enrolled: int
    arms: Mapping[str, ArmFlow] = field(default_factory=dict)
    not_eligible: int = 0
    excluded_reasons: Reasons = ()
    #: whether the source records screening (a database does; a data file holds enrolled
    #: subjects only, whose status is not known)
    screening_recorded: bool = True
    consented: int | None = None
    """Subjects who gave informed consent (``None``: consent is not managed in the study)."""
    consent_withdrawn: int | None = None
    """Subjects who withdrew their consent (``None``: consent is not managed in the study)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with stable snake_case keys."""
        return {
            "assessed": self.assessed,
            "excluded": self.excluded,
            "not_eligible": self.not_eligible,
            "excluded_reasons": dict(self.excluded_reasons),
            "in_screening": self.in_screening,
            "enrolled": self.enrolled,
            "screening_recorded": self.screening_recorded,
            "arms": {k: v.to_dict() for k, v in sorted(self.arms.items())},
            "consented": self.consented,
            "consent_withdrawn": self.consent_withdrawn,
        }


def _ranked(counter: Counter[str]) -> Reasons:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _reason(text: str | None) -> str:
    return text.strip() if text and text.strip() else NOT_RECORDED


def _is_lost(text: str | None) -> bool:
    return bool(text) and "lost to follow" in str(text).lower()


def _declined(text: str | None) -> bool:
    low = (text or "").lower()
    return "declin" in low or "consent" in low or "refus" in low


def _screen_failure(subject: ConsortSubject, counts: Counter[str]) -> bool:
    """Count a screen failure's reasons; return whether it failed an eligibility rule."""
    if subject.failed_rules:
        for rule in subject.failed_rules:
            counts[RULE + rule] += 1
        return True
    if _declined(subject.reason):
        counts[DECLINED] += 1
    else:
        counts[OTHER + _reason(subject.reason)] += 1
    return False


@dataclass
class _Arm:
    allocated: int = 0
    active: int = 0
    withdrawn: int = 0
    completed: int = 0
    received: int = 0
    not_received: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    discontinued: Counter[str] = field(default_factory=Counter)
    analysed: int = 0
    not_analysed: Counter[str] = field(default_factory=Counter)

    def add(self, s: ConsortSubject) -> None:
        self.allocated += 1
        if s.status is SubjectStatus.WITHDRAWN:
            self.withdrawn += 1
        elif s.status is SubjectStatus.COMPLETED:
            self.completed += 1
        elif s.status in ACTIVE_STATUSES:
            self.active += 1
        if s.treated is False:
            why = s.reason if s.status is SubjectStatus.WITHDRAWN else None
            self.not_received[_reason(why)] += 1
        else:
            self.received += 1
        if s.status is SubjectStatus.WITHDRAWN:
            target = self.lost if _is_lost(s.reason) else self.discontinued
            target[_reason(s.reason)] += 1
        elif s.reached_end is False and s.status is None:
            # a data file: the last visit is missing, why is not known
            self.discontinued[NOT_REACHED] += 1
        if s.analysed is False:
            self.not_analysed[_reason(s.exclusion)] += 1
        elif s.analysed:
            self.analysed += 1

    def freeze(self) -> ArmFlow:
        return ArmFlow(
            allocated=self.allocated,
            active=self.active,
            withdrawn=self.withdrawn,
            completed=self.completed,
            received=self.received,
            not_received=sum(self.not_received.values()),
            not_received_reasons=_ranked(self.not_received),
            lost=sum(self.lost.values()),
            lost_reasons=_ranked(self.lost),
            discontinued=sum(self.discontinued.values()),
            discontinued_reasons=_ranked(self.discontinued),
            analysed=self.analysed,
            not_analysed=sum(self.not_analysed.values()),
            not_analysed_reasons=_ranked(self.not_analysed),
        )


def consort_flow(subjects: Iterable[ConsortSubject]) -> ConsortFlow:
    """Count subjects into the CONSORT flow (a subject without an arm is ``unallocated``)."""
    assessed = excluded = screening = enrolled = not_eligible = 0
    reasons: Counter[str] = Counter()
    arms: dict[str, _Arm] = {}
    recorded = True
    for s in subjects:
        assessed += 1
        recorded = recorded and s.status is not None
        if s.status is SubjectStatus.SCREEN_FAILED:
            excluded += 1
            not_eligible += _screen_failure(s, reasons)
            continue
        if s.status is SubjectStatus.SCREENED:
            screening += 1
            continue
        enrolled += 1
        arms.setdefault(s.arm or _UNALLOCATED, _Arm()).add(s)
    return ConsortFlow(
        assessed=assessed,
        excluded=excluded,
        in_screening=screening,
        enrolled=enrolled,
        arms={k: v.freeze() for k, v in arms.items()},
        not_eligible=not_eligible,
        excluded_reasons=_ranked(reasons),
        screening_recorded=recorded,
    )
