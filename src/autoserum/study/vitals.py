"""Vital signs of a visit (pure core): what each sign is, its unit, the range outside which a
value is impossible (refused on every path, with an error naming field, value and range), and
its CDISC SDTM VS test code.

One record per visit holds the signs measured there (``vital_sign`` in the entity registry,
``autoserum.study.entities``); any sign may be missing, not all of them. The limits are
plausibility limits, not reference ranges: beyond them a value is a typing error (a systolic
pressure of 1200 mmHg, a temperature in °F), not a finding. They are autoserum's, chosen wide
enough for children (height from 30 cm, weight from 0.5 kg) and for hypertensive crisis and
fever; a diastolic pressure must be below the systolic one.

>>> VITAL_SIGNS["systolic_bp"].limits
(Decimal('50'), Decimal('300'))
>>> check_blood_pressure(systolic=Decimal(80), diastolic=Decimal(120))
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
autoserum.errors.ValidationError: diastolic_bp: got '120'; expected below the systolic ...
>>> [s.testcd for s in VITAL_SIGNS.values()]
['SYSBP', 'DIABP', 'PULSE', 'TEMP', 'WEIGHT', 'HEIGHT']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from autoserum.errors import Expected, ValidationError

__all__ = ["VITAL_SIGNS", "VitalSign", "check_blood_pressure", "check_vital_signs"]


@dataclass(frozen=True)
class VitalSign:
    """One sign: its field name, label, unit (UCUM as the form shows it), plausibility limits,
    whether it is a whole number, and its SDTM VS test code, test name and standard unit
    (CDISC controlled terminology VSTESTCD, VSTEST, VSRESU)."""

    name: str
    label: str
    unit: str
    low: Decimal
    high: Decimal
    whole: bool
    testcd: str
    test: str
    sdtm_unit: str

    @property
    def limits(self) -> tuple[Decimal, Decimal]:
        """(lowest, highest) plausible value."""
        return self.low, self.high


def _sign(
    name: str, label: str, unit: str, limits: tuple[str, str], sdtm: tuple[str, ...]
) -> VitalSign:
    testcd, test, sdtm_unit = sdtm
    return VitalSign(name, label, unit, Decimal(limits[0]), Decimal(limits[1]), name in _WHOLE,
                     testcd, test, sdtm_unit)  # fmt: skip


_WHOLE = frozenset({"systolic_bp", "diastolic_bp", "pulse"})

VITAL_SIGNS: Mapping[str, VitalSign] = {
    s.name: s
    for s in (
        _sign("systolic_bp", "Systolic blood pressure", "mmHg", ("50", "300"),
              ("SYSBP", "Systolic Blood Pressure", "mmHg")),
        _sign("diastolic_bp", "Diastolic blood pressure", "mmHg", ("20", "200"),
              ("DIABP", "Diastolic Blood Pressure", "mmHg")),
        _sign("pulse", "Pulse", "beats/min", ("20", "250"), ("PULSE", "Pulse Rate", "beats/min")),
        _sign("temperature", "Temperature", "°C", ("30", "45"), ("TEMP", "Temperature", "C")),
        _sign("weight", "Weight", "kg", ("0.5", "400"), ("WEIGHT", "Weight", "kg")),
        _sign("height", "Height", "cm", ("30", "250"), ("HEIGHT", "Height", "cm")),
    )
}  # fmt: skip
"""The signs of a vital-signs record, in the order of the form and of the VS domain."""


def check_blood_pressure(*, systolic: Decimal | None, diastolic: Decimal | None) -> None:
    """A diastolic pressure below the systolic one (when both are given)."""
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise ValidationError(
            "diastolic_bp",
            str(diastolic),
            Expected("below the systolic pressure (%(systolic)s mmHg)", systolic=systolic),
        )


def check_vital_signs(values: Mapping[str, Any]) -> None:
    """A vital-signs record's converted ``values``: at least one sign, and a diastolic
    pressure below the systolic one. (Each value's range is checked by its converter, the
    registry's field.)"""
    if all(values.get(name) is None for name in VITAL_SIGNS):
        raise ValidationError(
            "vital_sign",
            None,
            Expected("at least one of %(values)s", values=", ".join(VITAL_SIGNS)),
        )
    check_blood_pressure(systolic=values.get("systolic_bp"), diastolic=values.get("diastolic_bp"))
