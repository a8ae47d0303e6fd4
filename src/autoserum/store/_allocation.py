"""Stratification factors of a study and its concealed allocation lists, one per stratum.

A study is stratified by site and, optionally, by factors declared at creation
(``stratify_by={"baseline_severity": ("moderate", "severe")}``). Each stratum's list is
generated from the study's recorded seed the first time it is needed (at ``add_site`` for the
site-only stratum of an unfactored study, at the first randomisation of the stratum otherwise);
because :func:`autoserum.study.randomisation.allocation_list` seeds each stratum from
``(seed, stratum)`` only, a list is the same whenever, and in whichever order, it is generated.

Reference: Kernan WN et al. Stratified randomization for clinical trials. J Clin Epidemiol
1999;52:19-26 (strata = site × prognostic factors, permuted blocks within each).

>>> check_stratify_by({"baseline_severity": ["moderate", "severe"]})
{'baseline_severity': ['moderate', 'severe']}
>>> check_strata({"baseline_severity": ["moderate", "severe"]}, {"baseline_severity": "severe"})
{'baseline_severity': 'severe'}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, ValidationError
from autoserum.protocols import Protocol
from autoserum.store._types import utcnow
from autoserum.store.models import AllocationListRow, AllocationRow, StudyRow
from autoserum.study.randomisation import allocation_digest, allocation_list

__all__ = ["check_strata", "check_stratify_by", "ensure_list", "generate_list"]

_BAD = "=;"


def _name_ok(text: Any) -> bool:
    return isinstance(text, str) and bool(text.strip()) and not any(c in text for c in _BAD)


def check_stratify_by(value: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]]:
    """The declared factors as ``{name: [levels]}`` (:class:`ValidationError` naming the bad
    factor or level)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            "stratify_by", value, Expected("a mapping of factor name to its levels")
        )
    out: dict[str, list[str]] = {}
    for name, levels in value.items():
        if not _name_ok(name) or name == "site":
            raise ValidationError(
                "stratify_by", name, Expected("a factor name other than 'site', without '=' or ';'")
            )
        if isinstance(levels, str) or not isinstance(levels, Sequence) or len(levels) < 2:
            raise ValidationError(
                f"stratify_by.{name}", levels, Expected("a list of at least two levels")
            )
        for level in levels:
            if not _name_ok(level):
                raise ValidationError(
                    f"stratify_by.{name}", level, Expected("a non-empty level without '=' or ';'")
                )
        if len(set(levels)) != len(levels):
            raise ValidationError(
                f"stratify_by.{name}", list(levels), Expected("levels without repeats")
            )
        out[name] = list(levels)
    return out


def check_strata(
    declared: Mapping[str, Sequence[str]], given: Mapping[str, str] | None
) -> dict[str, str]:
    """A subject's factor levels checked against the declared factors: every factor is required,
    each level must be declared, no other factor is accepted."""
    given = dict(given or {})
    for name, value in given.items():
        if name not in declared:
            expected = (
                Expected(
                    "one of the declared factors (%(values)s)", values=", ".join(sorted(declared))
                )
                if declared
                else Expected("no factor (the study is stratified by site only)")
            )
            raise ValidationError(f"strata.{name}", value, expected)
    out: dict[str, str] = {}
    for name in sorted(declared):
        levels = list(declared[name])
        level = given.get(name)
        if level not in levels:
            raise ValidationError(
                f"strata.{name}", level, Expected("one of %(values)s", values=", ".join(levels))
            )
        out[name] = str(level)
    return out


def generate_list(s: Session, st: StudyRow, protocol: Protocol, stratum: str) -> None:
    """Write the concealed list of ``stratum`` from the study's seed (nothing for one arm)."""
    arms = [(a.code, a.allocation_ratio) for a in protocol.arms]
    if len(arms) < 2:
        return  # a single-arm study allocates everyone to its arm
    entries = allocation_list(arms, n=st.allocation_n, seed=st.seed, strata=[stratum])
    head = AllocationListRow(
        study_id=st.id,
        stratum=stratum,
        seed=st.seed,
        n=st.allocation_n,
        arms=[list(a) for a in arms],
        digest=allocation_digest(entries),
        created_at=utcnow(),
        version=1,
    )
    s.add(head)
    s.flush()
    s.execute(
        insert(AllocationRow),
        [
            {
                "list_id": head.id,
                "sequence": e.sequence,
                "block": e.block,
                "block_size": e.block_size,
                "arm": e.arm,
                "subject_pk": None,
            }
            for e in entries
        ],
    )


def _head(s: Session, st: StudyRow, stratum: str) -> AllocationListRow | None:
    return s.scalar(
        select(AllocationListRow)
        .where(AllocationListRow.study_id == st.id, AllocationListRow.stratum == stratum)
        .with_for_update()
    )


def ensure_list(
    s: Session, st: StudyRow, protocol: Protocol, stratum: str
) -> AllocationListRow | None:
    """The (locked) head of the stratum's list, generated now if the stratum has none yet.

    The study row is locked before generating so that two first randomisations of one stratum
    on PostgreSQL cannot both write its list."""
    head = _head(s, st, stratum)
    if head is None:
        s.execute(select(StudyRow.id).where(StudyRow.id == st.id).with_for_update())
        head = _head(s, st, stratum)
        if head is None:
            generate_list(s, st, protocol, stratum)
            head = _head(s, st, stratum)
    return head
