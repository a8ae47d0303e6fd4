"""A small study holding every record type, shared by the export tests (built once per
module on SQLite; the data are synthetic and seeded)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from autoserum.simulate import simulate_study
from autoserum.store import Store, open_store
from tests.store.helpers import ADMIN, TODAY

STUDY = "EXP-1"
NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=UTC)
"""The store's time of the product chain's records (never the wall clock)."""


def build_study(store: Store, name: str = STUDY) -> None:
    """A simulated 12-subject ast-nahm2023 study (visits, assessments, labs, adverse events),
    plus an injection, a con-med, a deviation, the vital signs of a visit, an unblinding, an
    adverse event recorded live with its onset date (no onset week) and the first subject's
    history (race, ethnicity, Fitzpatrick type, age at onset, a previous systemic treatment,
    two atopic comorbidities)."""
    result = simulate_study("ast-nahm2023", 12, 7)
    store.exports.import_long(
        name,
        result.visits,
        actor=ADMIN,
        adverse_events=result.adverse_events,
        protocol="ast-nahm2023",
    )
    subjects = sorted(set(result.visits["subject_id"].to_list()))
    first = subjects[0]
    store.records.add_injection(
        name, first, "2024-03-09", actor=ADMIN, volume_ml="5", site="=ST36", lot="L1"
    )
    store.records.add_con_med(
        name, first, actor=ADMIN, name="cetirizine", dose="10 mg", route="oral",
        start_date="2024-02-20", indication="itch",
    )  # fmt: skip
    store.records.add_deviation(name, first, "visit window", "late visit, +4 days", actor=ADMIN)
    store.records.add_adverse_event(
        name, first, actor=ADMIN, term="migraine (recorded live)", onset_date="2024-03-16",
        severity="mild", serious=False, related="unlikely", outcome="recovered",
    )  # fmt: skip
    store.records.add_lab(
        name, first, "week_4", "ige", "1250.5", "kU/L", actor=ADMIN, ref_low="0", ref_high="100"
    )
    store.records.add_vital_signs(
        name, first, "week_4", actor=ADMIN, systolic_bp=128, diastolic_bp=82, pulse=64,
        temperature="36.8", weight="70.25",
    )  # fmt: skip
    store.subjects.unblind(name, subjects[1], actor=ADMIN, reason="SAE management")
    store.records.record_history(
        name, first, actor=ADMIN, race="ASIAN", ethnicity="NOT HISPANIC OR LATINO",
        fitzpatrick="III", ad_onset_age="2",
    )  # fmt: skip
    store.records.add_prior_treatment(
        name, first, actor=ADMIN, drug="ciclosporin", atc_code="L04AD01", start_year=2019,
        end_year=2021, response="partial", stop_reason="adverse_event",
    )  # fmt: skip
    store.records.add_comorbidity(name, first, actor=ADMIN, condition="asthma", ongoing=True)
    store.records.add_comorbidity(
        name, first, actor=ADMIN, condition="other", detail="contact allergy to nickel",
        ongoing=False,
    )  # fmt: skip
    # the product chain: a draw, its processing, two aliquots, one injected by its code
    draw = store.product.draw(name, first, actor=ADMIN, volume_ml="40")
    processing = store.product.process(
        name, draw.code, actor=ADMIN, clotting_minutes=30, centrifuge_g=1500,
        centrifuge_minutes=10,
    )  # fmt: skip
    made = store.product.make_aliquots(name, processing.id, actor=ADMIN, count=2)
    store.records.add_injection(
        name, first, TODAY, actor=ADMIN, volume_ml="5", product_code=made[0].code
    )


@pytest.fixture(scope="module")
def study_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a SQLite database holding :data:`STUDY`."""
    path: Path = tmp_path_factory.mktemp("exports") / "study.db"
    url = f"sqlite:///{path}"
    store = open_store(url, clock=lambda: TODAY, now=lambda: NOW)
    try:
        build_study(store)
    finally:
        store.close()
    return url


def assert_valid_define(path: Path) -> None:
    """``path`` is valid against the Define-XML 2.0.0 schema (``define2-0-0.xsd``, which builds on
    ODM 1.3.2), as installed by the pinned dev dependency ``odmlib`` (MIT; CDISC's schema files in
    its package). The schema is read from the installed package, not shipped with autoserum."""
    import odmlib
    from lxml import etree

    xsd = Path(odmlib.__file__).parent / "schemas" / "define" / "2.0" / "define2-0-0.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    doc = etree.parse(str(path))
    valid = schema.validate(doc)
    errors = [] if valid else [f"line {e.line}: {e.message}" for e in schema.error_log]
    assert not errors, "define.xml is not valid Define-XML 2.0:\n" + "\n".join(errors[:20])
