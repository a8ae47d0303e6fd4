"""Rescue medication as an intercurrent event read from the database (issue 16, with the
con-med store of issue 13): ``analyze --db --sap`` applies the SAP's rescue strategy to the
con-meds stored with the study as ``analyze FILE --sap`` does from the files.

The hand-made study of ``test_intercurrent.py`` (``data/intercurrent.csv`` and its
``.conmed.csv``: rescue for T1 from week 6, P2 from week 2, T4 from 2025-01-27 = day 21, week
3) goes into SQLite: visits and con-meds imported, except T4's rescue, which is recorded live
through the store by its start date; the database is locked (the analysis unblinds). For each
strategy of the primary estimand (treatment policy, hypothetical, while on treatment,
composite) the ANCOVA of ``analyze --db --sap --json`` equals R's on the values the strategy
leaves (``reference/intercurrent.R``: ``lm(change ~ arm + baseline)`` at week 8, the same
reference the file analysis of ``test_intercurrent.py`` meets; rel 1e-9): n 8, 5, 6 and 8
and four different estimates, so a strategy not applied, or applied to the wrong subjects or
weeks, fails.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from autoserum.store import Actor, open_store
from tests.clirun import run_cli

HERE = Path(__file__).parent
DATA = HERE / "data" / "intercurrent.csv"
CON_MEDS = HERE / "data" / "intercurrent.conmed.csv"
REF: dict[str, Any] = json.loads(
    (HERE / "reference" / "intercurrent.json").read_text(encoding="utf-8")
)
STRATEGIES = ("treatment_policy", "hypothetical", "while_on_treatment", "composite")
ADMIN = Actor("ada", "admin")
SAP = """
code = "ice-db"
title = "rescue as an intercurrent event, from the database"
version = "1"
control = "placebo"
[[estimands]]
code = "primary"
label = "EASI change at week 8"
variable = "easi"
week = 8
method = "ancova"
[[estimands.intercurrent_events]]
event = "rescue_medication"
strategy = "{strategy}"
[multiplicity]
method = "none"
"""


def _cli(*args: object) -> str:
    done = run_cli(*args)  # the command line's entry point, in this process
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("ice-db")
    visits = out / "ice.csv"
    shutil.copy(DATA, visits)
    meds = pl.read_csv(CON_MEDS)
    assert meds.filter(pl.col("subject_id") == "T4")["start_date"].to_list() == ["2025-01-27"]
    meds.filter(pl.col("subject_id") != "T4").write_csv(out / "ice.conmed.csv")
    db = f"sqlite:///{out / 'trial.db'}"
    _cli("import", visits, "--db", db, "--study", "ICE", "--protocol", "ast-nahm2023")
    store = open_store(db, create=False, clock=lambda: date(2025, 6, 30))
    try:
        store.records.add_con_med(
            "ICE", "T4", actor=ADMIN, name="clobetasol propionate 0.05% cream",
            atc_code="D07AD01", amount="10", amount_unit="g", start_date="2025-01-27",
            rescue=True,
        )  # fmt: skip
        stored = store.exports.con_meds("ICE", actor=ADMIN)
    finally:
        store.close()
    rescued = stored.filter(pl.col("rescue").fill_null(False))["subject_id"].to_list()
    assert sorted(rescued) == ["P2", "T1", "T4"]
    _cli("study", "lock", "ICE", "--reason", "final data", "--db", db)
    return db


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_database_analysis_applies_the_sap_strategy_to_the_stored_rescue(
    url: str, strategy: str, tmp_path: Path
) -> None:
    sap = tmp_path / "sap.toml"
    sap.write_text(SAP.format(strategy=strategy), encoding="utf-8")
    from_db = json.loads(_cli("analyze", "--db", url, "--study", "ICE", "--sap", sap, "--json"))
    (between,) = from_db["between"]
    ancova = between["ancova"]
    want = REF[strategy]  # R: lm(change ~ arm + baseline) on the strategy's values, rel 1e-9
    assert ancova["n_treatment"] + ancova["n_control"] == want["n"]
    for key in ("estimate", "se", "p_value", "df"):
        assert ancova[key] == pytest.approx(want[key], rel=1e-9), key
