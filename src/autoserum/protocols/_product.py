"""The product process of an arm applied to what was done (pure core): the processing
parameters that deviate from the protocol's, an aliquot's expiry, the whole-blood limit
from draw to injection, and the volume of each injection against the arm's dose schedule.

A parameter deviates when the protocol declares a number for it (published or an autoserum
default; an ``unknown`` fact checks nothing) and the recorded value is missing or outside the
tolerance: durations (clotting, centrifugation minutes) and purity may not fall short of the
declared value; the g-force and the protein concentration may differ by at most
:data:`RELATIVE_TOLERANCE`; the temperature by at most :data:`TEMPERATURE_TOLERANCE` °C.

>>> from autoserum.protocols import load_protocol
>>> process = load_protocol("ast-nahm2023").arms[0].process
>>> process_deviations(process, {"clotting_minutes": 30, "centrifuge_g": 1200,
...                              "centrifuge_minutes": 10})
('centrifuge_g: 1200 g (protocol: 1500 g ± 10%)',)

The dose: injection *k* of an arm is expected at the arm's ``dose.per_injection[k - 1]`` (a
schedule such as Pittler 2003's 1-2-3-2-1 mL) or its fixed dose in mL; a volume more than
:data:`RELATIVE_TOLERANCE` away deviates.

>>> pittler = load_protocol("abt-pittler2003")
>>> dose_volume(pittler.arms[0].dose, 3), dose_deviation(pittler, "abt", 3, Decimal(3))
(Decimal('3'), None)
>>> dose_deviation(pittler, "abt", 2, Decimal(3))
'injection 2: volume_ml 3 mL (protocol: 2 mL ± 10%)'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from autoserum.protocols._schema import Dose, Fact, ProductProcess, Protocol
from autoserum.study.deviations import DOSE_VOLUME, PARAMETER_MISSING, PARAMETER_OFF

__all__ = [
    "PROCESS_PARAMETERS",
    "RELATIVE_TOLERANCE",
    "TEMPERATURE_TOLERANCE",
    "dose_deviation",
    "dose_volume",
    "draw_to_injection_refusal",
    "expected_volume",
    "expiry",
    "fact_number",
    "process_deviations",
]

#: How far the g-force or the protein concentration may differ from the declared value.
RELATIVE_TOLERANCE = Decimal("0.10")
#: How far the centrifugation temperature may differ from the declared value (°C).
TEMPERATURE_TOLERANCE = Decimal(2)

_Rule = Literal["at_least", "relative", "temperature"]
PROCESS_PARAMETERS: Mapping[str, _Rule] = {
    "clotting_minutes": "at_least",
    "centrifuge_g": "relative",
    "centrifuge_minutes": "at_least",
    "centrifuge_temperature": "temperature",
    "protein_concentration": "relative",
    "purity": "at_least",
}
"""The processing parameters checked against the protocol, with how each is compared."""


def fact_number(fact: Fact | None) -> Decimal | None:
    """The number a fact declares (``None`` when absent, unknown or not a number).

    >>> fact_number(Fact(value=1500, unit="g", source="autoserum default"))
    Decimal('1500')
    >>> fact_number(Fact(unit="g", source="unknown")) is None
    True
    """
    if fact is None or not fact.known or isinstance(fact.value, str) or fact.value is None:
        return None
    value = Decimal(str(fact.value))
    return value.to_integral_value() if value == value.to_integral_value() else value


def dose_volume(dose: Dose, number: int) -> Decimal | None:
    """The volume (mL) the arm's ``dose`` declares for its planned injection ``number``
    (1-based; per point for an acupoint protocol): ``per_injection[number - 1]`` of a schedule,
    else a fixed dose in mL; ``None`` when unknown, not in mL or beyond the schedule."""
    if dose.unit not in (None, "mL") or number < 1:
        return None
    if dose.per_injection is not None:
        if number > len(dose.per_injection):
            return None
        value = Decimal(str(dose.per_injection[number - 1]))
        return value.to_integral_value() if value == value.to_integral_value() else value
    return fact_number(dose)


def expected_volume(protocol: Protocol, arm: str, number: int) -> Decimal | None:
    """The volume (mL) injection ``number`` of a subject of ``arm`` should have: in an
    open-label study the arm's dose (:func:`dose_volume`); in a blinded one the volume the arms
    that declare one agree on, for every arm (a volume-matched placebo), and none when they
    differ, since a check of one arm's subjects only would reveal who is in it.

    >>> from autoserum.protocols import load_protocol
    >>> pittler = load_protocol("abt-pittler2003")   # double-blind; saline volume unknown
    >>> expected_volume(pittler, "placebo", 3), expected_volume(pittler, "abt", 3)
    (Decimal('3'), Decimal('3'))
    """
    if protocol.open_label:
        chosen = next((a for a in protocol.arms if a.code == arm), None)
        return None if chosen is None else dose_volume(chosen.dose, number)
    declared = {dose_volume(a.dose, number) for a in protocol.arms} - {None}
    return declared.pop() if len(declared) == 1 else None


def dose_deviation(protocol: Protocol, arm: str, number: int, volume: Decimal | None) -> str | None:
    """How the ``volume`` (mL) given at injection ``number`` of a subject of ``arm`` deviates
    from :func:`expected_volume` (more than :data:`RELATIVE_TOLERANCE` away), or ``None``
    (within it, no volume recorded, or no volume expected)."""
    expected = expected_volume(protocol, arm, number)
    if volume is None or expected is None:
        return None
    if abs(volume - expected) <= RELATIVE_TOLERANCE * expected:
        return None
    shown = _show(Decimal(volume), "mL")
    declared = f"{_show(expected, 'mL')} ± {RELATIVE_TOLERANCE * 100:.0f}%"
    return DOSE_VOLUME(number=number, volume=shown, declared=declared)


def _show(value: Decimal, unit: str | None) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return f"{text} {unit}" if unit else text


def process_deviations(
    process: ProductProcess, measured: Mapping[str, Decimal | int | float | str | None]
) -> tuple[str, ...]:
    """Each parameter of ``measured`` (recorded processing) that deviates from ``process``,
    as ``"name: recorded (protocol: declared)"``; a declared parameter not recorded deviates
    as ``"name: not recorded (protocol: declared)"``."""
    out: list[str] = []
    for name, rule in PROCESS_PARAMETERS.items():
        fact: Fact | None = getattr(process, name)
        declared = fact_number(fact)
        if declared is None or fact is None:
            continue
        unit = fact.unit
        raw = measured.get(name)
        if raw is None:
            out.append(PARAMETER_MISSING(name=name, bound=_show(declared, unit)))
            continue
        value = Decimal(str(raw))
        if rule == "at_least":
            bad, bound = value < declared, f"≥ {_show(declared, unit)}"
        elif rule == "relative":
            bad = abs(value - declared) > RELATIVE_TOLERANCE * abs(declared)
            bound = f"{_show(declared, unit)} ± {int(RELATIVE_TOLERANCE * 100)}%"
        else:
            bad = abs(value - declared) > TEMPERATURE_TOLERANCE
            bound = f"{_show(declared, unit)} ± {TEMPERATURE_TOLERANCE} °C"
        if bad:
            out.append(PARAMETER_OFF(name=name, value=_show(value, unit), bound=bound))
    return tuple(out)


def expiry(process: ProductProcess, processed_at: datetime) -> datetime | None:
    """When an aliquot processed at ``processed_at`` expires: ``storage_max_days`` later
    (``None`` when the protocol declares no shelf life: the preparer must give one).

    >>> from datetime import UTC
    >>> from autoserum.protocols import load_protocol
    >>> p = load_protocol("ast-nahm2023").arms[0].process
    >>> expiry(p, datetime(2026, 3, 2, 9, tzinfo=UTC)).isoformat()
    '2026-04-01T09:00:00+00:00'
    """
    days = fact_number(process.storage_max_days)
    return None if days is None else processed_at + timedelta(days=float(days))


def draw_to_injection_refusal(
    process: ProductProcess | None, *, label: str, drawn_at: datetime, at: datetime
) -> str | None:
    """Why whole blood drawn at ``drawn_at`` may not be injected at ``at`` (the time given,
    ``study.aliquots.administered_at``): the protocol's ``max_minutes_draw_to_injection``
    passed, or a draw after the injection; ``None`` if it may.

    >>> from datetime import UTC
    >>> from autoserum.protocols import load_protocol
    >>> p = load_protocol("abt-pittler2003").arms[0].process
    >>> t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    >>> draw_to_injection_refusal(p, label="BD-1", drawn_at=t, at=t + timedelta(hours=2))
    'blood draw BD-1 was drawn 120 minutes before the injection (the protocol allows 5)'
    """
    if at < drawn_at:
        return f"blood draw {label} was drawn after the injection ({drawn_at.isoformat()})"
    limit = None if process is None else fact_number(process.max_minutes_draw_to_injection)
    if limit is None:
        return None
    minutes = Decimal((at - drawn_at).total_seconds()) / 60
    if minutes > limit:
        return (
            f"blood draw {label} was drawn {int(minutes)} minutes before the injection "
            f"(the protocol allows {_show(limit, None)})"
        )
    return None
