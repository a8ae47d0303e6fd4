"""A subject's record lists are read as plain rows (``store/_subjects.py``: Core, no ORM
objects), so every field and link the entity registry declares for them must be a column of
its table under the same name (a field computed by a mapped class's property would be missing
from a plain row)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from autoserum.store._subjects import _PART_MODELS, DETAIL_PARTS, _records_of
from autoserum.store._views import _value
from autoserum.study.entities import entity

# the entity of each record list of a subject's detail (``SubjectDetail``)
ENTITY_OF = {
    "visits": "visit",
    "assessments": "assessment",
    "labs": "lab",
    "injections": "injection",
    "adverse_events": "adverse_event",
    "con_meds": "con_med",
    "deviations": "deviation",
    "vital_signs": "vital_sign",
    "prior_treatments": "prior_treatment",
    "comorbidities": "comorbidity",
}


def test_every_part_has_its_table() -> None:
    assert set(_PART_MODELS) == set(DETAIL_PARTS) == set(ENTITY_OF)


@pytest.mark.parametrize("part", DETAIL_PARTS)
def test_plain_rows_carry_every_declared_field(part: str) -> None:
    spec = entity(ENTITY_OF[part])
    selected = set(_records_of(_PART_MODELS[part]).selected_columns.keys())
    derived = [f for f in spec.fields if f.derived]
    needed = {f.name for f in spec.fields if not f.derived} | set(spec.links) | {"id", "version"}
    assert needed <= selected, f"{part}: not columns: {sorted(needed - selected)}"
    # a derived field (not a column: an adverse event's follow_up) is computed by the view
    # from the plain row's columns alone
    row = SimpleNamespace(**{**dict.fromkeys(selected), "version": 2})
    for field in derived:
        assert field.name not in selected
        _value(ENTITY_OF[part], field, row)  # no AttributeError: computed from the columns
