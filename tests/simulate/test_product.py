"""The simulated product chain (issue 13 item 7): each arm's process from the protocol
(serum and IgG: draw, processing, aliquots, thaw, injection by code; whole blood: draw then
injection within the limit, per acupoint and side; blinded kits in a double-blind study), with
wrong-subject scans the store refuses, recorded through the store's own services so that the
report's accountability table has draws, aliquots and injections given against planned."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from autoserum.cli._app import app
from autoserum.cli._product_steps import record_product_steps
from autoserum.protocols import fact_number, load_protocol
from autoserum.simulate import PRODUCT_SCHEMA, scenario_codes, simulate_product, simulate_study
from autoserum.store import Actor, open_store

ADMIN = Actor("simulate-test", "admin")


def _owned(steps: pl.DataFrame) -> dict[tuple[str, str, int], object]:
    """When each (owner, kind, number) was made, from the steps that make them."""
    made: dict[tuple[str, str, int], object] = {}
    for r in steps.iter_rows(named=True):
        if r["step"] in ("draw", "kit"):
            made[(r["subject_id"], r["step"], r["number"])] = r["at"]
        elif r["step"] == "aliquots":
            for n in range(r["number"], r["number"] + r["count"]):
                made[(r["subject_id"], "aliquot", n)] = r["at"]
    return made


@pytest.mark.parametrize("code", scenario_codes())
def test_the_steps_follow_each_arms_process(code: str) -> None:
    """Invariants of the plan, for every protocol of the library: seeded; only treated
    subjects injected, never after their last visit; every product used was made earlier,
    its own (a wrong scan excepted) and used once; when double-blind, every injection goes by
    a kit code whatever the arm (whole blood too: a kit filled from the sitting's draw); whole
    blood within the draw-to-injection limit."""
    protocol = load_protocol(code)
    visits = simulate_study(code, 12, seed=4).visits
    steps = simulate_product(visits, protocol, seed=4, wrong_scan_rate=0.2)
    assert steps.schema == pl.Schema(PRODUCT_SCHEMA)
    assert steps.equals(simulate_product(visits, protocol, seed=4, wrong_scan_rate=0.2))
    assert not steps.equals(simulate_product(visits, protocol, seed=5, wrong_scan_rate=0.2))
    assert steps["at"].is_sorted()
    injected = steps.filter(pl.col("step") == "inject")
    assert injected.height > 0
    last = dict(visits.group_by("subject_id").agg(pl.col("visit_date").max()).iter_rows())
    treated = set(visits.filter(pl.col("treated"))["subject_id"])
    assert set(injected["subject_id"]) <= treated
    assert all(r["given_on"] <= last[r["subject_id"]] for r in injected.iter_rows(named=True))
    made = _owned(steps)
    arms = dict(visits.select("subject_id", "arm").unique().iter_rows())
    by_arm = {a.code: a for a in protocol.arms}
    used: set[tuple[str, str, int]] = set()
    kit_draws = {
        (r["subject_id"], "kit", r["number"]): r["drawn"]
        for r in steps.filter(pl.col("step") == "kit").iter_rows(named=True)
    }
    for r in steps.filter(pl.col("step").is_in(["inject", "wrong_scan"])).iter_rows(named=True):
        key = (r["product_of"], r["product"], r["number"])
        assert made[key] < r["at"], r  # made before it is given
        if r["step"] == "wrong_scan":
            assert r["product_of"] != r["subject_id"]
            continue
        assert r["product_of"] == r["subject_id"]
        arm = by_arm[arms[r["subject_id"]]]
        if not protocol.open_label:  # the code's prefix never tells the injector the arm
            assert r["product"] == "kit", r
        if r["product"] == "kit" and kit_draws.get(key) is not None:
            assert arm.process is not None  # a kit filled with whole blood
            limit = fact_number(arm.process.max_minutes_draw_to_injection)
            assert limit is not None
            drawn = made[(r["subject_id"], "draw", kit_draws[key])]
            assert r["at"] - drawn <= timedelta(minutes=float(limit))
        if r["product"] == "draw":
            assert arm.process is not None
            limit = fact_number(arm.process.max_minutes_draw_to_injection)
            assert limit is not None
            assert r["at"] - made[key] <= timedelta(minutes=float(limit))
        else:
            assert key not in used  # an aliquot or kit is given once
            used.add(key)
    for r in steps.filter(pl.col("step") == "kit").iter_rows(named=True):
        if r["source"] is not None:  # filled from the subject's own aliquot
            assert made[(r["subject_id"], "aliquot", r["source"])] < r["at"]
        if r["drawn"] is not None:  # or from the subject's own draw (never both)
            assert r["source"] is None
            assert made[(r["subject_id"], "draw", r["drawn"])] < r["at"]
    no_process = {s for s, a in arms.items() if by_arm[a].process is None}
    assert not set(steps.filter(pl.col("step") == "draw")["subject_id"]) & no_process


def test_acupoint_whole_blood_is_given_per_point_and_side() -> None:
    """Zhao 2022: ST36 and SP10 both sides from one draw per sitting, 1 mL each (assumption)."""
    protocol = load_protocol("aaht-zhao2022")
    steps = simulate_product(simulate_study("aaht-zhao2022", 1, 2022).visits, protocol, seed=1)
    sitting = steps.filter((pl.col("step") == "inject") & (pl.col("number") == 1))
    assert sitting.select("site", "side", "volume_ml").rows() == [
        ("ST36", "left", 1.0), ("ST36", "right", 1.0), ("SP10", "left", 1.0),
        ("SP10", "right", 1.0),
    ]  # fmt: skip
    draws = steps.filter(pl.col("step") == "draw")
    assert draws.height == steps.filter(pl.col("step") == "inject")["number"].n_unique()
    assert set(draws["volume_ml"]) == {4.0}


def test_a_simulated_study_in_the_store_accounts_for_its_product(tmp_path: Path) -> None:
    """The serum RCT (double-blind: serum kits from aliquots, saline kits) recorded through
    the store: the accountability table has draws, aliquots and injections given against
    planned; every injection's aliquot (through its kit) is its subject's; every wrong scan
    was refused and audited as another subject's product; the report shows the table."""
    from autoserum.analysis import StudyData, product_accountability
    from autoserum.report._conduct import product_section

    simulated = simulate_study("ast-nahm2023", 8, seed=3)
    store = open_store(f"sqlite:///{tmp_path / 'product.db'}")
    try:
        store.exports.import_long(
            "AST", simulated.visits, actor=ADMIN, adverse_events=simulated.adverse_events,
            protocol="ast-nahm2023",
        )  # fmt: skip
        protocol = store.studies.protocol("AST")
        steps = simulate_product(simulated.visits, protocol, seed=3, wrong_scan_rate=0.2)
        counts = record_product_steps(store, "AST", steps, actor=ADMIN)
        subjects, refusals = store.product.accountability("AST", actor=ADMIN)
        lives = {s: store.product.life("AST", s, actor=ADMIN) for s in subjects["subject_id"]}
    finally:
        store.close()
    scans = steps.filter(pl.col("step") == "wrong_scan").height
    assert scans > 0
    assert counts["injections"] == steps.filter(pl.col("step") == "inject").height
    totals = subjects.select(pl.col("draws", "aliquots", "kits", "injections_given").sum())
    assert min(totals.row(0)) > 0
    assert set(subjects["injections_planned"]) == {len(protocol.injections)}
    assert totals["injections_given"].item() == counts["injections"]
    assert refusals.height == scans
    assert set(refusals["kind"]) == {"another subject's product"}
    for subject, life in lives.items():
        mine = {a.id for a in life.aliquots}
        kits = {k.id: k for k in life.kits}
        for given in life.injections:
            assert given.preparation_id in kits  # double-blind: every injection by a kit
            kit = kits[given.preparation_id]
            assert kit.aliquot_id is None or kit.aliquot_id in mine, subject
            assert (kit.aliquot_id is None) == (kit.product == "saline")
    table = product_accountability(subjects, refusals)
    serum = {r["item"]: r["n"] for r in table.filter(table["arm"] == "serum").to_dicts()}
    assert serum["blood draws"] > 0
    assert serum["aliquots"] > 0
    assert serum["injections given"] > 0
    visits = simulated.visits.select("subject_id", "arm", "week")
    data = StudyData(visits, pl.DataFrame(), "AST", product_subjects=subjects,
                     product_refusals=refusals)  # fmt: skip
    section = product_section(data)
    assert section is not None
    [shown] = section.tables
    column = next(i for i, c in enumerate(shown.columns) if c.startswith("serum"))
    rows = {r[0]: r[column] for r in shown.rows}
    assert rows["Blood draws"] == str(serum["blood draws"])
    assert rows["Aliquots"] == str(serum["aliquots"])
    assert rows["Injections given"].startswith(f"{serum['injections given']} of ")


def test_cli_simulates_whole_blood_into_the_store(tmp_path: Path) -> None:
    """``autoserum simulate --db`` records the product chain: the case report's acupoint
    autohemotherapy, each sitting's four injections linked to that sitting's draw and given
    within its five minutes; the accountability counts one injection given per sitting."""
    url = f"sqlite:///{tmp_path / 'aaht.db'}"
    args = ["simulate", "aaht-zhao2022", "--subjects", "1", "--seed", "2022", "--db", url]
    result = CliRunner().invoke(app, [*args, "--study", "case"])
    assert result.exit_code == 0, result.output
    assert "blood draws" in result.output
    store = open_store(url, create=False)
    try:
        life = store.product.life("case", "AAHT-01", actor=ADMIN)
        subjects, _ = store.product.accountability("case", actor=ADMIN)
    finally:
        store.close()
    assert life.draws
    draws = {d.id: d for d in life.draws}
    assert len(life.injections) == 4 * len(draws)
    # the accountability counts sittings, as the protocol plans them (not one per point)
    assert subjects.select("draws", "injections_given").row(0) == (len(draws), len(draws))
    for given in life.injections:
        draw = draws[given.draw_id]
        assert given.given_at is not None
        assert timedelta(0) < given.given_at - draw.drawn_at <= timedelta(minutes=5)


def test_double_blind_whole_blood_is_injected_by_kits_through_the_store(tmp_path: Path) -> None:
    """Pittler 2003 (autologous whole blood vs saline, double-blind) recorded through the
    store: every injection of both arms goes by a kit code (``KIT-``), never a draw's
    (``BD-``), so the code does not tell the injector the arm; each whole-blood kit is filled
    from its subject's own draw and given within the protocol's draw-to-injection limit."""
    code = "abt-pittler2003"
    simulated = simulate_study(code, 6, seed=7)
    store = open_store(f"sqlite:///{tmp_path / 'abt.db'}")
    try:
        store.exports.import_long(
            "ABT", simulated.visits, actor=ADMIN, adverse_events=simulated.adverse_events,
            protocol=code,
        )  # fmt: skip
        protocol = store.studies.protocol("ABT")
        steps = simulate_product(simulated.visits, protocol, seed=7, wrong_scan_rate=0.0)
        counts = record_product_steps(store, "ABT", steps, actor=ADMIN)
        subjects = store.product.accountability("ABT", actor=ADMIN)[0]["subject_id"]
        lives = {s: store.product.life("ABT", s, actor=ADMIN) for s in subjects}
    finally:
        store.close()
    assert counts["injections"] == steps.filter(pl.col("step") == "inject").height > 0
    [whole] = [a for a in protocol.arms if a.product == "whole_blood"]
    assert whole.process is not None
    limit = fact_number(whole.process.max_minutes_draw_to_injection)
    assert limit is not None
    products = set()
    for subject, life in lives.items():
        draws = {d.id: d for d in life.draws}
        kits = {k.id: k for k in life.kits}
        for given in life.injections:
            assert given.draw_id is None, subject
            assert given.aliquot_id is None, subject
            assert ":KIT-" in given.product_code, given.product_code
            kit = kits[given.preparation_id]
            products.add(kit.product)
            if kit.product == "whole_blood":
                draw = draws[kit.blood_draw_id]  # the subject's own draw
                assert (
                    timedelta(0)
                    <= given.given_at - draw.drawn_at
                    <= timedelta(minutes=float(limit))
                )
            else:
                assert (kit.product, kit.blood_draw_id) == ("saline", None)
    assert products == {"whole_blood", "saline"}  # both arms injected, both by kit codes
