"""`federate summarize` at three sites and `federate combine` at the centre give the analysis of
the pooled rows (`analyze_endpoint` on the three sites' data together), or name what
small-cell suppression removed. Synthetic, seeded studies; each site is its own SQLite file.

Expected numbers: `analyze_endpoint` on the pooled frame (its ANCOVA and MMRM are checked
against R in tests/stats); tolerance 1e-10 absolute, df exact.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from autoserum.analysis import analyze_endpoint
from autoserum.cli import app
from autoserum.simulate import simulate_study
from autoserum.store import Actor, open_store

SITES = {"seoul": 1, "busan": 2, "osaka": 3}
TOL = 1e-10


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], pl.DataFrame]:
    """Three site databases and the pooled rows (subject ids prefixed by the site)."""
    out = tmp_path_factory.mktemp("sites")
    urls, frames = {}, []
    for name, seed in SITES.items():
        study = simulate_study("ast-nahm2023", 60, seed)
        urls[name] = f"sqlite:///{out / name}.db"
        store = open_store(urls[name])
        try:
            store.exports.import_long(
                "AST", study.visits, actor=Actor("ci", "admin"), protocol="ast-nahm2023"
            )
            # each site's summary by arm unblinds its data: after the database lock
            store.locks.lock("AST", "study", actor=Actor("ci", "admin"), reason="final data")
        finally:
            store.close()
        prefixed = (pl.lit(f"{name}-") + pl.col("subject_id")).alias("subject_id")
        frames.append(study.visits.with_columns(prefixed))
    return urls, pl.concat(frames)


def _summarize(url: str, site: str, out: Path, *extra: str) -> Path:
    path = out / f"{site}.json"
    args = ["federate", "summarize", "--db", url, "--study", "AST", "--endpoint", "easi"]
    done = CliRunner().invoke(
        app, [*args, "--week", "8", "--site", site, "--out", str(path), *extra]
    )
    assert done.exit_code == 0, done.output
    return path


def test_combine_equals_the_pooled_analysis(
    sites: tuple[dict[str, str], pl.DataFrame], tmp_path: Path
) -> None:
    urls, pooled = sites
    files = [str(_summarize(url, name, tmp_path, "--min-cell", "1")) for name, url in urls.items()]
    done = CliRunner().invoke(app, ["federate", "combine", *files, "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["sites"] == list(SITES)
    expected = analyze_endpoint(pooled, "easi", 8.0, control="placebo").between
    for method in ("ancova", "mmrm"):
        want = expected.filter(pl.col("method") == method).sort("week").to_dicts()
        got = sorted(
            (r for r in result["between"] if r["method"] == method), key=lambda r: r["week"]
        )
        assert [r["week"] for r in got] == [r["week"] for r in want]
        assert got
        for g, w in zip(got, want, strict=True):
            assert (g["n_treatment"], g["n_control"], g["df"]) == (
                w["n_treatment"],
                w["n_control"],
                w["df"],
            )
            for key in ("estimate", "se", "ci_low", "ci_high", "p_value"):
                assert g[key] == pytest.approx(w[key], abs=TOL), (method, g["week"], key)


def test_a_site_file_holds_no_identifier(
    sites: tuple[dict[str, str], pl.DataFrame], tmp_path: Path
) -> None:
    text = _summarize(sites[0]["seoul"], "seoul", tmp_path).read_text(encoding="utf-8")
    assert not re.search(r"AST-\d", text)  # no subject identifier
    assert "visit_date" not in text
    assert "subject_id" not in text


def test_suppression_is_named_by_combine(
    sites: tuple[dict[str, str], pl.DataFrame], tmp_path: Path
) -> None:
    # with the default k = 5 each site withholds its small dropout pattern (week 4 only)
    files = [str(_summarize(url, name, tmp_path)) for name, url in sites[0].items()]
    done = subprocess.run(
        [sys.executable, "-m", "autoserum", "federate", "combine", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: federated mmrm: small-cell suppression")
    assert "site 'seoul' withheld the MMRM pattern observed at visits {4}" in done.stderr
    assert "Traceback" not in done.stderr


def test_suppression_notes_and_refusal_speak_the_language(
    sites: tuple[dict[str, str], pl.DataFrame], tmp_path: Path
) -> None:
    # the notes of a fit on what remains, and the refusal naming the pattern, in ko and zh-Hans
    # (catalog texts of tests/test_i18n_catalogs.py); the --json notes stay English
    files = [str(_summarize(url, name, tmp_path)) for name, url in sites[0].items()]
    done = CliRunner().invoke(
        app, ["federate", "combine", *files, "--allow-suppressed"], env={"AUTOSERUM_LANG": "ko"}
    )
    assert done.exit_code == 0, done.output
    text = " ".join(done.stdout.split())
    assert "기관 'seoul'에서 보류함: 방문 {4}에서 관찰된 MMRM 패턴" in text
    assert "통합 적합과 같지 않습니다" in text
    assert "withheld" not in text
    assert "subjects" not in text
    as_json = CliRunner().invoke(
        app, ["federate", "combine", *files, "--allow-suppressed", "--json"],
        env={"AUTOSERUM_LANG": "ko"},
    )  # fmt: skip
    notes = json.loads(as_json.stdout)["notes"]
    assert any("site 'seoul' withheld the MMRM pattern observed at visits {4}" in n for n in notes)
    refused = subprocess.run(
        [sys.executable, "-m", "autoserum", "federate", "combine", *files],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "AUTOSERUM_LANG": "zh-Hans"},
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: 联邦 mmrm：小单元格抑制删除了数据")
    assert "中心 'seoul' 未提供：在访视 {4} 观察到的 MMRM 模式（" in refused.stderr
    assert "受试者少于 5 例" in refused.stderr
    assert "；中心 'busan'" in refused.stderr
    assert "withheld" not in refused.stderr
    assert "Traceback" not in refused.stderr


def test_sites_answering_different_questions_are_refused(
    sites: tuple[dict[str, str], pl.DataFrame], tmp_path: Path
) -> None:
    urls = sites[0]
    a = _summarize(urls["seoul"], "seoul", tmp_path)
    b = _summarize(urls["busan"], "busan", tmp_path, "--min-cell", "3")
    done = CliRunner().invoke(app, ["federate", "combine", str(a), str(b)])
    assert done.exit_code != 0
    assert "min_cell" in str(done.exception)
