"""Stratification by site × declared factors on both engines: each stratum's own concealed list,
balanced within its blocks, reproducible from the seed, factor levels validated, arms hidden."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import text

from autoserum.errors import ValidationError
from autoserum.store import Store, open_store
from autoserum.store.replay import current_state, replay_audit
from autoserum.study import MASK, SubjectStatus
from autoserum.study.randomisation import allocation_list, stratum_key
from tests.store.helpers import ADMIN, COORDINATOR, ELIGIBLE, READERS, SCREENED_ON

SEVERITY_NAME = "baseline_severity"
SEVERITY = {SEVERITY_NAME: ("moderate", "severe")}
ARMS = [("serum", 1), ("placebo", 1)]  # ast-nahm2023: serum vs saline placebo, 1:1


def stratified_study(store: Store, name: str = "STRAT", *, seed: int = 20260301) -> str:
    """``ast-nahm2023`` stratified by site × baseline severity, site ``s01``."""
    store.studies.create(
        name,
        "ast-nahm2023",
        actor=ADMIN,
        seed=seed,
        allocation_n=16,
        stratify_by=SEVERITY,
    )
    store.studies.add_site(name, "s01", "Seoul", actor=ADMIN)
    return name


def expected_list(level: str, seed: int = 20260301) -> list[str]:
    """The stratum's list as the pure core generates it (the reference for the store)."""
    stratum = stratum_key("s01", {"baseline_severity": level})
    return [a.arm for a in allocation_list(ARMS, n=16, seed=seed, strata=[stratum])]


def enrol(store: Store, study: str, subject_id: str, level: str) -> str:
    store.subjects.screen(
        study, "s01", subject_id, ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR
    )
    return store.subjects.randomise(
        study, subject_id, actor=ADMIN, strata={"baseline_severity": level}
    )


def test_each_stratum_follows_its_own_list_balanced_within_blocks(store: Store) -> None:
    study = stratified_study(store)
    got: dict[str, list[str]] = {"moderate": [], "severe": []}
    for i in range(24):  # interleaved: 12 per stratum
        level = ("moderate", "severe")[i % 2]
        got[level].append(enrol(store, study, f"S{i:02d}", level))
    for level, arms in got.items():
        stratum = stratum_key("s01", {"baseline_severity": level})
        entries = allocation_list(ARMS, n=16, seed=20260301, strata=[stratum])
        assert arms == [e.arm for e in entries[:12]]
        # every block completed within the 12 allocations holds as many serum as placebo
        blocks: dict[int, list[str]] = {}
        for entry, arm in zip(entries, arms, strict=False):
            blocks.setdefault(entry.block, []).append(arm)
        size = {e.block: e.block_size for e in entries}
        complete = [b for b, got_arms in blocks.items() if len(got_arms) == size[b]]
        assert complete, "at least one whole block (sizes 2 or 4) lies within 12 allocations"
        for block in complete:
            counts = Counter(blocks[block])
            assert counts["serum"] == counts["placebo"], (level, block, counts)


def test_lists_are_reproducible_from_the_seed_whatever_the_order(store: Store) -> None:
    first = stratified_study(store, "A")
    second = stratified_study(store, "B")
    a = [enrol(store, first, f"A{i}", "moderate") for i in range(6)]
    a += [enrol(store, first, f"A{i + 6}", "severe") for i in range(6)]
    b = [enrol(store, second, f"B{i}", "severe") for i in range(6)]  # severe stratum first
    b = [enrol(store, second, f"B{i + 6}", "moderate") for i in range(6)] + b
    assert a == b
    assert a == expected_list("moderate")[:6] + expected_list("severe")[:6]
    other = stratified_study(store, "C", seed=20260302)
    c = [enrol(store, other, f"C{i}", "moderate") for i in range(12)]
    assert c == expected_list("moderate", seed=20260302)[:12]
    assert c != expected_list("moderate")[:12]  # a different seed gives a different list


def test_factor_levels_are_validated_and_nothing_is_written(store: Store) -> None:
    study = stratified_study(store)
    store.subjects.screen(study, "s01", "S01", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    cases = [
        (None, "strata.baseline_severity.*None.*moderate, severe"),
        ({}, "strata.baseline_severity.*moderate, severe"),
        ({"baseline_severity": "mild"}, "strata.baseline_severity.*'mild'.*moderate, severe"),
        ({"baseline_severity": "severe", "age": "old"}, "strata.age.*baseline_severity"),
    ]
    for strata, message in cases:
        with pytest.raises(ValidationError, match=message):
            store.subjects.randomise(study, "S01", actor=ADMIN, strata=strata)
    with pytest.raises(ValidationError, match=r"strata\.baseline_severity"):
        store.subjects.transition(study, "S01", SubjectStatus.ENROLLED, actor=ADMIN)
    [subject] = store.subjects.all(study, actor=ADMIN)
    assert (subject.status, subject.arm) == (SubjectStatus.SCREENED, None)
    assert store.subjects.randomise(
        study, "S01", actor=ADMIN, strata={"baseline_severity": "severe"}
    ) in {
        "serum",
        "placebo",
    }


def test_unstratified_studies_refuse_factor_levels(store: Store) -> None:
    store.studies.create("PLAIN", "ast-nahm2023", actor=ADMIN, seed=1, allocation_n=8)
    store.studies.add_site("PLAIN", "s01", "Seoul", actor=ADMIN)
    store.subjects.screen(
        "PLAIN", "s01", "S01", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR
    )
    with pytest.raises(ValidationError, match=r"strata\.baseline_severity.*site only"):
        store.subjects.randomise(
            "PLAIN", "S01", actor=ADMIN, strata={"baseline_severity": "severe"}
        )
    assert store.studies.get("PLAIN").stratify_by == ()


@pytest.mark.parametrize(
    ("stratify_by", "message"),
    [
        ({"site": ("a", "b")}, "stratify_by.*'site'"),
        ({"severity": ("severe",)}, "stratify_by.severity.*at least two levels"),
        ({"severity": "severe"}, "stratify_by.severity.*at least two levels"),
        ({"severity": ("mild", "mild")}, "stratify_by.severity.*without repeats"),
        ({"severity": ("mild", "a=b")}, "stratify_by.severity.*'a=b'"),
        ({"a;b": ("x", "y")}, "stratify_by.*'a;b'"),
    ],
)
def test_declared_factors_are_validated(
    store: Store, stratify_by: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        store.studies.create("BAD", "ast-nahm2023", actor=ADMIN, stratify_by=stratify_by)  # type: ignore[arg-type]
    assert store.studies.all() == []


def test_the_study_declares_its_factors_and_blinded_roles_see_no_arm(store: Store) -> None:
    study = stratified_study(store)
    assert store.studies.get(study).stratify_by == (("baseline_severity", ("moderate", "severe")),)
    store.subjects.screen(study, "s01", "S01", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    masked = store.subjects.randomise(
        study, "S01", actor=COORDINATOR, strata={"baseline_severity": "severe"}
    )
    assert masked == MASK
    arm = store.subjects.all(study, actor=ADMIN)[0].arm
    assert arm == expected_list("severe")[0]
    for actor in READERS:
        assert [s.arm for s in store.subjects.all(study, actor=actor)] == [MASK]
        trail = store.audit.trail(study, actor=actor)
        shown = repr([(r.field, r.old_value, r.new_value) for r in trail if r.subject_id])
        assert "20260301" not in repr(trail)
        assert "'serum'" not in shown
        assert "'placebo'" not in shown


def test_the_audit_trail_of_a_stratified_study_replays_to_its_state(store: Store) -> None:
    study = stratified_study(store)
    enrol(store, study, "S01", "severe")
    enrol(store, study, "S02", "moderate")  # a second stratum's list, generated at first use
    enrol(store, study, "S03", "severe")
    assert replay_audit(store.audit.raw_rows(study)) == current_state(store, study)
    lists = [
        r
        for r in store.audit.trail(study, actor=ADMIN, entity="allocation_list")
        if r.field == "stratum"
    ]
    assert sorted(r.new_value for r in lists) == [
        "site=s01;baseline_severity=moderate",
        "site=s01;baseline_severity=severe",
    ]


def test_concurrent_first_randomisations_of_a_stratum_write_one_list(
    store: Store, db_url: str
) -> None:
    study = stratified_study(store)
    levels = ("moderate", "severe")
    for w in range(2):
        for i in range(4):
            store.subjects.screen(
                study, "s01", f"W{w}-{i}", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR
            )
    errors: list[BaseException] = []
    barrier = threading.Barrier(2, timeout=60)
    stores = [open_store(db_url, create=False) for _ in range(2)]  # as two processes would

    def writer(w: int) -> None:
        try:
            barrier.wait()
            for i in range(4):  # both writers start with the same, not yet generated, stratum
                level = levels[i % 2]
                stores[w].subjects.randomise(
                    study, f"W{w}-{i}", actor=COORDINATOR, strata={SEVERITY_NAME: level}
                )
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            stores[w].close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with store.engine.connect() as conn:
        used = conn.execute(
            text(
                "SELECT l.stratum, a.sequence, a.arm FROM allocations a"
                " JOIN allocation_lists l ON l.id = a.list_id"
                " WHERE a.subject_pk IS NOT NULL ORDER BY l.stratum, a.sequence"
            )
        ).all()
        n_lists = conn.execute(text("SELECT count(*) FROM allocation_lists")).scalar_one()
    assert n_lists == 2
    for level in levels:
        stratum = stratum_key("s01", {SEVERITY_NAME: level})
        mine = [(seq, arm) for name, seq, arm in used if name == stratum]
        assert [seq for seq, _ in mine] == [1, 2, 3, 4]
        assert [arm for _, arm in mine] == expected_list(level)[:4]
