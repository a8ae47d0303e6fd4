"""Protocol amendments (issue 12 item 1): a study holds versioned protocols; a visit follows
the version in effect on its date; data recorded earlier keep their version; amendments are
audited, replayed, listed and carried by the data package."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from autoserum.errors import PermissionDeniedError, StateError, ValidationError
from autoserum.protocols import Protocol, load_protocol, parse_protocol_data
from autoserum.store import Store, open_store, write_package
from autoserum.store.replay import current_state, replay_audit
from tests.store.helpers import ADMIN, COORDINATOR, MONITOR, TODAY, double_blind_study, enrolled

V2_EFFECTIVE = "2026-04-10"


def amended(**changes: Any) -> Protocol:
    """``ast-nahm2023`` with week 4's window widened to ±7 days and a week 6 visit added (or
    the top-level ``changes``)."""
    data = load_protocol("ast-nahm2023").model_dump(mode="json")
    for v in data["visits"]:
        if v["code"] == "week_4":
            v["window_before"] = v["window_after"] = 7
    week6 = {**next(v for v in data["visits"] if v["code"] == "week_4"), "code": "week_6"}
    week6.update(day=42, window_before=3, window_after=3)
    data["visits"].insert(3, week6)
    data.update(changes)
    return parse_protocol_data(data, location="v2")


def _amend(store: Store, study: str, effective: str = V2_EFFECTIVE, **kw: Any) -> Any:
    return store.studies.amend(
        study,
        kw.pop("protocol", None) or amended(),
        actor=kw.pop("actor", ADMIN),
        effective_on=effective,
        summary=kw.pop("summary", "week 4 window ±7 days; week 6 visit added"),
        approved_by=kw.pop("approved_by", "IRB Seoul (approval 2026-04-01)"),
    )


def test_visits_follow_the_version_in_effect_on_their_date(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S-001")
    store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    before = store.records.add_visit(study, "S-001", "week_4", "2026-04-02", actor=COORDINATOR)
    assert (before.earliest, before.latest) == (date(2026, 3, 27), date(2026, 4, 2))  # ±3 (v1)

    version = _amend(store, study)
    assert (version.number, version.effective_on) == (2, date(2026, 4, 10))
    assert version.recorded_by == ADMIN.username
    versions = store.studies.versions(study)
    assert [v.number for v in versions] == [1, 2]
    assert versions.number_on(date(2026, 4, 9)) == 1
    assert versions.number_on(TODAY) == 2
    # the latest version is the study's protocol; the version on a date is v1 before
    assert "week_6" in {v.code for v in store.studies.protocol(study).visits}
    assert "week_6" not in {v.code for v in store.studies.protocol(study, on="2026-04-09").visits}

    # a visit dated after the effective date follows version 2 (week 6 is planned) ...
    week6 = store.records.add_visit(study, "S-001", "week_6", "2026-04-13", actor=COORDINATOR)
    assert (week6.day, week6.earliest, week6.latest) == (42, date(2026, 4, 10), date(2026, 4, 16))
    # ... and the visit recorded under version 1 keeps its ±3-day window (re-placed after
    # every write of the subject: v2's ±7 would make it 2026-03-23..2026-04-06)
    visits = {v.visit_code: v for v in store.subjects.detail(study, "S-001", actor=ADMIN).visits}
    assert (visits["week_4"].earliest, visits["week_4"].latest) == (
        date(2026, 3, 27),
        date(2026, 4, 2),
    )

    # a visit dated before the effective date follows version 1 (no week 6 then)
    enrolled(store, study, "S-002")
    store.records.add_visit(study, "S-002", "baseline", "2026-03-09", actor=COORDINATOR)
    with pytest.raises(ValidationError) as err:
        store.records.add_visit(study, "S-002", "week_6", "2026-04-09", actor=COORDINATOR)
    assert err.value.field == "visit_code"
    assert "week_4" in err.value.expected
    late = store.records.add_visit(study, "S-002", "week_4", "2026-04-14", actor=COORDINATOR)
    # 2026-04-14 is after the effective date: v2's ±7-day window around 2026-04-06
    assert (late.earliest, late.latest, late.deviation_days) == (
        date(2026, 3, 30),
        date(2026, 4, 13),
        1,
    )


def test_amendments_are_refused_with_a_clear_error(store: Store) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S-001")
    store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    with pytest.raises(ValidationError) as err:  # on a recorded visit's date
        _amend(store, study, "2026-03-02")
    assert err.value.field == "effective_on"
    assert "latest visit recorded" in err.value.expected
    arms = load_protocol("ast-nahm2023").model_dump(mode="json")["arms"]
    arms[0]["allocation_ratio"] = 2
    with pytest.raises(ValidationError) as err:
        _amend(store, study, protocol=amended(arms=arms))
    assert err.value.field == "arms"
    assert "serum:1" in err.value.expected
    with pytest.raises(ValidationError) as err:
        _amend(store, study, protocol=amended(blinding="open_label"))
    assert err.value.field == "blinding"
    for field in ("summary", "approved_by"):
        with pytest.raises(ValidationError) as err:
            _amend(store, study, **{field: "  "})
        assert err.value.field == field
    with pytest.raises(PermissionDeniedError):
        _amend(store, study, actor=MONITOR)
    assert [v.number for v in store.studies.versions(study)] == [1]  # nothing written
    _amend(store, study)
    with pytest.raises(ValidationError) as err:  # not after version 2's date
        _amend(store, study, V2_EFFECTIVE)
    assert "version 2" in err.value.expected
    store.locks.lock(study, "study", actor=ADMIN, reason="final data")
    with pytest.raises(StateError):
        _amend(store, study, "2026-05-01")
    assert [v.number for v in store.studies.versions(study)] == [1, 2]


def test_amendments_are_audited_replayed_and_packaged(store: Store, tmp_path: Path) -> None:
    study = double_blind_study(store)
    enrolled(store, study, "S-001")
    store.records.add_visit(study, "S-001", "baseline", "2026-03-02", actor=COORDINATOR)
    _amend(store, study)
    rows = [r for r in store.audit.raw_rows(study) if r.entity == "protocol_version"]
    fields = {r.field: r.new_value for r in rows}
    assert fields["number"] == 2
    assert fields["effective_on"] == V2_EFFECTIVE
    assert fields["approved_by"] == "IRB Seoul (approval 2026-04-01)"
    assert {r.username for r in rows} == {ADMIN.username}
    changed = [
        r
        for r in store.audit.raw_rows(study)
        if (r.entity, r.field) == ("study", "protocol_version")
    ]
    assert [(r.action, r.old_value, r.new_value) for r in changed][-1] == ("update", 1, 2)
    assert (changed[-1].reason or "").startswith("protocol amendment: week 4 window")
    assert replay_audit(store.audit.raw_rows(study)) == current_state(store, study)

    # the data package carries the amendments; its import recreates them
    out = tmp_path / "pkg"
    write_package(store.exports.package(study, actor=ADMIN), out)
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", create=True, clock=lambda: TODAY)
    try:
        copy.exports.import_package("COPY", out, actor=ADMIN)
        versions = copy.studies.versions("COPY")
        assert [(v.number, v.effective_on) for v in versions] == [(1, None), (2, date(2026, 4, 10))]
        assert versions.current.protocol == amended()
        assert replay_audit(copy.audit.raw_rows("COPY")) == current_state(copy, "COPY")
    finally:
        copy.close()
    # a de-identified package keeps the amended protocol, not its dates nor who approved and
    # recorded it (docs/exports.md)
    hidden = store.exports.package(study, actor=ADMIN, deidentified=True)
    [amendment] = hidden.descriptor["autoserum"]["study"]["protocol_amendments"]
    assert set(amendment) == {"number", "summary", "protocol"}
    assert amendment["number"] == 2
