"""The rules of an adverse event as the store records it (ICH E2A, ``study/safety.py``): the
seriousness criteria agree with ``serious`` (and a fatal outcome with ``death``), an ended event
(an end date) ends on or after its onset with an outcome of an ended event, expectedness and
the adverse events of special interest follow from the protocol's reference safety information
(``protocol.safety``), and a serious event says when the site became aware of it
(``aware_at``: its 24-hour reporting clock starts there) and is reported after that. A
recovered event without its end date is recorded: that is a data query, not a refusal.

A follow-up of an event is a correction (``records.update``) with its reason: a new version of
the same record, every change in the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.protocols import Protocol
from autoserum.study.safety import SERIOUSNESS_CRITERIA, check_ae_dates, check_seriousness

__all__ = ["CRITERIA_FIELDS", "check_ae_times", "checked_adverse_event", "derived_safety"]

#: The registry's seriousness-criterion fields, in ICH order.
CRITERIA_FIELDS: tuple[str, ...] = tuple(f"sae_{c}" for c in SERIOUSNESS_CRITERIA)


def checked_adverse_event(values: Mapping[str, Any], protocol: Protocol) -> dict[str, Any]:
    """The complete values of one adverse event (converted by the registry) checked, with the
    criteria not given set false and ``expected`` and ``aesi`` derived."""
    out = dict(values)
    for name in CRITERIA_FIELDS:
        if out.get(name) is None:
            out[name] = False
    pairs = zip(SERIOUSNESS_CRITERIA, CRITERIA_FIELDS, strict=True)
    criteria = tuple(c for c, f in pairs if out[f])
    check_seriousness(serious=bool(out["serious"]), criteria=criteria, outcome=out["outcome"])
    out.update(derived_safety(protocol, out))
    if out["serious"] and out.get("aware_at") is None:
        raise ValidationError(
            "aware_at",
            None,
            Expected("when the site became aware of the serious event (the 24-hour clock)"),
        )
    check_ae_times(out)
    return out


def check_ae_times(values: Mapping[str, Any]) -> None:
    """The times of one adverse event: an end date (when given) not before the onset, with
    an outcome of an ended event; a report not before the site became aware. Every write of
    an event applies it: a form, the API, a follow-up and an imported file's row."""
    if values.get("end_date") is not None:
        check_ae_dates(
            onset=values.get("onset_date"), end=values["end_date"], outcome=values.get("outcome")
        )
    aware, reported = values.get("aware_at"), values.get("reported_at")
    if aware is not None and reported is not None and reported < aware:
        raise ValidationError(
            "reported_at",
            reported.isoformat(),
            Expected("not before the site became aware (%(aware)s)", aware=aware),
        )


def derived_safety(protocol: Protocol, values: Mapping[str, Any]) -> dict[str, Any]:
    """``expected`` (listed in the protocol's reference safety information, by term or MedDRA
    PT code) and ``aesi`` (the codes of its adverse events of special interest the term
    belongs to, or ``None``) of an event; an imported event gets them the same way."""
    safety = protocol.safety
    return {
        "expected": safety.expected(values["term"], values.get("meddra_pt")),
        "aesi": safety.aesi(values["term"]),
    }
