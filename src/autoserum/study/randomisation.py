"""The concealed allocation list: stratified permuted blocks of random size, seeded.

Each stratum (a site, optionally crossed with other factors) gets its own list of whole permuted
blocks. A block's size is drawn at random from ``block_sizes`` (each a multiple of the sum of
the allocation ratios), so the next arm cannot be guessed from the block length; inside a block
every arm appears ``ratio × size / sum(ratios)`` times in a random order. Randomness comes from a
NumPy ``Generator`` seeded from ``(seed, stratum)`` only, so a list is reproducible from its seed
and adding a stratum never changes the lists of the others.

Concealment: :class:`Allocation` hides its arm from ``repr``; the store keeps the list and
reveals one entry at enrolment through :func:`next_allocation`.

References: Schulz KF, Grimes DA. Allocation concealment in randomised trials. Lancet
2002;359:614-8; Efird J. Blocked randomization with randomly selected block sizes. Int J Environ
Res Public Health 2011;8:15-20.

>>> alloc = allocation_list([("serum", 1), ("placebo", 1)], n=8, seed=20260301,
...                         strata=[stratum_key("S01"), stratum_key("S02")])
>>> sorted({a.stratum for a in alloc})
['site=S01', 'site=S02']
>>> first = next_allocation(alloc, "site=S01", assigned=0)
>>> first.sequence, first.arm in {"serum", "placebo"}
(1, True)
>>> alloc == allocation_list([("serum", 1), ("placebo", 1)], n=8, seed=20260301,
...                          strata=["site=S01", "site=S02"])
True
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from autoserum.errors import Expected, Message, StateError, ValidationError

__all__ = [
    "Allocation",
    "allocation_digest",
    "allocation_list",
    "next_allocation",
    "parse_stratify_by",
    "strata_for",
    "stratum_key",
]


@dataclass(frozen=True)
class Allocation:
    """One entry of the list: the ``sequence``-th subject (from 1) of ``stratum`` gets ``arm``.

    ``block`` numbers the permuted blocks of the stratum from 1; ``block_size`` is its size.
    The arm is left out of ``repr`` so that logs do not unblind.
    """

    stratum: str
    sequence: int
    block: int
    arm: str = field(repr=False)
    block_size: int = 0


def stratum_key(site: str, factors: Mapping[str, str] | None = None) -> str:
    """The name of a stratum: ``site=<site>`` then ``;name=value`` per factor, names sorted.

    >>> stratum_key("S01", {"severity": "moderate"})
    'site=S01;severity=moderate'
    """
    parts = {"site": site, **dict(factors or {})}
    for name, value in parts.items():
        for text, what in ((name, "factor name"), (value, f"value of {name}")):
            if not isinstance(text, str) or not text or any(c in text for c in "=;"):
                raise ValidationError(
                    f"strata.{name}",
                    text,
                    Expected("a non-empty %(what)s without '=' or ';'", what=what),
                )
    ordered = ["site", *sorted(k for k in parts if k != "site")]
    return ";".join(f"{k}={parts[k]}" for k in ordered)


def strata_for(
    sites: Sequence[str], factors: Mapping[str, Sequence[str]] | None = None
) -> tuple[str, ...]:
    """Every stratum of sites × the levels of each optional factor.

    >>> strata_for(["S01", "S02"], {"severity": ["moderate", "severe"]})[:2]
    ('site=S01;severity=moderate', 'site=S01;severity=severe')
    """
    if not sites:
        raise ValidationError("sites", list(sites), Expected("at least one site"))
    factors = dict(factors or {})
    names = sorted(factors)
    for name in names:
        if not factors[name]:
            raise ValidationError(
                f"factors.{name}", list(factors[name]), Expected("at least one level")
            )
    out = []
    for site in sites:
        for levels in itertools.product(*(factors[n] for n in names)):
            out.append(stratum_key(site, dict(zip(names, levels, strict=True))))
    return tuple(out)


def _check_arms(arms: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    checked: list[tuple[str, int]] = []
    if len(arms) < 2:
        raise ValidationError("arms", list(arms), Expected("at least two (arm, ratio) pairs"))
    for i, pair in enumerate(arms):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise ValidationError(f"arms[{i}]", pair, Expected("an (arm code, ratio) pair"))
        code, ratio = pair
        if not isinstance(code, str) or not code:
            raise ValidationError(f"arms[{i}].code", code, Expected("a non-empty arm code"))
        if code in {c for c, _ in checked}:
            raise ValidationError(
                f"arms[{i}].code", code, Expected("a code not used by another arm")
            )
        if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
            raise ValidationError(f"arms[{i}].ratio", ratio, Expected("an integer ≥ 1"))
        checked.append((code, ratio))
    return checked


def _generator(seed: int, stratum: str) -> np.random.Generator:
    # Seed from (seed, stratum) only: a stratum's list does not depend on the other strata.
    digest = hashlib.sha256(stratum.encode("utf-8")).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


def allocation_list(
    arms: Sequence[tuple[str, int]],
    *,
    n: int,
    seed: int,
    block_sizes: Sequence[int] | None = None,
    strata: Sequence[str] = ("",),
) -> list[Allocation]:
    """The concealed allocation list: whole permuted blocks for at least ``n`` subjects per stratum.

    ``arms``: (code, allocation ratio) pairs, e.g. ``[("serum", 2), ("placebo", 1)]``.
    ``block_sizes``: the sizes to draw from, each a multiple of the ratio sum; the default is
    one and two times the ratio sum, i.e. ``(2, 4)`` for 1:1 and ``(3, 6)`` for 2:1. Each stratum
    gets whole blocks until it holds ``n`` or more entries (at most ``n + max(block_sizes) - 1``),
    so every block of the list is complete and balanced. ``seed``: an integer ≥ 0.
    """
    checked = _check_arms(arms)
    total = sum(r for _, r in checked)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValidationError("n", n, Expected("an integer ≥ 1 (subjects per stratum)"))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError("seed", seed, Expected("an integer ≥ 0"))
    sizes = tuple(block_sizes) if block_sizes is not None else (total, 2 * total)
    if not sizes:
        raise ValidationError("block_sizes", list(sizes), Expected("at least one block size"))
    for i, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % total:
            raise ValidationError(
                f"block_sizes[{i}]",
                size,
                Expected("a positive multiple of the ratio sum (%(total)s)", total=total),
            )
    if not strata:
        raise ValidationError("strata", list(strata), Expected("at least one stratum"))
    if len(set(strata)) != len(strata):
        raise ValidationError("strata", list(strata), Expected("stratum names without duplicates"))
    out: list[Allocation] = []
    for stratum in strata:
        rng = _generator(seed, stratum)
        sequence = 0
        block = 0
        while sequence < n:
            block += 1
            size = int(sizes[int(rng.integers(len(sizes)))])
            times = size // total
            content = [code for code, ratio in checked for _ in range(ratio * times)]
            for index in rng.permutation(size):
                sequence += 1
                out.append(Allocation(stratum, sequence, block, content[int(index)], size))
    return out


def next_allocation(
    allocations: Sequence[Allocation], stratum: str, *, assigned: int
) -> Allocation:
    """The allocation of the next subject of ``stratum``, when ``assigned`` are already allocated.

    Raises :class:`ValidationError` for a stratum the list does not have and
    :class:`StateError` when the stratum's list is used up.
    """
    entries = sorted((a for a in allocations if a.stratum == stratum), key=lambda a: a.sequence)
    if not entries:
        known = sorted({a.stratum for a in allocations})
        raise ValidationError(
            "stratum",
            stratum,
            Expected("a stratum of the list (%(values)s)", values=", ".join(known)),
        )
    if isinstance(assigned, bool) or not isinstance(assigned, int) or assigned < 0:
        raise ValidationError("assigned", assigned, Expected("an integer ≥ 0"))
    if assigned >= len(entries):
        raise StateError(
            Message(
                "the allocation list of stratum %(stratum)s is used up (%(count)s allocated)",
                stratum=repr(stratum),
                count=len(entries),
            )
        )
    return entries[assigned]


def allocation_digest(allocations: Sequence[Allocation]) -> str:
    """A SHA-256 fingerprint of the list, to show later that it was not altered."""
    lines = (
        f"{a.stratum}\t{a.sequence}\t{a.block}\t{a.block_size}\t{a.arm}\n"
        for a in sorted(allocations, key=lambda a: (a.stratum, a.sequence))
    )
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def parse_stratify_by(
    text: str | None, *, field: str = "stratify_by"
) -> dict[str, list[str]] | None:
    """Stratification factors typed as text (the CLI's ``--stratify-by``, the admin page's
    field) as ``{factor: [levels]}``: factors separated by commas, each ``NAME=LEVEL/LEVEL``;
    ``None`` when empty. Errors name ``field``.

    >>> parse_stratify_by("baseline_severity=moderate/severe,sex=F/M")
    {'baseline_severity': ['moderate', 'severe'], 'sex': ['F', 'M']}
    """
    if text is None or not text.strip():
        return None
    out: dict[str, list[str]] = {}
    for part in text.split(","):
        name, sep, levels = part.partition("=")
        if not sep or not name.strip():
            raise ValidationError(
                field, part, Expected("NAME=LEVEL/LEVEL, e.g. baseline_severity=moderate/severe")
            )
        if name.strip() in out:
            raise ValidationError(field, name.strip(), Expected("each factor named once"))
        out[name.strip()] = [level.strip() for level in levels.split("/")]
    return out
