"""Benchmark: the full analysis of a simulated two-arm study (100,000 subjects, 5 post-baseline
visits) including the MMRM; and, on a 2,000-subject study, ``stats.mmrm`` beside R's
``nlme::gls`` for the same model.

    .venv/bin/python benchmarks/analysis.py [--subjects 100000] [--r-subjects 2000] [--no-r]

The data come from a small seeded NumPy generator below (``autoserum.simulate`` had not landed
when this benchmark was written): EASI at baseline and weeks 2, 4, 8, 12, 16 with a
treatment effect, correlated subject noise and ~10 % dropout.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from autoserum import stats
from autoserum.analysis import analyze_endpoint, build_adsl, build_bds, read_long

WEEKS = (0, 2, 4, 8, 12, 16)


def simulate(n_subjects: int, seed: int) -> pl.DataFrame:
    """A seeded two-arm EASI study in the tidy long format (synthetic)."""
    rng = np.random.default_rng(seed)
    n = n_subjects
    arm = np.where(np.arange(n) % 2 == 0, "serum", "placebo")
    effect = np.where(arm == "serum", 0.55, 0.30)
    base = rng.uniform(8, 40, n)
    subject_noise = rng.normal(0, 0.1, n)
    drop_at = np.where(rng.random(n) < 0.1, rng.choice(np.array(WEEKS[1:]), n), 99)
    parts = []
    for w in WEEKS:
        keep = w <= drop_at
        frac = min(w / 12, 1.0)
        improvement = np.clip(
            (effect + subject_noise) * frac + rng.normal(0, 0.08, n) * (w > 0), -0.3, 1
        )
        easi = np.round(np.clip(base * (1 - improvement), 0, 72), 1)
        parts.append(
            pl.DataFrame(
                {
                    "subject_id": [f"S{i:06d}" for i in range(n)],
                    "arm": arm,
                    "week": np.full(n, float(w)),
                    "age": (18 + (np.arange(n) * 7919) % 50).astype(float),
                    "easi": easi,
                }
            ).filter(pl.Series(keep))
        )
    return pl.concat(parts).sort("subject_id", "week")


def timed(label: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args, **kw)
    seconds = time.perf_counter() - start
    print(f"  {label:<42} {seconds:8.2f} s", flush=True)
    return out, seconds


def full_analysis(n_subjects: int, workdir: Path) -> float:
    frame = simulate(n_subjects, seed=1)
    path = workdir / "bench.csv"
    frame.write_csv(path)
    print(f"{n_subjects:,} subjects, {frame.height:,} visit rows, weeks {WEEKS}", flush=True)
    total = 0.0
    data, s = timed("read_long (CSV, validation)", read_long, path)
    total += s
    _, s = timed("build_adsl", build_adsl, data)
    total += s
    _, s = timed("build_bds", build_bds, data, ["easi"])
    total += s
    result, s = timed(
        "analyze_endpoint easi week 12 (incl. MMRM)",
        analyze_endpoint,
        data,
        "easi",
        12,
        control="placebo",
        predictors=["age"],
    )
    total += s
    mmrm = result.to_json()["between"][0]["mmrm"]
    print(f"  MMRM week 12: {mmrm}")
    print(f"  {'TOTAL':<42} {total:8.2f} s", flush=True)
    return total


R_SCRIPT = r"""
d <- read.csv(commandArgs(TRUE)[1])
d$visit <- factor(d$week)
d$group <- as.integer(d$arm == "serum")
d$visit_index <- as.integer(d$visit)
t <- system.time(fit <- nlme::gls(change ~ group * visit + baseline * visit, data = d,
  correlation = nlme::corSymm(form = ~ visit_index | subject_id),
  weights = nlme::varIdent(form = ~ 1 | visit), method = "REML"))
cat(sprintf("%.10g\n", coef(fit)[["group"]]))
cat(sprintf("%.3f\n", t[["elapsed"]]))
"""


def versus_r(n_subjects: int, workdir: Path) -> None:
    frame = simulate(n_subjects, seed=2)
    bds = build_bds(frame, ["easi"]).filter(pl.col("analysis_flag"))
    print(f"MMRM on {n_subjects:,} subjects ({bds.height:,} post-baseline rows)", flush=True)
    subject = bds["subject_id"].cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
    fit, py = timed(
        "autoserum.stats.mmrm",
        stats.mmrm,
        subject,
        bds["week"].to_numpy(),
        (bds["arm"] == "serum").cast(pl.Int64).to_numpy(),
        bds["baseline"].to_numpy(),
        bds["change"].to_numpy(),
    )
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("  Rscript not found: R comparison skipped")
        return
    path = workdir / "mmrm.csv"
    bds.select("subject_id", "arm", "week", "baseline", "change").write_csv(path)
    script = workdir / "mmrm.R"
    script.write_text(R_SCRIPT, encoding="utf-8")
    out = subprocess.run(
        [rscript, str(script), str(path)], capture_output=True, text=True, check=True
    )
    *_, r_estimate, r_time = out.stdout.strip().splitlines()
    r_seconds = float(r_time)
    first = fit.per_visit[0]
    print(
        f"  week {float(first.visit):g} difference: autoserum {first.estimate:.10g}, "
        f"R {float(r_estimate):.10g}"
    )
    print(f"  {'R nlme::gls (system.time, fit only)':<42} {r_seconds:8.2f} s")
    print(f"  ratio R / autoserum: {r_seconds / py:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--r-subjects", type=int, default=2_000)
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"polars {pl.__version__}, numpy {np.__version__}; {when}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        full_analysis(args.subjects, Path(tmp))
        if not args.no_r:
            versus_r(args.r_subjects, Path(tmp))


if __name__ == "__main__":
    main()
