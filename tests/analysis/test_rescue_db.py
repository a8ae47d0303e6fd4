"""Rescue medication by arm and week read from the database (the con-meds imported with a study
and recorded live), checked on a hand-computed example; ``report --db`` shows the table.

The example (ast-nahm2023; day 0 = the week-0 visit, 2026-01-05; every subject seen at weeks
0, 4 and 8, so all four are in the study in weeks 1-8). Study week k covers days 7(k-1) to
7k-1; a con-med's grams in a week are its weekly amount × the days it was used / 7
(``analysis/_rescue.py``; 1 FTU = 0.5 g):

======= ===== ====================================================== ========= ===================
subject arm   rescue con-med                                         days      grams (week: g)
======= ===== ====================================================== ========= ===================
P1      pbo   mometasone (TCS), 14 g/week, weeks 0 to 1 (imported)   0 to 7    w1: 14·7/7 = 14,
                                                                               w2: 14·1/7 = 2
P2      pbo   hydrocortisone (TCS), 20 FTU = 10 g/week, 2026-01-12   7 to 20   w2: 10, w3: 10
              to 2026-01-25 (recorded live, by date)
S1      serum cetirizine, not rescue                                 --        --
S2      serum mometasone (TCS), 7 g/week, weeks 1 to 2 (imported)    7 to 14   w2: 7, w3: 7·1/7 = 1
======= ===== ====================================================== ========= ===================

So placebo: week 1 1/2 using (50 %), 14 g (7 per subject); week 2 2/2 (100 %), 2 + 10 = 12 g
(6); week 3 1/2, 10 g (5); week 4 0/2, 0 g. Serum: week 1 0/2, 0 g; week 2 1/2, 7 g (3.5);
week 3 1/2, 1 g (0.5).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from autoserum.analysis import rescue_table, study_from_frames
from autoserum.store import Actor, open_store
from tests.clirun import run_cli

ADMIN = Actor("ada", "admin")
DAY0 = date(2026, 1, 5)
ARMS = {"P1": "placebo", "P2": "placebo", "S1": "serum", "S2": "serum"}


def _visits() -> pl.DataFrame:
    rows = [
        {
            "subject_id": sid, "arm": arm, "site": "s01", "week": float(week),
            "visit": "baseline" if week == 0 else f"week_{week}",
            "visit_date": DAY0 + timedelta(weeks=week), "age": 30.0, "sex": "F",
            "scorad": 50.0 - week - (3 * week if arm == "serum" else 0),
        }
        for sid, arm in ARMS.items()
        for week in (0, 4, 8)
    ]  # fmt: skip
    return pl.DataFrame(rows)


def _imported_con_meds() -> pl.DataFrame:
    rows = [
        ("P1", "mometasone furoate 0.1% cream", "D07AC13", 14.0, "g", 0.0, 1.0, True),
        ("S1", "cetirizine", "R06AE07", None, None, 0.0, None, False),
        ("S2", "mometasone furoate 0.1% cream", "D07AC13", 7.0, "g", 1.0, 2.0, True),
    ]
    names = ("subject_id", "drug", "atc_code", "amount", "amount_unit", "start_week",
             "end_week", "rescue")  # fmt: skip
    return pl.DataFrame([dict(zip(names, r, strict=True)) for r in rows])


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('rescue') / 'trial.db'}"
    store = open_store(db, clock=lambda: date(2026, 6, 30))
    try:
        counts = store.exports.import_long(
            "RESCUE", _visits(), actor=ADMIN, con_meds=_imported_con_meds(),
            protocol="ast-nahm2023",
        )  # fmt: skip
        assert counts["con_meds"] == 3
        store.records.add_con_med(
            "RESCUE", "P2", actor=ADMIN, name="hydrocortisone 1% cream", atc_code="D07AA02",
            amount="20", amount_unit="ftu", start_date="2026-01-12", end_date="2026-01-25",
            rescue=True,
        )  # fmt: skip
        store.records.add_adverse_event(
            "RESCUE", "S2", actor=ADMIN, term="injection site cellulitis", severity="severe",
            serious=True, sae_hospitalisation=True, related="possible",
            related_procedure="probable", outcome="recovering", onset_date="2026-01-20",
            aware_at="2026-01-20T10:00+00:00",
        )  # fmt: skip
        # the whole study's arms are analysed after the database lock
        store.locks.lock("RESCUE", "study", actor=ADMIN, reason="final data")
    finally:
        store.close()
    return db


def test_rescue_use_by_arm_from_the_database(url: str) -> None:
    store = open_store(url, create=False)
    try:
        visits = store.exports.long("RESCUE", actor=ADMIN)
        meds = store.exports.con_meds("RESCUE", actor=ADMIN)
    finally:
        store.close()
    study = study_from_frames(visits, None, "db", con_meds=meds)
    table = rescue_table(study.visits, study.con_meds).filter(pl.col("week") <= 4)
    got = table.select("arm", "week", "n_subjects", "n_rescue", "tcs_grams").rows()
    # expected: the module docstring's hand computation (exact to float rounding: 1e-9)
    expected = [
        ("placebo", 1, 2, 1, 14.0), ("placebo", 2, 2, 2, 12.0), ("placebo", 3, 2, 1, 10.0),
        ("placebo", 4, 2, 0, 0.0),
        ("serum", 1, 2, 0, 0.0), ("serum", 2, 2, 1, 7.0), ("serum", 3, 2, 1, 1.0),
        ("serum", 4, 2, 0, 0.0),
    ]  # fmt: skip
    assert [r[:4] for r in got] == [e[:4] for e in expected]
    for row, want in zip(got, expected, strict=True):
        assert row[4] == pytest.approx(want[4], abs=1e-9), row
    percent = dict(zip(table["arm"] + table["week"].cast(str), table["percent"], strict=True))
    assert (percent["placebo2"], percent["serum2"]) == (100.0, 50.0)
    per_subject = table.filter(pl.col("week") == 2)["tcs_grams_per_subject"].to_list()
    assert per_subject == pytest.approx([6.0, 3.5], abs=1e-9)


def test_report_from_the_database_shows_the_rescue_table(url: str, tmp_path: Path) -> None:
    done = run_cli("report", "--db", url, "--study", "RESCUE", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "RESCUE.html").read_text(encoding="utf-8")
    assert "Rescue medication by arm and week" in html
    section = html[html.index("Rescue medication by arm and week") :]
    week2 = "<tr><td>2</td><td>2/2 (100.0 %)</td><td>12.0 (6.0)</td><td>1/2 (50.0 %)</td>"
    assert week2 + "<td>7.0 (3.5)</td></tr>" in section  # the docstring's week 2 of both arms
    # the SAE recorded live: listed with its E2A assessment (onset 2026-01-20 is day 15 after
    # day 0 on 2026-01-05: week 15/7 = 2.14, shown as 2.1), and counted under both special
    # interests
    listing = html[html.index("Listing of serious adverse events") :]
    row = listing[listing.index("<tr><td>S2</td>") :]
    row = row[: row.index("</tr>")]
    cells = ("serum", "injection site cellulitis", "<td>2.1</td>", "hospitalisation",
             "possible", "probable", "<td>no</td>", "recovering")  # fmt: skip
    for cell in cells:
        assert cell in row, (cell, row)
    aesi = html[html.index("Adverse events of special interest") :]
    assert "injection site reaction" in aesi[: aesi.index("</table>")]
    assert "infection" in aesi[: aesi.index("</table>")]
