"""MMRM benchmark: autoserum.stats.mmrm on a large simulated study, and against R's nlme::gls.

    .venv/bin/python benchmarks/mmrm.py [--subjects 100000] [--compare 2000] [--repeat 3]

1. Times ``mmrm`` on a simulated two-arm study (default 100,000 subjects, 5 post-baseline
   visits, random dropout), best of ``--repeat`` runs, from long arrays to the result.
2. On a smaller study (default 2,000 subjects) times the same model in autoserum and, when
   ``Rscript`` is installed, in R: ``nlme::gls(y ~ group * visit + baseline * visit,
   correlation = corSymm(form = ~ visit_index | subject), weights = varIdent(form = ~ 1 |
   visit), method = "REML")``, timed inside R with ``system.time`` (R start-up and CSV reading
   excluded), and prints the largest relative difference of the per-visit estimates and SEs.

Prints its figures; no assertions (see docs/benchmarks.md for recorded runs).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from autoserum.stats import MMRMResult, mmrm

VISITS = 5

R_SCRIPT = r"""
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = TRUE)
s <- read.csv(args[1])
s <- s[!is.na(s$y), ]
s$visit <- factor(s$visit, levels = sort(unique(s$visit)))
s$visit_index <- as.integer(s$visit)
elapsed <- system.time(
  fit <- gls(y ~ group * visit + baseline * visit, data = s,
             correlation = corSymm(form = ~ visit_index | subject),
             weights = varIdent(form = ~ 1 | visit), method = "REML")
)[["elapsed"]]
b <- coef(fit); V <- vcov(fit); lev <- levels(s$visit)
est <- se <- numeric(length(lev))
for (i in seq_along(lev)) {
  L <- setNames(numeric(length(b)), names(b)); L["group"] <- 1
  if (i > 1) L[paste0("group:visit", lev[i])] <- 1
  est[i] <- sum(L * b); se[i] <- sqrt(drop(t(L) %*% V %*% L))
}
cat(jsonlite::toJSON(list(elapsed = elapsed, estimate = est, se = se,
                          log_lik = as.numeric(logLik(fit)), r = R.version.string,
                          nlme = as.character(packageVersion("nlme"))),
                     digits = NA, auto_unbox = TRUE))
"""


def simulate(n_subjects: int, seed: int = 2026) -> dict[str, np.ndarray]:
    """A two-arm study in long format: weeks 4..20, unstructured-like covariance, dropout."""
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
    # dropout: each subject's last observed visit, more dropout in control
    last = np.where(
        rng.uniform(size=n_subjects) < np.where(np.arange(n_subjects) % 2, 0.15, 0.25),
        rng.integers(1, VISITS, n_subjects),
        VISITS,
    )
    y[np.tile(np.arange(1, VISITS + 1), n_subjects) > np.repeat(last, VISITS)] = np.nan
    return {"subject": subject, "visit": visit, "group": group, "baseline": baseline, "y": y}


def time_autoserum(data: dict[str, np.ndarray], repeat: int) -> tuple[float, MMRMResult]:
    best = float("inf")
    result: MMRMResult | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = mmrm(data["subject"], data["visit"], data["group"], data["baseline"], data["y"])
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def run_r(data: dict[str, np.ndarray]) -> dict[str, object] | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "study.csv"
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["subject", "visit", "group", "baseline", "y"])
            for row in zip(
                *(data[k] for k in ("subject", "visit", "group", "baseline")),
                data["y"],
                strict=True,
            ):
                writer.writerow(
                    [
                        int(row[0]),
                        int(row[1]),
                        int(row[2]),
                        repr(float(row[3])),
                        "" if np.isnan(row[4]) else repr(float(row[4])),
                    ]
                )
        script = Path(tmp) / "fit.R"
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            [rscript, str(script), str(path)], capture_output=True, text=True, check=True
        )
    parsed: dict[str, object] = json.loads(out.stdout)
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--compare", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    big = simulate(args.subjects)
    seconds, fit = time_autoserum(big, args.repeat)
    print(
        f"autoserum mmrm, {args.subjects:,} subjects x {VISITS} visits "
        f"({fit.n_observations:,} observed rows, dropout): {seconds:.2f} s "
        f"(best of {args.repeat}; converged={fit.converged})"
    )

    small = simulate(args.compare, seed=7)
    mine_seconds, mine = time_autoserum(small, args.repeat)
    print(f"autoserum mmrm, {args.compare:,} subjects: {mine_seconds:.3f} s")
    r = run_r(small)
    if r is None:
        print("R: Rscript not installed; nlme::gls comparison skipped")
        return
    est = np.array([v.estimate for v in mine.per_visit])
    se = np.array([v.se for v in mine.per_visit])
    r_est = np.asarray(r["estimate"], dtype=float)
    r_se = np.asarray(r["se"], dtype=float)
    print(
        f"R nlme::gls ({r['r']}, nlme {r['nlme']}), {args.compare:,} subjects: "
        f"{float(r['elapsed']):.3f} s (system.time of the fit)"  # type: ignore[arg-type]
    )
    print(f"speed-up: {float(r['elapsed']) / mine_seconds:.0f}x")  # type: ignore[arg-type]
    print(
        "agreement: max relative difference estimate "
        f"{np.max(np.abs(est - r_est) / np.abs(r_est)):.1e}, SE "
        f"{np.max(np.abs(se - r_se) / r_se):.1e}; logLik autoserum {mine.log_lik:.6f}, "
        f"R {float(r['log_lik']):.6f}"  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
