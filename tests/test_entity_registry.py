"""The entity registry is the one declaration of each record type: the ORM columns, the
converters, the domain records, the form fields, the API schemas and the tidy columns are
derived from it (``docs/architecture.md``, "The entity registry")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, Integer, MetaData, String, create_engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from autoserum.errors import ValidationError
from autoserum.store._columns import column_type, record_checks, record_columns
from autoserum.store.models import AUDITED
from autoserum.study.entities import CONSENT_REGISTRY, REGISTRY, REVIEW_REGISTRY, Field, entity
from autoserum.study.model import record_class
from autoserum.study.tidy import AE_COLUMNS, export_columns
from autoserum.web.recordforms import RecordForm, correction_fields
from autoserum.web.schemas import AdverseEventCreate, record_schema

#: Columns a model adds to its record type's fields: keys, links and the version.
STRUCTURAL = {"id", "version", "study_id", "subject_pk", "site_id", "visit_id"}

#: The worked example of docs/architecture.md: an adverse event's rechallenge result (ICH
#: E2B(R3) G.k.9.i.4), declared on a copy of the registry's spec.
RECHALLENGE = Field(
    "rechallenge",
    "choice",
    "Rechallenge result",
    choices=("recurred", "did_not_recur", "not_done"),
    max_length=20,
    editable=True,
    on_form=True,
    export="rechallenge",
)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_model_has_exactly_the_fields_of_its_record_type(name: str) -> None:
    spec = entity(name)
    table = AUDITED[name].__table__
    assert table.name == spec.table
    columns = {f.name for f in spec.fields if not f.derived}  # a derived field: a property
    assert set(table.columns.keys()) - STRUCTURAL - set(spec.links) == columns
    for field in spec.fields:
        if field.derived:
            assert isinstance(getattr(AUDITED[name], field.name), property), field.name
            continue
        column = table.columns[field.name]
        assert column.nullable == field.is_nullable, field.name
        assert type(column.type) is type(column_type(field)), field.name
        if type(column.type) is String and field.kind in ("text", "choice"):
            assert column.type.length == field.max_length, field.name
    checks = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
    assert {f"ck_{spec.table}_{f.name}" for f in spec.fields if f.kind == "choice"} <= checks


_BY_HAND = {**CONSENT_REGISTRY, **REVIEW_REGISTRY}
"""The record types whose tables are declared by hand (``store/models.py``), written only by
their services: declared in the registry for the exports (the data package)."""


@pytest.mark.parametrize("name", sorted(_BY_HAND))
def test_a_table_declared_by_hand_has_the_fields_of_its_declaration(name: str) -> None:
    spec = _BY_HAND[name]
    model = AUDITED[name]
    table = model.__table__
    assert table.name == spec.table
    stored = [f for f in spec.fields if not f.derived]
    assert set(table.columns.keys()) - STRUCTURAL - set(spec.links) == {f.name for f in stored}
    for field in stored:
        column = table.columns[field.name]
        assert column.nullable == field.is_nullable, field.name
        if type(column.type) is String and field.kind in ("text", "choice"):
            assert column.type.length == field.max_length, field.name
    for field in spec.fields:
        if field.derived:  # a property of the model, computed from its columns
            assert isinstance(getattr(model, field.name), property), field.name


def test_adding_a_field_to_the_adverse_event_touches_the_registry_only() -> None:
    """The worked example: declare the field; every layer picks it up with no other edit."""
    spec = entity("adverse_event").with_field(RECHALLENGE)

    # ORM: a column and a CHECK constraint on its vocabulary (the migration adds the same)
    class Base(DeclarativeBase):
        metadata = MetaData()

    class Row(record_columns(spec), Base):  # type: ignore[misc]
        __tablename__ = spec.table
        __table_args__ = record_checks(spec)
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    table = Base.metadata.tables[spec.table]
    column = table.columns["rechallenge"]
    assert isinstance(column.type, String)
    assert (type(column.type), column.type.length, column.nullable) == (String, 20, True)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    values: dict[str, Any] = {
        "term": "rash", "severity": "mild", "serious": False, "related": "possible",
        "outcome": "recovered",
    }  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(table).values(**values, rechallenge="not_done"))
        assert conn.scalar(select(table.c.rechallenge)) == "not_done"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(table).values(**values, rechallenge="forgotten"))

    # the editable field and its converter (recording and correcting alike)
    assert spec.convert({"rechallenge": "did_not_recur"}, partial=True) == {
        "rechallenge": "did_not_recur"
    }
    with pytest.raises(ValidationError) as err:
        spec.convert({"rechallenge": "forgotten"}, partial=True)
    assert (err.value.field, err.value.expected) == (
        "rechallenge",
        "one of recurred, did_not_recur, not_done",
    )

    # the domain record
    record_type: Any = record_class(spec)
    unset = dict.fromkeys(f.name for f in spec.fields if f.name not in values)
    record = record_type(id=1, subject_id="S1", **{**unset, **values, "rechallenge": "recurred"})
    assert record.rechallenge == "recurred"

    # the record form and the correction form
    form = RecordForm(spec)
    added = next(f for f in form.fields if f.name == "rechallenge")
    assert added.label == "Rechallenge result"
    assert [value for value, _ in added.options] == ["recurred", "did_not_recur", "not_done"]
    assert "rechallenge" in form.columns
    assert "rechallenge" in [f.name for f, _ in correction_fields(spec)]

    # the API schema
    schema = record_schema(spec)
    properties = schema.model_json_schema()["properties"]
    assert properties["rechallenge"]["anyOf"][0]["enum"] == [
        "recurred",
        "did_not_recur",
        "not_done",
    ]
    body = schema.model_validate({**values, "onset_date": "2026-03-01", "rechallenge": "not_done"})
    assert body.model_dump()["rechallenge"] == "not_done"
    assert body.model_dump()["onset_date"] == dt.date(2026, 3, 1)

    # the tidy export columns (and so the validator of the adverse-event file)
    columns = export_columns(spec)
    assert list(columns)[-1] == "rechallenge"
    assert str(columns["rechallenge"].expected()) == "one of recurred, did_not_recur, not_done"

    # and the registry itself is unchanged
    assert "rechallenge" not in entity("adverse_event").names


def test_the_shipped_adapters_are_those_derived_from_the_registry() -> None:
    ae = entity("adverse_event")
    assert {
        "subject_id": AE_COLUMNS["subject_id"],
        "arm": AE_COLUMNS["arm"],
        **export_columns(ae),
    } == AE_COLUMNS
    shipped = AdverseEventCreate.model_json_schema()
    assert shipped == record_schema(ae).model_json_schema()
    assert set(shipped["properties"]) == {f.name for f in ae.form_fields}
    assert shipped["properties"]["term"]["maxLength"] == ae.field("term").max_length == 500


def test_a_blinded_view_masks_the_fields_the_registry_marks() -> None:
    from autoserum.store._views import domain_record

    class Row:
        id, version, visit_id = 7, 2, None
        given_on, given_at, product = dt.date(2026, 3, 2), None, "igg"
        volume_ml = Decimal("2.5")
        site, lot, given_by = "ST36", "L1", "nurse"
        product_code, side, draw_id, aliquot_id, preparation_id = None, "left", None, None, None

    blinded = domain_record("injection", Row(), "S1", sees_arm=False)
    assert (blinded.product, blinded.volume_ml, blinded.site) == ("blinded", Decimal("2.5"), "ST36")
    assert domain_record("injection", Row(), "S1", sees_arm=True).product == "igg"
