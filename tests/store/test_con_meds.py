"""Concomitant and rescue medication in the store (both engines): coded by the registry's
converters (ATC code checked by ``study.medication``), class and potency derived from the ATC
code, the protocol's medication rules raising deviations, corrections re-deriving the coding,
the tidy con-med export in the format's one column vocabulary, and the audit trail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from autoserum.errors import ValidationError
from autoserum.store import Store
from autoserum.study.tidy import CONMED_COLUMNS
from tests.store.helpers import ADMIN, COORDINATOR, STATISTICIAN, double_blind_study, enrolled


@pytest.fixture
def study(store: Store) -> str:
    name = double_blind_study(store)
    enrolled(store, name, "S01")
    store.records.add_injection(name, "S01", "2026-03-02", actor=COORDINATOR, volume_ml="5")
    return name


def test_a_rescue_steroid_is_coded_from_its_atc_code(store: Store, study: str) -> None:
    med = store.records.add_con_med(
        study, "S01", actor=COORDINATOR, name="mometasone furoate 0.1% cream",
        atc_code=" d07ac13 ", potency_us="IV", amount="30", amount_unit="g",
        body_area="arms", start_date="2026-03-10", rescue="true", indication="AD flare",
    )  # fmt: skip
    assert (med.atc_code, med.drug_class, med.potency_eu, med.potency_us) == (
        "D07AC13", "tcs", "III", "IV",
    )  # fmt: skip
    assert (med.amount, med.amount_unit, med.rescue) == (Decimal("30"), "g", True)
    # a potent steroid is an allowed rescue under the default rules: no deviation
    assert store.records.deviations(study, actor=ADMIN, kind="rescue_not_allowed") == []
    plain = store.records.add_con_med(study, "S01", actor=COORDINATOR, name="emollient")
    assert plain.rescue is False  # not given: not rescue


@pytest.mark.parametrize(
    ("values", "field", "expected"),
    [
        ({"atc_code": "D7AC13"}, "atc_code", "an ATC code"),
        ({"atc_code": "D07AD01", "potency_eu": "II"}, "potency_eu", "IV"),
        ({"atc_code": "R06AE07", "potency_eu": "I"}, "potency_eu", "no potency"),
        ({"amount": "-1", "amount_unit": "g"}, "amount", "≥ 0"),
        ({"amount": "3"}, "amount_unit", "g or ftu"),
        ({"amount_unit": "ml"}, "amount_unit", "one of g, ftu"),
        ({"drug_class": "steroid"}, "drug_class", "one of tcs"),
    ],
)
def test_bad_coding_is_refused_naming_the_field(
    store: Store, study: str, values: dict[str, str], field: str, expected: str
) -> None:
    with pytest.raises(ValidationError, match=expected) as err:
        store.records.add_con_med(study, "S01", actor=COORDINATOR, name="x", **values)
    assert err.value.field == field
    assert store.subjects.detail(study, "S01", actor=ADMIN).con_meds == ()  # nothing written


def test_prohibited_medication_and_a_rescue_not_allowed_are_deviations(
    store: Store, study: str
) -> None:
    store.records.add_con_med(
        study, "S01", actor=COORDINATOR, name="ciclosporin", atc_code="L04AD01",
        start_date="2026-03-20",
    )  # fmt: skip
    store.records.add_con_med(
        study, "S01", actor=COORDINATOR, name="clobetasol propionate 0.05% ointment",
        atc_code="D07AD01", rescue=True, amount=20, amount_unit="ftu", start_date="2026-03-21",
    )  # fmt: skip
    # prior medication (ended before day 0, the first injection on 2026-03-02) is no deviation
    store.records.add_con_med(
        study, "S01", actor=COORDINATOR, name="prednisolone", atc_code="H02AB06",
        start_date="2026-02-01", end_date="2026-02-10",
    )  # fmt: skip
    found = {(d.kind, d.description) for d in store.records.deviations(study, actor=ADMIN)}
    assert (
        "prohibited_medication",
        "ciclosporin (L04AD01) taken during the study: prohibited by the protocol "
        "(systemic treatments of atopic dermatitis)",
    ) in found
    kinds = sorted(k for k, _ in found if k != "visit_window")
    assert kinds == ["prohibited_medication", "rescue_not_allowed"]
    rescue = next(d for k, d in found if k == "rescue_not_allowed")
    assert "clobetasol propionate 0.05% ointment (D07AD01) given as rescue" in rescue


def test_a_correction_rederives_the_coding_and_is_audited(store: Store, study: str) -> None:
    med = store.records.add_con_med(
        study, "S01", actor=COORDINATOR, name="betamethasone", atc_code="D07AC01", rescue=True
    )
    assert med.potency_eu == "III"
    fixed = store.records.update(
        study, "con_med", med.id, {"atc_code": "D07AA02", "name": "hydrocortisone 1% cream"},
        actor=COORDINATOR, reason="wrong drug transcribed", expected_version=med.version,
    )  # fmt: skip
    assert (fixed.potency_eu, fixed.drug_class, fixed.version) == ("I", "tcs", med.version + 1)
    trail = store.audit.trail(study, actor=ADMIN, entity="con_med")
    changed = {(r.field, r.old_value, r.new_value) for r in trail if r.action == "update"}
    assert ("atc_code", "D07AC01", "D07AA02") in changed
    assert ("potency_eu", "III", "I") in changed
    assert {r.reason for r in trail if r.action == "update"} == {"wrong drug transcribed"}
    inserted = {r.field for r in trail if r.action == "insert" and r.record_id == med.id}
    assert {"atc_code", "drug_class", "potency_eu", "rescue"} <= inserted


def test_the_con_med_export_uses_the_format_columns(store: Store, study: str) -> None:
    store.records.add_con_med(
        study, "S01", actor=COORDINATOR, name="mometasone furoate 0.1% cream",
        atc_code="D07AC13", amount="14", amount_unit="g", start_date="2026-03-09",
        end_date="2026-03-16", rescue=True,
    )  # fmt: skip
    frame = store.exports.con_meds(study, actor=ADMIN)
    assert frame.columns == list(CONMED_COLUMNS)
    row = frame.row(0, named=True)
    assert row["drug"] == "mometasone furoate 0.1% cream"
    assert (row["potency_eu"], row["amount"], row["rescue"]) == ("III", 14.0, True)
    # weeks from the dates against day 0 (the first injection, 2026-03-02): 7/7 and 14/7 days
    assert (row["start_week"], row["end_week"]) == (1.0, 2.0)
    assert row["start_date"] == date(2026, 3, 9)
    blinded = store.exports.con_meds(study, actor=STATISTICIAN)
    assert "arm" not in blinded.columns
    assert blinded.height == 1
    # the export is valid input of the format's one validator (as analyze --db reads it)
    from autoserum.analysis import study_from_frames

    visits = store.exports.long(study, actor=ADMIN)
    data = study_from_frames(visits, None, "db", con_meds=frame)
    assert data.con_meds.select(pl.col("rescue").sum()).item() == 1
