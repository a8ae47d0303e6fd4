"""What a federated site shares: moments of (group, baseline, y) and suppression records.

Means and *centred* cross-products (not raw sums) so that combining sites by the parallel
update of Chan, Golub & LeVeque (1979) loses no precision. ``to_dict``/``from_dict`` give the
JSON a site sends; parsing names the field path of anything malformed.

>>> m = Moments.combine([Moments.of(np.array([[0.0, 1.0]])), Moments.of(np.array([[1.0, 3.0]]))])
>>> m.n, m.mean.tolist(), m.cross.tolist()
(2, [0.5, 2.0], [[0.5, 1.0], [1.0, 2.0]])
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from autoserum.errors import Expected, Message, ValidationError

__all__ = [
    "FORMAT",
    "VERSION",
    "Moments",
    "PatternMoments",
    "SiteSummary",
    "Suppression",
    "joined",
    "small_cell_reason",
]

FloatArray = npt.NDArray[np.float64]
FORMAT = "autoserum-federated-sums"
VERSION = 1


@dataclass(frozen=True)
class Moments:
    """``n`` rows of columns ``(group, baseline, y…)``: their means and centred cross-products.

    >>> m = Moments.of(np.array([[0.0, 1.0], [1.0, 3.0]]))
    >>> m.n, m.mean.tolist(), m.cross.tolist()
    (2, [0.5, 2.0], [[0.5, 1.0], [1.0, 2.0]])
    """

    n: int
    mean: FloatArray
    cross: FloatArray

    @classmethod
    def of(cls, rows: FloatArray) -> Moments:
        """The moments of the rows of a matrix (one row per subject)."""
        mean = rows.mean(axis=0)
        dev = rows - mean
        return cls(n=int(rows.shape[0]), mean=mean, cross=dev.T @ dev)

    @classmethod
    def combine(cls, parts: Sequence[Moments]) -> Moments:
        """Pooled moments (Chan, Golub & LeVeque's parallel update)."""
        n = sum(p.n for p in parts)
        mean = sum((p.n * p.mean for p in parts), np.zeros_like(parts[0].mean)) / n
        cross = np.zeros_like(parts[0].cross)
        for p in parts:
            d = p.mean - mean
            cross = cross + p.cross + p.n * np.outer(d, d)
        return cls(n=n, mean=mean, cross=cross)

    def about(self, center: FloatArray) -> FloatArray:
        """Raw cross-products ``Σ (u − c)(u − c)ᵀ`` about ``center``."""
        d = self.mean - center
        return np.asarray(self.cross + self.n * np.outer(d, d), dtype=np.float64)

    @property
    def treated(self) -> int:
        """Subjects with group 1 (the mean of the 0/1 group column times n)."""
        return round(float(self.mean[0]) * self.n)

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "mean": self.mean.tolist(), "cross_products": self.cross.tolist()}

    @classmethod
    def from_dict(cls, raw: Any, where: str, width: int) -> Moments:
        if not isinstance(raw, Mapping):
            raise ValidationError(
                where, type(raw).__name__, Expected("an object with n, mean, cross_products")
            )
        n = raw.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValidationError(f"{where}.n", n, Expected("a positive whole number of subjects"))
        mean = _floats(raw.get("mean"), f"{where}.mean", (width,))
        cross = _floats(raw.get("cross_products"), f"{where}.cross_products", (width, width))
        return cls(n=n, mean=mean, cross=cross)


def _floats(raw: Any, where: str, shape: tuple[int, ...]) -> FloatArray:
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            where, type(raw).__name__, Expected("numbers of shape %(shape)s", shape=shape)
        ) from exc
    if arr.shape != shape or not np.isfinite(arr).all():
        raise ValidationError(
            where, f"shape {arr.shape}", Expected("finite numbers of shape %(shape)s", shape=shape)
        )
    return arr


@dataclass(frozen=True)
class PatternMoments:
    """One missingness pattern: the visits observed and the moments of
    ``(group, baseline, y at each of those visits)`` over its subjects."""

    visits: tuple[Any, ...]
    moments: Moments


# Why a cell is withheld: the English text is what the site file carries (``reason``); the
# coordinating centre reads it back into its message to show it in the reader's language.
SECONDARY = "a pattern observed at this week was withheld (secondary suppression)"
_SMALL_TEXT = re.compile(r"^its (?P<arm>treatment|control) arm has fewer than (?P<k>\d+) subjects$")


def small_cell_reason(arm: str, min_cell: int) -> Message:
    """Why a cell is withheld: its ``arm`` (``treatment`` or ``control``) has fewer than
    ``min_cell`` subjects.

    >>> str(small_cell_reason("control", 5))
    'its control arm has fewer than 5 subjects'
    """
    if arm == "treatment":
        return Message("its treatment arm has fewer than %(min_cell)s subjects", min_cell=min_cell)
    return Message("its control arm has fewer than %(min_cell)s subjects", min_cell=min_cell)


def _reason(text: str) -> Message | str:
    """A site file's ``reason`` as its message when autoserum wrote it, else the text as sent."""
    if text == SECONDARY:
        return Message("a pattern observed at this week was withheld (secondary suppression)")
    found = _SMALL_TEXT.match(text)
    if found is None:
        return text
    return small_cell_reason(found["arm"], int(found["k"]))


def joined(parts: Sequence[Message | str]) -> Message | str:
    """Several messages as one, separated by ``; `` (each translated in its place).

    >>> str(joined([Message("a"), Message("b"), "c"]))
    'a; b; c'
    """
    if not parts:
        return ""
    text: Message | str = parts[-1]
    for part in reversed(parts[:-1]):
        text = Message("%(first)s; %(rest)s", first=part, rest=text)
    return text


@dataclass(frozen=True)
class Suppression:
    """A cell withheld by small-cell suppression (``visits`` is ``None`` for the ANCOVA).
    ``reason`` is the English text the site file carries.

    >>> s = Suppression("mmrm", (4.0,), "its control arm has fewer than 5 subjects")
    >>> str(s.describe())
    'the MMRM pattern observed at visits {4} (its control arm has fewer than 5 subjects)'
    >>> s.describe().params["reason"].message
    'its control arm has fewer than %(min_cell)s subjects'
    """

    model: str
    visits: tuple[Any, ...] | None
    reason: str

    def describe(self) -> Message:
        """What was withheld and why, as a translatable message."""
        if self.visits is None:
            return Message("the ANCOVA (%(reason)s)", reason=_reason(self.reason))
        return Message(
            "the MMRM pattern observed at visits %(visits)s (%(reason)s)",
            visits=_visits(self.visits),
            reason=_reason(self.reason),
        )


def _visits(visits: Sequence[Any]) -> str:
    return "{" + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in visits) + "}"


@dataclass(frozen=True)
class SiteSummary:
    """What a site shares: ANCOVA moments at ``week``, MMRM moments per pattern, and what
    small-cell suppression withheld. No subject identifier and no row appears in it."""

    week: Any
    min_cell: int
    ancova: Moments | None
    patterns: tuple[PatternMoments, ...]
    suppressed: tuple[Suppression, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (floats at full precision: rounding would break exactness)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "week": self.week,
            "min_cell": self.min_cell,
            "columns": ["group", "baseline", "y"],
            "ancova": None if self.ancova is None else self.ancova.to_dict(),
            "mmrm_patterns": [
                {"visits": list(p.visits), **p.moments.to_dict()} for p in self.patterns
            ],
            "suppressed": [
                {
                    "model": s.model,
                    "visits": None if s.visits is None else list(s.visits),
                    "reason": s.reason,
                }
                for s in self.suppressed
            ],
        }

    @classmethod
    def from_dict(cls, raw: Any, *, where: str = "summary") -> SiteSummary:
        """Parse and check :meth:`to_dict`'s output; errors name the field path."""
        if not isinstance(raw, Mapping) or raw.get("format") != FORMAT:
            raise ValidationError(f"{where}.format", _get(raw, "format"), repr(FORMAT))
        if raw.get("version") != VERSION:
            raise ValidationError(f"{where}.version", raw.get("version"), str(VERSION))
        min_cell = raw.get("min_cell")
        if not isinstance(min_cell, int) or min_cell < 1:
            raise ValidationError(
                f"{where}.min_cell", min_cell, Expected("a positive whole number")
            )
        anc = raw.get("ancova")
        ancova_m = None if anc is None else Moments.from_dict(anc, f"{where}.ancova", 3)
        patterns = []
        raw_patterns = raw.get("mmrm_patterns")
        if not isinstance(raw_patterns, list):
            raise ValidationError(
                f"{where}.mmrm_patterns", raw_patterns, Expected("a list of patterns")
            )
        for i, p in enumerate(raw_patterns):
            at = f"{where}.mmrm_patterns[{i}]"
            visits = p.get("visits") if isinstance(p, Mapping) else None
            if not isinstance(visits, list) or not visits or len(set(visits)) != len(visits):
                raise ValidationError(f"{at}.visits", visits, Expected("a list of distinct visits"))
            moments = Moments.from_dict(p, at, 2 + len(visits))
            patterns.append(PatternMoments(visits=tuple(visits), moments=moments))
        suppressed = []
        for i, s in enumerate(raw.get("suppressed") or []):
            at = f"{where}.suppressed[{i}]"
            if not isinstance(s, Mapping) or s.get("model") not in ("ancova", "mmrm"):
                raise ValidationError(
                    f"{at}.model", _get(s, "model"), Expected("'ancova' or 'mmrm'")
                )
            v = s.get("visits")
            suppressed.append(
                Suppression(
                    model=str(s["model"]),
                    visits=None if v is None else tuple(v),
                    reason=str(s.get("reason", "")),
                )
            )
        return cls(
            week=raw.get("week"),
            min_cell=min_cell,
            ancova=ancova_m,
            patterns=tuple(patterns),
            suppressed=tuple(suppressed),
        )


def _get(raw: Any, key: str) -> Any:
    return raw.get(key) if isinstance(raw, Mapping) else type(raw).__name__
