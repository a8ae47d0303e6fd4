"""The product chain of a simulated study (pure core): what the preparer and the injector do,
subject by subject, following each arm's product process in the protocol, as an ordered list
of steps for the store to record through its own services (``autoserum simulate --db``):

- **serum and IgG arms** (a process with aliquots): a blood draw on the morning of the first
  injection, its processing at the protocol's declared parameters, the aliquots (the
  protocol's number, else one per planned injection), kept frozen when the protocol stores them
  below 0 °C (the freezing itself is not recorded: one write fewer per aliquot); before each
  injection one aliquot is thawed (recorded: it counts against the freeze-thaw limit) and given
  by its code. A new draw is made when the aliquots run out or would expire before the next
  injection.
- **whole blood**: a draw a few minutes before each injection sitting, the injection(s) linked
  to it within the protocol's draw-to-injection limit; acupoint arms give one injection per
  point and side (bilateral points: left and right) with the volume per point.
- **blinded preparation** (a double-blind protocol): the unblinded preparer fills a kit per
  injection, from the day's aliquot (serum, IgG), from the sitting's draw (whole blood, within
  the draw-to-injection limit) or from saline (the placebo arm), and the injector gives the kit
  by its code: every injection of a double-blind protocol goes by a kit code, whatever the arm.
- **wrong-subject scans**: before an injection, with probability ``wrong_scan_rate``, the
  injector first scans a product of another subject made earlier; the store refuses it (and
  audits the refusal), then the right product is given.

Only treated subjects are injected, on the day-0 visit's date plus each planned injection day,
up to their last visit (a subject who left is not injected after the last visit attended).
Every time is UTC on the day of the step. The steps use their own random stream
(``default_rng([seed, STREAM_PRODUCT])``): the visit, adverse-event and con-med files are the
same with or without them.

>>> from autoserum.protocols import load_protocol
>>> from autoserum.simulate import simulate_study
>>> study = simulate_study("ast-nahm2023", 6, seed=1)
>>> steps = simulate_product(study.visits, load_protocol("ast-nahm2023"), seed=1)
>>> sorted(set(steps["step"]))
['aliquots', 'draw', 'inject', 'kit', 'process', 'thawed']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl

from autoserum.errors import Expected, ValidationError
from autoserum.protocols import (
    PROCESS_PARAMETERS,
    Arm,
    ProductProcess,
    Protocol,
    dose_volume,
    fact_number,
)
from autoserum.study.aliquots import kit_shelf_life, kit_use_by

__all__ = [
    "ASSUMED_SHELF_DAYS",
    "ASSUMED_VOLUME_ML",
    "PRODUCT_SCHEMA",
    "STEPS",
    "STREAM_PRODUCT",
    "simulate_product",
]

#: The random stream of the product steps (apart from the streams of ``_trials``).
STREAM_PRODUCT = 7
#: Shelf life of an aliquot (days) when the protocol declares none (assumption: long enough
#: for the planned course from one draw).
ASSUMED_SHELF_DAYS = 90
#: Volume of one injection (mL) when neither the dose nor the aliquot volume is declared in mL
#: (assumption; per point for acupoint injections).
ASSUMED_VOLUME_ML = 1.0

#: The kinds of step, in the order a sitting records them.
STEPS = ("draw", "process", "aliquots", "thawed", "kit", "wrong_scan", "inject")

#: The processing parameters a simulated processing records: those the protocol checks.
_PARAMETERS = tuple(PROCESS_PARAMETERS)
PRODUCT_SCHEMA: dict[str, Any] = {
    "subject_id": pl.String,
    "step": pl.String,
    "at": pl.Datetime("us", "UTC"),
    "given_on": pl.Date,
    "product": pl.String,
    "number": pl.Int64,
    "source": pl.Int64,
    "drawn": pl.Int64,
    "product_of": pl.String,
    "count": pl.Int64,
    "volume_ml": pl.Float64,
    "expires_at": pl.Datetime("us", "UTC"),
    "temperature": pl.Float64,
    "site": pl.String,
    "side": pl.String,
    **dict.fromkeys(_PARAMETERS, pl.Float64),
    "purification": pl.String,
}
"""One row per step. ``product`` and ``number`` name the subject's draw, aliquot or kit the
step makes or uses (numbered 1, 2, ... per subject and kind; ``aliquots`` makes ``count`` of
them from ``number`` on, from draw ``source``; a ``process`` step processes draw ``number``;
a kit is filled from aliquot ``source`` or from draw ``drawn``); ``product_of`` is its owner
(another subject for a ``wrong_scan``)."""


@dataclass
class _Made:
    """One subject's product as the steps are planned: how many of each kind were made
    (numbered 1, 2, ...), the last aliquot used and when the current draw's aliquots expire."""

    counts: dict[str, int] = field(default_factory=lambda: {"draw": 0, "aliquot": 0, "kit": 0})
    used: int = 0
    expires: datetime | None = None

    def next(self, kind: str) -> int:
        self.counts[kind] += 1
        return self.counts[kind]

    def usable(self, at: datetime) -> bool:
        """Whether an aliquot of the current draw is left and unexpired at ``at``."""
        return self.used < self.counts["aliquot"] and self.expires is not None and at < self.expires


def _number(fact: Any) -> float | None:
    value = fact_number(fact)
    return None if value is None else float(value)


def _volumes(arm: Arm, matched: list[float] | None, n: int) -> list[float]:
    """The volume (mL) of each of the first ``n`` planned injections of ``arm`` (per point for
    acupoints): the dose the protocol declares for each (``protocols.dose_volume``: a schedule
    such as 1-2-3-2-1 mL, or a fixed dose), else the aliquot volume, else ``matched`` (a placebo
    volume-matched to the active arm, injection by injection), else :data:`ASSUMED_VOLUME_ML`."""
    planned = [dose_volume(arm.dose, k + 1) for k in range(n)]
    if all(v is not None for v in planned):
        return [float(v) for v in planned if v is not None]
    value = _number(arm.process.aliquot_volume) if arm.process is not None else None
    if value is None and matched is not None:
        return matched[:n]
    return [value or ASSUMED_VOLUME_ML] * n


def _points(arm: Arm) -> list[tuple[str | None, str | None]]:
    """(site, side) of each injection of one sitting: every acupoint on each side it is given
    (bilateral: left and right), else one injection at an unnamed muscle."""
    points: list[tuple[str | None, str | None]] = []
    for site in arm.sites:
        if site.kind != "acupoint" or not site.code:
            continue
        sides = {"bilateral": ("left", "right"), "left": ("left",), "right": ("right",)}
        points.extend((site.code, side) for side in sides.get(site.laterality, (None,)))
    return points or [(None, None)]


def _row(subject: str, step: str, at: datetime, **values: Any) -> dict[str, Any]:
    return {"subject_id": subject, "step": step, "at": at, "product_of": subject, **values}


class _Planner:
    """The steps of every subject, with the products made so far (for wrong-subject scans)."""

    def __init__(self, protocol: Protocol, rng: np.random.Generator, wrong_scan_rate: float):
        self.protocol = protocol
        self.rng = rng
        self.rate = wrong_scan_rate
        self.blinded = not protocol.open_label
        self.made: list[tuple[datetime, str, str, int]] = []  # (at, owner, kind, number)
        active = [a for a in protocol.arms if a.process is not None]
        n = len(protocol.injections)
        self.matched = _volumes(active[0], None, n) if active else None

    def _minutes(self, low: int, high: int) -> timedelta:
        return timedelta(minutes=int(self.rng.integers(low, high + 1)))

    def _scan_first(self, subject: str, at: datetime) -> Iterator[dict[str, Any]]:
        """A wrong-subject scan before the injection at ``at``, with the store's refusal."""
        if self.rng.random() >= self.rate:
            return
        scanned = at - timedelta(minutes=1)
        earlier = [m for m in self.made if m[1] != subject and m[0] < scanned]
        if not earlier:
            return
        _, owner, kind, number = earlier[int(self.rng.integers(len(earlier)))]
        yield _row(subject, "wrong_scan", scanned, given_on=at.date(),
                   product=kind, number=number, product_of=owner)  # fmt: skip

    def subject(self, subject: str, arm: Arm, days: list[date]) -> Iterator[dict[str, Any]]:
        """The steps of one subject injected on ``days``."""
        made = _Made()
        volumes = _volumes(arm, self.matched, len(days))
        process = arm.process
        for k, day in enumerate(days):
            start = datetime.combine(day, time(8, 0), tzinfo=UTC) + self._minutes(0, 90)
            if process is not None and arm.product == "whole_blood":
                yield from self._whole_blood(subject, arm, process, made, start, volumes[k])
            elif process is not None:
                yield from self._aliquot(subject, process, made, start=start, day=day,
                                         volume=volumes[k], ahead=days[k:])  # fmt: skip
            elif self.blinded:
                at = start + timedelta(minutes=45)
                kit = made.next("kit")
                # filled shortly before, within every kit's use-by (study.aliquots.kit_use_by)
                filled = at - min(timedelta(minutes=15), kit_shelf_life(self.protocol) / 10)
                yield _row(subject, "kit", filled, product="kit", number=kit,
                           volume_ml=volumes[k])  # fmt: skip
                self.made.append((filled, subject, "kit", kit))
                yield from self._scan_first(subject, at)
                yield _row(subject, "inject", at, given_on=day, product="kit", number=kit,
                           volume_ml=volumes[k])  # fmt: skip

    def _whole_blood(
        self, subject: str, arm: Arm, process: ProductProcess, made: _Made, start: datetime,
        volume: float,
    ) -> Iterator[dict[str, Any]]:  # fmt: skip
        points = _points(arm)
        draw = made.next("draw")
        yield _row(subject, "draw", start, product="draw", number=draw,
                   volume_ml=volume * len(points))  # fmt: skip
        self.made.append((start, subject, "draw", draw))
        limit = _number(process.max_minutes_draw_to_injection)
        at = start + timedelta(minutes=1)
        last = start + timedelta(minutes=max(1, int(limit or 5) - 1))
        for site, side in points:
            product, number = "draw", draw
            if self.blinded:  # the preparer fills a kit from the draw; the injector sees its code
                product, number = "kit", made.next("kit")
                filled = at - timedelta(seconds=20)
                yield _row(subject, "kit", filled, product="kit", number=number, drawn=draw,
                           volume_ml=volume)  # fmt: skip
                self.made.append((filled, subject, "kit", number))
            yield from self._scan_first(subject, at)
            yield _row(subject, "inject", at, given_on=start.date(), product=product,
                       number=number, volume_ml=volume, site=site, side=side)  # fmt: skip
            at = min(last, at + timedelta(seconds=40))

    def _aliquot(
        self, subject: str, process: ProductProcess, made: _Made, *, start: datetime, day: date,
        volume: float, ahead: list[date],
    ) -> Iterator[dict[str, Any]]:  # fmt: skip
        frozen = (_number(process.storage_temperature) or 0.0) < 0
        at = start + timedelta(hours=2)
        filled = at - timedelta(minutes=15)
        # a kit's aliquot must keep beyond the kit's use-by (the store refuses it otherwise)
        needed = kit_use_by(self.protocol, filled) if self.blinded else at
        if not made.usable(needed):
            yield from self._draw_and_process(subject, process, made, start=start, volume=volume,
                                              ahead=ahead)  # fmt: skip
        made.used += 1
        aliquot = made.used
        if frozen:
            yield _row(subject, "thawed", at - timedelta(minutes=40), product="aliquot",
                       number=aliquot, temperature=4.0)  # fmt: skip
        product, number = "aliquot", aliquot
        if self.blinded:
            number = made.next("kit")
            product = "kit"
            yield _row(subject, "kit", filled, product="kit", number=number, source=aliquot,
                       volume_ml=volume)  # fmt: skip
            self.made.append((filled, subject, "kit", number))
        yield from self._scan_first(subject, at)
        yield _row(subject, "inject", at, given_on=day, product=product, number=number,
                   volume_ml=volume)  # fmt: skip

    def _draw_and_process(
        self, subject: str, process: ProductProcess, made: _Made, *, start: datetime,
        volume: float, ahead: list[date],
    ) -> Iterator[dict[str, Any]]:  # fmt: skip
        """A draw, its processing and its aliquots on the morning of ``start``."""
        draw = made.next("draw")
        drawn = _number(process.draw_volume) or 10.0 * volume
        yield _row(subject, "draw", start, product="draw", number=draw, volume_ml=drawn)
        processed = start + timedelta(minutes=5)
        declared = {name: _number(getattr(process, name)) for name in _PARAMETERS}
        purification = process.purification
        yield _row(subject, "process", processed, product="draw", number=draw,
                   purification=None if purification is None or not purification.known
                   else str(purification.value)[:200], **declared)  # fmt: skip
        shelf = _number(process.storage_max_days)
        count = int(_number(process.aliquot_count) or len(ahead))
        expires = processed + timedelta(days=shelf or ASSUMED_SHELF_DAYS)
        first = made.counts["aliquot"] + 1
        made.counts["aliquot"] += count
        made.used, made.expires = first - 1, expires
        done = processed + timedelta(minutes=int(declared["clotting_minutes"] or 0) + 20)
        yield _row(subject, "aliquots", done, product="aliquot", number=first, source=draw,
                   count=count, volume_ml=_number(process.aliquot_volume) or volume,
                   expires_at=None if shelf else expires)  # fmt: skip
        self.made.extend((done, subject, "aliquot", n) for n in range(first, first + count))


def _day0_codes(protocol: Protocol) -> set[str]:
    return {v.code for v in protocol.visits if v.day == 0}


def simulate_product(
    visits: pl.DataFrame, protocol: Protocol, *, seed: int, wrong_scan_rate: float = 0.03
) -> pl.DataFrame:
    """The product steps (:data:`PRODUCT_SCHEMA`, in time order) of a simulated study's
    ``visits`` (the long format: ``subject_id``, ``arm``, ``visit``, ``visit_date``,
    ``treated``) under ``protocol``; see the module docstring. Seeded: the same visits and seed
    give the same steps."""
    if not 0 <= wrong_scan_rate <= 1:
        raise ValidationError(
            "wrong_scan_rate", wrong_scan_rate, Expected("a probability from 0 to 1")
        )
    planner = _Planner(protocol, np.random.default_rng([seed, STREAM_PRODUCT]), wrong_scan_rate)
    arms = {a.code: a for a in protocol.arms}
    offsets = sorted(i.day for i in protocol.injections)
    day0_codes = _day0_codes(protocol)
    dated = visits.filter(pl.col("visit_date").is_not_null())
    per_subject = dated.group_by("subject_id", maintain_order=True).agg(
        pl.col("arm").first(),
        pl.col("treated").first(),
        pl.col("visit_date").filter(pl.col("visit").is_in(sorted(day0_codes))).min().alias("day0"),
        pl.col("visit_date").max().alias("last"),
    )
    rows: list[dict[str, Any]] = []
    for subject, arm_code, treated, day0, last in per_subject.sort("subject_id").iter_rows():
        arm = arms.get(arm_code)
        if arm is None or not treated or day0 is None:
            continue
        days = [day0 + timedelta(days=d) for d in offsets if day0 + timedelta(days=d) <= last]
        rows.extend(planner.subject(subject, arm, days))
    frame = pl.DataFrame(rows, schema=PRODUCT_SCHEMA, orient="row") if rows else (
        pl.DataFrame(schema=PRODUCT_SCHEMA)
    )  # fmt: skip
    order = pl.col("step").replace_strict({s: i for i, s in enumerate(STEPS)}, default=99)
    return frame.sort(pl.col("at"), order, "subject_id", maintain_order=True)
