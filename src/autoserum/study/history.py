"""Subject history (pure core): demographics beyond age and sex, and the history of atopic
dermatitis (AD) a trial records at baseline.

- **Demographics** (kept on the subject, ``subject`` in the entity registry): a date of birth
  *or* an age (the subject's ``age`` stays the one owner of age; given a date of birth, the
  age is derived on the subject's screening date), ethnicity and race as the protocol declares
  them (:data:`DEFAULT_ETHNICITIES`, :data:`DEFAULT_RACES`: the CDISC SDTM ``ETHNIC`` codelist
  C66790 and the ``RACE`` codelist C74457 when a protocol declares none), and the Fitzpatrick
  skin type I-VI (Fitzpatrick TB. The validity and practicality of sun-reactive skin types I
  through VI. Arch Dermatol 1988;124:869-71).
- **AD history**: the age at onset (``ad_onset_age``, not above the age), the disease duration
  (derived: age minus age at onset, :func:`ad_duration`), previous systemic treatments
  (``prior_treatment`` records: drug with its ATC code and class from
  :mod:`autoserum.study.medication`, start and end years, response, reason stopped) and atopic
  comorbidities (``comorbidity`` records of :data:`COMORBIDITIES`).

Impossible values are refused with an error naming field, value and what was expected:

>>> check_demographics({"birth_date": date(2030, 1, 1)}, on=date(2026, 3, 1),
...     today=date(2026, 3, 1))
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
autoserum.errors.ValidationError: birth_date: got '2030-01-01'; expected a date not after ...
>>> check_demographics({"birth_date": date(1990, 6, 1)}, on=date(2026, 3, 1),
...     today=date(2026, 3, 1))["age"]
Decimal('35')
>>> check_demographics({"age": Decimal(20), "ad_onset_age": Decimal(25)}, on=None,
...     today=date(2026, 3, 1))
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
autoserum.errors.ValidationError: ad_onset_age: got '25'; expected an age at onset not above ...
>>> ad_duration(Decimal(35), Decimal("2.5"))
Decimal('32.5')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.study.rules import AGE_MAX, check_age

__all__ = [
    "BASELINE_HISTORY_COLUMNS",
    "COMORBIDITIES",
    "DEFAULT_ETHNICITIES",
    "DEFAULT_RACES",
    "FITZPATRICK_TYPES",
    "HISTORY_FIELDS",
    "RESPONSES",
    "STOP_REASONS",
    "YEAR_MIN",
    "ad_duration",
    "age_on",
    "check_category",
    "check_comorbidity",
    "check_demographics",
    "check_prior_treatment",
]

#: Fitzpatrick skin phototypes.
FITZPATRICK_TYPES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "VI")

#: CDISC SDTM controlled terminology, codelist C66790 (Ethnic Group), submission values.
DEFAULT_ETHNICITIES: tuple[str, ...] = (
    "HISPANIC OR LATINO",
    "NOT HISPANIC OR LATINO",
    "NOT REPORTED",
    "UNKNOWN",
)

#: CDISC SDTM controlled terminology, codelist C74457 (Race), submission values, with
#: ``MULTIPLE`` (SDTMIG 3.4 DM: more than one race reported) and ``OTHER``.
DEFAULT_RACES: tuple[str, ...] = (
    "AMERICAN INDIAN OR ALASKA NATIVE",
    "ASIAN",
    "BLACK OR AFRICAN AMERICAN",
    "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER",
    "WHITE",
    "MULTIPLE",
    "OTHER",
    "NOT REPORTED",
    "UNKNOWN",
)

#: Atopic comorbidities (the atopic march: asthma, allergic rhinitis and conjunctivitis, food
#: allergy; eosinophilic oesophagitis), ``other`` with its description.
COMORBIDITIES: tuple[str, ...] = (
    "asthma",
    "allergic_rhinitis",
    "allergic_conjunctivitis",
    "allergic_rhinoconjunctivitis",
    "food_allergy",
    "eosinophilic_oesophagitis",
    "urticaria",
    "other",
)

#: The response to a previous systemic treatment, as the investigator judged it.
RESPONSES: tuple[str, ...] = ("none", "partial", "good", "unknown")

#: Why a previous systemic treatment was stopped.
STOP_REASONS: tuple[str, ...] = (
    "lack_of_efficacy",
    "loss_of_response",
    "adverse_event",
    "course_completed",
    "patient_choice",
    "cost_or_access",
    "study_entry",
    "other",
    "unknown",
)

#: The earliest year a previous treatment may be dated.
YEAR_MIN = 1900

#: The subject's fields of demographics and AD history (a correction of any of them is
#: checked by :func:`check_demographics`).
HISTORY_FIELDS: tuple[str, ...] = (
    "age",
    "birth_date",
    "sex",
    "ethnicity",
    "race",
    "fitzpatrick",
    "ad_onset_age",
)


#: The columns of the per-subject history frame the report's baseline table reads
#: (``store.exports.history``): the subject, its demographics, the disease duration in years,
#: one flag per atopic comorbidity and the number of previous systemic treatments.
BASELINE_HISTORY_COLUMNS: tuple[str, ...] = (
    "subject_id",
    "sex",
    "ethnicity",
    "race",
    "fitzpatrick",
    "ad_duration",
    *COMORBIDITIES,
    "prior_systemic",
)


def age_on(born: date, on: date) -> int:
    """Completed years of age on ``on`` of a person born on ``born``.

    >>> age_on(date(2000, 2, 29), date(2026, 2, 28))
    25
    """
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def ad_duration(age: Decimal | None, onset_age: Decimal | None) -> Decimal | None:
    """The disease duration in years: age minus age at onset (``None`` when either is
    unknown)."""
    if age is None or onset_age is None:
        return None
    return age - onset_age


def check_category(field: str, value: str | None, declared: Sequence[str]) -> str | None:
    """``value`` when it is one of the categories the protocol ``declared`` (ethnicity, race).

    >>> check_category("race", "ASIAN", DEFAULT_RACES)
    'ASIAN'
    >>> check_category("ethnicity", "martian", ("A", "B"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: ethnicity: got 'martian'; expected one of A, B (the ...
    """
    if value is None or value in declared:
        return value
    raise ValidationError(
        field,
        value,
        Expected("one of %(values)s (the protocol's categories)", values=", ".join(declared)),
    )


def check_demographics(
    values: Mapping[str, Any],
    *,
    on: date | None,
    today: date,
    ethnicities: Sequence[str] = DEFAULT_ETHNICITIES,
    races: Sequence[str] = DEFAULT_RACES,
) -> dict[str, Any]:
    """The subject's history ``values`` (converted by the registry) checked together: a date of
    birth not after ``today`` nor after ``on`` (the screening date), the age derived from it
    on ``on`` (or ``today``) when no age is given, an age agreeing with it otherwise, an age at
    onset not above the age, ethnicity and race among the protocol's categories. Returns the
    values with the derived age."""
    out = dict(values)
    born: date | None = out.get("birth_date")
    when = on or today
    if born is not None:
        latest = min(today, when)
        if born > latest:
            raise ValidationError(
                "birth_date",
                born.isoformat(),
                Expected("a date not after %(latest)s", latest=latest.isoformat()),
            )
        years = age_on(born, when)
        if years > AGE_MAX:
            raise ValidationError(
                "birth_date",
                born.isoformat(),
                Expected(
                    "an age of at most %(age_max)s years on %(when)s", age_max=AGE_MAX, when=when
                ),
            )
        if out.get("age") is None:
            out["age"] = Decimal(years)
        else:
            check_age("age", out["age"], born=born, on=when)
    age: Decimal | None = out.get("age")
    onset: Decimal | None = out.get("ad_onset_age")
    if onset is not None and age is not None and onset > age:
        raise ValidationError(
            "ad_onset_age",
            str(onset),
            Expected("an age at onset not above the age (%(age)s years)", age=age),
        )
    check_category("ethnicity", out.get("ethnicity"), ethnicities)
    check_category("race", out.get("race"), races)
    return out


def _year(field: str, value: int | None, *, born: int | None, this_year: int) -> None:
    if value is None:
        return
    low = max(YEAR_MIN, born or YEAR_MIN)
    if not low <= value <= this_year:
        raise ValidationError(
            field,
            str(value),
            Expected("a year from %(low)s to %(this_year)s", low=low, this_year=this_year),
        )


def check_prior_treatment(
    values: Mapping[str, Any], *, this_year: int, born: date | None = None
) -> dict[str, Any]:
    """A previous systemic treatment's ``values``: its years from the year of birth (or
    :data:`YEAR_MIN`) to ``this_year``, the start not after the end.

    >>> check_prior_treatment({"start_year": 2020, "end_year": 2019}, this_year=2026)
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: end_year: got '2019'; expected a year ≥ the start year (2020)
    """
    birth_year = None if born is None else born.year
    start, end = values.get("start_year"), values.get("end_year")
    _year("start_year", start, born=birth_year, this_year=this_year)
    _year("end_year", end, born=birth_year, this_year=this_year)
    if start is not None and end is not None and end < start:
        raise ValidationError(
            "end_year", str(end), Expected("a year ≥ the start year (%(start)s)", start=start)
        )
    return dict(values)


def check_comorbidity(values: Mapping[str, Any], *, age: Decimal | None) -> dict[str, Any]:
    """An atopic comorbidity's ``values``: ``other`` described, an age at onset not above the
    subject's age.

    >>> check_comorbidity({"condition": "other", "detail": None}, age=None)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: detail: got None; expected a description of the other ...
    """
    if values.get("condition") == "other" and not values.get("detail"):
        raise ValidationError("detail", None, Expected("a description of the other comorbidity"))
    onset = values.get("onset_age")
    if onset is not None and age is not None and onset > age:
        raise ValidationError(
            "onset_age",
            str(onset),
            Expected("an age at onset not above the age (%(age)s years)", age=age),
        )
    return dict(values)
