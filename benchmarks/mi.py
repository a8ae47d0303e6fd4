"""Multiple-imputation benchmark: MI with 100 imputations on a 2,000-subject study.

    .venv/bin/python benchmarks/mi.py [--subjects 2000] [--imputations 100] [--repeat 1]

Simulates the two-arm study of ``benchmarks/mmrm.py`` (5 post-baseline visits, unstructured
-like covariance, 15–25 % dropout) and times ``autoserum.stats.multiple_imputation`` at the last
visit from the long arrays to the pooled result: the MMRM fit, the parameter draws, the
imputations, the ANCOVA of every completed data set and Rubin's rules. Timed for MAR and J2R
with posterior draws, and (``--bootstrap``) MAR with the approximate Bayesian bootstrap (one
MMRM refit per imputation). Prints its figures; no assertions (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from autoserum.stats import multiple_imputation

VISITS = 5


def simulate(n_subjects: int, seed: int = 2026) -> dict[str, np.ndarray]:
    """A two-arm study in long format: weeks 4..20, AR-like covariance, dropout."""
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n_subjects), VISITS)
    visit = np.tile(np.arange(1, VISITS + 1) * 4, n_subjects)
    group = (subject % 2).astype(float)
    baseline = np.repeat(rng.normal(25.0, 6.0, n_subjects), VISITS)
    sd = np.linspace(3.0, 5.0, VISITS)
    lag = np.abs(np.subtract.outer(np.arange(VISITS), np.arange(VISITS)))
    cov = (0.75**lag) * np.outer(sd, sd)
    errors = rng.standard_normal((n_subjects, VISITS)) @ np.linalg.cholesky(cov).T
    step = visit / 4
    y = -1.2 * step - 0.8 * group * step - 0.25 * (baseline - 25.0) + errors.ravel()
    last = np.where(
        rng.uniform(size=n_subjects) < np.where(np.arange(n_subjects) % 2, 0.15, 0.25),
        rng.integers(1, VISITS, n_subjects),
        VISITS,
    )
    y[np.tile(np.arange(1, VISITS + 1), n_subjects) > np.repeat(last, VISITS)] = np.nan
    return {"subject": subject, "visit": visit, "group": group, "baseline": baseline, "y": y}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=2_000)
    parser.add_argument("--imputations", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--bootstrap", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    data = simulate(args.subjects)
    runs = [("MAR", "posterior"), ("J2R", "posterior")]
    if args.bootstrap:
        runs.append(("MAR", "bootstrap"))
    for strategy, method in runs:
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            res = multiple_imputation(
                **data,
                visit_of_interest=VISITS * 4,
                m=args.imputations,
                strategy=strategy,  # type: ignore[arg-type]
                method=method,  # type: ignore[arg-type]
                seed=1,
            )
            best = min(best, time.perf_counter() - start)
        p = res.pooled
        print(
            f"multiple_imputation {strategy}/{method}, {args.subjects:,} subjects x {VISITS} "
            f"visits, m = {args.imputations}: {best:.2f} s (best of {args.repeat}); "
            f"{res.n_imputed} outcomes imputed at week {VISITS * 4}; estimate {p.estimate:.4f} "
            f"(SE {p.se:.4f}, df {p.df:.1f}, fmi {p.fmi:.3f})"
        )


if __name__ == "__main__":
    main()
