"""Subject history in the store: the rules of :mod:`autoserum.study.history` applied inside the
writer's transaction, where the protocol's categories, the screening date, the subject's
recorded age and comorbidities are known. ``records.record_history``, a correction of the
subject (``records.update(study, "subject", ...)``) and ``records.add`` of a previous systemic
treatment or an atopic comorbidity all pass through here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, ValidationError
from autoserum.protocols import Protocol
from autoserum.store._integrity import screening_date
from autoserum.store.models import ComorbidityRow, SubjectRow
from autoserum.study.history import (
    HISTORY_FIELDS,
    check_category,
    check_comorbidity,
    check_demographics,
    check_prior_treatment,
)
from autoserum.study.medication import class_of_atc

__all__ = ["checked_comorbidity", "checked_history", "checked_prior_treatment"]


def checked_history(
    s: Session,
    protocol: Protocol,
    subject: SubjectRow,
    given: Mapping[str, Any],
    *,
    today: date,
) -> dict[str, Any]:
    """The changes ``given`` to the subject's demographics and AD history (converted by the
    registry), checked with what is recorded: a date of birth not in the future, the age
    derived from it on the screening date (or agreeing with it), an age at onset of AD and of
    every recorded comorbidity not above the age, ethnicity and race among the protocol's
    categories. Returns the changes, with the derived age."""
    current = {name: getattr(subject, name) for name in HISTORY_FIELDS}
    merged = {**current, **given}
    if given.get("birth_date") is not None and given.get("age") is None:
        merged["age"] = None  # derived from the date of birth
    declared = protocol.demographics
    for name, categories in (("ethnicity", declared.ethnicity), ("race", declared.race)):
        if name in given:
            check_category(name, given[name], categories)
        merged.pop(name)
    out = check_demographics(merged, on=screening_date(s, protocol, subject), today=today)
    age: Decimal | None = out.get("age")
    if age is not None:
        onsets = s.scalars(
            select(ComorbidityRow.onset_age).where(ComorbidityRow.subject_pk == subject.id)
        )
        latest = max((o for o in onsets if o is not None), default=None)
        if latest is not None and latest > age:
            raise ValidationError(
                "age",
                str(age),
                Expected(
                    "an age not below a recorded comorbidity's onset (%(latest)s)", latest=latest
                ),
            )
    changes = {k: out[k] for k in given if k in out}
    if out.get("age") != current["age"]:
        changes["age"] = out["age"]
    return {**changes, **{k: given[k] for k in ("ethnicity", "race") if k in given}}


def checked_prior_treatment(
    values: Mapping[str, Any], subject: SubjectRow, *, today: date
) -> dict[str, Any]:
    """A previous systemic treatment's values: its years within the subject's life, the class
    following from a known ATC code (a contradiction is refused, naming the field)."""
    out = check_prior_treatment(values, this_year=today.year, born=subject.birth_date)
    atc = out.get("atc_code")
    derived = None if atc is None else class_of_atc(atc)
    if derived is not None:
        given = out.get("drug_class")
        if given is not None and given != derived:
            raise ValidationError(
                "drug_class",
                given,
                Expected("%(derived)s (the class of ATC code %(atc)s)", derived=derived, atc=atc),
            )
        out["drug_class"] = derived
    return out


def checked_comorbidity(values: Mapping[str, Any], subject: SubjectRow) -> dict[str, Any]:
    """An atopic comorbidity's values: ``other`` described, its onset not above the age."""
    return check_comorbidity(values, age=subject.age)
