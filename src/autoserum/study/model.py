"""Entities of the study model: immutable records as the store hands them out.

Identifiers: ``subject_id`` is the study's own identifier of a subject (never a name); ``id``
is the record id of the store (stable, used by ``update_record`` and the audit trail); every
record carries its ``version`` for optimistic concurrency.

>>> Site(code="s01", name="Seoul").code
's01'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from autoserum.study.status import SubjectStatus

__all__ = [
    "AdverseEvent",
    "Arm",
    "Assessment",
    "ConMed",
    "Deviation",
    "Injection",
    "LabResult",
    "Site",
    "Study",
    "Subject",
    "SubjectDetail",
    "Unblinding",
    "Visit",
]


@dataclass(frozen=True)
class Study:
    """A study: its name, the protocol it runs and how it is blinded."""

    name: str
    protocol_code: str
    open_label: bool
    has_run_in: bool
    arms: tuple[Arm, ...] = ()
    stratify_by: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Stratification factors besides the site: ``(name, levels)`` pairs, by name."""
    start_date: date | None = None
    """The study start: no date of a subject's record before it (``None``: not declared)."""


@dataclass(frozen=True)
class Arm:
    """An arm of the study's protocol."""

    code: str
    label: str
    product: str
    is_control: bool


@dataclass(frozen=True)
class Site:
    """A study site."""

    code: str
    name: str


@dataclass(frozen=True)
class Subject:
    """A subject. ``arm`` is ``None`` before allocation and ``"blinded"`` for a blinded viewer."""

    id: int
    subject_id: str
    site: str
    status: SubjectStatus
    arm: str | None
    facts: Mapping[str, Any] = field(default_factory=dict)
    age: Decimal | None = None
    sex: str | None = None
    per_protocol: bool | None = None
    treated: bool | None = None
    withdrawal_reason: str | None = None
    unblinded: bool = False
    version: int = 1


@dataclass(frozen=True)
class Visit:
    """An actual visit, with its planned window and the deviation in days (``None``: on time)."""

    id: int
    subject_id: str
    visit_code: str | None
    week: Decimal | None
    day: int | None
    visit_date: date | None
    earliest: date | None
    latest: date | None
    deviation_days: int | None
    version: int = 1

    @property
    def out_of_window(self) -> bool:
        """Whether the visit fell outside its window (a protocol deviation)."""
        return self.deviation_days is not None


@dataclass(frozen=True)
class Assessment:
    """An instrument filled at a visit: the payload (item codes) and its exact total."""

    id: int
    subject_id: str
    visit_id: int
    instrument: str
    payload: Mapping[str, Any] | None
    total: Fraction | None
    band: str | None
    version: int = 1


@dataclass(frozen=True)
class LabResult:
    """A lab value in its canonical UCUM unit, with the reference range it was judged against."""

    id: int
    subject_id: str
    visit_id: int
    analyte: str
    value: Decimal
    unit: str
    ref_low: Decimal | None
    ref_high: Decimal | None
    flag: str | None
    version: int = 1


@dataclass(frozen=True)
class Injection:
    """An injection given. ``product`` is ``"blinded"`` for a blinded viewer."""

    id: int
    subject_id: str
    given_on: date
    product: str
    volume_ml: Decimal | None
    site: str | None
    lot: str | None
    given_by: str | None
    visit_id: int | None = None
    version: int = 1


@dataclass(frozen=True)
class AdverseEvent:
    """An adverse event."""

    id: int
    subject_id: str
    term: str
    onset_date: date | None
    onset_week: Decimal | None
    severity: str
    serious: bool
    related: str
    outcome: str
    version: int = 1


@dataclass(frozen=True)
class ConMed:
    """A concomitant medication."""

    id: int
    subject_id: str
    name: str
    dose: str | None
    route: str | None
    start_date: date | None
    end_date: date | None
    indication: str | None
    version: int = 1


@dataclass(frozen=True)
class Deviation:
    """A protocol deviation (e.g. ``visit_window``: a visit outside its window)."""

    id: int
    subject_id: str
    kind: str
    description: str
    visit_id: int | None
    days: int | None
    version: int = 1


@dataclass(frozen=True)
class Unblinding:
    """An emergency unblinding of one subject."""

    id: int
    subject_id: str
    username: str
    reason: str
    at: str


@dataclass(frozen=True)
class SubjectDetail:
    """A subject with everything recorded about them."""

    subject: Subject
    visits: tuple[Visit, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    labs: tuple[LabResult, ...] = ()
    injections: tuple[Injection, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    con_meds: tuple[ConMed, ...] = ()
    deviations: tuple[Deviation, ...] = ()
