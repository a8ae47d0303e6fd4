"""Dose deviations by their link (``deviations.injection_id``, migration 0028): the store's one
owner of the rule (``store/_dose.py``) raises a deviation naming its injection, matches it by
that link (never its text), adopts a deviation recorded before the link and re-checks the
doses of a data package it imports. Pittler 2003 (``abt-pittler2003.toml``) declares
1-2-3-2-1 mL, ± 10 % (``protocols.dose_deviation``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from autoserum.store import Store, open_store
from autoserum.store._package import write_package
from autoserum.store.replay import current_state, replay_audit
from tests.store.helpers import ADMIN, COORDINATOR, TODAY, enrolled

KIND = "injection_dose"
WEEKLY = ("2026-03-02", "2026-03-09", "2026-03-16")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = open_store(db_url, clock=lambda: TODAY)
    yield st
    st.close()


@pytest.fixture
def subject(store: Store) -> str:
    """A subject of Pittler's whole-blood arm in ``ABT`` (the seeded list, seed 5)."""
    store.studies.create("ABT", "abt-pittler2003", actor=ADMIN, seed=5, allocation_n=8)
    store.studies.add_site("ABT", "s01", "Seoul", actor=ADMIN)
    arms = {sid: enrolled(store, "ABT", sid) for sid in ("W1", "W2", "W3")}
    return next(s for s, arm in arms.items() if arm == "abt")


def _found(store: Store, study: str = "ABT") -> list[tuple[int | None, str]]:
    rows = store.records.deviations(study, actor=ADMIN, kind=KIND)
    return sorted((d.injection_id, d.description) for d in rows)


def test_a_dose_deviation_names_its_injection(store: Store, subject: str) -> None:
    """The third sitting's 2 mL is off Pittler's 3 mL: its deviation links to that injection;
    a correction of the same injection to another volume off the dose closes the deviation
    and raises the new finding, linked to the same injection; the audit trail replays."""
    given = [
        store.records.add_injection("ABT", subject, day, actor=COORDINATOR, volume_ml=volume)
        for day, volume in zip(WEEKLY, ("1", "2", "2"), strict=True)
    ]
    third = given[2]
    assert _found(store) == [
        (third.id, "injection on 2026-03-16: injection 3: volume_ml 2 mL (protocol: 3 mL ± 10%)")
    ]
    store.records.update(
        "ABT", "injection", third.id, {"volume_ml": "4"}, actor=ADMIN,
        reason="re-measured", expected_version=third.version,
    )  # fmt: skip
    assert _found(store) == [
        (third.id, "injection on 2026-03-16: injection 3: volume_ml 4 mL (protocol: 3 mL ± 10%)")
    ]
    assert replay_audit(store.audit.raw_rows("ABT")) == current_state(store, "ABT")


def test_deleting_the_injection_closes_its_linked_deviation(store: Store, subject: str) -> None:
    """The deviation is closed before its injection goes (no deviation links to a deleted
    injection: the foreign key holds on both engines)."""
    first = store.records.add_injection("ABT", subject, WEEKLY[0], actor=COORDINATOR, volume_ml="3")
    assert [i for i, _ in _found(store)] == [first.id]
    store.records.delete(
        "ABT", "injection", first.id, actor=ADMIN, reason="entered in error",
        expected_version=first.version,
    )  # fmt: skip
    assert _found(store) == []
    assert replay_audit(store.audit.raw_rows("ABT")) == current_state(store, "ABT")


def test_a_deviation_recorded_before_the_link_is_matched_by_its_text_and_linked(
    store: Store, subject: str
) -> None:
    """A dose deviation written before migration 0028 has no link: the next write of the
    subject's injections matches it by its description and links it (an audited update, with
    the write's reason); one no injection calls for any more is closed."""
    store.records.add_injection("ABT", subject, WEEKLY[0], actor=COORDINATOR, volume_ml="1")
    second = store.records.add_injection(
        "ABT", subject, WEEKLY[1], actor=COORDINATOR, volume_ml="4"
    )
    with store.engine.begin() as conn:  # as migration 0028 leaves an older row
        conn.execute(text("UPDATE deviations SET injection_id = NULL"))
    [(link, description)] = _found(store)
    assert link is None
    store.records.update(
        "ABT", "injection", second.id, {"lot": "L2"}, actor=ADMIN,
        reason="lot added", expected_version=second.version,
    )  # fmt: skip
    assert _found(store) == [(second.id, description)]
    linked = [
        r
        for r in store.audit.raw_rows("ABT")
        if r.entity == "deviation" and r.action == "update" and r.field == "injection_id"
    ]
    assert [(r.new_value, r.reason) for r in linked] == [(second.id, "lot added")]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE deviations SET injection_id = NULL"))
    store.records.update(
        "ABT", "injection", second.id, {"volume_ml": "2"}, actor=ADMIN,
        reason="2 mL given", expected_version=second.version + 1,
    )  # fmt: skip
    assert _found(store) == []  # the unlinked deviation no injection calls for: closed


def _imported(store: Store, tmp_path: Path, edit: Any, name: str) -> list[tuple[str, str]]:
    """Export ``ABT``, apply ``edit`` to its rows, import it as ``name``; the copy's dose
    deviations as its own package has them (the linked injection's date, the description)."""
    content = store.exports.package("ABT", actor=ADMIN)
    rows = {key: [dict(r) for r in found] for key, found in content.rows.items()}
    edit(rows)
    path = tmp_path / f"{name}.zip"
    write_package(dataclasses.replace(content, rows=rows), path)
    store.exports.import_package(name, path, actor=ADMIN)
    copy = store.exports.package(name, actor=ADMIN).rows
    given = {r["record"]: str(r["given_on"]) for r in copy["injection"]}
    dose = [r for r in copy["deviation"] if r["category"] == KIND]
    return sorted((given[r["injection"]], r["description"]) for r in dose)


def _volumes(*by_day: str) -> Any:
    def edit(rows: dict[str, list[dict[str, Any]]]) -> None:
        for row in rows["injection"]:
            row["volume_ml"] = Decimal(by_day[WEEKLY.index(str(row["given_on"]))])

    return edit


def test_a_package_import_ends_with_the_dose_deviations_of_its_injections(
    store: Store, subject: str, tmp_path: Path
) -> None:
    """``ABT`` holds 1-1-1 mL: sittings 2 and 3 deviate (2 and 3 mL declared). A package as
    exported imports the same two, linked to the copy's injections; a package whose volumes
    were put on the schedule (1-2-3 mL) but which still carries both deviations is imported
    without them; one whose third volume is 2 mL and which carries no deviation at all is
    imported with the one the live path raises."""
    for day in WEEKLY:
        store.records.add_injection("ABT", subject, day, actor=COORDINATOR, volume_ml="1")
    as_recorded = [
        (WEEKLY[1], "injection on 2026-03-09: injection 2: volume_ml 1 mL (protocol: 2 mL ± 10%)"),
        (WEEKLY[2], "injection on 2026-03-16: injection 3: volume_ml 1 mL (protocol: 3 mL ± 10%)"),
    ]
    assert _imported(store, tmp_path, lambda rows: None, "SAME") == as_recorded
    assert _imported(store, tmp_path, _volumes("1", "2", "3"), "FIXED") == []

    def off_without_deviations(rows: dict[str, list[dict[str, Any]]]) -> None:
        _volumes("1", "2", "2")(rows)
        rows["deviation"] = []

    assert _imported(store, tmp_path, off_without_deviations, "OFF") == [
        (WEEKLY[2], "injection on 2026-03-16: injection 3: volume_ml 2 mL (protocol: 3 mL ± 10%)")
    ]
    # the imported study, the raised deviation included, replays from its audit trail
    for name in ("SAME", "FIXED", "OFF"):
        assert replay_audit(store.audit.raw_rows(name)) == current_state(store, name), name
    assert len([k for k in current_state(store, "OFF") if k[0] == "deviation"]) == 1


def test_odm_and_redcap_carry_the_link(store: Store, subject: str, tmp_path: Path) -> None:
    """The link is declared in the registry, so the exchange formats carry it: a study whose
    second sitting is off the dose, exported as ODM and as a REDCap project and imported, has
    its deviation linked to the copy's second injection as imported (the import's re-check
    finds it holding and changes nothing)."""
    for day, volume in zip(WEEKLY, ("1", "1", "3"), strict=True):
        store.records.add_injection("ABT", subject, day, actor=COORDINATOR, volume_ml=volume)
    want = [
        (WEEKLY[1], "injection on 2026-03-09: injection 2: volume_ml 1 mL (protocol: 2 mL ± 10%)")
    ]
    (tmp_path / "abt.xml").write_bytes(store.exports.odm("ABT", actor=ADMIN))
    store.exports.import_odm("FROM-ODM", tmp_path / "abt.xml", actor=ADMIN)
    project = tmp_path / "redcap"
    project.mkdir()
    for name, data in store.exports.redcap("ABT", actor=ADMIN).items():
        (project / name).write_bytes(data)
    store.exports.import_redcap(
        "FROM-REDCAP", project / "data_dictionary.csv", project / "records.csv",
        mapping=project / "mapping.toml", actor=ADMIN,
    )  # fmt: skip
    for name in ("FROM-ODM", "FROM-REDCAP"):
        copy = store.exports.package(name, actor=ADMIN).rows
        given = {r["record"]: str(r["given_on"]) for r in copy["injection"]}
        dose = [r for r in copy["deviation"] if r["category"] == KIND]
        assert sorted((given[r["injection"]], r["description"]) for r in dose) == want, name
        # carried, not re-linked by the import's re-check (which would be an audited update)
        changed = [
            r.action
            for r in store.audit.raw_rows(name)
            if r.entity == "deviation" and r.action in ("update", "delete")
        ]
        assert changed == [], name
