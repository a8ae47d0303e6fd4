"""Automatic checks (soft edit checks) over one subject's data: each finding becomes a data
query raised by ``system:check:<rule>`` (the store raises it once per finding). The rules, their
parameters (:class:`autoserum.protocols.CheckSettings`, the protocol's ``[monitoring.checks]``)
and their rationale are documented in docs/monitoring.md.

- ``visit_window``: a visit outside its protocol window;
- ``missing_assessment``: an instrument the visit plan schedules, neither recorded nor recorded
  as not done, ``missing_after_days`` after the visit;
- ``easi_scorad_extent``: SCORAD extent (A, % body surface) outside the range the EASI area
  scores of the same visit imply (± ``extent_tolerance`` points);
- ``score_direction``: EASI and objective SCORAD moving in opposite directions between
  consecutive visits, each by at least ``direction_threshold`` % of its previous value;
- ``lab_limits``: a lab value outside the study's soft limits (canonical unit);
- ``ae_before_consent``: an adverse event with onset before the subject's first consent;
- ``injection_without_preparation``: in a study that records its product's chain of identity,
  an injection naming no blood draw, aliquot or kit of it, or given before its kit was prepared.

>>> from datetime import date
>>> from autoserum.protocols import CheckSettings
>>> visit = VisitFacts(1, "week_4", 28, date(2026, 4, 10), deviation_days=5,
...                    earliest=date(2026, 3, 27), latest=date(2026, 4, 4))
>>> data = SubjectFacts("S-1", visits=(visit,))
>>> [f.rule for f in evaluate(data, CheckSettings(rules=("visit_window",)),
...                            today=date(2026, 5, 1))]
['visit_window']
>>> implied_extent({"head_neck": 0, "upper_limbs": 2, "trunk": 1, "lower_limbs": 0}, age=30)
(Fraction(2, 1), Fraction(9, 1))
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from autoserum.errors import AutoserumError, Message
from autoserum.i18n import N_
from autoserum.instruments import score
from autoserum.instruments.easi import (
    ADULT_MULTIPLIERS,
    AREA_PERCENT_BOUNDS,
    CHILD_AGE_LIMIT,
    CHILD_MULTIPLIERS,
    REGIONS,
    area_from_percent,
)
from autoserum.protocols import CheckSettings
from autoserum.study.wording import Wording

__all__ = [
    "AssessmentFacts",
    "Finding",
    "InjectionFacts",
    "LabFacts",
    "SubjectFacts",
    "VisitFacts",
    "evaluate",
    "implied_extent",
    "query_described",
]

#: planned instrument columns scored by another instrument's record
_SCORED_BY = {"oscorad": "scorad", "scorad_extent": "scorad", "po_scorad": "scorad"}


@dataclass(frozen=True)
class VisitFacts:
    """A recorded visit: id, code, planned day, date and its window."""

    id: int
    visit_code: str
    day: int | None
    visit_date: date | None
    deviation_days: int | None = None
    earliest: date | None = None
    latest: date | None = None
    planned: tuple[str, ...] = ()
    not_done: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssessmentFacts:
    """A recorded assessment: id, visit, instrument, items and total."""

    id: int
    visit_id: int
    instrument: str
    payload: Mapping[str, Any]
    total: Fraction | None = None


@dataclass(frozen=True)
class LabFacts:
    """A recorded lab value in the canonical unit."""

    id: int
    analyte: str
    value: Decimal
    unit: str


@dataclass(frozen=True)
class InjectionFacts:
    """A recorded injection: id, date, whether it names a record of the product chain (a blood
    draw, an aliquot or a kit) and, for a kit, the date the kit was prepared."""

    id: int
    given_on: date | None
    linked: bool
    prepared_on: date | None = None


@dataclass(frozen=True)
class SubjectFacts:
    """What the checks read of one subject."""

    subject_id: str
    age: Decimal | None = None
    visits: tuple[VisitFacts, ...] = ()
    assessments: tuple[AssessmentFacts, ...] = ()
    labs: tuple[LabFacts, ...] = ()
    adverse_events: tuple[tuple[int, date | None], ...] = ()
    first_consent: date | None = None
    injections: tuple[InjectionFacts, ...] = ()
    #: whether the study records its product's chain of identity (a draw or a kit recorded)
    product_chain: bool = False


@dataclass(frozen=True)
class Finding:
    """One finding: the rule, the record (and field) it is about, the query's text, and a key
    naming the finding (rule, record and the values found) so that it is raised once."""

    rule: str
    entity: str
    record_id: int
    field: str | None
    text: str
    key: str = ""


def _visit_window(data: SubjectFacts, settings: CheckSettings, today: date) -> Iterator[Finding]:
    for v in data.visits:
        if v.deviation_days is None or v.visit_date is None:
            continue
        wording = WINDOW_EARLY if v.deviation_days < 0 else WINDOW_LATE
        yield Finding(
            "visit_window",
            "visit",
            v.id,
            "visit_date",
            wording(
                visit=v.visit_code,
                date=v.visit_date,
                days=abs(v.deviation_days),
                earliest=v.earliest,
                latest=v.latest,
            ),
            f"visit_window:visit:{v.id}:{v.visit_date}",
        )


def _missing(data: SubjectFacts, settings: CheckSettings, today: date) -> Iterator[Finding]:
    cutoff = today - timedelta(days=settings.missing_after_days)
    for v in data.visits:
        if v.visit_date is None or v.visit_date > cutoff:
            continue
        done = {a.instrument for a in data.assessments if a.visit_id == v.id}
        wanted = dict.fromkeys(_SCORED_BY.get(code, code) for code in v.planned)
        for instrument in wanted:
            if instrument in done or instrument in v.not_done:
                continue
            yield Finding(
                "missing_assessment",
                "visit",
                v.id,
                None,
                MISSING(instrument=instrument, visit=v.visit_code, date=v.visit_date),
                f"missing_assessment:visit:{v.id}:{instrument}",
            )


def implied_extent(
    areas: Mapping[str, int], *, age: Decimal | float | None
) -> tuple[Fraction, Fraction]:
    """The range of % body surface affected that EASI area scores (0–6 per region) imply:
    the sum over regions of the region's share of the body (EASI's multipliers: adults
    10/20/30/40 %, children under 8 years 20/20/30/30 %) times the area score's % range."""
    child = age is not None and Fraction(str(age)) < CHILD_AGE_LIMIT
    shares = CHILD_MULTIPLIERS if child else ADULT_MULTIPLIERS
    lows = [Fraction(0), *(low for low, _ in AREA_PERCENT_BOUNDS)]
    highs = [Fraction(0), *(low for low, _ in AREA_PERCENT_BOUNDS[1:]), Fraction(100)]
    low = sum((shares[r] * lows[areas[r]] for r in REGIONS), Fraction(0))
    high = sum((shares[r] * highs[areas[r]] for r in REGIONS), Fraction(0))
    return low, high


def _easi_areas(payload: Mapping[str, Any]) -> dict[str, int] | None:
    areas: dict[str, int] = {}
    for region in REGIONS:
        items = payload.get(region)
        if not isinstance(items, Mapping):
            return None
        if items.get("area") is not None:
            areas[region] = int(items["area"])
        elif items.get("area_percent") is not None:
            areas[region] = area_from_percent(Fraction(str(items["area_percent"])))
        else:
            return None
    return areas


def _scorad_extent(payload: Mapping[str, Any]) -> Fraction | None:
    if payload.get("extent") is not None:
        return Fraction(str(payload["extent"]))
    regions = payload.get("extent_regions")
    if isinstance(regions, Mapping) and regions:
        return sum((Fraction(str(v)) for v in regions.values()), Fraction(0))
    return None


def _fmt(value: Fraction) -> str:
    return f"{float(value):g}"


def _extent(data: SubjectFacts, settings: CheckSettings, today: date) -> Iterator[Finding]:
    tolerance = Fraction(str(settings.extent_tolerance))
    for v in data.visits:
        at = {a.instrument: a for a in data.assessments if a.visit_id == v.id}
        easi, scorad = at.get("easi"), at.get("scorad")
        if easi is None or scorad is None:
            continue
        areas = _easi_areas(easi.payload)
        extent = _scorad_extent(scorad.payload)
        if areas is None or extent is None:
            continue
        age = easi.payload.get("age", data.age)
        low, high = implied_extent(areas, age=age)
        if low - tolerance <= extent <= high + tolerance:
            continue
        yield Finding(
            "easi_scorad_extent",
            "assessment",
            scorad.id,
            "extent",
            EXTENT(
                extent=_fmt(extent),
                visit=v.visit_code,
                low=_fmt(low),
                high=_fmt(high),
                tolerance=_fmt(tolerance),
            ),
            f"easi_scorad_extent:assessment:{scorad.id}:{_fmt(extent)}:{easi.id}:"
            f"{_fmt(low)}-{_fmt(high)}",
        )


def _objective(payload: Mapping[str, Any]) -> Fraction | None:
    try:
        value = score("scorad", dict(payload)).extra.get("objective")
    except AutoserumError:
        return None
    return value if isinstance(value, Fraction) else None


def _direction(data: SubjectFacts, settings: CheckSettings, today: date) -> Iterator[Finding]:
    threshold = Fraction(str(settings.direction_threshold)) / 100
    series: list[tuple[VisitFacts, AssessmentFacts, Fraction, Fraction]] = []
    dated = sorted(
        (v for v in data.visits if v.visit_date is not None), key=lambda v: v.visit_date or today
    )
    for v in dated:
        at = {a.instrument: a for a in data.assessments if a.visit_id == v.id}
        easi, scorad = at.get("easi"), at.get("scorad")
        if easi is None or scorad is None or easi.total is None:
            continue
        objective = _objective(scorad.payload)
        if objective is not None:
            series.append((v, easi, easi.total, objective))
    for (v1, _, e1, o1), (v2, easi2, e2, o2) in itertools.pairwise(series):
        if e1 == 0 or o1 == 0:
            continue
        de, do = (e2 - e1) / e1, (o2 - o1) / o1
        if de * do < 0 and abs(de) >= threshold and abs(do) >= threshold:
            yield Finding(
                "score_direction",
                "assessment",
                easi2.id,
                None,
                DIRECTION(
                    first=v1.visit_code,
                    second=v2.visit_code,
                    easi=_fmt(de * 100),
                    scorad=_fmt(do * 100),
                    threshold=_fmt(threshold * 100),
                ),
                f"score_direction:assessment:{easi2.id}:{_fmt(e1)}>{_fmt(e2)}:"
                f"{_fmt(o1)}>{_fmt(o2)}",
            )


def _labs(data: SubjectFacts, settings: CheckSettings, today: date) -> Iterator[Finding]:
    for lab in data.labs:
        limits = settings.lab_limits.get(lab.analyte)
        if limits is None:
            continue
        low, high = (Decimal(str(x)) for x in limits)
        if low <= lab.value <= high:
            continue
        yield Finding(
            "lab_limits",
            "lab",
            lab.id,
            "value",
            LAB_LIMITS(analyte=lab.analyte, value=lab.value, unit=lab.unit, low=low, high=high),
            f"lab_limits:lab:{lab.id}:{lab.value}",
        )


def _ae_consent(data: SubjectFacts, settings: CheckSettings, today: date) -> Iterator[Finding]:
    if data.first_consent is None:
        return
    for ae_id, onset in data.adverse_events:
        if onset is not None and onset < data.first_consent:
            yield Finding(
                "ae_before_consent",
                "adverse_event",
                ae_id,
                "onset_date",
                BEFORE_CONSENT(onset=onset, consent=data.first_consent),
                f"ae_before_consent:adverse_event:{ae_id}:{onset}",
            )


def _preparation(data: SubjectFacts, settings: CheckSettings, today: date) -> Iterator[Finding]:
    if not data.product_chain:
        return
    for inj in data.injections:
        if not inj.linked:
            yield Finding(
                "injection_without_preparation",
                "injection",
                inj.id,
                "product_code",
                NO_PREPARATION(date=inj.given_on),
                f"injection_without_preparation:injection:{inj.id}",
            )
        elif inj.prepared_on and inj.given_on and inj.prepared_on > inj.given_on:
            yield Finding(
                "injection_without_preparation",
                "injection",
                inj.id,
                "given_on",
                PREPARED_LATER(date=inj.given_on, prepared=inj.prepared_on),
                f"injection_without_preparation:injection:{inj.id}:{inj.given_on}:"
                f"{inj.prepared_on}",
            )


# --- the queries' texts: each written here and read back for display (study.wording) -------
WINDOW_EARLY = Wording(
    N_(
        "visit %(visit)s on %(date)s is %(days)s day(s) early "
        "(window %(earliest)s to %(latest)s): please confirm the date"
    )
)
WINDOW_LATE = Wording(
    N_(
        "visit %(visit)s on %(date)s is %(days)s day(s) late "
        "(window %(earliest)s to %(latest)s): please confirm the date"
    )
)
MISSING = Wording(
    N_(
        "%(instrument)s is planned at visit %(visit)s (%(date)s) but is neither recorded nor "
        "recorded as not done"
    )
)
EXTENT = Wording(
    N_(
        "SCORAD extent %(extent)s %% at visit %(visit)s is outside the %(low)s to %(high)s %% of "
        "body surface implied by the EASI area scores of the same visit (tolerance %(tolerance)s "
        "points): please check both"
    )
)
DIRECTION = Wording(
    N_(
        "from %(first)s to %(second)s EASI changed by %(easi)s %% and objective SCORAD by "
        "%(scorad)s %% (opposite directions, each at least %(threshold)s %%): please check both "
        "assessments"
    )
)
LAB_LIMITS = Wording(
    N_(
        "%(analyte)s %(value)s %(unit)s is outside the study's limits of plausibility (%(low)s to "
        "%(high)s %(unit)s): please confirm against the source"
    )
)
BEFORE_CONSENT = Wording(
    N_(
        "onset %(onset)s is before the subject's consent on %(consent)s: medical history rather "
        "than an adverse event?"
    )
)
NO_PREPARATION = Wording(
    N_(
        "the injection on %(date)s names no blood draw, aliquot or kit of the product's chain: "
        "which product was given? Record its preparation and the product code"
    )
)
PREPARED_LATER = Wording(
    N_(
        "the injection on %(date)s used a kit prepared later, on %(prepared)s: please check the "
        "dates against the source"
    )
)
_QUERIES = (WINDOW_EARLY, WINDOW_LATE, MISSING, EXTENT, DIRECTION, LAB_LIMITS, BEFORE_CONSENT,
            NO_PREPARATION, PREPARED_LATER)  # fmt: skip


def query_described(text: str) -> Message | str:
    """A stored query text as the message of the check that wrote it, or the text as stored
    (a query a person wrote, an answer).

    >>> query_described(MISSING(instrument="easi", visit="week4", date="2026-03-30")).params
    {'instrument': 'easi', 'visit': 'week4', 'date': '2026-03-30'}
    >>> query_described("please check the onset date")
    'please check the onset date'
    """
    for wording in _QUERIES:
        found = wording.read(text)
        if found is not None:
            return found
    return text


_RULES: dict[str, Callable[[SubjectFacts, CheckSettings, date], Iterator[Finding]]] = {
    "visit_window": _visit_window,
    "missing_assessment": _missing,
    "easi_scorad_extent": _extent,
    "score_direction": _direction,
    "lab_limits": _labs,
    "ae_before_consent": _ae_consent,
    "injection_without_preparation": _preparation,
}


def evaluate(data: SubjectFacts, settings: CheckSettings, *, today: date) -> list[Finding]:
    """Every finding of the rules ``settings`` enables, in rule order."""
    return [f for rule in settings.rules for f in _RULES[rule](data, settings, today)]
