"""Record a simulated study's serious adverse events (``SimulatedStudy.serious``) through the
store's own services, as a site would: ``store.records.add_adverse_event`` with the ICH E2A
criteria, relatedness, action taken, the onset date, when the site became aware (the 24-hour
clock) and when it reported (empty: not yet, so the dashboard shows it overdue), the initial
outcome (``recovering``) and the narrative; then, for an event that ended, a follow-up
(``store.records.update`` with its reason: a new version, audited) giving its end date and the
final outcome. Expectedness and special interest are derived by the store from the protocol, as
for an event entered on the form; nothing bypasses the checks (``store/_safety.py``).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from autoserum.store import Actor, Store
from autoserum.study.tidy import AE_SCHEMA

__all__ = ["record_serious_events"]

#: Fields of the adverse-event file the store derives (never given on a form); ``follow_up``
#: counts the store's own follow-ups (the one below makes it 1).
_DERIVED = frozenset({"subject_id", "arm", "onset_week", "expected", "aesi", "follow_up"})


def record_serious_events(
    store: Store, study: str, serious: pl.DataFrame, *, actor: Actor
) -> dict[str, int]:
    """Record every row of ``serious`` in ``study`` as ``actor``; the number recorded (by
    table, as the import counts them: ``adverse_events``)."""
    recorded = 0
    for row in serious.iter_rows(named=True):
        fields: dict[str, Any] = {
            k: v for k, v in row.items() if k not in _DERIVED and v is not None
        }
        end, outcome = fields.pop("end_date", None), fields.pop("outcome")
        event = store.records.add_adverse_event(
            study, row["subject_id"], actor=actor, outcome="recovering", **fields
        )
        recorded += 1
        if end is not None:
            store.records.update(
                study, "adverse_event", event.id, {"outcome": outcome, "end_date": end},
                actor=actor, reason=f"follow-up 1: {outcome}", expected_version=event.version,
            )  # fmt: skip
    return {"adverse_events": recorded} if recorded else {}


assert set(_DERIVED) <= set(AE_SCHEMA)
