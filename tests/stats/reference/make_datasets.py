"""Write the synthetic datasets of the R reference (seeded NumPy; run once, CSVs committed).

    .venv/bin/python tests/stats/reference/make_datasets.py

- ``trial_dropout.csv``: two arms × 64 subjects, weeks 2, 4, 8, 12, continuous outcomes with an
  unstructured-like covariance and dropout (monotone, more in control) plus a few missed visits.
  Week 2 has 64 per arm (Wilcoxon normal branch, n >= 50); week 12 fewer than 50 per arm
  (exact branch).
- ``trial_ties.csv``: two arms × 24 subjects, weeks 4, 8, 12, EASI-like scores on a 0.5 grid:
  ties and zero changes (Wilcoxon normal branch with tie and zero handling), no dropout.
- ``vectors.csv``: named small vectors for edge cases (tiny exact samples, zeros without other
  ties, small two-sample ties, p-values to adjust).
- ``counts.csv``: responder 2×2 tables, including zero and full cells.
- ``covariates.csv``: age and site of the subjects of ``trial_dropout.csv`` (own seed).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (HERE / name).open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _fmt(value: float) -> str:
    return "" if np.isnan(value) else f"{value:.4f}"


def trial_dropout(rng: np.random.Generator) -> None:
    weeks = [2, 4, 8, 12]
    n_per_arm = 64
    sd = np.array([3.0, 3.6, 4.2, 5.0])
    corr = np.array(
        [[1.0, 0.6, 0.45, 0.3], [0.6, 1.0, 0.55, 0.4], [0.45, 0.55, 1.0, 0.6], [0.3, 0.4, 0.6, 1.0]]
    )
    cov = corr * np.outer(sd, sd)
    rows: list[list[object]] = []
    for i in range(2 * n_per_arm):
        group = i % 2
        baseline = rng.normal(25.0, 6.0)
        err = rng.multivariate_normal(np.zeros(4), cov)
        mean = np.array([-2.0, -4.0, -6.0, -7.0]) * (1 + 0.5 * group) - 0.2 * (baseline - 25.0)
        change = mean + err
        hazard = 0.07 if group else 0.12
        dropped = False
        for v, week in enumerate(weeks):
            if v > 0 and not dropped and rng.uniform() < hazard:
                dropped = True
            missed = (not dropped) and v in (1, 2) and rng.uniform() < 0.04
            value = np.nan if (dropped or missed) else round(float(change[v]), 4)
            rows.append([f"D{i + 1:03d}", group, week, f"{baseline:.4f}", _fmt(value)])
    _write("trial_dropout.csv", ["subject", "group", "week", "baseline", "change"], rows)


def trial_ties(rng: np.random.Generator) -> None:
    weeks = [4, 8, 12]
    rows: list[list[object]] = []
    for i in range(48):
        group = i % 2
        baseline = float(np.round(rng.uniform(8, 40) * 2) / 2)
        level = baseline
        for v, week in enumerate(weeks):
            factor = 1 - (0.12 + 0.1 * group) * (v + 1)
            noise = rng.normal(0, 2.5)
            level = max(0.0, float(np.round((baseline * factor + noise) * 2) / 2))
            if rng.uniform() < 0.15:  # unchanged score: a zero change
                level = baseline
            rows.append(
                [f"T{i + 1:03d}", group, week, f"{baseline:.1f}", f"{level - baseline:.1f}"]
            )
    _write("trial_ties.csv", ["subject", "group", "week", "baseline", "change"], rows)


def vectors(rng: np.random.Generator) -> None:
    named = {
        # 5 distinct non-zero values: exact branch at its smallest sensible size
        "tiny_exact": np.round(rng.normal(1.0, 2.0, 5), 4),
        # 3 values: the exact 95 % CI is not achievable (R warns; so do we)
        "three_exact": np.array([0.8, -1.3, 2.9]),
        # 12 distinct values plus two zeros: normal branch forced by zeros only
        "zeros_no_ties": np.concatenate([np.round(rng.normal(-1.5, 2.0, 12), 4), [0.0, 0.0]]),
        # all of one sign with ties: CI hits the data range
        "one_sided_ties": np.array([1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0, 5.0]),
        # small two samples with ties across them
        "mw_ties_x": np.array([3.0, 4.5, 4.5, 6.0, 7.5, 9.0]),
        "mw_ties_y": np.array([1.5, 3.0, 3.0, 4.5, 5.0, 5.5, 6.0]),
        # two small samples without ties: exact rank-sum branch
        "mw_exact_x": np.round(rng.normal(-6.0, 3.0, 9), 4),
        "mw_exact_y": np.round(rng.normal(-3.0, 3.0, 11), 4),
        # p-values to adjust, with a tie and a missing value
        "pvals": np.array([0.001, 0.012, 0.012, 0.03, 0.045, 0.2, 0.51, np.nan, 0.9]),
    }
    rows = [
        [name, i + 1, _fmt(float(v))] for name, vals in named.items() for i, v in enumerate(vals)
    ]
    _write("vectors.csv", ["name", "index", "value"], rows)


def counts() -> None:
    tables = [
        (14, 20, 6, 20),
        (3, 12, 0, 11),
        (10, 10, 4, 9),
        (0, 8, 0, 9),
        (56, 70, 48, 80),
        (1, 1, 5, 30),
    ]
    _write("counts.csv", ["k1", "n1", "k2", "n2"], [list(t) for t in tables])


def covariates(rng: np.random.Generator) -> None:
    """Subject covariates of trial_dropout.csv: age (numeric) and site (text, 3 levels)."""
    subjects = [f"D{i:03d}" for i in range(1, 129)]
    age = np.round(rng.normal(35, 12, len(subjects)).clip(18, 75), 1)
    site = rng.choice(["berlin", "cairo", "lima"], len(subjects))
    _write(
        "covariates.csv",
        ["subject", "age", "site"],
        [list(r) for r in zip(subjects, age, site, strict=True)],
    )


def main() -> None:
    rng = np.random.default_rng(20261121)
    trial_dropout(rng)
    trial_ties(rng)
    vectors(rng)
    counts()
    covariates(np.random.default_rng(20261201))


if __name__ == "__main__":
    main()
