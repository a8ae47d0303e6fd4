"""The one registry of instruments and the scalar scoring entry point.

>>> from autoserum.instruments import score
>>> score("dlqi", {"q1": "a_little"}).reason
'9 questions unanswered (q2, q3, q4, q5, q6, q7, q8, q9, q10); two or more unanswered → not scored'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autoserum.errors import Expected, Message, NotFoundError, ValidationError
from autoserum.instruments._model import BandSet, Instrument, Score
from autoserum.instruments.cdlqi import CDLQI
from autoserum.instruments.dlqi import DLQI
from autoserum.instruments.easi import EASI
from autoserum.instruments.patient_global import PATIENT_GLOBAL
from autoserum.instruments.poem import POEM
from autoserum.instruments.pp_nrs import PP_NRS
from autoserum.instruments.sassad import SASSAD
from autoserum.instruments.scorad import SCORAD
from autoserum.instruments.sleep_nrs import SLEEP_NRS
from autoserum.instruments.viga_ad import VIGA_AD

__all__ = ["get_instrument", "instrument_codes", "resolve_band_set", "score"]

_REGISTRY: dict[str, Instrument] = {
    inst.code: inst
    for inst in (
        EASI,
        SCORAD,
        DLQI,
        CDLQI,
        POEM,
        SASSAD,
        PP_NRS,
        SLEEP_NRS,
        VIGA_AD,
        PATIENT_GLOBAL,
    )
}


def instrument_codes() -> tuple[str, ...]:
    """The codes of every registered instrument, in registry order.

    >>> instrument_codes()[:3]
    ('easi', 'scorad', 'dlqi')
    """
    return tuple(_REGISTRY)


def get_instrument(code: str) -> Instrument:
    """The registered instrument with this code; :class:`NotFoundError` if there is none.

    >>> easi = get_instrument("easi")
    >>> easi.maximum, easi.default_band_set, easi.flat_columns()[:2]
    (Fraction(72, 1), 'leshem2015', ('age', 'head_neck_erythema'))
    """
    try:
        return _REGISTRY[code]
    except (KeyError, TypeError):
        raise NotFoundError(
            Message(
                "unknown instrument %(code)s; expected one of %(values)s",
                code=repr(code),
                values=", ".join(_REGISTRY),
            )
        ) from None


def resolve_band_set(instrument: Instrument, name: str | None) -> BandSet | None:
    """The band set called ``name`` (the default when ``None``); unknown names raise."""
    if name is None:
        if instrument.default_band_set is None:
            return None
        return instrument.band_sets[instrument.default_band_set]
    if name not in instrument.band_sets:
        expected = (
            Expected("one of %(values)s", values=", ".join(instrument.band_sets))
            if instrument.band_sets
            else Expected("no band set (%(code)s has no published bands)", code=instrument.code)
        )
        raise ValidationError("band_set", name, expected)
    return instrument.band_sets[name]


def score(code: str, payload: Mapping[str, Any], *, band_set: str | None = None) -> Score:
    """Score one assessment exactly.

    ``payload`` holds the nested item codes of the specification (``None`` or an absent key for
    a missing item). Raises :class:`~autoserum.errors.ValidationError` naming the item path,
    the value and the allowed values; :class:`~autoserum.errors.NotFoundError` for an unknown
    instrument.

    Reference: docs/instruments.md.

    >>> score("pp_nrs", {"score": 4}).band
    'moderate'
    """
    instrument = get_instrument(code)
    bands = resolve_band_set(instrument, band_set)
    computed = instrument.compute(instrument.parse(payload))
    extra = dict(computed.extra)
    band = None
    if bands is not None:
        band = bands.assign(computed.total)
        for key in bands.extra_bands:
            extra[f"{key}_band"] = bands.assign(extra[key], key)
    return Score(
        instrument=instrument.code,
        total=computed.total,
        band=band,
        band_set=None if bands is None else bands.name,
        components=dict(computed.components),
        reason=computed.reason,
        extra=extra,
    )
