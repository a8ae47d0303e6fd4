"""Record a simulated study's product steps (``autoserum.simulate.simulate_product``) through
the store's own services, as a preparer and an injector would: ``store.product.draw``,
``process``, ``make_aliquots``, ``storage_event``, ``prepare_kit`` and
``store.records.add_injection`` by the label code, so that every record passes the same checks
(``resolve_product``) as on the web; nothing bypasses them. A wrong-subject scan is an
injection the store must refuse (it audits the refusal): were it accepted, the chain of
identity would be broken, and this raises :class:`~autoserum.errors.StateError`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from autoserum.errors import Message, ProductRefusedError, StateError
from autoserum.protocols import PROCESS_PARAMETERS
from autoserum.store import Actor, Store

__all__ = ["record_product_steps"]

#: The processing parameters recorded: those the protocol checks, and the purification method.
_PARAMETERS = (*PROCESS_PARAMETERS, "purification")


def _volume(value: float | None) -> str | None:
    return None if value is None else format(value, "g")


def record_product_steps(
    store: Store, study: str, steps: pl.DataFrame, *, actor: Actor
) -> dict[str, int]:
    """Record ``steps`` in ``study`` in their order, as ``actor`` (who must both prepare the
    product and record injections, e.g. an admin); the counts of what was recorded, by table
    (the refused scans are in the audit trail)."""
    codes: dict[tuple[str, str, int], str] = {}
    processings: dict[tuple[str, int], int] = {}
    counts = dict.fromkeys(("blood_draws", "aliquots", "preparations", "injections"), 0)
    for row in steps.iter_rows(named=True):
        subject, step, at = row["subject_id"], row["step"], row["at"]
        key = (row["product_of"], row["product"], row["number"])
        if step == "draw":
            draw = store.product.draw(
                study, subject, actor=actor, volume_ml=format(row["volume_ml"], "g"), drawn_at=at
            )
            codes[key] = draw.code
            counts["blood_draws"] += 1
        elif step == "process":
            parameters: dict[str, Any] = {k: row[k] for k in _PARAMETERS if row[k] is not None}
            done = store.product.process(
                study, codes[key], actor=actor, started_at=at, **parameters
            )
            processings[(subject, row["number"])] = done.id
        elif step == "aliquots":
            made = store.product.make_aliquots(
                study, processings[(subject, row["source"])], actor=actor, count=row["count"],
                volume_ml=_volume(row["volume_ml"]), expires_at=row["expires_at"],
            )  # fmt: skip
            for n, aliquot in enumerate(made, start=row["number"]):
                codes[(subject, "aliquot", n)] = aliquot.code
            counts["aliquots"] += len(made)
        elif step == "thawed":
            store.product.storage_event(
                study, codes[key], step, actor=actor, at=at, temperature=row["temperature"]
            )
        elif step == "kit":
            source, drawn = row["source"], row["drawn"]
            kit = store.product.prepare_kit(
                study, subject, actor=actor, volume_ml=_volume(row["volume_ml"]),
                aliquot_code=None if source is None else codes[(subject, "aliquot", source)],
                blood_draw_code=None if drawn is None else codes[(subject, "draw", drawn)],
                prepared_at=at,
            )  # fmt: skip
            codes[key] = kit.code
            counts["preparations"] += 1
        else:
            _inject(store, study, row, codes[key], actor=actor, wrong=step == "wrong_scan")
            counts["injections"] += 1 if step == "inject" else 0
    return {k: n for k, n in counts.items() if n}


def _inject(store: Store, study: str, row: dict[str, Any], code: str, *, actor: Actor,
            wrong: bool) -> None:  # fmt: skip
    try:
        store.records.add_injection(
            study, row["subject_id"], row["given_on"], actor=actor,
            volume_ml=_volume(row["volume_ml"]), site=row["site"], side=row["side"],
            product_code=code, given_at=row["at"],
        )  # fmt: skip
    except ProductRefusedError:
        if wrong:
            return
        raise
    if wrong:
        raise StateError(
            Message(
                "%(row)s was injected with %(code)s, another subject's",
                row=row["subject_id"],
                code=code,
            )
        )
