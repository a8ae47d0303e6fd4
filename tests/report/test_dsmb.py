"""The DSMB report's open and closed parts, produced separately (issue 16, item 7): the open
part (HTML and PDF) carries no arm code, no arm label and no by-arm number; the closed part is
by arm and refuses blinded data.

The study: the demo serum RCT (scripts/demo.py: simulated into SQLite, its conduct recorded
through the store) under a study name without an arm code in it, so that a code found in the
open part can only have come from the data.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from autoserum.protocols import load_protocol
from tests.clirun import run_cli
from tests.pdftext import pdf_text

ROOT = Path(__file__).resolve().parents[2]
STUDY = "ast-dsmb"


def _cli(*args: object, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = run_cli(*args)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@dataclass(frozen=True)
class Parts:
    url: str
    out: Path
    open_html: str
    open_pdf: str
    closed_html: str
    closed_pdf: str


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Parts:
    out = tmp_path_factory.mktemp("dsmb")
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    protocol, _, n, seed = next(s for s in demo.DEMO_STUDIES if s[1] == "serum-rct")
    url = f"sqlite:///{out / 'dsmb.db'}"
    _cli("simulate", protocol, "--subjects", n, "--seed", seed, "--db", url, "--study", STUDY)
    demo.conduct_demo(url, STUDY)
    _cli("report", "--db", url, "--study", STUDY, "--dsmb", "open", "--out", out / "open")
    assert not (out / "open" / f"{STUDY}-dsmb-closed.html").exists()  # one part per run
    _cli("report", "--db", url, "--study", STUDY, "--dsmb", "closed", "--out", out / "closed")
    return Parts(
        url,
        out,
        (out / "open" / f"{STUDY}-dsmb-open.html").read_text(encoding="utf-8"),
        pdf_text(out / "open" / f"{STUDY}-dsmb-open.pdf"),
        (out / "closed" / f"{STUDY}-dsmb-closed.html").read_text(encoding="utf-8"),
        pdf_text(out / "closed" / f"{STUDY}-dsmb-closed.pdf"),
    )


def _arm_words() -> list[str]:
    arms = load_protocol("ast-nahm2023").arms
    return [a.code for a in arms] + [a.label for a in arms]  # serum, placebo and their labels


def _found(words: list[str], text: str) -> list[str]:
    return [w for w in words if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]


def test_the_open_part_names_no_arm(parts: Parts) -> None:
    words = _arm_words()
    assert _found(words, parts.open_html) == []
    assert _found(words, parts.open_pdf) == []
    # the check can fail: the closed part names them
    assert _found(words, parts.closed_html) == words
    assert set(_found(["serum", "placebo"], parts.closed_pdf)) == {"serum", "placebo"}


def test_the_open_part_has_no_by_arm_number(parts: Parts) -> None:
    # every group size printed is the pooled one (23 randomised: 12 placebo + 11 serum)
    for text in (parts.open_html, parts.open_pdf):
        assert set(re.findall(r"\(N = (\d+)\)", text)) == {"23"}
        assert "Allocated to pooled (blinded) (n = 23)" in text or "(n = 23)" in text
        for per_arm in ("(n = 12)", "(n = 11)", "(N = 12)", "(N = 11)"):
            assert per_arm not in text, per_arm
    assert "Primary endpoint" not in parts.open_pdf  # no efficacy comparison in the open part
    assert {"12", "11"} <= set(re.findall(r"\(N = (\d+)\)", parts.closed_pdf))


def test_the_open_part_shows_accrual_flow_baseline_completeness_and_safety(
    parts: Parts,
) -> None:
    text = parts.open_pdf
    for heading in ("Accrual", "Participant flow (CONSORT)", "Baseline characteristics",
                    "Data completeness", "Safety"):  # fmt: skip
        assert heading in text, heading
    assert "Assessed for eligibility (n = 28)" in text
    assert "Declined to participate (n = 1)" in text
    assert "OPEN part" in text


def test_the_closed_part_needs_unblinded_data(parts: Parts) -> None:
    blinded = parts.out / "blinded.csv"
    _cli("export", "--db", parts.url, "--study", STUDY, "--blinded", "--out", blinded)
    refused = _cli("report", blinded, "--dsmb", "closed", "--out", parts.out / "x", ok=False)
    assert refused.returncode == 2
    assert "closed" in refused.stderr
    assert "arm" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (parts.out / "x").exists() or not list((parts.out / "x").iterdir())
    _cli("report", blinded, "--dsmb", "open", "--out", parts.out / "y")  # the open part is fine
    bad = _cli("report", blinded, "--dsmb", "both", "--out", parts.out / "z", ok=False)
    assert bad.returncode == 2
    assert "--dsmb" in bad.stderr
