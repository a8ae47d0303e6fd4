"""Responder flags at each visit from the definitions of :mod:`autoserum.instruments.responders`,
plus the commonly quoted minimal clinically important differences (MCID).

The flags are computed vectorised from each definition's kind and threshold; a test checks
them against :func:`autoserum.instruments.responders.is_responder` row by row. Comparisons
use a relative tolerance of 1e-9 so that a decimal value exactly on a threshold (e.g. EASI
14.6 → 7.3, exactly 50 %) counts as reaching it despite binary floating point.

Reference: docs/instruments.md, "Responders and meaningful change"; MCIDs: EASI 6.6 and
SCORAD 8.7 (Schram et al., Allergy 2012;67:99-106), oSCORAD 8.2, POEM 3.4 (Schram 2012),
DLQI 4 (Basra et al., Dermatology 2015;230:27-33).

>>> [rule.code for rule in responder_definitions("easi")]
['easi_50', 'easi_75', 'easi_90', 'easi_100', 'easi_mcid']
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from autoserum.errors import Expected
from autoserum.instruments.responders import MCID as _MCID
from autoserum.instruments.responders import RESPONDER_DEFINITIONS

__all__ = ["MCID", "ResponderRule", "responder_definitions", "responder_expr"]

#: Minimal clinically important differences (improvement in points) by instrument, from
#: :data:`autoserum.instruments.responders.MCID` (commonly quoted values).
MCID: dict[str, float] = {code: float(m.value) for code, m in _MCID.items()}

_TOL = 1e-9
_NAMES = {"oscorad": "oSCORAD", "po_scorad": "PO-SCORAD", "pp_nrs": "PP-NRS"}


@dataclass(frozen=True)
class ResponderRule:
    """One responder rule: its code, label, kind (percent/absolute/iga) and threshold.
    ``wording`` is the label as a message with its values (a report shows it translated)."""

    code: str
    instrument: str
    kind: str
    threshold: float
    label: str
    wording: Expected | None = None


def responder_definitions(instrument: str) -> tuple[ResponderRule, ...]:
    """The responder rules that apply to an instrument total: the instruments library's
    definitions for it, then its MCID (``<instrument>_mcid``) when one is quoted."""
    rules = [
        ResponderRule(
            d.code, d.instrument, d.kind, float(d.threshold), d.label, wording=Expected(d.label)
        )
        for d in RESPONDER_DEFINITIONS.values()
        if d.instrument == instrument
    ]
    if instrument in MCID:
        wording = Expected(
            "%(instrument)s improvement ≥ %(points)s points (MCID)",
            instrument=_NAMES.get(instrument, instrument.upper()),
            points=f"{MCID[instrument]:g}",
        )
        rules.append(
            ResponderRule(
                f"{instrument}_mcid", instrument, "absolute", MCID[instrument], str(wording),
                wording=wording,
            )
        )  # fmt: skip
    return tuple(rules)


def _at_least(x: pl.Expr, bound: pl.Expr | float) -> pl.Expr:
    b = bound if isinstance(bound, pl.Expr) else pl.lit(bound)
    return x >= b - _TOL * pl.max_horizontal(b.abs(), pl.lit(1.0))


def responder_expr(
    rule: ResponderRule, baseline: str = "baseline", value: str = "value"
) -> pl.Expr:
    """A Boolean expression: does the subject meet ``rule`` (null when undefined)?

    percent: (baseline − value) / baseline × 100 ≥ threshold, null when baseline = 0;
    absolute: baseline − value ≥ threshold; iga: value ≤ 1 and baseline − value ≥ 2.
    """
    b, v = pl.col(baseline), pl.col(value)
    improvement = b - v
    if rule.kind == "percent":
        expr = (
            pl.when(b == 0)
            .then(pl.lit(None, pl.Boolean))
            .otherwise(_at_least(improvement, b * rule.threshold / 100))
        )
    elif rule.kind == "absolute":
        expr = _at_least(improvement, rule.threshold)
    else:
        expr = (v <= 1) & _at_least(improvement, 2.0)
    return pl.when(b.is_null() | v.is_null()).then(pl.lit(None, pl.Boolean)).otherwise(expr)
